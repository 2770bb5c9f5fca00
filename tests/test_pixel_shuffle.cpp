// SPDX-License-Identifier: MIT
// PixelShuffle: PyTorch's documented index mapping on a hand-built case, the gradient check, shapes and errors.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/layers/pixel_shuffle.hpp>

#include "support.hpp"

using namespace ganpp;

TEMPLATE_TEST_CASE("PixelShuffle follows PyTorch's mapping out[n, c, h*r+i, w*r+j] = in[n, c*r*r + i*r + j, h, w]", "[layer][superres]", float,
                   double) {
  SECTION("r = 2 on (1, 4, 1, 1): the four channels become one 2x2 block, row by row") {
    PixelShuffle<TestType> shuffle(2);
    const Tensor<TestType> x(Shape{1, 4, 1, 1}, std::vector<TestType>{10, 11, 12, 13});
    const Tensor<TestType>& y = shuffle.forward(x);
    REQUIRE(y.shape() == Shape{1, 1, 2, 2});
    CHECK(y.at(0, 0, 0, 0) == 10);  // channel 0 = i 0, j 0
    CHECK(y.at(0, 0, 0, 1) == 11);  // channel 1 = i 0, j 1
    CHECK(y.at(0, 0, 1, 0) == 12);  // channel 2 = i 1, j 0
    CHECK(y.at(0, 0, 1, 1) == 13);
  }
  SECTION("r = 2 on (2, 8, 2, 3): every element against the formula") {
    const Index r = 2, c_out = 2, h_in = 2, w_in = 3;
    PixelShuffle<TestType> shuffle(r);
    const Tensor<TestType> x = test::iota<TestType>(Shape{2, c_out * r * r, h_in, w_in});
    const Tensor<TestType>& y = shuffle.forward(x);
    REQUIRE(y.shape() == Shape{2, c_out, h_in * r, w_in * r});
    for (Index n = 0; n < 2; ++n)
      for (Index c = 0; c < c_out; ++c)
        for (Index h = 0; h < h_in; ++h)
          for (Index w = 0; w < w_in; ++w)
            for (Index i = 0; i < r; ++i)
              for (Index j = 0; j < r; ++j) REQUIRE(y.at(n, c, h * r + i, w * r + j) == x.at(n, c * r * r + i * r + j, h, w));
  }
  SECTION("hand-written r = 3 row: (1, 9, 1, 2) -> (1, 1, 3, 6)") {
    PixelShuffle<TestType> shuffle(3);
    const Tensor<TestType>& y = shuffle.forward(test::iota<TestType>(Shape{1, 9, 1, 2}));
    // in[0, k, 0, w] = 2k + w; output row i, column 3w + j holds channel 3i + j at w.
    const std::vector<TestType> expected{0, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11, 12, 14, 16, 13, 15, 17};
    REQUIRE(y.shape() == Shape{1, 1, 3, 6});
    CHECK(std::vector<TestType>(y.begin(), y.end()) == expected);
  }
  SECTION("r = 1 is the identity") {
    PixelShuffle<TestType> shuffle(1);
    const Tensor<TestType> x = test::iota<TestType>(Shape{2, 3, 2, 2});
    const Tensor<TestType>& y = shuffle.forward(x);
    CHECK(y.shape() == x.shape());
    CHECK(std::vector<TestType>(y.begin(), y.end()) == std::vector<TestType>(x.begin(), x.end()));
  }
}

TEMPLATE_TEST_CASE("PixelShuffle's backward is the inverse rearrangement and honours set_input_grad", "[layer][superres]", float, double) {
  PixelShuffle<TestType> shuffle(2);
  const Tensor<TestType> x = test::iota<TestType>(Shape{2, 8, 3, 2});
  const Tensor<TestType> y = [&] {
    Tensor<TestType> t;
    t.assign(shuffle.forward(x));
    return t;
  }();
  // The gradient of the output's own values maps back onto the input's values.
  const Tensor<TestType>& g = shuffle.backward(y);
  REQUIRE(g.shape() == x.shape());
  CHECK(std::vector<TestType>(g.begin(), g.end()) == std::vector<TestType>(x.begin(), x.end()));
  CHECK(shuffle.parameters().empty());
  shuffle.set_input_grad(false);
  shuffle.forward(x);
  CHECK(shuffle.backward(y).empty());
}

TEST_CASE("gradient check: PixelShuffle", "[layer][gradcheck][superres]") {
  for (Index r : {1, 2, 3}) {
    PixelShuffle<double> shuffle(r);
    test::require_gradients_match(shuffle, Shape{2, 2 * r * r, 2, 3}, 1e-8);
  }
}

TEMPLATE_TEST_CASE("PixelShuffle: bad shapes and factors name the layer and both shapes", "[layer][errors][superres]", float, double) {
  PixelShuffle<TestType> shuffle(2);
  CHECK(shuffle.output_shape(Shape{5, 12, 7, 7}) == Shape{5, 3, 14, 14});
  CHECK_THROWS_WITH(shuffle.forward(Tensor<TestType>(Shape{1, 6, 3, 3})),
                    Catch::Contains("PixelShuffle(2)::forward()") && Catch::Contains("(N, C*4, H, W)") && Catch::Contains("(1, 6, 3, 3)"));
  CHECK_THROWS_AS(shuffle.forward(Tensor<TestType>(Shape{2, 8})), shape_error);
  CHECK_THROWS_AS(shuffle.forward(Tensor<TestType>(Shape{2, 0, 3, 3})), shape_error);
  shuffle.forward(Tensor<TestType>(Shape{1, 4, 2, 2}));
  CHECK_THROWS_WITH(shuffle.backward(Tensor<TestType>(Shape{1, 4, 2, 2})),
                    Catch::Contains("PixelShuffle(2)::backward()") && Catch::Contains("(1, 4, 2, 2)") && Catch::Contains("(1, 1, 4, 4)"));
  CHECK_THROWS_AS(PixelShuffle<TestType>(0), argument_error);
}
