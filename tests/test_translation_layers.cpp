// SPDX-License-Identifier: MIT
// The image-to-image translation layers: InstanceNorm2d, ReflectionPad2d, Upsample, Dropout in eval mode; gradient
// checks in double and forward values against hand-computed (PyTorch-defined) cases.
#include "support.hpp"

#include <cmath>

using namespace ganpp;
using test::random_tensor;
using test::require_gradients_match;

// ---------------------------------------------------------------------------------------------------------------
// InstanceNorm2d

TEST_CASE("gradient check: InstanceNorm2d with and without affine, train and eval mode", "[layer][gradcheck][translation]") {
  InstanceNorm2d<double> plain(3), affine(2, 1e-5, true);
  require_gradients_match(plain, Shape{2, 3, 3, 4});
  require_gradients_match(affine, Shape{3, 2, 2, 3});
  require_gradients_match(affine, Shape{1, 2, 1, 5});  // a single row still has 5 values per plane
  affine.eval();                                       // no running statistics: eval mode is the same function
  require_gradients_match(affine, Shape{2, 2, 3, 3});
}

TEMPLATE_TEST_CASE("InstanceNorm2d normalises each sample's channel over its own plane", "[layer][translation]", float, double) {
  using S = TestType;
  const Tensor<S> x = random_tensor<S>(Shape{3, 2, 4, 5}, 3);
  InstanceNorm2d<S> norm(2);
  CHECK(norm.parameters().empty());
  CHECK(norm.name() == "InstanceNorm2d(2)");
  const Tensor<S>& y = norm.forward(x);
  REQUIRE(y.shape() == x.shape());
  const Index plane = 20;
  for (Index g = 0; g < 6; ++g) {
    double mean = 0, var = 0;
    for (Index i = 0; i < plane; ++i) mean += static_cast<double>(x[g * plane + i]) / plane;
    for (Index i = 0; i < plane; ++i) var += (x[g * plane + i] - mean) * (x[g * plane + i] - mean) / plane;  // biased
    for (Index i = 0; i < plane; ++i)
      REQUIRE(static_cast<double>(y[g * plane + i]) == Approx((x[g * plane + i] - mean) / std::sqrt(var + 1e-5)).margin(1e-5));
  }

  // Affine: y = gamma[c] * xhat + beta[c].
  InstanceNorm2d<S> affine(2, 1e-5, true);
  CHECK(affine.name() == "InstanceNorm2d(2, affine)");
  auto p = affine.parameters();
  REQUIRE(p.size() == 2);
  CHECK(p[0].name == "weight");
  CHECK((*p[0].value)[0] == S(1));
  (*p[0].value)[1] = S(3);
  (*p[1].value)[1] = S(-2);
  Tensor<S> plain_y;
  plain_y.assign(y);
  const Tensor<S>& z = affine.forward(x);
  for (Index n = 0; n < 3; ++n)
    for (Index i = 0; i < plane; ++i) {
      const Index c0 = (n * 2) * plane + i, c1 = (n * 2 + 1) * plane + i;
      REQUIRE(z[c0] == Approx(plain_y[c0]).margin(1e-5));
      REQUIRE(z[c1] == Approx(3 * plain_y[c1] - 2).margin(1e-5));
    }
}

TEMPLATE_TEST_CASE("InstanceNorm2d: a hand-computed 2x2 plane, and eval mode is train mode", "[layer][translation]", float, double) {
  using S = TestType;
  // Plane 1, 2, 3, 4: mean 2.5, biased variance 1.25.
  Tensor<S> x(Shape{1, 1, 2, 2}, std::vector<S>{1, 2, 3, 4});
  InstanceNorm2d<S> norm(1, 0.0001);
  const double sd = std::sqrt(1.25 + 0.0001);
  const Tensor<S>& y = norm.forward(x);
  CHECK(y[0] == Approx(-1.5 / sd));
  CHECK(y[3] == Approx(1.5 / sd));
  norm.eval();
  CHECK(norm.forward(x)[0] == Approx(-1.5 / sd));
}

