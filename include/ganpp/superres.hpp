// SPDX-License-Identifier: MIT
/// @file
/// Super-resolution: the fixed box (area) downsampling that makes low-resolution inputs, and SRGAN's generator.
#pragma once

#include "error.hpp"
#include "layers/activation.hpp"
#include "layers/batch_norm.hpp"
#include "layers/conv2d.hpp"
#include "layers/pixel_shuffle.hpp"
#include "layers/prelu.hpp"
#include "layers/residual.hpp"
#include "layers/sequential.hpp"
#include "tensor.hpp"

#include <memory>
#include <string>
#include <utility>

namespace ganpp {

/// Downsamples a batch of images by an integer factor f, each output pixel the mean of an f x f block of input
/// pixels (box filter, "area" interpolation: PyTorch's F.avg_pool2d(x, f) and F.interpolate(x, scale_factor=1/f,
/// mode='area') for sides divisible by f). Makes the low-resolution inputs of a super-resolution model from its
/// high-resolution targets: 28x28 -> 7x7 with f = 4. Averages keep the value range, so [-1, 1] images stay in [-1, 1].
/// @tparam Scalar float or double.
/// @param images (N, C, H, W) with H and W multiples of factor.
/// @param factor f, the side of the averaged blocks.
/// @param out resized to (N, C, H / factor, W / factor), reusing its buffer.
/// @throws argument_error for factor < 1; shape_error for another rank or sides not divisible by factor.
template <typename Scalar>
void box_downsample(const Tensor<Scalar>& images, Index factor, Tensor<Scalar>& out) {
  if (factor < 1) throw argument_error("box_downsample(): factor must be positive, got " + std::to_string(factor));
  const Shape& s = images.shape();
  if (s.rank() != 4 || s[2] % factor != 0 || s[3] % factor != 0)
    throw shape_error("box_downsample(): expected images (N, C, H, W) with H and W multiples of " + std::to_string(factor) + ", got " + s.str());
  const Index h = s[2] / factor, w = s[3] / factor;
  out.resize(Shape{s[0], s[1], h, w});
  const Scalar scale = Scalar(1) / static_cast<Scalar>(factor * factor);
  for (Index plane = 0; plane < s[0] * s[1]; ++plane) {
    const Scalar* in = images.data() + plane * s[2] * s[3];
    Scalar* o = out.data() + plane * h * w;
    for (Index y = 0; y < h; ++y)
      for (Index x = 0; x < w; ++x) {
        Scalar sum = 0;
        for (Index i = 0; i < factor; ++i)
          for (Index j = 0; j < factor; ++j) sum += in[(y * factor + i) * s[3] + x * factor + j];
        o[y * w + x] = sum * scale;
      }
  }
}

/// The shape of an SRResNet generator (Ledig et al. 2017, "Photo-realistic single image super-resolution using a
/// generative adversarial network", Fig. 4); the defaults are the paper's, except the image channels (1, for digits).
struct SrResNetOptions {
  Index image_channels = 1;   ///< channels of the input and output images (3 for RGB)
  Index channels = 64;        ///< feature channels inside the network
  Index residual_blocks = 16; ///< B, the number of conv-BN-PReLU-conv-BN residual blocks
  Index upscale = 4;          ///< the factor between output and input sides: a power of two (one upsampling block per 2x)
  bool tanh_output = true;    ///< end in Tanh, for images scaled to [-1, 1] as ganpp's data sets are (the paper ends in the conv)
};

/// One SRResNet residual block, x + BN(conv3x3(PReLU(BN(conv3x3(x))))), with channels in and out and per-channel
/// PReLU slopes. The convolutions have no bias: the BatchNorm after each one has its own shift.
/// @tparam Scalar float or double.
/// @param channels the block's input and output channels.
/// @throws argument_error for channels < 1.
template <typename Scalar = float>
std::unique_ptr<Layer<Scalar>> srresnet_block(Index channels) {
  if (channels < 1) throw argument_error("srresnet_block(): channels must be positive, got " + std::to_string(channels));
  auto body = std::make_unique<Sequential<Scalar>>();
  body->template emplace<Conv2d<Scalar>>(ConvOptions(channels, channels, 3).with_padding(1).with_bias(false))
      .template emplace<BatchNorm<Scalar>>(channels)
      .template emplace<PReLU<Scalar>>(channels)
      .template emplace<Conv2d<Scalar>>(ConvOptions(channels, channels, 3).with_padding(1).with_bias(false))
      .template emplace<BatchNorm<Scalar>>(channels);
  return std::make_unique<Residual<Scalar>>(std::move(body));
}

/// SRGAN's generator, SRResNet (Ledig et al. 2017, Fig. 4), mapping (N, image_channels, H, W) to
/// (N, image_channels, H * upscale, W * upscale):
/// conv9x9 -> PReLU -> [B residual blocks -> conv3x3 -> BN] + long skip -> log2(upscale) x (conv3x3 to 4 * channels
/// -> PixelShuffle(2) -> PReLU) -> conv9x9 to image_channels -> Tanh (optional).
/// The long skip is a Residual around the residual blocks and the conv-BN after them, so its parameters read
/// "2.body.<i>...". Initialise it with reset_parameters() for a scheme other than PyTorch's default.
/// @tparam Scalar float or double.
/// @param o the image and feature channels, the block count, the upscale factor and the output activation.
/// @throws argument_error for non-positive channels, a negative block count or an upscale that is not a power of two.
template <typename Scalar = float>
Sequential<Scalar> srresnet_generator(const SrResNetOptions& o = {}) {
  if (o.image_channels < 1 || o.channels < 1 || o.residual_blocks < 0 || o.upscale < 1 || (o.upscale & (o.upscale - 1)) != 0)
    throw argument_error("srresnet_generator(): image_channels and channels must be positive, residual_blocks non-negative and upscale a power of "
                         "two, got image_channels " + std::to_string(o.image_channels) + ", channels " + std::to_string(o.channels) +
                         ", residual_blocks " + std::to_string(o.residual_blocks) + ", upscale " + std::to_string(o.upscale));
  Sequential<Scalar> net;
  net.template emplace<Conv2d<Scalar>>(ConvOptions(o.image_channels, o.channels, 9).with_padding(4)).template emplace<PReLU<Scalar>>(o.channels);
  auto trunk = std::make_unique<Sequential<Scalar>>();
  for (Index b = 0; b < o.residual_blocks; ++b) trunk->add(srresnet_block<Scalar>(o.channels));
  trunk->template emplace<Conv2d<Scalar>>(ConvOptions(o.channels, o.channels, 3).with_padding(1).with_bias(false))
      .template emplace<BatchNorm<Scalar>>(o.channels);
  net.add(std::make_unique<Residual<Scalar>>(std::move(trunk)));
  for (Index f = o.upscale; f > 1; f /= 2)
    net.template emplace<Conv2d<Scalar>>(ConvOptions(o.channels, 4 * o.channels, 3).with_padding(1))
        .template emplace<PixelShuffle<Scalar>>(2)
        .template emplace<PReLU<Scalar>>(o.channels);
  net.template emplace<Conv2d<Scalar>>(ConvOptions(o.channels, o.image_channels, 9).with_padding(4));
  if (o.tanh_output) net.template emplace<Tanh<Scalar>>();
  return net;
}

}  // namespace ganpp
