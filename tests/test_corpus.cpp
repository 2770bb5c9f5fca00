// SPDX-License-Identifier: MIT
// The malformed-input corpus (tests/corpus/, written by make_corpus.py, plus what the fuzzers found): every file goes
// to its reader, which must refuse it with a ganpp::error naming the file or the field at fault, never crash, never
// accept it, and leave what it was loading into as it was. The defect-free twins load to their known values.
#include <catch2/catch.hpp>
#include <ganpp/checkpoint.hpp>
#include <ganpp/data/dataset.hpp>
#include <ganpp/data/idx.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/model_io.hpp>

#include "support.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

using namespace ganpp;
namespace fs = std::filesystem;

namespace {

const fs::path kCorpus = GANPP_CORPUS_DIR;

/// In an expected-message list: stands for the corpus file's own path.
const std::string kPath = "<path>";

/// For each corpus file, the strings its refusal message must contain: the path for errors found before any entry is
/// read, else the entry or field at fault, and the defect itself.
using Expected = std::map<std::string, std::vector<std::string>>;

std::vector<fs::path> files_in(const std::string& kind) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(kCorpus / kind))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

/// Runs `read` on every file of corpus/<kind>: each must throw a ganpp::error whose message starts with
/// "Class::method(): " or "function(): " and contains what `expected` lists for the file. Every file needs an entry,
/// so a file added to the corpus must come with what its refusal says.
void expect_all_refused(const std::string& kind, const Expected& expected, const std::function<void(const fs::path&)>& read) {
  const auto files = files_in(kind);
  REQUIRE(files.size() >= 10);
  CHECK(files.size() == expected.size());
  for (const fs::path& f : files) {
    const std::string name = f.filename().string();
    INFO(kind << "/" << name);
    const auto it = expected.find(name);
    CHECK(it != expected.end());
    std::string what;
    try {
      read(f);
    } catch (const ganpp::error& e) {
      what = e.what();
    }
    REQUIRE_FALSE(what.empty());  // refused, with a message
    CHECK_THAT(what, Catch::Matches("^[A-Za-z_:]+\\(\\): .*"));
    if (it == expected.end()) continue;
    for (const std::string& s : it->second) CHECK_THAT(what, Catch::Contains(s == kPath ? f.string() : s));
  }
}

