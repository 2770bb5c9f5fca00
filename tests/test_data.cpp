// SPDX-License-Identifier: MIT
// BatchLoader: exact scaling, epochs, seeded order, state round trips, and the states it refuses.
#include <catch2/catch.hpp>
#include <ganpp/data/dataset.hpp>

#include "support.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

using namespace ganpp;
using test::io_error_message;

namespace {

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

TEST_CASE("fuzz regressions: a loader state at the last epoch an int64 holds is refused", "[fuzz][errors]") {
  ImageDataset ds;
  ds.count = 10;
  ds.height = 2;
  ds.width = 3;
  ds.pixels.assign(60, 1);
  BatchLoader<float> loader(ds, 3, 1);
  std::string s = loader.state();
  s.replace(s.find("epoch 0 position 0"), 18, "epoch 9223372036854775807 position 3");
  CHECK_THROWS_WITH(loader.set_state(s), Catch::Contains("BatchLoader::set_state()") && Catch::Contains("out of range"));
  CHECK(loader.epoch() == 0);
}
