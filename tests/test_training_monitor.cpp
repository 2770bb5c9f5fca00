// SPDX-License-Identifier: MIT
// EarlyStopping, CollapseWatch and TrainingMonitor: the patience rule, the collapse warnings, and a toy GAN run that
// stops by itself and leaves its best-scoring state in best.ganpp.
#include <catch2/catch.hpp>
#include <ganpp/checkpoint.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/training_monitor.hpp>

#include "support.hpp"

#include <cmath>
#include <limits>
#include <map>

using namespace ganpp;

TEST_CASE("EarlyStopping: patience counts evaluations since the best", "[monitor]") {
  EarlyStopping e(3);
  CHECK_FALSE(e.has_best());
  const double scores[] = {5, 4, 4.5, 3, 3.1, 3.0, 3.2};
  const bool improved[] = {true, true, false, true, false, false, false};
  for (int i = 0; i < 7; ++i) {
    INFO("evaluation " << i);
    CHECK(e.update(100 * (i + 1), scores[i]) == improved[i]);
    CHECK(e.should_stop() == (i == 6));  // a tie (3.0 after 3.0) is not an improvement
  }
  CHECK(e.best_score() == 3.0);
  CHECK(e.best_step() == 400);
  CHECK(e.stale() == 3);
  CHECK(e.evaluations() == 7);

  SECTION("maximize, min_delta, non-finite scores") {
    EarlyStopping m(2, EarlyStopping::Goal::maximize, 0.5);
    CHECK_FALSE(m.update(1, std::numeric_limits<double>::quiet_NaN()));
    CHECK_FALSE(m.has_best());
    CHECK(m.update(2, 1.0));
    CHECK_FALSE(m.update(3, 1.4));  // not by more than 0.5
    CHECK(m.update(4, 1.6));
    CHECK_FALSE(m.update(5, std::numeric_limits<double>::infinity()));
    CHECK_FALSE(m.should_stop());
    CHECK_FALSE(m.update(6, 0.0));
    CHECK(m.should_stop());
    CHECK(m.best_score() == 1.6);
  }
  SECTION("patience 0 never stops") {
    EarlyStopping never(0);
    never.update(1, 1.0);
    for (int i = 2; i < 50; ++i) never.update(i, 2.0);
    CHECK_FALSE(never.should_stop());
    CHECK(never.stale() == 48);
  }
  SECTION("state round trip, and malformed states rejected") {
    EarlyStopping copy(3);
    copy.set_state(e.state());
    CHECK(copy.best_score() == e.best_score());
    CHECK(copy.best_step() == 400);
    CHECK(copy.stale() == 3);
    CHECK(copy.should_stop());
    EarlyStopping fresh(3);
    EarlyStopping restored(3);
    restored.set_state(fresh.state());
    CHECK_FALSE(restored.has_best());
    for (const char* bad : {"", "12", "4 nan 1 2", "4 3.0 1 2 extra", "4 3.0 5 2", "x 1 1 1"})
      CHECK_THROWS_WITH(copy.set_state(bad), Catch::StartsWith("EarlyStopping::set_state(): "));
  }
  CHECK_THROWS_WITH(EarlyStopping(-1), Catch::StartsWith("EarlyStopping::EarlyStopping(): patience must be >= 0, got -1"));
  CHECK_THROWS_AS(EarlyStopping(1, EarlyStopping::Goal::minimize, -1.0), argument_error);
}

namespace {
StepStats stats_at(std::int64_t step, double d_loss, double g_loss, double d_real = 0.6, double d_fake = 0.4) {
  StepStats s;
  s.step = step;
  s.d_loss = d_loss;
  s.g_loss = g_loss;
  s.d_real = d_real;
  s.d_fake = d_fake;
  return s;
}
}  // namespace

TEST_CASE("CollapseWatch warns once per episode: saturated D, loss spikes, classes lost", "[monitor]") {
  CollapseOptions o;
  o.saturated_steps = 50;
  o.spike_window = 20;
  CollapseWatch w(o);
  std::int64_t step = 0;
  std::vector<std::string> all;
  auto feed = [&](int n, double d_real, double d_fake, double g_loss) {
    for (int i = 0; i < n; ++i) {
      ++step;
      // A noisy but stable loss: 1 +- 0.1.
      for (auto& m : w.observe(stats_at(step, 1.0 + 0.1 * std::sin(0.7 * static_cast<double>(step)), g_loss, d_real, d_fake))) all.push_back(m);
    }
  };
  feed(49, 0.999, 0.001, 1.0);
  CHECK(all.empty());
  feed(1, 0.999, 0.001, 1.0);  // the 50th saturated step in a row
  REQUIRE(all.size() == 1);
  CHECK_THAT(all[0], Catch::StartsWith("step 50: D(x) > 0.99 and D(G(z)) < 0.01 for 50 steps in a row"));
  feed(100, 0.999, 0.001, 1.0);  // the same episode
  CHECK(all.size() == 1);
  feed(1, 0.7, 0.3, 1.0);
  feed(50, 0.999, 0.001, 1.0);  // a new one
  REQUIRE(all.size() == 2);
  CHECK_THAT(all[1], Catch::StartsWith("step 201: "));

  all.clear();
  feed(30, 0.6, 0.4, 1.0);
  CHECK(all.empty());
  feed(1, 0.6, 0.4, 9.0);
  REQUIRE(all.size() == 1);
  CHECK_THAT(all[0], Catch::StartsWith("step 232: G loss spiked to 9"));
  feed(5, 0.6, 0.4, 9.0);  // quiet for a window after a warning
  CHECK(all.size() == 1);
  feed(1, 0.6, 0.4, std::numeric_limits<double>::quiet_NaN());  // not the spike rule's business
  CHECK(all.size() == 1);

  CHECK(w.observe_classes(300, 10, 10).empty());
  const auto fell = w.observe_classes(400, 8, 10);
  REQUIRE(fell.size() == 1);
  CHECK(fell[0] == "step 400: classes covered fell from 10 to 8 of 10 (the generator is dropping modes)");
  CHECK(w.observe_classes(500, 8, 10).empty());
  const auto few = w.observe_classes(600, 3, 10);  // a fall, and under half: the fall is reported
  REQUIRE(few.size() == 1);
  CHECK_THAT(few[0], Catch::StartsWith("step 600: classes covered fell from 8 to 3"));
  CHECK(w.observe_classes(700, 4, 10).empty());
  CollapseWatch fresh;
  const auto start = fresh.observe_classes(100, 1, 10);  // under half from the start
  REQUIRE(start.size() == 1);
  CHECK(start[0] == "step 100: only 1 of 10 classes covered (the samples fall into few classes: a collapse, or a run that has not started yet)");
  CHECK(fresh.observe_classes(200, 1, 10).empty());
  CHECK(fresh.observe_classes(300, 6, 10).empty());
  CHECK(fresh.observe_classes(400, 7, 10).empty());
  CHECK_THROWS_AS(CollapseWatch(CollapseOptions{0.99, 0.01, 10, 5, 6.0, 1.0}), argument_error);
}

