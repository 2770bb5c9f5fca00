// SPDX-License-Identifier: MIT
// BatchLoader's PixelRange: bytes mapped onto [-1, 1] exactly as before by default, or onto any other interval.
#include <catch2/catch.hpp>
#include <ganpp/data/dataset.hpp>

#include <limits>
#include <vector>

using namespace ganpp;

namespace {

ImageDataset four_pixels() {
  ImageDataset ds;
  ds.count = 1;
  ds.height = 2;
  ds.width = 2;
  ds.pixels = {0, 51, 128, 255};
  return ds;
}

template <typename S>
std::vector<S> first_batch(const ImageDataset& ds, PixelRange range) {
  BatchLoader<S> loader(ds, 1, 1, false, range);
  Tensor<S> images;
  std::vector<int> labels;
  REQUIRE(loader.next(images, labels));
  return std::vector<S>(images.begin(), images.end());
}

}  // namespace

TEMPLATE_TEST_CASE("BatchLoader scales to [-1, 1] by default, bit for bit as v / 127.5 - 1", "[data]", float, double) {
  using S = TestType;
  const ImageDataset ds = four_pixels();
  BatchLoader<S> loader(ds, 1, 1);
  Tensor<S> images;
  std::vector<int> labels;
  REQUIRE(loader.next(images, labels));
  for (Index i = 0; i < 4; ++i) CHECK(images[i] == static_cast<S>(ds.pixels[static_cast<std::size_t>(i)] / 127.5 - 1.0));
  CHECK(first_batch<S>(ds, PixelRange{}) == std::vector<S>(images.begin(), images.end()));
}

TEMPLATE_TEST_CASE("BatchLoader scales to any PixelRange", "[data]", float, double) {
  using S = TestType;
  const ImageDataset ds = four_pixels();
  const std::vector<S> unit = first_batch<S>(ds, PixelRange{0, 1});
  CHECK(unit[0] == S(0));
  CHECK(unit[1] == Approx(0.2));
  CHECK(unit[2] == Approx(128 / 255.0));
  CHECK(unit[3] == S(1));
  const std::vector<S> wide = first_batch<S>(ds, PixelRange{-2, 3});
  CHECK(wide[0] == S(-2));
  CHECK(wide[1] == Approx(-1));
  CHECK(wide[3] == Approx(3));
}

TEST_CASE("BatchLoader refuses an empty, reversed or non-finite PixelRange", "[data]") {
  const ImageDataset ds = four_pixels();
  for (const PixelRange& bad : {PixelRange{1, 1}, PixelRange{1, -1}, PixelRange{0, std::numeric_limits<double>::infinity()}}) {
    CHECK_THROWS_AS(BatchLoader<float>(ds, 1, 1, false, bad), argument_error);
    CHECK_THROWS_WITH(BatchLoader<float>(ds, 1, 1, false, bad), Catch::StartsWith("BatchLoader::BatchLoader(): ") && Catch::Contains("lo < hi"));
  }
}