// The model and optimizer that make_corpus.py's checkpoints are written for (prefixes "m" and "o"), with their own
// weights and one optimizer step, so that no value of a file could be mistaken for theirs.
struct CorpusModel {
  Discriminator<float> model{[] {
                               Sequential<float> net;
                               net.emplace<Linear<float>>(2, 3).emplace<Dropout<float>>(0.5).emplace<Linear<float>>(3, 1);
                               return net;
                             }(),
                             Shape{2}};
  Adam<float> opt{model.parameters(), {1e-3, 0.9, 0.999}};
  CorpusModel() {
    model.reset_parameters(Init::dcgan, 4);
    for (auto& p : model.parameters()) p.grad->fill(0.1f);
    opt.step();
  }
  void load(const std::string& path) {
    const Checkpoint c = Checkpoint::load(path);
    load_model(c, "m", model);
    load_optimizer(c, "o", opt);
  }
  /// Parameters, buffers and the layers' random state, as bytes.
  std::string model_state() {
    std::string s = model.net().rng_state();
    for (auto& p : model.parameters()) s.append(reinterpret_cast<const char*>(p.value->data()), sizeof(float) * static_cast<std::size_t>(p.value->size()));
    for (auto& b : model.buffers()) s.append(reinterpret_cast<const char*>(b.value->data()), sizeof(float) * static_cast<std::size_t>(b.value->size()));
    return s;
  }
  /// The optimizer's step count and state tensors, as bytes.
  std::string optimizer_state() const {
    const OptimizerState<float> st = opt.state();
    std::string s = st.kind + " " + std::to_string(st.step);
    for (const auto& [name, t] : st.tensors) s += name + std::string(reinterpret_cast<const char*>(t.data()), sizeof(float) * static_cast<std::size_t>(t.size()));
    return s;
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

/// The generator words make_corpus.py writes into its valid states: 1, 2, ..., 312.
std::string corpus_words() {
  std::string words;
  for (int i = 1; i <= 312; ++i) words += (i > 1 ? " " : "") + std::to_string(i);
  return words;
}

}  // namespace

TEST_CASE("corpus: the defect-free twins of the malformed files are accepted", "[corpus]") {
  const IdxData idx = read_idx((kCorpus / "valid" / "idx").string());
  CHECK(idx.dims == std::vector<Index>{2, 2, 2});
  CHECK(idx.values == std::vector<std::uint8_t>(8, 0));

  // Every tensor of the valid checkpoint holds 0.25; the Dropout layer's generator words are 1 to 312.
  CorpusModel m;
  m.load((kCorpus / "valid" / "checkpoint").string());
  for (auto& p : m.model.parameters()) CHECK((p.value->array() == 0.25f).all());
  CHECK(m.model.net().rng_state() == "\n" + corpus_words() + " 312 0 0x0p+0\n\n");
  CHECK(m.opt.steps() == 3);
  const OptimizerState<float> s = m.opt.state();
  CHECK(s.tensors.size() == 8);
  for (const auto& [name, t] : s.tensors) {
    INFO(name);
    CHECK((t.array() == 0.25f).all());
  }

  // A pending spare normal of 1.5: the next draw.
  const std::string rng_text = test::read_bytes(kCorpus / "valid" / "rng_state");
  Rng r;
  r.set_state(rng_text);
  CHECK(r.state() == rng_text);
  CHECK(r.normal() == 1.5);

  const ImageDataset ds = corpus_dataset();
  BatchLoader<float> loader(ds, 3, 1);
  const std::string loader_text = test::read_bytes(kCorpus / "valid" / "batch_loader_state");
  loader.set_state(loader_text);
  CHECK(loader.epoch() == 5);
  CHECK(loader.position() == 3);
  CHECK(loader.state() == loader_text);
}

TEST_CASE("corpus: every malformed IDX file is refused by each IDX reader", "[corpus][data]") {
  const Expected idx{
      {"bad-magic", {kPath, "magic number"}},
      {"empty", {kPath, "0 bytes"}},
      {"float-element-type", {kPath, "element type 0x0D"}},
      {"huge-count-60000x28x28-in-10-bytes", {kPath, "truncated", "60000 x 28 x 28"}},
      {"huge-dims-2^62", {kPath, "truncated"}},
      {"huge-dims-2^96", {kPath, "more than 2^64 bytes"}},
      {"rank-0", {kPath, "rank 0"}},
      {"rank-255-no-dims", {kPath, "rank 255"}},
      {"rank-5", {kPath, "rank 5"}},
      {"shorter-than-magic", {kPath, "2 bytes"}},
      {"trailing-bytes", {kPath, "trailing bytes"}},
      {"truncated-header", {kPath, "header"}},
      {"truncated-payload", {kPath, "truncated"}},
      {"zero-dim-with-trailing-bytes", {kPath, "trailing bytes"}},
  };
  expect_all_refused("idx", idx, [](const fs::path& f) { read_idx(f.string()); });
  // The typed readers may find another defect first (a rank they do not take), but they name the file too.
  Expected path_only;
  for (const auto& [name, strings] : idx) path_only[name] = {kPath};
  expect_all_refused("idx", path_only, [](const fs::path& f) { read_idx_images(f.string()); });
  expect_all_refused("idx", path_only, [](const fs::path& f) { read_idx_labels(f.string()); });
}

TEST_CASE("corpus: every malformed checkpoint is refused, leaving the model and optimizer usable", "[corpus][checkpoint]") {
  const Expected expected{
      {"bad-checksum", {kPath, "checksum"}},
      {"bad-magic", {kPath, "bad magic"}},
      {"bit-flip-in-payload", {kPath, "checksum"}},
      {"bytes-after-last-entry", {kPath, "after the last entry"}},
      {"dims-larger-than-file", {kPath, "tensor x"}},
      {"dims-product-overflows", {kPath, "tensor x"}},
      {"duplicate-entry", {kPath, "o.kind appears twice"}},
      {"empty", {kPath, "0 bytes"}},
      {"entry-count-2^32-1", {kPath, "truncated"}},
      {"missing-parameter", {kPath, "m.2.bias"}},
      {"name-length-2^32-1", {kPath, "4294967295 bytes"}},
      {"newer-version-2", {kPath, "version 2"}},
      {"optimizer-kind-Sgd", {"load_optimizer(): o ", "Sgd"}},
      {"optimizer-slot-of-another-shape", {kPath, "o.exp_avg.0.bias", "(4,)"}},
      {"optimizer-step-2^63-1", {"load_optimizer(): o", "step count 9223372036854775807"}},
      {"optimizer-step-negative", {"load_optimizer(): o", "step count -1"}},
      {"optimizer-step-not-a-number", {"o.step", "3x"}},
      {"optimizer-step-overflows-int64", {"o.step", "99999999999999999999"}},
      {"optimizer-tensor-count-7", {"o holds 7 state tensors"}},
      {"parameter-float64", {kPath, "m.0.bias", "float64"}},
      {"parameter-infinite", {"m.2.weight", "non-finite"}},
      {"parameter-nan", {"m.0.bias", "non-finite"}},
      {"parameter-of-another-shape", {kPath, "m.0.weight", "(2, 3)"}},
      {"parameter-stored-as-text", {kPath, "m.2.bias", "text"}},
      {"payload-size-2^63", {kPath, "9223372036854775808 payload bytes"}},
      {"rank-5", {kPath, "rank 5"}},
      {"rng-all-zero-state", {"m.rng", "degenerate"}},
      {"rng-garbage", {"m.rng", "malformed generator state"}},
      {"rng-missing-layer-lines", {"m.rng", "fewer entries than the 3 layers"}},
      {"rng-stored-as-tensor", {kPath, "m.rng", "not a text"}},
      {"scalar-size-3", {kPath, "scalar size 3"}},
      {"shorter-than-header", {kPath, "20 bytes"}},
      {"tensor-values-truncated", {kPath, "16 bytes"}},
      {"text-length-2^64-1", {kPath, "18446744073709551615 bytes"}},
      {"trailing-bytes", {kPath, "trailing bytes"}},
      {"truncated", {kPath, "truncated"}},
      {"unknown-entry-kind", {kPath, "unknown kind 7"}},
      {"version-0", {kPath, "version 0"}},
  };
  expect_all_refused("checkpoint", expected, [](const fs::path& f) {
    // Loaded in the caller's three steps; whichever refuses leaves what it was loading into as it was.
    CorpusModel m;
    const Checkpoint c = Checkpoint::load(f.string());
    const std::string model_before = m.model_state(), opt_before = m.optimizer_state();
    try {
      load_model(c, "m", m.model);
    } catch (const ganpp::error&) {
      CHECK(m.model_state() == model_before);
      CHECK(m.optimizer_state() == opt_before);
      throw;
    }
    try {
      load_optimizer(c, "o", m.opt);
    } catch (const ganpp::error&) {
      CHECK(m.optimizer_state() == opt_before);
      throw;
    }
  });
}

TEST_CASE("corpus: every malformed generator state is refused", "[corpus]") {
  const Expected expected{
      {"311-words", {"expected 312 words"}},
      {"all-zero-words", {"degenerate"}},
      {"empty", {"expected 312 words"}},
      {"fuzz-timeout-low-bits-only", {"degenerate"}},
      {"low-bits-only-position-0", {"degenerate"}},
      {"non-numeric-word", {"expected 312 words"}},
      {"spare-flag-2", {"spare flag 0 or 1"}},
      {"spare-garbage", {"spare value 'garbage'"}},
      {"spare-half-number", {"spare value '0x1.8p+0zz'"}},
      {"spare-infinite", {"spare value 'inf'"}},
      {"spare-missing", {"hex float"}},
      {"spare-nan", {"spare value 'nan'"}},
      {"trailing-text", {"unexpected text 'extra'"}},
      {"word-above-2^64", {"expected 312 words"}},
      {"words-only", {"expected 312 words"}},
  };
  Rng r(3);
  const std::string before = r.state();
  expect_all_refused("rng_state", expected, [&](const fs::path& f) { r.set_state(test::read_bytes(f)); });
  CHECK(r.state() == before);
}

TEST_CASE("corpus: every malformed batch loader state is refused and leaves the loader unchanged", "[corpus][data]") {
  const Expected expected{
      {"empty", {"malformed state", "found ''"}},
      {"epoch-2^62+1", {"epoch 4611686018427387905", "out of range"}},
      {"epoch-2^63-1", {"epoch 9223372036854775807", "out of range"}},
      {"epoch-negative", {"epoch -1", "out of range"}},
      {"epoch-overflows-int64", {"malformed state", "epoch 9999"}},
      {"fields-out-of-order", {"malformed state", "batch 3 count 10"}},
      {"other-batch", {"batches of 4", "batches of 3"}},
      {"other-count", {"11 images", "10 images"}},
      {"position-4-of-3", {"position 4", "out of range"}},
      {"position-negative", {"position -1", "out of range"}},
      {"rng-all-zero", {"malformed generator state", "degenerate"}},
      {"rng-missing", {"malformed generator state", "expected 312 words"}},
      {"rng-trailing-text", {"malformed generator state", "unexpected text 'extra'"}},
      {"version-2", {"version 2"}},
      {"wrong-tag", {"malformed state", "found 'ganpp-loader"}},
  };
  const ImageDataset ds = corpus_dataset();
  BatchLoader<float> loader(ds, 3, 1);
  const std::string before = loader.state();
  expect_all_refused("batch_loader_state", expected, [&](const fs::path& f) {
    loader.set_state(test::read_bytes(f));
  });
  CHECK(loader.state() == before);
}
