// SPDX-License-Identifier: MIT
/// @file
/// Super-resolution: the fixed box (area) downsampling that makes low-resolution inputs, bicubic upscaling (the
/// baseline), and SRGAN's generator and discriminator.
#pragma once

#include "error.hpp"
#include "layers/activation.hpp"
#include "layers/batch_norm.hpp"
#include "layers/conv2d.hpp"
#include "layers/linear.hpp"
#include "layers/pixel_shuffle.hpp"
#include "layers/prelu.hpp"
#include "layers/reshape.hpp"
#include "layers/residual.hpp"
#include "layers/sequential.hpp"
#include "models.hpp"
#include "tensor.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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

namespace detail {
// Keys' cubic convolution kernel with a = -0.75 (PyTorch's and OpenCV's bicubic) at distance |x| < 2.
inline double cubic_weight(double x) {
  constexpr double a = -0.75;
  x = std::abs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}
// For each of `out` output positions of an upscaling by `factor`: the 4 source indices (clamped to [0, in - 1]) and
// their weights. Source coordinate (dst + 0.5) / factor - 0.5, half-pixel centres (align_corners=False).
inline void cubic_taps(Index in, Index out, Index factor, std::vector<Index>& index, std::vector<double>& weight) {
  index.resize(static_cast<std::size_t>(out * 4));
  weight.resize(static_cast<std::size_t>(out * 4));
  for (Index d = 0; d < out; ++d) {
    const double src = (static_cast<double>(d) + 0.5) / static_cast<double>(factor) - 0.5;
    const double base = std::floor(src), t = src - base;
    for (Index k = 0; k < 4; ++k) {
      const Index i = static_cast<Index>(base) - 1 + k;
      index[static_cast<std::size_t>(d * 4 + k)] = i < 0 ? 0 : i >= in ? in - 1 : i;
      weight[static_cast<std::size_t>(d * 4 + k)] = cubic_weight(t - static_cast<double>(k - 1));
    }
  }
}
}  // namespace detail

