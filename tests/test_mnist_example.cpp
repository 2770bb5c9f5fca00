// SPDX-License-Identifier: MIT
// Runs the ganpp-mnist program on a small synthetic IDX set and checks every file it writes, its exact resume,
// and its answers to bad command lines.
#include <catch2/catch.hpp>
#include <ganpp/checkpoint.hpp>
#include <ganpp/data/dataset.hpp>
#include <ganpp/data/idx.hpp>
#include <ganpp/data/mnist.hpp>

#include "support.hpp"

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#include <stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#ifndef GANPP_MNIST_EXE
#error "GANPP_MNIST_EXE must name the ganpp-mnist program"
#endif
#ifndef GANPP_CLASSIFIER_EXE
#error "GANPP_CLASSIFIER_EXE must name the ganpp-classifier program"
#endif

namespace fs = std::filesystem;
using ganpp::Index;

namespace {

// 160 synthetic 28x28 "digits": a bright square whose position encodes the label, on a dark background. With
// `markers`, image i also lights pixel kMarkerBase + i (rows 20 to 25), which no other image lights.
constexpr Index kMarkerBase = 20 * 28;

void write_synthetic_mnist(const test::TempDir& dir, bool markers = false) {
  const Index n = 160;
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(n * 784), 0), labels;
  for (Index i = 0; i < n; ++i) {
    const int label = static_cast<int>(i % 10);
    labels.push_back(static_cast<std::uint8_t>(label));
    for (int y = 4; y < 12; ++y)
      for (int x = 2 * label; x < 2 * label + 8; ++x) pixels[static_cast<std::size_t>(i * 784 + y * 28 + x)] = 255;
    if (markers) pixels[static_cast<std::size_t>(i * 784 + kMarkerBase + i)] = 255;
  }
  for (const char* set : {"train", "t10k"}) {
    ganpp::write_idx(dir.file(std::string(set) + "-images-idx3-ubyte"), {n, 28, 28}, pixels.data());
    ganpp::write_idx(dir.file(std::string(set) + "-labels-idx1-ubyte"), {n}, labels.data());
  }
}

struct Result {
  int code;
  std::string output;
};

Result run(const std::string& args, const test::TempDir& scratch, const char* program = GANPP_MNIST_EXE) {
  const std::string log = scratch.file("log.txt");
  const int status = std::system((std::string(program) + " " + args + " > " + log + " 2>&1").c_str());
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ss.str()};
}

std::string read_file(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void check_png(const std::string& path, int width, int height) {
  int w = 0, h = 0, c = 0;
  unsigned char* img = stbi_load(path.c_str(), &w, &h, &c, 0);
  INFO(path);
  REQUIRE(img != nullptr);
  CHECK(w == width);
  CHECK(h == height);
  stbi_image_free(img);
}

}  // namespace

TEST_CASE("ganpp-mnist trains each model and writes every output", "[mnist][slow]") {
  test::TempDir data, scratch;
  write_synthetic_mnist(data);
  for (const std::string model : {"mlp", "dcgan", "cgan"}) {
    DYNAMIC_SECTION(model) {
      const std::string out = scratch.file(model);
      // 160 images in batches of 16: 10 steps per epoch, so 12 steps cross one epoch boundary.
      const Result r = run("--data " + data.path.string() + " --model " + model + " --steps 12 --batch 16 --samples 30 --threads 1 --out " + out +
                               " --classifier " + scratch.file("no-classifier.ganpp"),
                           scratch);
      INFO(r.output);
      REQUIRE(r.code == 0);
      CHECK_THAT(r.output, Catch::Contains("done: 12 steps"));
      // Without the evaluation classifier the run says so once, with the command that trains it.
      CHECK_THAT(r.output,
                 Catch::Contains("monitor: no evaluation classifier at " + scratch.file("no-classifier.ganpp") +
                                 ", so no FID, IS or classes covered during training and no best.ganpp; train it with: ganpp-classifier --data"));
      CHECK_FALSE(fs::exists(out + "/best.ganpp"));
      // 8x8 tiles (10x10 for cgan, a row per digit) of 28 pixels with 2 pixels of padding around and between.
      const int side = model == "cgan" ? 10 * 30 + 2 : 8 * 30 + 2;
      check_png(out + "/grid-epoch-001.png", side, side);
      check_png(out + "/grid-final.png", side, side);
      const ganpp::IdxData samples = ganpp::read_idx(out + "/samples.idx3-ubyte");
      CHECK(samples.dims == std::vector<Index>{30, 28, 28});
      if (model == "cgan") {
        const ganpp::IdxData labels = ganpp::read_idx(out + "/labels.idx1-ubyte");
        REQUIRE(labels.dims == std::vector<Index>{30});
        for (int i = 0; i < 30; ++i) CHECK(labels.values[static_cast<std::size_t>(i)] == i % 10);
      } else {
        CHECK_FALSE(fs::exists(out + "/labels.idx1-ubyte"));
      }
      std::istringstream csv(read_file(out + "/losses.csv"));
      std::string line;
      std::getline(csv, line);
      CHECK(line == "step,epoch,d_loss,g_loss,d_real,d_fake,seconds");
      int rows = 0;
      while (std::getline(csv, line)) {
        ++rows;
        long step = 0, epoch = 0;
        double dl, gl, dr, df, sec;
        REQUIRE(std::sscanf(line.c_str(), "%ld,%ld,%lf,%lf,%lf,%lf,%lf", &step, &epoch, &dl, &gl, &dr, &df, &sec) == 7);
        CHECK(step == rows);
        CHECK(epoch == (step <= 10 ? 1 : 2));
        CHECK(std::isfinite(dl));
      }
      CHECK(rows == 12);
      const ganpp::Checkpoint ckpt = ganpp::Checkpoint::load(out + "/checkpoint.ganpp");
      CHECK(ckpt.text("trainer.step") == "12");
      CHECK(ckpt.text("run.model") == model);
      const std::string report = read_file(out + "/report.html");
      CHECK_THAT(report, Catch::Contains("<svg") && Catch::Contains("data:image/png;base64,") && Catch::Contains("epoch 1"));
    }
  }
}

