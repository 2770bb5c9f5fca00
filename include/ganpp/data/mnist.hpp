// SPDX-License-Identifier: MIT
/// @file
/// MNIST: the training and test sets from their uncompressed IDX files, with MNIST's own checks (28 x 28, digits 0-9).
#pragma once

#include "../error.hpp"
#include "dataset.hpp"

#include <filesystem>
#include <string>
#include <system_error>

namespace ganpp {

namespace detail {
// The training or test set of an MNIST-format data set (MNIST, Fashion-MNIST): 28 x 28 images, labels 0 to 9.
// `fn` names the loader, `name` the data set, `fetch` the command that fetches it, `classes` what the labels are.
inline ImageDataset load_mnist_format(const std::string& dir, bool train, const std::string& fn, const std::string& name, const std::string& fetch,
                                      const std::string& classes) {
  const std::string prefix = train ? "train" : "t10k";
  const std::string images = (std::filesystem::path(dir) / (prefix + "-images-idx3-ubyte")).string();
  const std::string labels = (std::filesystem::path(dir) / (prefix + "-labels-idx1-ubyte")).string();
  for (const std::string& file : {images, labels}) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
      throw io_error(fn + ": " + name + " file '" + file + "' not found: expected the uncompressed " + prefix + "-images-idx3-ubyte and " + prefix +
                     "-labels-idx1-ubyte in '" + dir + "'; fetch them with: " + fetch);
  }
  ImageDataset ds = load_idx_dataset(images, labels);
  if (ds.height != 28 || ds.width != 28)
    throw io_error(fn + ": '" + images + "' holds " + std::to_string(ds.height) + " x " + std::to_string(ds.width) + " images: expected " + name +
                   "'s 28 x 28");
  for (int y : ds.labels)
    if (y > 9) throw io_error(fn + ": '" + labels + "' holds label " + std::to_string(y) + ": expected " + classes + " 0 to 9");
  return ds;
}
}  // namespace detail

/// Loads the MNIST training set (60000 images) or, with `train` false, the test set (10000 images) from the
/// uncompressed IDX files in `dir` (train-images-idx3-ubyte and train-labels-idx1-ubyte, or t10k-*).
/// @throws io_error naming a missing file with the command that fetches it, for images other than 28 x 28 or
///         labels above 9, or any load_idx_dataset() error.
inline ImageDataset load_mnist(const std::string& dir, bool train) {
  return detail::load_mnist_format(dir, train, "load_mnist()", "MNIST", "cmake -DMNIST_DIR=" + dir + " -P cmake/FetchMNIST.cmake", "digits");
}

}  // namespace ganpp
