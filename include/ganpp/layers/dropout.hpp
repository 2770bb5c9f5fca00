// SPDX-License-Identifier: MIT
/// @file
/// Dropout: zeroes each element with probability p in train mode and scales the rest by 1/(1-p).
#pragma once

#include "layer.hpp"

namespace ganpp {

/// Inverted dropout. Draws its masks from its own seeded generator, saved with rng_state() for exact resume.
template <typename Scalar = float>
class Dropout : public Layer<Scalar> {
 public:
  /// @param p probability of zeroing an element in train mode, in [0, 1); kept elements are scaled by 1 / (1 - p).
  /// @param seed seed of the layer's own mask generator.
  /// @throws argument_error when p is outside [0, 1).
  explicit Dropout(double p = 0.5, std::uint64_t seed = 0) : p_(p), rng_(seed) {
    if (!(p >= 0.0 && p < 1.0)) throw argument_error("Dropout::Dropout(): p must be in [0, 1), got " + std::to_string(p));
  }
  std::string name() const override { return "Dropout(" + std::to_string(p_) + ")"; }
  Shape output_shape(const Shape& in) const override { return in; }

  /// Train mode: zeroes each element with probability p and scales the rest by 1 / (1 - p). Eval mode (or p = 0):
  /// copies x. The output has x's shape.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    output_.resize(x.shape());
    mask_.resize(x.shape());
    if (!this->training_ || p_ == 0.0) {
      mask_.fill(Scalar(1));
    } else {
      const Scalar keep_scale = Scalar(1.0 / (1.0 - p_));
      for (Scalar& m : mask_) m = rng_.uniform() < p_ ? Scalar(0) : keep_scale;
    }
    output_.array() = x.array() * mask_.array();
    return output_;
  }
  /// dy times the last forward()'s mask.
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    this->check_grad(dy, output_.shape());
    grad_input_.resize(dy.shape());
    grad_input_.array() = dy.array() * mask_.array();
    return grad_input_;
  }
  std::string rng_state() const override { return rng_.state(); }
  /// Restores the mask generator from a state returned by rng_state().
  void set_rng_state(const std::string& s) override { rng_.set_state(s); }

 private:
  double p_;
  Rng rng_;
  Tensor<Scalar> output_, grad_input_, mask_;
};

}  // namespace ganpp
