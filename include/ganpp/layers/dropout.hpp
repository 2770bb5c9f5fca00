// SPDX-License-Identifier: MIT
/// @file
/// Dropout: zeroes each element with probability p in train mode and scales the rest by 1/(1-p).
#pragma once

#include "layer.hpp"

namespace ganpp {

/// When Dropout drops.
enum class DropoutMode {
  train_only,  ///< in train mode only; eval mode passes the input through (PyTorch's nn.Dropout)
  /// in eval mode too: pix2pix's generator keeps its dropout at test time as its only source of noise (Isola et al.
  /// 2017, "Image-to-Image Translation with Conditional Adversarial Networks", section 3.1).
  always,
};

/// Inverted dropout. Draws its masks from its own seeded generator, saved with rng_state() for exact resume.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class Dropout : public Layer<Scalar> {
 public:
  /// @param p probability of zeroing an element, in [0, 1); kept elements are scaled by 1 / (1 - p).
  /// @param seed seed of the layer's own mask generator.
  /// @param mode whether eval mode drops too (DropoutMode::always) or passes the input through (the default).
  /// @throws argument_error when p is outside [0, 1).
  explicit Dropout(double p = 0.5, std::uint64_t seed = 0, DropoutMode mode = DropoutMode::train_only) : p_(p), mode_(mode), rng_(seed) {
    if (!(p >= 0.0 && p < 1.0)) throw argument_error("Dropout::Dropout(): p must be in [0, 1), got " + std::to_string(p));
  }
  std::string name() const override { return "Dropout(" + std::to_string(p_) + (mode_ == DropoutMode::always ? ", always)" : ")"); }
  /// Whether eval mode drops too.
  DropoutMode mode() const { return mode_; }
  Shape output_shape(const Shape& in) const override { return in; }

  /// Train mode (and eval mode under DropoutMode::always): zeroes each element with probability p and scales the
  /// rest by 1 / (1 - p). Eval mode under DropoutMode::train_only (or p = 0): copies x. The output has x's shape.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    output_.resize(x.shape());
    mask_.resize(x.shape());
    if ((!this->training_ && mode_ == DropoutMode::train_only) || p_ == 0.0) {
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
  DropoutMode mode_;
  Rng rng_;
  Tensor<Scalar> output_, grad_input_, mask_;
};

}  // namespace ganpp
