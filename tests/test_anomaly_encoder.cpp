// SPDX-License-Identifier: MIT
// EncoderTrainer (f-AnoGAN's izi_f encoder): its gradient against finite differences on a tiny model, its scores
// against their definition, and a two-blob case where it must tell the held-out blob apart.
#include <catch2/catch.hpp>
#include <ganpp/applications/encoder.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/metrics.hpp>

#include "support.hpp"

#include <cmath>

using namespace ganpp;
using test::random_tensor;
using test::randomize;
using test::rel_error;

namespace {

// Tiny models on 4-dimensional data with a 2-dimensional latent.
template <typename S>
struct TinyGan {
  Generator<S> g;
  Discriminator<S> d;
  Encoder<S> e;
  explicit TinyGan(Index hidden = 5) : g(net(2, hidden, 4, true), Shape{2}), d(net(4, hidden, 1, false), Shape{4}), e(net(4, hidden, 2, true), Shape{4}) {}
  static Sequential<S> net(Index in, Index hidden, Index out, bool tanh) {
    Sequential<S> n;
    n.template emplace<Linear<S>>(in, hidden);
    if (tanh) n.template emplace<Tanh<S>>();
    else n.template emplace<LeakyReLU<S>>(S(0.2));
    n.template emplace<Linear<S>>(hidden, out);
    return n;
  }
};

}  // namespace

TEST_CASE("EncoderTrainer: the izi_f loss's gradient matches finite differences, and G and D stay untouched", "[anomaly][gradient]") {
  // feature_layers -1: D's features after its LeakyReLU (the default); 1: straight after its first Linear.
  // tune_g: the autoencoder-style variant, where G's parameters get gradients too.
  for (auto [feature_layers, tune_g] : {std::pair<long, bool>{-1, false}, {1, false}, {-1, true}}) {
    INFO("feature_layers " << feature_layers << ", G trained " << tune_g);
    TinyGan<double> m;
    randomize(m.g.net(), 1);
    randomize(m.d.net(), 2);
    randomize(m.e.net(), 3);
    m.g.train(true);
    Sgd<double> opt(m.e.parameters(), {0.1}), g_opt(m.g.parameters(), {0.1});
    EncoderOptions o;
    o.kappa = 0.7;
    o.feature_layers = feature_layers;
    EncoderTrainer<double> trainer = tune_g ? EncoderTrainer<double>(m.g, m.d, m.e, opt, g_opt, o) : EncoderTrainer<double>(m.g, m.d, m.e, opt, o);
    CHECK(trainer.feature_layers() == (feature_layers < 0 ? 2u : 1u));
    const Tensor<double> x = random_tensor<double>(Shape{3, 4}, 5);
    const std::vector<double> g_before = test::flat(m.g.parameters()), d_before = test::flat(m.d.parameters());
    trainer.loss_and_gradient(x);
    std::vector<Parameter<double>> checked = m.e.parameters();
    if (tune_g)
      for (auto& p : m.g.parameters()) checked.push_back(p);
    std::vector<Tensor<double>> analytic;
    for (auto& p : checked) analytic.push_back(*p.grad);
    double worst = 0;
    for (std::size_t k = 0; k < analytic.size(); ++k) {
      Tensor<double>& value = *checked[k].value;
      for (Index i = 0; i < value.size(); ++i) {
        const double numeric = test::numeric_derivative(value, i, [&] { return trainer.loss_and_gradient(x); });
        worst = std::max(worst, rel_error(analytic[k][i], numeric));
      }
    }
    CHECK(worst < 1e-7);
    CHECK(test::flat(m.g.parameters()) == g_before);
    CHECK(test::flat(m.d.parameters()) == d_before);
    if (!tune_g)
      for (auto& p : m.g.parameters()) CHECK(p.grad->array().abs().maxCoeff() == 0.0);
    for (auto& p : m.d.parameters()) CHECK(p.grad->array().abs().maxCoeff() == 0.0);
    CHECK(m.g.is_training());           // restored
    CHECK_FALSE(m.g.net().is_frozen());
    trainer.step(x);  // moves G only in the autoencoder-style variant, and D never
    CHECK((test::flat(m.g.parameters()) != g_before) == tune_g);
    CHECK(test::flat(m.d.parameters()) == d_before);
  }
}

TEST_CASE("EncoderTrainer: the score is residual + kappa feature residual, and its mean is the loss", "[anomaly]") {
  TinyGan<double> m;
  randomize(m.g.net(), 11);
  randomize(m.d.net(), 12);
  randomize(m.e.net(), 13);
  Sgd<double> opt(m.e.parameters(), {0.1});
  EncoderOptions o;
  o.kappa = 2.5;
  o.batch = 2;  // chunks of 2, 2 and 1 must give what one pass gives
  EncoderTrainer<double> trainer(m.g, m.d, m.e, opt, o);
  const Tensor<double> x = random_tensor<double>(Shape{5, 4}, 14);
  const AnomalyScores s = trainer.score(x);
  REQUIRE(s.score.size() == 5);
  const Tensor<double> rec = m.g.forward(m.e.forward(x));
  const Tensor<double> logits = m.d.forward(x);
  double mean = 0;
  for (Index i = 0; i < 5; ++i) {
    const auto k = static_cast<std::size_t>(i);
    double r = 0;
    for (Index j = 0; j < 4; ++j) r += std::pow(rec[i * 4 + j] - x[i * 4 + j], 2);
    CHECK(s.residual[k] == Approx(r / 4).epsilon(1e-12));
    double content = 0;  // mean((x - background)^2) with the default background -1
    for (Index j = 0; j < 4; ++j) content += std::pow(x[i * 4 + j] + 1, 2) / 4;
    CHECK(s.relative_residual[k] == Approx(s.residual[k] / content).epsilon(1e-12));
    CHECK(s.score[k] == Approx(s.residual[k] + 2.5 * s.feature_residual[k]).epsilon(1e-12));
    CHECK(s.discriminator[k] == Approx(std::log1p(std::exp(-logits[i]))).epsilon(1e-12));
    CHECK(s.feature_residual[k] >= 0);
    mean += s.score[k] / 5;
  }
  CHECK(trainer.loss_and_gradient(x) == Approx(mean).epsilon(1e-12));
}

