// SPDX-License-Identifier: MIT
/// @file
/// StyleGAN2's two-input layers (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN"):
/// ModulatedConv2d (per-sample styles from w, optional weight demodulation) and StyleConv (upsampling, modulated
/// convolution, noise injection with a learned per-channel strength, bias, activation).
///
/// Two inputs, one explicit API. These layers take the activations x and the style vector w as two arguments:
/// `forward(x, w)` and `backward(dy)`, which returns dLoss/dx while grad_w() holds dLoss/dw. They are deliberately
/// not Layer subclasses, so they cannot be put in a Sequential where the second input would have to travel through a
/// side channel (a raw pointer set before forward(), as LabelConcat's labels do): a caller cannot forget w, pass a
/// stale one, or pass one of the wrong batch, because forward() checks both shapes together. SynthesisNetwork
/// (models/stylegan.hpp) owns them and routes one w per layer.
#pragma once

#include "conv2d.hpp"
#include "equalized.hpp"
#include "upsample.hpp"

#include <cmath>

namespace ganpp {

/// Modulated convolution with optional demodulation, batched as one GEMM.
///
/// Per sample n: s_n = A(w_n) (an EqualizedLinear w_dim -> Cin whose bias starts at 1), and the effective weight is
/// W'_n[o, i, k] = c W[o, i, k] s_n[i] d_n[o], c = 1/sqrt(Cin k^2) (equalized lr), with demodulation
/// d_n[o] = 1/sqrt(sum_{i,k} (c W[o, i, k] s_n[i])^2 + eps), else d_n = 1. Instead of a grouped convolution with one
/// weight per sample, the layer uses the identity conv(x_n, W'_n) = c d_n[o] conv(x_n * s_n, W): the styles scale the
/// input channels, one ordinary convolution (a single GEMM over the whole batch) runs with the shared weight, and
/// demodulation becomes a per-sample, per-output-channel scale whose squared norms are themselves the GEMM
/// (s_n^2)^T Q with Q[o, i] = c^2 sum_k W[o, i, k]^2 (StyleGAN2's "fused_modconv=False" path). Input x
/// (N, Cin, H, W) and w (N, w_dim); output (N, Cout, H, W) ("same" padding, odd kernel).
template <typename Scalar = float>
class ModulatedConv2d {
 public:
  /// @param in_channels Cin.
  /// @param out_channels Cout.
  /// @param kernel odd kernel side k (padding k/2 keeps the size).
  /// @param w_dim the length of w.
  /// @param demodulate whether to apply weight demodulation.
  /// @param eps added to the squared norm before demodulation's square root; must be > 0.
  /// @throws argument_error for non-positive sizes, an even kernel or eps <= 0.
  ModulatedConv2d(Index in_channels, Index out_channels, Index kernel, Index w_dim, bool demodulate = true, double eps = 1e-8)
      : cin_(in_channels), cout_(out_channels), k_(kernel), w_dim_(w_dim), demod_(demodulate), eps_(eps),
        affine_(w_dim, in_channels > 0 ? in_channels : 1, 1.0, 1.0),
        conv_(ConvOptions(in_channels, out_channels, kernel).with_padding(kernel / 2).with_bias(false)) {
    if (kernel % 2 == 0 || !(eps > 0))
      throw argument_error("ModulatedConv2d::ModulatedConv2d(): kernel must be odd and eps positive, got k" + std::to_string(kernel));
    Rng rng(0);
    rng.fill_normal(conv_.weight());
  }

