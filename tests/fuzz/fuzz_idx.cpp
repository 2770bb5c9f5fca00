// SPDX-License-Identifier: MIT
// libFuzzer target: read_idx(), read_idx_images() and read_idx_labels() on arbitrary files.
#include "fuzz_common.hpp"

#include <ganpp/data/idx.hpp>

using namespace ganpp_fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = write_scratch(data, size);
  auto check = [&](const ganpp::IdxData& d) {
    require(!d.dims.empty() && d.dims.size() <= 4, "rank in 1..4");
    std::uint64_t n = 1;
    for (ganpp::Index v : d.dims) {
      require(v >= 0, "non-negative dimension");
      n *= static_cast<std::uint64_t>(v);
    }
    require(n == d.values.size(), "payload size is the product of the dimensions");
    require(4 + 4 * d.dims.size() + d.values.size() == size, "header + payload is the whole file");
  };
  expect_clean([&] { check(ganpp::read_idx(path)); });
  expect_clean([&] {
    const ganpp::IdxData d = ganpp::read_idx_images(path);
    require(d.dims.size() == 3, "image file has rank 3");
    check(d);
  });
  expect_clean([&] {
    const ganpp::IdxData d = ganpp::read_idx_labels(path);
    require(d.dims.size() == 1, "label file has rank 1");
    check(d);
  });
  return 0;
}
