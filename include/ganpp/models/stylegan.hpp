// SPDX-License-Identifier: MIT
/// @file
/// A StyleGAN2-style generator sized for a CPU (Karras et al. 2019, 2020): a mapping network z -> w, a synthesis
/// network from a learned constant 4x4 input through StyleConv layers with toRGB skip outputs, the tracked average
/// w_avg with the truncation trick, style mixing; and the matching residual discriminator with minibatch stddev.
///
/// How w reaches every layer. The synthesis network takes all its styles as one explicit input, a tensor ws of shape
/// (N, L, w_dim) holding one w per style slot (num_ws() = L = 2 per resolution), and hands slot l to its layer l
/// through that layer's two-argument forward(x, w) (layers/modulated_conv.hpp). backward(dimage) returns dLoss/dws
/// of the same shape. There is no side channel: the styles are an argument of every call that uses them, their shape
/// is checked against the batch, and the same ws produces the same image. Style mixing and truncation are
/// operations on ws (mix_styles(), truncate()), so every control acts on one well-defined tensor.
#pragma once

#include "../layers/activation.hpp"
#include "../layers/equalized.hpp"
#include "../layers/minibatch_stddev.hpp"
#include "../layers/modulated_conv.hpp"
#include "../layers/reshape.hpp"
#include "../layers/residual.hpp"
#include "../layers/sequential.hpp"

#include <memory>
#include <string>
#include <vector>

namespace ganpp {

/// The sizes of a StyleGenerator and its discriminator.
struct StyleGanConfig {
  Index z_dim = 64;                      ///< length of the latent z
  Index w_dim = 64;                      ///< length of w (and of every style input)
  Index mapping_layers = 4;              ///< EqualizedLinear layers in the mapping network
  double mapping_lr_multiplier = 0.01;   ///< the mapping network's Parameter::lr_scale (Karras et al. 2019)
  Index image_channels = 1;              ///< channels of the generated image
  /// Feature channels per resolution, starting at 4x4 and doubling: {64, 64, 32, 32} gives a 32x32 image.
  std::vector<Index> channels = {64, 64, 32, 32};

  /// The output side: 4 * 2^(channels.size() - 1).
  Index resolution() const { return Index{4} << (channels.size() - 1); }
  /// Style slots: two per resolution (one per StyleConv and one shared by the next toRGB).
  Index num_ws() const { return 2 * static_cast<Index>(channels.size()); }
  /// @throws argument_error naming the field that is out of range.
  void validate() const {
    if (z_dim < 1 || w_dim < 1 || mapping_layers < 1 || image_channels < 1 || !(mapping_lr_multiplier > 0))
      throw argument_error("StyleGanConfig::validate(): z_dim, w_dim, mapping_layers, image_channels and mapping_lr_multiplier must be positive");
    if (channels.empty() || channels.size() > 8)
      throw argument_error("StyleGanConfig::validate(): channels must list 1 to 8 resolutions, got " + std::to_string(channels.size()));
    for (Index c : channels)
      if (c < 1) throw argument_error("StyleGanConfig::validate(): channels must be positive, got " + std::to_string(c));
  }
};

/// The mapping network: PixelNorm of z, then mapping_layers EqualizedLinear layers (lr_scale = the config's
/// multiplier) each followed by LeakyReLU(0.2). (N, z_dim) -> (N, w_dim).
/// @param c the sizes.
/// @throws argument_error for an invalid config.
template <typename Scalar = float>
Sequential<Scalar> make_mapping_network(const StyleGanConfig& c) {
  c.validate();
  Sequential<Scalar> net;
  net.template emplace<PixelNorm<Scalar>>();
  for (Index i = 0; i < c.mapping_layers; ++i) {
    net.template emplace<EqualizedLinear<Scalar>>(i == 0 ? c.z_dim : c.w_dim, c.w_dim, c.mapping_lr_multiplier);
    net.template emplace<LeakyReLU<Scalar>>(Scalar(0.2));
  }
  return net;
}

/// The synthesis network: ws (N, L, w_dim) -> image (N, image_channels, R, R). Block 0 runs StyleConv on the
/// learned constant (C0, 4, 4) with slot 0 and toRGB with slot 1; block b >= 1 upsamples, runs two StyleConvs with
/// slots 2b - 1 and 2b, and adds toRGB (slot 2b + 1) to the bilinearly upsampled image of the block before (the
/// StyleGAN2 skip architecture). See the file comment for why ws is an explicit input.
template <typename Scalar = float>
class SynthesisNetwork {
 public:
  /// @param c the sizes.
  /// @param seed seeds the initial parameters, the fixed noise and the random-noise generator.
  /// @throws argument_error for an invalid config.
  explicit SynthesisNetwork(const StyleGanConfig& c, std::uint64_t seed = 0)
      : c_((c.validate(), c)), noise_rng_(seed ^ 0x5EED), const_(Shape{c.channels[0], 4, 4}), const_grad_(Shape{c.channels[0], 4, 4}) {
    const Index blocks = static_cast<Index>(c.channels.size()), d = c.w_dim;
    for (Index b = 0; b < blocks; ++b) {
      const Index res = Index{4} << b, ch = c.channels[static_cast<std::size_t>(b)];
      if (b == 0) {
        convs_.push_back(std::make_unique<StyleConv<Scalar>>(typename StyleConv<Scalar>::Options{ch, ch, 3, d, res}));
      } else {
        const Index prev = c.channels[static_cast<std::size_t>(b - 1)];
        typename StyleConv<Scalar>::Options up{prev, ch, 3, d, res};
        up.upsample = true;
        convs_.push_back(std::make_unique<StyleConv<Scalar>>(up));
        convs_.push_back(std::make_unique<StyleConv<Scalar>>(typename StyleConv<Scalar>::Options{ch, ch, 3, d, res}));
        image_up_.push_back(std::make_unique<Upsample<Scalar>>(2, UpsampleMode::bilinear));
      }
      typename StyleConv<Scalar>::Options rgb{ch, c.image_channels, 1, d, res};
      rgb.demodulate = rgb.noise = rgb.activation = false;
      to_rgb_.push_back(std::make_unique<StyleConv<Scalar>>(rgb));
    }
    images_.resize(static_cast<std::size_t>(blocks));
    slices_.resize(static_cast<std::size_t>(c.num_ws()));
    Rng rng(seed);
    reset_parameters(rng);
  }