  /// "ModulatedConv2d(Cin -> Cout, kK, demod)".
  std::string name() const {
    return "ModulatedConv2d(" + std::to_string(cin_) + " -> " + std::to_string(cout_) + ", k" + std::to_string(k_) + (demod_ ? ", demod)" : ")");
  }
  /// The output shape for x and w batches; throws shape_error naming the layer and both shapes if they do not fit.
  /// @param x the activations' shape, (N, Cin, H, W).
  /// @param w the styles' shape, (N, w_dim).
  Shape output_shape(const Shape& x, const Shape& w) const {
    if (x.rank() != 4 || x[1] != cin_ || w.rank() != 2 || w[1] != affine_in() || w[0] != x[0] || x[0] < 1)
      throw shape_error(name() + "::forward(): expected x (N, " + std::to_string(cin_) + ", H, W) and w (N, " + std::to_string(affine_in()) +
                        ") with the same N >= 1, got x " + x.str() + " and w " + w.str());
    return x;
  }
  /// Runs the layer. Keeps pointers to x and w for backward(): keep both alive and unchanged until then.
  /// @param x activations (N, Cin, H, W).
  /// @param w styles (N, w_dim), one per sample.
  /// @return the (N, Cout, H, W) output, owned by the layer.
  /// @throws shape_error when the shapes do not fit (see output_shape()).
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x, const Tensor<Scalar>& w) {
    output_shape(x.shape(), w.shape());
    x_ = &x;
    const Index n = x.dim(0), hw = x.dim(2) * x.dim(3);
    styles_.assign(affine_.forward(w));  // (N, Cin): column n of matrix() is s_n
    modulated_.resize(x.shape());
    for (Index b = 0; b < n; ++b)
      for (Index i = 0; i < cin_; ++i) {
        const Index off = (b * cin_ + i) * hw;
        modulated_.array().segment(off, hw) = x.array().segment(off, hw) * styles_[b * cin_ + i];
      }
    const Tensor<Scalar>& v = conv_.forward(modulated_);
    v_ = &v;
    const Scalar c = scale();
    scales_.resize(Shape{n, cout_});  // column b of matrix(): the output-channel scales of sample b
    if (demod_) {
      squared_norms();
      dcoef_.resize(Shape{n, cout_});
      // t = Q (s^2): (Cout x Cin) (Cin x N), then d = (t + eps)^-1/2.
      dcoef_.matrix() = q_ * styles_.matrix().array().square().matrix();
      dcoef_.array() = (dcoef_.array() + static_cast<Scalar>(eps_)).rsqrt();
      scales_.array() = c * dcoef_.array();
    } else {
      scales_.array().setConstant(c);
    }
    output_.resize(v.shape());
    const Index ohw = v.dim(2) * v.dim(3);
    for (Index b = 0; b < n; ++b)
      for (Index o = 0; o < cout_; ++o) {
        const Index off = (b * cout_ + o) * ohw;
        output_.array().segment(off, ohw) = v.array().segment(off, ohw) * scales_[b * cout_ + o];
      }
    return output_;
  }
  /// Back-propagates through the last forward(): accumulates the weight's and the affine layer's gradients (unless
  /// frozen), leaves dLoss/dw in grad_w() and returns dLoss/dx.
  /// @param dy dLoss/dOutput, of the last output's shape.
  /// @throws shape_error when dy does not match the last output (or no forward() came first).
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) {
    if (x_ == nullptr || dy.shape() != output_.shape())
      throw shape_error(name() + "::backward(): gradient of shape " + dy.shape().str() + " does not match output shape " + output_.shape().str());
    const Index n = dy.dim(0), hw = dy.dim(2) * dy.dim(3);
    const Tensor<Scalar>& v = *v_;  // the unscaled convolution, still the conv's output
    dv_.resize(dy.shape());
    if (demod_) grad_scales_.resize(Shape{n, cout_});
    for (Index b = 0; b < n; ++b)
      for (Index o = 0; o < cout_; ++o) {
        const Index off = (b * cout_ + o) * hw;
        dv_.array().segment(off, hw) = dy.array().segment(off, hw) * scales_[b * cout_ + o];
        if (demod_) grad_scales_[b * cout_ + o] = (dy.array().segment(off, hw) * v.array().segment(off, hw)).sum();
      }
    const Tensor<Scalar>& du = conv_.backward(dv_);  // the weight gradient of the shared convolution, unless frozen
    grad_x_.resize(x_->shape());
    grad_styles_.resize(styles_.shape());
    for (Index b = 0; b < n; ++b)
      for (Index i = 0; i < cin_; ++i) {
        const Index off = (b * cin_ + i) * hw;
        grad_x_.array().segment(off, hw) = du.array().segment(off, hw) * styles_[b * cin_ + i];
        grad_styles_[b * cin_ + i] = (du.array().segment(off, hw) * x_->array().segment(off, hw)).sum();
      }
    if (demod_) {
      // scale = c d, d = (s^2 . Q[o] + eps)^-1/2: dd/ds_i = -d^3 s_i Q[o, i], dd/dQ[o, i] = -d^3 s_i^2 / 2.
      const Scalar c = scale();
      h_.resize(Shape{n, cout_});
      h_.array() = -c * grad_scales_.array() * dcoef_.array().cube();                 // (Cout x N) as matrix()
      grad_styles_.matrix().array() += styles_.matrix().array() * (q_.transpose() * h_.matrix()).array();
      if (!frozen_) {
        // dL/dW[o, i, k] += c^2 W[o, i, k] sum_n h[n, o] s[n, i]^2.
        const Matrix hs = h_.matrix() * styles_.matrix().array().square().matrix().transpose();  // (Cout x Cin)
        Tensor<Scalar>& wg = *conv_.parameters()[0].grad;
        const Tensor<Scalar>& wt = conv_.weight();
        const Index kk = k_ * k_;
        for (Index o = 0; o < cout_; ++o)
          for (Index i = 0; i < cin_; ++i) {
            const Index off = (o * cin_ + i) * kk;
            wg.array().segment(off, kk) += (c * c * hs(o, i)) * wt.array().segment(off, kk);
          }
      }
    }
    grad_w_.assign(affine_.backward(grad_styles_));
    return grad_x_;
  }
  /// dLoss/dw of the last backward(), (N, w_dim).
  const Tensor<Scalar>& grad_w() const { return grad_w_; }
  /// The styles s of the last forward(), (N, Cin).
  const Tensor<Scalar>& styles() const { return styles_; }

  /// "weight" (Cout, Cin, k, k) stored N(0, 1), then the affine layer's "affine.weight" and "affine.bias".
  std::vector<Parameter<Scalar>> parameters() {
    std::vector<Parameter<Scalar>> p{{"weight", &conv_.weight(), conv_.parameters()[0].grad}};
    for (auto& a : affine_.parameters()) p.push_back({"affine." + a.name, a.value, a.grad, a.lr_scale});
    return p;
  }
  /// Sets every parameter gradient to zero.
  void zero_grad() {
    for (auto& p : parameters()) p.grad->set_zero();
  }
  /// Weight and affine weight N(0, 1), affine bias 1.
  /// @param rng the draws.
  void reset_parameters(Rng& rng) {
    rng.fill_normal(conv_.weight());
    affine_.reset_parameters(Init::torch_default, rng);
  }
  /// When frozen, backward() leaves the parameter gradients alone but still computes dx and dw.
  /// @param frozen the new state.
  void set_frozen(bool frozen) {
    frozen_ = frozen;
    conv_.set_frozen(frozen);
    affine_.set_frozen(frozen);
  }
  /// Whether demodulation is on.
  bool demodulates() const { return demod_; }
  /// The equalized-lr weight scale c = 1/sqrt(Cin k^2).
  Scalar scale() const { return static_cast<Scalar>(1.0 / std::sqrt(static_cast<double>(cin_ * k_ * k_))); }
  /// Input channels Cin.
  Index in_channels() const { return cin_; }
  /// Output channels Cout.
  Index out_channels() const { return cout_; }

 private:
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  Index affine_in() const { return w_dim_; }
  // Q[o, i] = c^2 sum_k W[o, i, k]^2, (Cout x Cin).
  void squared_norms() {
    const Scalar c = scale();
    const Index kk = k_ * k_;
    q_.resize(cout_, cin_);
    const Tensor<Scalar>& wt = conv_.weight();
    for (Index o = 0; o < cout_; ++o)
      for (Index i = 0; i < cin_; ++i) q_(o, i) = c * c * wt.array().segment((o * cin_ + i) * kk, kk).square().sum();
  }

  Index cin_, cout_, k_, w_dim_;
  bool demod_;
  double eps_;
  bool frozen_ = false;
  EqualizedLinear<Scalar> affine_;
  Conv2d<Scalar> conv_;
  Matrix q_;
  Tensor<Scalar> styles_, modulated_, scales_, dcoef_, output_, dv_, grad_scales_, grad_x_, grad_styles_, h_, grad_w_;
  const Tensor<Scalar>* x_ = nullptr;
  const Tensor<Scalar>* v_ = nullptr;
};

