// SPDX-License-Identifier: MIT
/// @file
/// Image input through stb_image (opt-in: needs the stb headers): reading a PNG (or JPEG, BMP, GIF, TGA, ...) file
/// into an Image8, and converting between gray, RGB and alpha by compositing onto a background.
#pragma once

#include "../error.hpp"
#include "png.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

// stb_image's implementation is compiled here with STB_IMAGE_STATIC, as png.hpp does for stb_image_write: private to each
// translation unit, so several TUs link without duplicate symbols; a TU that included <stb_image.h> first, or asked for
// the implementation itself, gets what it asked for.
#ifndef STBI_INCLUDE_STB_IMAGE_H
#ifndef STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_IMPLEMENTATION
#define GANPP_STBI_OWN_IMPLEMENTATION_
#ifndef STB_IMAGE_STATIC
#define STB_IMAGE_STATIC
#endif
#ifndef STBI_NO_STDIO
#define STBI_NO_STDIO  // files are read here, so that errors name them
#endif
#endif
#include <stb_image.h>
#include "../detail/stb_begin.hpp"
#include "../detail/stb_end.hpp"
#ifdef GANPP_STBI_OWN_IMPLEMENTATION_
#undef STB_IMAGE_IMPLEMENTATION
#undef GANPP_STBI_OWN_IMPLEMENTATION_
#endif
#endif  // STBI_INCLUDE_STB_IMAGE_H

namespace ganpp {

namespace detail {
// decode_image() with messages starting with `fn`.
inline Image8 decode_image(const std::vector<std::uint8_t>& bytes, const std::string& name, const std::string& fn) {
  if (bytes.empty()) throw io_error(fn + "'" + name + "' is empty: expected a PNG (or JPEG, BMP, GIF) image");
  if (bytes.size() > static_cast<std::size_t>(INT32_MAX)) throw io_error(fn + "'" + name + "' is too large to decode");
  int w = 0, h = 0, c = 0;
  if (!stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &c))
    throw io_error(fn + "'" + name + "' is not an image that stb_image can read (" + stbi_failure_reason() + ")");
  if (w < 1 || h < 1 || w > 16384 || h > 16384)
    throw io_error(fn + "'" + name + "' is " + std::to_string(w) + " x " + std::to_string(h) + " pixels; expected 1 to 16384 on each side");
  stbi_uc* pixels = stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &c, 0);
  if (pixels == nullptr)
    throw io_error(fn + "'" + name + "' could not be decoded (" + std::string(stbi_failure_reason()) + "): a broken or truncated file");
  Image8 img;
  img.width = w;
  img.height = h;
  img.channels = c;
  img.pixels.assign(pixels, pixels + static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * static_cast<std::size_t>(c));
  stbi_image_free(pixels);
  return img;
}
}  // namespace detail

/// Decodes an image file's bytes (PNG, JPEG, BMP, GIF's first frame, TGA, PSD, PNM: whatever stb_image reads) into
/// 8-bit pixels with the file's own channel count (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA); 16-bit PNGs are reduced to 8
/// bits.
/// @param bytes the file's contents.
/// @param name the file's name, for messages.
/// @throws io_error naming the file when stb_image cannot decode it (with stb's reason: "bad png sig", "bad zlib header",
///         ...), or when it is larger than 16384 x 16384 pixels.
inline Image8 decode_image(const std::vector<std::uint8_t>& bytes, const std::string& name) {
  return detail::decode_image(bytes, name, "decode_image(): ");
}

/// Reads an image file (PNG, JPEG, BMP, ...; see decode_image()).
/// @param path the file.
/// @throws io_error naming the file when it cannot be opened, read or decoded.
inline Image8 read_image(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error("read_image(): cannot open '" + path + "'");
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw io_error("read_image(): error reading '" + path + "'");
  return detail::decode_image(bytes, path, "read_image(): ");
}

/// Converts an image to 1 (gray) or 3 (RGB) channels. Alpha is composited onto a uniform background,
/// out = alpha * colour + (1 - alpha) * background, rounded; RGB becomes gray by ITU-R BT.601 luma
/// (0.299 R + 0.587 G + 0.114 B, rounded); gray becomes RGB by copying.
/// @param img an image of 1 to 4 channels.
/// @param channels 1 or 3.
/// @param background the background's byte value: 255 for white.
/// @throws argument_error for another channel count or an image whose pixel count does not match its sides.
inline Image8 convert_channels(const Image8& img, int channels, std::uint8_t background = 255) {
  if (channels != 1 && channels != 3) throw argument_error("convert_channels(): channels must be 1 or 3, got " + std::to_string(channels));
  const std::size_t n = static_cast<std::size_t>(std::max(img.width, 0)) * static_cast<std::size_t>(std::max(img.height, 0));
  if (img.channels < 1 || img.channels > 4 || img.pixels.size() != n * static_cast<std::size_t>(img.channels))
    throw argument_error("convert_channels(): a " + std::to_string(img.width) + " x " + std::to_string(img.height) + " image of " +
                         std::to_string(img.channels) + " channels cannot hold " + std::to_string(img.pixels.size()) + " bytes");
  Image8 out;
  out.width = img.width;
  out.height = img.height;
  out.channels = channels;
  out.pixels.resize(n * static_cast<std::size_t>(channels));
  const int c = img.channels;
  const bool alpha = c == 2 || c == 4;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* p = img.pixels.data() + i * static_cast<std::size_t>(c);
    double rgb[3];
    for (int k = 0; k < 3; ++k) rgb[k] = c >= 3 ? p[k] : p[0];
    if (alpha) {
      const double a = p[c - 1] / 255.0;
      for (double& v : rgb) v = a * v + (1 - a) * background;
    }
    if (channels == 1) out.pixels[i] = static_cast<std::uint8_t>(std::min(255.0, std::round(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])));
    else
      for (int k = 0; k < 3; ++k) out.pixels[i * 3 + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(std::min(255.0, std::round(rgb[k])));
  }
  return out;
}

}  // namespace ganpp
