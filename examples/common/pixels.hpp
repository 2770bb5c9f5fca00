// SPDX-License-Identifier: MIT
// Pixel conversion between uint8 images and the [-1, 1] floats the models see.
#pragma once

#include <ganpp/tensor.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace examples {

/// A uint8 pixel as a model input: 0 -> -1, 255 -> 1.
inline float from_pixel(std::uint8_t p) { return static_cast<float>(p) / 127.5f - 1.0f; }

/// `count` pixels from `pixels` into `out` as model inputs.
inline void from_pixels(const std::uint8_t* pixels, ganpp::Index count, float* out) {
  for (ganpp::Index i = 0; i < count; ++i) out[i] = from_pixel(pixels[i]);
}

/// Appends generated values in [-1, 1] to `out` as uint8 pixels (rounded, clamped; NaN -> 0).
inline void to_pixels(const ganpp::Tensor<float>& images, std::vector<std::uint8_t>& out) {
  for (float v : images) {
    const float p = std::nearbyint((v + 1.0f) * 127.5f);
    out.push_back(static_cast<std::uint8_t>(std::isnan(p) ? 0.0f : std::min(255.0f, std::max(0.0f, p))));
  }
}

}  // namespace examples
