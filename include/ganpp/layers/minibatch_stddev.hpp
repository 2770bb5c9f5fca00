// SPDX-License-Identifier: MIT
/// @file
/// MinibatchStdDev: appends the batch's average per-feature standard deviation as one more feature or channel.
#pragma once

#include "layer.hpp"

#include <cmath>

namespace ganpp {

/// Minibatch standard deviation (Karras et al. 2018, "Progressive growing of GANs", section 3): for each feature
/// (each (c, h, w) of an image) the standard deviation over the batch, sqrt(var + eps) with the biased variance,
/// averaged over the features into one number s that is appended to every sample: (N, F) -> (N, F + 1), or
/// (N, C, H, W) -> (N, C + 1, H, W) with a constant channel. A discriminator that sees s can tell a collapsed
/// generator's batch (s near zero) from a real one, which counters mode collapse. The whole batch is one group.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class MinibatchStdDev : public Layer<Scalar> {
 public:
  /// @param eps added to each feature's variance before the square root; must be > 0.
  /// @throws argument_error when eps is not > 0.
  explicit MinibatchStdDev(double eps = 1e-8) : eps_(eps) {
    if (!(eps > 0)) throw argument_error("MinibatchStdDev::MinibatchStdDev(): eps must be positive, got " + std::to_string(eps));
  }

  std::string name() const override { return "MinibatchStdDev"; }
  Shape output_shape(const Shape& in) const override {
    this->require(in.rank() == 2 || in.rank() == 4, in, [] { return std::string("(N, F) or (N, C, H, W)"); });
    Shape out = in;
    out[1] += 1;
    return out;
  }

  /// (N, F) -> (N, F + 1) or (N, C, H, W) -> (N, C + 1, H, W), the extra values all set to statistic(). Keeps a
  /// pointer to x for backward().
  /// @throws shape_error when x is neither (N, F) nor (N, C, H, W).
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    output_.resize(output_shape(x.shape()));
    input_ = &x;
    const Index n = x.batch(), f = x.shape().sample_size(), extra = output_.shape().sample_size() - f;
    auto xm = x.matrix();  // f x n, one column per sample
    mean_.resize(Shape{f});
    std_.resize(Shape{f});
    auto mean = mean_.matrix(f, 1);
    mean.noalias() = xm.rowwise().sum() / static_cast<Scalar>(n);
    auto sd = std_.array();
    sd.setZero();
    for (Index j = 0; j < n; ++j) sd += (xm.col(j) - mean).array().square();
    sd = (sd / static_cast<Scalar>(n) + static_cast<Scalar>(eps_)).sqrt();
    s_ = sd.mean();
    auto ym = output_.matrix();  // (f + extra) x n
    ym.topRows(f) = xm;
    ym.bottomRows(extra).setConstant(s_);
    return output_;
  }

  /// Returns the input gradient, including the path through the statistic (empty when the input gradient is off).
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    GANPP_ASSERT(input_ != nullptr);
    this->check_grad(dy, output_.shape());
    if (!this->input_grad_) {
      grad_input_.resize(Shape{0});
      return grad_input_;
    }
    const Index n = input_->batch(), f = input_->shape().sample_size(), extra = output_.shape().sample_size() - f;
    auto dym = dy.matrix();
    // ds/dx_jf = (1/F) (x_jf - mean_f) / (N std_f): the mean's own dependence on x cancels over the batch.
    const Scalar ds = dym.bottomRows(extra).sum();
    grad_input_.resize(input_->shape());
    auto gm = grad_input_.matrix();
    auto xm = input_->matrix();
    const Scalar scale = ds / static_cast<Scalar>(f * n);
    for (Index j = 0; j < n; ++j)
      gm.col(j) = dym.col(j).head(f) + (scale * (xm.col(j) - mean_.matrix(f, 1)).array() / std_.array()).matrix();
    return grad_input_;
  }

  /// The statistic appended by the last forward.
  Scalar statistic() const { return s_; }

 private:
  double eps_;
  Tensor<Scalar> output_, grad_input_, mean_, std_;
  const Tensor<Scalar>* input_ = nullptr;
  Scalar s_ = 0;
};

}  // namespace ganpp
