// SPDX-License-Identifier: MIT
// Super-resolution helpers: box downsampling against block means computed by hand.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/superres.hpp>

using namespace ganpp;

TEMPLATE_TEST_CASE("box_downsample averages factor x factor blocks", "[superres]", float, double) {
  SECTION("a 4x4 image by 2: the four 2x2 block means") {
    const Tensor<TestType> x(Shape{1, 1, 4, 4}, std::vector<TestType>{1, 2, 3, 4,  //
                                                                       5, 6, 7, 8,  //
                                                                       9, 10, 11, 12,  //
                                                                       13, 14, 15, 16});
    Tensor<TestType> y;
    box_downsample(x, 2, y);
    REQUIRE(y.shape() == Shape{1, 1, 2, 2});
    CHECK(std::vector<TestType>(y.begin(), y.end()) == std::vector<TestType>{3.5, 5.5, 11.5, 13.5});
  }
  SECTION("28x28 -> 7x7 by 4 on a batch of two-channel images, against block means") {
    Tensor<TestType> x(Shape{2, 2, 28, 28});
    Rng rng(1);
    rng.fill_uniform(x, -1, 1);
    Tensor<TestType> y;
    box_downsample(x, 4, y);
    REQUIRE(y.shape() == Shape{2, 2, 7, 7});
    for (Index n = 0; n < 2; ++n)
      for (Index c = 0; c < 2; ++c)
        for (Index h = 0; h < 7; ++h)
          for (Index w = 0; w < 7; ++w) {
            double mean = 0;
            for (Index i = 0; i < 4; ++i)
              for (Index j = 0; j < 4; ++j) mean += static_cast<double>(x.at(n, c, 4 * h + i, 4 * w + j)) / 16;
            REQUIRE(static_cast<double>(y.at(n, c, h, w)) == Approx(mean).margin(1e-6));
          }
    CHECK(y.array().maxCoeff() <= TestType(1));
    CHECK(y.array().minCoeff() >= TestType(-1));
    // A constant image stays constant; factor 1 copies.
    Tensor<TestType> flat(Shape{1, 1, 8, 8}, TestType(0.75)), z;
    box_downsample(flat, 4, z);
    CHECK(z.array().isApproxToConstant(TestType(0.75)));
    box_downsample(x, 1, z);
    CHECK(std::vector<TestType>(z.begin(), z.end()) == std::vector<TestType>(x.begin(), x.end()));
  }
}

TEMPLATE_TEST_CASE("box_downsample: bad shapes and factors name the function and the shape", "[superres][errors]", float, double) {
  Tensor<TestType> out;
  CHECK_THROWS_WITH(box_downsample(Tensor<TestType>(Shape{1, 1, 28, 30}), 4, out),
                    Catch::Contains("box_downsample()") && Catch::Contains("multiples of 4") && Catch::Contains("(1, 1, 28, 30)"));
  CHECK_THROWS_AS(box_downsample(Tensor<TestType>(Shape{2, 784}), 4, out), shape_error);
  CHECK_THROWS_AS(box_downsample(Tensor<TestType>(Shape{1, 1, 4, 4}), 0, out), argument_error);
}