TEMPLATE_TEST_CASE("InstanceNorm2d rejects bad shapes and arguments", "[layer][errors][translation]", float, double) {
  using S = TestType;
  InstanceNorm2d<S> norm(3);
  CHECK_THROWS_WITH(norm.forward(Tensor<S>(Shape{2, 4, 5, 5})),
                    Catch::Contains("InstanceNorm2d(3)::forward()") && Catch::Contains("(N, 3, H, W)") && Catch::Contains("(2, 4, 5, 5)"));
  CHECK_THROWS_WITH(norm.forward(Tensor<S>(Shape{2, 3})), Catch::Contains("InstanceNorm2d(3)") && Catch::Contains("(2, 3)"));
  CHECK_THROWS_WITH(norm.forward(Tensor<S>(Shape{2, 3, 1, 1})), Catch::Contains("H * W > 1") && Catch::Contains("(2, 3, 1, 1)"));
  CHECK_THROWS_AS(InstanceNorm2d<S>(0), argument_error);
  CHECK_THROWS_AS(InstanceNorm2d<S>(2, 0.0), argument_error);
  norm.forward(Tensor<S>(Shape{2, 3, 2, 2}));
  CHECK_THROWS_WITH(norm.backward(Tensor<S>(Shape{2, 3, 2, 3})), Catch::Contains("InstanceNorm2d(3)::backward()") && Catch::Contains("(2, 3, 2, 2)"));
}

TEST_CASE("InstanceNorm2d: frozen, it leaves its parameter gradients alone; without input grad it skips it", "[layer][translation]") {
  InstanceNorm2d<double> norm(2, 1e-5, true);
  norm.zero_grad();
  norm.set_frozen(true);
  const Tensor<double> x = random_tensor<double>(Shape{2, 2, 3, 3}, 1);
  norm.forward(x);
  CHECK(norm.backward(random_tensor<double>(x.shape(), 2)).array().abs().sum() > 0);
  for (auto& p : norm.parameters()) CHECK(p.grad->array().abs().sum() == 0);
  norm.set_frozen(false);
  norm.set_input_grad(false);
  norm.forward(x);
  CHECK(norm.backward(random_tensor<double>(x.shape(), 2)).size() == 0);
  for (auto& p : norm.parameters()) CHECK(p.grad->array().abs().sum() > 0);
}

// ---------------------------------------------------------------------------------------------------------------
// ReflectionPad2d

TEST_CASE("gradient check: ReflectionPad2d", "[layer][gradcheck][translation]") {
  ReflectionPad2d<double> two(2), uneven(1, 0, 2, 1), none(0);
  require_gradients_match(two, Shape{2, 2, 3, 3});
  require_gradients_match(uneven, Shape{1, 3, 4, 2});
  require_gradients_match(none, Shape{1, 1, 2, 2});
}

