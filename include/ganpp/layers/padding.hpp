// SPDX-License-Identifier: MIT
/// @file
/// ReflectionPad2d: pads an image with its own mirror image, without repeating the edge, as torch.nn.ReflectionPad2d;
/// Crop1d, its opposite for sequences: keeps a stretch of every (N, C, L) sequence.
#pragma once

#include "../detail/parallel.hpp"
#include "layer.hpp"

#include <algorithm>
#include <vector>

namespace ganpp {

/// Reflection padding of (N, C, H, W) inputs, as torch.nn.ReflectionPad2d: the padded row -k is row k and row
/// H - 1 + k is row H - 1 - k (the edge itself is not repeated), likewise for columns. CycleGAN's and pix2pix's
/// ResNet generators put it before their convolutions instead of zero padding, which avoids dark borders.
/// Each padding must be smaller than the input dimension it pads, as in PyTorch.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class ReflectionPad2d : public Layer<Scalar> {
 public:
  /// The same padding on all four sides.
  /// @param padding rows or columns added on each side.
  /// @throws argument_error for a negative padding.
  explicit ReflectionPad2d(Index padding) : ReflectionPad2d(padding, padding, padding, padding) {}
  /// Separate paddings, in PyTorch's order (left, right, top, bottom).
  /// @param left columns added on the left.
  /// @param right columns added on the right.
  /// @param top rows added at the top.
  /// @param bottom rows added at the bottom.
  /// @throws argument_error for a negative padding.
  ReflectionPad2d(Index left, Index right, Index top, Index bottom) : left_(left), right_(right), top_(top), bottom_(bottom) {
    if (left < 0 || right < 0 || top < 0 || bottom < 0)
      throw argument_error("ReflectionPad2d::ReflectionPad2d(): paddings must be non-negative in " + name());
  }

  std::string name() const override {
    if (left_ == right_ && left_ == top_ && left_ == bottom_) return "ReflectionPad2d(" + std::to_string(left_) + ")";
    return "ReflectionPad2d(" + std::to_string(left_) + ", " + std::to_string(right_) + ", " + std::to_string(top_) + ", " + std::to_string(bottom_) +
           ")";
  }
  /// (N, C, H + top + bottom, W + left + right).
  /// @throws shape_error unless the input is rank 4 with each padding smaller than the dimension it pads.
  Shape output_shape(const Shape& in) const override {
    this->require(in.rank() == 4 && std::max(top_, bottom_) < in[2] && std::max(left_, right_) < in[3], in, [&] {
      return "(N, C, H, W) with H > " + std::to_string(std::max(top_, bottom_)) + " and W > " + std::to_string(std::max(left_, right_));
    });
    return Shape{in[0], in[1], in[2] + top_ + bottom_, in[3] + left_ + right_};
  }

