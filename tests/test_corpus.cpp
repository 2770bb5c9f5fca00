// SPDX-License-Identifier: MIT
// The malformed-input corpus (tests/corpus/, written by make_corpus.py, plus what the fuzzers found): every file goes
// to its reader, which must refuse it with a ganpp::error, never crash and never accept it.
#include <catch2/catch.hpp>
#include <ganpp/checkpoint.hpp>
#include <ganpp/data/dataset.hpp>
#include <ganpp/data/idx.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/model_io.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>

using namespace ganpp;
namespace fs = std::filesystem;

namespace {

const fs::path kCorpus = GANPP_CORPUS_DIR;

std::vector<fs::path> files_in(const std::string& kind) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(kCorpus / kind))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Runs `read` on every file of corpus/<kind>: each must throw a ganpp::error whose message names something.
void expect_all_refused(const std::string& kind, const std::function<void(const fs::path&)>& read) {
  const auto files = files_in(kind);
  REQUIRE(files.size() >= 10);
  for (const fs::path& f : files) {
    INFO(kind << "/" << f.filename().string());
    bool refused = false;
    try {
      read(f);
    } catch (const ganpp::error& e) {
      refused = true;
      const std::string what = e.what();
      CHECK(what.find("(): ") != std::string::npos);  // "Class::method(): ..." or "function(): ..."
      SUCCEED(kind << "/" << f.filename().string() << ": " << what);
    }
    CHECK(refused);
  }
}

// The model and optimizer that make_corpus.py's checkpoints are written for (prefixes "m" and "o").
struct CorpusModel {
  Discriminator<float> model{[] {
                               Sequential<float> net;
                               net.emplace<Linear<float>>(2, 3).emplace<Dropout<float>>(0.5).emplace<Linear<float>>(3, 1);
                               return net;
                             }(),
                             Shape{2}};
  Adam<float> opt{model.parameters(), {1e-3, 0.9, 0.999}};
  void load(const std::string& path) {
    const Checkpoint c = Checkpoint::load(path);
    load_model(c, "m", model);
    load_optimizer(c, "o", opt);
  }
};

ImageDataset corpus_dataset() {  // 10 images of 2 x 3 pixels, loaded in batches of 3
  ImageDataset d;
  d.count = 10;
  d.height = 2;
  d.width = 3;
  d.pixels.assign(60, 9);
  return d;
}

}  // namespace

TEST_CASE("corpus: the defect-free twins of the malformed files are accepted", "[corpus]") {
  const IdxData idx = read_idx((kCorpus / "valid" / "idx").string());
  CHECK(idx.values.size() == 8);
  CorpusModel m;
  m.load((kCorpus / "valid" / "checkpoint").string());
  CHECK(m.opt.steps() == 3);
  Rng r;
  r.set_state(read_text(kCorpus / "valid" / "rng_state"));
  const ImageDataset ds = corpus_dataset();
  BatchLoader<float> loader(ds, 3, 1);
  loader.set_state(read_text(kCorpus / "valid" / "batch_loader_state"));
  CHECK(loader.epoch() == 5);
}

TEST_CASE("corpus: every malformed IDX file is refused by each IDX reader", "[corpus][data]") {
  expect_all_refused("idx", [](const fs::path& f) { read_idx(f.string()); });
  expect_all_refused("idx", [](const fs::path& f) { read_idx_images(f.string()); });
  expect_all_refused("idx", [](const fs::path& f) { read_idx_labels(f.string()); });
}

TEST_CASE("corpus: every malformed checkpoint is refused, leaving the model and optimizer usable", "[corpus][checkpoint]") {
  CorpusModel m;
  expect_all_refused("checkpoint", [&](const fs::path& f) { m.load(f.string()); });
  for (auto& p : m.model.parameters()) CHECK(p.value->all_finite());
}

TEST_CASE("corpus: every malformed generator state is refused", "[corpus]") {
  Rng r(3);
  const std::string before = r.state();
  expect_all_refused("rng_state", [&](const fs::path& f) { r.set_state(read_text(f)); });
  CHECK(r.state() == before);
}

TEST_CASE("corpus: every malformed batch loader state is refused and leaves the loader unchanged", "[corpus][data]") {
  const ImageDataset ds = corpus_dataset();
  BatchLoader<float> loader(ds, 3, 1);
  const std::string before = loader.state();
  expect_all_refused("batch_loader_state", [&](const fs::path& f) { loader.set_state(read_text(f)); });
  CHECK(loader.state() == before);
}
