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
