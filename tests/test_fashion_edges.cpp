// SPDX-License-Identifier: MIT
// The edges -> item task's data: padding to 32x32, the Sobel edge map's definition on known images, and the
// Fashion-MNIST loader's refusal of a missing folder.
#include "support.hpp"

#include <ganpp/data/fashion.hpp>

using namespace ganpp;

namespace {
ImageDataset square(Index side, Index from, Index to, std::uint8_t value) {
  ImageDataset ds;
  ds.count = 1;
  ds.height = ds.width = side;
  ds.pixels.assign(static_cast<std::size_t>(side * side), 0);
  for (Index y = from; y < to; ++y)
    for (Index x = from; x < to; ++x) ds.pixels[static_cast<std::size_t>(y * side + x)] = value;
  ds.labels = {7};
  return ds;
}
}  // namespace

TEST_CASE("pad_images puts 28x28 items in the middle of 32x32 zeros", "[data][translation]") {
  const ImageDataset item = square(28, 0, 28, 200);
  const ImageDataset padded = pad_images(item);
  REQUIRE(padded.height == 32);
  REQUIRE(padded.width == 32);
  CHECK(padded.labels == item.labels);
  CHECK(padded.pixels[0] == 0);
  CHECK(padded.pixels[2 * 32 + 2] == 200);
  CHECK(padded.pixels[29 * 32 + 29] == 200);
  CHECK(padded.pixels[30 * 32 + 30] == 0);
  CHECK_THROWS_AS(pad_images(item, -1), argument_error);
}

TEST_CASE("sobel_edges: a ring where a bright square meets the dark, nothing inside, outside or in flat grey", "[data][translation]") {
  const ImageDataset img = square(12, 4, 8, 255);
  const ImageDataset e = sobel_edges(img);
  auto px = [&](Index y, Index x) { return e.pixels[static_cast<std::size_t>(y * 12 + x)]; };
  CHECK(px(0, 0) == 0);    // far outside
  CHECK(px(5, 5) == 0);    // inside, flat
  CHECK(px(4, 5) == 255);  // the square's top row: gy = 3 * 255 ... >= 255
  CHECK(px(3, 5) == 255);  // the row above it sees the step too
  CHECK(px(2, 5) == 0);
  CHECK(px(5, 8) == 255);  // just right of the square
  // A step of 60 grey levels gives |g| = 4 * 60 = 240 in the middle of an edge: below the threshold of 255.
  const ImageDataset faint = sobel_edges(square(12, 4, 8, 60));
  CHECK(faint.pixels[static_cast<std::size_t>(5 * 12 + 8)] == 0);
  CHECK(sobel_edges(square(12, 4, 8, 60), 200).pixels[static_cast<std::size_t>(5 * 12 + 8)] == 255);
  // Every value is 0 or 255.
  for (auto v : e.pixels) CHECK((v == 0 || v == 255));
  CHECK_THROWS_AS(sobel_edges(img, 0), argument_error);
}

TEST_CASE("load_fashion_mnist names the missing file and the fetch command", "[data][translation]") {
  test::TempDir dir;
  CHECK_THROWS_WITH(load_fashion_mnist(dir.path.string(), false),
                    Catch::Contains("t10k-images-idx3-ubyte") && Catch::Contains("cmake/FetchFashionMNIST.cmake"));
}
