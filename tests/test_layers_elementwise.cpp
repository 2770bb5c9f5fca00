// SPDX-License-Identifier: MIT
// Layers that act entry by entry or only move entries: activations, Dropout, Reshape and Flatten.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include "support.hpp"

using namespace ganpp;
using test::random_tensor;
using T = double;  // for the gradient checks: central differences need double, float's rounding swamps a 1e-6 step

namespace {

// Train-mode check of input and parameter gradients; parameters get random values first so that no gradient
// hides behind a zero or a one.
void require_gradients_match(Layer<T>& layer, const Shape& input_shape, double tol = 1e-6) {
  test::randomize(layer, 7);
  const GradientCheckResult r = check_layer_gradients(layer, random_tensor(input_shape, 11));
  INFO(layer.name() << ": worst entry " << r.where << ", error " << r.max_error);
  REQUIRE(r.max_error < tol);
}

}  // namespace

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
