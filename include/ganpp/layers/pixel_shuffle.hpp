// SPDX-License-Identifier: MIT
/// @file
/// PixelShuffle: sub-pixel convolution's rearrangement of (N, C*r*r, H, W) into (N, C, H*r, W*r).
#pragma once

#include "layer.hpp"

#include <string>

namespace ganpp {

/// Rearranges channel blocks into space by an upscale factor r (Shi et al. 2016, "Real-time single image and video
/// super-resolution using an efficient sub-pixel convolutional neural network"), as PyTorch's nn.PixelShuffle:
/// out[n, c, h*r + i, w*r + j] = in[n, c*r*r + i*r + j, h, w]. A convolution to C*r*r channels followed by
/// PixelShuffle(r) is a learned r-fold upsampling (SRGAN's upsampling blocks). No parameters; backward is the inverse
/// rearrangement.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class PixelShuffle : public Layer<Scalar> {
 public:
  /// @param upscale_factor r, the factor by which height and width grow.
  /// @throws argument_error for r < 1.
  explicit PixelShuffle(Index upscale_factor) : r_(upscale_factor) {
    if (upscale_factor < 1)
      throw argument_error("PixelShuffle::PixelShuffle(): upscale_factor must be positive, got " + std::to_string(upscale_factor));
  }

  /// "PixelShuffle(r)".
  std::string name() const override { return "PixelShuffle(" + std::to_string(r_) + ")"; }
  /// (N, C / (r*r), H*r, W*r) for an input (N, C, H, W).
  /// @throws shape_error unless the input is (N, C, H, W) with C a positive multiple of r*r.
  Shape output_shape(const Shape& in) const override {
    this->require(in.rank() == 4 && in[1] > 0 && in[1] % (r_ * r_) == 0, in,
                  [&] { return "(N, C*" + std::to_string(r_ * r_) + ", H, W), channels a positive multiple of " + std::to_string(r_ * r_); });
    return Shape{in[0], in[1] / (r_ * r_), in[2] * r_, in[3] * r_};
  }

  /// Rearranges x into an output the layer owns; x need not be kept.
  /// @throws shape_error when output_shape() rejects x's shape.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    output_.resize(output_shape(x.shape()));
    input_shape_ = x.shape();
    const Scalar* in = x.data();
    Scalar* out = output_.data();
    for_each_pair([&](Index i, Index o) { out[o] = in[i]; });
    return output_;
  }

  /// The inverse rearrangement of dy, or an empty tensor when set_input_grad(false).
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    this->check_grad(dy, output_.shape());
    if (this->skip_input_grad(grad_input_, input_shape_)) return grad_input_;
    const Scalar* g = dy.data();
    Scalar* gin = grad_input_.data();
    for_each_pair([&](Index i, Index o) { gin[i] = g[o]; });
    return grad_input_;
  }

  /// r, the factor by which height and width grow.
  Index upscale_factor() const { return r_; }

 private:
  // Calls f(input index, output index) for every element of the last forward's input: a bijection, so both
  // directions are plain copies.
  template <typename F>
  void for_each_pair(F f) const {
    const Index n_batch = input_shape_[0], c_out = input_shape_[1] / (r_ * r_), h_in = input_shape_[2], w_in = input_shape_[3];
    const Index w_out = w_in * r_, plane_in = h_in * w_in, plane_out = plane_in * r_ * r_;
    for (Index n = 0; n < n_batch; ++n)
      for (Index c = 0; c < c_out; ++c)
        for (Index i = 0; i < r_; ++i)
          for (Index j = 0; j < r_; ++j) {
            const Index src = (n * c_out * r_ * r_ + c * r_ * r_ + i * r_ + j) * plane_in;
            const Index dst = (n * c_out + c) * plane_out + i * w_out + j;
            for (Index h = 0; h < h_in; ++h)
              for (Index w = 0; w < w_in; ++w) f(src + h * w_in + w, dst + h * r_ * w_out + w * r_);
          }
  }

  Index r_;
  Shape input_shape_;
  Tensor<Scalar> output_, grad_input_;
};

}  // namespace ganpp
