// SPDX-License-Identifier: MIT
// TrainingState and DivergenceGuard: exact resume, kill -9 during checkpoint saves, divergence detected in the step
// it appears and rolled back on request, and the model loader leaving the model as it was on any error.
#include <catch2/catch.hpp>
#include <ganpp/checkpoint.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/model_io.hpp>
#include <ganpp/training_state.hpp>

#include "support.hpp"

#include <csignal>
#include <cstring>
#include <filesystem>
#include <limits>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ganpp;
namespace fs = std::filesystem;

namespace {

/// Identity forward; backward passes the gradient on, with a NaN in it while *armed is true.
class PoisonGrad : public Layer<float> {
 public:
  explicit PoisonGrad(const bool* armed) : armed_(armed) {}
  std::string name() const override { return "PoisonGrad"; }
  Shape output_shape(const Shape& in) const override { return in; }
  const Tensor<float>& forward(const Tensor<float>& x) override {
    out_.assign(x);
    return out_;
  }
  const Tensor<float>& backward(const Tensor<float>& dy) override {
    grad_.assign(dy);
    if (*armed_) grad_[0] = std::numeric_limits<float>::quiet_NaN();
    return grad_;
  }

 private:
  const bool* armed_;
  Tensor<float> out_, grad_;
};

struct PoisonFlag {
  bool poison = false;  // set before the GAN is built, which keeps a pointer to it
};

/// The toy GAN with BatchNorm (buffers) and Dropout (a layer random state) in its discriminator, so that an exact
/// resume needs every part of TrainingState, and a generator whose gradient can be poisoned on request.
struct Run : PoisonFlag, toy::Gan {
  TrainingState<float> state{g, d, g_opt, d_opt, trainer};
  Rng data{3};
  Tensor<float> real;

