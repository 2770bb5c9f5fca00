// SPDX-License-Identifier: MIT
// Linear, Embedding and LabelConcat: gradients against finite differences, and their errors.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include "support.hpp"

using namespace ganpp;
using test::require_gradients_match;
using test::random_tensor;
using T = double;  // for the gradient checks: central differences need double, float's rounding swamps a 1e-6 step

TEST_CASE("gradient check: Linear", "[layer][gradcheck]") {
  Linear<T> with_bias(5, 4), no_bias(5, 3, false);
  require_gradients_match(with_bias, Shape{3, 5});
  require_gradients_match(no_bias, Shape{2, 5});
}

TEST_CASE("gradient check: Embedding and LabelConcat", "[layer][gradcheck]") {
  Embedding<T> emb(5, 3);
  Tensor<T> idx(Shape{4}, std::vector<T>{0, 3, 3, 4});
  GradientCheckOptions params_only;
  params_only.check_input = false;
  const GradientCheckResult r = check_layer_gradients(emb, idx, params_only);
  CHECK(r.max_error < 1e-6);
  // The weight gradient of a class that appears twice is the sum of both rows' gradients: tested by the check above.
  CHECK_THROWS_WITH(emb.forward(Tensor<T>(Shape{1}, std::vector<T>{5})), Catch::Contains("Embedding(5, 3)") && Catch::Contains("[0, 5)"));
  CHECK_THROWS_AS(emb.forward(Tensor<T>(Shape{1}, std::vector<T>{1.5})), argument_error);

  std::vector<int> labels{2, 0, 1};
  LabelConcat<T> flat(3, 2), image(3, 4);
  flat.set_labels(&labels);
  image.set_labels(&labels);
  require_gradients_match(flat, Shape{3, 4});
  require_gradients_match(image, Shape{3, 2, 2, 3});
  CHECK(flat.output_shape(Shape{3, 4}) == Shape{3, 6});
  std::vector<int> short_labels{1};
  flat.set_labels(&short_labels);
  CHECK_THROWS_AS(flat.forward(random_tensor(Shape{3, 4}, 1)), argument_error);
}

TEMPLATE_TEST_CASE("Linear: y = x W^T + b, with and without bias", "[layer]", float, double) {
  using S = TestType;
  for (const bool bias : {true, false}) {
    Linear<S> l(3, 2, bias);
    test::randomize(l, 3);
    const Tensor<S> x = test::random_tensor<S>(Shape{4, 3}, 4);
    const Tensor<S>& y = l.forward(x);
    REQUIRE(y.shape() == Shape{4, 2});
    for (Index n = 0; n < 4; ++n)
      for (Index o = 0; o < 2; ++o) {
        double expected = bias ? static_cast<double>(l.bias()[o]) : 0.0;
        for (Index i = 0; i < 3; ++i) expected += static_cast<double>(l.weight()[o * 3 + i]) * static_cast<double>(x[n * 3 + i]);
        INFO("bias " << bias << ", sample " << n << ", output " << o);
        CHECK(y[n * 2 + o] == Approx(expected).epsilon(1e-5).margin(1e-6));
      }
  }
}

TEMPLATE_TEST_CASE("Embedding: rows of its weight by class, and the classes it refuses", "[layer]", float, double) {
  using S = TestType;
  Embedding<S> emb(5, 3);
  test::randomize(emb, 2);
  const Tensor<S> idx(Shape{3}, std::vector<S>{S(4), S(0), S(4)});
  const Tensor<S>& y = emb.forward(idx);
  REQUIRE(y.shape() == Shape{3, 3});
  const Tensor<S>& w = *emb.parameters()[0].value;
  for (Index j = 0; j < 3; ++j) {
    CHECK(y[0 * 3 + j] == w[4 * 3 + j]);
    CHECK(y[1 * 3 + j] == w[0 * 3 + j]);
    CHECK(y[2 * 3 + j] == w[4 * 3 + j]);
  }
  CHECK_THROWS_WITH(emb.forward(Tensor<S>(Shape{1}, std::vector<S>{S(5)})), Catch::Contains("Embedding(5, 3)") && Catch::Contains("[0, 5)"));
  CHECK_THROWS_AS(emb.forward(Tensor<S>(Shape{1}, std::vector<S>{S(-1)})), argument_error);
  CHECK_THROWS_AS(emb.forward(Tensor<S>(Shape{1}, std::vector<S>{S(1.5)})), argument_error);
}