  /// Number of style slots L.
  Index num_ws() const { return c_.num_ws(); }
  /// The sizes.
  const StyleGanConfig& config() const { return c_; }
  /// The style slot toRGB of block b reads: 2b + 1, which the next block's first StyleConv reads too (StyleGAN2's
  /// layout). StyleConv i, counted over the whole network in order, reads slot i.
  /// @param block the resolution block, 0 for 4x4.
  static Index to_rgb_slot(Index block) { return 2 * block + 1; }

  /// Synthesises images; keeps a pointer to nothing outside (ws is copied into per-slot tensors).
  /// @param ws styles (N, L, w_dim).
  /// @return (N, image_channels, R, R), owned by the network, valid until the next forward().
  /// @throws shape_error naming both shapes when ws is not (N, L, w_dim) with N >= 1.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& ws) {
    const Index L = num_ws(), d = c_.w_dim;
    if (ws.rank() != 3 || ws.dim(0) < 1 || ws.dim(1) != L || ws.dim(2) != d)
      throw shape_error("SynthesisNetwork::forward(): expected ws (N, " + std::to_string(L) + ", " + std::to_string(d) + "), got " + ws.shape().str());
    const Index n = ws.dim(0);
    for (Index l = 0; l < L; ++l) {
      Tensor<Scalar>& s = slices_[static_cast<std::size_t>(l)];
      s.resize(Shape{n, d});
      for (Index b = 0; b < n; ++b) std::copy(ws.data() + (b * L + l) * d, ws.data() + (b * L + l + 1) * d, s.data() + b * d);
    }
    input_.resize(Shape{n, const_.dim(0), 4, 4});
    for (Index b = 0; b < n; ++b) std::copy(const_.begin(), const_.end(), input_.data() + b * const_.size());
    const Tensor<Scalar>* x = &convs_[0]->forward(input_, slice(0), noise_mode_, noise_rng_);
    const Tensor<Scalar>* img = &to_rgb_[0]->forward(*x, slice(1), noise_mode_, noise_rng_);
    for (std::size_t b = 1; b < to_rgb_.size(); ++b) {
      x = &convs_[2 * b - 1]->forward(*x, slice(2 * b - 1), noise_mode_, noise_rng_);
      x = &convs_[2 * b]->forward(*x, slice(2 * b), noise_mode_, noise_rng_);
      const Tensor<Scalar>& rgb = to_rgb_[b]->forward(*x, slice(2 * b + 1), noise_mode_, noise_rng_);
      const Tensor<Scalar>& up = image_up_[b - 1]->forward(*img);
      images_[b].resize(rgb.shape());
      images_[b].array() = up.array() + rgb.array();
      img = &images_[b];
    }
    return *img;
  }
  /// Back-propagates dLoss/dimage through the last forward(): accumulates the parameter gradients (unless frozen)
  /// and returns dLoss/dws, (N, L, w_dim).
  /// @param grad_image dLoss/dOutput, of the last output's shape.
  /// @throws shape_error when grad_image does not match the last output.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& grad_image) {
    const std::size_t blocks = to_rgb_.size();
    const Index L = num_ws(), d = c_.w_dim;
    if (slices_[0].rank() != 2)
      throw shape_error("SynthesisNetwork::backward(): no forward() before backward()");
    const Index n = slices_[0].dim(0);
    grad_ws_.resize(Shape{n, L, d});
    grad_ws_.set_zero();  // slot 2b + 1 feeds toRGB b and the next block's first StyleConv: gradients add up
    const Tensor<Scalar>* g_img = &grad_image;
    for (std::size_t bi = blocks; bi-- > 0;) {
      dx_.assign(to_rgb_[bi]->backward(*g_img));
      put_grad(2 * bi + 1, to_rgb_[bi]->grad_w());
      if (bi > 0) g_img = &image_up_[bi - 1]->backward(*g_img);
      if (bi + 1 < blocks) dx_.array() += dnext_.array();
      if (bi > 0) {
        const Tensor<Scalar>& g1 = convs_[2 * bi]->backward(dx_);
        put_grad(2 * bi, convs_[2 * bi]->grad_w());
        dnext_.assign(convs_[2 * bi - 1]->backward(g1));
        put_grad(2 * bi - 1, convs_[2 * bi - 1]->grad_w());
      } else {
        const Tensor<Scalar>& g0 = convs_[0]->backward(dx_);
        put_grad(0, convs_[0]->grad_w());
        if (!frozen_)
          for (Index b = 0; b < n; ++b) const_grad_.array() += g0.array().segment(b * const_.size(), const_.size());
      }
    }
    return grad_ws_;
  }

  /// "const" (C0, 4, 4), then per block b "b<R>.conv0.*", "b<R>.conv1.*" (b >= 1) and "b<R>.torgb.*".
  std::vector<Parameter<Scalar>> parameters() {
    std::vector<Parameter<Scalar>> all{{"const", &const_, &const_grad_}};
    each_layer([&](const std::string& prefix, StyleConv<Scalar>& l) {
      for (auto& p : l.parameters()) all.push_back({prefix + p.name, p.value, p.grad, p.lr_scale});
    });
    return all;
  }
  /// Every StyleConv's "fixed_noise", named like the parameters.
  std::vector<Buffer<Scalar>> buffers() {
    std::vector<Buffer<Scalar>> all;
    each_layer([&](const std::string& prefix, StyleConv<Scalar>& l) {
      for (auto& b : l.buffers()) all.push_back({prefix + b.name, b.value});
    });
    return all;
  }
  /// Sets every parameter gradient to zero.
  void zero_grad() {
    for (auto& p : parameters()) p.grad->set_zero();
  }
  /// Fresh parameters: constant input N(0, 1) and each layer's (see StyleConv::reset_parameters()).
  /// @param rng the draws.
  void reset_parameters(Rng& rng) {
    rng.fill_normal(const_);
    each_layer([&](const std::string&, StyleConv<Scalar>& l) { l.reset_parameters(rng); });
  }
  /// When frozen, backward() still returns dLoss/dws but leaves the parameter gradients alone.
  /// @param frozen the new state.
  void set_frozen(bool frozen) {
    frozen_ = frozen;
    each_layer([&](const std::string&, StyleConv<Scalar>& l) { l.set_frozen(frozen); });
  }
  /// Where the noise comes from in the next forward() calls (NoiseMode::random by default).
  /// @param mode random for training, fixed for reproducible pictures, none to switch it off.
  void set_noise_mode(NoiseMode mode) { noise_mode_ = mode; }
  /// The current noise mode.
  NoiseMode noise_mode() const { return noise_mode_; }
  /// The generator NoiseMode::random draws from; save its state() for an exact resume.
  Rng& noise_rng() { return noise_rng_; }

 private:
  const Tensor<Scalar>& slice(std::size_t l) const { return slices_[l]; }
  void put_grad(std::size_t slot, const Tensor<Scalar>& g) {
    const Index n = g.dim(0), d = c_.w_dim, L = num_ws();
    for (Index b = 0; b < n; ++b)
      grad_ws_.array().segment((b * L + static_cast<Index>(slot)) * d, d) += g.array().segment(b * d, d);
  }
  template <typename F>
  void each_layer(F f) {
    for (std::size_t b = 0; b < to_rgb_.size(); ++b) {
      const std::string prefix = "b" + std::to_string(Index{4} << b) + ".";
      if (b == 0) {
        f(prefix + "conv1.", *convs_[0]);
      } else {
        f(prefix + "conv0.", *convs_[2 * b - 1]);
        f(prefix + "conv1.", *convs_[2 * b]);
      }
      f(prefix + "torgb.", *to_rgb_[b]);
    }
  }

  StyleGanConfig c_;
  Rng noise_rng_;
  NoiseMode noise_mode_ = NoiseMode::random;
  bool frozen_ = false;
  Tensor<Scalar> const_, const_grad_, input_, grad_ws_, dx_, dnext_;
  std::vector<std::unique_ptr<StyleConv<Scalar>>> convs_, to_rgb_;
  std::vector<std::unique_ptr<Upsample<Scalar>>> image_up_;
  std::vector<Tensor<Scalar>> images_, slices_;
};