// The injected scorer: how far the toy generator's samples (fixed latents) are from the target mixture. Cheap and a
// function of the generator's weights alone, so scoring a state loaded from best.ganpp gives the recorded score back.
namespace {
double toy_score(toy::Gan& gan) {
  const toy::Stats s = toy::stats(gan.generate(400, 99));
  return std::abs(s.stddev - std::sqrt(toy::kMode * toy::kMode + toy::kSpread * toy::kSpread)) + (1.0 - s.near_modes);
}
}  // namespace

TEST_CASE("TrainingMonitor: a toy run stops by itself and best.ganpp holds the best-scoring state", "[monitor]") {
  test::TempDir dir;
  const std::string best = dir.file("best.ganpp");
  toy::Gan gan;
  TrainingState<float> state{gan.g, gan.d, gan.g_opt, gan.d_opt, gan.trainer};
  TrainingMonitor<float> monitor(state, best, EarlyStopping(4), {}, [](Checkpoint& c) { c.put_text("run.note", "toy"); });
  std::map<std::int64_t, double> scores;
  std::map<std::int64_t, std::string> weights;  // the generator's first weight tensor at each evaluation, as bytes
  Rng data(3);
  Tensor<float> real;
  const std::int64_t max_steps = 4000, every = 25;
  while (gan.trainer.steps() < max_steps && !monitor.should_stop()) {
    toy::sample_mixture(data, 64, real);
    monitor.observe(gan.trainer.step(real));
    if (gan.trainer.steps() % every) continue;
    const double score = toy_score(gan);
    const Tensor<float>& w = *gan.g.parameters().front().value;
    scores[gan.trainer.steps()] = score;
    weights[gan.trainer.steps()] = std::string(reinterpret_cast<const char*>(w.data()), static_cast<std::size_t>(w.size()) * sizeof(float));
    const MonitorVerdict v = monitor.evaluate(score);
    CHECK(v.improved == (monitor.stopping().best_step() == gan.trainer.steps()));
  }
  const std::int64_t stopped_at = gan.trainer.steps();
  INFO("stopped at step " << stopped_at << " after " << scores.size() << " evaluations");
  REQUIRE(monitor.should_stop());
  REQUIRE(stopped_at < max_steps);
  // The best is the lowest score, 4 evaluations before the stop.
  auto lowest = scores.begin();
  for (auto it = scores.begin(); it != scores.end(); ++it)
    if (it->second < lowest->second) lowest = it;
  CHECK(monitor.stopping().best_step() == lowest->first);
  CHECK(monitor.stopping().best_score() == lowest->second);
  CHECK(stopped_at == lowest->first + 4 * every);

  // best.ganpp, loaded into a fresh GAN, is the state of that evaluation: same step, same weights, same score.
  const Checkpoint c = Checkpoint::load(best);
  CHECK(c.text("monitor.best_step") == std::to_string(lowest->first));
  CHECK(std::stod(c.text("monitor.best_score")) == lowest->second);
  CHECK(c.text("run.note") == "toy");
  toy::Gan fresh(TrainerOptions{}, 1e-3, 1e-3);
  fresh.g.reset_parameters(Init::torch_default, 1234);
  TrainingState<float>{fresh.g, fresh.d, fresh.g_opt, fresh.d_opt, fresh.trainer}.load(c);
  CHECK(fresh.trainer.steps() == lowest->first);
  const Tensor<float>& w = *fresh.g.parameters().front().value;
  CHECK(std::string(reinterpret_cast<const char*>(w.data()), static_cast<std::size_t>(w.size()) * sizeof(float)) == weights[lowest->first]);
  CHECK(toy_score(fresh) == lowest->second);

  // restore_best() puts it back into the run itself; the record survives a checkpoint round trip.
  Checkpoint latest;
  monitor.save(latest);
  monitor.restore_best();
  CHECK(gan.trainer.steps() == lowest->first);
  CHECK(toy_score(gan) == lowest->second);
  TrainingMonitor<float> resumed(state, best, EarlyStopping(4));
  resumed.load(latest);
  CHECK(resumed.should_stop());
  CHECK(resumed.stopping().best_step() == lowest->first);
  Checkpoint bad;
  bad.put_text("monitor.state", "garbage");
  CHECK_THROWS_AS(resumed.load(bad), io_error);
}
