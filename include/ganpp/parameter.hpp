// SPDX-License-Identifier: MIT
/// @file
/// Parameter and Buffer: the named tensors a model exposes to optimizers and checkpoints.
#pragma once

#include "tensor.hpp"

#include <string>

namespace ganpp {

/// A trainable tensor and the gradient accumulated for it, as a layer exposes them to optimizers.
/// @tparam Scalar float or double.
template <typename Scalar>
struct Parameter {
  /// Name within the layer ("weight", "bias"), prefixed by containers: "0.weight" in a Sequential.
  std::string name;
  /// The parameter's values; owned by the layer, valid while the layer lives.
  Tensor<Scalar>* value;
  /// The accumulated dLoss/dvalue, same shape as value; owned by the layer. backward() adds to it, zero_grad() clears it.
  Tensor<Scalar>* grad;
  /// Multiplies the optimizer's learning rate for this parameter (1 by default): StyleGAN's mapping network trains
  /// at 0.01 times the synthesis network's rate. Every optimizer applies lr * lr_scale; containers keep it.
  double lr_scale = 1.0;
};

/// A named non-trainable tensor a layer keeps between steps (BatchNorm's running statistics); saved in checkpoints.
/// @tparam Scalar float or double.
template <typename Scalar>
struct Buffer {
  /// Name within the layer ("running_mean"), prefixed by containers like a Parameter's.
  std::string name;
  /// The buffer's values; owned by the layer, valid while the layer lives.
  Tensor<Scalar>* value;
};

}  // namespace ganpp
