// SPDX-License-Identifier: MIT
/// @file
/// UnetGenerator and ResnetGenerator: builders of pix2pix's U-Net and CycleGAN's ResNet generator, sized for small
/// images (32x32) by their depth parameters.
#pragma once

#include "../layers/activation.hpp"
#include "../layers/batch_norm.hpp"
#include "../layers/conv2d.hpp"
#include "../layers/dropout.hpp"
#include "../layers/instance_norm.hpp"
#include "../layers/padding.hpp"
#include "../layers/residual.hpp"
#include "../layers/sequential.hpp"
#include "../layers/skip_concat.hpp"

#include <memory>
#include <string>

namespace ganpp {

/// The normalization inside a translation generator.
enum class GeneratorNorm {
  batch,     ///< BatchNorm (pix2pix); the convolutions before it have no bias
  instance,  ///< InstanceNorm2d without affine parameters (CycleGAN); the convolutions keep their biases
};

/// Builder of pix2pix's U-Net generator (Isola et al. 2017, appendix 6.1.1), block for block as UnetGenerator /
/// UnetSkipConnectionBlock of the authors' PyTorch code. num_downs 4x4 stride-2 convolutions halve the image down to
/// 1x1 (a 32x32 image needs num_downs = 5, a 256x256 one 8); filters go base, 2 base, 4 base, then 8 base for every
/// deeper level. Each level but the outermost is SkipConcat(down, inner, up): its input is concatenated along the
/// channels with its output, the skip connection between mirrored levels.
///
/// - outermost: Conv(in -> base) ... ReLU, ConvTranspose(2 base -> out), Tanh; no skip.
/// - middle:    LeakyReLU(0.2), Conv, norm ... ReLU, ConvTranspose, norm [, Dropout(0.5)].
/// - innermost: LeakyReLU(0.2), Conv ... ReLU, ConvTranspose, norm.
///
/// Dropout (p = 0.5) follows the up-path of the `dropout_levels` levels just outside the innermost (pix2pix's 256x256
/// net has 3; the default here, 2, for 32x32), and stays on in eval mode by default (DropoutMode::always), pix2pix's
/// source of noise. The Dropout layers draw from seed, seed + 1, ... counting from the innermost. Convolution biases
/// follow the authors' code: none before a BatchNorm, and none in the outermost down-convolution either.
///
///     Sequential<float> g = UnetGenerator(1, 1).with_base_channels(32).build<float>();  // (N,1,32,32) -> (N,1,32,32)
struct UnetGenerator {
  Index in_channels;                        ///< channels of the input image
  Index out_channels;                       ///< channels of the output image
  Index base_channels = 64;                 ///< filters of the outermost convolution (ngf)
  Index num_downs = 5;                      ///< stride-2 levels: the image side must be divisible by 2^num_downs
  Index dropout_levels = 2;                 ///< levels just outside the innermost whose up-path ends in Dropout(0.5)
  GeneratorNorm norm = GeneratorNorm::batch;  ///< the normalization (pix2pix: BatchNorm)
  DropoutMode dropout_mode = DropoutMode::always;  ///< whether dropout stays on in eval mode
  std::uint64_t seed = 0;                   ///< seeds the Dropout layers' masks

  /// @param in input channels.
  /// @param out output channels.
  UnetGenerator(Index in, Index out) : in_channels(in), out_channels(out) {}
  /// Sets base_channels; returns *this for chaining.
  /// @param c filters of the outermost convolution.
  UnetGenerator& with_base_channels(Index c) { base_channels = c; return *this; }
  /// Sets num_downs; returns *this for chaining.
  /// @param n stride-2 levels.
  UnetGenerator& with_downs(Index n) { num_downs = n; return *this; }
  /// Sets dropout_levels; returns *this for chaining (0: no dropout).
  /// @param n levels with dropout.
  UnetGenerator& with_dropout_levels(Index n) { dropout_levels = n; return *this; }
  /// Sets the normalization; returns *this for chaining.
  /// @param n BatchNorm or InstanceNorm2d.
  UnetGenerator& with_norm(GeneratorNorm n) { norm = n; return *this; }
  /// Sets the dropout mode and seed; returns *this for chaining.
  /// @param mode DropoutMode::always (on in eval mode too) or DropoutMode::train_only.
  /// @param s seed of the first Dropout layer's masks.
  UnetGenerator& with_dropout(DropoutMode mode, std::uint64_t s) { dropout_mode = mode; seed = s; return *this; }