/// Mapping network plus synthesis network, with the tracked w_avg and the sampling controls: the truncation trick,
/// style mixing and interpolation in w.
template <typename Scalar = float>
class StyleGenerator {
 public:
  /// @param c the sizes.
  /// @param seed seeds the initial parameters and the noise.
  /// @throws argument_error for an invalid config.
  explicit StyleGenerator(const StyleGanConfig& c, std::uint64_t seed = 0)
      : c_((c.validate(), c)), mapping_(make_mapping_network<Scalar>(c)), synthesis_(c, seed), w_avg_(Shape{c.w_dim}) {
    Rng rng(seed);
    mapping_.reset_parameters(Init::torch_default, rng);
    mapping_.set_input_grad(false);  // nothing needs dLoss/dz
  }

  /// The sizes.
  const StyleGanConfig& config() const { return c_; }
  /// Style slots L.
  Index num_ws() const { return c_.num_ws(); }
  /// The mapping network (a Sequential: PixelNorm, EqualizedLinear, LeakyReLU, ...).
  Sequential<Scalar>& mapping() { return mapping_; }
  /// The synthesis network.
  SynthesisNetwork<Scalar>& synthesis() { return synthesis_; }
  /// The running average of w (w_dim), updated by update_w_avg(); the centre of truncate().
  Tensor<Scalar>& w_avg() { return w_avg_; }

