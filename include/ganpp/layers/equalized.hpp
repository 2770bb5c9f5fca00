// SPDX-License-Identifier: MIT
/// @file
/// Equalized learning rate (Karras et al. 2018, ProGAN): EqualizedLinear and EqualizedConv2d store their weights at
/// unit variance and scale them at run time by 1/sqrt(fan_in); PixelNorm normalises each sample to unit mean square.
#pragma once

#include "conv2d.hpp"
#include "layer.hpp"

#include <cmath>

namespace ganpp {

/// y = c W x + b with c = 1/sqrt(in_features), the weight stored N(0, 1) (the equalized learning rate: Adam's
/// update moves every weight by about the learning rate, whatever the fan-in, and the runtime scale makes it a
/// change of the same relative size in every layer). Input (N, in), output (N, out).
///
/// With lr_multiplier m, parameters() reports lr_scale = m for the weight and the bias, so any optimizer updates
/// them at m times its learning rate: the StyleGAN mapping network's 0.01 (Karras et al. 2019).
template <typename Scalar = float>
class EqualizedLinear : public Layer<Scalar> {
 public:
  /// @param in_features F_in.
  /// @param out_features F_out.
  /// @param lr_multiplier the lr_scale of both parameters; must be positive.
  /// @param bias_init the bias's initial value (StyleGAN's style affine layers start at 1).
  /// @throws argument_error for a size below 1 or a non-positive lr_multiplier.
  EqualizedLinear(Index in_features, Index out_features, double lr_multiplier = 1.0, double bias_init = 0.0)
      : in_(in_features), out_(out_features), lr_mul_(lr_multiplier), bias_init_(bias_init),
        weight_(Shape{std::max<Index>(out_features, 0), std::max<Index>(in_features, 0)}), weight_grad_(weight_.shape()),
        bias_(Shape{std::max<Index>(out_features, 0)}), bias_grad_(bias_.shape()) {
    if (in_features < 1 || out_features < 1 || !(lr_multiplier > 0))
      throw argument_error("EqualizedLinear::EqualizedLinear(): features must be positive and lr_multiplier > 0, got " +
                           std::to_string(in_features) + " -> " + std::to_string(out_features) + ", lr x" + std::to_string(lr_multiplier));
    Rng rng(0);
    reset_parameters(Init::torch_default, rng);
  }

  std::string name() const override { return "EqualizedLinear(" + std::to_string(in_) + " -> " + std::to_string(out_) + ")"; }
  Shape output_shape(const Shape& in) const override {
    this->require(in.rank() == 2 && in[1] == in_, in, [&] { return "(N, " + std::to_string(in_) + ")"; });
    return Shape{in[0], out_};
  }
  /// y = c W x + b for every sample; keeps a pointer to x for backward().
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    output_.resize(output_shape(x.shape()));
    input_ = &x;
    auto y = output_.matrix();
    y.noalias() = scale() * (weight_.matrix(in_, out_).transpose() * x.matrix());
    y.colwise() += bias_.array().matrix();
    return output_;
  }
  /// Accumulates c dy x^T into the weight gradient and sum(dy) into the bias gradient (unless frozen); returns c W^T dy.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    GANPP_ASSERT(input_ != nullptr);
    this->check_grad(dy, output_.shape());
    if (!this->frozen_) {
      weight_grad_.matrix(in_, out_).noalias() += scale() * (input_->matrix() * dy.matrix().transpose());
      bias_grad_.array() += dy.matrix().rowwise().sum().array();
    }
    if (this->skip_input_grad(grad_input_, input_->shape())) return grad_input_;
    grad_input_.matrix().noalias() = scale() * (weight_.matrix(in_, out_) * dy.matrix());
    return grad_input_;
  }
  std::vector<Parameter<Scalar>> parameters() override {
    return {{"weight", &weight_, &weight_grad_, lr_mul_}, {"bias", &bias_, &bias_grad_, lr_mul_}};
  }
  /// Weight N(0, 1) whatever the scheme (the runtime scale does the rest), bias bias_init.
  void reset_parameters(Init /*scheme*/, Rng& rng) override {
    rng.fill_normal(weight_);
    bias_.fill(static_cast<Scalar>(bias_init_));
  }

  /// The runtime weight scale c = 1/sqrt(in_features).
  Scalar scale() const { return static_cast<Scalar>(1.0 / std::sqrt(static_cast<double>(in_))); }
  /// The stored (F_out, F_in) weight, at unit variance.
  Tensor<Scalar>& weight() { return weight_; }
  /// The (F_out) bias.
  Tensor<Scalar>& bias() { return bias_; }
  /// The lr_scale its parameters report.
  double lr_multiplier() const { return lr_mul_; }

 private:
  Index in_, out_;
  double lr_mul_, bias_init_;
  Tensor<Scalar> weight_, weight_grad_, bias_, bias_grad_, output_, grad_input_;
  const Tensor<Scalar>* input_ = nullptr;
};

