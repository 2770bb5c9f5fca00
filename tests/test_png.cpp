// SPDX-License-Identifier: MIT
// PNG grids: the documented layout and value mapping, read back with stb_image; atomic writes and error cases.
#include <catch2/catch.hpp>
#include <ganpp/io/png.hpp>

#include "support.hpp"

// stb_image (the reader) is compiled for this test only, as static functions; same warning pragmas as png.hpp.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wmissing-field-initializers"
#pragma clang diagnostic ignored "-Wunused-function"
#pragma clang diagnostic ignored "-Wconversion"
#pragma clang diagnostic ignored "-Wsign-conversion"
#pragma clang diagnostic ignored "-Wold-style-cast"
#pragma clang diagnostic ignored "-Wcast-qual"
#pragma clang diagnostic ignored "-Wdouble-promotion"
#elif defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wuseless-cast"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <stb_image.h>
#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

using namespace ganpp;
namespace fs = std::filesystem;

namespace {

using test::TempDir;

// A PNG decoded by stb_image.
struct Decoded {
  int width = 0, height = 0, channels = 0;
  std::vector<std::uint8_t> pixels;
  int at(int x, int y, int c = 0) const { return pixels[static_cast<std::size_t>((y * width + x) * channels + c)]; }
};

Decoded decode(const std::vector<std::uint8_t>& png) {
  Decoded d;
  stbi_uc* p = stbi_load_from_memory(png.data(), static_cast<int>(png.size()), &d.width, &d.height, &d.channels, 0);
  REQUIRE(p != nullptr);
  d.pixels.assign(p, p + static_cast<std::size_t>(d.width) * static_cast<std::size_t>(d.height) * static_cast<std::size_t>(d.channels));
  stbi_image_free(p);
  return d;
}

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("write_png_grid lays tiles out row by row with padding around and between them", "[io]") {
  TempDir dir;
  // Three 1x4x4 images in 2 columns with padding 2: 2 rows; 2*4 + 3*2 = 14 pixels wide and 14 high.
  // Tile k's top-left pixel is at (2 + (k % 2) * 6, 2 + (k / 2) * 6): (2, 2), (8, 2), (2, 8); the cell at (8, 8)
  // has no image and stays black like the padding.
  Tensor<float> images(Shape{3, 1, 4, 4}, -1.0f);
  images.at(0, 0, 0, 0) = 1.0f;
  for (Index y = 0; y < 4; ++y)
    for (Index x = 0; x < 4; ++x) images.at(1, 0, y, x) = 0.5f;
  images.at(2, 0, 0, 0) = std::numeric_limits<float>::quiet_NaN();
  images.at(2, 0, 0, 1) = 2.0f;
  images.at(2, 0, 0, 2) = -7.0f;
  images.at(2, 0, 1, 0) = std::numeric_limits<float>::infinity();
  images.at(2, 0, 3, 3) = 0.0f;

  const std::string path = dir.file("grid.png");
  write_png_grid(path, images, 2);
  CHECK_FALSE(fs::exists(path + ".tmp"));
  const std::vector<std::uint8_t> file = read_file(path);
  CHECK(file == encode_png_grid(images, 2));  // the embeddable bytes are the file's bytes
  const Decoded png = decode(file);
  CHECK(png.width == 14);
  CHECK(png.height == 14);
  CHECK(png.channels == 1);

  CHECK(png.at(2, 2) == 255);   // image 0 (0, 0) = 1
  CHECK(png.at(3, 2) == 0);     // -1 -> 0
  CHECK(png.at(5, 5) == 0);     // image 0's last pixel
  CHECK(png.at(8, 2) == 191);   // image 1: round((0.5 + 1) * 127.5) = round(191.25)
  CHECK(png.at(11, 5) == 191);
  CHECK(png.at(2, 8) == 0);     // image 2: NaN -> 0
  CHECK(png.at(3, 8) == 255);   // 2 clamps to 255
  CHECK(png.at(4, 8) == 0);     // -7 clamps to 0
  CHECK(png.at(2, 9) == 255);   // +inf clamps to 255
  CHECK(png.at(5, 11) == 128);  // 0 -> 127.5, rounded half away from zero
  for (int y = 0; y < 14; ++y)
    for (int x = 0; x < 14; ++x) {
      const bool in_tile = (x >= 2 && x < 6 && y >= 2 && y < 6) || (x >= 8 && x < 12 && y >= 2 && y < 6) ||
                           (x >= 2 && x < 6 && y >= 8 && y < 12);
      if (!in_tile) CHECK(png.at(x, y) == 0);  // padding and the empty cell are black
    }

  // Overwriting an existing file replaces it.
  images.fill(1.0f);
  write_png_grid(path, images, 2);
  CHECK(decode(read_file(path)).at(2, 8) == 255);
}

TEST_CASE("PNG grids: RGB, other paddings and more columns than images", "[io]") {
  Tensor<double> rgb(Shape{1, 3, 2, 2}, 0.0);
  for (Index y = 0; y < 2; ++y)
    for (Index x = 0; x < 2; ++x) {
      rgb.at(0, 0, y, x) = 1.0;
      rgb.at(0, 1, y, x) = -1.0;
    }
  const Decoded color = decode(encode_png_grid(rgb, 5));  // 5 columns for 1 image: one column
  CHECK(color.width == 6);
  CHECK(color.height == 6);
  CHECK(color.channels == 3);
  CHECK(color.at(2, 2, 0) == 255);
  CHECK(color.at(2, 2, 1) == 0);
  CHECK(color.at(2, 2, 2) == 128);
  CHECK(color.at(1, 1, 0) == 0);

  const Tensor<float> gray(Shape{3, 1, 4, 5}, 1.0f);
  const Decoded tight = decode(encode_png_grid(gray, 3, 0));
  CHECK(tight.width == 15);
  CHECK(tight.height == 4);
  CHECK(tight.at(0, 0) == 255);
  CHECK(tight.at(14, 3) == 255);
  const Decoded column = decode(encode_png_grid(gray, 1, 1));
  CHECK(column.width == 7);
  CHECK(column.height == 3 * 5 + 1);
  CHECK(column.at(1, 1) == 255);
  CHECK(column.at(1, 5) == 0);
}

TEST_CASE("write_png writes raw pixels atomically", "[io]") {
  TempDir dir;
  const std::vector<std::uint8_t> pixels{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180};
  const std::string path = dir.file("raw.png");
  write_png(path, 3, 2, 3, pixels.data());
  const Decoded png = decode(read_file(path));
  CHECK(png.width == 3);
  CHECK(png.height == 2);
  CHECK(png.channels == 3);
  CHECK(png.pixels == pixels);
  CHECK_FALSE(fs::exists(path + ".tmp"));
}

TEST_CASE("PNG writers reject unwritable paths and wrong shapes", "[io]") {
  TempDir dir;
  const Tensor<float> images(Shape{3, 1, 4, 4}, 0.0f);
  const std::string missing = dir.file("no-such-dir/grid.png");
  try {
    write_png_grid(missing, images, 2);
    FAIL("writing into a missing directory succeeded");
  } catch (const io_error& e) {
    CHECK_THAT(std::string(e.what()), Catch::StartsWith("write_png_grid(): ") && Catch::Contains("no-such-dir/grid.png"));
  }
  const std::uint8_t px[4] = {1, 2, 3, 4};
  CHECK_THROWS_AS(write_png(missing, 2, 2, 1, px), io_error);
  CHECK(fs::is_empty(dir.path));  // no temp file left behind

  CHECK_THROWS_AS(write_png_grid(dir.file("a.png"), Tensor<float>(Shape{1, 4, 4}), 2), shape_error);     // rank 3
  CHECK_THROWS_AS(write_png_grid(dir.file("a.png"), Tensor<float>(Shape{3, 16}), 2), shape_error);       // rank 2
  CHECK_THROWS_AS(write_png_grid(dir.file("a.png"), Tensor<float>(Shape{3, 2, 4, 4}), 2), shape_error);  // 2 channels
  CHECK_THROWS_AS(write_png_grid(dir.file("a.png"), Tensor<float>(Shape{3, 4, 4, 4}), 2), shape_error);  // 4 channels
  CHECK_THROWS_AS(write_png_grid(dir.file("a.png"), Tensor<float>(Shape{0, 1, 4, 4}), 2), shape_error);  // no images
  CHECK_THROWS_AS(encode_png_grid(images, 0), argument_error);
  CHECK_THROWS_AS(encode_png_grid(images, 2, -1), argument_error);
  CHECK_THROWS_AS(encode_png_grid(images, 2, Index(1) << 40), argument_error);  // far too large for PNG
  CHECK_THROWS_AS(write_png(dir.file("a.png"), 0, 2, 1, px), argument_error);
  CHECK_THROWS_AS(write_png(dir.file("a.png"), 2, 2, 5, px), argument_error);
  CHECK_THROWS_AS(write_png(dir.file("a.png"), 2, 2, 1, nullptr), argument_error);
  CHECK(fs::is_empty(dir.path));
}