  /// "mapping.<name>" then "synthesis.<name>"; the mapping network's parameters carry its lr_scale.
  std::vector<Parameter<Scalar>> parameters() {
    std::vector<Parameter<Scalar>> all;
    for (auto& p : mapping_.parameters()) all.push_back({"mapping." + p.name, p.value, p.grad, p.lr_scale});
    for (auto& p : synthesis_.parameters()) all.push_back({"synthesis." + p.name, p.value, p.grad, p.lr_scale});
    return all;
  }
  /// "w_avg" then "synthesis.<fixed noise>".
  std::vector<Buffer<Scalar>> buffers() {
    std::vector<Buffer<Scalar>> all{{"w_avg", &w_avg_}};
    for (auto& b : synthesis_.buffers()) all.push_back({"synthesis." + b.name, b.value});
    return all;
  }
  /// Sets every parameter gradient to zero.
  void zero_grad() {
    mapping_.zero_grad();
    synthesis_.zero_grad();
  }
  /// Freezes or unfreezes both networks' parameter gradients.
  /// @param frozen the new state.
  void set_frozen(bool frozen) {
    mapping_.set_frozen(frozen);
    synthesis_.set_frozen(frozen);
  }

  /// w = mapping(z).
  /// @param z latents (N, z_dim).
  /// @return (N, w_dim), owned by the mapping network.
  /// @throws shape_error when z is not (N, z_dim).
  const Tensor<Scalar>& map(const Tensor<Scalar>& z) { return mapping_.forward(z); }
  /// Images from styles.
  /// @param ws (N, L, w_dim).
  /// @return (N, image_channels, R, R), owned by the synthesis network.
  const Tensor<Scalar>& synthesize(const Tensor<Scalar>& ws) { return synthesis_.forward(ws); }
  /// Images from latents: w = mapping(z), truncated towards w_avg by psi, the same w in every slot.
  /// @param z latents (N, z_dim).
  /// @param psi truncation: 1 keeps w, 0 gives w_avg.
  /// @return (N, image_channels, R, R), owned by the synthesis network.
  const Tensor<Scalar>& generate(const Tensor<Scalar>& z, double psi = 1.0) {
    truncate(map(z), w_avg_, psi, w_);
    broadcast(w_, num_ws(), ws_);
    return synthesize(ws_);
  }
  /// Moves w_avg towards the batch mean of w: w_avg = beta * w_avg + (1 - beta) * mean(w).
  /// @param w a batch (N, w_dim).
  /// @param beta the decay, in [0, 1) (StyleGAN uses 0.995).
  /// @throws shape_error when w is not (N, w_dim).
  void update_w_avg(const Tensor<Scalar>& w, double beta = 0.995) {
    if (w.rank() != 2 || w.dim(1) != c_.w_dim || w.dim(0) < 1)
      throw shape_error("StyleGenerator::update_w_avg(): expected w (N, " + std::to_string(c_.w_dim) + "), got " + w.shape().str());
    const Scalar b = static_cast<Scalar>(beta);
    w_avg_.array() = b * w_avg_.array() + (Scalar(1) - b) * w.matrix().rowwise().mean().array();
  }

