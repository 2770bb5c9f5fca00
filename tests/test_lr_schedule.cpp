// SPDX-License-Identifier: MIT
// Learning-rate schedules: factors and learning rates against hand-computed values, every optimizer, and exact
// resumption from a checkpoint of the optimizer's state.
#include <catch2/catch.hpp>
#include "support.hpp"

#include <ganpp/checkpoint.hpp>
#include <ganpp/model_io.hpp>

#include <cmath>
#include <memory>

using namespace ganpp;

namespace {

// One scalar parameter with a settable gradient.
struct OneParameter {
  Tensor<double> value{Shape{1}}, grad{Shape{1}};
  std::vector<Parameter<double>> params() { return {{"p", &value, &grad}}; }
};

}  // namespace

TEST_CASE("LrSchedule factors match hand-computed values", "[optim][schedule][translation]") {
  const LrSchedule constant = LrSchedule::constant();
  CHECK(constant.factor(0) == 1.0);
  CHECK(constant.factor(1000000) == 1.0);
  CHECK(constant.name() == "constant");

  // CycleGAN's rule with n_epochs = 3, n_epochs_decay = 4: 1 - max(0, t + 1 - 3) / 5.
  const LrSchedule linear = LrSchedule::linear_decay(3, 4);
  const double expected[] = {1.0, 1.0, 1.0, 0.8, 0.6, 0.4, 0.2, 0.2, 0.2};
  for (int t = 0; t < 9; ++t) {
    INFO("t = " << t);
    CHECK(linear.factor(t) == Approx(expected[t]));
  }
  CHECK(linear.name() == "linear_decay(hold 3, decay 4)");
  // CycleGAN's defaults: epochs 0..99 at the full rate, then 1 - k / 101 at epoch 99 + k, 1/101 at the last (199).
  const LrSchedule cyclegan = LrSchedule::linear_decay(100, 100);
  CHECK(cyclegan.factor(99) == 1.0);
  CHECK(cyclegan.factor(100) == Approx(1.0 - 1.0 / 101.0));
  CHECK(cyclegan.factor(150) == Approx(1.0 - 51.0 / 101.0));
  CHECK(cyclegan.factor(199) == Approx(1.0 / 101.0));
  const LrSchedule no_hold = LrSchedule::linear_decay(0, 1);
  CHECK(no_hold.factor(0) == Approx(0.5));
  CHECK(no_hold.factor(5) == Approx(0.5));

  // StepLR(step_size 2, gamma 0.5): 0.5^floor(t / 2).
  const LrSchedule step = LrSchedule::step(2, 0.5);
  const double expected_step[] = {1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125};
  for (int t = 0; t < 7; ++t) CHECK(step.factor(t) == Approx(expected_step[t]));
  CHECK(LrSchedule::step(30).factor(65) == Approx(0.01));
}

TEST_CASE("LrSchedule and LrScheduler reject bad arguments", "[optim][schedule][errors][translation]") {
  CHECK_THROWS_WITH(LrSchedule::linear_decay(-1, 3), Catch::Contains("LrSchedule::linear_decay()") && Catch::Contains("hold -1"));
  CHECK_THROWS_AS(LrSchedule::linear_decay(2, 0), argument_error);
  CHECK_THROWS_WITH(LrSchedule::step(0), Catch::Contains("LrSchedule::step()"));
  CHECK_THROWS_AS(LrSchedule::step(1, 0.0), argument_error);
  CHECK_THROWS_AS(LrSchedule::step(1, 1.5), argument_error);
  CHECK_THROWS_AS(LrSchedule::constant().factor(-1), argument_error);
  OneParameter p;
  Sgd<double> sgd(p.params(), {0.1});
  CHECK_THROWS_WITH(LrScheduler<double>(sgd, LrSchedule::constant(), 0), Catch::Contains("LrScheduler::LrScheduler()") && Catch::Contains("steps_per_unit"));
  CHECK_THROWS_AS(LrScheduler<double>(sgd, LrSchedule::constant(), 1, 0.0), argument_error);
}

TEST_CASE("LrScheduler drives Sgd through hand-computed steps", "[optim][schedule][translation]") {
  OneParameter p;
  p.value[0] = 1.0;
  p.grad[0] = 1.0;
  Sgd<double> sgd(p.params(), {0.1});
  LrScheduler<double> sched(sgd, LrSchedule::step(1, 0.5));
  CHECK(sched.base_learning_rate() == 0.1);
  CHECK(sched.update() == Approx(0.1));
  sgd.step();  // p = 1 - 0.1
  CHECK(sched.update() == Approx(0.05));
  sgd.step();  // p = 0.9 - 0.05
  CHECK(sched.update() == Approx(0.025));
  sgd.step();  // p = 0.85 - 0.025
  CHECK(p.value[0] == Approx(0.825));
  CHECK(sgd.learning_rate() == Approx(0.025));
  CHECK(sched.unit() == 3);

  // Counting epochs of 2 steps: linear_decay(1, 2) gives 1, 1, 2/3, 2/3, 1/3, 1/3, then stays at 1/3.
  OneParameter q;
  Sgd<double> sgd2(q.params(), {0.3});
  LrScheduler<double> per_epoch(sgd2, LrSchedule::linear_decay(1, 2), 2);
  const double expected[] = {0.3, 0.3, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1};
  for (double lr : expected) {
    CHECK(per_epoch.update() == Approx(lr));
    sgd2.step();
  }
  CHECK(per_epoch.learning_rate_at(1) == Approx(0.3));
  CHECK(per_epoch.learning_rate_at(2) == Approx(0.2));
}

