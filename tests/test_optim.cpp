// SPDX-License-Identifier: MIT
// Optimizer steps against hand-computed values, optimizer state round-trips, and the arguments they refuse.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include <cmath>
#include <cstdint>
#include <limits>

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

// Adam on a vector long enough for the SIMD body and a scalar tail (37 = 2 x 16 + 5), with and without weight
// decay, against the formula in double; and step() reporting a non-finite update wherever it lands.
template <typename T>
void check_adam_vector(double weight_decay, double tolerance) {
  const Index n = 37;
  Tensor<T> value(Shape{n}), grad(Shape{n});
  std::vector<double> p(static_cast<std::size_t>(n)), m(p.size(), 0.0), v(p.size(), 0.0);
  for (Index i = 0; i < n; ++i) value[i] = static_cast<T>(p[static_cast<std::size_t>(i)] = 0.1 * static_cast<double>(i) - 1.0);
  Adam<T> adam({{"p", &value, &grad}}, {0.01, 0.9, 0.999, 1e-8, weight_decay});
  for (int t = 1; t <= 5; ++t) {
    for (Index i = 0; i < n; ++i) grad[i] = static_cast<T>(std::sin(1.3 * static_cast<double>(i) + t));
    REQUIRE(adam.step());
    for (Index i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const double g = static_cast<double>(grad[i]) + weight_decay * p[k];
      m[k] = 0.9 * m[k] + 0.1 * g;
      v[k] = 0.999 * v[k] + 0.001 * g * g;
      p[k] -= 0.01 / (1 - std::pow(0.9, t)) * m[k] / (std::sqrt(v[k] / (1 - std::pow(0.999, t))) + 1e-8);
      CHECK(static_cast<double>(value[i]) == Approx(p[k]).margin(tolerance));
    }
  }
  for (const Index bad : {Index{3}, Index{36}}) {  // one in a SIMD packet, one in the tail
    grad.fill(T(0));
    grad[bad] = std::numeric_limits<T>::infinity();
    CHECK_FALSE(adam.step());
  }
}

TEST_CASE("Adam on vectors matches the formula, packets and tail alike, and reports a non-finite update", "[optim]") {
  check_adam_vector<double>(0.0, 1e-12);
  check_adam_vector<double>(0.1, 1e-12);
  check_adam_vector<float>(0.0, 2e-6);
  check_adam_vector<float>(0.1, 2e-6);
}

TEST_CASE("RmsProp matches hand-computed steps", "[optim]") {
  Scalar1 p;
  p.value[0] = 1.0;
  RmsProp<double> rms(p.params(), {0.01, 0.9, 1e-8, 0.0, 0.0});
  p.grad[0] = 3.0;
  rms.step();  // s = 0.9; p = 1 - 0.01 * 3 / sqrt(0.9)
  CHECK(p.value[0] == Approx(1.0 - 0.01 * 3.0 / (std::sqrt(0.9) + 1e-8)).epsilon(1e-12));
}

