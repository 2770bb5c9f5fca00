// SPDX-License-Identifier: MIT
// AnomalyScorer on a linear generator and discriminator, where the best latent and the scores are known exactly.
#include <catch2/catch.hpp>
#include <ganpp/applications/anomaly.hpp>
#include <ganpp/ganpp.hpp>

#include <cmath>
#include <limits>

using namespace ganpp;

namespace {

// G(z) = W z with W (4 x 2) of orthonormal columns spanning the first two axes rotated; D(x) = a . x + b.
struct LinearGan {
  Generator<double> g;
  Discriminator<double> d;

  LinearGan() : g(make_g(), Shape{2}), d(make_d(), Shape{4}) {
    const double c = std::cos(0.3), s = std::sin(0.3);
    // Columns (c, s, 0, 0) and (0, 0, s, -c), stored (out, in) = (4, 2), row-major.
    Tensor<double>& w = *g.parameters()[0].value;
    const double values[8] = {c, 0, s, 0, 0, s, 0, -c};
    for (int i = 0; i < 8; ++i) w[i] = values[i];
    Tensor<double>& a = *d.parameters()[0].value;
    const double dv[4] = {0.5, -1.0, 0.25, 2.0};
    for (int i = 0; i < 4; ++i) a[i] = dv[i];
    (*d.parameters()[1].value)[0] = 0.3;
  }
  static Sequential<double> make_g() {
    Sequential<double> net;
    net.emplace<Linear<double>>(2, 4, false);
    return net;
  }
  static Sequential<double> make_d() {
    Sequential<double> net;
    net.emplace<Linear<double>>(4, 1);
    return net;
  }
  double logit(const double* x) const {
    const double dv[4] = {0.5, -1.0, 0.25, 2.0};
    double l = 0.3;
    for (int i = 0; i < 4; ++i) l += dv[i] * x[i];
    return l;
  }
};

// Two inputs: one in G's range (W (1.5, -0.5)), one with an extra component (0, 0, c, s) orthogonal to the range.
Tensor<double> inputs() {
  const double c = std::cos(0.3), s = std::sin(0.3);
  Tensor<double> x(Shape{2, 4});
  const double z0 = 1.5, z1 = -0.5, off = 0.8;
  const double in_range[4] = {c * z0, s * z0, s * z1, -c * z1};
  const double orth[4] = {0, 0, c * off, s * off};
  for (int i = 0; i < 4; ++i) {
    x[i] = in_range[i];
    x[4 + i] = in_range[i] + orth[i];
  }
  return x;
}

}  // namespace

TEST_CASE("AnomalyScorer: without a search the score is softplus(-D(x))", "[anomaly]") {
  LinearGan gan;
  AnomalyScorer<double> scorer(gan.g, gan.d);
  const Tensor<double> x = inputs();
  const AnomalyScores s = scorer.score(x);
  REQUIRE(s.score.size() == 2);
  CHECK(s.residual.empty());
  for (int i = 0; i < 2; ++i) {
    const double l = gan.logit(x.data() + 4 * i);
    CHECK(s.discriminator[static_cast<std::size_t>(i)] == Approx(std::log1p(std::exp(-l))).epsilon(1e-12));
    CHECK(s.score[static_cast<std::size_t>(i)] == s.discriminator[static_cast<std::size_t>(i)]);
  }
}

TEST_CASE("AnomalyScorer: the latent search finds the least-squares latent, so off-range inputs score higher", "[anomaly]") {
  LinearGan gan;
  AnomalyOptions o;
  o.search_steps = 400;
  o.search_lr = 0.05;
  o.lambda = 0.0;  // residual only: the optimum is the projection onto G's range
  o.batch = 1;     // one input per search batch: the chunking must not change the result
  AnomalyScorer<double> scorer(gan.g, gan.d, o);
  const AnomalyScores s = scorer.score(inputs());
  REQUIRE(s.residual.size() == 2);
  CHECK(s.residual[0] < 1e-6);                                // reproduced exactly
  CHECK(s.residual[1] == Approx(0.8 * 0.8 / 4).epsilon(1e-3));  // what remains is the orthogonal part, per element
  CHECK(s.score[0] == s.residual[0]);
  CHECK(s.score[1] > s.score[0]);
}

TEST_CASE("AnomalyScorer: with lambda > 0 the score combines the residual and the discriminator term", "[anomaly]") {
  LinearGan gan;
  AnomalyOptions o;
  o.search_steps = 300;
  o.lambda = 0.1;
  AnomalyScorer<double> scorer(gan.g, gan.d, o);
  const AnomalyScores s = scorer.score(inputs());
  for (std::size_t i = 0; i < 2; ++i) {
    // The score is at least the weighted residual, and the discriminator term is a softplus, so bounded below by 0.
    CHECK(s.score[i] >= 0.9 * s.residual[i]);
    CHECK(std::isfinite(s.score[i]));
  }
  // L(z) is convex here (a quadratic plus the softplus of an affine function), so the search reaches its minimum,
  // which lies below L at the least-squares latent; for the in-range input that latent reproduces x, where
  // L = 0.9 * 0 + 0.1 * softplus(-D(x)).
  AnomalyOptions ls = o;
  ls.lambda = 0.0;
  const AnomalyScores pure = AnomalyScorer<double>(gan.g, gan.d, ls).score(inputs());
  CHECK(s.score[0] < 0.9 * pure.residual[0] + 0.1 * pure.discriminator[0] - 1e-4);
  CHECK(s.residual[0] > 1e-6);  // the discriminator term pulled G(z) off x
}

