// SPDX-License-Identifier: MIT
// GanTrainer: learns a known distribution, is reproducible bit for bit, keeps G and D apart, rejects misuse, and
// plays the game's options (TTUR, n-critic, the relativistic loss, instance noise, R1, the generator's EMA).
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include "support.hpp"

#include <cmath>

using namespace ganpp;
using test::flat;
using test::max_change;

TEST_CASE("the trainer learns a two-Gaussian mixture", "[gan][slow]") {
  toy::Gan toy_gan;
  const toy::Stats before = toy::stats(toy_gan.generate(4000, 9));
  toy_gan.run(3000);
  const toy::Stats after = toy::stats(toy_gan.generate(4000, 9));
  INFO("before: mean " << before.mean << " std " << before.stddev << " near modes " << before.near_modes);
  INFO("after: mean " << after.mean << " std " << after.stddev << " near modes " << after.near_modes << " (left "
                      << after.near_left << ", right " << after.near_right << ")");
  // The target has mean 0, standard deviation 2.02, half its mass within 3 spreads of each mode. Tolerances:
  // standard deviation within 0.3, at least 85% of samples near a mode, each mode holding 30% to 70% of them
  // (which bounds the mean by 0.8 in magnitude).
  CHECK(std::abs(after.stddev - std::sqrt(toy::kMode * toy::kMode + toy::kSpread * toy::kSpread)) < 0.3);
  CHECK(after.near_modes > 0.85);
  CHECK(after.near_left > 0.3 * after.near_modes);
  CHECK(after.near_right > 0.3 * after.near_modes);
  CHECK(std::abs(after.mean) < 0.8);
  CHECK(before.near_modes < 0.5);  // the untrained generator is far from the target
}

TEST_CASE("same seed and threads give the same losses bit for bit", "[gan]") {
  toy::Gan a, b;
  const auto sa = a.run(50), sb = b.run(50);
  for (std::size_t i = 0; i < sa.size(); ++i) {
    REQUIRE(sa[i].d_loss == sb[i].d_loss);
    REQUIRE(sa[i].g_loss == sb[i].g_loss);
    REQUIRE(sa[i].d_real == sb[i].d_real);
  }
  TrainerOptions other;
  other.seed = 99;
  toy::Gan c(other);
  const auto sc = c.run(50);
  CHECK(sc.back().d_loss != sa.back().d_loss);
}

TEST_CASE("d_steps: the generator is updated every k-th step only", "[gan]") {
  TrainerOptions o;
  o.d_steps = 3;
  toy::Gan t(o);
  const auto steps = t.run(7);
  for (std::size_t i = 0; i < steps.size(); ++i) CHECK(steps[i].generator_updated == ((i + 1) % 3 == 0));
}

TEST_CASE("the discriminator's parameters do not move during the generator's step", "[gan]") {
  // The D gradients left after a full step (D update, then G update) must be exactly those of the D loss alone,
  // replayed by hand on an identical copy: a G step that leaked into D would have added to them.
  toy::Gan t, manual;
  Rng data(5);
  Tensor<float> real;
  toy::sample_mixture(data, 64, real);
  t.trainer.step(real);
  Rng latent(0);  // the trainer's own seed
  Tensor<float> z;
  manual.g.sample_latent(64, latent, z);
  const Tensor<float>& fake = manual.g.forward(z);
  GanLoss<float> loss;
  Tensor<float> grad;
  manual.d.zero_grad();
  loss.discriminator_real(manual.d.forward(real), grad);
  manual.d.backward(grad);
  loss.discriminator_fake(manual.d.forward(fake), grad);
  manual.d.backward(grad);
  auto pt = t.d.parameters(), pm = manual.d.parameters();
  for (std::size_t i = 0; i < pt.size(); ++i)
    for (Index k = 0; k < pt[i].grad->size(); ++k) REQUIRE((*pt[i].grad)[k] == (*pm[i].grad)[k]);
}

TEST_CASE("callbacks see every step and can stop training", "[gan]") {
  toy::Gan t;
  struct MixtureLoader {
    Rng rng{4};
    int batches_left = 10;
    bool next(Tensor<float>& images, std::vector<int>&) {
      if (batches_left-- <= 0) {
        batches_left = 10;
        return false;
      }
      toy::sample_mixture(rng, 32, images);
      return true;
    }
  } loader;
  int seen = 0, epochs = 0;
  t.trainer.on_step([&](const StepStats& s) {
    ++seen;
    CHECK(s.step == seen);
    CHECK(std::isfinite(s.d_loss));
    CHECK(s.d_real > 0);
    CHECK(s.d_real < 1);
    return true;
  });
  t.trainer.on_epoch([&](Index e) {
    epochs = static_cast<int>(e);
    return e < 2;  // stop after the second epoch
  });
  CHECK(t.trainer.fit(loader, 5) == 20);
  CHECK(seen == 20);
  CHECK(epochs == 2);
}