  /// The network.
  /// @tparam Scalar float or double.
  /// @throws argument_error for channels below 1, num_downs below 2, or dropout_levels outside [0, num_downs - 2].
  template <typename Scalar = float>
  Sequential<Scalar> build() const {
    if (in_channels < 1 || out_channels < 1 || base_channels < 1 || num_downs < 2 || dropout_levels < 0 || dropout_levels > num_downs - 2)
      throw argument_error("UnetGenerator::build(): channels must be >= 1, num_downs >= 2 and dropout_levels in [0, num_downs - 2], got in " +
                           std::to_string(in_channels) + ", out " + std::to_string(out_channels) + ", base " + std::to_string(base_channels) +
                           ", num_downs " + std::to_string(num_downs) + ", dropout_levels " + std::to_string(dropout_levels));
    const bool bias = norm != GeneratorNorm::batch;
    auto filters = [&](Index level) { return base_channels * (Index{1} << std::min<Index>(level, 3)); };  // level 0 = outermost
    auto add_norm = [&](Sequential<Scalar>& s, Index c) {
      if (norm == GeneratorNorm::batch) s.template emplace<BatchNorm<Scalar>>(c);
      else s.template emplace<InstanceNorm2d<Scalar>>(c);
    };
    const auto down = [](Index in, Index out, bool b) { return ConvOptions(in, out, 4).with_stride(2).with_padding(1).with_bias(b); };
    std::uint64_t dropout_seed = seed;
    // Innermost first, wrapping outwards.
    std::unique_ptr<Layer<Scalar>> inner;
    for (Index level = num_downs - 1; level >= 1; --level) {
      const Index outer_c = filters(level - 1), inner_c = filters(level);
      const bool innermost = level == num_downs - 1;
      Sequential<Scalar> block;
      block.template emplace<LeakyReLU<Scalar>>(Scalar(0.2));
      block.template emplace<Conv2d<Scalar>>(down(outer_c, inner_c, bias));
      if (!innermost) {
        add_norm(block, inner_c);
        block.add(std::move(inner));
      }
      block.template emplace<ReLU<Scalar>>();
      block.template emplace<ConvTranspose2d<Scalar>>(down(innermost ? inner_c : 2 * inner_c, outer_c, bias));
      add_norm(block, outer_c);
      if (!innermost && level >= num_downs - 1 - dropout_levels) block.template emplace<Dropout<Scalar>>(0.5, dropout_seed++, dropout_mode);
      inner = std::make_unique<SkipConcat<Scalar>>(std::make_unique<Sequential<Scalar>>(std::move(block)));
    }
    Sequential<Scalar> net;
    net.template emplace<Conv2d<Scalar>>(down(in_channels, base_channels, bias));
    net.add(std::move(inner));
    net.template emplace<ReLU<Scalar>>();
    net.template emplace<ConvTranspose2d<Scalar>>(down(2 * base_channels, out_channels, true));
    net.template emplace<Tanh<Scalar>>();
    return net;
  }
};

/// Builder of CycleGAN's ResNet generator (Zhu et al. 2017, appendix 7.2, after Johnson et al. 2016), layer for
/// layer as ResnetGenerator of the authors' PyTorch code: c7s1-base, d2base, d4base, n_blocks residual blocks R4base,
/// u2base, ubase, c7s1-out, Tanh. c7s1-k is ReflectionPad2d(3), a 7x7 convolution, the norm and ReLU; dk a 3x3
/// stride-2 convolution (padding 1), norm, ReLU; Rk a Residual of [ReflectionPad2d(1), 3x3 conv, norm, ReLU,
/// ReflectionPad2d(1), 3x3 conv, norm]; uk a 3x3 stride-2 transposed convolution (padding 1, output padding 1),
/// norm, ReLU. The paper uses 6 blocks at 128x128 and 9 at 256x256; at 32x32 the residual blocks run at 8x8.
///
///     Sequential<float> g = ResnetGenerator(1, 1).with_base_channels(32).with_blocks(6).build<float>();
struct ResnetGenerator {
  Index in_channels;                             ///< channels of the input image
  Index out_channels;                            ///< channels of the output image
  Index base_channels = 64;                      ///< filters of the first convolution (ngf)
  Index n_blocks = 6;                            ///< residual blocks at the lowest resolution
  GeneratorNorm norm = GeneratorNorm::instance;  ///< the normalization (CycleGAN: InstanceNorm2d)