TEST_CASE("ganpp-mnist resumes exactly: 12 steps in one run or 5 + 7 give the same samples", "[mnist][slow]") {
  test::TempDir data, scratch;
  write_synthetic_mnist(data);
  const std::string common = "--data " + data.path.string() + " --model dcgan --batch 16 --samples 20 --threads 1 ";
  REQUIRE(run(common + "--steps 12 --out " + scratch.file("one"), scratch).code == 0);
  REQUIRE(run(common + "--steps 5 --out " + scratch.file("two"), scratch).code == 0);
  const Result r = run(common + "--steps 12 --out " + scratch.file("two") + " --resume " + scratch.file("two/checkpoint.ganpp"), scratch);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("resuming at step 5"));
  CHECK(read_file(scratch.file("one/samples.idx3-ubyte")) == read_file(scratch.file("two/samples.idx3-ubyte")));
  CHECK(read_file(scratch.file("one/losses.csv")).size() > 0);
  const Result mismatch =
      run(common + "--model mlp --steps 12 --out " + scratch.file("three") + " --resume " + scratch.file("two/checkpoint.ganpp"), scratch);
  CHECK(mismatch.code == 1);
  CHECK_THAT(mismatch.output, Catch::Contains("model dcgan"));
  // The default recipe keeps an EMA of the generator (it draws the samples compared above) and the checkpoint
  // holds it; a run with other choices refuses to continue it, naming them.
  CHECK(ganpp::Checkpoint::load(scratch.file("two/checkpoint.ganpp")).has("ema.updates"));
  const Result other_recipe =
      run(common + "--recipe reference --steps 12 --out " + scratch.file("four") + " --resume " + scratch.file("two/checkpoint.ganpp"), scratch);
  CHECK(other_recipe.code == 1);
  CHECK_THAT(other_recipe.output, Catch::Contains("recipe default (G lr 0.0002, D lr 0.0002, EMA 0.999)") &&
                                      Catch::Contains("reference (G lr 0.0002, D lr 0.0002, no EMA)"));
  // The reference recipe has no average to save.
  REQUIRE(run(common + "--recipe reference --steps 3 --out " + scratch.file("five"), scratch).code == 0);
  CHECK_FALSE(ganpp::Checkpoint::load(scratch.file("five/checkpoint.ganpp")).has("ema.updates"));
}

