// SPDX-License-Identifier: MIT
// SrTrainer: a tiny SR model learns 2x on synthetic patterns; exact resume; bad inputs.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/metrics.hpp>
#include <ganpp/sr_trainer.hpp>
#include <ganpp/superres.hpp>

#include "support.hpp"

#include <cmath>
#include <vector>

using namespace ganpp;
using test::flat;

namespace {

// n 8x8 images of oriented stripes: cos(2 pi (fx x + fy y) / 8 + phase) with integer frequencies 0..2 per axis (not both 0),
// at a random phase and contrast. 2x box-downsampled to 4x4 they are the low-resolution inputs.
void stripes(Rng& rng, Index n, Tensor<float>& high, Tensor<float>& low) {
  high.resize(Shape{n, 1, 8, 8});
  for (Index i = 0; i < n; ++i) {
    double fx = std::floor(rng.uniform() * 3), fy = std::floor(rng.uniform() * 3);
    if (fx == 0 && fy == 0) fx = 1;  // no flat image: bicubic would match it exactly (infinite PSNR)
    const double phase = rng.uniform() * 6.283185307179586;
    const double amp = 0.4 + 0.5 * rng.uniform();
    for (Index y = 0; y < 8; ++y)
      for (Index x = 0; x < 8; ++x)
        high.at(i, 0, y, x) =
            static_cast<float>(amp * std::cos(6.283185307179586 * (fx * static_cast<double>(x) + fy * static_cast<double>(y)) / 8 + phase));
  }
  box_downsample(high, 2, low);
}

Generator<float> tiny_generator(std::uint64_t seed) {
  SrResNetOptions o;
  o.channels = 8;
  o.residual_blocks = 1;
  o.upscale = 2;
  Generator<float> g(srresnet_generator<float>(o), Shape{1, 4, 4});
  g.reset_parameters(Init::torch_default, seed);
  return g;
}

Discriminator<float> tiny_discriminator(std::uint64_t seed) {
  SrDiscriminatorOptions o;
  o.image_size = 8;
  o.channels = 4;
  o.stages = 2;
  o.dense = 16;
  Discriminator<float> d(srgan_discriminator<float>(o), Shape{1, 8, 8});
  d.reset_parameters(Init::torch_default, seed);
  return d;
}

}  // namespace

TEST_CASE("SrTrainer: a tiny SRResNet learns 2x on stripes, beating bicubic by 3 dB on unseen ones", "[superres][trainer]") {
  Generator<float> g = tiny_generator(1);
  Adam<float> opt(g.parameters(), {2e-3, 0.9, 0.999});
  SrTrainer<float> trainer(g, opt);
  Rng data(3), test_data(99);
  Tensor<float> high, low, test_high, test_low, bicubic;
  stripes(test_data, 64, test_high, test_low);
  bicubic_upsample(test_low, 2, bicubic);
  double first = 0, last = 0;
  for (int s = 0; s < 300; ++s) {
    stripes(data, 16, high, low);
    const SrStepStats st = trainer.step(low, high);
    CHECK_FALSE(st.adversarial);
    if (s == 0) first = st.pixel_loss;
    if (s >= 280) last += st.pixel_loss / 20;  // the mean of the last 20 steps
  }
  CHECK(trainer.steps() == 300);
  INFO("pixel loss first " << first << ", last 20 steps " << last);
  CHECK(last < 0.3 * first);
  g.eval();
  const double model_psnr = psnr(g.forward(test_low), test_high, 2.0), bicubic_psnr = psnr(bicubic, test_high, 2.0);
  INFO("PSNR model " << model_psnr << " dB, bicubic " << bicubic_psnr << " dB");
  CHECK(model_psnr > bicubic_psnr + 3);
}

TEST_CASE("SrTrainer: save after k steps, load into fresh objects, continue: bit for bit the uninterrupted run", "[superres][trainer][checkpoint]") {
  // Pixel phase for 3 steps, then adversarial; interrupted in each phase.
  SrTrainerOptions o;
  o.pretrain_steps = 3;
  auto run = [&](int total, int stop_at, Checkpoint* saved, const Checkpoint* resume_from) {
    Generator<float> g = tiny_generator(5);
    Discriminator<float> d = tiny_discriminator(6);
    Adam<float> g_opt(g.parameters(), {1e-3, 0.9, 0.999}), d_opt(d.parameters(), {1e-3, 0.5, 0.999});
    SrTrainer<float> trainer(g, g_opt, o);
    trainer.set_adversary(d, d_opt);
    if (resume_from) trainer.load(*resume_from);
    Tensor<float> high, low;
    std::vector<SrStepStats> stats;
    while (trainer.steps() < total) {
      Rng batch(static_cast<std::uint64_t>(100 + trainer.steps()));  // the batch of step k depends on k alone
      stripes(batch, 8, high, low);
      stats.push_back(trainer.step(low, high));
      if (saved && trainer.steps() == stop_at) trainer.save(*saved);
    }
    std::vector<float> weights = flat(g.parameters());
    for (float v : flat(d.parameters())) weights.push_back(v);
    return std::make_pair(weights, stats);
  };
  SECTION("interrupted in the pixel phase and in the adversarial phase") {
    for (int stop : {2, 5}) {
      Checkpoint c;
      const auto whole = run(8, stop, &c, nullptr);
      const auto resumed = run(8, -1, nullptr, &c);
      REQUIRE(resumed.second.size() == static_cast<std::size_t>(8 - stop));
      CHECK(resumed.first == whole.first);
      CHECK(resumed.second.back().g_loss == whole.second.back().g_loss);
      CHECK(whole.second.back().adversarial);
      CHECK_FALSE(whole.second.front().adversarial);
    }
  }
}

