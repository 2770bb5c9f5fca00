// SPDX-License-Identifier: MIT
// Reading images through stb_image: a round trip through write_png, channel conversion against hand-computed
// composites, and broken, truncated, missing and foreign files named in the errors.
#include <catch2/catch.hpp>
#include <ganpp/io/image_file.hpp>

#include "support.hpp"

using namespace ganpp;

TEST_CASE("read_image reads back what write_png wrote, for 1 to 4 channels", "[io]") {
  test::TempDir dir;
  for (int c = 1; c <= 4; ++c) {
    std::vector<std::uint8_t> px(5 * 3 * static_cast<std::size_t>(c));
    for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(i * 37 % 256);
    const std::string path = (dir.path / ("img" + std::to_string(c) + ".png")).string();
    write_png(path, 5, 3, c, px.data());
    const Image8 img = read_image(path);
    CHECK(img.width == 5);
    CHECK(img.height == 3);
    CHECK(img.channels == c);
    CHECK(img.pixels == px);
  }
}

TEST_CASE("convert_channels composites alpha onto the background and converts gray and RGB", "[io]") {
  Image8 rgba;
  rgba.width = 2;
  rgba.height = 1;
  rgba.channels = 4;
  rgba.pixels = {200, 100, 0, 255,  // opaque: unchanged
                 0,   0,   0, 51};  // black at alpha 0.2 over white: 0.2 * 0 + 0.8 * 255 = 204
  const Image8 rgb = convert_channels(rgba, 3);
  CHECK(rgb.channels == 3);
  CHECK(rgb.pixels == std::vector<std::uint8_t>{200, 100, 0, 204, 204, 204});
  const Image8 black_bg = convert_channels(rgba, 3, 0);
  CHECK(black_bg.pixels == std::vector<std::uint8_t>{200, 100, 0, 0, 0, 0});
  const Image8 gray = convert_channels(rgba, 1);  // 0.299 * 200 + 0.587 * 100 = 118.5 -> 119 (rounded half away from zero)
  CHECK(gray.pixels == std::vector<std::uint8_t>{119, 204});
  Image8 ga;
  ga.width = 1;
  ga.height = 1;
  ga.channels = 2;
  ga.pixels = {100, 128};  // 128/255 * 100 + 127/255 * 255 = 177.196 -> 177
  CHECK(convert_channels(ga, 3).pixels == std::vector<std::uint8_t>{177, 177, 177});
  CHECK_THROWS_WITH(convert_channels(ga, 2), Catch::Contains("convert_channels()"));
  ga.pixels.pop_back();
  CHECK_THROWS_AS(convert_channels(ga, 1), argument_error);
}

TEST_CASE("read_image: missing, empty, foreign, broken and truncated files are io_errors naming the file", "[io][errors]") {
  test::TempDir dir;
  const std::string missing = (dir.path / "missing.png").string();
  CHECK_THROWS_WITH(read_image(missing), Catch::StartsWith("read_image(): cannot open") && Catch::Contains("missing.png"));
  const std::string empty = (dir.path / "empty.png").string();
  test::write_bytes(empty, std::string());
  CHECK_THROWS_WITH(read_image(empty), Catch::Contains("empty.png") && Catch::Contains("is empty"));
  const std::string text = (dir.path / "notes.png").string();
  test::write_bytes(text, std::string("this is not an image at all\n"));
  CHECK_THROWS_WITH(read_image(text), Catch::StartsWith("read_image():") && Catch::Contains("notes.png"));
  // A real PNG cut in half, and one with a corrupted byte in its compressed data.
  std::vector<std::uint8_t> px(16 * 16 * 3);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(i * 7919 % 251);
  const std::vector<std::uint8_t> png = encode_png(16, 16, 3, px.data());
  const std::string cut = (dir.path / "cut.png").string();
  test::write_bytes(cut, std::vector<std::uint8_t>(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(png.size() / 2)));
  CHECK_THROWS_WITH(read_image(cut), Catch::StartsWith("read_image():") && Catch::Contains("cut.png"));
  CHECK_THROWS_AS(decode_image(std::vector<std::uint8_t>(png.begin(), png.begin() + 30), "head"), io_error);
}
