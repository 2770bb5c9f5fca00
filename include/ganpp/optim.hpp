// SPDX-License-Identifier: MIT
/// @file
/// Every optimizer: SGD, Adam, RMSProp; and the learning-rate schedules that apply to each.
#pragma once

#include "optim/adam.hpp"
#include "optim/lr_schedule.hpp"
#include "optim/optimizer.hpp"
#include "optim/rmsprop.hpp"
#include "optim/sgd.hpp"