TEST_CASE("SrTrainer: bad inputs name the call and the shapes", "[superres][trainer][errors]") {
  Generator<float> g = tiny_generator(1);
  Discriminator<float> d = tiny_discriminator(2);
  Adam<float> g_opt(g.parameters(), {1e-3}), d_opt(d.parameters(), {1e-3});
  SrTrainerOptions bad;
  bad.adversarial_weight = -1;
  CHECK_THROWS_WITH(SrTrainer<float>(g, g_opt, bad), Catch::Contains("SrTrainer::SrTrainer()") && Catch::Contains("adversarial_weight"));
  bad = {};
  bad.pretrain_steps = -2;
  CHECK_THROWS_AS(SrTrainer<float>(g, g_opt, bad), argument_error);
  CHECK_THROWS_WITH(SrTrainer<float>(g, d_opt), Catch::Contains("generator optimizer holds parameter"));
  SrTrainer<float> trainer(g, g_opt);
  CHECK_THROWS_WITH(trainer.set_adversary(d, g_opt), Catch::Contains("discriminator optimizer holds parameter"));
  Discriminator<float> wrong(srgan_discriminator<float>({1, 16, 4, 2, 8}), Shape{1, 16, 16});
  CHECK_THROWS_WITH(trainer.set_adversary(wrong, d_opt), Catch::Contains("set_adversary()") && Catch::Contains("(1, 16, 16)"));
  Tensor<float> low(Shape{2, 1, 4, 4}, 0.f), high(Shape{2, 1, 8, 8}, 0.f);
  CHECK_THROWS_WITH(trainer.step(Tensor<float>(Shape{2, 1, 5, 5}), high), Catch::Contains("SrTrainer::step()") && Catch::Contains("(2, 1, 5, 5)"));
  CHECK_THROWS_WITH(trainer.step(low, Tensor<float>(Shape{3, 1, 8, 8})), Catch::Contains("SrTrainer::step()") && Catch::Contains("(3, 1, 8, 8)"));
  CHECK(trainer.steps() == 0);
  // A non-finite target: the loss is NaN, the step refused before the update.
  Tensor<float> nan_high(Shape{2, 1, 8, 8}, std::nanf(""));
  const std::vector<float> before = flat(g.parameters());
  CHECK_THROWS_AS(trainer.step(low, nan_high), divergence_error);
  CHECK(flat(g.parameters()) == before);
  // Loading: a malformed step and a checkpoint without the discriminator.
  Checkpoint c;
  trainer.save(c);
  c.put_text("sr_trainer.step", "-3");
  CHECK_THROWS_WITH(trainer.load(c), Catch::Contains("sr_trainer.step"));
  c.put_text("sr_trainer.step", "0");
  trainer.set_adversary(d, d_opt);
  CHECK_THROWS_WITH(trainer.load(c), Catch::Contains("no discriminator"));
}

TEST_CASE("SrTrainer's SRGAN step: the perceptual content loss, and the adversarial term reaching the generator", "[superres][trainer]") {
  // A frozen feature network for the content loss: conv 1 -> 2 channels, 3x3, then ReLU.
  Sequential<float> features;
  features.emplace<Conv2d<float>>(ConvOptions(1, 2, 3).with_padding(1)).emplace<ReLU<float>>();
  Rng init(8);
  features.reset_parameters(Init::torch_default, init);
  PerceptualLoss<float> content(features);
  Rng data(4);
  Tensor<float> high, low, grad;
  stripes(data, 8, high, low);
  auto first_adversarial_step = [&](double adversarial_weight, double* expected_content) {
    Generator<float> g = tiny_generator(5);
    Discriminator<float> d = tiny_discriminator(6);
    Sgd<float> g_opt(g.parameters(), {0.1}), d_opt(d.parameters(), {0.1});
    SrTrainerOptions o;
    o.pretrain_steps = 0;
    o.adversarial_weight = adversarial_weight;
    SrTrainer<float> trainer(g, g_opt, o);
    trainer.set_adversary(d, d_opt);
    trainer.set_content_loss(&content);
    if (expected_content) {  // the generator's output in train mode, before the step: what the step scores
      g.train();
      *expected_content = static_cast<double>(content.compute(g.forward(low), high, grad));
    }
    const SrStepStats s = trainer.step(low, high);
    CHECK(s.adversarial);
    CHECK(s.d_loss > 0);
    CHECK(s.g_adversarial > 0);
    CHECK(s.g_loss == Approx(s.content_loss + adversarial_weight * s.g_adversarial));
    if (expected_content) CHECK(s.content_loss == Approx(*expected_content).epsilon(1e-6));
    return flat(g.parameters());
  };
  double expected = 0;
  const std::vector<float> with_adversary = first_adversarial_step(1.0, &expected);
  const std::vector<float> without = first_adversarial_step(0.0, nullptr);
  CHECK(expected > 0);
  CHECK(with_adversary != without);
}
