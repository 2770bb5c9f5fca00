// SPDX-License-Identifier: MIT
// Super-resolution: box downsampling against block means computed by hand; the SRResNet generator's shapes,
// gradients and errors.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/superres.hpp>

#include "support.hpp"

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

TEMPLATE_TEST_CASE("srresnet_generator: 7x7 -> 28x28 forward and backward shapes, one channel", "[superres][layer]", float, double) {
  using T = TestType;
  SrResNetOptions o;
  o.channels = 4;
  o.residual_blocks = 2;
  o.upscale = 4;
  Sequential<T> g = srresnet_generator<T>(o);
  // conv9, PReLU, long skip, 2 x (conv, PixelShuffle, PReLU), conv9, Tanh.
  CHECK(g.size() == 11);
  CHECK(g.output_shape(Shape{3, 1, 7, 7}) == Shape{3, 1, 28, 28});
  Tensor<T> x(Shape{2, 1, 7, 7});
  Rng rng(1);
  rng.fill_uniform(x, -1, 1);
  const Tensor<T>& y = g.forward(x);
  REQUIRE(y.shape() == Shape{2, 1, 28, 28});
  CHECK(y.all_finite());
  CHECK(y.array().abs().maxCoeff() <= T(1));
  Tensor<T> dy(y.shape());
  rng.fill_normal(dy);
  g.zero_grad();
  const Tensor<T>& dx = g.backward(dy);
  CHECK(dx.shape() == x.shape());
  CHECK(dx.all_finite());
  bool found_block_weight = false;
  for (auto& p : g.parameters()) {
    INFO(p.name);
    CHECK(p.grad->all_finite());
    CHECK(p.grad->array().abs().sum() > 0);
    found_block_weight = found_block_weight || p.name == "2.body.1.body.3.weight";  // block 1's second conv
  }
  CHECK(found_block_weight);

  o.upscale = 2;
  CHECK(srresnet_generator<T>(o).output_shape(Shape{1, 1, 7, 7}) == Shape{1, 1, 14, 14});
  o.upscale = 1;
  o.tanh_output = false;
  o.image_channels = 3;
  Sequential<T> same = srresnet_generator<T>(o);
  CHECK(same.size() == 4);
  CHECK(same.output_shape(Shape{1, 3, 7, 7}) == Shape{1, 3, 7, 7});
}

TEST_CASE("gradient check: srresnet_block and a tiny SRResNet generator", "[superres][layer][gradcheck]") {
  auto block = srresnet_block<double>(2);
  test::require_gradients_match(*block, Shape{2, 2, 3, 3});

  SrResNetOptions o;
  o.channels = 2;
  o.residual_blocks = 1;
  o.upscale = 2;
  Sequential<double> g = srresnet_generator<double>(o);
  test::randomize(g, 9, 0.3);
  const GradientCheckResult r = check_layer_gradients(g, test::random_tensor(Shape{2, 1, 3, 3}, 10));
  INFO("generator: worst entry " << r.where << ", error " << r.max_error);
  CHECK(r.max_error < 1e-6);
}

TEST_CASE("srresnet_generator: bad options and inputs", "[superres][errors]") {
  SrResNetOptions o;
  o.upscale = 3;
  CHECK_THROWS_WITH(srresnet_generator<float>(o), Catch::Contains("srresnet_generator()") && Catch::Contains("upscale 3"));
  o.upscale = 4;
  o.channels = 0;
  CHECK_THROWS_AS(srresnet_generator<float>(o), argument_error);
  CHECK_THROWS_AS(srresnet_block<float>(0), argument_error);
  o.channels = 4;
  o.residual_blocks = 1;
  Sequential<float> g = srresnet_generator<float>(o);
  CHECK_THROWS_WITH(g.forward(Tensor<float>(Shape{1, 3, 7, 7})), Catch::Contains("Conv2d(1 -> 4, k9 s1 p4)") && Catch::Contains("(1, 3, 7, 7)"));
}

