// SPDX-License-Identifier: MIT
/// @file
/// PNG output through stb_image_write (opt-in: needs the stb headers): grids of generated images, written atomically.
#pragma once

#include "../config.hpp"
#include "../error.hpp"
#include "../tensor.hpp"
#include "atomic_file.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

// stb_image_write's implementation is compiled here with STB_IMAGE_WRITE_STATIC: its functions have internal
// linkage, so every translation unit that includes this header gets a private copy and several TUs of one program
// link without duplicate symbols. #pragma once plus the stb header's own guard make repeated includes within one
// TU harmless; STB_IMAGE_WRITE_IMPLEMENTATION is undefined again afterwards so that a later plain
// #include <stb_image_write.h> does not compile the implementation twice. A TU that included <stb_image_write.h>
// before this header uses that declaration as is (it must then link an implementation itself), and a TU that
// defined STB_IMAGE_WRITE_IMPLEMENTATION itself gets the implementation it asked for.
#ifndef INCLUDE_STB_IMAGE_WRITE_H
#ifndef STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define GANPP_STBIW_OWN_IMPLEMENTATION_
#ifndef STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_STATIC
#endif
#endif
#include "../detail/stb_begin.hpp"
#include <stb_image_write.h>
#include "../detail/stb_end.hpp"
#ifdef GANPP_STBIW_OWN_IMPLEMENTATION_
#undef STB_IMAGE_WRITE_IMPLEMENTATION
#undef GANPP_STBIW_OWN_IMPLEMENTATION_
#endif
#endif  // INCLUDE_STB_IMAGE_WRITE_H