TEST_CASE("EncoderTrainer: a GAN and encoder trained on one Gaussian blob tell a held-out blob apart", "[anomaly]") {
  // Normal data: N(c, 0.3^2 I) in 4 dimensions, c = (1, 1, -1, -1); the held-out blob is centred at -c, which no
  // training sample comes near. Each blob lies in all four dimensions, so only a model of the normal data can tell.
  const double c[4] = {1, 1, -1, -1};
  auto blob = [&](Rng& rng, Index n, double sign, Tensor<float>& out) {
    out.resize(Shape{n, 4});
    for (Index i = 0; i < n; ++i)
      for (Index j = 0; j < 4; ++j) out[i * 4 + j] = static_cast<float>(sign * c[j] + 0.3 * rng.normal());
  };
  // One thread: these matrices are too small for threads to pay, and on a loaded machine a second thread made this
  // test 50 times slower (34 s against 0.7 s).
  const int threads_before = num_threads();
  set_num_threads(1);
  TinyGan<float> m(32);
  m.g.reset_parameters(Init::torch_default, 1);
  m.d.reset_parameters(Init::torch_default, 2);
  m.e.reset_parameters(Init::torch_default, 3);
  Adam<float> g_opt(m.g.parameters(), {1e-3, 0.5, 0.999}), d_opt(m.d.parameters(), {1e-3, 0.5, 0.999});
  GanTrainer<float> gan(m.g, m.d, g_opt, d_opt);
  Rng rng(4);
  Tensor<float> batch;
  for (int step = 0; step < 1500; ++step) {
    blob(rng, 64, 1, batch);
    gan.step(batch);
  }
  Adam<float> e_opt(m.e.parameters(), {1e-3, 0.9, 0.999});
  EncoderTrainer<float> trainer(m.g, m.d, m.e, e_opt);
  double first = 0, last = 0;
  for (int step = 0; step < 1500; ++step) {
    blob(rng, 64, 1, batch);
    const double loss = trainer.step(batch);
    if (step == 0) first = loss;
    last = loss;
  }
  CHECK(last < 0.5 * first);
  Tensor<float> normal, anomalous, x(Shape{400, 4});
  blob(rng, 200, 1, normal);
  blob(rng, 200, -1, anomalous);
  std::copy(normal.data(), normal.data() + normal.size(), x.data());
  std::copy(anomalous.data(), anomalous.data() + anomalous.size(), x.data() + normal.size());
  std::vector<int> labels(400, 0);
  std::fill(labels.begin() + 200, labels.end(), 1);
  const AnomalyScores s = trainer.score(x);
  INFO("first loss " << first << ", last " << last);
  CHECK(auroc(s.score, labels) > 0.99);
  CHECK(average_precision(s.score, labels) > 0.99);
  set_num_threads(threads_before);
}

TEST_CASE("EncoderTrainer: rejects mismatched models, bad options and inputs of the wrong shape", "[anomaly]") {
  TinyGan<double> m;
  Sgd<double> opt(m.e.parameters(), {0.1});
  EncoderOptions bad;
  bad.kappa = -1;
  CHECK_THROWS_AS(EncoderTrainer<double>(m.g, m.d, m.e, opt, bad), argument_error);
  bad = {};
  bad.feature_layers = 3;  // D has 3 layers: the features must leave at least the last one
  CHECK_THROWS_WITH(EncoderTrainer<double>(m.g, m.d, m.e, opt, bad), Catch::StartsWith("EncoderTrainer::EncoderTrainer(): feature_layers"));
  bad.feature_layers = 0;
  CHECK_THROWS_AS(EncoderTrainer<double>(m.g, m.d, m.e, opt, bad), argument_error);
  Encoder<double> wide(TinyGan<double>::net(4, 5, 3, true), Shape{4});  // a 3-dimensional latent for a 2-dimensional G
  Sgd<double> wide_opt(wide.parameters(), {0.1});
  CHECK_THROWS_WITH(EncoderTrainer<double>(m.g, m.d, wide, wide_opt), Catch::Contains("(3,)") && Catch::Contains("(2,)"));
  EncoderTrainer<double> trainer(m.g, m.d, m.e, opt);
  CHECK_THROWS_AS(trainer.score(Tensor<double>(Shape{2, 5})), shape_error);
  CHECK_THROWS_AS(trainer.step(Tensor<double>(Shape{2, 3})), shape_error);
  EncoderTrainer<double> scoring_only(m.g, m.d, m.e);
  CHECK(scoring_only.score(Tensor<double>(Shape{2, 4})).score.size() == 2);
  CHECK_THROWS_WITH(scoring_only.step(Tensor<double>(Shape{2, 4})), Catch::StartsWith("EncoderTrainer::step(): constructed without an optimizer"));
}