TEMPLATE_TEST_CASE("ReflectionPad2d(2) of a 3x3 image matches PyTorch's documented example", "[layer][translation]", float, double) {
  using S = TestType;
  ReflectionPad2d<S> pad(2);
  const Tensor<S> x = test::iota<S>(Shape{1, 1, 3, 3});
  const Tensor<S>& y = pad.forward(x);
  REQUIRE(y.shape() == Shape{1, 1, 7, 7});
  const std::vector<S> expected{8, 7, 6, 7, 8, 7, 6,  //
                                5, 4, 3, 4, 5, 4, 3,  //
                                2, 1, 0, 1, 2, 1, 0,  //
                                5, 4, 3, 4, 5, 4, 3,  //
                                8, 7, 6, 7, 8, 7, 6,  //
                                5, 4, 3, 4, 5, 4, 3,  //
                                2, 1, 0, 1, 2, 1, 0};
  for (Index i = 0; i < 49; ++i) REQUIRE(y[i] == expected[static_cast<std::size_t>(i)]);

  // (left, right, top, bottom) = (1, 0, 2, 1) on a 3x3, second plane of a batch.
  ReflectionPad2d<S> uneven(1, 0, 2, 1);
  CHECK(uneven.name() == "ReflectionPad2d(1, 0, 2, 1)");
  const Tensor<S> x2 = test::iota<S>(Shape{1, 2, 3, 3});
  const Tensor<S>& z = uneven.forward(x2);
  REQUIRE(z.shape() == Shape{1, 2, 6, 4});
  const std::vector<S> expected2{16, 15, 16, 17,  //
                                 13, 12, 13, 14,  //
                                 10, 9,  10, 11,  //
                                 13, 12, 13, 14,  //
                                 16, 15, 16, 17,  //
                                 13, 12, 13, 14};
  for (Index i = 0; i < 24; ++i) REQUIRE(z[24 + i] == expected2[static_cast<std::size_t>(i)]);

  // Backward: the gradient of an all-ones output counts how often each input is copied.
  const Tensor<S>& g = pad.backward(Tensor<S>(Shape{1, 1, 7, 7}, S(1)));
  // Per axis, input index 0 is copied by outputs {2, 6} (twice), index 1 by {1, 3, 5} (three times), index 2 by {0, 4}.
  const S per_axis[3] = {2, 3, 2};
  for (Index h = 0; h < 3; ++h)
    for (Index w = 0; w < 3; ++w) REQUIRE(g[h * 3 + w] == per_axis[h] * per_axis[w]);
}

TEMPLATE_TEST_CASE("ReflectionPad2d rejects paddings as large as the input", "[layer][errors][translation]", float, double) {
  using S = TestType;
  ReflectionPad2d<S> pad(3);
  CHECK_THROWS_WITH(pad.forward(Tensor<S>(Shape{1, 2, 3, 8})),
                    Catch::Contains("ReflectionPad2d(3)::forward()") && Catch::Contains("H > 3 and W > 3") && Catch::Contains("(1, 2, 3, 8)"));
  CHECK_THROWS_WITH(pad.forward(Tensor<S>(Shape{4, 16})), Catch::Contains("ReflectionPad2d(3)") && Catch::Contains("(4, 16)"));
  CHECK(pad.output_shape(Shape{2, 3, 4, 5}) == Shape{2, 3, 10, 11});
  CHECK_THROWS_AS(ReflectionPad2d<S>(-1), argument_error);
  CHECK_THROWS_AS(ReflectionPad2d<S>(1, 1, -2, 1), argument_error);
}

// ---------------------------------------------------------------------------------------------------------------
// Upsample

TEST_CASE("gradient check: Upsample nearest and bilinear", "[layer][gradcheck][translation]") {
  Upsample<double> nearest(2), nearest3(3), bilinear(2, UpsampleMode::bilinear), bilinear3(3, UpsampleMode::bilinear);
  require_gradients_match(nearest, Shape{2, 2, 3, 2});
  require_gradients_match(nearest3, Shape{1, 1, 2, 3});
  require_gradients_match(bilinear, Shape{2, 2, 3, 2});
  require_gradients_match(bilinear3, Shape{1, 2, 2, 3});
  require_gradients_match(bilinear, Shape{1, 1, 1, 1});  // every output reads the single pixel
  // Sequences (N, C, L) grow along L only.
  require_gradients_match(nearest, Shape{2, 3, 5});
  require_gradients_match(bilinear3, Shape{2, 2, 4});
}