/// Where StyleConv's noise comes from.
enum class NoiseMode {
  random,  ///< fresh N(0, 1) per sample and call, from the Rng passed to forward() (training)
  fixed,   ///< the layer's fixed_noise() buffer, the same for every sample and call (reproducible pictures)
  none,    ///< no noise
};

/// One synthesis layer of StyleGAN2: optional 2x upsampling, ModulatedConv2d, noise injection
/// y += strength[c] * noise[n, h, w] with a learned per-channel strength (starting at 0), a bias, and
/// LeakyReLU(0.2) times sqrt(2). Without noise and activation and with a 1x1 kernel and no demodulation it is the
/// toRGB layer. Input x (N, Cin, H, W) (H, W halved when upsampling) and w (N, w_dim).
template <typename Scalar = float>
class StyleConv {
 public:
  /// What a StyleConv does besides its modulated convolution.
  struct Options {
    Index in_channels;    ///< Cin
    Index out_channels;   ///< Cout
    Index kernel;         ///< odd kernel side
    Index w_dim;          ///< length of w
    Index resolution;     ///< output height and width (the fixed noise's size)
    bool upsample = false;   ///< bilinear 2x upsampling of x first
    bool demodulate = true;  ///< weight demodulation
    bool noise = true;       ///< noise injection
    bool activation = true;  ///< LeakyReLU(0.2) * sqrt(2) at the end
  };