TEST_CASE("trainer misuse gets clear errors", "[gan][errors]") {
  Generator<float> g(toy::mlp<float>(4, 8, 2), Shape{4});
  Discriminator<float> d(toy::mlp<float>(1, 8, 1), Shape{1});
  Adam<float> g_opt(g.parameters()), d_opt(d.parameters());
  CHECK_THROWS_WITH(GanTrainer<float>(g, d, g_opt, d_opt), Catch::Contains("(2,)") && Catch::Contains("(1,)"));

  toy::Gan t;
  CHECK_THROWS_WITH(GanTrainer<float>(t.g, t.d, t.d_opt, t.g_opt), Catch::Contains("generator optimizer"));
  CHECK_THROWS_AS(t.trainer.step(Tensor<float>(Shape{0, 1})), argument_error);
  CHECK_THROWS_WITH(t.trainer.step(Tensor<float>(Shape{8, 3})), Catch::Contains("(8, 3)"));
  CHECK_THROWS_WITH(Discriminator<float>(toy::mlp<float>(1, 8, 2), Shape{1}), Catch::Contains("one logit"));
  CHECK_THROWS_WITH(Generator<float>(toy::mlp<float>(4, 8, 2), Shape{5}), Catch::Contains("Linear(4 -> 8)") && Catch::Contains("(1, 5)"));
  TrainerOptions bad;
  bad.d_steps = 0;
  CHECK_THROWS_AS(GanTrainer<float>(t.g, t.d, t.g_opt, t.d_opt, bad), argument_error);
}

TEST_CASE("a non-finite loss stops training with divergence_error before any update", "[gan][errors]") {
  toy::Gan t;
  Tensor<float> real(Shape{16, 1}, std::numeric_limits<float>::quiet_NaN());
  std::vector<float> before;
  for (auto& p : t.d.parameters()) before.insert(before.end(), p.value->begin(), p.value->end());
  CHECK_THROWS_AS(t.trainer.step(real), divergence_error);
  std::vector<float> after;
  for (auto& p : t.d.parameters()) after.insert(after.end(), p.value->begin(), p.value->end());
  CHECK(before == after);
}

TEST_CASE("conditional models need labels in range", "[gan][errors]") {
  Sequential<float> gnet;
  gnet.emplace<LabelConcat<float>>(3, 3).emplace<Linear<float>>(7, 2);
  Generator<float> g(std::move(gnet), Shape{4}, 3);
  Tensor<float> z(Shape{2, 4});
  std::vector<int> ok{0, 2}, bad{0, 3};
  CHECK(g.forward(z, &ok).shape() == Shape{2, 2});
  CHECK_THROWS_WITH(g.forward(z, &bad), Catch::Contains("label 3"));
  CHECK_THROWS_WITH(g.forward(z), Catch::Contains("needs 2 labels"));
}

TEST_CASE("TTUR: each network moves by its own learning rate", "[gan]") {
  // Adam's first step moves every parameter with a clear gradient by almost exactly lr.
  toy::Gan t({}, 1e-4, 4e-4);
  const auto g0 = flat(t.g.parameters()), d0 = flat(t.d.parameters());
  t.run(1, 64);
  CHECK(max_change(g0, flat(t.g.parameters())) == Approx(1e-4).epsilon(0.01));
  CHECK(max_change(d0, flat(t.d.parameters())) == Approx(4e-4).epsilon(0.01));
  CHECK(t.g_opt.learning_rate() == Approx(1e-4));
  CHECK(t.d_opt.learning_rate() == Approx(4e-4));
}

TEST_CASE("n-critic: five D updates per G update, with WGAN-GP", "[gan]") {
  TrainerOptions o;
  o.loss = LossKind::wasserstein;
  o.d_steps = 5;
  o.gp_lambda = 10;
  toy::Gan t(o, 1e-4, 1e-4);
  const auto g0 = flat(t.g.parameters());
  const auto steps = t.run(10, 64);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    CHECK(steps[i].generator_updated == ((i + 1) % 5 == 0));
    CHECK(steps[i].penalty > 0);
    CHECK(std::isfinite(steps[i].d_loss));
  }
  CHECK(t.g_opt.steps() == 2);
  CHECK(t.d_opt.steps() == 10);
  CHECK(max_change(g0, flat(t.g.parameters())) > 0);
}

