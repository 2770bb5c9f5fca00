// SPDX-License-Identifier: MIT
// More of the game and the stabilizers: the relativistic loss, TTUR, spectral normalization, R1 and WGAN-GP
// penalties, the generator's EMA, label smoothing, instance noise and minibatch standard deviation, each checked
// against finite differences in double precision where it has a gradient.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include <Eigen/SVD>

#include "toy_gan.hpp"

using namespace ganpp;
using T = double;

namespace {

Tensor<T> random_tensor(const Shape& s, std::uint64_t seed, double sd = 1.0) {
  Tensor<T> t(s);
  Rng rng(seed);
  rng.fill_normal(t, 0.0, sd);
  return t;
}

void randomize(Layer<T>& layer, std::uint64_t seed, double sd = 0.5) {
  Rng rng(seed);
  for (auto& p : layer.parameters()) rng.fill_normal(*p.value, 0.0, sd);
}

// Central differences of a scalar function of a tensor's entries.
template <typename F>
double numeric_derivative(Tensor<T>& t, Index i, F f, double h = 1e-6) {
  const T saved = t[i];
  t[i] = saved + h;
  const double up = f();
  t[i] = saved - h;
  const double down = f();
  t[i] = saved;
  return (up - down) / (2 * h);
}

double rel_error(double a, double b) { return std::abs(a - b) / std::max({1.0, std::abs(a), std::abs(b)}); }

// A small smooth discriminator (Tanh), optionally with the stabilizer layers inside.
Sequential<T> smooth_critic(Index in, bool with_stabilizers) {
  Sequential<T> net;
  if (with_stabilizers) {
    net.add(spectral_norm<T>(std::make_unique<Linear<T>>(in, 6)));
    net.emplace<Tanh<T>>().emplace<MinibatchStdDev<T>>().emplace<Linear<T>>(7, 1);
  } else {
    net.emplace<Linear<T>>(in, 6).emplace<Tanh<T>>().emplace<Linear<T>>(6, 5).emplace<Tanh<T>>().emplace<Linear<T>>(5, 1);
  }
  return net;
}

// The gradient a penalty accumulates must match central differences of the penalty value itself, parameter by
// parameter (each value being a forward and an input-gradient backward).
template <typename Penalty>
double worst_penalty_gradient_error(Sequential<T>& d, Penalty penalty) {
  for (auto& p : d.parameters()) p.grad->set_zero();
  penalty(true);
  double worst = 0;
  for (auto& p : d.parameters()) {
    Tensor<T> analytic;
    analytic.assign(*p.grad);
    for (Index i = 0; i < p.value->size(); ++i) {
      const double numeric = numeric_derivative(*p.value, i, [&] { return penalty(false); });
      worst = std::max(worst, rel_error(analytic[i], numeric));
    }
  }
  return worst;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// The relativistic loss and label smoothing

TEST_CASE("relativistic average loss: values and gradients match finite differences", "[loss][gradcheck]") {
  GanLoss<T> loss(LossKind::relativistic), smoothed(LossKind::relativistic, 0.9);
  Tensor<T> real(Shape{5, 1}, std::vector<T>{1.3, -0.2, 0.8, 2.5, -1.1}), fake(Shape{3, 1}, std::vector<T>{-0.7, 0.4, -2.0});
  for (const GanLoss<T>* l : {&loss, &smoothed})
    for (int which = 0; which < 2; ++which) {
      auto value = [&](Tensor<T>& gr, Tensor<T>& gf) {
        return which == 0 ? l->discriminator_relativistic(real, fake, gr, gf) : l->generator_relativistic(real, fake, gr, gf);
      };
      Tensor<T> gr, gf, sr, sf;
      value(gr, gf);
      for (Index i = 0; i < real.size(); ++i) REQUIRE(gr[i] == Approx(numeric_derivative(real, i, [&] { return value(sr, sf); })).margin(1e-8));
      for (Index i = 0; i < fake.size(); ++i) REQUIRE(gf[i] == Approx(numeric_derivative(fake, i, [&] { return value(sr, sf); })).margin(1e-8));
    }
  // Equal logits: every relative logit is 0, each BCE term log 2.
  Tensor<T> zeros(Shape{4, 1}), g1, g2;
  CHECK(loss.discriminator_relativistic(zeros, zeros, g1, g2) == Approx(2 * std::log(2.0)));
  CHECK(loss.generator_relativistic(zeros, zeros, g1, g2) == Approx(2 * std::log(2.0)));
  // Stable for extreme logits, in float too.
  GanLoss<float> f(LossKind::relativistic);
  Tensor<float> big(Shape{2, 1}, std::vector<float>{300.0f, -300.0f}), small(Shape{2, 1}, std::vector<float>{-300.0f, 300.0f}), a, b;
  CHECK(std::isfinite(f.discriminator_relativistic(big, small, a, b)));
  CHECK(std::isfinite(f.generator_relativistic(big, small, a, b)));
  CHECK((a.all_finite() && b.all_finite()));
  // The one-batch functions refuse the relativistic loss, and the two-batch ones the others.
  CHECK_THROWS_WITH(loss.discriminator_real(real, g1), Catch::Contains("discriminator_relativistic"));
  CHECK_THROWS_AS(GanLoss<T>().discriminator_relativistic(real, fake, g1, g2), argument_error);
}

TEST_CASE("one-sided label smoothing: the real target becomes 0.9, with the right gradient", "[loss][gradcheck]") {
  Tensor<T> logits(Shape{4, 1}, std::vector<T>{-2.0, 0.0, 1.5, 30.0}), grad, scratch;
  for (LossKind kind : {LossKind::non_saturating, LossKind::minimax, LossKind::least_squares}) {
    GanLoss<T> loss(kind, 0.9);
    loss.discriminator_real(logits, grad);
    for (Index i = 0; i < logits.size(); ++i)
      REQUIRE(grad[i] == Approx(numeric_derivative(logits, i, [&] { return loss.discriminator_real(logits, scratch); })).margin(1e-8));
  }
  GanLoss<T> ns(LossKind::non_saturating, 0.9);
  Tensor<T> zero(Shape{1, 1});
  ns.discriminator_real(zero, grad);
  CHECK(grad[0] == Approx(0.5 - 0.9));  // sigmoid(0) - target
  CHECK(ns.discriminator_real(logits, grad) > GanLoss<T>().discriminator_real(logits, scratch));  // a confident D pays
  CHECK_THROWS_AS(GanLoss<T>(LossKind::wasserstein, 0.9), argument_error);
  CHECK_THROWS_AS(GanLoss<T>(LossKind::non_saturating, 1.5), argument_error);
}

// ---------------------------------------------------------------------------------------------------------------
// The trainer's game options

namespace {

struct Toy {
  Generator<float> g{toy::mlp<float>(4, 32, 1), Shape{4}};
  Discriminator<float> d{toy::mlp<float>(1, 32, 1), Shape{1}};
  Adam<float> g_opt, d_opt;
  GanTrainer<float> trainer;
  explicit Toy(TrainerOptions o = {}, double g_lr = 1e-3, double d_lr = 1e-3)
      : g_opt(g.parameters(), {g_lr, 0.5, 0.999}), d_opt(d.parameters(), {d_lr, 0.5, 0.999}), trainer(g, d, g_opt, d_opt, o) {
    g.reset_parameters(Init::torch_default, 1);
    d.reset_parameters(Init::torch_default, 2);
  }
  std::vector<StepStats> run(int steps, Index batch = 64) {
    Rng data(3);
    Tensor<float> real;
    std::vector<StepStats> out;
    for (int i = 0; i < steps; ++i) {
      toy::sample_mixture(data, batch, real);
      out.push_back(trainer.step(real));
    }
    return out;
  }
};

std::vector<float> flat(const std::vector<Parameter<float>>& params) {
  std::vector<float> v;
  for (auto& p : params) v.insert(v.end(), p.value->begin(), p.value->end());
  return v;
}
float max_change(const std::vector<float>& a, const std::vector<float>& b) {
  float m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

}  // namespace

TEST_CASE("TTUR: each network moves by its own learning rate", "[gan]") {
  // Adam's first step moves every parameter with a clear gradient by almost exactly lr.
  Toy t({}, 1e-4, 4e-4);
  const auto g0 = flat(t.g.parameters()), d0 = flat(t.d.parameters());
  t.run(1);
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
  Toy t(o, 1e-4, 1e-4);
  const auto g0 = flat(t.g.parameters());
  const auto steps = t.run(10);
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
  Toy t(o);
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
  Toy t(o), manual(o);
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
  Toy t(o);
  CHECK(t.trainer.instance_noise_stddev(1) == Approx(0.5));
  CHECK(t.trainer.instance_noise_stddev(51) == Approx(0.25));
  CHECK(t.trainer.instance_noise_stddev(101) == 0.0);
  CHECK(t.trainer.instance_noise_stddev(500) == 0.0);
  CHECK(t.trainer.loss().real_label() == Approx(0.9f));
  for (const auto& s : t.run(20)) CHECK(std::isfinite(s.d_loss));
  // Noise changes what D sees: the same data and seed without it give other losses.
  Toy quiet;
  CHECK(quiet.run(3).back().d_loss != Toy(o).run(3).back().d_loss);
  TrainerOptions bad;
  bad.instance_noise = -1;
  CHECK_THROWS_AS(Toy(bad), argument_error);
  bad = {};
  bad.real_label = 0.9;
  bad.loss = LossKind::hinge;
  CHECK_THROWS_AS(Toy(bad), argument_error);
}

// ---------------------------------------------------------------------------------------------------------------
// Spectral normalization

TEST_CASE("spectral norm: sigma converges to the largest singular value and eval mode keeps u", "[layer]") {
  Linear<T>* raw = nullptr;
  auto inner = std::make_unique<Linear<T>>(7, 5);
  raw = inner.get();
  SpectralNorm<T> sn(std::move(inner));
  randomize(sn, 3);
  const Tensor<T> x = random_tensor(Shape{4, 7}, 4);
  for (int i = 0; i < 200; ++i) sn.forward(x);
  Eigen::MatrixXd w = sn.weight_orig().matrix(7, 5).transpose();
  const double top = Eigen::JacobiSVD<Eigen::MatrixXd>(w).singularValues()(0);
  CHECK(sn.sigma() == Approx(top).epsilon(1e-9));
  // The wrapped layer computed with W / sigma, whose spectral norm is 1.
  Eigen::MatrixXd wn = raw->weight().matrix(7, 5).transpose();
  CHECK(Eigen::JacobiSVD<Eigen::MatrixXd>(wn).singularValues()(0) == Approx(1.0).epsilon(1e-9));
  // Eval mode: no power iteration, u and v stay as they are.
  Tensor<T> u, v;
  u.assign(*sn.buffers()[0].value);
  v.assign(*sn.buffers()[1].value);
  sn.weight_orig().array() *= 2.0;
  sn.eval();
  sn.forward(x);
  CHECK(sn.buffers()[0].value->array().isApprox(u.array()));
  CHECK(sn.buffers()[1].value->array().isApprox(v.array()));
  CHECK(sn.sigma() == Approx(2 * top).epsilon(1e-9));
  CHECK(sn.name() == "SpectralNorm(Linear(7 -> 5))");
  CHECK(sn.parameters()[0].name == "weight_orig");
  CHECK(sn.parameters()[1].name == "bias");
  CHECK_THROWS_WITH(SpectralNorm<T>(std::make_unique<Tanh<T>>()), Catch::Contains("Tanh") && Catch::Contains("weight"));
}

TEST_CASE("gradient check: SpectralNorm around Linear, Conv2d and ConvTranspose2d", "[layer][gradcheck]") {
  // In eval mode the layer is exactly W / (u^T W v) with u and v fixed: its gradient through the normalisation
  // must match finite differences. A few training forwards first give u and v realistic values.
  auto check = [](std::unique_ptr<Layer<T>> inner, const Shape& in) {
    SpectralNorm<T> sn(std::move(inner), 1e-12, 5);
    randomize(sn, 7);
    const Tensor<T> x = random_tensor(in, 11);
    for (int i = 0; i < 3; ++i) sn.forward(x);
    sn.eval();
    const GradientCheckResult r = check_layer_gradients<T>(sn, x);
    INFO(sn.name() << ": worst entry " << r.where << ", error " << r.max_error);
    REQUIRE(r.max_error < 1e-6);
  };
  check(std::make_unique<Linear<T>>(5, 4), Shape{3, 5});
  check(std::make_unique<Conv2d<T>>(ConvOptions(2, 3, 3).with_padding(1)), Shape{2, 2, 4, 4});
  check(std::make_unique<ConvTranspose2d<T>>(ConvOptions(3, 2, 4).with_stride(2).with_padding(1)), Shape{2, 3, 2, 3});
}

TEST_CASE("gradient check: SpectralNorm in train mode, u and v replayed", "[layer][gradcheck]") {
  // Train mode does one power iteration per forward. With u and v restored before every forward and converged,
  // the derivative of the whole training forward equals the paper's gradient (which holds u and v constant): at
  // the fixed point u^T W v is stationary in u and v.
  SpectralNorm<T> sn(std::make_unique<Linear<T>>(4, 3), 1e-12, 2);
  randomize(sn, 8);
  const Tensor<T> x = random_tensor(Shape{2, 4}, 9), r = random_tensor(Shape{2, 3}, 10);
  for (int i = 0; i < 300; ++i) sn.forward(x);
  Tensor<T> u0, v0;
  u0.assign(*sn.buffers()[0].value);
  v0.assign(*sn.buffers()[1].value);
  auto loss = [&] {
    sn.buffers()[0].value->assign(u0);
    sn.buffers()[1].value->assign(v0);
    return (sn.forward(x).array() * r.array()).sum();
  };
  sn.zero_grad();
  loss();
  sn.backward(r);
  for (auto& p : sn.parameters())
    for (Index i = 0; i < p.value->size(); ++i) {
      INFO(p.name << "[" << i << "]");
      REQUIRE(rel_error((*p.grad)[i], numeric_derivative(*p.value, i, loss)) < 1e-6);
    }
}

TEST_CASE("SpectralNorm: gradients accumulate across forward/backward pairs and frozen layers add none", "[layer]") {
  SpectralNorm<T> sn(std::make_unique<Linear<T>>(3, 2));
  randomize(sn, 1);
  const Tensor<T> a = random_tensor(Shape{2, 3}, 2), b = random_tensor(Shape{2, 3}, 3), r = random_tensor(Shape{2, 2}, 4);
  sn.eval();
  sn.zero_grad();
  sn.forward(a);
  sn.backward(r);
  Tensor<T> ga;
  ga.assign(*sn.parameters()[0].grad);
  sn.zero_grad();
  sn.forward(b);
  sn.backward(r);
  Tensor<T> gb;
  gb.assign(*sn.parameters()[0].grad);
  sn.forward(a);
  sn.backward(r);  // accumulates on top of b's
  CHECK(sn.parameters()[0].grad->array().isApprox(ga.array() + gb.array()));
  sn.set_frozen(true);
  sn.forward(a);
  sn.backward(r);
  CHECK(sn.parameters()[0].grad->array().isApprox(ga.array() + gb.array()));
  // float works too.
  SpectralNorm<float> sf(std::make_unique<Linear<float>>(3, 2));
  Tensor<float> xf(Shape{2, 3}, 0.5f);
  CHECK(sf.forward(xf).all_finite());
}

// ---------------------------------------------------------------------------------------------------------------
// Minibatch standard deviation

TEST_CASE("MinibatchStdDev appends the mean per-feature batch standard deviation", "[layer]") {
  MinibatchStdDev<T> mbsd(1e-12);
  Tensor<T> x(Shape{2, 2}, std::vector<T>{0.0, 1.0, 2.0, 5.0});  // feature 0: {0, 2}, std 1; feature 1: {1, 5}, std 2
  const Tensor<T>& y = mbsd.forward(x);
  REQUIRE(y.shape() == Shape{2, 3});
  CHECK(y[2] == Approx(1.5));
  CHECK(y[5] == Approx(1.5));
  CHECK(y[0] == 0.0);
  CHECK(y[4] == 5.0);
  MinibatchStdDev<float> image;
  CHECK(image.output_shape(Shape{4, 3, 2, 2}) == Shape{4, 4, 2, 2});
  CHECK_THROWS_WITH(image.output_shape(Shape{4, 3, 2}), Catch::Contains("MinibatchStdDev") && Catch::Contains("(4, 3, 2)"));
}

TEST_CASE("gradient check: MinibatchStdDev on features and on images", "[layer][gradcheck]") {
  MinibatchStdDev<T> a, b;
  for (auto [layer, shape] : {std::pair<MinibatchStdDev<T>*, Shape>{&a, Shape{5, 3}}, {&b, Shape{3, 2, 2, 3}}}) {
    const GradientCheckResult r = check_layer_gradients<T>(*layer, random_tensor(shape, 12));
    INFO(shape.str() << ": worst entry " << r.where << ", error " << r.max_error);
    REQUIRE(r.max_error < 1e-6);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Gradient penalties

TEST_CASE("gradient check: R1 and WGAN-GP parameter gradients against finite differences of the penalty", "[penalty][gradcheck]") {
  for (bool stabilizers : {false, true}) {
    Sequential<T> d = smooth_critic(3, stabilizers);
    randomize(d, 21, 0.7);
    if (stabilizers) d.eval();  // spectral norm's u fixed, so that the penalty is a function of the parameters alone
    const Tensor<T> real = random_tensor(Shape{4, 3}, 22), fake = random_tensor(Shape{4, 3}, 23, 2.0);
    GradientPenalty<T> gp;
    const double r1_err = worst_penalty_gradient_error(d, [&](bool acc) { return gp.r1(d, real, 10.0, acc); });
    const double gp_err = worst_penalty_gradient_error(d, [&](bool acc) {
      Rng rng(24);  // the same interpolates every time
      return gp.wgan_gp(d, real, fake, 10.0, rng, acc);
    });
    INFO((stabilizers ? "with spectral norm and minibatch stddev" : "plain Tanh MLP") << ": R1 error " << r1_err << ", GP error " << gp_err);
    CHECK(r1_err < 1e-6);
    CHECK(gp_err < 1e-6);
  }
}

TEST_CASE("penalties: textbook values on a linear critic, state restored, float works", "[penalty]") {
  // D(x) = w . x + b has grad_x D = w for every sample: R1 = gamma/2 |w|^2, GP = lambda (|w| - 1)^2.
  Sequential<T> d;
  d.emplace<Linear<T>>(2, 1);
  auto& lin = static_cast<Linear<T>&>(d[0]);
  lin.weight()[0] = 3.0;
  lin.weight()[1] = 4.0;
  d.set_input_grad(false);
  GradientPenalty<T> gp;
  const Tensor<T> x = random_tensor(Shape{6, 2}, 1), y = random_tensor(Shape{6, 2}, 2);
  CHECK(gp.r1(d, x, 2.0, false) == Approx(25.0));
  Rng rng(3);
  CHECK(gp.wgan_gp(d, x, y, 10.0, rng, false) == Approx(10.0 * 16.0));
  // The gradient of gamma/2 |w|^2 with respect to w is gamma w.
  d.zero_grad();
  gp.r1(d, x, 2.0);
  CHECK(lin.parameters()[0].grad->operator[](0) == Approx(6.0));
  CHECK(lin.parameters()[0].grad->operator[](1) == Approx(8.0));
  CHECK(lin.parameters()[1].grad->operator[](0) == Approx(0.0).margin(1e-9));
  CHECK_FALSE(d.needs_input_grad());
  CHECK_FALSE(d.is_frozen());
  CHECK_THROWS_AS(gp.wgan_gp(d, x, random_tensor(Shape{5, 2}, 4), 1.0, rng), shape_error);
  CHECK_THROWS_AS(gp.r1(d, x, -1.0), argument_error);
  // float: the same values to float precision.
  Sequential<float> df;
  df.emplace<Linear<float>>(2, 1);
  static_cast<Linear<float>&>(df[0]).weight()[0] = 3.0f;
  static_cast<Linear<float>&>(df[0]).weight()[1] = 4.0f;
  GradientPenalty<float> gpf;
  Tensor<float> xf(Shape{3, 2}, 0.25f);
  df.zero_grad();
  CHECK(gpf.r1(df, xf, 2.0) == Approx(25.0));
  CHECK((*df.parameters()[0].grad)[0] == Approx(6.0f).epsilon(1e-3));
}

TEST_CASE("the trainer applies R1 in D's step", "[gan]") {
  TrainerOptions o;
  o.r1_gamma = 1.0;
  Toy t(o);
  const auto steps = t.run(5);
  for (const auto& s : steps) {
    CHECK(s.penalty > 0);
    CHECK(s.d_loss > s.penalty);
  }
  // The penalty's share of D's gradient: the same step without R1 leaves other gradients.
  Toy plain;
  plain.run(1);
  Toy r1(o);
  r1.run(1);
  CHECK(flat(plain.d.parameters()) != flat(r1.d.parameters()));
}

// ---------------------------------------------------------------------------------------------------------------
// Exponential moving average

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

TEST_CASE("the trainer updates the generator's EMA after every generator step", "[gan][ema]") {
  TrainerOptions o;
  o.d_steps = 2;
  Toy t(o);
  ExponentialMovingAverage<float> ema(t.g.parameters(), 0.99);
  t.trainer.set_ema(&ema);
  t.run(6);
  CHECK(ema.updates() == 3);
  const auto live = flat(t.g.parameters());
  ema.swap();
  const auto averaged = flat(t.g.parameters());
  ema.swap();
  CHECK(averaged != live);
  CHECK(flat(t.g.parameters()) == live);
}