TEMPLATE_TEST_CASE("Upsample on (N, C, L) sequences: PyTorch's nearest and linear along L", "[layer][translation]", float, double) {
  using S = TestType;
  // torch.nn.functional.interpolate(x, scale_factor=2, mode="linear") on [1, 2, 4]: src = 0, 0.25, 0.75, 1.25, 1.75,
  // 2.25 (clamped to index 2).
  Tensor<S> x(Shape{1, 1, 3}, std::vector<S>{1, 2, 4});
  Upsample<S> linear(2, UpsampleMode::bilinear), nearest(2);
  const Tensor<S>& y = linear.forward(x);
  REQUIRE(y.shape() == Shape{1, 1, 6});
  const std::vector<S> expected{1.0, 1.25, 1.75, 2.5, 3.5, 4.0};
  for (Index i = 0; i < 6; ++i) CHECK(y[i] == Approx(expected[static_cast<std::size_t>(i)]));
  const Tensor<S>& z = nearest.forward(Tensor<S>(Shape{2, 1, 2}, std::vector<S>{5, 6, 7, 8}));
  REQUIRE(z.shape() == Shape{2, 1, 4});
  const std::vector<S> repeated{5, 5, 6, 6, 7, 7, 8, 8};
  for (Index i = 0; i < 8; ++i) CHECK(z[i] == repeated[static_cast<std::size_t>(i)]);
  // An image after a sequence (and back) gets its own taps.
  REQUIRE(linear.forward(Tensor<S>(Shape{1, 1, 2, 2}, std::vector<S>{1, 2, 3, 4})).shape() == Shape{1, 1, 4, 4});
  REQUIRE(linear.forward(x)[1] == Approx(1.25));
}

TEMPLATE_TEST_CASE("Upsample bilinear on a 2x2 input follows PyTorch's align_corners=False formula", "[layer][translation]", float, double) {
  using S = TestType;
  Tensor<S> x(Shape{1, 1, 2, 2}, std::vector<S>{1, 2, 3, 4});
  Upsample<S> up(2, UpsampleMode::bilinear);
  CHECK(up.name() == "Upsample(2, bilinear)");
  const Tensor<S>& y = up.forward(x);
  REQUIRE(y.shape() == Shape{1, 1, 4, 4});
  // Along each axis, output d reads src = max(0, (d + 0.5) / 2 - 0.5) = 0, 0.25, 0.75, 1.25 (clamped to index 1), so
  // a row [a, b] becomes [a, 0.75a + 0.25b, 0.25a + 0.75b, b]: torch.nn.functional.interpolate(x, scale_factor=2,
  // mode="bilinear") gives exactly these values.
  const std::vector<S> expected{1.00, 1.25, 1.75, 2.00,  //
                                1.50, 1.75, 2.25, 2.50,  //
                                2.50, 2.75, 3.25, 3.50,  //
                                3.00, 3.25, 3.75, 4.00};
  for (Index i = 0; i < 16; ++i) REQUIRE(y[i] == Approx(expected[static_cast<std::size_t>(i)]));

  // Scale 3 along one axis of a 1x2 row: src = max(0, (d + 0.5) / 3 - 0.5) = 0, 0, 1/3, 2/3, 1, 4/3.
  Upsample<S> up3(3, UpsampleMode::bilinear);
  Tensor<S> row(Shape{1, 1, 1, 2}, std::vector<S>{0, 3});
  const Tensor<S>& z = up3.forward(row);
  REQUIRE(z.shape() == Shape{1, 1, 3, 6});
  const std::vector<S> expected3{0, 0, 1, 2, 3, 3};
  for (Index r = 0; r < 3; ++r)
    for (Index i = 0; i < 6; ++i) REQUIRE(z[r * 6 + i] == Approx(expected3[static_cast<std::size_t>(i)]));
}

TEMPLATE_TEST_CASE("Upsample nearest repeats each pixel scale x scale times", "[layer][translation]", float, double) {
  using S = TestType;
  const Tensor<S> x = test::iota<S>(Shape{2, 3, 2, 3});
  Upsample<S> up(3);
  CHECK(up.name() == "Upsample(3, nearest)");
  const Tensor<S>& y = up.forward(x);
  REQUIRE(y.shape() == Shape{2, 3, 6, 9});
  for (Index n = 0; n < 2; ++n)
    for (Index c = 0; c < 3; ++c)
      for (Index h = 0; h < 6; ++h)
        for (Index w = 0; w < 9; ++w) REQUIRE(y.at(n, c, h, w) == x.at(n, c, h / 3, w / 3));
  // Backward sums each 3x3 block.
  const Tensor<S>& g = up.backward(Tensor<S>(y.shape(), S(1)));
  REQUIRE(g.shape() == x.shape());
  CHECK(g.array().minCoeff() == S(9));
  CHECK(g.array().maxCoeff() == S(9));
}

