// SPDX-License-Identifier: MIT
// Layers that act entry by entry or only move entries: activations, Dropout, Reshape and Flatten.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include "support.hpp"

using namespace ganpp;
using test::require_gradients_match;
using test::random_tensor;
using T = double;  // for the gradient checks: central differences need double, float's rounding swamps a 1e-6 step

TEST_CASE("gradient check: activations", "[layer][gradcheck]") {
  ReLU<T> relu;
  LeakyReLU<T> leaky(0.2);
  Tanh<T> tanh_layer;
  Sigmoid<T> sigmoid_layer;
  require_gradients_match(relu, Shape{3, 7});
  require_gradients_match(leaky, Shape{2, 3, 2, 2});
  require_gradients_match(tanh_layer, Shape{3, 7});
  require_gradients_match(sigmoid_layer, Shape{3, 7});
  Sigmoid<T> s;
  Tensor<T> extreme(Shape{1, 2}, std::vector<T>{-1000, 1000});
  const Tensor<T>& y = s.forward(extreme);
  CHECK(y[0] == 0.0);
  CHECK(y[1] == 1.0);
}

TEST_CASE("gradient check: Dropout, Reshape, Flatten", "[layer][gradcheck]") {
  Dropout<T> dropout(0.4, 5);
  require_gradients_match(dropout, Shape{4, 6});
  Reshape<T> reshape(Shape{3, 1, 2});
  require_gradients_match(reshape, Shape{2, 6});
  Flatten<T> flatten;
  require_gradients_match(flatten, Shape{2, 3, 2, 2});
  // Dropout: about p of the values dropped in train mode, none in eval mode, and the expectation kept.
  Dropout<float> d(0.25, 1);
  Tensor<float> ones(Shape{100, 100}, 1.0f);
  const Tensor<float>& y = d.forward(ones);
  CHECK(y.array().mean() == Approx(1.0).epsilon(0.03));
  CHECK((y.array() == 0.0f).count() == Approx(2500).epsilon(0.1));
  d.eval();
  CHECK(d.forward(ones).array().minCoeff() == 1.0f);
}

TEMPLATE_TEST_CASE("activations: forward values, shapes kept, and saturation without overflow", "[layer]", float, double) {
  using S = TestType;
  const Tensor<S> x(Shape{2, 2}, std::vector<S>{S(-2), S(-0.5), S(0), S(1.5)});
  const auto expect = [&](Layer<S>& layer, auto f) {
    INFO(layer.name());
    const Tensor<S>& y = layer.forward(x);
    REQUIRE(y.shape() == x.shape());
    for (Index i = 0; i < x.size(); ++i) CHECK(y[i] == Approx(f(static_cast<double>(x[i]))).epsilon(1e-6));
  };
  ReLU<S> relu;
  LeakyReLU<S> leaky(S(0.2));
  Tanh<S> tanh_layer;
  Sigmoid<S> sigmoid_layer;
  expect(relu, [](double v) { return v > 0 ? v : 0.0; });
  expect(leaky, [](double v) { return v > 0 ? v : 0.2 * v; });
  expect(tanh_layer, [](double v) { return std::tanh(v); });
  expect(sigmoid_layer, [](double v) { return 1 / (1 + std::exp(-v)); });
  const Tensor<S> extreme(Shape{1, 2}, std::vector<S>{S(-1000), S(1000)});
  const Tensor<S>& s = sigmoid_layer.forward(extreme);
  CHECK(s[0] == S(0));
  CHECK(s[1] == S(1));
  const Tensor<S>& t = tanh_layer.forward(extreme);
  CHECK(t[0] == S(-1));
  CHECK(t[1] == S(1));
}

TEMPLATE_TEST_CASE("Reshape and Flatten: shapes, values in order, and sizes they refuse", "[layer]", float, double) {
  using S = TestType;
  const Tensor<S> x = test::random_tensor<S>(Shape{2, 3, 2, 2}, 5);
  Flatten<S> flatten;
  CHECK(flatten.output_shape(x.shape()) == Shape{2, 12});
  const Tensor<S>& f = flatten.forward(x);
  REQUIRE(f.shape() == Shape{2, 12});
  for (Index i = 0; i < x.size(); ++i) REQUIRE(f[i] == x[i]);
  Reshape<S> reshape(Shape{4, 3});
  const Tensor<S>& r = reshape.forward(f);
  REQUIRE(r.shape() == Shape{2, 4, 3});
  for (Index i = 0; i < x.size(); ++i) REQUIRE(r[i] == x[i]);
  CHECK_THROWS_AS(Reshape<S>(Shape{5, 3}).forward(f), shape_error);
}
