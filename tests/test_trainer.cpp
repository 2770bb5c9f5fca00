// SPDX-License-Identifier: MIT
// GanTrainer: learns a known distribution, is reproducible bit for bit, keeps G and D apart, and rejects misuse.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include "toy_gan.hpp"

using namespace ganpp;

namespace {

struct ToySetup {
  Generator<float> g{toy::mlp<float>(4, 32, 1), Shape{4}};
  Discriminator<float> d{toy::mlp<float>(1, 32, 1), Shape{1}};
  Adam<float> g_opt{g.parameters(), {1e-3, 0.5, 0.999}};
  Adam<float> d_opt{d.parameters(), {1e-3, 0.5, 0.999}};
  GanTrainer<float> trainer;
  explicit ToySetup(TrainerOptions o = {}) : trainer(g, d, g_opt, d_opt, o) {
    g.reset_parameters(Init::torch_default, 1);
    d.reset_parameters(Init::torch_default, 2);
  }
  /// Trains for `steps` steps on fresh batches from the mixture; returns every step's stats.
  std::vector<StepStats> run(int steps, Index batch = 128, std::uint64_t data_seed = 3) {
    Rng data(data_seed);
    Tensor<float> real;
    std::vector<StepStats> out;
    for (int i = 0; i < steps; ++i) {
      toy::sample_mixture(data, batch, real);
      out.push_back(trainer.step(real));
    }
    return out;
  }
  Tensor<float> generate(Index n, std::uint64_t seed) {
    Rng rng(seed);
    Tensor<float> z, x;
    g.sample_latent(n, rng, z);
    g.eval();
    x.assign(g.forward(z));
    g.train();
    return x;
  }
};

}  // namespace

TEST_CASE("the trainer learns a two-Gaussian mixture", "[gan][slow]") {
  ToySetup toy_gan;
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
  ToySetup a, b;
  const auto sa = a.run(50), sb = b.run(50);
  for (std::size_t i = 0; i < sa.size(); ++i) {
    REQUIRE(sa[i].d_loss == sb[i].d_loss);
    REQUIRE(sa[i].g_loss == sb[i].g_loss);
    REQUIRE(sa[i].d_real == sb[i].d_real);
  }
  TrainerOptions other;
  other.seed = 99;
  ToySetup c(other);
  const auto sc = c.run(50);
  CHECK(sc.back().d_loss != sa.back().d_loss);
}

TEST_CASE("d_steps: the generator is updated every k-th step only", "[gan]") {
  TrainerOptions o;
  o.d_steps = 3;
  ToySetup t(o);
  const auto steps = t.run(7);
  for (std::size_t i = 0; i < steps.size(); ++i) CHECK(steps[i].generator_updated == ((i + 1) % 3 == 0));
}

TEST_CASE("the discriminator's parameters do not move during the generator's step", "[gan]") {
  // The D gradients left after a full step (D update, then G update) must be exactly those of the D loss alone,
  // replayed by hand on an identical copy: a G step that leaked into D would have added to them.
  ToySetup t, manual;
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
  ToySetup t;
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

  ToySetup t;
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
  ToySetup t;
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