  /// Copies x into the middle of the output and its reflections into the borders.
  /// @throws shape_error as output_shape().
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    output_.resize(output_shape(x.shape()));
    make_table(rows_, x.dim(2), top_, output_.dim(2));
    make_table(cols_, x.dim(3), left_, output_.dim(3));
    const Index in_plane = x.dim(2) * x.dim(3), out_plane = output_.dim(2) * output_.dim(3), ow = output_.dim(3);
    detail::parallel_for(x.dim(0) * x.dim(1), output_.size() > 32768, [&](Index g) {
      const Scalar* p = x.data() + g * in_plane;
      Scalar* q = output_.data() + g * out_plane;
      for (std::size_t h = 0; h < rows_.size(); ++h) {
        const Scalar* row = p + rows_[h] * x.dim(3);
        for (std::size_t w = 0; w < cols_.size(); ++w) q[static_cast<Index>(h) * ow + static_cast<Index>(w)] = row[cols_[w]];
      }
    });
    input_shape_ = x.shape();
    return output_;
  }

  /// Each input element collects the gradients of every output position that copies it. Returns an empty tensor
  /// when the input gradient is off.
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    this->check_grad(dy, output_.shape());
    if (this->skip_input_grad(grad_input_, input_shape_)) return grad_input_;
    const Index in_plane = input_shape_[2] * input_shape_[3], out_plane = dy.dim(2) * dy.dim(3), ow = dy.dim(3);
    detail::parallel_for(input_shape_[0] * input_shape_[1], dy.size() > 32768, [&](Index g) {
      Scalar* p = grad_input_.data() + g * in_plane;
      const Scalar* q = dy.data() + g * out_plane;
      std::fill(p, p + in_plane, Scalar(0));
      for (std::size_t h = 0; h < rows_.size(); ++h) {
        Scalar* row = p + rows_[h] * input_shape_[3];
        for (std::size_t w = 0; w < cols_.size(); ++w) row[cols_[w]] += q[static_cast<Index>(h) * ow + static_cast<Index>(w)];
      }
    });
    return grad_input_;
  }

 private:
  // table[o] = the input index that output index o copies; resized only when the shape changes.
  static void make_table(std::vector<Index>& table, Index in, Index before, Index out) {
    table.resize(static_cast<std::size_t>(out));
    for (Index o = 0; o < out; ++o) {
      Index i = o - before;
      if (i < 0) i = -i;
      if (i >= in) i = 2 * (in - 1) - i;
      table[static_cast<std::size_t>(o)] = i;
    }
  }

  Index left_, right_, top_, bottom_;
  std::vector<Index> rows_, cols_;
  Tensor<Scalar> output_, grad_input_;
  Shape input_shape_;
};

/// Keeps steps [begin, begin + length) of every (N, C, L) sequence: (N, C, length). A generator that makes longer
/// sequences than it needs and keeps their middle gives windows whose every step is as far from the zero padding of
/// its convolutions as any other, so that no step can be told apart by its position.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class Crop1d : public Layer<Scalar> {
 public:
  /// @param begin the first step kept.
  /// @param length how many steps are kept.
  /// @throws argument_error for a negative begin or a length below 1.
  Crop1d(Index begin, Index length) : begin_(begin), length_(length) {
    if (begin < 0 || length < 1) throw argument_error("Crop1d::Crop1d(): begin must be >= 0 and length >= 1 in " + name());
  }
  std::string name() const override { return "Crop1d(" + std::to_string(begin_) + ", " + std::to_string(length_) + ")"; }
  /// (N, C, length).
  /// @throws shape_error unless the input is (N, C, L) with L >= begin + length.
  Shape output_shape(const Shape& in) const override {
    this->require(in.rank() == 3 && in[2] >= begin_ + length_, in, [&] { return "(N, C, L) with L >= " + std::to_string(begin_ + length_); });
    return Shape{in[0], in[1], length_};
  }
  /// Copies steps [begin, begin + length) of every sequence of x.
  /// @throws shape_error as output_shape().
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    output_.resize(output_shape(x.shape()));
    const Index rows = x.dim(0) * x.dim(1), in_len = x.dim(2);
    for (Index r = 0; r < rows; ++r) std::copy_n(x.data() + r * in_len + begin_, length_, output_.data() + r * length_);
    input_shape_ = x.shape();
    return output_;
  }
  /// The gradient of the kept steps; zero for the cropped ones. Returns an empty tensor when the input gradient is
  /// off.
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    this->check_grad(dy, output_.shape());
    if (this->skip_input_grad(grad_input_, input_shape_)) return grad_input_;
    grad_input_.resize(input_shape_);
    grad_input_.set_zero();
    const Index rows = input_shape_[0] * input_shape_[1], in_len = input_shape_[2];
    for (Index r = 0; r < rows; ++r) std::copy_n(dy.data() + r * length_, length_, grad_input_.data() + r * in_len + begin_);
    return grad_input_;
  }

 private:
  Index begin_, length_;
  Tensor<Scalar> output_, grad_input_;
  Shape input_shape_;
};

}  // namespace ganpp
