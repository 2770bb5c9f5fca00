// SPDX-License-Identifier: MIT
// The R1 and WGAN-GP gradient penalties: parameter gradients against finite differences of the penalty value,
// and textbook values on a linear critic.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include "support.hpp"

using namespace ganpp;
using test::numeric_derivative;
using test::random_tensor;
using test::randomize;
using test::rel_error;
using T = double;  // central differences need double

namespace {

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
