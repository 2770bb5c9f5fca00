// SPDX-License-Identifier: MIT
// Every layer, and the Sequential container.
#pragma once

#include "layers/activation.hpp"
#include "layers/batch_norm.hpp"
#include "layers/conv2d.hpp"
#include "layers/dropout.hpp"
#include "layers/embedding.hpp"
#include "layers/instance_norm.hpp"
#include "layers/layer.hpp"
#include "layers/linear.hpp"
#include "layers/minibatch_stddev.hpp"
#include "layers/padding.hpp"
#include "layers/reshape.hpp"
#include "layers/sequential.hpp"
#include "layers/spectral_norm.hpp"
#include "layers/upsample.hpp"