TEMPLATE_TEST_CASE("Upsample rejects bad shapes and factors", "[layer][errors][translation]", float, double) {
  using S = TestType;
  Upsample<S> up(2, UpsampleMode::bilinear);
  CHECK_THROWS_WITH(up.forward(Tensor<S>(Shape{2, 12})), Catch::Contains("Upsample(2, bilinear)::forward()") &&
                                                             Catch::Contains("(N, C, H, W) or (N, C, L)") && Catch::Contains("(2, 12)"));
  up.forward(Tensor<S>(Shape{1, 1, 2, 2}));
  CHECK_THROWS_WITH(up.backward(Tensor<S>(Shape{1, 1, 2, 2})),
                    Catch::Contains("Upsample(2, bilinear)::backward()") && Catch::Contains("(1, 1, 4, 4)"));
  CHECK_THROWS_AS(Upsample<S>(0), argument_error);
  up.set_input_grad(false);
  CHECK(up.backward(Tensor<S>(Shape{1, 1, 4, 4})).size() == 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Dropout that stays on in eval mode, and Tanh as the image output

TEMPLATE_TEST_CASE("Dropout with DropoutMode::always keeps dropping in eval mode", "[layer][translation]", float, double) {
  using S = TestType;
  Tensor<S> ones(Shape{100, 100}, S(1));
  Dropout<S> usual(0.5, 3), always(0.5, 3, DropoutMode::always);
  CHECK(always.name() == "Dropout(0.500000, always)");
  CHECK(always.mode() == DropoutMode::always);
  usual.eval();
  always.eval();
  CHECK(usual.forward(ones).array().minCoeff() == S(1));
  const Tensor<S>& y = always.forward(ones);
  CHECK((y.array() == S(0)).count() == Approx(5000).epsilon(0.1));
  CHECK(y.array().mean() == Approx(1.0).epsilon(0.05));
  // In train mode both modes draw the same masks from the same seed.
  Dropout<S> a(0.3, 9), b(0.3, 9, DropoutMode::always);
  const Tensor<S>& ya = a.forward(ones);
  const Tensor<S>& yb = b.forward(ones);
  for (Index i = 0; i < ones.size(); ++i) REQUIRE(ya[i] == yb[i]);
}

TEST_CASE("gradient check: Dropout(always) in eval mode and Tanh on image maps", "[layer][gradcheck][translation]") {
  Dropout<double> always(0.4, 5, DropoutMode::always);
  always.eval();
  require_gradients_match(always, Shape{2, 3, 4, 4});
  Tanh<double> out;
  require_gradients_match(out, Shape{2, 3, 4, 4});
}

TEST_CASE("gradient check: a pix2pix-style block of the new layers in a Sequential", "[layer][gradcheck][translation]") {
  Sequential<double> net;
  net.emplace<ReflectionPad2d<double>>(1)
      .emplace<Conv2d<double>>(ConvOptions(2, 3, 3))
      .emplace<InstanceNorm2d<double>>(3, 1e-5, true)
      .emplace<ReLU<double>>()
      .emplace<Upsample<double>>(2, UpsampleMode::bilinear)
      .emplace<Dropout<double>>(0.5, 1, DropoutMode::always)
      .emplace<Conv2d<double>>(ConvOptions(3, 1, 3).with_padding(1))
      .emplace<Tanh<double>>();
  CHECK(net.output_shape(Shape{2, 2, 3, 3}) == Shape{2, 1, 6, 6});
  require_gradients_match(net, Shape{2, 2, 3, 3});
  net.eval();
  require_gradients_match(net, Shape{2, 2, 3, 3});
}
