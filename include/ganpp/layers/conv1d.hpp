// SPDX-License-Identifier: MIT
/// @file
/// Conv1d and ConvTranspose1d: 1-d convolutions over (N, C, L) sequences, on the same im2col and batched GEMM as
/// Conv2d and ConvTranspose2d (a 1 x kernel window over a one-row image).
#pragma once

#include "conv2d.hpp"

namespace ganpp {

/// 1-d convolution (cross-correlation, as PyTorch's Conv1d). Input (N, Cin, L); weight (Cout, Cin, k); output
/// (N, Cout, (L + 2p - k) / s + 1). ConvOptions::kernel is the kernel length.
template <typename Scalar = float>
class Conv1d : public detail::ConvBase<Scalar> {
  using Base = detail::ConvBase<Scalar>;
  using Base::o_, Base::geom_;

 public:
  /// Initialises the weight and bias with Init::torch_default from Rng(0); call reset_parameters() for another draw.
  /// @param o channels, kernel length, stride, padding and bias; output_padding must be 0.
  /// @throws argument_error for non-positive channels, kernel or stride, negative padding, or a non-zero output_padding.
  explicit Conv1d(const ConvOptions& o) : Base("Conv1d", o, Shape{o.out_channels, o.in_channels, o.kernel}) {
    if (o.output_padding != 0) throw argument_error("Conv1d::Conv1d(): output_padding applies to ConvTranspose1d only");
    Rng rng(0);
    reset_parameters(Init::torch_default, rng);
  }

  std::string name() const override { return detail::conv_name("Conv1d", o_); }
  Shape output_shape(const Shape& in) const override {
    this->require(in.rank() == 3 && in[1] == o_.in_channels && in[2] + 2 * o_.padding >= o_.kernel, in,
                  [&] { return std::string("(N, " + std::to_string(o_.in_channels) + ", L) with L + 2*padding >= kernel"); });
    return Shape{in[0], o_.out_channels, (in[2] + 2 * o_.padding - o_.kernel) / o_.stride + 1};
  }

  /// Convolves a (N, Cin, L) batch into (N, Cout, (L + 2p - k) / s + 1); keeps the unfolded input for backward().
  /// @throws shape_error when x is not (N, Cin, L) with L + 2 * padding >= kernel.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    const Shape out = output_shape(x.shape());
    geom_ = {o_.in_channels, 1, x.dim(2), o_.kernel, o_.stride, o_.padding, 1, out[2], true};
    return this->correlate_forward(x, out);
  }

  /// Accumulates the weight and bias gradients (unless frozen) and returns the (N, Cin, L) input gradient (empty
  /// when the input gradient is off).
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override { return this->correlate_backward(dy); }

  void reset_parameters(Init scheme, Rng& rng) override { this->init_parameters(scheme, rng, o_.in_channels * o_.kernel, o_.out_channels * o_.kernel); }
};

/// Transposed 1-d convolution (the adjoint of Conv1d, as PyTorch's ConvTranspose1d). Input (N, Cin, L); weight
/// (Cin, Cout, k); output (N, Cout, (L - 1) * stride - 2 * padding + kernel + output_padding).
template <typename Scalar = float>
class ConvTranspose1d : public detail::ConvBase<Scalar> {
  using Base = detail::ConvBase<Scalar>;
  using Base::o_, Base::geom_;

 public:
  /// Initialises the weight and bias with Init::torch_default from Rng(0); call reset_parameters() for another draw.
  /// @param o channels, kernel length, stride, padding, output_padding and bias.
  /// @throws argument_error for non-positive channels, kernel or stride, negative padding, or output_padding >= stride.
  explicit ConvTranspose1d(const ConvOptions& o) : Base("ConvTranspose1d", o, Shape{o.in_channels, o.out_channels, o.kernel}) {
    if (o.output_padding >= o.stride && o.output_padding >= 1)
      throw argument_error("ConvTranspose1d::ConvTranspose1d(): output_padding must be smaller than stride in " + name());
    Rng rng(0);
    reset_parameters(Init::torch_default, rng);
  }

  std::string name() const override { return detail::conv_name("ConvTranspose1d", o_); }
  Shape output_shape(const Shape& in) const override {
    this->require(in.rank() == 3 && in[1] == o_.in_channels, in, [&] { return std::string("(N, " + std::to_string(o_.in_channels) + ", L)"); });
    const Index ol = (in[2] - 1) * o_.stride - 2 * o_.padding + o_.kernel + o_.output_padding;
    this->require(ol >= 1, in, [&] { return std::string("an input long enough for a positive output length"); });
    return Shape{in[0], o_.out_channels, ol};
  }

  /// Maps a (N, Cin, L) batch to (N, Cout, (L - 1) * s - 2p + k + output_padding).
  /// @throws shape_error when x is not (N, Cin, L) or the output length would not be positive.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    const Shape out = output_shape(x.shape());
    geom_ = {o_.out_channels, 1, out[2], o_.kernel, o_.stride, o_.padding, 1, x.dim(2), true};
    return this->transpose_forward(x, out);
  }

  /// Accumulates the weight and bias gradients (unless frozen) and returns the (N, Cin, L) input gradient (empty
  /// when the input gradient is off).
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override { return this->transpose_backward(dy); }

  /// PyTorch takes the fan-in of a transposed convolution from weight dimension 1 (out_channels * k).
  void reset_parameters(Init scheme, Rng& rng) override { this->init_parameters(scheme, rng, o_.out_channels * o_.kernel, o_.in_channels * o_.kernel); }
};

}  // namespace ganpp