namespace ganpp {

/// An 8-bit image: width x height pixels of `channels` interleaved bytes, rows top to bottom.
struct Image8 {
  /// @var width
  /// Width in pixels.
  /// @var height
  /// Height in pixels.
  /// @var channels
  /// Bytes per pixel, 1 to 4: gray, gray and alpha, RGB, RGBA.
  int width = 0, height = 0, channels = 1;
  /// width * height * channels bytes, row-major, channels interleaved.
  std::vector<std::uint8_t> pixels;
};

namespace detail {

/// Throws argument_error unless a width x height image of `channels` bytes per pixel can be PNG-encoded by stb
/// (which computes its buffer sizes in int).
inline void check_png_size(const std::string& where, double width, double height, double channels) {
  if (width < 1 || height < 1 || channels < 1 || channels > 4)
    throw argument_error(where + "expected width, height >= 1 and 1 to 4 channels, found " + std::to_string(width) + " x " +
                         std::to_string(height) + " x " + std::to_string(channels));
  if ((width * channels + 1.0) * height > static_cast<double>(INT_MAX) / 2)
    throw argument_error(where + "a " + std::to_string(static_cast<long long>(width)) + " x " +
                         std::to_string(static_cast<long long>(height)) + " image of " +
                         std::to_string(static_cast<int>(channels)) + " channels is too large for the PNG encoder");
}

}  // namespace detail

/// Lays out a batch of images (N, C, H, W), C 1 or 3, values in [-1, 1], as a grid.
///
/// Layout: cols = min(columns, N) tiles per row and rows = ceil(N / cols) rows, filled row by row; `padding`
/// black pixels surround every tile, also along the outer border, so the grid is cols * (W + padding) + padding
/// pixels wide and rows * (H + padding) + padding high, and tile k's top-left pixel is at
/// x = padding + (k % cols) * (W + padding), y = padding + (k / cols) * (H + padding) (as torchvision's make_grid).
/// Values map by round((v + 1) * 127.5) clamped to [0, 255]; NaN shows as 0 (black).
/// @throws shape_error for another rank, channel count or an empty batch; argument_error for columns < 1,
///         padding < 0 or a grid too large for PNG.
template <typename Scalar>
Image8 image_grid(const Tensor<Scalar>& images, Index columns, Index padding = 2) {
  if (images.rank() != 4 || (images.dim(1) != 1 && images.dim(1) != 3) || images.dim(0) < 1 || images.dim(2) < 1 ||
      images.dim(3) < 1)
    throw shape_error("image_grid(): expected images of shape (N, 1 or 3, H, W) with N, H, W >= 1, found " + images.shape().str());
  if (columns < 1 || padding < 0)
    throw argument_error("image_grid(): expected columns >= 1 and padding >= 0, found columns " + std::to_string(columns) +
                         " and padding " + std::to_string(padding));
  const Index n = images.dim(0), c = images.dim(1), h = images.dim(2), w = images.dim(3);
  const Index cols = std::min(columns, n), rows = (n + cols - 1) / cols;
  // Checked in double first: a huge padding would overflow the integer arithmetic.
  detail::check_png_size("image_grid(): ", static_cast<double>(cols) * (static_cast<double>(w) + static_cast<double>(padding)) + static_cast<double>(padding),
                         static_cast<double>(rows) * (static_cast<double>(h) + static_cast<double>(padding)) + static_cast<double>(padding),
                         static_cast<double>(c));
  Image8 img;
  img.channels = static_cast<int>(c);
  img.width = static_cast<int>(cols * (w + padding) + padding);
  img.height = static_cast<int>(rows * (h + padding) + padding);
  img.pixels.assign(static_cast<std::size_t>(img.width) * static_cast<std::size_t>(img.height) * static_cast<std::size_t>(c), 0);
  const Index stride = img.width;
  for (Index k = 0; k < n; ++k) {
    const Index x0 = padding + (k % cols) * (w + padding), y0 = padding + (k / cols) * (h + padding);
    for (Index ch = 0; ch < c; ++ch)
      for (Index y = 0; y < h; ++y)
        for (Index x = 0; x < w; ++x) {
          const double v = (static_cast<double>(images.at(k, ch, y, x)) + 1.0) * 127.5;
          const double byte = std::isnan(v) ? 0.0 : std::min(255.0, std::max(0.0, std::round(v)));
          img.pixels[static_cast<std::size_t>(((y0 + y) * stride + x0 + x) * c + ch)] = static_cast<std::uint8_t>(byte);
        }
  }
  return img;
}

/// The PNG file's bytes for width x height pixels of `channels` (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA)
/// interleaved bytes, rows top to bottom.
/// @throws argument_error for bad sizes or null pixels; io_error when the encoder fails.
inline std::vector<std::uint8_t> encode_png(int width, int height, int channels, const std::uint8_t* pixels) {
  detail::check_png_size("encode_png(): ", width, height, channels);
  if (pixels == nullptr) throw argument_error("encode_png(): pixels is null");
  std::vector<std::uint8_t> out;
  auto append = [](void* ctx, void* data, int size) {
    auto* v = static_cast<std::vector<std::uint8_t>*>(ctx);
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    v->insert(v->end(), bytes, bytes + size);
  };
  if (!stbi_write_png_to_func(append, &out, width, height, channels, pixels, width * channels))
    throw io_error("encode_png(): stb_image_write could not encode a " + std::to_string(width) + " x " + std::to_string(height) +
                   " image of " + std::to_string(channels) + " channels (out of memory?)");
  return out;
}

/// The PNG file's bytes for an image.
inline std::vector<std::uint8_t> encode_png(const Image8& img) {
  const std::size_t expected = static_cast<std::size_t>(std::max(img.width, 0)) * static_cast<std::size_t>(std::max(img.height, 0)) *
                               static_cast<std::size_t>(std::max(img.channels, 0));
  if (img.pixels.size() != expected)
    throw argument_error("encode_png(): a " + std::to_string(img.width) + " x " + std::to_string(img.height) + " image of " +
                         std::to_string(img.channels) + " channels expects " + std::to_string(expected) + " bytes, found " +
                         std::to_string(img.pixels.size()));
  return encode_png(img.width, img.height, img.channels, img.pixels.data());
}

/// Writes width x height pixels of `channels` interleaved bytes as a PNG file, atomically (see
/// write_file_atomically()).
/// @throws argument_error for bad sizes or null pixels; io_error naming the path when writing fails.
inline void write_png(const std::string& path, int width, int height, int channels, const std::uint8_t* pixels) {
  std::vector<std::uint8_t> bytes;
  try {
    bytes = encode_png(width, height, channels, pixels);
  } catch (const argument_error& e) {
    throw argument_error("write_png(): '" + path + "': " + e.what());
  }
  write_file_atomically(path, bytes, "write_png");
}

/// Encodes a grid of images as PNG bytes (layout and value mapping as image_grid()), e.g. to embed in a report.
template <typename Scalar>
std::vector<std::uint8_t> encode_png_grid(const Tensor<Scalar>& images, Index columns, Index padding = 2) {
  return encode_png(image_grid(images, columns, padding));
}

/// Writes a grid of images (layout and value mapping as image_grid()) as a PNG file, atomically.
/// @throws shape_error / argument_error as image_grid(); io_error naming the path when writing fails.
template <typename Scalar>
void write_png_grid(const std::string& path, const Tensor<Scalar>& images, Index columns, Index padding = 2) {
  write_file_atomically(path, encode_png_grid(images, columns, padding), "write_png_grid");
}

}  // namespace ganpp