TEMPLATE_TEST_CASE("bicubic_upsample: hand-computed cases", "[superres]", float, double) {
  using T = TestType;
  // Keys' kernel with a = -0.75 at the four tap distances of a 2x upscaling, worked out by hand:
  // w(0.25) = (1.25 * 0.25 - 2.25) * 0.25^2 + 1, w(0.75) likewise; w(1.25) = ((-0.75 * 1.25 + 3.75) * 1.25 - 6) * 1.25 + 3,
  // w(1.75) likewise.
  const double w025 = 0.87890625, w075 = 0.26171875, w125 = -0.10546875, w175 = -0.03515625;
  REQUIRE(w025 + w075 + w125 + w175 == 1.0);
  SECTION("a one-row impulse [0 1 0 0] by 2: output x samples source (x + 0.5) / 2 - 0.5, borders repeated") {
    const Tensor<T> x(Shape{1, 1, 1, 4}, std::vector<T>{0, 1, 0, 0});
    Tensor<T> y;
    bicubic_upsample(x, 2, y);
    REQUIRE(y.shape() == Shape{1, 1, 2, 8});
    // Source positions -0.25, 0.25, ..., 3.25; the impulse at 1 lies at distances 1.25, 0.75, 0.25, 0.25, 0.75, 1.25,
    // 1.75 and 2.25 (outside the kernel) from them. The single row is repeated above and below: both output rows equal.
    const std::vector<double> expected{w125, w075, w025, w025, w075, w125, w175, 0};
    for (Index r = 0; r < 2; ++r)
      for (Index i = 0; i < 8; ++i) CHECK(static_cast<double>(y.at(0, 0, r, i)) == Approx(expected[static_cast<std::size_t>(i)]).margin(1e-7));
  }
  SECTION("the left border repeats the edge pixel: [1 0 0 0] gives w(0.75) + w(1.75) + w(0.25)... at x = 0") {
    const Tensor<T> x(Shape{1, 1, 1, 4}, std::vector<T>{1, 0, 0, 0});
    Tensor<T> y;
    bicubic_upsample(x, 2, y);
    // x = 0 samples -0.25: taps at -2, -1, 0, 1 with weights w(1.75), w(0.75), w(0.25), w(1.25); the first three read pixel 0.
    CHECK(static_cast<double>(y.at(0, 0, 0, 0)) == Approx(w175 + w075 + w025).margin(1e-7));
    CHECK(static_cast<double>(y.at(0, 0, 0, 1)) == Approx(w125 + w025).margin(1e-7));  // 0.25: taps -1, 0 read pixel 0
  }
  SECTION("separable: a 2-d impulse gives the outer product of the 1-d responses; constants stay constant") {
    Tensor<T> x(Shape{1, 1, 4, 4}, T(0));
    x.at(0, 0, 1, 2) = 1;
    Tensor<T> y, row, col;
    bicubic_upsample(x, 2, y);
    Tensor<T> r(Shape{1, 1, 1, 4}, T(0)), c(Shape{1, 1, 4, 1}, T(0));
    r.at(0, 0, 0, 2) = 1;
    c.at(0, 0, 1, 0) = 1;
    bicubic_upsample(r, 2, row);
    bicubic_upsample(c, 2, col);
    for (Index i = 0; i < 8; ++i)
      for (Index j = 0; j < 8; ++j)
        REQUIRE(static_cast<double>(y.at(0, 0, i, j)) == Approx(static_cast<double>(col.at(0, 0, i, 0)) * static_cast<double>(row.at(0, 0, 0, j))).margin(1e-6));
    Tensor<T> flat(Shape{2, 3, 5, 3}, T(-0.4)), up;
    bicubic_upsample(flat, 4, up);
    REQUIRE(up.shape() == Shape{2, 3, 20, 12});
    for (T v : up) REQUIRE(static_cast<double>(v) == Approx(-0.4).margin(1e-6));
  }
  SECTION("the kernel interpolates: at factor 3 the centre of each 3x3 block is its source pixel; factor 1 copies") {
    Tensor<T> x(Shape{1, 2, 3, 4});
    Rng rng(5);
    rng.fill_uniform(x, -1, 1);
    Tensor<T> y;
    bicubic_upsample(x, 3, y);  // output 3i + 1 samples source (3i + 1.5) / 3 - 0.5 = i: weights w(1) = 0, w(0) = 1, w(1), w(2) = 0
    for (Index c = 0; c < 2; ++c)
      for (Index i = 0; i < 3; ++i)
        for (Index j = 0; j < 4; ++j) CHECK(static_cast<double>(y.at(0, c, 3 * i + 1, 3 * j + 1)) == Approx(static_cast<double>(x.at(0, c, i, j))).margin(1e-6));
    bicubic_upsample(x, 1, y);
    CHECK(std::vector<T>(y.begin(), y.end()) == std::vector<T>(x.begin(), x.end()));
  }
}

