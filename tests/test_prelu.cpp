// SPDX-License-Identifier: MIT
// PReLU with one shared slope and with one slope per channel: values, the gradient check, frozen mode and errors.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/layers/prelu.hpp>

#include "support.hpp"

using namespace ganpp;

TEMPLATE_TEST_CASE("PReLU with one shared slope: y = x for x > 0, a x otherwise, on any batched shape", "[layer][superres]", float, double) {
  PReLU<TestType> prelu;
  REQUIRE(prelu.parameters().size() == 1);
  CHECK(prelu.parameters()[0].name == "weight");
  CHECK(prelu.weight().shape() == Shape{1});
  CHECK(prelu.weight()[0] == TestType(0.25));
  const Tensor<TestType> x(Shape{2, 3}, std::vector<TestType>{-4, 0, 2, 8, -1, -0.5});
  const Tensor<TestType>& y = prelu.forward(x);
  CHECK(std::vector<TestType>(y.begin(), y.end()) == std::vector<TestType>{-1, 0, 2, 8, -0.25, -0.125});
  // Gradients: dx = dy where x > 0 and a dy elsewhere; da = sum of dy x over x <= 0.
  const Tensor<TestType> dy(Shape{2, 3}, std::vector<TestType>{1, 2, 3, 4, 5, 6});
  prelu.zero_grad();
  const Tensor<TestType>& dx = prelu.backward(dy);
  CHECK(std::vector<TestType>(dx.begin(), dx.end()) == std::vector<TestType>{0.25, 0.5, 3, 4, 1.25, 1.5});
  CHECK((*prelu.parameters()[0].grad)[0] == TestType(-4 * 1 + 0 * 2 - 1 * 5 - 0.5 * 6));
  CHECK(prelu.output_shape(Shape{4}) == Shape{4});
  CHECK(prelu.output_shape(Shape{2, 5, 3, 3}) == Shape{2, 5, 3, 3});
}

TEMPLATE_TEST_CASE("PReLU with one slope per channel applies channel c's slope to dimension 1", "[layer][superres]", float, double) {
  PReLU<TestType> prelu(2);
  prelu.weight()[0] = TestType(0.5);
  prelu.weight()[1] = TestType(-2);
  // (N, C, H, W) = (2, 2, 1, 2): per sample, channel 0 then channel 1.
  const Tensor<TestType> x(Shape{2, 2, 1, 2}, std::vector<TestType>{-2, 3, -2, 3, 4, -6, -1, 1});
  const Tensor<TestType>& y = prelu.forward(x);
  CHECK(std::vector<TestType>(y.begin(), y.end()) == std::vector<TestType>{-1, 3, 4, 3, 4, -3, 2, 1});
  const Tensor<TestType> dy(Shape{2, 2, 1, 2}, TestType(1));
  prelu.zero_grad();
  const Tensor<TestType>& dx = prelu.backward(dy);
  CHECK(std::vector<TestType>(dx.begin(), dx.end()) == std::vector<TestType>{0.5, 1, -2, 1, 1, 0.5, -2, 1});
  CHECK(prelu.parameters()[0].grad->shape() == Shape{2});
  CHECK((*prelu.parameters()[0].grad)[0] == TestType(-2 - 6));  // channel 0's non-positive inputs
  CHECK((*prelu.parameters()[0].grad)[1] == TestType(-2 - 1));
  // Backward accumulates: a second pass doubles the slope gradients.
  prelu.backward(dy);
  CHECK((*prelu.parameters()[0].grad)[0] == TestType(-16));
  // (N, C) inputs too.
  CHECK(prelu.output_shape(Shape{3, 2}) == Shape{3, 2});
  Rng rng(1);
  prelu.reset_parameters(Init::kaiming, rng);
  CHECK(prelu.weight().array().isApproxToConstant(TestType(0.25)));
}

TEST_CASE("gradient check: PReLU with num_parameters = 1 and = C", "[layer][gradcheck][superres]") {
  PReLU<double> shared, per_channel(3), flat(4);  // slopes randomised, some negative
  test::require_gradients_match(shared, Shape{3, 2, 3, 2}, 1e-8);
  test::require_gradients_match(per_channel, Shape{2, 3, 3, 2}, 1e-8);
  test::require_gradients_match(flat, Shape{5, 4}, 1e-8);
}

TEMPLATE_TEST_CASE("PReLU: frozen skips the slope gradient, set_input_grad(false) the input gradient", "[layer][superres]", float, double) {
  PReLU<TestType> prelu(2);
  const Tensor<TestType> x(Shape{1, 2, 2, 1}, std::vector<TestType>{-1, 1, -3, 2});
  const Tensor<TestType> dy(Shape{1, 2, 2, 1}, TestType(1));
  prelu.zero_grad();
  prelu.set_frozen(true);
  prelu.forward(x);
  const Tensor<TestType>& dx = prelu.backward(dy);
  CHECK(dx[0] == TestType(0.25));
  CHECK(prelu.parameters()[0].grad->array().abs().sum() == 0);
  prelu.set_frozen(false);
  prelu.set_input_grad(false);
  prelu.forward(x);
  CHECK(prelu.backward(dy).empty());
  CHECK((*prelu.parameters()[0].grad)[1] == TestType(-3));
}

TEMPLATE_TEST_CASE("PReLU: bad shapes name the layer and both shapes", "[layer][errors][superres]", float, double) {
  PReLU<TestType> prelu(64);
  CHECK_THROWS_WITH(prelu.forward(Tensor<TestType>(Shape{2, 32, 7, 7})),
                    Catch::Contains("PReLU(64)::forward()") && Catch::Contains("(N, 64, ...)") && Catch::Contains("(2, 32, 7, 7)"));
  CHECK_THROWS_AS(prelu.forward(Tensor<TestType>(Shape{64})), shape_error);
  PReLU<TestType> shared;
  CHECK_THROWS_AS(shared.forward(Tensor<TestType>(Shape{})), shape_error);
  shared.forward(Tensor<TestType>(Shape{2, 3}));
  CHECK_THROWS_WITH(shared.backward(Tensor<TestType>(Shape{3, 2})),
                    Catch::Contains("PReLU(1)::backward()") && Catch::Contains("(3, 2)") && Catch::Contains("(2, 3)"));
  CHECK_THROWS_AS(PReLU<TestType>(0), argument_error);
}
