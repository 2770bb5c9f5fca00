// SPDX-License-Identifier: MIT
// ganpp-sr's two tasks: MNIST 4x (7x7 -> 28x28) and the Noto emoji 4x (16x16 -> 64x64), their data and models.
#pragma once

#include <ganpp/data/dataset.hpp>
#include <ganpp/data/mnist.hpp>
#include <ganpp/error.hpp>
#include <ganpp/io/image_file.hpp>
#include <ganpp/superres.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sr {

/// A task: its images (uint8, (count, C, side, side)) split into training and test sets, and the upscale factor.
struct Task {
  std::string name;
  ganpp::Index channels = 1, side = 28, factor = 4;
  ganpp::ImageDataset train, test;
  std::vector<std::string> test_names;  // emoji: the held-out file names, in test-set order
  ganpp::Index low_side() const { return side / factor; }
};

/// FNV-1a 64 of a name: decides, with no list to keep, which emoji are held out.
inline std::uint64_t name_hash(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

/// True for the emoji held out for testing: those whose file name's FNV-1a 64 hash is 0 modulo 10 (about one in ten).
inline bool held_out(const std::string& file_name) { return name_hash(file_name) % 10 == 0; }

/// The emoji task from a folder of 64x64 PNGs (emoji-datasource-google's img/google/64/, as cmake/FetchEmoji.cmake
/// leaves it): every *.png, in name order, composited onto white as RGB; held_out() names form the test set.
/// @throws ganpp::io_error naming the folder when it holds no PNG, or naming the file that is broken or not 64x64.
inline Task load_emoji(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw ganpp::io_error("emoji folder '" + dir + "' not found: fetch it with cmake -DEMOJI_DIR=" + dir + " -P cmake/FetchEmoji.cmake");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".png") names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  if (names.empty()) throw ganpp::io_error("emoji folder '" + dir + "' holds no .png file");
  Task t;
  t.name = "emoji";
  t.channels = 3;
  t.side = 64;
  for (ganpp::ImageDataset* set : {&t.train, &t.test}) {
    set->channels = 3;
    set->height = set->width = 64;
  }
  for (const std::string& name : names) {
    const std::string path = (fs::path(dir) / name).string();
    const ganpp::Image8 img = ganpp::convert_channels(ganpp::read_image(path), 3, 255);
    if (img.width != 64 || img.height != 64)
      throw ganpp::io_error("emoji image '" + path + "' is " + std::to_string(img.width) + " x " + std::to_string(img.height) + ", expected 64 x 64");
    ganpp::ImageDataset& set = held_out(name) ? t.test : t.train;
    // Interleaved RGB -> planar (C, H, W).
    const std::size_t base = set.pixels.size();
    set.pixels.resize(base + 3 * 64 * 64);
    for (std::size_t p = 0; p < 64 * 64; ++p)
      for (std::size_t c = 0; c < 3; ++c) set.pixels[base + c * 64 * 64 + p] = img.pixels[p * 3 + c];
    ++set.count;
    if (held_out(name)) t.test_names.push_back(name);
  }
  if (t.train.count < 1 || t.test.count < 1)
    throw ganpp::io_error("emoji folder '" + dir + "' holds " + std::to_string(names.size()) + " PNGs, too few for both a training and a test set");
  return t;
}

/// The MNIST task: the 60,000 training digits and the 10,000 test digits.
inline Task load_mnist_task(const std::string& dir) {
  Task t;
  t.name = "mnist";
  t.train = ganpp::load_mnist(dir, true);
  t.test = ganpp::load_mnist(dir, false);
  return t;
}

/// The generator of a run: SRResNet with `channels` features and `blocks` residual blocks.
inline ganpp::SrResNetOptions generator_options(ganpp::Index image_channels, ganpp::Index channels, ganpp::Index blocks, ganpp::Index factor) {
  ganpp::SrResNetOptions o;
  o.image_channels = image_channels;
  o.channels = channels;
  o.residual_blocks = blocks;
  o.upscale = factor;
  return o;
}

/// The discriminator of a run: SRGAN's, with `channels` in its first convolution, 2 stride-2 stages for 28x28 and 3
/// for 64x64 (down to 7x7 and 8x8) and 256 dense units.
inline ganpp::SrDiscriminatorOptions discriminator_options(const Task& t, ganpp::Index channels) {
  ganpp::SrDiscriminatorOptions o;
  o.image_channels = t.channels;
  o.image_size = t.side;
  o.channels = channels;
  o.stages = t.side >= 64 ? 3 : 2;
  o.dense = 256;
  return o;
}

}  // namespace sr