TEST_CASE("the trainer plays the relativistic game and learns the mixture", "[gan][slow]") {
  TrainerOptions o;
  o.loss = LossKind::relativistic;
  toy::Gan t(o);
  const auto steps = t.run(2000, 128);
  for (const auto& s : steps) REQUIRE(std::isfinite(s.d_loss));
  Rng rng(9);
  Tensor<float> z, x;
  t.g.sample_latent(4000, rng, z);
  t.g.eval();
  x.assign(t.g.forward(z));
  const toy::Stats st = toy::stats(x);
  INFO("near modes " << st.near_modes << " left " << st.near_left << " right " << st.near_right);
  CHECK(st.near_modes > 0.8);
  CHECK(st.near_left > 0.25);
  CHECK(st.near_right > 0.25);
}

TEST_CASE("the relativistic D step's gradient is that of the coupled loss", "[gan]") {
  // Replays one D step by hand: both logits, the relativistic gradients, backward for each batch.
  TrainerOptions o;
  o.loss = LossKind::relativistic;
  toy::Gan t(o), manual(o);
  Rng data(5);
  Tensor<float> real;
  toy::sample_mixture(data, 32, real);
  t.trainer.step(real);
  Rng latent(0);
  Tensor<float> z, real_logits, grad_r, grad_f;
  manual.g.sample_latent(32, latent, z);
  const Tensor<float>& fake = manual.g.forward(z);
  GanLoss<float> loss(LossKind::relativistic);
  manual.d.zero_grad();
  real_logits.assign(manual.d.forward(real));
  loss.discriminator_relativistic(real_logits, manual.d.forward(fake), grad_r, grad_f);
  manual.d.backward(grad_f);
  manual.d.forward(real);
  manual.d.backward(grad_r);
  auto pt = t.d.parameters(), pm = manual.d.parameters();
  for (std::size_t i = 0; i < pt.size(); ++i)
    for (Index k = 0; k < pt[i].grad->size(); ++k) REQUIRE((*pt[i].grad)[k] == (*pm[i].grad)[k]);
}

TEST_CASE("instance noise anneals linearly and label smoothing reaches D's loss", "[gan]") {
  TrainerOptions o;
  o.instance_noise = 0.5;
  o.instance_noise_steps = 100;
  o.real_label = 0.9;
  toy::Gan t(o);
  CHECK(t.trainer.instance_noise_stddev(1) == Approx(0.5));
  CHECK(t.trainer.instance_noise_stddev(51) == Approx(0.25));
  CHECK(t.trainer.instance_noise_stddev(101) == 0.0);
  CHECK(t.trainer.instance_noise_stddev(500) == 0.0);
  CHECK(t.trainer.loss().real_label() == Approx(0.9f));
  for (const auto& s : t.run(20, 64)) CHECK(std::isfinite(s.d_loss));
  // Noise changes what D sees: the same data and seed without it give other losses.
  toy::Gan quiet;
  CHECK(quiet.run(3, 64).back().d_loss != toy::Gan(o).run(3, 64).back().d_loss);
  TrainerOptions bad;
  bad.instance_noise = -1;
  CHECK_THROWS_AS(toy::Gan(bad), argument_error);
  bad = {};
  bad.real_label = 0.9;
  bad.loss = LossKind::hinge;
  CHECK_THROWS_AS(toy::Gan(bad), argument_error);
}

TEST_CASE("the trainer applies R1 in D's step", "[gan]") {
  TrainerOptions o;
  o.r1_gamma = 1.0;
  toy::Gan t(o);
  const auto steps = t.run(5, 64);
  for (const auto& s : steps) {
    CHECK(s.penalty > 0);
    CHECK(s.d_loss > s.penalty);
  }
  // The penalty's share of D's gradient: the same step without R1 leaves other gradients.
  toy::Gan plain;
  plain.run(1, 64);
  toy::Gan r1(o);
  r1.run(1, 64);
  CHECK(flat(plain.d.parameters()) != flat(r1.d.parameters()));
}

TEST_CASE("the trainer updates the generator's EMA after every generator step", "[gan][ema]") {
  TrainerOptions o;
  o.d_steps = 2;
  toy::Gan t(o);
  ExponentialMovingAverage<float> ema(t.g.parameters(), 0.99);
  t.trainer.set_ema(&ema);
  t.run(6, 64);
  CHECK(ema.updates() == 3);
  const auto live = flat(t.g.parameters());
  ema.swap();
  const auto averaged = flat(t.g.parameters());
  ema.swap();
  CHECK(averaged != live);
  CHECK(flat(t.g.parameters()) == live);
}