TEST_CASE("every optimizer takes a schedule", "[optim][schedule][translation]") {
  OneParameter p;
  std::vector<std::unique_ptr<Optimizer<double>>> opts;
  opts.push_back(std::make_unique<Sgd<double>>(p.params(), SgdOptions{0.2, 0.9}));
  opts.push_back(std::make_unique<Adam<double>>(p.params(), AdamOptions{0.2}));
  opts.push_back(std::make_unique<RmsProp<double>>(p.params(), RmsPropOptions{0.2}));
  for (auto& opt : opts) {
    LrScheduler<double> sched(*opt, LrSchedule::step(2, 0.1));
    p.grad[0] = 0.5;
    for (int s = 0; s < 5; ++s) {
      sched.update();
      opt->step();
    }
    sched.update();  // 5 steps done: 0.2 * 0.1^2
    CHECK(opt->learning_rate() == Approx(0.002));
  }
}

TEST_CASE("a schedule resumes exactly from a checkpoint of the optimizer state", "[optim][schedule][checkpoint][translation]") {
  const AdamOptions options{0.01, 0.5, 0.999};
  const LrSchedule schedule = LrSchedule::linear_decay(2, 5);
  auto grad_at = [](int s) { return 0.3 * std::sin(1.0 + s); };

  // Uninterrupted: 8 steps.
  OneParameter a;
  a.value[0] = 1.0;
  Adam<double> opt_a(a.params(), options);
  LrScheduler<double> sched_a(opt_a, schedule);
  double lr_after_4 = 0;
  for (int s = 0; s < 8; ++s) {
    const double lr = sched_a.update();
    if (s == 4) lr_after_4 = lr;
    a.grad[0] = grad_at(s);
    opt_a.step();
  }

  // Interrupted after 4 steps: the optimizer is saved, then restored into a fresh optimizer and scheduler.
  OneParameter b;
  b.value[0] = 1.0;
  Checkpoint saved;
  double value_at_4 = 0;
  {
    Adam<double> opt(b.params(), options);
    LrScheduler<double> sched(opt, schedule);
    for (int s = 0; s < 4; ++s) {
      sched.update();
      b.grad[0] = grad_at(s);
      opt.step();
    }
    save_optimizer(saved, "optimizer", opt);
    value_at_4 = b.value[0];
  }
  OneParameter c;
  c.value[0] = value_at_4;
  Adam<double> restored(c.params(), options);
  load_optimizer(saved, "optimizer", restored);
  LrScheduler<double> sched_c(restored, schedule);
  CHECK(restored.steps() == 4);
  CHECK(sched_c.update() == lr_after_4);
  CHECK(lr_after_4 == Approx(0.01 * (1.0 - 3.0 / 6.0)));
  c.grad[0] = grad_at(4);
  restored.step();
  for (int s = 5; s < 8; ++s) {
    sched_c.update();
    c.grad[0] = grad_at(s);
    restored.step();
  }
  CHECK(c.value[0] == a.value[0]);
  CHECK(restored.learning_rate() == opt_a.learning_rate());
}

TEST_CASE("schedules drive both of GanTrainer's optimizers through its step callback", "[optim][schedule][gan][translation]") {
  auto mlp = [](Index in, Index out) {
    Sequential<double> net;
    net.emplace<Linear<double>>(in, 4).emplace<LeakyReLU<double>>(0.2).emplace<Linear<double>>(4, out);
    return net;
  };
  Generator<double> g(mlp(2, 1), Shape{2});
  Discriminator<double> d(mlp(1, 1), Shape{1});
  Adam<double> g_opt(g.parameters(), {1e-3, 0.5, 0.999}), d_opt(d.parameters(), {4e-3, 0.5, 0.999});
  TrainerOptions options;
  options.d_steps = 2;  // D steps twice per G step: its schedule counts twice as many steps per epoch
  GanTrainer<double> trainer(g, d, g_opt, d_opt, options);
  // Epochs of 4 batches: D takes 4 steps per epoch, G 2.
  LrScheduler<double> g_sched(g_opt, LrSchedule::linear_decay(1, 3), 2), d_sched(d_opt, LrSchedule::linear_decay(1, 3), 4);
  g_sched.update();
  d_sched.update();
  trainer.on_step([&](const StepStats&) {
    g_sched.update();
    d_sched.update();
    return true;
  });
  struct Loader {
    Rng rng{1};
    int left = 4;
    bool next(Tensor<double>& x, std::vector<int>&) {
      if (left-- == 0) {
        left = 4;
        return false;
      }
      x.resize(Shape{8, 1});
      rng.fill_normal(x);
      return true;
    }
  } loader;
  CHECK(trainer.fit(loader, 3) == 12);
  CHECK(d_opt.steps() == 12);
  CHECK(g_opt.steps() == 6);
  // Three epochs done: both at factor(3) = 1 - 3 / 4 of their base rates.
  CHECK(g_opt.learning_rate() == Approx(0.25e-3));
  CHECK(d_opt.learning_rate() == Approx(1e-3));
}
