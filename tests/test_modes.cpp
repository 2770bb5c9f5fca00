// SPDX-License-Identifier: MIT
// The mode-collapse benchmark (examples/modes): the stabilized configuration covers the 8-Gaussian ring with
// high-quality samples, and the evaluation counts modes and quality as defined.
#include <catch2/catch.hpp>

#include "../examples/modes/modes.hpp"

using namespace ganpp;

TEST_CASE("modes: the evaluation counts covered modes and high-quality samples", "[modes]") {
  const modes::Mixture ring = modes::make_mixture("ring8");
  REQUIRE(ring.centers.size() == 8);
  CHECK(std::hypot(ring.centers[3][0], ring.centers[3][1]) == Approx(2.0));
  const modes::Mixture grid = modes::make_mixture("grid25");
  REQUIRE(grid.centers.size() == 25);
  CHECK(grid.centers.front()[0] == -4.0);
  CHECK(grid.centers.back()[1] == 4.0);
  CHECK_THROWS_AS(modes::make_mixture("ring7"), argument_error);
  CHECK_THROWS_AS(modes::preset("fancy"), argument_error);

  // Real samples from the mixture: every mode covered, about 98.9% within 3 std (chi-squared with 2 degrees of
  // freedom: 1 - exp(-9/2)).
  Rng rng(1);
  Tensor<float> x;
  ring.sample(rng, 4000, x);
  const modes::Evaluation real = modes::evaluate(ring, x, 20);
  CHECK(real.modes_covered == 8);
  CHECK(real.high_quality == Approx(1 - std::exp(-4.5)).margin(0.006));
  // A collapsed set: every sample on one mode, plus some far off.
  for (Index i = 0; i < 100; ++i) {
    x[2 * i] = static_cast<float>(i < 80 ? 2.0 : 0.0);
    x[2 * i + 1] = 0.0f;
  }
  x.resize(Shape{100, 2});
  const modes::Evaluation collapsed = modes::evaluate(ring, x, 20);
  CHECK(collapsed.modes_covered == 1);
  CHECK(collapsed.high_quality == Approx(0.8));
  CHECK(collapsed.per_mode[0] == 80);
}

TEST_CASE("modes: the stabilized GAN covers at least 7 of the 8 ring modes with 80% high-quality samples", "[modes][slow]") {
  // Seed 0, the program's defaults (ganpp-modes --dataset ring8 --config stabilized --seed 0): 3000 steps.
  set_num_threads(1);
  const modes::Mixture ring = modes::make_mixture("ring8");
  const modes::Result r = modes::run(ring, modes::preset("stabilized"), 3000, 0);
  INFO("modes covered " << r.eval.modes_covered << " of " << r.eval.modes_total << ", high quality " << r.eval.high_quality << ", "
                        << r.seconds << " s");
  CHECK(r.eval.modes_total == 8);
  CHECK(r.eval.modes_covered >= 7);
  CHECK(r.eval.high_quality >= 0.8);
}
