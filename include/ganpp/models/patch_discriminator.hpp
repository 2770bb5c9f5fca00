// SPDX-License-Identifier: MIT
/// @file
/// PatchDiscriminator: builds pix2pix's PatchGAN, a convolutional discriminator that outputs a map of patch logits.
#pragma once

#include "../layers/activation.hpp"
#include "../layers/batch_norm.hpp"
#include "../layers/conv2d.hpp"
#include "../layers/instance_norm.hpp"
#include "../layers/sequential.hpp"

#include <algorithm>
#include <string>

namespace ganpp {

/// The normalization between a PatchDiscriminator's convolutions.
enum class PatchNorm {
  batch,     ///< BatchNorm (pix2pix's default)
  instance,  ///< InstanceNorm2d without affine parameters (CycleGAN's default); the convolutions then get biases
  none,      ///< no normalization; the convolutions get biases
};

/// Builder of the PatchGAN discriminator of pix2pix (Isola et al. 2017, "Image-to-Image Translation with Conditional
/// Adversarial Networks", section 3.2.2 and appendix 6.1.2), layer for layer as NLayerDiscriminator of the authors'
/// PyTorch code: C64 - C128 - C256 - C512 for n_layers = 3, where Ck is a 4x4 convolution with k filters, stride 2
/// (stride 1 for the last), padding 1, then the norm (none on the first) and LeakyReLU(0.2); filters double per layer
/// up to 8 x base_channels; a final 4x4 stride-1 convolution to 1 channel gives one logit per patch, shape
/// (N, 1, H', W'). Convolutions followed by BatchNorm have no bias (the norm's shift replaces it).
///
/// n_layers = 3 sees 70x70 patches of a 256x256 image (H' = W' = 30); for 32x32 inputs n_layers = 2 gives a 6x6 map
/// of 34x34 patches and n_layers = 3 a 2x2 map. Pair the map with GanLoss, which averages over every logit; a
/// conditional (pix2pix) discriminator sees the input and output images concatenated along the channels, so
/// in_channels is their sum.
///
///     Sequential<float> d = PatchDiscriminator(6).with_layers(2).with_norm(PatchNorm::instance).build<float>();
struct PatchDiscriminator {
  Index in_channels;        ///< channels of the images D sees
  Index base_channels = 64; ///< filters of the first convolution (ndf)
  Index n_layers = 3;       ///< stride-2 convolutions, the first included; at least 1
  PatchNorm norm = PatchNorm::batch;  ///< the normalization of every block but the first

  /// @param channels channels of the images the discriminator sees.
  explicit PatchDiscriminator(Index channels) : in_channels(channels) {}
  /// Sets base_channels; returns *this for chaining.
  /// @param c filters of the first convolution.
  PatchDiscriminator& with_base_channels(Index c) { base_channels = c; return *this; }
  /// Sets n_layers; returns *this for chaining.
  /// @param n stride-2 convolutions, the first included.
  PatchDiscriminator& with_layers(Index n) { n_layers = n; return *this; }
  /// Sets the normalization; returns *this for chaining.
  /// @param n BatchNorm, InstanceNorm2d or none.
  PatchDiscriminator& with_norm(PatchNorm n) { norm = n; return *this; }

  /// The network: n_layers + 2 convolutions with their norms and activations.
  /// @tparam Scalar float or double.
  /// @throws argument_error for in_channels, base_channels or n_layers below 1.
  template <typename Scalar = float>
  Sequential<Scalar> build() const {
    if (in_channels < 1 || base_channels < 1 || n_layers < 1)
      throw argument_error("PatchDiscriminator::build(): in_channels, base_channels and n_layers must be >= 1, got " + std::to_string(in_channels) + ", " +
                           std::to_string(base_channels) + ", " + std::to_string(n_layers));
    Sequential<Scalar> net;
    const bool bias = norm != PatchNorm::batch;
    net.template emplace<Conv2d<Scalar>>(ConvOptions(in_channels, base_channels, 4).with_stride(2).with_padding(1));
    net.template emplace<LeakyReLU<Scalar>>(Scalar(0.2));
    Index channels = base_channels;
    // n_layers - 1 more stride-2 blocks, then one stride-1 block; filters double up to 8 x base_channels.
    for (Index n = 1; n <= n_layers; ++n) {
      const Index out = base_channels * std::min<Index>(Index{1} << std::min<Index>(n, 3), 8);
      net.template emplace<Conv2d<Scalar>>(ConvOptions(channels, out, 4).with_stride(n < n_layers ? 2 : 1).with_padding(1).with_bias(bias));
      if (norm == PatchNorm::batch) net.template emplace<BatchNorm<Scalar>>(out);
      if (norm == PatchNorm::instance) net.template emplace<InstanceNorm2d<Scalar>>(out);
      net.template emplace<LeakyReLU<Scalar>>(Scalar(0.2));
      channels = out;
    }
    net.template emplace<Conv2d<Scalar>>(ConvOptions(channels, 1, 4).with_padding(1));
    return net;
  }

  /// The per-sample logit map shape (1, H', W') for (in_channels, height, width) images: height halves (rounding
  /// down) n_layers times, then loses 1 in each of the two stride-1 convolutions.
  /// @param height image height.
  /// @param width image width.
  /// @throws shape_error when the image is too small to leave a map of at least 1x1.
  Shape output_shape(Index height, Index width) const {
    auto side = [&](Index s) {
      for (Index n = 0; n < n_layers; ++n) s = s < 2 ? 0 : (s + 2 - 4) / 2 + 1;
      return s - 2;
    };
    const Index h = side(height), w = side(width);
    if (h < 1 || w < 1)
      throw shape_error("PatchDiscriminator::output_shape(): a " + std::to_string(height) + "x" + std::to_string(width) + " image is too small for " +
                        std::to_string(n_layers) + " stride-2 layers");
    return Shape{1, h, w};
  }
};

}  // namespace ganpp
