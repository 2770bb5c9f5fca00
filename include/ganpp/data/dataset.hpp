// SPDX-License-Identifier: MIT
// ImageDataset (uint8 images and labels from IDX files, MNIST included) and BatchLoader (shuffled batches in [-1, 1]).
#pragma once

#include "../error.hpp"
#include "../random.hpp"
#include "../tensor.hpp"
#include "idx.hpp"

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace ganpp {

/// Images of one size as uint8 (N, C, H, W), with one label per image or none.
struct ImageDataset {
  Index count = 0, channels = 1, height = 0, width = 0;
  std::vector<std::uint8_t> pixels;
  std::vector<int> labels;  ///< empty when the dataset has none
  Index image_size() const { return channels * height * width; }
};

/// Loads an IDX image file (N, H, W) and, unless labels_path is empty, its IDX label file (N).
/// @throws io_error naming the file for any malformed input, or both files when their counts differ.
inline ImageDataset load_idx_dataset(const std::string& images_path, const std::string& labels_path = "") {
  IdxData images = read_idx_images(images_path);
  ImageDataset d;
  d.count = images.dims[0];
  d.height = images.dims[1];
  d.width = images.dims[2];
  d.pixels = std::move(images.values);
  if (!labels_path.empty()) {
    const IdxData labels = read_idx_labels(labels_path);
    if (labels.dims[0] != d.count)
      throw io_error("load_idx_dataset(): '" + labels_path + "' holds " + std::to_string(labels.dims[0]) + " labels but '" + images_path +
                     "' holds " + std::to_string(d.count) + " images");
    d.labels.assign(labels.values.begin(), labels.values.end());
  }
  return d;
}

/// Loads MNIST's training set (train-*) or test set (t10k-*) from a folder with the four original IDX files.
inline ImageDataset load_mnist(const std::string& dir, bool train) {
  const std::string prefix = dir + "/" + (train ? "train" : "t10k");
  const std::string images = prefix + "-images-idx3-ubyte", labels = prefix + "-labels-idx1-ubyte";
  for (const std::string& f : {images, labels}) {
    std::ifstream probe(f, std::ios::binary);
    if (!probe)
      throw io_error("load_mnist(): missing " + f + "; fetch MNIST with: cmake -DMNIST_DIR=" + dir + " -P cmake/FetchMNIST.cmake");
  }
  ImageDataset d = load_idx_dataset(images, labels);
  if (d.height != 28 || d.width != 28)
    throw io_error("load_mnist(): '" + images + "' holds " + std::to_string(d.height) + "x" + std::to_string(d.width) + " images, expected 28x28");
  for (int y : d.labels)
    if (y > 9) throw io_error("load_mnist(): '" + labels + "' holds label " + std::to_string(y) + ", expected 0 to 9");
  return d;
}

/// Shuffled full batches of a dataset, pixels scaled to [-1, 1] (v / 127.5 - 1).
///
/// Each epoch draws a fresh permutation from the loader's own generator (seeded at construction) and yields
/// count / batch_size full batches; the remainder is dropped, as PyTorch's recipe does. next() reuses the
/// caller's buffers, so after the first batch it allocates nothing. state()/set_state() resume exactly.
template <typename Scalar = float>
class BatchLoader {
 public:
  /// @param flatten yield (B, C*H*W) instead of (B, C, H, W)
  BatchLoader(const ImageDataset& data, Index batch_size, std::uint64_t seed, bool flatten = false)
      : data_(data), batch_(batch_size), flatten_(flatten), rng_(seed), order_(static_cast<std::size_t>(data.count)) {
    if (batch_size < 1 || batch_size > data.count)
      throw argument_error("BatchLoader::BatchLoader(): batch size must be in [1, " + std::to_string(data.count) + "] for a dataset of " +
                           std::to_string(data.count) + " images, got " + std::to_string(batch_size));
    start_epoch();
  }

  Index batches_per_epoch() const { return data_.count / batch_; }
  /// Epochs completed.
  Index epoch() const { return epoch_; }
  /// Batches taken from the current epoch.
  Index position() const { return position_; }

  /// Fills the next batch; returns false (filling nothing) at the end of an epoch, after which the next call
  /// starts the next epoch.
  bool next(Tensor<Scalar>& images, std::vector<int>& labels) {
    if (position_ == batches_per_epoch()) {
      ++epoch_;
      start_epoch();
      return false;
    }
    const Index size = data_.image_size();
    images.resize(flatten_ ? Shape{batch_, size} : Shape{batch_, data_.channels, data_.height, data_.width});
    labels.resize(static_cast<std::size_t>(batch_));
    for (Index i = 0; i < batch_; ++i) {
      const std::size_t k = order_[static_cast<std::size_t>(position_ * batch_ + i)];
      const std::uint8_t* src = data_.pixels.data() + static_cast<Index>(k) * size;
      Scalar* dst = images.data() + i * size;
      for (Index j = 0; j < size; ++j) dst[j] = static_cast<Scalar>(src[j]) / Scalar(127.5) - Scalar(1);
      labels[static_cast<std::size_t>(i)] = data_.labels.empty() ? 0 : data_.labels[k];
    }
    ++position_;
    return true;
  }

  /// Epoch, position and the generator state at the start of the epoch (the permutation is drawn again from it).
  std::string state() const {
    std::ostringstream os;
    os << "BatchLoader1 " << epoch_ << ' ' << position_ << ' ' << data_.count << ' ' << batch_ << '\n' << epoch_rng_state_;
    return os.str();
  }
  void set_state(const std::string& s) {
    std::istringstream is(s);
    std::string tag;
    Index epoch = -1, position = -1, count = -1, batch = -1;
    is >> tag >> epoch >> position >> count >> batch;
    if (!is || tag != "BatchLoader1" || epoch < 0 || position < 0 || position > batches_per_epoch())
      throw io_error("BatchLoader::set_state(): malformed loader state");
    if (count != data_.count || batch != batch_)
      throw io_error("BatchLoader::set_state(): state is for " + std::to_string(count) + " images in batches of " + std::to_string(batch) +
                     ", this loader has " + std::to_string(data_.count) + " in batches of " + std::to_string(batch_));
    std::string rng_state((std::istreambuf_iterator<char>(is.ignore(1))), std::istreambuf_iterator<char>());
    rng_.set_state(rng_state);
    epoch_ = epoch;
    start_epoch();
    position_ = position;
  }

 private:
  void start_epoch() {
    epoch_rng_state_ = rng_.state();
    for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = i;
    rng_.shuffle(order_);
    position_ = 0;
  }

  const ImageDataset& data_;
  Index batch_;
  bool flatten_;
  Rng rng_;
  std::vector<std::size_t> order_;
  std::string epoch_rng_state_;
  Index epoch_ = 0, position_ = 0;
};

}  // namespace ganpp
