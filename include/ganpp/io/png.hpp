// SPDX-License-Identifier: MIT
// PNG output through stb_image_write: sample grids of generated images. Opt-in: this header compiles stb's
// implementation as static functions, so several translation units may include it.
#pragma once

#include "../error.hpp"
#include "../tensor.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#ifndef STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#endif
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#endif
#include <stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace ganpp {

/// An 8-bit image: width x height pixels of `channels` bytes, rows top to bottom.
struct Image8 {
  int width = 0, height = 0, channels = 1;
  std::vector<std::uint8_t> pixels;
};

/// Lays out a batch of images (N, C, H, W), C 1 or 3, values in [-1, 1], as a grid of `columns` tiles per row
/// with `padding` black pixels around and between tiles. [-1, 1] maps to [0, 255]; NaN shows as black.
template <typename Scalar>
Image8 image_grid(const Tensor<Scalar>& images, Index columns, Index padding = 2) {
  if (images.rank() != 4 || (images.dim(1) != 1 && images.dim(1) != 3) || images.dim(0) < 1)
    throw shape_error("image_grid(): expected images of shape (N, 1 or 3, H, W) with N >= 1, got " + images.shape().str());
  if (columns < 1 || padding < 0) throw argument_error("image_grid(): columns must be >= 1 and padding >= 0");
  const Index n = images.dim(0), c = images.dim(1), h = images.dim(2), w = images.dim(3);
  const Index cols = std::min(columns, n), rows = (n + cols - 1) / cols;
  Image8 img;
  img.channels = static_cast<int>(c);
  img.width = static_cast<int>(cols * (w + padding) + padding);
  img.height = static_cast<int>(rows * (h + padding) + padding);
  img.pixels.assign(static_cast<std::size_t>(img.width) * static_cast<std::size_t>(img.height) * static_cast<std::size_t>(c), 0);
  for (Index k = 0; k < n; ++k) {
    const Index x0 = padding + (k % cols) * (w + padding), y0 = padding + (k / cols) * (h + padding);
    for (Index ch = 0; ch < c; ++ch)
      for (Index y = 0; y < h; ++y)
        for (Index x = 0; x < w; ++x) {
          const double v = (static_cast<double>(images.at(k, ch, y, x)) + 1.0) * 127.5;
          const double clamped = std::isnan(v) ? 0.0 : std::min(255.0, std::max(0.0, std::round(v)));
          img.pixels[static_cast<std::size_t>(((y0 + y) * img.width + x0 + x) * c + ch)] = static_cast<std::uint8_t>(clamped);
        }
  }
  return img;
}

/// The PNG file's bytes for an image (for embedding in a report).
inline std::vector<std::uint8_t> encode_png(const Image8& img) {
  std::vector<std::uint8_t> out;
  auto append = [](void* ctx, void* data, int size) {
    auto* v = static_cast<std::vector<std::uint8_t>*>(ctx);
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    v->insert(v->end(), bytes, bytes + size);
  };
  if (!stbi_write_png_to_func(append, &out, img.width, img.height, img.channels, img.pixels.data(), img.width * img.channels))
    throw io_error("encode_png(): stb_image_write could not encode a " + std::to_string(img.width) + "x" + std::to_string(img.height) + " image");
  return out;
}

/// Writes bytes to path through path.tmp and a rename, so a failure never leaves a partial file at path.
inline void write_file_atomically(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw io_error("cannot create " + tmp + " (does the folder exist and is it writable?)");
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  if ((std::fclose(f) != 0) || !ok) {
    std::remove(tmp.c_str());
    throw io_error("writing " + tmp + " failed (disk full?); " + path + " is unchanged");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw io_error("cannot rename " + tmp + " to " + path);
  }
}

/// Encodes a grid of images as PNG bytes (see image_grid()).
template <typename Scalar>
std::vector<std::uint8_t> encode_png_grid(const Tensor<Scalar>& images, Index columns, Index padding = 2) {
  return encode_png(image_grid(images, columns, padding));
}

/// Writes a grid of images as a PNG file (see image_grid()), atomically.
template <typename Scalar>
void write_png_grid(const std::string& path, const Tensor<Scalar>& images, Index columns, Index padding = 2) {
  write_file_atomically(path, encode_png_grid(images, columns, padding));
}

}  // namespace ganpp
