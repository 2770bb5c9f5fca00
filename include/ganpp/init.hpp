// SPDX-License-Identifier: MIT
/// @file
/// Weight initialisers: PyTorch's default, normal(0, 0.02) as in DCGAN, Xavier/Glorot and Kaiming/He.
#pragma once

#include "random.hpp"
#include "tensor.hpp"

#include <cmath>

namespace ganpp {

/// How a layer draws its initial weights. Biases start at zero except under Init::torch_default.
enum class Init {
  torch_default,  ///< U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases, as PyTorch's layers do.
  dcgan,          ///< N(0, 0.02) weights; BatchNorm scale N(1, 0.02) (Radford et al. 2015).
  xavier,         ///< U(-a, a), a = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010).
  kaiming,        ///< N(0, 2 / fan_in), for ReLU networks (He et al. 2015).
};

/// The initialisers behind the layers' reset_parameters(), for writing new layers. fan_in counts the inputs that feed
/// one output and fan_out the outputs one input feeds: in_features and out_features for Linear, in_channels * k * k
/// and out_channels * k * k for Conv2d.
namespace init {

/// Fills a weight tensor by the given scheme.
template <typename Scalar>
void weight(Tensor<Scalar>& w, Init scheme, Index fan_in, Index fan_out, Rng& rng) {
  const double fi = static_cast<double>(std::max<Index>(fan_in, 1));
  const double fo = static_cast<double>(std::max<Index>(fan_out, 1));
  switch (scheme) {
    case Init::torch_default: {
      const double bound = 1.0 / std::sqrt(fi);
      rng.fill_uniform(w, -bound, bound);
      break;
    }
    case Init::dcgan: rng.fill_normal(w, 0.0, 0.02); break;
    case Init::xavier: {
      const double a = std::sqrt(6.0 / (fi + fo));
      rng.fill_uniform(w, -a, a);
      break;
    }
    case Init::kaiming: rng.fill_normal(w, 0.0, std::sqrt(2.0 / fi)); break;
  }
}

/// Fills a bias tensor: uniform in +-1/sqrt(fan_in) under torch_default, zero otherwise.
template <typename Scalar>
void bias(Tensor<Scalar>& b, Init scheme, Index fan_in, Rng& rng) {
  if (scheme == Init::torch_default) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(std::max<Index>(fan_in, 1)));
    rng.fill_uniform(b, -bound, bound);
  } else {
    b.set_zero();
  }
}

}  // namespace init
}  // namespace ganpp