/// Upscales a batch of images by an integer factor with bicubic interpolation, the baseline that super-resolution
/// models are measured against: Keys' cubic convolution kernel with a = -0.75, half-pixel centres (source coordinate
/// (x + 0.5) / factor - 0.5) and border pixels repeated, the conventions of PyTorch's
/// F.interpolate(x, scale_factor=factor, mode='bicubic', align_corners=False) and of OpenCV's INTER_CUBIC. Separable:
/// rows first, then columns, in double. The result is not clamped: near sharp edges it overshoots the input range
/// by a few percent (as PyTorch's); clamp it before saving as pixels.
/// @tparam Scalar float or double.
/// @param images (N, C, H, W) with H, W >= 1.
/// @param factor the integer scale, >= 1.
/// @param out resized to (N, C, H * factor, W * factor), reusing its buffer.
/// @throws argument_error for factor < 1; shape_error for another rank or an empty image.
template <typename Scalar>
void bicubic_upsample(const Tensor<Scalar>& images, Index factor, Tensor<Scalar>& out) {
  if (factor < 1) throw argument_error("bicubic_upsample(): factor must be positive, got " + std::to_string(factor));
  const Shape& s = images.shape();
  if (s.rank() != 4 || s[2] < 1 || s[3] < 1)
    throw shape_error("bicubic_upsample(): expected images (N, C, H, W) with H, W >= 1, got " + s.str());
  const Index h = s[2], w = s[3], oh = h * factor, ow = w * factor;
  std::vector<Index> xi, yi;
  std::vector<double> xw, yw;
  detail::cubic_taps(w, ow, factor, xi, xw);
  detail::cubic_taps(h, oh, factor, yi, yw);
  out.resize(Shape{s[0], s[1], oh, ow});
  std::vector<double> rows(static_cast<std::size_t>(h * ow));
  for (Index plane = 0; plane < s[0] * s[1]; ++plane) {
    const Scalar* in = images.data() + plane * h * w;
    for (Index y = 0; y < h; ++y)
      for (Index x = 0; x < ow; ++x) {
        double v = 0;
        for (Index k = 0; k < 4; ++k)
          v += xw[static_cast<std::size_t>(x * 4 + k)] * static_cast<double>(in[y * w + xi[static_cast<std::size_t>(x * 4 + k)]]);
        rows[static_cast<std::size_t>(y * ow + x)] = v;
      }
    Scalar* o = out.data() + plane * oh * ow;
    for (Index y = 0; y < oh; ++y)
      for (Index x = 0; x < ow; ++x) {
        double v = 0;
        for (Index k = 0; k < 4; ++k)
          v += yw[static_cast<std::size_t>(y * 4 + k)] * rows[static_cast<std::size_t>(yi[static_cast<std::size_t>(y * 4 + k)] * ow + x)];
        o[y * ow + x] = static_cast<Scalar>(v);
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

/// How far, in input pixels, the output of an SRResNet generator depends on its input around a pixel: 4 (the first
/// 9x9 convolution) + 2 per residual block + 1 (the conv after them) + 1 per 2x upsampling block (a 3x3 convolution at
/// a resolution at least 2x the input's) + 1 for the last 9x9 convolution (4 output pixels, at most 1 input pixel at
/// upscale >= 4; 2 at upscale 2; 4 at upscale 1). Tiles overlapping by this margin give exactly the whole image's result.
/// @param o the generator's shape.
inline Index srresnet_receptive_margin(const SrResNetOptions& o) {
  Index ups = 0;
  for (Index f = o.upscale; f > 1; f /= 2) ++ups;
  return 4 + 2 * o.residual_blocks + 1 + ups + (4 + o.upscale - 1) / o.upscale;
}

/// Applies a fully convolutional super-resolution model to one image of any size, tile by tile so that memory stays
/// bounded: the output is cut into tiles of tile x tile input pixels; each is computed from its input region widened
/// by `margin` pixels on every side (clipped at the image's borders, where the model's own padding applies as for
/// the whole image), and only the tile's own part is kept. With margin at least the model's receptive margin (see
/// srresnet_receptive_margin()) and the model in eval mode, the result equals model.forward(image) exactly up to
/// floating-point summation order.
/// @tparam Scalar float or double.
/// @param model the model, taking (1, C, h, w) to (1, C, h * factor, w * factor) for any h, w; used as is (call eval() first).
/// @param image (1, C, H, W).
/// @param factor the model's upscale factor.
/// @param tile the side of a tile in input pixels, >= 1.
/// @param margin the overlap in input pixels, >= 0.
/// @param out resized to (1, C, H * factor, W * factor).
/// @throws shape_error for an image that is not one (1, C, H, W) image, or a model whose output is not factor x its
///         input; argument_error for a bad factor, tile or margin.
template <typename Scalar>
void upscale_tiled(Layer<Scalar>& model, const Tensor<Scalar>& image, Index factor, Index tile, Index margin, Tensor<Scalar>& out) {
  if (factor < 1 || tile < 1 || margin < 0)
    throw argument_error("upscale_tiled(): expected factor >= 1, tile >= 1 and margin >= 0, got " + std::to_string(factor) + ", " +
                         std::to_string(tile) + ", " + std::to_string(margin));
  const Shape& s = image.shape();
  if (s.rank() != 4 || s[0] != 1 || s[2] < 1 || s[3] < 1) throw shape_error("upscale_tiled(): expected one image (1, C, H, W), got " + s.str());
  const Index c = s[1], h = s[2], w = s[3];
  out.resize(Shape{1, c, h * factor, w * factor});
  Tensor<Scalar> crop;
  for (Index ty = 0; ty < h; ty += tile)
    for (Index tx = 0; tx < w; tx += tile) {
      const Index y0 = std::max<Index>(0, ty - margin), y1 = std::min(h, ty + tile + margin);
      const Index x0 = std::max<Index>(0, tx - margin), x1 = std::min(w, tx + tile + margin);
      crop.resize(Shape{1, c, y1 - y0, x1 - x0});
      for (Index ch = 0; ch < c; ++ch)
        for (Index y = y0; y < y1; ++y)
          std::copy(image.data() + (ch * h + y) * w + x0, image.data() + (ch * h + y) * w + x1, crop.data() + (ch * (y1 - y0) + y - y0) * (x1 - x0));
      const Tensor<Scalar>& up = model.forward(crop);
      const Index uh = (y1 - y0) * factor, uw = (x1 - x0) * factor;
      if (up.shape() != Shape{1, c, uh, uw})
        throw shape_error("upscale_tiled(): the model turned a tile " + crop.shape().str() + " into " + up.shape().str() + ", expected (1, " +
                          std::to_string(c) + ", " + std::to_string(uh) + ", " + std::to_string(uw) + ")");
      const Index oy0 = ty * factor, oy1 = std::min(h, ty + tile) * factor, ox0 = tx * factor, ox1 = std::min(w, tx + tile) * factor;
      for (Index ch = 0; ch < c; ++ch)
        for (Index y = oy0; y < oy1; ++y) {
          const Scalar* src = up.data() + (ch * uh + y - y0 * factor) * uw + (ox0 - x0 * factor);
          std::copy(src, src + (ox1 - ox0), out.data() + (ch * h * factor + y) * w * factor + ox0);
        }
    }
}

/// The shape of an SRGAN discriminator (Ledig et al. 2017, Fig. 4: k3n64s1, then pairs k3n64s2, k3n128s1, k3n128s2,
/// ..., Dense 1024, Dense 1). The paper's has 64 channels, 4 stride-2 stages and 1024 dense units, for 96x96 patches;
/// smaller images take fewer stages.
struct SrDiscriminatorOptions {
  Index image_channels = 1;  ///< channels of the judged images
  Index image_size = 28;     ///< their height and width (square)
  Index channels = 64;       ///< channels of the first convolution; doubled after every stride-2 stage but the last
  Index stages = 4;          ///< stride-2 convolutions, each halving the side (rounding up)
  Index dense = 1024;        ///< units of the hidden dense layer
};

/// SRGAN's discriminator: conv3x3(channels) -> LeakyReLU(0.2) -> for each stage s (c = channels * 2^s):
/// conv3x3 stride 2 (c) -> BN -> LeakyReLU, then, except after the last stage, conv3x3 (2c) -> BN -> LeakyReLU;
/// then Flatten -> Linear(dense) -> LeakyReLU(0.2) -> Linear(1): one logit per image.
/// @tparam Scalar float or double.
/// @param o the image's channels and side, the widths and the number of stages.
/// @throws argument_error for a non-positive size, width or stage count.
template <typename Scalar = float>
Sequential<Scalar> srgan_discriminator(const SrDiscriminatorOptions& o = {}) {
  if (o.image_channels < 1 || o.image_size < 1 || o.channels < 1 || o.stages < 1 || o.dense < 1)
    throw argument_error("srgan_discriminator(): image_channels, image_size, channels, stages and dense must be positive, got " +
                         std::to_string(o.image_channels) + ", " + std::to_string(o.image_size) + ", " + std::to_string(o.channels) + ", " +
                         std::to_string(o.stages) + ", " + std::to_string(o.dense));
  const Scalar slope = Scalar(0.2);
  Sequential<Scalar> net;
  net.template emplace<Conv2d<Scalar>>(ConvOptions(o.image_channels, o.channels, 3).with_padding(1)).template emplace<LeakyReLU<Scalar>>(slope);
  Index c = o.channels, side = o.image_size;
  for (Index stage = 0; stage < o.stages; ++stage) {
    net.template emplace<Conv2d<Scalar>>(ConvOptions(c, c, 3).with_stride(2).with_padding(1).with_bias(false))
        .template emplace<BatchNorm<Scalar>>(c)
        .template emplace<LeakyReLU<Scalar>>(slope);
    side = (side - 1) / 2 + 1;
    if (stage + 1 < o.stages) {
      net.template emplace<Conv2d<Scalar>>(ConvOptions(c, 2 * c, 3).with_padding(1).with_bias(false))
          .template emplace<BatchNorm<Scalar>>(2 * c)
          .template emplace<LeakyReLU<Scalar>>(slope);
      c *= 2;
    }
  }
  net.template emplace<Flatten<Scalar>>()
      .template emplace<Linear<Scalar>>(c * side * side, o.dense)
      .template emplace<LeakyReLU<Scalar>>(slope)
      .template emplace<Linear<Scalar>>(o.dense, 1);
  return net;
}

}  // namespace ganpp