TEST_CASE("bicubic_upsample: bad shapes and factors name the function and the shape", "[superres][errors]") {
  Tensor<float> out;
  CHECK_THROWS_WITH(bicubic_upsample(Tensor<float>(Shape{2, 784}), 4, out), Catch::Contains("bicubic_upsample()") && Catch::Contains("(2, 784)"));
  CHECK_THROWS_WITH(bicubic_upsample(Tensor<float>(Shape{1, 1, 4, 4}), 0, out), Catch::Contains("bicubic_upsample()") && Catch::Contains("factor"));
  CHECK_THROWS_AS(bicubic_upsample(Tensor<float>(Shape{1, 1, 0, 4}), 2, out), shape_error);
}

TEST_CASE("srgan_discriminator: one logit per image for MNIST and emoji sizes", "[superres][layer]") {
  SrDiscriminatorOptions o;
  o.channels = 4;
  o.stages = 2;
  o.dense = 8;
  Sequential<float> d = srgan_discriminator<float>(o);  // 28 -> 14 -> 7
  CHECK(d.output_shape(Shape{3, 1, 28, 28}) == Shape{3, 1});
  o.image_channels = 3;
  o.image_size = 64;
  o.stages = 3;
  Sequential<float> e = srgan_discriminator<float>(o);
  CHECK(e.output_shape(Shape{2, 3, 64, 64}) == Shape{2, 1});
  o.stages = 0;
  CHECK_THROWS_WITH(srgan_discriminator<float>(o), Catch::Contains("srgan_discriminator()"));
}

TEST_CASE("upscale_tiled equals the whole image's forward pass with the receptive margin", "[superres]") {
  SrResNetOptions o;
  o.channels = 4;
  o.residual_blocks = 2;
  o.upscale = 2;
  o.image_channels = 3;
  Sequential<double> g = srresnet_generator<double>(o);
  test::randomize(g, 11);
  g.train(false);
  const Tensor<double> image = test::random_tensor(Shape{1, 3, 23, 31}, 4);
  Tensor<double> whole, tiled;
  whole.assign(g.forward(image));
  const Index margin = srresnet_receptive_margin(o);
  upscale_tiled(g, image, 2, 8, margin, tiled);
  REQUIRE(tiled.shape() == Shape{1, 3, 46, 62});
  for (Index i = 0; i < whole.size(); ++i) REQUIRE(tiled[i] == Approx(whole[i]).margin(1e-12));
  // One pixel less of margin shows: the margin is needed, not just sufficient.
  upscale_tiled(g, image, 2, 8, margin - 1, tiled);
  double worst = 0;
  for (Index i = 0; i < whole.size(); ++i) worst = std::max(worst, std::abs(tiled[i] - whole[i]));
  CHECK(worst > 1e-9);
  CHECK_THROWS_WITH(upscale_tiled(g, test::random_tensor(Shape{2, 3, 8, 8}, 1), 2, 8, 1, tiled), Catch::Contains("upscale_tiled()") && Catch::Contains("(2, 3, 8, 8)"));
  CHECK_THROWS_WITH(upscale_tiled(g, image, 4, 8, 1, tiled), Catch::Contains("upscale_tiled()"));
  CHECK_THROWS_AS(upscale_tiled(g, image, 2, 0, 1, tiled), argument_error);
}