TEST_CASE("AnomalyScorer: leaves the models' modes, flags, parameters and gradients as they were", "[anomaly]") {
  LinearGan gan;
  gan.g.train(true);
  gan.d.train(true);
  const double w0 = (*gan.g.parameters()[0].value)[0], a0 = (*gan.d.parameters()[0].value)[0];
  gan.g.zero_grad();
  gan.d.zero_grad();
  AnomalyOptions o;
  o.search_steps = 5;
  o.lambda = 0.5;
  AnomalyScorer<double>(gan.g, gan.d, o).score(inputs());
  CHECK(gan.g.is_training());
  CHECK(gan.d.is_training());
  CHECK_FALSE(gan.g.net().is_frozen());
  CHECK_FALSE(gan.d.net().is_frozen());
  CHECK_FALSE(gan.g.net().needs_input_grad());  // a generator's default
  CHECK((*gan.g.parameters()[0].value)[0] == w0);
  CHECK((*gan.d.parameters()[0].value)[0] == a0);
  for (auto& p : gan.g.parameters()) CHECK(p.grad->array().abs().maxCoeff() == 0.0);
  for (auto& p : gan.d.parameters()) CHECK(p.grad->array().abs().maxCoeff() == 0.0);
}

TEST_CASE("AnomalyScorer: rejects bad options, conditional models and inputs of the wrong shape", "[anomaly]") {
  LinearGan gan;
  AnomalyOptions bad;
  bad.lambda = 1.5;
  CHECK_THROWS_AS(AnomalyScorer<double>(gan.g, gan.d, bad), argument_error);
  bad = {};
  bad.search_steps = -1;
  CHECK_THROWS_AS(AnomalyScorer<double>(gan.g, gan.d, bad), argument_error);
  bad = {};
  bad.starts = 0;
  CHECK_THROWS_AS(AnomalyScorer<double>(gan.g, gan.d, bad), argument_error);
  AnomalyScorer<double> scorer(gan.g, gan.d);
  CHECK_THROWS_AS(scorer.score(Tensor<double>(Shape{2, 5})), shape_error);
  Sequential<double> cg;
  cg.emplace<LabelConcat<double>>(3, 2).emplace<Linear<double>>(4, 4);
  Generator<double> conditional(std::move(cg), Shape{2}, 3);
  CHECK_THROWS_AS(AnomalyScorer<double>(conditional, gan.d), argument_error);
}

TEST_CASE("AnomalyScorer: with several starts the search begins at the closest of them", "[anomaly]") {
  // A step too small to move the latent, so the residual is the one at the start; the first candidate of several
  // starts is the latent a single start draws, so several can only do better, and with 32 they do.
  LinearGan gan;
  AnomalyOptions o;
  o.search_steps = 1;
  o.search_lr = 1e-12;
  o.lambda = 0;
  const Tensor<double> x = inputs();
  const AnomalyScores one = AnomalyScorer<double>(gan.g, gan.d, o).score(x);
  o.starts = 32;
  const AnomalyScores many = AnomalyScorer<double>(gan.g, gan.d, o).score(x);
  REQUIRE(many.residual.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) CHECK(many.residual[i] <= one.residual[i] + 1e-12);
  CHECK(many.residual[0] + many.residual[1] < 0.9 * (one.residual[0] + one.residual[1]));
}

TEST_CASE("AnomalyScorer: the relative residual divides by the input's mean squared distance from the background", "[anomaly]") {
  LinearGan gan;
  AnomalyOptions o;
  o.search_steps = 20;
  o.background = 0.25;
  const Tensor<double> x = inputs();
  const AnomalyScores s = AnomalyScorer<double>(gan.g, gan.d, o).score(x);
  REQUIRE(s.relative_residual.size() == 2);
  for (int i = 0; i < 2; ++i) {
    double content = 0;
    for (int k = 0; k < 4; ++k) content += (x[4 * i + k] - 0.25) * (x[4 * i + k] - 0.25) / 4;
    CHECK(s.relative_residual[static_cast<std::size_t>(i)] == Approx(s.residual[static_cast<std::size_t>(i)] / content).epsilon(1e-12));
  }
  AnomalyOptions bad;
  bad.background = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(AnomalyScorer<double>(gan.g, gan.d, bad), argument_error);
}