/// A Conv2d whose weight is stored N(0, 1) and scaled at run time by c = 1/sqrt(Cin k k); the bias starts at 0.
/// y = c conv(x, W) + b.
template <typename Scalar = float>
class EqualizedConv2d : public Layer<Scalar> {
 public:
  /// @param o channels, kernel, stride, padding and whether to add a bias (output_padding must be 0).
  /// @throws argument_error for invalid options.
  explicit EqualizedConv2d(const ConvOptions& o) : o_(o), conv_(ConvOptions(o).with_bias(false)), bias_(Shape{o.out_channels}), bias_grad_(bias_.shape()) {
    Rng rng(0);
    reset_parameters(Init::torch_default, rng);
  }
  std::string name() const override { return "Equalized" + conv_.name(); }
  Shape output_shape(const Shape& in) const override { return conv_.output_shape(in); }
  /// y = c conv(x, W) + b.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    const Tensor<Scalar>& v = conv_.forward(x);
    output_.resize(v.shape());
    const Scalar c = scale();
    const Index hw = v.dim(2) * v.dim(3);
    for (Index n = 0; n < v.dim(0); ++n)
      for (Index ch = 0; ch < v.dim(1); ++ch) {
        const Index off = (n * v.dim(1) + ch) * hw;
        output_.array().segment(off, hw) = c * v.array().segment(off, hw) + (o_.bias ? bias_[ch] : Scalar(0));
      }
    return output_;
  }
  /// Backpropagates c dy through the convolution; the bias gradient is dy summed per channel.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    this->check_grad(dy, output_.shape());
    const Index hw = dy.dim(2) * dy.dim(3);
    if (o_.bias && !this->frozen_)
      for (Index n = 0; n < dy.dim(0); ++n)
        for (Index ch = 0; ch < dy.dim(1); ++ch) bias_grad_[ch] += dy.array().segment((n * dy.dim(1) + ch) * hw, hw).sum();
    scaled_.resize(dy.shape());
    scaled_.array() = scale() * dy.array();
    return conv_.backward(scaled_);
  }
  std::vector<Parameter<Scalar>> parameters() override {
    std::vector<Parameter<Scalar>> p{{"weight", conv_.parameters()[0].value, conv_.parameters()[0].grad}};
    if (o_.bias) p.push_back({"bias", &bias_, &bias_grad_});
    return p;
  }
  /// Weight N(0, 1) whatever the scheme, bias 0.
  void reset_parameters(Init /*scheme*/, Rng& rng) override {
    rng.fill_normal(*conv_.parameters()[0].value);
    bias_.set_zero();
  }
  void set_frozen(bool frozen) override {
    Layer<Scalar>::set_frozen(frozen);
    conv_.set_frozen(frozen);
  }
  void set_input_grad(bool on) override {
    Layer<Scalar>::set_input_grad(on);
    conv_.set_input_grad(on);
  }
  /// The runtime weight scale c = 1/sqrt(Cin k^2).
  Scalar scale() const { return static_cast<Scalar>(1.0 / std::sqrt(static_cast<double>(o_.in_channels * o_.kernel * o_.kernel))); }

 private:
  ConvOptions o_;
  Conv2d<Scalar> conv_;
  Tensor<Scalar> bias_, bias_grad_, output_, scaled_;
};

/// Pixel normalisation of a latent (Karras et al. 2018): y = x / sqrt(mean(x^2) + eps) per sample. Input (N, F).
template <typename Scalar = float>
class PixelNorm : public Layer<Scalar> {
 public:
  /// @param eps added to the mean square; must be > 0.
  /// @throws argument_error for eps <= 0.
  explicit PixelNorm(double eps = 1e-8) : eps_(eps) {
    if (!(eps > 0)) throw argument_error("PixelNorm::PixelNorm(): eps must be positive, got " + std::to_string(eps));
  }
  std::string name() const override { return "PixelNorm"; }
  Shape output_shape(const Shape& in) const override {
    this->require(in.rank() == 2 && in[1] >= 1, in, [] { return std::string("(N, F)"); });
    return in;
  }
  /// Divides each sample by its root mean square.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    output_.resize(output_shape(x.shape()));
    input_ = &x;
    const auto xm = x.matrix();
    inv_.resize(Shape{x.batch()});
    for (Index n = 0; n < x.batch(); ++n) {
      inv_[n] = static_cast<Scalar>(1.0 / std::sqrt(static_cast<double>(xm.col(n).squaredNorm()) / static_cast<double>(xm.rows()) + eps_));
      output_.matrix().col(n) = xm.col(n) * inv_[n];
    }
    return output_;
  }
  /// dx = r dy - x r^3 (dy . x) / F per sample, r the inverse root mean square.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    GANPP_ASSERT(input_ != nullptr);
    this->check_grad(dy, output_.shape());
    if (this->skip_input_grad(grad_input_, input_->shape())) return grad_input_;
    const auto xm = input_->matrix();
    const Scalar f = static_cast<Scalar>(xm.rows());
    for (Index n = 0; n < dy.batch(); ++n) {
      const Scalar r = inv_[n];
      grad_input_.matrix().col(n) = r * dy.matrix().col(n) - xm.col(n) * (r * r * r * dy.matrix().col(n).dot(xm.col(n)) / f);
    }
    return grad_input_;
  }

 private:
  double eps_;
  Tensor<Scalar> output_, grad_input_, inv_;
  const Tensor<Scalar>* input_ = nullptr;
};

}  // namespace ganpp
