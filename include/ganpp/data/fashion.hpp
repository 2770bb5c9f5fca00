// SPDX-License-Identifier: MIT
/// @file
/// Fashion-MNIST (Xiao et al. 2017) from its uncompressed IDX files, and the edges -> item translation task: items
/// padded to 32x32 and their fixed edge maps (thresholded Sobel magnitude).
#pragma once

#include "../error.hpp"
#include "dataset.hpp"
#include "mnist.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>

namespace ganpp {

/// Loads the Fashion-MNIST training set (60000 images) or, with `train` false, the test set (10000) from the
/// uncompressed IDX files in `dir` (train-images-idx3-ubyte and train-labels-idx1-ubyte, or t10k-*).
/// @param dir the folder holding the four files (cmake/FetchFashionMNIST.cmake puts them there).
/// @param train true for the training set, false for the test set.
/// @throws io_error naming a missing file with the command that fetches it, for images other than 28 x 28 or
///         labels above 9, or any load_idx_dataset() error.
inline ImageDataset load_fashion_mnist(const std::string& dir, bool train) {
  return detail::load_mnist_format(dir, train, "load_fashion_mnist()", "Fashion-MNIST", "cmake -DFASHION_DIR=" + dir + " -P cmake/FetchFashionMNIST.cmake",
                                   "classes");
}

/// Pads every image with `pad` zero pixels on each side (28x28 -> 32x32 for pad = 2); labels are kept.
/// @param ds single-channel images.
/// @param pad pixels added on each side; >= 0.
/// @throws argument_error for a negative pad or a dataset of several channels.
inline ImageDataset pad_images(const ImageDataset& ds, Index pad = 2) {
  if (pad < 0 || ds.channels != 1)
    throw argument_error("pad_images(): expected single-channel images and pad >= 0, got " + std::to_string(ds.channels) + " channels, pad " + std::to_string(pad));
  ImageDataset out;
  out.count = ds.count;
  out.height = ds.height + 2 * pad;
  out.width = ds.width + 2 * pad;
  out.labels = ds.labels;
  out.pixels.assign(static_cast<std::size_t>(out.count * out.image_size()), 0);
  for (Index i = 0; i < ds.count; ++i)
    for (Index y = 0; y < ds.height; ++y)
      for (Index x = 0; x < ds.width; ++x)
        out.pixels[static_cast<std::size_t>(i * out.image_size() + (y + pad) * out.width + x + pad)] =
            ds.pixels[static_cast<std::size_t>(i * ds.image_size() + y * ds.width + x)];
  return out;
}

/// The fixed edge map of the edges -> item task: for each (already padded) single-channel image, the Sobel
/// gradient magnitude computed on bytes 0..255 with zeros outside the image,
/// gx = (p[y-1][x+1] + 2 p[y][x+1] + p[y+1][x+1]) - (p[y-1][x-1] + 2 p[y][x-1] + p[y+1][x-1]) and gy likewise,
/// and the pixel is 255 where gx^2 + gy^2 >= threshold^2, else 0. The default threshold, 255, is a quarter of the
/// response to a full black-to-white step (4 * 255). Exact integer arithmetic: the map is the same everywhere.
/// @param ds single-channel images (for the task: load_fashion_mnist() padded to 32x32 by pad_images()).
/// @param threshold the magnitude from which a pixel is an edge; > 0.
/// @throws argument_error for a dataset of several channels or a threshold <= 0.
inline ImageDataset sobel_edges(const ImageDataset& ds, int threshold = 255) {
  if (ds.channels != 1 || threshold <= 0)
    throw argument_error("sobel_edges(): expected single-channel images and a positive threshold, got " + std::to_string(ds.channels) + " channels, threshold " +
                         std::to_string(threshold));
  ImageDataset out = ds;
  const Index h = ds.height, w = ds.width;
  const std::int64_t t2 = static_cast<std::int64_t>(threshold) * threshold;
  for (Index i = 0; i < ds.count; ++i) {
    const std::uint8_t* p = ds.pixels.data() + i * ds.image_size();
    auto at = [&](Index y, Index x) -> std::int64_t { return y < 0 || y >= h || x < 0 || x >= w ? 0 : p[y * w + x]; };
    for (Index y = 0; y < h; ++y)
      for (Index x = 0; x < w; ++x) {
        const std::int64_t gx = at(y - 1, x + 1) + 2 * at(y, x + 1) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y, x - 1) - at(y + 1, x - 1);
        const std::int64_t gy = at(y + 1, x - 1) + 2 * at(y + 1, x) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y - 1, x) - at(y - 1, x + 1);
        out.pixels[static_cast<std::size_t>(i * ds.image_size() + y * w + x)] = gx * gx + gy * gy >= t2 ? 255 : 0;
      }
  }
  return out;
}

}  // namespace ganpp
