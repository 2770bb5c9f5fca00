// SPDX-License-Identifier: MIT
// Umbrella header: the tensor, layers, optimizers, losses, models and trainer. Data and image I/O are opt-in
// (ganpp/data/*.hpp, ganpp/io/png.hpp) so that programs which do not need them do not compile them.
#pragma once

#include "config.hpp"
#include "ema.hpp"
#include "error.hpp"
#include "gan_trainer.hpp"
#include "gradient_check.hpp"
#include "init.hpp"
#include "layers.hpp"
#include "losses.hpp"
#include "models.hpp"
#include "optim.hpp"
#include "penalties.hpp"
#include "random.hpp"
#include "tensor.hpp"
