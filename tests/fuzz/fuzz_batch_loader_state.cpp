// SPDX-License-Identifier: MIT
// libFuzzer target: BatchLoader::set_state() on arbitrary text, then batches drawn from the restored position.
#include "fuzz_common.hpp"

#include <ganpp/data/dataset.hpp>

using namespace ganpp_fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const ganpp::ImageDataset ds = [] {
    ganpp::ImageDataset d;
    d.count = 10;
    d.height = 2;
    d.width = 3;
    for (int i = 0; i < 60; ++i) d.pixels.push_back(static_cast<std::uint8_t>(i * 4));
    for (int i = 0; i < 10; ++i) d.labels.push_back(i % 10);
    return d;
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  ganpp::BatchLoader<float> loader(ds, 3, 42);
  const std::string before = loader.state();
  try {
    loader.set_state(text);
  } catch (const ganpp::io_error&) {
    require(loader.state() == before, "a rejected state leaves the loader unchanged");
    return 0;
  }
  ganpp::BatchLoader<float> copy(ds, 3, 7);
  copy.set_state(loader.state());
  require(copy.state() == loader.state(), "state() of a restored loader round-trips");
  ganpp::Tensor<float> x;
  std::vector<int> y;
  for (int i = 0; i < 8; ++i) {
    const bool got = loader.next(x, y);
    if (got) {
      require(x.size() == 3 * 2 * 3 && y.size() == 3, "a batch has the batch size");
      for (int v : y) require(v >= 0 && v < 10, "labels come from the dataset");
    }
  }
  return 0;
}
