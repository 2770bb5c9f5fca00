// SPDX-License-Identifier: MIT
/// @file
/// Umbrella header: config, errors, tensor, random, init, parameters, every layer, optimizers, losses, models, the
/// trainer, penalties, EMA and the gradient check. Opt-in, so that programs which do not need them do not compile
/// them: checkpoint.hpp, model_io.hpp, training_state.hpp, io/, data/, metrics.hpp, classification.hpp, superres.hpp,
/// applications/, models/ (network builders: patch_discriminator.hpp).
#pragma once

#include "config.hpp"
#include "ema.hpp"
#include "error.hpp"
#include "adversarial.hpp"
#include "gan_trainer.hpp"
#include "gradient_check.hpp"
#include "init.hpp"
#include "layers.hpp"
#include "losses.hpp"
#include "losses/perceptual.hpp"
#include "models.hpp"
#include "optim.hpp"
#include "penalties.hpp"
#include "random.hpp"
#include "tensor.hpp"
