// SPDX-License-Identifier: MIT
/// @file
/// MaxPool2d and AvgPool2d: max and average pooling of (N, C, H, W) images, as torch.nn.MaxPool2d and AvgPool2d.
#pragma once

#include "../detail/parallel.hpp"
#include "layer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace ganpp {

namespace detail {

/// What MaxPool2d and AvgPool2d share: the window geometry, its checks, the output shape and the name.
/// @tparam Scalar float or double.
template <typename Scalar>
class Pool2dBase : public Layer<Scalar> {
 public:
  std::string name() const override {
    return std::string(kind_) + "(k" + std::to_string(kernel_) + " s" + std::to_string(stride_) + " p" + std::to_string(padding_) + ")";
  }
  /// (N, C, (H + 2p - k) / s + 1, (W + 2p - k) / s + 1), rounded down as in PyTorch's default (ceil_mode=False).
  /// @throws shape_error unless the input is rank 4 with H + 2p >= k and W + 2p >= k.
  Shape output_shape(const Shape& in) const override {
    this->require(in.rank() == 4 && in[2] + 2 * padding_ >= kernel_ && in[3] + 2 * padding_ >= kernel_, in, [&] {
      return "(N, C, H, W) with H, W + 2*" + std::to_string(padding_) + " >= " + std::to_string(kernel_);
    });
    return Shape{in[0], in[1], (in[2] + 2 * padding_ - kernel_) / stride_ + 1, (in[3] + 2 * padding_ - kernel_) / stride_ + 1};
  }

  /// Side of the square window, in pixels.
  Index kernel() const { return kernel_; }
  /// Step between windows, in pixels.
  Index stride() const { return stride_; }
  /// Implicit padding on each side, in pixels.
  Index padding() const { return padding_; }

 protected:
  /// @param kind "MaxPool2d" or "AvgPool2d", for names and messages.
  /// @param kernel window side.
  /// @param stride step between windows; 0 means the kernel side (PyTorch's stride=None).
  /// @param padding implicit padding on each side, at most kernel / 2 (PyTorch's rule).
  /// @throws argument_error for a kernel below 1, a negative stride, or a padding outside [0, kernel / 2].
  Pool2dBase(const char* kind, Index kernel, Index stride, Index padding)
      : kind_(kind), kernel_(kernel), stride_(stride == 0 ? kernel : stride), padding_(padding) {
    if (kernel < 1 || stride < 0 || padding < 0 || padding > kernel / 2)
      throw argument_error(std::string(kind) + "::" + kind + "(): expected kernel >= 1, stride >= 0 (0: the kernel) and 0 <= padding <= kernel / 2, got kernel " +
                           std::to_string(kernel) + ", stride " + std::to_string(stride) + ", padding " + std::to_string(padding));
  }

  /// The clipped window of output index o along an axis of `size` input pixels: [begin, end).
  void window(Index o, Index size, Index& begin, Index& end) const {
    const Index start = o * stride_ - padding_;
    begin = std::max<Index>(start, 0);
    end = std::min(start + kernel_, size);
  }
  /// Calls f(o, h0, h1, w0, w1) for each output pixel o of an oh x ow plane, with its clipped window: input rows
  /// [h0, h1) and columns [w0, w1) of an h x w plane.
  template <typename F>
  void for_each_window(Index h, Index w, Index oh, Index ow, F&& f) const {
    for (Index i = 0; i < oh; ++i) {
      Index h0, h1;
      window(i, h, h0, h1);
      for (Index j = 0; j < ow; ++j) {
        Index w0, w1;
        window(j, w, w0, w1);
        f(i * ow + j, h0, h1, w0, w1);
      }
    }
  }
  /// Sizes the output for x (allocating only when the size changes) and remembers x's shape for backward().
  void start_forward(const Tensor<Scalar>& x) {
    output_.resize(output_shape(x.shape()));
    input_shape_ = x.shape();
  }
  /// Calls f(plane) for each of the N * C planes, split across threads for large batches.
  template <typename F>
  void for_each_plane(F&& f) const {
    detail::parallel_for(input_shape_[0] * input_shape_[1], output_.size() > 8192, f);
  }

