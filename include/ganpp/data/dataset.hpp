// SPDX-License-Identifier: MIT
/// @file
/// ImageDataset loaded from IDX files, and BatchLoader: shuffled, resumable mini-batches scaled to [-1, 1] or any
/// other PixelRange. MNIST's own files and checks are in mnist.hpp.
#pragma once

#include "../config.hpp"
#include "../error.hpp"
#include "../random.hpp"
#include "../tensor.hpp"
#include "idx.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace ganpp {

/// Images of unsigned bytes, stored row-major as (count, channels, height, width), with optional labels.
struct ImageDataset {
  /// Number of images.
  Index count = 0;
  /// Channels per image (1 for grayscale, 3 for RGB).
  Index channels = 1;
  /// Image height in pixels.
  Index height = 0;
  /// Image width in pixels.
  Index width = 0;
  /// count * channels * height * width bytes.
  std::vector<std::uint8_t> pixels;
  /// One label per image, or empty when the dataset has no labels.
  std::vector<int> labels;

  /// Bytes per image: channels * height * width.
  Index image_size() const { return channels * height * width; }
};

/// Loads a single-channel dataset from an IDX image file (rank 3) and, unless `labels_path` is "", an IDX label
/// file (rank 1) holding one label per image.
/// @throws io_error naming the file for any read failure, and naming both files when the counts differ.
inline ImageDataset load_idx_dataset(const std::string& images_path, const std::string& labels_path = "") {
  IdxData images = read_idx_images(images_path);
  ImageDataset ds;
  ds.count = images.dims[0];
  ds.channels = 1;
  ds.height = images.dims[1];
  ds.width = images.dims[2];
  ds.pixels = std::move(images.values);
  if (!labels_path.empty()) {
    const IdxData labels = read_idx_labels(labels_path);
    if (labels.dims[0] != ds.count)
      throw io_error("load_idx_dataset(): label file '" + labels_path + "' holds " + std::to_string(labels.dims[0]) +
                     " labels but image file '" + images_path + "' holds " + std::to_string(ds.count) +
                     " images: expected one label per image");
    ds.labels.assign(labels.values.begin(), labels.values.end());
  }
  return ds;
}

/// The interval that BatchLoader maps pixel bytes 0..255 onto, linearly: [-1, 1] by default (a tanh generator's
/// range), [0, 1] for a sigmoid one.
struct PixelRange {
  double lo = -1;  ///< the value of byte 0
  double hi = 1;   ///< the value of byte 255; must be greater than lo
};

