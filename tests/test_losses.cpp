// SPDX-License-Identifier: MIT
// The GAN losses: gradients against finite differences (in double), textbook values, extreme logits, the
// relativistic average loss and one-sided label smoothing.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include "support.hpp"

#include <cmath>

using namespace ganpp;
using test::numeric_derivative;
using T = double;

TEST_CASE("every loss's gradient matches finite differences", "[loss][gradcheck]") {
  const LossKind kinds[] = {LossKind::minimax, LossKind::non_saturating, LossKind::least_squares, LossKind::wasserstein, LossKind::hinge};
  // Logits away from the hinge's kinks at +-1.
  Tensor<double> logits(Shape{6, 1}, std::vector<double>{-3.1, -0.4, 0.2, 0.7, 1.6, 25.0});
  for (LossKind kind : kinds) {
    GanLoss<double> loss(kind);
    using Fn = double (GanLoss<double>::*)(const Tensor<double>&, Tensor<double>&) const;
    const Fn fns[] = {&GanLoss<double>::discriminator_real, &GanLoss<double>::discriminator_fake, &GanLoss<double>::generator};
    for (Fn fn : fns) {
      Tensor<double> grad, scratch;
      (loss.*fn)(logits, grad);
      for (Index i = 0; i < logits.size(); ++i) {
        Tensor<double> up, down;
        up.assign(logits);
        down.assign(logits);
        up[i] += 1e-6;
        down[i] -= 1e-6;
        const double numeric = ((loss.*fn)(up, scratch) - (loss.*fn)(down, scratch)) / 2e-6;
        INFO(to_string(kind) << " logit " << logits[i]);
        REQUIRE(grad[i] == Approx(numeric).margin(1e-7));
      }
    }
  }
}

TEMPLATE_TEST_CASE("losses have the textbook values and stay finite for extreme logits", "[loss]", float, double) {
  using S = TestType;
  Tensor<S> zero(Shape{2, 1}), grad;
  GanLoss<S> ns(LossKind::non_saturating), mm(LossKind::minimax), ls(LossKind::least_squares);
  CHECK(ns.discriminator_real(zero, grad) == Approx(std::log(2.0)));
  CHECK(ns.discriminator_fake(zero, grad) == Approx(std::log(2.0)));
  CHECK(ns.generator(zero, grad) == Approx(std::log(2.0)));
  CHECK(grad[0] == Approx(-0.25));  // (sigmoid(0) - 1) / 2
  CHECK(mm.generator(zero, grad) == Approx(-std::log(2.0)));
  CHECK(ls.discriminator_real(zero, grad) == Approx(0.5));
  Tensor<S> extreme(Shape{2, 1}, std::vector<S>{S(-200), S(200)});
  Tensor<S> g;
  GanLoss<S> f(LossKind::non_saturating);
  CHECK(std::isfinite(f.discriminator_real(extreme, g)));
  CHECK(f.discriminator_real(extreme, g) == Approx(100.0));
  CHECK(std::isfinite(f.generator(extreme, g)));
  CHECK(g.all_finite());
  CHECK_THROWS_AS(f.generator(Tensor<S>(Shape{2, 3}), g), shape_error);
}

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
