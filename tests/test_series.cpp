// SPDX-License-Identifier: MIT
// Time series: sliding windows with per-column scaling, the marginal baseline, and the convolutional series GAN
// learning sine windows better than the baseline; Crop1d.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/tabular/measures.hpp>
#include <ganpp/tabular/series.hpp>

#include "support.hpp"

#include <cmath>

using namespace ganpp;

TEST_CASE("sliding_windows: (N, C, T) windows scaled to [-1, 1] per column; bad input named") {
  Table t;
  t.source = "s.csv";
  TableColumn a, b, c;
  a.name = "a", a.values = {0, 1, 2, 3, 4};
  b.name = "b", b.values = {10, 10, 30, 20, 10};
  c.name = "c", c.kind = ColumnKind::categorical, c.values = {0, 0, 0, 0, 0}, c.categories = {"x"};
  t.columns = {a, b, c};
  WindowScaler s;
  const Tensor<float> w = sliding_windows(t, {0, 1}, 3, 2, s);
  REQUIRE(w.shape() == Shape{2, 2, 3});
  CHECK(w[0] == -1.0f);     // a = 0
  CHECK(w[3] == -1.0f);     // b = 10
  CHECK(w[4] == -1.0f);     // b = 10
  CHECK(w[5] == 1.0f);      // b = 30
  CHECK(w[6 + 2] == 1.0f);  // the second window starts at row 2: a = 2, 3, 4
  CHECK(s.unscale(1, w[6 + 3]) == Approx(30));
  CHECK_THROWS_WITH(sliding_windows(t, {2}, 3, 1, s), Catch::Contains("column 'c' of s.csv is categorical"));
  t.columns[0].values[3] = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(sliding_windows(t, {0}, 3, 1, s), Catch::Contains("column 'a' of s.csv has a missing value in data row 4"));
  CHECK_THROWS_AS(sliding_windows(t, {1}, 6, 1, s), argument_error);
}

TEST_CASE("the series GAN learns sine windows: better predictive score than independent marginals") {
  set_num_threads(1);  // small networks
  const Index n = 512, len = 12;
  Rng rng(7);
  Tensor<float> real(Shape{n, 1, len});
  for (Index i = 0; i < n; ++i) {
    const double phase = rng.uniform(0, 6.283);
    for (Index s = 0; s < len; ++s) real[i * len + s] = static_cast<float>(0.8 * std::sin(phase + 0.6 * static_cast<double>(s)));
  }
  Generator<float> g(series_generator(16, 1, len), series_latent_shape(16, len));
  Discriminator<float> d(series_discriminator(1, len), Shape{1, len});
  Adam<float> g_opt(g.parameters(), {2e-3, 0.5, 0.999}), d_opt(d.parameters(), {2e-3, 0.5, 0.999});
  GanTrainer<float> trainer(g, d, g_opt, d_opt);
  Tensor<float> batch(Shape{64, 1, len});
  for (int step = 0; step < 400; ++step) {
    const Index at = static_cast<Index>(rng.below(static_cast<std::uint64_t>(n - 64)));
    std::copy_n(real.data() + at * len, 64 * len, batch.data());
    trainer.step(batch);
  }
  g.eval();
  Tensor<float> z;
  g.sample_latent(n, rng, z);
  const Tensor<float> fake = g.forward(z);
  const Tensor<float> base = marginal_windows(real, n, rng);
  ClassifierOptions o;
  o.epochs = 10;
  const double p_gan = predictive_score(fake, real, o), p_base = predictive_score(base, real, o);
  const double d_gan = discriminative_score(real, fake, o), d_base = discriminative_score(real, base, o);
  INFO("predictive: GAN " << p_gan << ", marginals " << p_base << "; discriminative: GAN " << d_gan << ", marginals " << d_base);
  CHECK(p_gan < p_base);
  CHECK(d_gan < d_base);
}

TEST_CASE("Crop1d keeps a stretch of each sequence; gradient-checked; bad shapes named") {
  Crop1d<double> crop(2, 3);
  CHECK(crop.name() == "Crop1d(2, 3)");
  Tensor<double> x(Shape{2, 2, 6});
  for (Index i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i);
  const Tensor<double>& y = crop.forward(x);
  REQUIRE(y.shape() == Shape{2, 2, 3});
  for (Index r = 0; r < 4; ++r)
    for (Index k = 0; k < 3; ++k) CHECK(y[r * 3 + k] == x[r * 6 + 2 + k]);
  test::require_gradients_match(crop, Shape{2, 3, 7});
  CHECK_THROWS_WITH(crop.forward(Tensor<double>(Shape{1, 1, 4})), Catch::Contains("Crop1d(2, 3)") && Catch::Contains("L >= 5"));
  CHECK_THROWS_AS(Crop1d<double>(-1, 3), argument_error);
  CHECK_THROWS_AS(Crop1d<double>(0, 0), argument_error);
}
