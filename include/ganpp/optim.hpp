// SPDX-License-Identifier: MIT
/// @file
/// Every optimizer: SGD, Adam, RMSProp.
#pragma once

#include "optim/adam.hpp"
#include "optim/optimizer.hpp"
#include "optim/rmsprop.hpp"
#include "optim/sgd.hpp"
