// SPDX-License-Identifier: MIT
// write_file_atomically(): the target written in one piece, or left exactly as it was, and never a temporary file
// left behind; and every writer (checkpoint, IDX, PNG) going through it.
#include <catch2/catch.hpp>
#include <ganpp/checkpoint.hpp>
#include <ganpp/data/idx.hpp>
#include <ganpp/io/atomic_file.hpp>
#include <ganpp/io/png.hpp>

#include "support.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

using namespace ganpp;
namespace fs = std::filesystem;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_plain(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// The folder holds exactly these names: nothing else, no temporary file.
std::vector<std::string> listing(const test::TempDir& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("write_file_atomically writes and replaces the target, leaving no temporary file", "[io][atomic]") {
  test::TempDir dir;
  const std::string path = dir.file("out.bin");
  write_file_atomically(path, std::vector<std::uint8_t>{1, 2, 3}, "test_writer");
  CHECK(read_all(path) == std::string("\x01\x02\x03", 3));

  std::uint64_t counted = 0;
  write_file_atomically(
      path,
      [&](AtomicFileSink& out) {
        out.write(std::string("new "));
        out.write("contents", 8);
        out.write(nullptr, 0);
        counted = out.bytes_written();
      },
      "test_writer");
  CHECK(read_all(path) == "new contents");
  CHECK(counted == 12);
  CHECK(listing(dir) == std::vector<std::string>{"out.bin"});

  write_file_atomically(path, std::vector<std::uint8_t>{}, "test_writer");  // an empty file is a file too
  CHECK(fs::exists(path));
  CHECK(fs::file_size(path) == 0);
}

TEST_CASE("write_file_atomically into a missing folder throws io_error naming the file, creating nothing", "[io][atomic]") {
  test::TempDir dir;
  const std::string path = dir.file("no-such-dir/out.bin");
  CHECK_THROWS_AS(write_file_atomically(path, std::vector<std::uint8_t>{1}, "test_writer"), io_error);
  CHECK_THROWS_WITH(write_file_atomically(path, std::vector<std::uint8_t>{1}, "test_writer"),
                    Catch::StartsWith("test_writer(): ") && Catch::Contains("no-such-dir/out.bin") && Catch::Contains("directory"));
  CHECK(listing(dir).empty());
}

TEST_CASE("write_file_atomically leaves the old target intact when the writer throws mid-way", "[io][atomic]") {
  test::TempDir dir;
  const std::string path = dir.file("keep.bin");
  write_plain(path, "old contents");
  CHECK_THROWS_AS(write_file_atomically(
                      path,
                      [](AtomicFileSink& out) {
                        out.write(std::string(100000, 'x'));  // more than the stream buffers: part of it reached the disk
                        throw std::runtime_error("the writer failed");
                      },
                      "test_writer"),
                  std::runtime_error);  // the writer's own exception, unchanged
  CHECK(read_all(path) == "old contents");
  CHECK(listing(dir) == std::vector<std::string>{"keep.bin"});
}

TEST_CASE("write_file_atomically leaves the old target intact when the temporary file cannot be created or renamed", "[io][atomic]") {
  test::TempDir dir;
  SECTION("a folder where the temporary file goes") {
    const std::string path = dir.file("keep.bin");
    write_plain(path, "old contents");
    fs::create_directory(path + ".tmp");
    CHECK_THROWS_WITH(write_file_atomically(path, std::vector<std::uint8_t>{1, 2}, "test_writer"),
                      Catch::StartsWith("test_writer(): ") && Catch::Contains("keep.bin.tmp"));
    CHECK(read_all(path) == "old contents");
    CHECK(fs::is_directory(path + ".tmp"));  // not ours to remove
  }
  SECTION("a non-empty folder at the target") {
    const std::string path = dir.file("occupied");
    fs::create_directory(path);
    write_plain(dir.file("occupied/inside"), "x");
    CHECK_THROWS_WITH(write_file_atomically(path, std::vector<std::uint8_t>{1, 2}, "test_writer"),
                      Catch::StartsWith("test_writer(): cannot rename") && Catch::Contains("occupied"));
    CHECK(fs::is_directory(path));
    CHECK(read_all(dir.file("occupied/inside")) == "x");
    CHECK(listing(dir) == std::vector<std::string>{"occupied"});
  }
}

TEST_CASE("every writer goes through write_file_atomically: a blocked temporary file leaves the target intact", "[io][atomic]") {
  test::TempDir dir;
  auto blocked = [&](const std::string& name) {
    const std::string path = dir.file(name);
    write_plain(path, "old contents");
    fs::create_directory(path + ".tmp");
    return path;
  };
  const std::string ckp = blocked("model.ganpp");
  Checkpoint c;
  c.put_text("k", "v");
  CHECK_THROWS_WITH(c.save(ckp), Catch::StartsWith("Checkpoint::save(): ") && Catch::Contains("model.ganpp.tmp"));
  CHECK(read_all(ckp) == "old contents");

  const std::string idx = blocked("data.idx");
  const std::uint8_t values[2] = {7, 8};
  CHECK_THROWS_WITH(write_idx(idx, {2}, values), Catch::StartsWith("write_idx(): ") && Catch::Contains("data.idx.tmp"));
  CHECK(read_all(idx) == "old contents");

  const std::string png = blocked("image.png");
  const std::uint8_t pixels[4] = {0, 64, 128, 255};
  CHECK_THROWS_WITH(write_png(png, 2, 2, 1, pixels), Catch::StartsWith("write_png(): ") && Catch::Contains("image.png.tmp"));
  CHECK(read_all(png) == "old contents");

  // Unblocked, each writes its file and leaves only that file.
  for (const std::string& p : {ckp, idx, png}) fs::remove(p + ".tmp");
  c.save(ckp);
  write_idx(idx, {2}, values);
  write_png(png, 2, 2, 1, pixels);
  CHECK(Checkpoint::load(ckp).text("k") == "v");
  CHECK(read_idx(idx).values == std::vector<std::uint8_t>{7, 8});
  CHECK(read_all(png).substr(1, 3) == "PNG");
  CHECK(listing(dir) == std::vector<std::string>{"data.idx", "image.png", "model.ganpp"});
}
