// SPDX-License-Identifier: MIT
// ExponentialMovingAverage of parameters: hand-computed averages, warm-up and swapping.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

using namespace ganpp;
using T = double;

TEST_CASE("ExponentialMovingAverage: hand-computed averages and swapping", "[ema]") {
  Tensor<T> value(Shape{2}, std::vector<T>{1.0, 2.0}), grad(Shape{2});
  std::vector<Parameter<T>> params{{"p", &value, &grad}};
  ExponentialMovingAverage<T> ema(params, 0.9, false);
  value[0] = 3.0;
  ema.update();  // 0.9 * 1 + 0.1 * 3
  CHECK(ema.shadow()[0][0] == Approx(1.2));
  CHECK(ema.shadow()[0][1] == Approx(2.0));
  value[0] = 5.0;
  ema.update();  // 0.9 * 1.2 + 0.1 * 5
  CHECK(ema.shadow()[0][0] == Approx(1.58));
  ema.swap();
  CHECK(value[0] == Approx(1.58));
  CHECK(ema.swapped());
  CHECK_THROWS_AS(ema.update(), argument_error);
  ema.swap();
  CHECK(value[0] == 5.0);
  // Warm-up: the t-th update decays by min(decay, (1 + t) / (10 + t)), 2/11 for the first.
  ExponentialMovingAverage<T> warm(params, 0.999);
  CHECK(warm.next_decay() == Approx(2.0 / 11.0));
  value[0] = 7.0;
  warm.update();
  CHECK(warm.shadow()[0][0] == Approx(5.0 * 2.0 / 11.0 + 7.0 * 9.0 / 11.0));
  CHECK_THROWS_AS(ExponentialMovingAverage<T>(params, 1.0), argument_error);
}

TEST_CASE("AveragedWeights: the average draws, with BatchNorm statistics re-estimated, and the live state comes back bit for bit", "[ema]") {
  Sequential<T> net;
  net.emplace<Linear<T>>(3, 4).emplace<BatchNorm<T>>(4);
  Generator<T> g(std::move(net), Shape{3});
  g.reset_parameters(Init::torch_default, 5);
  ExponentialMovingAverage<T> ema(g.parameters(), 0.5, false);
  Rng rng(1);
  Tensor<T> z;
  g.sample_latent(16, rng, z);
  g.forward(z);  // running statistics of the live weights
  for (auto& p : g.parameters()) p.value->array() += T(1);
  ema.update();  // shadow = 0.5 * initial + 0.5 * (initial + 1) = live - 0.5
  std::vector<Tensor<T>> live_params, live_buffers;
  for (auto& p : g.parameters()) live_params.push_back(*p.value);
  for (auto& b : g.buffers()) live_buffers.push_back(*b.value);

  int calibrations = 0;
  {
    const AveragedWeights<Generator<T>, T> averaged(ema, g, [&] {
      ++calibrations;
      for (int i = 0; i < 60; ++i) g.forward(z);  // in training mode: the running statistics follow these weights
    });
    CHECK(calibrations == 1);
    CHECK(ema.swapped());
    for (std::size_t i = 0; i < live_params.size(); ++i)
      CHECK(g.parameters()[i].value->array().isApprox(live_params[i].array() - T(0.5), 1e-12));
    // Calibrated: the running mean moved away from the live weights' and has converged (one more batch barely moves it).
    const Tensor<T> calibrated = *g.buffers()[0].value;
    CHECK_FALSE(calibrated.array().isApprox(live_buffers[0].array(), 1e-3));
    g.train();
    g.forward(z);
    CHECK(g.buffers()[0].value->array().isApprox(calibrated.array(), 1e-3));
    CHECK_THROWS_AS((AveragedWeights<Generator<T>, T>(ema, g)), argument_error);  // already swapped in
  }
  CHECK_FALSE(ema.swapped());
  for (std::size_t i = 0; i < live_params.size(); ++i) CHECK((g.parameters()[i].value->array() == live_params[i].array()).all());
  for (std::size_t i = 0; i < live_buffers.size(); ++i) CHECK((g.buffers()[i].value->array() == live_buffers[i].array()).all());
}

TEST_CASE("AveragedWeights calibrates locally: a synchronised BatchNorm's reducer is detached meanwhile, then restored", "[ema]") {
  // Under DataParallel one rank draws alone; a calibration that summed statistics over the ranks would wait forever.
  struct CountingReducer : StatisticsReducer {
    int calls = 0;
    void sum(double*, Index) override { ++calls; }
  } reducer;
  Sequential<T> net;
  net.emplace<Linear<T>>(3, 4).emplace<BatchNorm<T>>(4);
  Generator<T> g(std::move(net), Shape{3});
  auto* bn = dynamic_cast<BatchNorm<T>*>(&g.net().child(1));
  REQUIRE(bn != nullptr);
  bn->set_statistics_reducer(&reducer);
  ExponentialMovingAverage<T> ema(g.parameters(), 0.5, false);
  Rng rng(2);
  Tensor<T> z;
  g.sample_latent(8, rng, z);
  {
    const AveragedWeights<Generator<T>, T> averaged(ema, g, [&] {
      CHECK(bn->statistics_reducer() == nullptr);
      g.forward(z);
    });
  }
  CHECK(reducer.calls == 0);
  CHECK(bn->statistics_reducer() == &reducer);
}