  /// The truncation trick: out = w_avg + psi (w - w_avg) for every sample.
  /// @param w a batch (N, D).
  /// @param w_avg the centre (D).
  /// @param psi 1 keeps w, 0 gives w_avg.
  /// @param out receives (N, D).
  static void truncate(const Tensor<Scalar>& w, const Tensor<Scalar>& w_avg, double psi, Tensor<Scalar>& out) {
    if (w.rank() != 2 || w_avg.size() != w.dim(1))
      throw shape_error("StyleGenerator::truncate(): w " + w.shape().str() + " and w_avg " + w_avg.shape().str() + " do not fit");
    out.resize(w.shape());
    const Scalar p = static_cast<Scalar>(psi);
    out.matrix() = (p * w.matrix()).colwise() + (Scalar(1) - p) * w_avg.array().matrix();
  }
  /// The same w in every slot: ws[n, l] = w[n].
  /// @param w a batch (N, D).
  /// @param num_ws L.
  /// @param ws receives (N, L, D).
  static void broadcast(const Tensor<Scalar>& w, Index num_ws, Tensor<Scalar>& ws) {
    if (w.rank() != 2 || num_ws < 1) throw shape_error("StyleGenerator::broadcast(): expected w (N, D), got " + w.shape().str());
    const Index n = w.dim(0), d = w.dim(1);
    ws.resize(Shape{n, num_ws, d});
    for (Index b = 0; b < n; ++b)
      for (Index l = 0; l < num_ws; ++l) std::copy(w.data() + b * d, w.data() + (b + 1) * d, ws.data() + (b * num_ws + l) * d);
  }
  /// Style mixing: ws[n, l] = first[n] for l < crossover[n], second[n] from there on. A crossover of 0 takes every
  /// slot from `second`, one of L every slot from `first`.
  /// @param first a batch (N, D): the coarse styles.
  /// @param second a batch (N, D): the fine styles.
  /// @param crossover N slot indices in [0, L].
  /// @param num_ws L.
  /// @param ws receives (N, L, D).
  /// @throws shape_error or argument_error when the batches or crossovers do not fit.
  static void mix_styles(const Tensor<Scalar>& first, const Tensor<Scalar>& second, const std::vector<Index>& crossover, Index num_ws, Tensor<Scalar>& ws) {
    if (first.rank() != 2 || first.shape() != second.shape() || static_cast<Index>(crossover.size()) != first.dim(0))
      throw shape_error("StyleGenerator::mix_styles(): first " + first.shape().str() + ", second " + second.shape().str() + " and " +
                        std::to_string(crossover.size()) + " crossovers do not fit");
    const Index n = first.dim(0), d = first.dim(1);
    ws.resize(Shape{n, num_ws, d});
    for (Index b = 0; b < n; ++b) {
      const Index k = crossover[static_cast<std::size_t>(b)];
      if (k < 0 || k > num_ws)
        throw argument_error("StyleGenerator::mix_styles(): crossover " + std::to_string(k) + " outside [0, " + std::to_string(num_ws) + "]");
      for (Index l = 0; l < num_ws; ++l) {
        const Tensor<Scalar>& src = l < k ? first : second;
        std::copy(src.data() + b * d, src.data() + (b + 1) * d, ws.data() + (b * num_ws + l) * d);
      }
    }
  }
  /// Linear interpolation in w space: out[j] = (1 - t_j) a + t_j b with t_j = j / (steps - 1).
  /// @param a one w (D) or (1, D).
  /// @param b another, of the same size.
  /// @param steps how many points, >= 2.
  /// @param out receives (steps, D).
  static void interpolate(const Tensor<Scalar>& a, const Tensor<Scalar>& b, Index steps, Tensor<Scalar>& out) {
    if (a.size() != b.size() || steps < 2)
      throw argument_error("StyleGenerator::interpolate(): a and b must have the same size and steps be >= 2, got " + a.shape().str() + ", " +
                           b.shape().str() + ", " + std::to_string(steps));
    const Index d = a.size();
    out.resize(Shape{steps, d});
    for (Index j = 0; j < steps; ++j) {
      const Scalar t = static_cast<Scalar>(static_cast<double>(j) / static_cast<double>(steps - 1));
      out.matrix().col(j) = (Scalar(1) - t) * a.array().matrix() + t * b.array().matrix();
    }
  }