TEST_CASE("ganpp-mnist --minutes: stops at the time limit, says how to repeat the run, and --steps repeats it", "[mnist][slow]") {
  test::TempDir data, scratch;
  write_synthetic_mnist(data);
  const std::string common = "--data " + data.path.string() + " --model mlp --batch 16 --samples 20 --threads 1 --epochs 1000 --classifier " +
                             scratch.file("no-classifier.ganpp") + " ";
  // 0.0001 minutes (6 ms) is spent after the first step or the few after it, far before 1000 epochs.
  const Result r = run(common + "--minutes 0.0001 --out " + scratch.file("limited"), scratch);
  INFO(r.output);
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.output, Catch::Contains("time limit: "));
  const ganpp::Checkpoint ckpt = ganpp::Checkpoint::load(scratch.file("limited/checkpoint.ganpp"));
  const long steps = std::stol(ckpt.text("trainer.step"));
  CHECK(steps >= 1);
  CHECK(steps < 10000);
  CHECK_THAT(r.output, Catch::Contains("--steps " + std::to_string(steps) + " repeats this run exactly"));
  CHECK_THAT(read_file(scratch.file("limited/report.html")), Catch::Contains("Stopped by the time limit"));
  const Result again = run(common + "--steps " + std::to_string(steps) + " --out " + scratch.file("repeated"), scratch);
  REQUIRE(again.code == 0);
  CHECK_THAT(again.output, !Catch::Contains("time limit: "));
  CHECK(read_file(scratch.file("limited/samples.idx3-ubyte")) == read_file(scratch.file("repeated/samples.idx3-ubyte")));
  // A resumed run whose budget is spent trains no further; a larger --minutes trains on.
  const Result spent =
      run(common + "--minutes 0.0001 --out " + scratch.file("limited") + " --resume " + scratch.file("limited/checkpoint.ganpp"), scratch);
  REQUIRE(spent.code == 0);
  CHECK(std::stol(ganpp::Checkpoint::load(scratch.file("limited/checkpoint.ganpp")).text("trainer.step")) == steps);
  const Result more = run(common + "--minutes 0 --steps " + std::to_string(steps + 3) + " --out " + scratch.file("limited") + " --resume " +
                              scratch.file("limited/checkpoint.ganpp"),
                          scratch);
  REQUIRE(more.code == 0);
  CHECK(std::stol(ganpp::Checkpoint::load(scratch.file("limited/checkpoint.ganpp")).text("trainer.step")) == steps + 3);
}

TEST_CASE("ganpp-mnist: the default recipe's time limit goes with its length, not with a length the user gives", "[mnist]") {
  test::TempDir data, scratch;
  write_synthetic_mnist(data);
  const std::string common =
      "--data " + data.path.string() + " --model mlp --batch 16 --samples 20 --threads 1 --classifier " + scratch.file("no-classifier.ganpp") + " ";
  const Result recipe_length = run(common + "--out " + scratch.file("recipe"), scratch);  // 3 epochs of 10 steps
  INFO(recipe_length.output);
  REQUIRE(recipe_length.code == 0);
  CHECK_THAT(recipe_length.output, Catch::Contains("or 9m30s of training, whichever ends first"));
  CHECK_THAT(read_file(scratch.file("recipe/report.html")), Catch::Contains("9m30s of training"));
  for (const std::string length : {"--epochs 1", "--steps 4"}) {
    const Result own_length = run(common + length + " --out " + scratch.file("own"), scratch);
    INFO(own_length.output);
    REQUIRE(own_length.code == 0);
    CHECK_THAT(own_length.output, !Catch::Contains("of training, whichever ends first"));
    CHECK_THAT(read_file(scratch.file("own/report.html")), !Catch::Contains("9m30s of training"));
  }
}

TEST_CASE("ganpp-mnist rejects bad command lines and bad folders with one line and a non-zero exit", "[mnist][errors]") {
  test::TempDir data, scratch;
  write_synthetic_mnist(data);
  const std::string d = "--data " + data.path.string() + " ";
  struct Case {
    std::string args, message;
    int code;
  };
  const Case cases[] = {
      {"--bogus 1", "ganpp-mnist: unknown option '--bogus' (run ganpp-mnist --help)", 2},
      {"extra", "ganpp-mnist: unexpected argument 'extra'", 2},
      {"--model gan", "ganpp-mnist: --model: gan not in {mlp,dcgan,cgan}", 2},
      {"--recipe fast", "ganpp-mnist: --recipe: fast not in {default,reference}", 2},
      {"--steps -3", "ganpp-mnist: --steps: needs an integer >= 1, got '-3'", 2},
      {"--batch x", "ganpp-mnist: --batch: needs an integer >= 2, got 'x'", 2},
      {"--epochs", "ganpp-mnist: --epochs needs a value", 2},
      {"--model dcgan --digit 3", "ganpp-mnist: --digit needs --model cgan", 2},
      {"--model cgan --digit 12", "ganpp-mnist: --digit: needs an integer from 0 to 9, got '12'", 2},
      {"--on-divergence retry", "ganpp-mnist: --on-divergence: retry not in {stop,rollback}", 2},
      {"--data " + scratch.file("nowhere") + " --out " + scratch.file("o"), "FetchMNIST", 1},
      {d + "--out /proc/ganpp-cannot-write", "cannot write to output folder", 1},
      {d + "--batch 1000 --out " + scratch.file("o"), "batch_size 1000 must be between 1", 1},
      {d + "--out " + scratch.file("o") + " --resume " + scratch.file("missing.ganpp"), "missing.ganpp", 1},
      {"--early-stop 0", "ganpp-mnist: --early-stop: needs an integer from 1 to 1000000, got '0'", 2},
      {"--eval-every 0", "ganpp-mnist: --eval-every: needs an integer >= 1, got '0'", 2},
      {d + "--early-stop 2 --eval-samples 0 --out " + scratch.file("o"),
       "ganpp-mnist: --early-stop needs evaluations: --eval-samples 0 turns them off", 2},
      {d + "--early-stop 2 --classifier " + scratch.file("none.ganpp") + " --out " + scratch.file("o"),
       "ganpp-mnist: --early-stop needs the evaluation classifier, and " + scratch.file("none.ganpp") +
           " is not there; train it with: ganpp-classifier",
       1},
  };
  for (const Case& c : cases) {
    const Result r = run(c.args, scratch);
    INFO(c.args << " -> " << r.output);
    CHECK(r.code == c.code);
    CHECK_THAT(r.output, Catch::Contains(c.message));
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  }
  const Result help = run("--help", scratch);
  CHECK(help.code == 0);
  CHECK_THAT(help.output, Catch::Contains("--on-divergence") && Catch::Contains("--resume"));
}