  const char* kind_;
  Index kernel_, stride_, padding_;
  Tensor<Scalar> output_, grad_input_;
  Shape input_shape_;
};

}  // namespace detail

/// Max pooling of (N, C, H, W) inputs, as torch.nn.MaxPool2d(kernel, stride, padding) with dilation 1 and
/// ceil_mode=False: each output pixel is the largest input pixel of its kernel x kernel window (padding never wins;
/// a NaN in the window is the result, as in PyTorch). Output (N, C, (H + 2p - k) / s + 1, (W + 2p - k) / s + 1).
/// backward() sends each output gradient to the input pixel that won: the first one on ties, the last NaN when there
/// are NaNs (PyTorch's rule).
/// @tparam Scalar float or double.
template <typename Scalar = float>
class MaxPool2d : public detail::Pool2dBase<Scalar> {
  using Base = detail::Pool2dBase<Scalar>;
  using Base::output_, Base::grad_input_, Base::input_shape_;

 public:
  /// @param kernel window side.
  /// @param stride step between windows; 0 (the default) means the kernel side, as PyTorch's stride=None.
  /// @param padding implicit padding on each side, at most kernel / 2.
  /// @throws argument_error for a kernel below 1, a negative stride, or a padding outside [0, kernel / 2].
  explicit MaxPool2d(Index kernel, Index stride = 0, Index padding = 0) : Base("MaxPool2d", kernel, stride, padding) {}

  /// The maximum of every window; remembers where it was for backward().
  /// @throws shape_error as output_shape().
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    this->start_forward(x);
    const Index h = x.dim(2), w = x.dim(3), oh = output_.dim(2), ow = output_.dim(3);
    argmax_.resize(static_cast<std::size_t>(output_.size()));
    const bool two_by_two = this->kernel_ == 2 && this->stride_ == 2 && this->padding_ == 0;
    this->for_each_plane([&](Index g) {
      const Scalar* p = x.data() + g * h * w;
      Scalar* q = output_.data() + g * oh * ow;
      Index* where = argmax_.data() + g * oh * ow;
      if (!two_by_two) {
        this->for_each_window(h, w, oh, ow, [&](Index o, Index h0, Index h1, Index w0, Index w1) { where[o] = winner(p, w, h0, h1, w0, w1, q[o]); });
        return;
      }
      for (Index i = 0; i < oh; ++i) {  // the usual case, without the window arithmetic: the same result
        const Index top = 2 * i * w, bottom = top + w;
        for (Index j = 0; j < ow; ++j) {
          Scalar best = p[top + 2 * j];
          Index at = top + 2 * j;
          take(p[top + 2 * j + 1], top + 2 * j + 1, best, at);
          take(p[bottom + 2 * j], bottom + 2 * j, best, at);
          take(p[bottom + 2 * j + 1], bottom + 2 * j + 1, best, at);
          q[i * ow + j] = best;
          where[i * ow + j] = at;
        }
      }
    });
    return output_;
  }

  /// Each input pixel collects the gradients of the outputs it won. Returns an empty tensor when the input gradient
  /// is off.
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    this->check_grad(dy, output_.shape());
    if (this->skip_input_grad(grad_input_, input_shape_)) return grad_input_;
    const Index in_plane = input_shape_[2] * input_shape_[3], out_plane = dy.dim(2) * dy.dim(3);
    this->for_each_plane([&](Index g) {
      Scalar* p = grad_input_.data() + g * in_plane;
      const Scalar* d = dy.data() + g * out_plane;
      const Index* where = argmax_.data() + g * out_plane;
      std::fill(p, p + in_plane, Scalar(0));
      for (Index o = 0; o < out_plane; ++o) p[where[o]] += d[o];
    });
    return grad_input_;
  }

 private:
  // The first largest pixel of the window rows [h0, h1) x columns [w0, w1) of a plane w pixels wide, or its last
  // NaN (PyTorch's rule); its value goes to best.
  static Index winner(const Scalar* plane, Index w, Index h0, Index h1, Index w0, Index w1, Scalar& best) {
    best = -std::numeric_limits<Scalar>::infinity();
    Index at = h0 * w + w0;
    for (Index r = h0; r < h1; ++r)
      for (Index c = w0; c < w1; ++c) take(plane[r * w + c], r * w + c, best, at);
    return at;
  }
  // PyTorch's rule, pixel by pixel in row-major order: a larger value or a NaN replaces the winner.
  static void take(Scalar v, Index i, Scalar& best, Index& at) {
    if (v > best || std::isnan(v)) {
      best = v;
      at = i;
    }
  }

  std::vector<Index> argmax_;  // per output pixel, the winner's index within its input plane
};

