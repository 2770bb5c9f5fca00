// SPDX-License-Identifier: MIT
// Optimizer steps against hand-computed values, optimizer state round-trips, and every loss's gradient.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include <cmath>

using namespace ganpp;

namespace {

// One scalar parameter with a settable gradient.
struct Scalar1 {
  Tensor<double> value{Shape{1}}, grad{Shape{1}};
  std::vector<Parameter<double>> params() { return {{"p", &value, &grad}}; }
};

}  // namespace

TEST_CASE("Sgd: plain, momentum, Nesterov and weight decay match hand-computed steps", "[optim]") {
  Scalar1 p;
  p.value[0] = 1.0;
  Sgd<double> plain(p.params(), {0.1, 0.0, 0.0, false});
  p.grad[0] = 2.0;
  plain.step();
  CHECK(p.value[0] == Approx(0.8));

  Scalar1 q;
  q.value[0] = 1.0;
  Sgd<double> momentum(q.params(), {0.1, 0.9, 0.5, false});
  q.grad[0] = 2.0;
  momentum.step();  // d = 2 + 0.5 * 1 = 2.5; buf = 2.5; p = 1 - 0.25
  CHECK(q.value[0] == Approx(0.75));
  momentum.step();  // d = 2 + 0.375 = 2.375; buf = 0.9 * 2.5 + 2.375 = 4.625; p = 0.75 - 0.4625
  CHECK(q.value[0] == Approx(0.2875));

  Scalar1 r;
  r.value[0] = 0.0;
  Sgd<double> nesterov(r.params(), {1.0, 0.5, 0.0, true});
  r.grad[0] = 1.0;
  nesterov.step();  // buf = 1; d = 1 + 0.5 = 1.5
  CHECK(r.value[0] == Approx(-1.5));
  nesterov.step();  // buf = 0.5 + 1 = 1.5; d = 1 + 0.75
  CHECK(r.value[0] == Approx(-3.25));
}

TEST_CASE("Adam matches hand-computed steps", "[optim]") {
  Scalar1 p;
  p.value[0] = 1.0;
  Adam<double> adam(p.params(), {0.1, 0.5, 0.999, 1e-8, 0.0});
  p.grad[0] = 2.0;
  adam.step();
  // t=1: m = 1, v = 0.004; m_hat = 2, v_hat = 4; p = 1 - 0.1 * 2 / (2 + 1e-8)
  CHECK(p.value[0] == Approx(1.0 - 0.1 * 2.0 / (2.0 + 1e-8)).epsilon(1e-12));
  p.grad[0] = -1.0;
  adam.step();
  // t=2: m = 0.5 - 0.5 = 0; so the step is zero
  CHECK(p.value[0] == Approx(1.0 - 0.1 * 2.0 / (2.0 + 1e-8)).epsilon(1e-12));
  p.grad[0] = 4.0;
  adam.step();
  const double m = 0.5 * 0.0 + 0.5 * 4.0;
  const double v = 0.999 * (0.999 * 0.004 + 0.001 * 1.0) + 0.001 * 16.0;
  const double expected = 1.0 - 0.1 * 2.0 / (2.0 + 1e-8) - 0.1 * (m / (1 - 0.125)) / (std::sqrt(v / (1 - std::pow(0.999, 3))) + 1e-8);
  CHECK(p.value[0] == Approx(expected).epsilon(1e-12));
}

TEST_CASE("RmsProp matches hand-computed steps", "[optim]") {
  Scalar1 p;
  p.value[0] = 1.0;
  RmsProp<double> rms(p.params(), {0.01, 0.9, 1e-8, 0.0, 0.0});
  p.grad[0] = 3.0;
  rms.step();  // s = 0.9; p = 1 - 0.01 * 3 / sqrt(0.9)
  CHECK(p.value[0] == Approx(1.0 - 0.01 * 3.0 / (std::sqrt(0.9) + 1e-8)).epsilon(1e-12));
}

TEST_CASE("optimizer state saves and restores exactly", "[optim]") {
  Linear<double> a(3, 2), b(3, 2);
  b.weight().assign(a.weight());
  b.bias().assign(a.bias());
  Adam<double> opt_a(a.parameters(), {0.01, 0.5, 0.999, 1e-8, 0.0});
  auto fake_grads = [](Linear<double>& l, double v) {
    for (auto& p : l.parameters()) p.grad->fill(v);
  };
  fake_grads(a, 0.3);
  opt_a.step();
  Adam<double> opt_b(b.parameters(), {0.01, 0.5, 0.999, 1e-8, 0.0});
  fake_grads(b, 0.3);
  opt_b.step();
  const auto saved = opt_a.state();
  CHECK(saved.step == 1);
  CHECK(saved.tensors.size() == 4);
  CHECK(saved.tensors[0].first == "exp_avg.weight");

  Adam<double> restored(b.parameters(), {0.01, 0.5, 0.999, 1e-8, 0.0});
  restored.load_state(saved);
  fake_grads(a, -0.7);
  opt_a.step();
  fake_grads(b, -0.7);
  restored.step();
  for (Index i = 0; i < a.weight().size(); ++i) REQUIRE(a.weight()[i] == b.weight()[i]);

  Sgd<double> sgd(b.parameters(), {0.1, 0.9, 0.0, false});
  CHECK_THROWS_WITH(sgd.load_state(saved), Catch::Contains("Adam"));
  Linear<double> other(4, 2);
  Adam<double> mismatched(other.parameters());
  CHECK_THROWS_WITH(mismatched.load_state(saved), Catch::Contains("(2, 3)") && Catch::Contains("(2, 4)"));
}

TEST_CASE("optimizers reject bad arguments", "[optim][errors]") {
  Linear<float> l(2, 2);
  CHECK_THROWS_WITH(Adam<float>({}), Catch::Contains("no parameters"));
  CHECK_THROWS_AS(Adam<float>(l.parameters(), {-1.0}), argument_error);
  CHECK_THROWS_AS(Adam<float>(l.parameters(), {1e-3, 1.0}), argument_error);
  CHECK_THROWS_AS(Sgd<float>(l.parameters(), {0.1, 0.0, 0.0, true}), argument_error);
  CHECK_THROWS_AS(RmsProp<float>(l.parameters(), {0.1, 1.5}), argument_error);
}

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

TEST_CASE("losses have the textbook values and stay finite for extreme logits", "[loss]") {
  Tensor<double> zero(Shape{2, 1}), grad;
  GanLoss<double> ns(LossKind::non_saturating), mm(LossKind::minimax), ls(LossKind::least_squares);
  CHECK(ns.discriminator_real(zero, grad) == Approx(std::log(2.0)));
  CHECK(ns.discriminator_fake(zero, grad) == Approx(std::log(2.0)));
  CHECK(ns.generator(zero, grad) == Approx(std::log(2.0)));
  CHECK(grad[0] == Approx(-0.25));  // (sigmoid(0) - 1) / 2
  CHECK(mm.generator(zero, grad) == Approx(-std::log(2.0)));
  CHECK(ls.discriminator_real(zero, grad) == Approx(0.5));
  Tensor<float> extreme(Shape{2, 1}, std::vector<float>{-200.0f, 200.0f});
  Tensor<float> g;
  GanLoss<float> f(LossKind::non_saturating);
  CHECK(std::isfinite(f.discriminator_real(extreme, g)));
  CHECK(f.discriminator_real(extreme, g) == Approx(100.0f));
  CHECK(std::isfinite(f.generator(extreme, g)));
  CHECK(g.all_finite());
  CHECK_THROWS_AS(f.generator(Tensor<float>(Shape{0, 1}), g), shape_error);
}
