// SPDX-License-Identifier: MIT
/// @file
/// PReLU: a leaky ReLU whose negative slope is learned, one slope for all channels or one per channel.
#pragma once

#include "layer.hpp"

#include <string>

namespace ganpp {

/// Parametric ReLU (He et al. 2015, "Delving deep into rectifiers"), as PyTorch's nn.PReLU:
/// y = x for x > 0 and y = a_c * x otherwise, with a learned slope a_c for channel c (dimension 1 of the input).
/// With num_parameters = 1 one slope is shared by every channel and the input may have any rank; with
/// num_parameters = C the input must be (N, C), (N, C, L) or (N, C, H, W). SRGAN's generator uses it as its
/// activation (Ledig et al. 2017).
/// @tparam Scalar float or double.
template <typename Scalar = float>
class PReLU : public Layer<Scalar> {
 public:
  /// @param num_parameters 1 (one shared slope) or the number of channels C.
  /// @param init the initial slope of every channel (PyTorch's default 0.25); also what reset_parameters() restores.
  /// @throws argument_error for num_parameters < 1.
  explicit PReLU(Index num_parameters = 1, Scalar init = Scalar(0.25))
      : num_(num_parameters), init_(init), weight_(Shape{num_parameters < 1 ? 0 : num_parameters}, init), weight_grad_(weight_.shape()) {
    if (num_parameters < 1) throw argument_error("PReLU::PReLU(): num_parameters must be positive, got " + std::to_string(num_parameters));
  }

  /// "PReLU(num_parameters)".
  std::string name() const override { return "PReLU(" + std::to_string(num_) + ")"; }
  /// The input's shape.
  /// @throws shape_error for an unbatched input, or one whose dimension 1 is not num_parameters (when it is > 1).
  Shape output_shape(const Shape& in) const override {
    if (num_ == 1) this->require(in.rank() >= 1, in, [] { return std::string("a batched input"); });
    else this->require(in.rank() >= 2 && in[1] == num_, in, [&] { return "(N, " + std::to_string(num_) + ", ...)"; });
    return in;
  }

  /// Applies the slopes into an output the layer owns. Keeps a pointer to x for backward(), so x must stay alive
  /// and unchanged until then.
  /// @throws shape_error when output_shape() rejects x's shape.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    output_.resize(output_shape(x.shape()));
    input_ = &x;
    for_each_channel(x.shape(), [&](Index begin, Index size, Index c) {
      const Scalar a = weight_[c];
      auto in = x.array().segment(begin, size);
      output_.array().segment(begin, size) = (in > Scalar(0)).select(in, a * in);
    });
    return output_;
  }

  /// Adds the slope gradients (unless frozen) and returns dLoss/dx, or an empty tensor when set_input_grad(false).
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    this->check_grad(dy, output_.shape());
    GANPP_ASSERT(input_ != nullptr);
    const Tensor<Scalar>& x = *input_;
    if (!this->frozen_)
      for_each_channel(x.shape(), [&](Index begin, Index size, Index c) {
        auto in = x.array().segment(begin, size);
        // dy/da = x where x <= 0, 0 elsewhere.
        weight_grad_[c] += (in > Scalar(0)).select(Scalar(0), in * dy.array().segment(begin, size)).sum();
      });
    if (!this->input_grad_) {
      grad_input_.resize(Shape{0});
      return grad_input_;
    }
    grad_input_.resize(x.shape());
    for_each_channel(x.shape(), [&](Index begin, Index size, Index c) {
      const Scalar a = weight_[c];
      auto g = dy.array().segment(begin, size);
      grad_input_.array().segment(begin, size) = (x.array().segment(begin, size) > Scalar(0)).select(g, a * g);
    });
    return grad_input_;
  }

  /// The slopes, named "weight" as in PyTorch: shape (num_parameters).
  std::vector<Parameter<Scalar>> parameters() override { return {{"weight", &weight_, &weight_grad_}}; }
  /// Sets every slope back to the constructor's init, whatever the scheme (PyTorch initialises PReLU the same way).
  void reset_parameters(Init /*scheme*/, Rng& /*rng*/) override { weight_.fill(init_); }
  /// The slopes, shape (num_parameters), to read or set.
  Tensor<Scalar>& weight() { return weight_; }
  /// 1 (one shared slope) or the channel count.
  Index num_parameters() const { return num_; }

 private:
  // Calls f(begin, size, c) for each contiguous run of elements that shares slope c: the whole tensor when there is
  // one slope, else each (sample, channel) block of the row-major layout.
  template <typename F>
  void for_each_channel(const Shape& s, F f) const {
    if (num_ == 1) {
      f(0, s.numel(), 0);
      return;
    }
    const Index block = s.sample_size() / num_;
    for (Index n = 0; n < s[0]; ++n)
      for (Index c = 0; c < num_; ++c) f((n * num_ + c) * block, block, c);
  }

  Index num_;
  Scalar init_;
  Tensor<Scalar> weight_, weight_grad_;
  Tensor<Scalar> output_, grad_input_;
  const Tensor<Scalar>* input_ = nullptr;
};

}  // namespace ganpp
