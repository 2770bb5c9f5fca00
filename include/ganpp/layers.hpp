// SPDX-License-Identifier: MIT
/// @file
/// Every layer, and the containers: Sequential, SpectralNorm, Residual, SkipConcat.
#pragma once

#include "layers/activation.hpp"
#include "layers/batch_norm.hpp"
#include "layers/container.hpp"
#include "layers/conv2d.hpp"
#include "layers/dropout.hpp"
#include "layers/embedding.hpp"
#include "layers/instance_norm.hpp"
#include "layers/layer.hpp"
#include "layers/linear.hpp"
#include "layers/minibatch_stddev.hpp"
#include "layers/padding.hpp"
#include "layers/pixel_shuffle.hpp"
#include "layers/pooling.hpp"
#include "layers/prelu.hpp"
#include "layers/reshape.hpp"
#include "layers/residual.hpp"
#include "layers/sequential.hpp"
#include "layers/skip_concat.hpp"
#include "layers/spectral_norm.hpp"
#include "layers/upsample.hpp"