// A non-finite loss comes from the data alone, through a checkpoint the test prepares with the library: in the mlp
// discriminator, hidden unit 0 sees only one marker pixel p, with weight and bias X = 3e38. A real image with pixel p
// dark (-1) gives it -X + X = 0; the one image that lights p gives X + X = inf, so its step diverges. The generator's
// output p is held at tanh(-100) = -1 (zero weights, so its gradient is exactly 0), and fakes give 0 too.
TEST_CASE("ganpp-mnist --on-divergence: stop ends with one line and writes nothing; rollback restores and goes on", "[mnist][divergence]") {
  test::TempDir data, scratch;
  write_synthetic_mnist(data, true);
  const std::string common = "--data " + data.path.string() + " --model mlp --batch 16 --samples 0 --threads 1 ";
  REQUIRE(run(common + "--steps 1 --out " + scratch.file("base"), scratch).code == 0);
  ganpp::Checkpoint c = ganpp::Checkpoint::load(scratch.file("base/checkpoint.ganpp"));

  // The batch of step 4, as the resumed run will draw it (steps 2 and 3 come first), and a marker pixel it lights.
  const ganpp::ImageDataset train = ganpp::load_mnist(data.path.string(), true);
  ganpp::BatchLoader<float> loader(train, 16, std::uint64_t{0}, true);
  loader.set_state(c.text("loader"));
  ganpp::Tensor<float> batch;
  std::vector<int> labels;
  for (int step = 2; step <= 4; ++step) REQUIRE(loader.next(batch, labels));
  Index p = -1;
  for (Index k = kMarkerBase; k < 784 && p < 0; ++k)
    if (batch[k] > 0) p = k;  // the first image of the batch
  REQUIRE(p >= 0);

  const float big = 3e38f;
  ganpp::Tensor<float> w = c.tensor<float>("discriminator.0.weight"), b = c.tensor<float>("discriminator.0.bias");
  for (Index j = 0; j < 784; ++j) w[j] = j == p ? big : 0.0f;  // unit 0's row: (out, in) layout
  b[0] = big;
  c.put("discriminator.0.weight", w);
  c.put("discriminator.0.bias", b);
  ganpp::Tensor<float> gw = c.tensor<float>("generator.6.weight"), gb = c.tensor<float>("generator.6.bias");
  for (Index j = 0; j < 1024; ++j) gw[p * 1024 + j] = 0.0f;
  gb[p] = -100.0f;
  c.put("generator.6.weight", gw);
  c.put("generator.6.bias", gb);
  const std::string poisoned = scratch.file("poisoned.ganpp");
  c.save(poisoned);

  const Result stop = run(common + "--steps 6 --resume " + poisoned + " --out " + scratch.file("stop"), scratch);
  INFO(stop.output);
  CHECK(stop.code == 1);
  CHECK_THAT(stop.output, Catch::Contains("ganpp-mnist: GanTrainer::step(): discriminator loss is") && Catch::Contains("at step 4") &&
                              Catch::Contains("--on-divergence rollback"));
  CHECK_FALSE(fs::exists(scratch.file("stop/checkpoint.ganpp")));

  const Result roll = run(common + "--steps 6 --resume " + poisoned + " --out " + scratch.file("roll") + " --on-divergence rollback", scratch);
  INFO(roll.output);
  CHECK(roll.code == 0);
  CHECK_THAT(roll.output,
             Catch::Contains("at step 4") && Catch::Contains("rolled back to step 1, skipping the batch") && Catch::Contains("done: 6 steps"));
  const ganpp::Checkpoint after = ganpp::Checkpoint::load(scratch.file("roll/checkpoint.ganpp"));
  CHECK(after.text("trainer.step") == "6");
  CHECK(after.tensor<float>("generator.0.weight").all_finite());
}

