// SPDX-License-Identifier: MIT
// The StyleGAN2-lite model of ganpp-stylegan and ganpp-bench --model stylegan, and MNIST's 28x28 <-> 32x32.
#pragma once

#include <ganpp/models/stylegan.hpp>

#include <algorithm>

namespace stylegan {

/// MNIST's 28x28 padded by 2 pixels of background on each side.
constexpr ganpp::Index kSide = 32, kPad = 2;

/// z and w of 64 numbers; `channels` feature channels at 4x4 and 8x8, half of it at 16x16 and 32x32.
inline ganpp::StyleGanConfig config(ganpp::Index channels) {
  ganpp::StyleGanConfig c;
  c.z_dim = c.w_dim = 64;
  const ganpp::Index half = std::max<ganpp::Index>(channels / 2, 1);
  c.channels = {channels, channels, half, half};
  return c;
}

/// (N, 1, 28, 28) in [-1, 1] -> (N, 1, 32, 32) with a background (-1) border.
inline void pad(const ganpp::Tensor<float>& x, ganpp::Tensor<float>& out) {
  out.resize(ganpp::Shape{x.batch(), 1, kSide, kSide});
  out.fill(-1.0f);
  for (ganpp::Index n = 0; n < x.batch(); ++n)
    for (ganpp::Index h = 0; h < 28; ++h) std::copy(x.data() + (n * 28 + h) * 28, x.data() + (n * 28 + h + 1) * 28, &out.at(n, 0, h + kPad, kPad));
}

/// (N, 1, 32, 32) -> the centre (N, 1, 28, 28), where MNIST's digits are.
inline void crop(const ganpp::Tensor<float>& x, ganpp::Tensor<float>& out) {
  out.resize(ganpp::Shape{x.batch(), 1, 28, 28});
  for (ganpp::Index n = 0; n < x.batch(); ++n)
    for (ganpp::Index h = 0; h < 28; ++h) {
      const float* row = x.data() + (n * kSide + h + kPad) * kSide + kPad;
      std::copy(row, row + 28, out.data() + (n * 28 + h) * 28);
    }
}

}  // namespace stylegan
