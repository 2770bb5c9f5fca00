// SPDX-License-Identifier: MIT
/// @file
/// SkipConcat: y = concat([x, f(x)]) along channels: the U-Net's skip connection, one level per block.
#pragma once

#include "container.hpp"

#include <algorithm>
#include <memory>
#include <utility>

namespace ganpp {

/// A U-Net level (Ronneberger et al. 2015; pix2pix, Isola et al. 2017): y = concat([x, inner(x)]) along dimension 1,
/// the channels of (N, C, H, W) tensors or the features of (N, F) ones. Nesting builds the whole U-Net from the
/// inside out: each level's inner layer is down-sampling, the next SkipConcat, and up-sampling. The child is named
/// "inner", so parameters read "inner.0.weight". backward() splits dL/dy: the x part goes straight to the input,
/// the inner(x) part through the inner layer, and the two input gradients are added.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class SkipConcat : public Container<Scalar> {
 public:
  /// @param inner f; its output must keep N (and H, W for images) and may change the channel count.
  /// @throws argument_error when inner is null.
  explicit SkipConcat(std::unique_ptr<Layer<Scalar>> inner) : Container<Scalar>("SkipConcat") {
    if (!inner) throw argument_error("SkipConcat::SkipConcat(): null inner layer");
    inner_ = &this->register_child("inner", std::move(inner));
  }

  std::string name() const override { return "SkipConcat(" + inner_->name() + ")"; }
  /// @throws shape_error naming this block and both shapes unless input and inner output are both (N, F) or both
  ///         (N, C, H, W) with the same N, H and W.
  Shape output_shape(const Shape& in) const override { return concat_shape(in, inner_->output_shape(in)); }
  /// concat([x, inner(x)]) along dimension 1; the inner layer may keep x for backward().
  /// @throws shape_error when the inner layer rejects x or its output cannot be concatenated with x.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    const Tensor<Scalar>& fx = inner_->forward(x);
    output_.resize(concat_shape(x.shape(), fx.shape()));
    const Index n = x.batch(), sx = x.size() / std::max<Index>(n, 1), sf = fx.size() / std::max<Index>(n, 1);
    for (Index b = 0; b < n; ++b) {
      Scalar* out = output_.data() + b * (sx + sf);
      std::copy(x.data() + b * sx, x.data() + (b + 1) * sx, out);
      std::copy(fx.data() + b * sf, fx.data() + (b + 1) * sf, out + sx);
    }
    input_shape_ = x.shape();
    inner_shape_ = fx.shape();
    return output_;
  }
  /// Splits dy along dimension 1, sends the inner part through the inner layer, and returns the x part plus the inner
  /// layer's input gradient (empty when this block's input gradient is off).
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    this->check_grad(dy, output_.shape());
    const Index n = dy.batch(), sf = inner_shape_.numel() / std::max<Index>(n, 1), sx = dy.size() / std::max<Index>(n, 1) - sf;
    grad_inner_.resize(inner_shape_);
    for (Index b = 0; b < n; ++b) {
      const Scalar* g = dy.data() + b * (sx + sf) + sx;
      std::copy(g, g + sf, grad_inner_.data() + b * sf);
    }
    const Tensor<Scalar>& g_inner = inner_->backward(grad_inner_);
    if (!this->input_grad_) {
      grad_input_.resize(Shape{0});
      return grad_input_;
    }
    grad_input_.resize(input_shape_);
    const bool through_inner = g_inner.shape() == input_shape_;  // else the inner layer's input gradient is off
    for (Index b = 0; b < n; ++b) {
      const Scalar* g = dy.data() + b * (sx + sf);
      Scalar* out = grad_input_.data() + b * sx;
      if (through_inner) {
        const Scalar* gi = g_inner.data() + b * sx;
        for (Index k = 0; k < sx; ++k) out[k] = g[k] + gi[k];
      } else {
        std::copy(g, g + sx, out);
      }
    }
    return grad_input_;
  }

  /// The inner layer, owned by this block.
  Layer<Scalar>& inner() { return *inner_; }

 private:
  Shape concat_shape(const Shape& x, const Shape& fx) const {
    const bool same_rank = x.rank() == fx.rank() && (x.rank() == 2 || x.rank() == 4);
    bool fits = same_rank && x[0] == fx[0];
    if (fits && x.rank() == 4) fits = x[2] == fx[2] && x[3] == fx[3];
    if (!fits)
      throw shape_error(name() + "::forward(): cannot concatenate the input of shape " + x.str() + " with the inner output of shape " +
                        fx.str() + ": expected both (N, F) or both (N, C, H, W) with the same N" + (x.rank() == 4 ? ", H and W" : ""));
    Shape out = x;
    out[1] = x[1] + fx[1];
    return out;
  }

  Layer<Scalar>* inner_ = nullptr;  // the only child, owned by Container
  Shape input_shape_, inner_shape_;
  Tensor<Scalar> output_, grad_inner_, grad_input_;
};

}  // namespace ganpp
