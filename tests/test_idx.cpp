// SPDX-License-Identifier: MIT
// IDX files: round trips, every malformed file refused with an io_error naming it, clean write failures, and the
// image/label pairing of load_idx_dataset.
#include <catch2/catch.hpp>
#include <ganpp/data/dataset.hpp>
#include <ganpp/data/idx.hpp>
#include <ganpp/data/mnist.hpp>

#include "support.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace ganpp;
namespace fs = std::filesystem;
using test::io_error_message;
using test::TempDir;
using test::write_bytes;

namespace {

// An IDX header: magic 00 00 type rank, then big-endian dimensions.
std::vector<std::uint8_t> idx_header(std::uint8_t type, const std::vector<std::uint32_t>& dims) {
  std::vector<std::uint8_t> h{0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims)
    h.insert(h.end(), {static_cast<std::uint8_t>(d >> 24), static_cast<std::uint8_t>(d >> 16), static_cast<std::uint8_t>(d >> 8),
                       static_cast<std::uint8_t>(d)});
  return h;
}

}  // namespace

TEST_CASE("write_idx and read_idx round-trip ranks 1 and 3", "[data]") {
  TempDir dir;
  const std::string path = dir.file("round.idx");

  const std::vector<std::uint8_t> labels{0, 1, 2, 255, 9};
  write_idx(path, {5}, labels.data());
  IdxData back = read_idx(path);
  CHECK(back.dims == std::vector<Index>{5});
  CHECK(back.values == labels);
  CHECK(fs::file_size(path) == 4 + 4 + 5);
  CHECK(read_idx_labels(path).values == labels);

  std::vector<std::uint8_t> images(3 * 4 * 300);
  for (std::size_t i = 0; i < images.size(); ++i) images[i] = static_cast<std::uint8_t>(i * 7 + 3);
  write_idx(path, {3, 4, 300}, images.data());  // replaces the rank-1 file
  back = read_idx_images(path);
  CHECK(back.dims == std::vector<Index>{3, 4, 300});
  CHECK(back.values == images);
  CHECK(fs::file_size(path) == 4 + 3 * 4 + images.size());
  CHECK_FALSE(fs::exists(path + ".tmp"));

  // Big-endian dimensions: 300 = 0x012C.
  std::ifstream in(path, std::ios::binary);
  std::vector<char> head(16);
  in.read(head.data(), 16);
  CHECK(std::vector<std::uint8_t>(head.begin(), head.end()) == idx_header(0x08, {3, 4, 300}));
}

TEST_CASE("read_idx rejects every malformed file with an io_error naming it", "[data]") {
  TempDir dir;
  const std::string path = dir.file("malformed-input.idx");
  auto check = [&](const std::vector<std::uint8_t>& bytes, const std::string& what) {
    INFO("expecting: " << what);
    write_bytes(path, bytes);
    const std::string msg = io_error_message([&] { read_idx(path); });
    CHECK_THAT(msg, Catch::StartsWith("read_idx(): ") && Catch::Contains("malformed-input.idx") && Catch::Contains(what));
  };

  SECTION("missing file") {
    const std::string msg = io_error_message([&] { read_idx(dir.file("absent-file.idx")); });
    CHECK_THAT(msg, Catch::Contains("absent-file.idx") && Catch::Contains("does not exist"));
  }
  SECTION("a directory") {
    const std::string msg = io_error_message([&] { read_idx(dir.path.string()); });
    CHECK_THAT(msg, Catch::Contains(dir.path.string()) && Catch::Contains("regular file"));
  }
  SECTION("empty file") { check({}, "0 bytes, shorter than the 4-byte"); }
  SECTION("header shorter than its dimensions") {
    check({0, 0, 8}, "shorter than the 4-byte");
    check({0, 0, 8, 2, 0, 0, 0, 1, 0, 0}, "shorter than the 12-byte header");
  }
  SECTION("bad magic") {
    check({0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}, "not an IDX file");
    check({0, 1, 8, 1, 0, 0, 0, 0}, "not an IDX file");
  }
  SECTION("unsupported element types") {
    auto f32 = idx_header(0x0D, {2});
    f32.resize(f32.size() + 8, 0);
    check(f32, "element type 0x0D");
    check(idx_header(0x09, {0}), "element type 0x09");
    check(idx_header(0x0B, {0}), "expected 0x08");
  }
  SECTION("rank 0 and rank 5") {
    check({0, 0, 8, 0}, "rank 0");
    auto rank5 = idx_header(0x08, {1, 1, 1, 1, 1});
    rank5.push_back(7);
    check(rank5, "rank 5");
  }
  SECTION("truncated payload states expected and actual sizes") {
    auto bytes = idx_header(0x08, {2, 3});
    bytes.insert(bytes.end(), 5, 1);  // 6 needed
    check(bytes, "truncated");
    check(bytes, "need 18 bytes in total, but the file has 17 bytes");
    // MNIST's header with no payload.
    check(idx_header(0x08, {60000, 28, 28}), "47040016 bytes");
  }
  SECTION("trailing bytes") {
    auto bytes = idx_header(0x08, {2});
    bytes.insert(bytes.end(), 5, 1);  // 2 needed
    check(bytes, "3 trailing bytes");
    check(bytes, "need 10 bytes in total, but the file has 13 bytes");
  }
  SECTION("a header claiming 4e9 x 4e9 x 4e9 elements fails fast, allocating nothing") {
    // A read that trusted the header would throw std::bad_alloc or std::length_error, not io_error.
    const auto t0 = std::chrono::steady_clock::now();
    check(idx_header(0x08, {4000000000u, 4000000000u, 4000000000u}), "truncated");
    check(idx_header(0x08, {4000000000u, 4000000000u, 4000000000u, 4000000000u}), "4000000000 x 4000000000");
    check(idx_header(0x08, {4000000000u, 4000000000u}), "16000000000000000012 bytes");
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1));
  }
  SECTION("image and label readers check the rank") {
    auto bytes = idx_header(0x08, {2, 2});
    bytes.insert(bytes.end(), 4, 0);
    write_bytes(path, bytes);
    CHECK_THAT(io_error_message([&] { read_idx_labels(path); }), Catch::Contains("malformed-input.idx") && Catch::Contains("rank 1"));
    CHECK_THAT(io_error_message([&] { read_idx_images(path); }), Catch::Contains("malformed-input.idx") && Catch::Contains("rank 3"));
    // The rank is checked before the payload, so a wrong file fails on its rank even when truncated.
    write_bytes(path, idx_header(0x08, {60000, 28, 28}));
    CHECK_THAT(io_error_message([&] { read_idx_labels(path); }),
               Catch::StartsWith("read_idx_labels(): ") && Catch::Contains("malformed-input.idx") && Catch::Contains("rank 1") &&
                   Catch::Contains("found rank 3"));
  }
}