// The training monitor end to end: a classifier trained on the synthetic digits scores 50 samples every 4 steps; with
// patience 2 the run stops by itself, best.ganpp holds the state of metrics.csv's lowest FID, and the samples written
// are that state's (a run resumed from best.ganpp without training writes the same bytes).
TEST_CASE("ganpp-mnist --early-stop: stops when the FID stalls, keeps the best state and writes its samples", "[mnist][monitor]") {
  test::TempDir data, scratch;
  write_synthetic_mnist(data);
  const std::string classifier = scratch.file("classifier.ganpp");
  const Result trained = run("--data " + data.path.string() + " --epochs 1 --threads 1 --out " + classifier, scratch, GANPP_CLASSIFIER_EXE);
  INFO(trained.output);
  REQUIRE(trained.code == 0);
  const std::string common = "--data " + data.path.string() + " --model mlp --batch 16 --samples 20 --threads 1 --epochs 100 ";
  const std::string out = scratch.file("run");
  const Result r = run(common + "--steps 300 --eval-every 4 --eval-samples 50 --early-stop 2 --classifier " + classifier + " --out " + out, scratch);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("monitor: scoring 50 samples every 4 steps against 160 test images"));
  CHECK_THAT(r.output, Catch::Contains("early stop at step") && Catch::Contains("new best, saved as best.ganpp"));

  std::istringstream csv(read_file(out + "/metrics.csv"));
  std::string line;
  std::getline(csv, line);
  CHECK(line == "step,epoch,fid,inception_score,classes_covered,eval_seconds");
  long best_step = -1, last_step = 0;
  double best_fid = 1e300;
  int rows = 0;
  while (std::getline(csv, line)) {
    long step = 0, epoch = 0;
    double fid = 0, is = 0, sec = 0;
    int covered = -1;
    REQUIRE(std::sscanf(line.c_str(), "%ld,%ld,%lf,%lf,%d,%lf", &step, &epoch, &fid, &is, &covered, &sec) == 6);
    ++rows;
    CHECK(step == 4 * rows);
    CHECK(epoch == (step + 9) / 10);
    CHECK((std::isfinite(fid) && fid >= 0));
    CHECK((is >= 1 && is <= 10.0001));
    CHECK((covered >= 0 && covered <= 10));
    if (fid < best_fid) best_fid = fid, best_step = step;
    last_step = step;
  }
  // Stopped 2 evaluations after the best, long before --steps 300.
  CHECK(last_step == best_step + 8);
  CHECK(last_step < 300);
  CHECK_THAT(r.output, Catch::Contains("done: " + std::to_string(last_step) + " steps"));
  const ganpp::Checkpoint best = ganpp::Checkpoint::load(out + "/best.ganpp");
  CHECK(best.text("trainer.step") == std::to_string(best_step));
  CHECK(best.text("monitor.best_step") == std::to_string(best_step));
  CHECK(std::abs(std::stod(best.text("monitor.best_score")) - best_fid) <= 1e-5 * best_fid);
  CHECK(ganpp::Checkpoint::load(out + "/checkpoint.ganpp").text("trainer.step") == std::to_string(last_step));
  check_png(out + "/grid-best.png", 8 * 30 + 2, 8 * 30 + 2);
  const std::string report = read_file(out + "/report.html");
  CHECK_THAT(report,
             Catch::Contains("MNIST FID") && Catch::Contains("Best so far") && Catch::Contains("Stopped early") && Catch::Contains("time per epoch"));

  // The samples written are the best state's.
  const Result again =
      run(common + "--steps " + std::to_string(best_step) + " --eval-samples 0 --resume " + out + "/best.ganpp --out " + scratch.file("from-best"),
          scratch);
  INFO(again.output);
  REQUIRE(again.code == 0);
  CHECK_THAT(again.output, Catch::Contains("resuming at step " + std::to_string(best_step)));
  CHECK(read_file(out + "/samples.idx3-ubyte") == read_file(scratch.file("from-best/samples.idx3-ubyte")));
}
