// SPDX-License-Identifier: MIT
// Parameter and Buffer: the named tensors a model exposes to optimizers and checkpoints.
#pragma once

#include "tensor.hpp"

#include <string>

namespace ganpp {

/// A trainable tensor and the gradient accumulated for it, as a layer exposes them to optimizers.
/// @tparam Scalar float or double.
template <typename Scalar>
struct Parameter {
  std::string name;
  Tensor<Scalar>* value;
  Tensor<Scalar>* grad;
};

/// A named non-trainable tensor a layer keeps between steps (BatchNorm's running statistics); saved in checkpoints.
/// @tparam Scalar float or double.
template <typename Scalar>
struct Buffer {
  std::string name;
  Tensor<Scalar>* value;
};

}  // namespace ganpp
