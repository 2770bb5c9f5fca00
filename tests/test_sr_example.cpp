// SPDX-License-Identifier: MIT
// Runs ganpp-sr on a synthetic MNIST set and a synthetic emoji folder: every output, exact resume across the two
// phases, --upscale on an image of neither data set, and the bad-input answers.
#include <catch2/catch.hpp>
#include <ganpp/checkpoint.hpp>
#include <ganpp/data/idx.hpp>
#include <ganpp/io/image_file.hpp>
#include <ganpp/io/png.hpp>

#include "support.hpp"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#ifndef GANPP_SR_EXE
#error "GANPP_SR_EXE must name the ganpp-sr program"
#endif

namespace fs = std::filesystem;
using ganpp::Index;

namespace {

struct SrRunResult {
  int code;
  std::string output;
};

SrRunResult run_sr(const std::string& args, const test::TempDir& scratch) {
  const std::string log = scratch.file("sr-log.txt");
  const int status = std::system((std::string(GANPP_SR_EXE) + " " + args + " > " + log + " 2>&1").c_str());
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ss.str()};
}

// 64 synthetic 28x28 digits: bright bars whose position follows the label.
void write_digits(const test::TempDir& dir) {
  const Index n = 64;
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(n * 784), 0), labels;
  for (Index i = 0; i < n; ++i) {
    const int label = static_cast<int>(i % 10);
    labels.push_back(static_cast<std::uint8_t>(label));
    for (int y = 4; y < 24; ++y)
      for (int x = 2 * label; x < 2 * label + 6; ++x) pixels[static_cast<std::size_t>(i * 784 + y * 28 + x)] = 255;
  }
  for (const char* set : {"train", "t10k"}) {
    ganpp::write_idx(dir.file(std::string(set) + "-images-idx3-ubyte"), {n, 28, 28}, pixels.data());
    ganpp::write_idx(dir.file(std::string(set) + "-labels-idx1-ubyte"), {n}, labels.data());
  }
}

const std::string kTiny = " --channels 4 --blocks 1 --d-channels 4 --batch 8 --eval 16 --threads 1";

}  // namespace

TEST_CASE("ganpp-sr --task mnist: outputs, the results table, exact resume and --upscale", "[superres][example]") {
  test::TempDir data, scratch;
  write_digits(data);
  const std::string out = scratch.file("run");
  const std::string common = "--data " + data.path.string() + " --content pixel --pretrain-steps 3" + kTiny;
  const SrRunResult r = run_sr(common + " --gan-steps 3 --out " + out, scratch);
  INFO(r.output);
  REQUIRE(r.code == 0);
  for (const char* method : {"bicubic ", "SRResNet ", "SRGAN "}) CHECK_THAT(r.output, Catch::Contains(method));
  for (const char* f : {"grid.png", "metrics.json", "losses.csv", "srresnet.ganpp", "checkpoint.ganpp", "report.html"})
    CHECK(fs::exists(out + "/" + f));
  const ganpp::IdxData sr = ganpp::read_idx(out + "/sr.idx3-ubyte");
  CHECK(sr.dims == std::vector<Index>{16, 28, 28});
  const ganpp::Image8 grid = ganpp::read_image(out + "/grid.png");  // 8 rows of 5 tiles, 28 pixels + 2 of padding
  CHECK(grid.width == 5 * 30 + 2);
  CHECK(grid.height == 8 * 30 + 2);

  SECTION("stopped after 4 steps (in the SRGAN phase) and resumed: the same weights as the run in one go") {
    const std::string part = scratch.file("part");
    REQUIRE(run_sr(common + " --gan-steps 1 --out " + part, scratch).code == 0);
    const SrRunResult resumed = run_sr(common + " --gan-steps 3 --out " + part + " --resume " + part + "/checkpoint.ganpp", scratch);
    INFO(resumed.output);
    REQUIRE(resumed.code == 0);
    CHECK_THAT(resumed.output, Catch::Contains("resuming at step 4"));
    const ganpp::Checkpoint a = ganpp::Checkpoint::load(out + "/checkpoint.ganpp"), b = ganpp::Checkpoint::load(part + "/checkpoint.ganpp");
    int compared = 0;
    for (const std::string& name : a.names())
      if (name.rfind("generator.", 0) == 0 || name.rfind("discriminator.", 0) == 0) {
        if (name.size() > 4 && name.compare(name.size() - 4, 4, ".rng") == 0) continue;
        const ganpp::Tensor<float> x = a.tensor<float>(name), y = b.tensor<float>(name);
        REQUIRE(std::vector<float>(x.begin(), x.end()) == std::vector<float>(y.begin(), y.end()));
        ++compared;
      }
    CHECK(compared > 10);
    // A resume that changes the model is refused, naming the setting.
    const SrRunResult other = run_sr(common + " --gan-steps 3 --blocks 2 --out " + part + " --resume " + part + "/checkpoint.ganpp", scratch);
    CHECK(other.code == 1);
    CHECK_THAT(other.output, Catch::Contains("blocks 1") && Catch::Contains("asks for 2"));
  }
  SECTION("a second run into the same folder evaluates its own SRResNet, not the first run's") {
    const std::string first = test::read_bytes(out + "/srresnet.ganpp");
    const SrRunResult again = run_sr(common + " --gan-steps 1 --seed 7 --out " + out, scratch);
    INFO(again.output);
    REQUIRE(again.code == 0);
    CHECK(test::read_bytes(out + "/srresnet.ganpp") != first);
  }
  SECTION("--upscale: a 19x13 RGBA image (of neither data set) becomes 76x52, tile by tile") {
    std::vector<std::uint8_t> px(19 * 13 * 4);
    for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(i * 53 % 256);
    const std::string in = scratch.file("photo.png"), big = scratch.file("photo-4x.png");
    ganpp::write_png(in, 19, 13, 4, px.data());
    const SrRunResult u = run_sr("--upscale " + in + " --out " + big + " --checkpoint " + out + "/checkpoint.ganpp --tile 8", scratch);
    INFO(u.output);
    REQUIRE(u.code == 0);
    const ganpp::Image8 img = ganpp::read_image(big);
    CHECK(img.width == 76);
    CHECK(img.height == 52);
    CHECK(img.channels == 1);  // an MNIST model: gray
    // Broken and unsupported files, a missing checkpoint, a checkpoint of something else, and no --out.
    const std::string broken = scratch.file("broken.png");
    test::write_bytes(broken, std::string("\x89PNG\r\n\x1a\n garbage", 16));
    const SrRunResult b = run_sr("--upscale " + broken + " --out " + big + " --checkpoint " + out + "/checkpoint.ganpp", scratch);
    CHECK(b.code == 1);
    CHECK_THAT(b.output, Catch::StartsWith("ganpp-sr: read_image():") && Catch::Contains("broken.png"));
    const SrRunResult m = run_sr("--upscale " + in + " --out " + big + " --checkpoint " + scratch.file("none.ganpp"), scratch);
    CHECK(m.code == 1);
    CHECK_THAT(m.output, Catch::Contains("none.ganpp not found"));
    ganpp::Checkpoint foreign;
    foreign.put_text("something", "else");
    foreign.save(scratch.file("foreign.ganpp"));
    const SrRunResult f = run_sr("--upscale " + in + " --out " + big + " --checkpoint " + scratch.file("foreign.ganpp"), scratch);
    CHECK(f.code == 1);
    CHECK_THAT(f.output, Catch::Contains("not one written by ganpp-sr"));
    const SrRunResult no_out = run_sr("--upscale " + in, scratch);
    CHECK(no_out.code == 2);
    CHECK_THAT(no_out.output, Catch::Contains("--upscale needs --out"));
  }
}