  /// @param o the layer's configuration.
  /// @throws argument_error for invalid sizes (see ModulatedConv2d) or a resolution below 1 or odd when upsampling.
  explicit StyleConv(const Options& o)
      : o_(o), conv_(o.in_channels, o.out_channels, o.kernel, o.w_dim, o.demodulate), up_(2, UpsampleMode::bilinear),
        bias_(Shape{o.out_channels}), bias_grad_(bias_.shape()), strength_(Shape{o.noise ? o.out_channels : 0}),
        strength_grad_(strength_.shape()), fixed_noise_(Shape{1, 1, o.noise ? o.resolution : 0, o.noise ? o.resolution : 0}) {
    if (o.resolution < 1 || (o.upsample && o.resolution % 2 != 0))
      throw argument_error("StyleConv::StyleConv(): resolution must be positive (and even when upsampling), got " + std::to_string(o.resolution));
    Rng rng(0);
    rng.fill_normal(fixed_noise_);
  }

  /// "StyleConv(Cin -> Cout, kK, res R, up, noise)".
  std::string name() const {
    return "StyleConv(" + std::to_string(o_.in_channels) + " -> " + std::to_string(o_.out_channels) + ", k" + std::to_string(o_.kernel) + ", res " +
           std::to_string(o_.resolution) + (o_.upsample ? ", up" : "") + (o_.noise ? ", noise" : "") + ")";
  }
  /// Runs the layer; keeps pointers to x and w for backward() (keep them alive and unchanged until then).
  /// @param x activations (N, Cin, R, R), or (N, Cin, R/2, R/2) when upsampling.
  /// @param w styles (N, w_dim).
  /// @param mode where the noise comes from (ignored without noise).
  /// @param rng draws the noise in NoiseMode::random.
  /// @return the (N, Cout, R, R) output, owned by the layer.
  /// @throws shape_error when x or w does not fit.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x, const Tensor<Scalar>& w, NoiseMode mode, Rng& rng) {
    const Index in_res = o_.upsample ? o_.resolution / 2 : o_.resolution;
    if (x.rank() != 4 || x.dim(2) != in_res || x.dim(3) != in_res)
      throw shape_error(name() + "::forward(): expected x (N, " + std::to_string(o_.in_channels) + ", " + std::to_string(in_res) + ", " +
                        std::to_string(in_res) + "), got " + x.shape().str());
    const Tensor<Scalar>& xin = o_.upsample ? up_.forward(x) : x;
    const Tensor<Scalar>& y = conv_.forward(xin, w);
    const Index n = y.dim(0), hw = y.dim(2) * y.dim(3);
    noise_on_ = o_.noise && mode != NoiseMode::none;
    if (noise_on_) {
      noise_.resize(Shape{n, 1, y.dim(2), y.dim(3)});
      if (mode == NoiseMode::random) {
        rng.fill_normal(noise_);
      } else {
        for (Index b = 0; b < n; ++b) std::copy(fixed_noise_.begin(), fixed_noise_.end(), noise_.data() + b * hw);
      }
    }
    pre_.resize(y.shape());
    for (Index b = 0; b < n; ++b)
      for (Index c = 0; c < o_.out_channels; ++c) {
        const Index off = (b * o_.out_channels + c) * hw;
        auto seg = pre_.array().segment(off, hw);
        seg = y.array().segment(off, hw) + bias_[c];
        if (noise_on_) seg += strength_[c] * noise_.array().segment(b * hw, hw);
      }
    output_.resize(y.shape());
    if (o_.activation) {
      const Scalar g = static_cast<Scalar>(std::sqrt(2.0)), a = Scalar(0.2);
      output_.array() = (pre_.array() > 0).select(g * pre_.array(), (a * g) * pre_.array());
    } else {
      output_.assign(pre_);
    }
    return output_;
  }
  /// Back-propagates through the last forward(): accumulates the gradients (unless frozen), leaves dLoss/dw in
  /// grad_w() and returns dLoss/dx.
  /// @param dy dLoss/dOutput, of the last output's shape.
  /// @throws shape_error when dy does not match the last output.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) {
    if (dy.shape() != output_.shape())
      throw shape_error(name() + "::backward(): gradient of shape " + dy.shape().str() + " does not match output shape " + output_.shape().str());
    dpre_.resize(dy.shape());
    if (o_.activation) {
      const Scalar g = static_cast<Scalar>(std::sqrt(2.0)), a = Scalar(0.2);
      dpre_.array() = (pre_.array() > 0).select(g * dy.array(), (a * g) * dy.array());
    } else {
      dpre_.assign(dy);
    }
    const Index n = dy.dim(0), hw = dy.dim(2) * dy.dim(3);
    if (!frozen_)
      for (Index b = 0; b < n; ++b)
        for (Index c = 0; c < o_.out_channels; ++c) {
          const auto seg = dpre_.array().segment((b * o_.out_channels + c) * hw, hw);
          bias_grad_[c] += seg.sum();
          if (noise_on_) strength_grad_[c] += (seg * noise_.array().segment(b * hw, hw)).sum();
        }
    const Tensor<Scalar>& dx = conv_.backward(dpre_);
    return o_.upsample ? up_.backward(dx) : dx;
  }
  /// dLoss/dw of the last backward(), (N, w_dim).
  const Tensor<Scalar>& grad_w() const { return conv_.grad_w(); }

  /// The modulated convolution's parameters, then "bias" and (with noise) "noise_strength".
  std::vector<Parameter<Scalar>> parameters() {
    std::vector<Parameter<Scalar>> p = conv_.parameters();
    p.push_back({"bias", &bias_, &bias_grad_});
    if (o_.noise) p.push_back({"noise_strength", &strength_, &strength_grad_});
    return p;
  }
  /// With noise: "fixed_noise" (1, 1, R, R), the noise NoiseMode::fixed uses; saved in checkpoints.
  std::vector<Buffer<Scalar>> buffers() {
    if (!o_.noise) return {};
    return {{"fixed_noise", &fixed_noise_}};
  }
  /// Sets every parameter gradient to zero.
  void zero_grad() {
    for (auto& p : parameters()) p.grad->set_zero();
  }
  /// Fresh weights (see ModulatedConv2d::reset_parameters()), bias and noise strength 0.
  /// @param rng the draws.
  void reset_parameters(Rng& rng) {
    conv_.reset_parameters(rng);
    bias_.set_zero();
    strength_.set_zero();
  }
  /// When frozen, backward() leaves the parameter gradients alone.
  /// @param frozen the new state.
  void set_frozen(bool frozen) {
    frozen_ = frozen;
    conv_.set_frozen(frozen);
  }
  /// The fixed noise (1, 1, R, R) of NoiseMode::fixed (empty without noise); writable, e.g. to draw a new one.
  Tensor<Scalar>& fixed_noise() { return fixed_noise_; }
  /// The configuration.
  const Options& options() const { return o_; }

 private:
  Options o_;
  ModulatedConv2d<Scalar> conv_;
  Upsample<Scalar> up_;
  Tensor<Scalar> bias_, bias_grad_, strength_, strength_grad_, fixed_noise_, noise_, pre_, output_, dpre_;
  bool noise_on_ = false, frozen_ = false;
};

}  // namespace ganpp
