// SPDX-License-Identifier: MIT
// IDX reading and writing with every malformed input, IDX datasets, and BatchLoader's order, scaling and resume.
#include <catch2/catch.hpp>
#include <ganpp/data/dataset.hpp>
#include <ganpp/data/idx.hpp>
#include <ganpp/data/mnist.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

using namespace ganpp;
namespace fs = std::filesystem;

namespace {

// A uniquely named folder under the system temp directory, removed with its contents at the end of the test.
struct IdxTempDir {
  fs::path path;
  IdxTempDir() {
    static int counter = 0;
    const auto ticks = std::chrono::steady_clock::now().time_since_epoch().count();
    path = fs::temp_directory_path() / ("ganpp-test-idx-" + std::to_string(ticks) + "-" + std::to_string(++counter));
    fs::create_directories(path);
  }
  ~IdxTempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  IdxTempDir(const IdxTempDir&) = delete;
  IdxTempDir& operator=(const IdxTempDir&) = delete;
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

// An IDX header: magic 00 00 type rank, then big-endian dimensions.
std::vector<std::uint8_t> idx_header(std::uint8_t type, const std::vector<std::uint32_t>& dims) {
  std::vector<std::uint8_t> h{0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims)
    h.insert(h.end(), {static_cast<std::uint8_t>(d >> 24), static_cast<std::uint8_t>(d >> 16), static_cast<std::uint8_t>(d >> 8),
                       static_cast<std::uint8_t>(d)});
  return h;
}

// The message of the io_error that f throws; fails the test for no exception or another type.
template <typename F>
std::string io_error_message(F&& f) {
  try {
    f();
  } catch (const io_error& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL("expected ganpp::io_error, got another exception: " << e.what());
  }
  FAIL("expected ganpp::io_error, nothing was thrown");
  return {};
}

// count images of 1 x 2 x 2: pixels (0, 255, i, 2i) and label i, so every image is recognisable by its label.
ImageDataset numbered_dataset(int count, bool labelled = true) {
  ImageDataset d;
  d.count = count;
  d.channels = 1;
  d.height = 2;
  d.width = 2;
  for (int i = 0; i < count; ++i) {
    d.pixels.insert(d.pixels.end(), {0, 255, static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(2 * i)});
    if (labelled) d.labels.push_back(i);
  }
  return d;
}

// The labels of the next `calls` calls of next(), with -1 marking each end of epoch.
template <typename Scalar>
std::vector<int> drain(BatchLoader<Scalar>& loader, int calls) {
  std::vector<int> seen;
  Tensor<Scalar> x;
  std::vector<int> y;
  for (int k = 0; k < calls; ++k) {
    if (loader.next(x, y))
      seen.insert(seen.end(), y.begin(), y.end());
    else
      seen.push_back(-1);
  }
  return seen;
}

}  // namespace

TEST_CASE("write_idx and read_idx round-trip ranks 1 and 3", "[data]") {
  IdxTempDir dir;
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
  IdxTempDir dir;
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
  IdxTempDir dir;
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
  IdxTempDir dir;
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

TEST_CASE("BatchLoader scales pixels exactly to [-1, 1] and reuses the caller's buffers", "[data]") {
  const ImageDataset d = numbered_dataset(10);
  BatchLoader<float> loader(d, 4, 1);
  Tensor<float> x;
  std::vector<int> y;
  REQUIRE(loader.next(x, y));
  CHECK(x.shape() == Shape{4, 1, 2, 2});
  REQUIRE(y.size() == 4);
  const float* data = x.data();
  const int* label_data = y.data();
  for (int round = 0; round < 2; ++round) {
    for (Index b = 0; b < 4; ++b) {
      const int i = y[static_cast<std::size_t>(b)];
      CHECK(x.at(b, 0, 0, 0) == -1.0f);  // 0 -> -1 exactly
      CHECK(x.at(b, 0, 0, 1) == 1.0f);   // 255 -> 1 exactly
      CHECK(x.at(b, 0, 1, 0) == static_cast<float>(i / 127.5 - 1.0));
      CHECK(x.at(b, 0, 1, 1) == static_cast<float>(2 * i / 127.5 - 1.0));
    }
    if (round == 0) REQUIRE(loader.next(x, y));
  }
  CHECK(x.data() == data);  // no reallocation after the first batch
  CHECK(y.data() == label_data);

  BatchLoader<double> flat(d, 3, 1, true);
  Tensor<double> xd;
  REQUIRE(flat.next(xd, y));
  CHECK(xd.shape() == Shape{3, 4});
  CHECK(xd[0] == -1.0);
  CHECK(xd[1] == 1.0);

  const ImageDataset unlabelled = numbered_dataset(5, false);
  BatchLoader<float> no_labels(unlabelled, 5, 1);
  y.assign(3, 42);
  REQUIRE(no_labels.next(x, y));
  CHECK(y.empty());
}

TEST_CASE("BatchLoader covers each image once per epoch and drops the remainder", "[data]") {
  const ImageDataset d = numbered_dataset(10);
  SECTION("batch size dividing the count") {
    BatchLoader<float> loader(d, 2, 7);
    CHECK(loader.batches_per_epoch() == 5);
    for (Index epoch = 0; epoch < 3; ++epoch) {
      CHECK(loader.epoch() == epoch);
      CHECK(loader.position() == 0);
      std::vector<int> seen = drain(loader, 5);
      CHECK(loader.position() == 5);
      std::sort(seen.begin(), seen.end());
      CHECK(seen == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
      CHECK(drain(loader, 1) == std::vector<int>{-1});  // end of epoch; the next call starts the next one
    }
    CHECK(loader.epoch() == 3);
  }
  SECTION("a remainder is dropped") {
    BatchLoader<float> loader(d, 3, 7);
    CHECK(loader.batches_per_epoch() == 3);
    std::vector<int> seen = drain(loader, 4);
    CHECK(seen.back() == -1);
    seen.pop_back();
    CHECK(seen.size() == 9);
    std::sort(seen.begin(), seen.end());
    CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());  // no image twice
    CHECK(BatchLoader<float>(d, 10, 1).batches_per_epoch() == 1);
    CHECK(BatchLoader<float>(d, 6, 1).batches_per_epoch() == 1);
  }
  SECTION("epochs are shuffled afresh") {
    BatchLoader<float> loader(d, 10, 3);
    const std::vector<int> first = drain(loader, 2), second = drain(loader, 2);
    CHECK(first != second);
  }
}

TEST_CASE("BatchLoader's order depends on the seed only", "[data]") {
  const ImageDataset d = numbered_dataset(10);
  BatchLoader<float> a(d, 2, 42), b(d, 2, 42), c(d, 2, 43), r(d, 2, Rng(42));
  const std::vector<int> order_a = drain(a, 18);
  CHECK(order_a == drain(b, 18));
  CHECK(order_a == drain(r, 18));
  CHECK(order_a != drain(c, 18));
}

TEST_CASE("BatchLoader state()/set_state() resume exactly", "[data]") {
  const ImageDataset d = numbered_dataset(10);
  for (int skip : {0, 1, 4, 5, 6, 9, 13}) {  // before, inside, at the end of and across epochs
    INFO("skip " << skip);
    BatchLoader<float> original(d, 2, 11);
    drain(original, skip);
    const std::string saved = original.state();
    BatchLoader<float> resumed(d, 2, 999);  // another seed: the state replaces it
    resumed.set_state(saved);
    CHECK(resumed.epoch() == original.epoch());
    CHECK(resumed.position() == original.position());
    CHECK(resumed.state() == saved);
    CHECK(drain(resumed, 20) == drain(original, 20));
  }
}

TEST_CASE("BatchLoader rejects bad batch sizes and malformed states", "[data]") {
  const ImageDataset d = numbered_dataset(10);
  for (Index bad : {Index(0), Index(-3), Index(11)}) {
    try {
      BatchLoader<float> loader(d, bad, 1);
      FAIL("batch size " << bad << " was accepted");
    } catch (const argument_error& e) {
      CHECK_THAT(std::string(e.what()), Catch::StartsWith("BatchLoader::BatchLoader(): ") &&
                                            Catch::Contains(std::to_string(bad)) && Catch::Contains("10"));
    }
  }
  ImageDataset short_pixels = d;
  short_pixels.pixels.pop_back();
  CHECK_THROWS_AS(BatchLoader<float>(short_pixels, 2, 1), argument_error);

  BatchLoader<float> loader(d, 2, 5);
  drain(loader, 3);
  const std::string good = loader.state();
  BatchLoader<float> reference(d, 2, 5);
  drain(reference, 3);

  std::string wrong_position = good;
  wrong_position.replace(wrong_position.find("position 3"), 10, "position 6");
  std::string negative_epoch = good;
  negative_epoch.replace(negative_epoch.find("epoch 0"), 7, "epoch -1");
  for (const std::string& bad : {std::string(), std::string("nonsense"), good.substr(0, 40), good.substr(0, good.size() / 2),
                                 wrong_position, negative_epoch, good.substr(0, good.find(" rng ")) + " rng x y z"}) {
    INFO("state: " << bad.substr(0, 80));
    CHECK_THAT(io_error_message([&] { loader.set_state(bad); }), Catch::StartsWith("BatchLoader::set_state(): "));
  }
  const ImageDataset twelve = numbered_dataset(12);
  BatchLoader<float> other_batch(d, 5, 5), other_count(twelve, 2, 5);
  CHECK_THAT(io_error_message([&] { other_batch.set_state(good); }), Catch::Contains("batches of 2") && Catch::Contains("batches of 5"));
  CHECK_THAT(io_error_message([&] { other_count.set_state(good); }), Catch::Contains("10 images") && Catch::Contains("12 images"));
  // A failed set_state() leaves the loader as it was.
  CHECK(loader.state() == good);
  CHECK(drain(loader, 8) == drain(reference, 8));
}