TEST_CASE("ganpp-sr --task emoji: RGBA PNGs composited onto white, held-out names, a file of the wrong size named", "[superres][example]") {
  test::TempDir data, scratch;
  std::vector<std::uint8_t> px(64 * 64 * 4);
  for (int k = 0; k < 40; ++k) {
    for (std::size_t i = 0; i < px.size(); ++i)
      px[i] = static_cast<std::uint8_t>(
          (i / 4 % 64 < static_cast<std::size_t>(k + 10)) ? (i % 4 == 3 ? 255 : 40 * (i % 4) + static_cast<std::size_t>(k)) : 0);
    ganpp::write_png(data.file("emoji-" + std::to_string(k) + ".png"), 64, 64, 4, px.data());
  }
  const std::string out = scratch.file("emoji");
  const std::string args = "--task emoji --data " + data.path.string() + " --pretrain-steps 2 --gan-steps 2" + kTiny + " --out " + out;
  const SrRunResult r = run_sr(args, scratch);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("emoji test set") && Catch::Contains("SRGAN "));
  const ganpp::Image8 grid = ganpp::read_image(out + "/grid.png");
  CHECK(grid.channels == 3);
  CHECK(grid.width == 5 * 66 + 2);
  CHECK_FALSE(fs::exists(out + "/sr.idx3-ubyte"));
  ganpp::write_png(data.file("emoji-odd.png"), 32, 32, 4, px.data());
  const SrRunResult odd = run_sr(args, scratch);
  CHECK(odd.code == 1);
  CHECK_THAT(odd.output, Catch::Contains("emoji-odd.png") && Catch::Contains("expected 64 x 64"));
  const SrRunResult none = run_sr("--task emoji --data " + scratch.file("nowhere") + kTiny, scratch);
  CHECK(none.code == 1);
  CHECK_THAT(none.output, Catch::Contains("FetchEmoji.cmake"));
  const SrRunResult features = run_sr("--task emoji --content features --data " + data.path.string() + kTiny, scratch);
  CHECK(features.code == 2);
}

TEST_CASE("ganpp-sr --content features without a trained classifier says how to get one", "[superres][example]") {
  test::TempDir data, scratch;
  write_digits(data);
  const SrRunResult r =
      run_sr("--data " + data.path.string() + " --classifier " + scratch.file("none.ganpp") + kTiny + " --out " + scratch.file("o"), scratch);
  CHECK(r.code == 1);
  CHECK_THAT(r.output, Catch::Contains("none.ganpp not found: train them first with ganpp-classifier"));
}