 private:
  StyleGanConfig c_;
  Sequential<Scalar> mapping_;
  SynthesisNetwork<Scalar> synthesis_;
  Tensor<Scalar> w_avg_, w_, ws_;
};

/// A residual discriminator for StyleGenerator's images (StyleGAN2's "resnet" D, sized by the same config): fromRGB
/// (1x1 EqualizedConv2d + LeakyReLU), then per resolution from R down to 8 a Residual block whose body is two 3x3
/// EqualizedConv2d (the second with stride 2) with LeakyReLU(0.2) and whose skip is a 1x1 stride-2 EqualizedConv2d;
/// at 4x4 MinibatchStdDev, a 3x3 conv, Flatten and two EqualizedLinear layers down to one logit.
/// @param c the sizes (its channels are used in reverse).
/// @throws argument_error for an invalid config.
template <typename Scalar = float>
Sequential<Scalar> make_style_discriminator(const StyleGanConfig& c) {
  c.validate();
  Sequential<Scalar> net;
  const std::size_t blocks = c.channels.size();
  net.template emplace<EqualizedConv2d<Scalar>>(ConvOptions(c.image_channels, c.channels[blocks - 1], 1));
  net.template emplace<LeakyReLU<Scalar>>(Scalar(0.2));
  for (std::size_t b = blocks - 1; b > 0; --b) {
    const Index ch = c.channels[b], next = c.channels[b - 1];
    auto body = std::make_unique<Sequential<Scalar>>();
    body->template emplace<EqualizedConv2d<Scalar>>(ConvOptions(ch, ch, 3).with_padding(1));
    body->template emplace<LeakyReLU<Scalar>>(Scalar(0.2));
    body->template emplace<EqualizedConv2d<Scalar>>(ConvOptions(ch, next, 3).with_padding(1).with_stride(2));
    body->template emplace<LeakyReLU<Scalar>>(Scalar(0.2));
    auto skip = std::make_unique<EqualizedConv2d<Scalar>>(ConvOptions(ch, next, 1).with_stride(2).with_bias(false));
    net.template emplace<Residual<Scalar>>(std::move(body), std::move(skip));
  }
  const Index c0 = c.channels[0];
  net.template emplace<MinibatchStdDev<Scalar>>();
  net.template emplace<EqualizedConv2d<Scalar>>(ConvOptions(c0 + 1, c0, 3).with_padding(1));
  net.template emplace<LeakyReLU<Scalar>>(Scalar(0.2));
  net.template emplace<Flatten<Scalar>>();
  net.template emplace<EqualizedLinear<Scalar>>(c0 * 16, c0);
  net.template emplace<LeakyReLU<Scalar>>(Scalar(0.2));
  net.template emplace<EqualizedLinear<Scalar>>(c0, 1);
  return net;
}

}  // namespace ganpp