// torch.optim.RMSprop (centered=False): d = g + weight_decay * p; s = alpha s + (1 - alpha) d^2;
// step = d / (sqrt(s) + eps); with momentum buf = momentum buf + step and p -= lr buf, else p -= lr step.
TEST_CASE("RmsProp: momentum and weight decay match hand-computed steps", "[optim]") {
  const double eps = 1e-8;
  SECTION("momentum keeps moving the parameter when the gradient is zero") {
    Scalar1 p;
    p.value[0] = 1.0;
    RmsProp<double> rms(p.params(), {0.01, 0.9, eps, 0.5, 0.0});
    p.grad[0] = 3.0;
    rms.step();
    const double s1 = 0.1 * 9.0, buf1 = 3.0 / (std::sqrt(s1) + eps), p1 = 1.0 - 0.01 * buf1;
    CHECK(p.value[0] == Approx(p1).epsilon(1e-12));
    p.grad[0] = -1.0;
    rms.step();
    const double s2 = 0.9 * s1 + 0.1 * 1.0, buf2 = 0.5 * buf1 - 1.0 / (std::sqrt(s2) + eps), p2 = p1 - 0.01 * buf2;
    CHECK(p.value[0] == Approx(p2).epsilon(1e-12));
    p.grad[0] = 0.0;
    rms.step();  // no new step, but half the buffer: the parameter still moves
    const double s3 = 0.9 * s2, buf3 = 0.5 * buf2, p3 = p2 - 0.01 * buf3;
    CHECK(p.value[0] == Approx(p3).epsilon(1e-12));
    CHECK(p.value[0] != Approx(p2).epsilon(1e-6));
    // The state holds both slots with the values above.
    const auto state = rms.state();
    CHECK(state.kind == "RmsProp");
    CHECK(state.step == 3);
    REQUIRE(state.tensors.size() == 2);
    CHECK(state.tensors[0].first == "square_avg.p");
    CHECK(state.tensors[0].second[0] == Approx(s3).epsilon(1e-12));
    CHECK(state.tensors[1].first == "momentum_buffer.p");
    CHECK(state.tensors[1].second[0] == Approx(buf3).epsilon(1e-12));
  }
  SECTION("weight decay adds weight_decay * p to the gradient, before the square average") {
    Scalar1 p;
    p.value[0] = 2.0;
    RmsProp<double> rms(p.params(), {0.1, 0.5, eps, 0.0, 0.2});
    p.grad[0] = 1.0;
    rms.step();
    const double d1 = 1.0 + 0.2 * 2.0, s1 = 0.5 * d1 * d1, p1 = 2.0 - 0.1 * d1 / (std::sqrt(s1) + eps);
    CHECK(p.value[0] == Approx(p1).epsilon(1e-12));
    p.grad[0] = 0.0;
    rms.step();  // the decay alone pulls the parameter towards zero
    const double d2 = 0.2 * p1, s2 = 0.5 * s1 + 0.5 * d2 * d2, p2 = p1 - 0.1 * d2 / (std::sqrt(s2) + eps);
    CHECK(p.value[0] == Approx(p2).epsilon(1e-12));
    CHECK(p.value[0] < p1);
    const auto state = rms.state();
    REQUIRE(state.tensors.size() == 1);  // no momentum buffer without momentum
    CHECK(state.tensors[0].second[0] == Approx(s2).epsilon(1e-12));
  }
  SECTION("momentum and weight decay together") {
    Scalar1 p;
    p.value[0] = 1.0;
    RmsProp<double> rms(p.params(), {0.01, 0.99, eps, 0.9, 0.1});
    p.grad[0] = 3.0;
    rms.step();
    const double d1 = 3.0 + 0.1 * 1.0, s1 = 0.01 * d1 * d1, buf1 = d1 / (std::sqrt(s1) + eps), p1 = 1.0 - 0.01 * buf1;
    CHECK(p.value[0] == Approx(p1).epsilon(1e-12));
    p.grad[0] = -2.0;
    rms.step();
    const double d2 = -2.0 + 0.1 * p1, s2 = 0.99 * s1 + 0.01 * d2 * d2;
    const double buf2 = 0.9 * buf1 + d2 / (std::sqrt(s2) + eps), p2 = p1 - 0.01 * buf2;
    CHECK(p.value[0] == Approx(p2).epsilon(1e-12));
  }
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

TEST_CASE("fuzz regressions: optimizer step counts that would overflow are refused", "[fuzz][errors]") {
  Linear<float> l(2, 2);
  Adam<float> adam(l.parameters());
  OptimizerState<float> s = adam.state();
  s.step = std::numeric_limits<std::int64_t>::max();
  CHECK_THROWS_WITH(adam.load_state(s), Catch::Contains("Adam::load_state()") && Catch::Contains("out of range"));
  CHECK(adam.steps() == 0);
}
