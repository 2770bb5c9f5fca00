// SPDX-License-Identifier: MIT
// Sequential: gradients through a stack of layers, parameter names, frozen layers, and shape errors that name the
// layer and both shapes.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include "support.hpp"

using namespace ganpp;
using test::require_gradients_match;
using test::random_tensor;
using T = double;  // for the gradient checks: central differences need double, float's rounding swamps a 1e-6 step

TEST_CASE("gradient check: a Sequential of several layers", "[layer][gradcheck]") {
  Sequential<T> net;
  net.emplace<Conv2d<T>>(ConvOptions(1, 2, 3).with_stride(2).with_padding(1))
      .emplace<BatchNorm<T>>(2)
      .emplace<LeakyReLU<T>>(0.2)
      .emplace<Flatten<T>>()
      .emplace<Linear<T>>(18, 1);
  require_gradients_match(net, Shape{3, 1, 6, 6});
  CHECK(net.parameters().size() == 6);
  CHECK(net.parameters()[0].name == "0.weight");
  CHECK(net.parameters()[5].name == "4.bias");
}

TEST_CASE("frozen layers return input gradients but leave parameter gradients alone", "[layer]") {
  Sequential<T> net;
  net.emplace<Linear<T>>(3, 4).emplace<BatchNorm<T>>(4).emplace<Linear<T>>(4, 1);
  net.zero_grad();
  net.set_frozen(true);
  const Tensor<T> x = random_tensor(Shape{5, 3}, 1);  // layers keep a pointer to their input until backward
  net.forward(x);
  const Tensor<T>& gx = net.backward(random_tensor(Shape{5, 1}, 2));
  CHECK(gx.array().abs().sum() > 0);
  for (auto& p : net.parameters()) CHECK(p.grad->array().abs().sum() == 0);
}

TEMPLATE_TEST_CASE("shape errors name the layer and both shapes", "[layer][errors]", float, double) {
  using S = TestType;
  Linear<S> linear(784, 512);
  CHECK_THROWS_WITH(linear.forward(Tensor<S>(Shape{64, 100})),
                    Catch::Contains("Linear(784 -> 512)") && Catch::Contains("(N, 784)") && Catch::Contains("(64, 100)"));
  Conv2d<S> conv(ConvOptions(1, 64, 4).with_stride(2).with_padding(1));
  CHECK_THROWS_WITH(conv.forward(Tensor<S>(Shape{2, 3, 28, 28})),
                    Catch::Contains("Conv2d(1 -> 64, k4 s2 p1)") && Catch::Contains("(2, 3, 28, 28)"));
  Sequential<S> net;
  net.template emplace<Linear<S>>(10, 20).template emplace<ReLU<S>>().template emplace<Linear<S>>(21, 1);
  CHECK_THROWS_WITH(net.output_shape(Shape{1, 10}), Catch::Contains("Linear(21 -> 1)") && Catch::Contains("(1, 20)"));
  CHECK_THROWS_AS(Linear<S>(0, 3), argument_error);
  CHECK_THROWS_AS(Conv2d<S>(ConvOptions(1, 1, 3).with_stride(0)), argument_error);
  CHECK_THROWS_AS(LeakyReLU<S>(S(-0.1)), argument_error);
  CHECK_THROWS_AS(Dropout<S>(1.0), argument_error);
  Linear<S> l(3, 2);
  l.forward(Tensor<S>(Shape{4, 3}));
  CHECK_THROWS_WITH(l.backward(Tensor<S>(Shape{4, 3})), Catch::Contains("Linear(3 -> 2)::backward()") && Catch::Contains("(4, 2)"));
}