/// Average pooling of (N, C, H, W) inputs, as torch.nn.AvgPool2d(kernel, stride, padding, ceil_mode=False,
/// count_include_pad): each output pixel is the mean of its kernel x kernel window, the padding counted as zeros
/// (count_include_pad, PyTorch's default: always divided by kernel * kernel) or left out (divided by the number of
/// input pixels in the window). Output (N, C, (H + 2p - k) / s + 1, (W + 2p - k) / s + 1).
/// @tparam Scalar float or double.
template <typename Scalar = float>
class AvgPool2d : public detail::Pool2dBase<Scalar> {
  using Base = detail::Pool2dBase<Scalar>;
  using Base::output_, Base::grad_input_, Base::input_shape_, Base::kernel_;

 public:
  /// @param kernel window side.
  /// @param stride step between windows; 0 (the default) means the kernel side, as PyTorch's stride=None.
  /// @param padding implicit padding on each side, at most kernel / 2.
  /// @param count_include_pad divide by kernel * kernel (true, PyTorch's default) or by the input pixels in the window.
  /// @throws argument_error for a kernel below 1, a negative stride, or a padding outside [0, kernel / 2].
  explicit AvgPool2d(Index kernel, Index stride = 0, Index padding = 0, bool count_include_pad = true)
      : Base("AvgPool2d", kernel, stride, padding), count_include_pad_(count_include_pad) {}

  /// Whether the padding counts in the divisor (see the constructor).
  bool count_include_pad() const { return count_include_pad_; }

  /// The mean of every window.
  /// @throws shape_error as output_shape().
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    this->start_forward(x);
    const Index h = x.dim(2), w = x.dim(3), oh = output_.dim(2), ow = output_.dim(3);
    this->for_each_plane([&](Index g) {
      const Scalar* p = x.data() + g * h * w;
      Scalar* q = output_.data() + g * oh * ow;
      this->for_each_window(h, w, oh, ow, [&](Index o, Index h0, Index h1, Index w0, Index w1) {
        Scalar sum = 0;
        for (Index r = h0; r < h1; ++r)
          for (Index c = w0; c < w1; ++c) sum += p[r * w + c];
        q[o] = sum / divisor(h0, h1, w0, w1);
      });
    });
    return output_;
  }

  /// Each input pixel collects its share (1 / divisor) of the gradient of every window it is in. Returns an empty
  /// tensor when the input gradient is off.
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    this->check_grad(dy, output_.shape());
    if (this->skip_input_grad(grad_input_, input_shape_)) return grad_input_;
    const Index h = input_shape_[2], w = input_shape_[3], oh = dy.dim(2), ow = dy.dim(3);
    this->for_each_plane([&](Index g) {
      Scalar* p = grad_input_.data() + g * h * w;
      const Scalar* d = dy.data() + g * oh * ow;
      std::fill(p, p + h * w, Scalar(0));
      this->for_each_window(h, w, oh, ow, [&](Index o, Index h0, Index h1, Index w0, Index w1) {
        const Scalar share = d[o] / divisor(h0, h1, w0, w1);
        for (Index r = h0; r < h1; ++r)
          for (Index c = w0; c < w1; ++c) p[r * w + c] += share;
      });
    });
    return grad_input_;
  }

 private:
  Scalar divisor(Index h0, Index h1, Index w0, Index w1) const {
    return static_cast<Scalar>(count_include_pad_ ? kernel_ * kernel_ : (h1 - h0) * (w1 - w0));
  }

  bool count_include_pad_;
};

}  // namespace ganpp
