// SPDX-License-Identifier: MIT
// Super-resolution helpers: the fixed box (area) downsampling that makes low-resolution inputs from images.
#pragma once

#include "error.hpp"
#include "tensor.hpp"

#include <string>

namespace ganpp {

/// Downsamples a batch of images by an integer factor f, each output pixel the mean of an f x f block of input
/// pixels (box filter, "area" interpolation: PyTorch's F.avg_pool2d(x, f) and F.interpolate(x, scale_factor=1/f,
/// mode='area') for sides divisible by f). Makes the low-resolution inputs of a super-resolution model from its
/// high-resolution targets: 28x28 -> 7x7 with f = 4. Averages keep the value range, so [-1, 1] images stay in [-1, 1].
/// @tparam Scalar float or double.
/// @param images (N, C, H, W) with H and W multiples of factor.
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

}  // namespace ganpp