/// Draws shuffled mini-batches from an ImageDataset, pixel values v scaled linearly to a PixelRange: by v / 127.5 - 1
/// to [-1, 1] unless told otherwise.
///
/// Each epoch is a fresh permutation drawn with Rng::shuffle; only full batches are produced (count / batch_size
/// per epoch, the remainder dropped, as PyTorch's DataLoader with drop_last=True). state() and set_state() save and
/// restore the exact position, so a resumed run sees the same batches as an uninterrupted one.
/// The dataset is held by reference: it must outlive the loader and must not change while the loader is used.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class BatchLoader {
 public:
  /// @param dataset the images (and labels), held by reference: it must outlive the loader and stay unchanged.
  /// @param batch_size images per batch, 1..dataset.count.
  /// @param rng generator copied into the loader; it alone decides the order of every epoch.
  /// @param flatten produce (B, C*H*W) batches instead of (B, C, H, W).
  /// @param range the values of bytes 0 and 255.
  /// @throws argument_error for a bad batch size, an inconsistent dataset or a range without finite lo < hi.
  BatchLoader(const ImageDataset& dataset, Index batch_size, const Rng& rng, bool flatten = false, PixelRange range = {})
      : data_(dataset), batch_(batch_size), flatten_(flatten), rng_(rng) {
    validate();
    if (!(std::isfinite(range.lo) && std::isfinite(range.hi) && range.lo < range.hi))
      throw argument_error("BatchLoader::BatchLoader(): expected a pixel range with finite lo < hi, got [" + std::to_string(range.lo) + ", " +
                           std::to_string(range.hi) + "]");
    // v / (255 / (hi - lo)) + lo: for [-1, 1] exactly today's v / 127.5 - 1, bit for bit.
    const double step = 255.0 / (range.hi - range.lo);
    for (int v = 0; v < 256; ++v) scale_[static_cast<std::size_t>(v)] = static_cast<Scalar>(v / step + range.lo);
    batches_ = data_.count / batch_;
    order_.resize(static_cast<std::size_t>(data_.count));
    start_epoch(0);
  }
  /// As above with Rng(seed).
  BatchLoader(const ImageDataset& dataset, Index batch_size, std::uint64_t seed, bool flatten = false, PixelRange range = {})
      : BatchLoader(dataset, batch_size, Rng(seed), flatten, range) {}
  // The loader keeps a reference: a temporary dataset would dangle.
  BatchLoader(ImageDataset&&, Index, const Rng&, bool = false, PixelRange = {}) = delete;
  BatchLoader(ImageDataset&&, Index, std::uint64_t, bool = false, PixelRange = {}) = delete;

  /// Fills the next batch: `images` with shape (B, C, H, W), or (B, C*H*W) when flattening, and `labels` with the
  /// B labels (left empty when the dataset has none). Reuses both buffers, so only the first call allocates.
  /// @return false, filling nothing, once the epoch's batches are exhausted; the following call starts the next epoch.
  bool next(Tensor<Scalar>& images, std::vector<int>& labels) {
    if (position_ >= batches_) {
      start_epoch(epoch_ + 1);
      return false;
    }
    const Index sample = data_.channels * data_.height * data_.width;
    if (flatten_)
      images.resize(Shape{batch_, sample});
    else
      images.resize(Shape{batch_, data_.channels, data_.height, data_.width});
    const bool labelled = !data_.labels.empty();
    if (labelled)
      labels.resize(static_cast<std::size_t>(batch_));
    else
      labels.clear();
    Scalar* out = images.data();
    for (Index b = 0; b < batch_; ++b) {
      const Index item = order_[static_cast<std::size_t>(position_ * batch_ + b)];
      const std::uint8_t* src = data_.pixels.data() + item * sample;
      Scalar* dst = out + b * sample;
      for (Index k = 0; k < sample; ++k) dst[k] = scale_[src[k]];
      if (labelled) labels[static_cast<std::size_t>(b)] = data_.labels[static_cast<std::size_t>(item)];
    }
    ++position_;
    return true;
  }

  /// Images per batch (B).
  Index batch_size() const { return batch_; }
  /// Full batches per epoch: count / batch_size.
  Index batches_per_epoch() const { return batches_; }
  /// The current epoch, counting from 0.
  Index epoch() const { return epoch_; }
  /// Batches already produced in the current epoch.
  Index position() const { return position_; }

  /// The loader's position as text, for checkpoints: the epoch, the position in it and the generator state at the
  /// epoch's start, from which the epoch's permutation is drawn again.
  std::string state() const {
    std::ostringstream os;
    os << kStateTag << ' ' << kStateVersion << " count " << data_.count << " batch " << batch_ << " epoch " << epoch_
       << " position " << position_ << " rng " << epoch_start_rng_.state();
    return os.str();
  }

  /// Restores a position saved by state() for the same dataset and batch size.
  /// @throws io_error for malformed text or a state from another dataset size or batch size; the loader is then
  ///         unchanged.
  void set_state(const std::string& text) {
    const std::string fn = "BatchLoader::set_state(): ";
    std::istringstream is(text);
    std::string tag, k_count, k_batch, k_epoch, k_position, k_rng;
    long long version = 0, count = 0, batch = 0, epoch = 0, position = 0;
    is >> tag >> version >> k_count >> count >> k_batch >> batch >> k_epoch >> epoch >> k_position >> position >> k_rng;
    if (!is || tag != kStateTag || k_count != "count" || k_batch != "batch" || k_epoch != "epoch" ||
        k_position != "position" || k_rng != "rng")
      throw io_error(fn + "malformed state: expected '" + std::string(kStateTag) +
                     " <version> count <n> batch <n> epoch <n> position <n> rng <state>', found '" + excerpt(text) + "'");
    if (version != kStateVersion)
      throw io_error(fn + "unsupported state version " + std::to_string(version) + ": expected " + std::to_string(kStateVersion));
    if (count != data_.count || batch != batch_)
      throw io_error(fn + "state is for " + std::to_string(count) + " images in batches of " + std::to_string(batch) +
                     ", but this loader has " + std::to_string(data_.count) + " images in batches of " + std::to_string(batch_));
    if (epoch < 0 || epoch > kMaxEpoch || position < 0 || position > batches_)
      throw io_error(fn + "epoch " + std::to_string(epoch) + " position " + std::to_string(position) +
                     " out of range: expected epoch in [0, 2^62] and position in [0, " + std::to_string(batches_) + "]");
    std::string rng_text;
    std::getline(is, rng_text);
    Rng start;
    try {
      start.set_state(rng_text);
    } catch (const io_error& e) {
      throw io_error(fn + "malformed generator state (" + e.what() + ")");
    }
    rng_ = start;
    start_epoch(static_cast<Index>(epoch));
    position_ = static_cast<Index>(position);
  }

 private:
  static constexpr const char* kStateTag = "ganpp-batch-loader";
  static constexpr long long kStateVersion = 1;
  static constexpr long long kMaxEpoch = 1LL << 62;  // far beyond any run, and epoch + 1 cannot overflow

  static std::string excerpt(const std::string& s) { return s.size() <= 60 ? s : s.substr(0, 60) + "..."; }

  void validate() const {
    const std::string fn = "BatchLoader::BatchLoader(): ";
    if (data_.count < 0 || data_.channels < 1 || data_.height < 1 || data_.width < 1)
      throw argument_error(fn + "expected a dataset with count >= 0 and channels, height, width >= 1, found " +
                           std::to_string(data_.count) + " x " + std::to_string(data_.channels) + " x " +
                           std::to_string(data_.height) + " x " + std::to_string(data_.width));
    const auto pixels = static_cast<unsigned long long>(data_.pixels.size());
    const auto sample = static_cast<unsigned long long>(data_.channels) * static_cast<unsigned long long>(data_.height) *
                        static_cast<unsigned long long>(data_.width);
    if (pixels / sample != static_cast<unsigned long long>(data_.count) || pixels % sample != 0)
      throw argument_error(fn + "dataset of " + std::to_string(data_.count) + " images of " + std::to_string(sample) +
                           " bytes expects " + std::to_string(static_cast<unsigned long long>(data_.count) * sample) +
                           " pixels, found " + std::to_string(pixels));
    if (!data_.labels.empty() && static_cast<Index>(data_.labels.size()) != data_.count)
      throw argument_error(fn + "dataset of " + std::to_string(data_.count) + " images expects as many labels or none, found " +
                           std::to_string(data_.labels.size()));
    if (batch_ < 1 || batch_ > data_.count)
      throw argument_error(fn + "batch_size " + std::to_string(batch_) + " must be between 1 and the dataset's " +
                           std::to_string(data_.count) + " images");
  }

  // The permutation depends only on the generator state at the epoch's start, which state() records.
  void start_epoch(Index epoch) {
    epoch_ = epoch;
    position_ = 0;
    epoch_start_rng_ = rng_;
    std::iota(order_.begin(), order_.end(), Index(0));
    rng_.shuffle(order_);
  }

  const ImageDataset& data_;
  Index batch_;
  bool flatten_;
  Rng rng_;
  Rng epoch_start_rng_;
  std::array<Scalar, 256> scale_{};
  std::vector<Index> order_;
  Index batches_ = 0;
  Index epoch_ = 0;
  Index position_ = 0;
};

}  // namespace ganpp