  explicit Run(std::uint64_t init_seed = 1) : toy::Gan(generator_net(&poison), discriminator_net(), options(), 1e-3, 1e-3, init_seed) {}
  static TrainerOptions options() {
    TrainerOptions o;
    o.seed = 11;
    return o;
  }
  static Sequential<float> generator_net(const bool* poison) {
    Sequential<float> net;
    net.emplace<Linear<float>>(4, 16).emplace<PoisonGrad>(poison).emplace<LeakyReLU<float>>(0.2f).emplace<Linear<float>>(16, 1);
    return net;
  }
  static Sequential<float> discriminator_net() {
    Sequential<float> net;
    net.emplace<Linear<float>>(1, 16).emplace<BatchNorm<float>>(16).emplace<LeakyReLU<float>>(0.2f).emplace<Dropout<float>>(0.3, 5);
    net.emplace<Linear<float>>(16, 1);
    return net;
  }
  void train_to(std::int64_t steps) {
    while (trainer.steps() < steps) {
      toy::sample_mixture(data, 32, real);
      trainer.step(real);
    }
  }
  /// Every parameter and buffer of both models, and both optimizers' state tensors, as raw floats.
  std::vector<float> everything() {
    std::vector<float> v;
    for (Model<float>* m : {static_cast<Model<float>*>(&g), static_cast<Model<float>*>(&d)}) {
      for (auto& p : m->parameters()) v.insert(v.end(), p.value->begin(), p.value->end());
      for (auto& b : m->buffers()) v.insert(v.end(), b.value->begin(), b.value->end());
    }
    for (Optimizer<float>* o : {static_cast<Optimizer<float>*>(&g_opt), static_cast<Optimizer<float>*>(&d_opt)})
      for (auto& t : o->state().tensors) v.insert(v.end(), t.second.begin(), t.second.end());
    return v;
  }
};

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("exact resume: N steps in one go equal k steps, save, fresh objects, load, N - k more", "[checkpoint][resume]") {
  test::TempDir dir;
  const std::int64_t n = 30, k = 11;
  Run straight;
  straight.train_to(n);

  const std::string path = dir.file("resume.ganpp");
  {
    Run first;
    first.train_to(k);
    Checkpoint c;
    first.state.save(c);
    c.put_text("data.rng", first.data.state());
    c.save(path);
  }  // the first run's objects are gone
  Run resumed(99);  // other initial weights: everything must come from the file
  const Checkpoint c = Checkpoint::load(path);
  resumed.state.load(c);
  resumed.data.set_state(c.text("data.rng"));
  CHECK(resumed.trainer.steps() == k);
  resumed.train_to(n);

  CHECK(resumed.trainer.steps() == n);
  CHECK(same_bits(straight.everything(), resumed.everything()));
  CHECK(straight.trainer.rng().state() == resumed.trainer.rng().state());
  CHECK(straight.d.net().rng_state() == resumed.d.net().rng_state());
  CHECK(straight.g_opt.steps() == resumed.g_opt.steps());
}

TEST_CASE("kill -9 in the middle of checkpoint saves never loses the previous checkpoint", "[checkpoint][kill]") {
  test::TempDir dir;
  const std::string path = dir.file("run.ganpp");
  // About 8 MB: a tensor filled with the version number, and the version as text; a torn file would mix versions.
  Checkpoint c;
  c.put("values", Tensor<float>(Shape{2000000}, 0.0f));
  c.put_text("version", "0");
  c.save(path);
  int mid_save = 0;
  const std::string tmp = path + ".tmp";
  for (int round = 0; round < 8; ++round) {
    fs::remove(tmp);  // left by the previous round's kill; the next one must be the child's own
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {  // saves new versions over the same path until killed; never returns into the test runner
      try {
        for (int v = 1;; ++v) {
          const int version = round * 100000 + v;
          c.put("values", Tensor<float>(Shape{2000000}, static_cast<float>(version)));
          c.put_text("version", std::to_string(version));
          c.save(path);
        }
      } catch (...) {
      }
      ::_exit(1);
    }
    // Wait until a save is under way (its temporary file exists), then kill at once or a little later, so that
    // the kills land while writing, while syncing, and around the rename. A slow machine only makes waits longer.
    for (int i = 0; i < 600000 && !fs::exists(tmp); ++i) ::usleep(100);
    if (round % 2 == 1) ::usleep(static_cast<useconds_t>(500 * round));
    ::kill(child, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
    mid_save += fs::exists(tmp);  // the temporary file exists only between a save's open and its rename
    const Checkpoint loaded = Checkpoint::load(path);  // checksummed: a torn file would be refused here
    const int version = std::stoi(loaded.text("version"));
    INFO("round " << round << ": version " << version);
    const Tensor<float> values = loaded.tensor<float>("values");
    CHECK(values.size() == 2000000);
    CHECK((values.array() == static_cast<float>(version)).all());
  }
  CHECK(mid_save > 0);  // at least one kill landed inside a save, after the temporary file was opened
  // A leftover temporary file does not get in the way of the next save.
  Checkpoint next;
  next.put_text("version", "next");
  next.save(path);
  CHECK(Checkpoint::load(path).text("version") == "next");
  CHECK_FALSE(fs::exists(path + ".tmp"));
}

TEST_CASE("divergence: a non-finite gradient is caught in the step it appears, naming the parameter", "[gan][divergence]") {
  Run r;
  r.train_to(3);
  r.poison = true;
  toy::sample_mixture(r.data, 32, r.real);
  CHECK_THROWS_WITH(r.trainer.step(r.real), Catch::Contains("GanTrainer::step()") && Catch::Contains("generator") &&
                                                 Catch::Contains("gradient is not finite") && Catch::Contains("step 4"));
}

TEST_CASE("divergence: a non-finite parameter is caught in the step it appears", "[gan][divergence]") {
  Run r;
  r.train_to(2);
  (*r.d.parameters()[0].value)[0] = std::numeric_limits<float>::infinity();
  toy::sample_mixture(r.data, 32, r.real);
  CHECK_THROWS_AS(r.trainer.step(r.real), divergence_error);
  CHECK(r.trainer.steps() == 3);
  // ... and it can never be written to a checkpoint.
  Checkpoint c;
  CHECK_THROWS_AS(r.state.save(c), divergence_error);
}

TEST_CASE("DivergenceGuard rolls back to the last good state, skips the batch and goes on", "[gan][divergence]") {
  Run r;
  DivergenceGuard<float> guard(r.state, 2);
  for (int i = 0; i < 5; ++i) {
    toy::sample_mixture(r.data, 32, r.real);
    CHECK(guard.step(r.real));
  }
  guard.commit();
  const std::vector<float> good = r.everything();
  const std::string good_rng = r.trainer.rng().state();
  toy::sample_mixture(r.data, 32, r.real);
  CHECK(guard.step(r.real));  // step 6
  r.poison = true;            // step 7 makes the generator's parameters NaN
  toy::sample_mixture(r.data, 32, r.real);
  CHECK_FALSE(guard.step(r.real));
  CHECK(guard.rollbacks() == 1);
  CHECK_THAT(guard.last_error(), Catch::Contains("gradient is not finite"));
  CHECK(r.trainer.steps() == 5);
  CHECK(same_bits(r.everything(), good));
  CHECK(r.trainer.rng().state() == good_rng);
  r.poison = false;
  toy::sample_mixture(r.data, 32, r.real);
  const auto s = guard.step(r.real);
  REQUIRE(s);
  CHECK(s->step == 6);
  for (auto& p : r.g.parameters()) CHECK(p.value->all_finite());

  SECTION("too many rollbacks in a row end with the divergence_error") {
    r.poison = true;
    CHECK_FALSE(guard.step(r.real));
    CHECK_FALSE(guard.step(r.real));
    CHECK_THROWS_WITH(guard.step(r.real), Catch::Contains("2 rollbacks in a row"));
  }
  SECTION("a diverged state is never committed") {
    r.poison = true;
    const std::int64_t committed = guard.committed_step();
    CHECK_THROWS_AS(r.trainer.step(r.real), divergence_error);  // unguarded: the NaN stays in the model
    CHECK_THROWS_AS(guard.commit(), divergence_error);
    CHECK(guard.committed_step() == committed);
  }
}

TEST_CASE("DivergenceGuard: commit_every commits on its own; with nothing committed the error propagates", "[gan][divergence]") {
  Run r;
  DivergenceGuard<float> lone(r.state);
  r.poison = true;
  toy::sample_mixture(r.data, 32, r.real);
  CHECK_THROWS_WITH(lone.step(r.real), Catch::Contains("no good state"));

  Run s;
  DivergenceGuard<float> every(s.state, 3, 4);
  s.train_to(0);
  for (int i = 0; i < 9; ++i) {
    toy::sample_mixture(s.data, 32, s.real);
    every.step(s.real);
  }
  CHECK(every.committed_step() == 8);
  CHECK_THROWS_AS(DivergenceGuard<float>(s.state, 0), argument_error);
}

TEST_CASE("load_model refuses non-finite parameters and leaves the model unchanged on any error", "[checkpoint][errors]") {
  Run r;
  Checkpoint c;
  save_model(c, "d", r.d);
  Tensor<float> w = c.tensor<float>("d.0.weight");
  w[1] = std::numeric_limits<float>::quiet_NaN();
  c.put("d.0.weight", w);
  Run other(42);
  const std::vector<float> before = other.everything();
  CHECK_THROWS_WITH(load_model(c, "d", other.d), Catch::Contains("load_model()") && Catch::Contains("d.0.weight") && Catch::Contains("non-finite"));
  CHECK(same_bits(other.everything(), before));
  // An error in the last entry read (the layer random state) also leaves everything as it was.
  Checkpoint bad_rng;
  save_model(bad_rng, "d", r.d);
  bad_rng.put_text("d.rng", "\n\n\nnot a state\n\n");  // layer 3 is the Dropout
  const std::string rng_before = other.d.net().rng_state();
  CHECK_THROWS_AS(load_model(bad_rng, "d", other.d), io_error);
  CHECK(same_bits(other.everything(), before));
  CHECK(other.d.net().rng_state() == rng_before);
}

TEST_CASE("TrainingState::load refuses a malformed step count", "[checkpoint][errors]") {
  Run r;
  Checkpoint c;
  r.state.save(c);
  for (const char* bad : {"", "-1", "12x", "99999999999999999999", "4611686018427387905"}) {
    c.put_text("trainer.step", bad);
    INFO(bad);
    CHECK_THROWS_WITH(r.state.load(c), Catch::Contains("TrainingState::load()") && Catch::Contains("trainer.step"));
  }
}

TEST_CASE("exact resume with the generator's EMA: TrainingState::ema saves and restores the average", "[checkpoint][resume][ema]") {
  // A run that keeps an EMA of its generator (GanTrainer::set_ema()), saved with the rest of its state.
  struct RunWithAverage : Run {
    ExponentialMovingAverage<float> ema{g.parameters(), 0.9};
    TrainingState<float> full{g, d, g_opt, d_opt, trainer, &ema};
    explicit RunWithAverage(std::uint64_t init_seed = 1) : Run(init_seed) {
      ema.reset();
      trainer.set_ema(&ema);
    }
    std::vector<float> average() const {
      std::vector<float> v;
      for (const auto& t : ema.shadow()) v.insert(v.end(), t.begin(), t.end());
      return v;
    }
  };
  const std::int64_t n = 25, k = 9;
  RunWithAverage straight;
  straight.train_to(n);
  Checkpoint c;
  {
    RunWithAverage first;
    first.train_to(k);
    first.full.save(c);
    c.put_text("data.rng", first.data.state());
  }
  CHECK(c.has("ema.updates"));
  RunWithAverage resumed(99);
  resumed.full.load(c);
  resumed.data.set_state(c.text("data.rng"));
  CHECK(resumed.ema.updates() == k);
  resumed.train_to(n);
  CHECK(same_bits(straight.everything(), resumed.everything()));
  CHECK(same_bits(straight.average(), resumed.average()));

  // A checkpoint without the average (saved by a state with no EMA) is refused, naming the entry, and changes nothing.
  Checkpoint plain;
  straight.state.save(plain);
  RunWithAverage other(7);
  const std::vector<float> before = other.everything(), average_before = other.average();
  CHECK_THROWS_WITH(other.full.load(plain), Catch::Contains("ema."));
  CHECK(same_bits(other.everything(), before));
  CHECK(same_bits(other.average(), average_before));
}