TEST_CASE("write_idx fails cleanly: io_error naming the path, nothing left behind", "[data]") {
  TempDir dir;
  const std::uint8_t v[4] = {1, 2, 3, 4};
  const std::string missing = dir.file("no-such-dir/out.idx");
  const std::string msg = io_error_message([&] { write_idx(missing, {4}, v); });
  CHECK_THAT(msg, Catch::StartsWith("write_idx(): ") && Catch::Contains("no-such-dir/out.idx"));
  CHECK_FALSE(fs::exists(missing));
  CHECK_FALSE(fs::exists(missing + ".tmp"));
  CHECK(fs::is_empty(dir.path));

  // A directory in the way of the rename: the old entry survives and the temp file is removed.
  fs::create_directories(dir.path / "occupied" / "inner");
  CHECK_THROWS_AS(write_idx(dir.file("occupied"), {4}, v), io_error);
  CHECK(fs::is_directory(dir.path / "occupied"));
  CHECK_FALSE(fs::exists(dir.file("occupied.tmp")));

  CHECK_THROWS_AS(write_idx(dir.file("x"), {}, v), argument_error);
  CHECK_THROWS_AS(write_idx(dir.file("x"), {1, 1, 1, 1, 1}, v), argument_error);
  CHECK_THROWS_AS(write_idx(dir.file("x"), {-1}, v), argument_error);
  CHECK_THROWS_AS(write_idx(dir.file("x"), {Index(1) << 32}, v), argument_error);
  CHECK_THROWS_AS(write_idx(dir.file("x"), {4}, nullptr), argument_error);
  CHECK_FALSE(fs::exists(dir.file("x")));
}

TEST_CASE("load_idx_dataset checks that labels match images; load_mnist says how to fetch MNIST", "[data]") {
  TempDir dir;
  const std::vector<std::uint8_t> pixels(3 * 2 * 5, 9), labels{4, 5};
  write_idx(dir.file("three-images"), {3, 2, 5}, pixels.data());
  write_idx(dir.file("two-labels"), {2}, labels.data());
  const std::string msg = io_error_message([&] { load_idx_dataset(dir.file("three-images"), dir.file("two-labels")); });
  CHECK_THAT(msg, Catch::StartsWith("load_idx_dataset(): ") && Catch::Contains("three-images") && Catch::Contains("two-labels") &&
                      Catch::Contains("2 labels") && Catch::Contains("3 images"));

  const ImageDataset unlabelled = load_idx_dataset(dir.file("three-images"), "");
  CHECK(unlabelled.count == 3);
  CHECK(unlabelled.channels == 1);
  CHECK(unlabelled.height == 2);
  CHECK(unlabelled.width == 5);
  CHECK(unlabelled.pixels == pixels);
  CHECK(unlabelled.labels.empty());

  write_idx(dir.file("three-labels"), {3}, std::vector<std::uint8_t>{7, 8, 9}.data());
  CHECK(load_idx_dataset(dir.file("three-images"), dir.file("three-labels")).labels == std::vector<int>{7, 8, 9});
  CHECK_THROWS_AS(load_idx_dataset(dir.file("two-labels"), ""), io_error);  // rank 1 is no image file

  const std::string mnist = io_error_message([&] { load_mnist(dir.path.string(), false); });
  CHECK_THAT(mnist, Catch::Contains("t10k-images-idx3-ubyte") && Catch::Contains("cmake -DMNIST_DIR=") &&
                        Catch::Contains("-P cmake/FetchMNIST.cmake"));
}