  /// @param in input channels.
  /// @param out output channels.
  ResnetGenerator(Index in, Index out) : in_channels(in), out_channels(out) {}
  /// Sets base_channels; returns *this for chaining.
  /// @param c filters of the first convolution.
  ResnetGenerator& with_base_channels(Index c) { base_channels = c; return *this; }
  /// Sets n_blocks; returns *this for chaining.
  /// @param n residual blocks.
  ResnetGenerator& with_blocks(Index n) { n_blocks = n; return *this; }
  /// Sets the normalization; returns *this for chaining.
  /// @param n BatchNorm or InstanceNorm2d.
  ResnetGenerator& with_norm(GeneratorNorm n) { norm = n; return *this; }

  /// The network; the image side must be divisible by 4.
  /// @tparam Scalar float or double.
  /// @throws argument_error for channels below 1 or a negative n_blocks.
  template <typename Scalar = float>
  Sequential<Scalar> build() const {
    if (in_channels < 1 || out_channels < 1 || base_channels < 1 || n_blocks < 0)
      throw argument_error("ResnetGenerator::build(): channels must be >= 1 and n_blocks >= 0, got in " + std::to_string(in_channels) + ", out " +
                           std::to_string(out_channels) + ", base " + std::to_string(base_channels) + ", n_blocks " + std::to_string(n_blocks));
    const bool bias = norm != GeneratorNorm::batch;
    auto add_norm = [&](Sequential<Scalar>& s, Index c) {
      if (norm == GeneratorNorm::batch) s.template emplace<BatchNorm<Scalar>>(c);
      else s.template emplace<InstanceNorm2d<Scalar>>(c);
    };
    Sequential<Scalar> net;
    net.template emplace<ReflectionPad2d<Scalar>>(3);
    net.template emplace<Conv2d<Scalar>>(ConvOptions(in_channels, base_channels, 7).with_bias(bias));
    add_norm(net, base_channels);
    net.template emplace<ReLU<Scalar>>();
    Index c = base_channels;
    for (int i = 0; i < 2; ++i, c *= 2) {
      net.template emplace<Conv2d<Scalar>>(ConvOptions(c, 2 * c, 3).with_stride(2).with_padding(1).with_bias(bias));
      add_norm(net, 2 * c);
      net.template emplace<ReLU<Scalar>>();
    }
    for (Index b = 0; b < n_blocks; ++b) {
      Sequential<Scalar> body;
      for (int half = 0; half < 2; ++half) {
        body.template emplace<ReflectionPad2d<Scalar>>(1);
        body.template emplace<Conv2d<Scalar>>(ConvOptions(c, c, 3).with_bias(bias));
        add_norm(body, c);
        if (half == 0) body.template emplace<ReLU<Scalar>>();
      }
      net.template emplace<Residual<Scalar>>(std::make_unique<Sequential<Scalar>>(std::move(body)));
    }
    for (int i = 0; i < 2; ++i, c /= 2) {
      net.template emplace<ConvTranspose2d<Scalar>>(ConvOptions(c, c / 2, 3).with_stride(2).with_padding(1).with_output_padding(1).with_bias(bias));
      add_norm(net, c / 2);
      net.template emplace<ReLU<Scalar>>();
    }
    net.template emplace<ReflectionPad2d<Scalar>>(3);
    net.template emplace<Conv2d<Scalar>>(ConvOptions(c, out_channels, 7));
    net.template emplace<Tanh<Scalar>>();
    return net;
  }
};

}  // namespace ganpp
