// SPDX-License-Identifier: MIT
// MaxPool2d and AvgPool2d: gradient checks in double, forward and backward values on hand-computed cases (the
// values torch.nn.functional.max_pool2d / avg_pool2d give), errors, and a model with pooling in a checkpoint.
#include "support.hpp"

#include <ganpp/model_io.hpp>

#include <cmath>
#include <limits>

using namespace ganpp;
using test::random_tensor;
using test::require_gradients_match;

namespace {

// A 4x4 plane whose windows have different winners and sums.
template <typename S>
Tensor<S> plane() {
  return Tensor<S>(Shape{1, 1, 4, 4}, std::vector<S>{3, -1, 4, 1,  //
                                                     -5, 9, 2, -6,  //
                                                     5, 3, -5, 8,   //
                                                     -9, 7, 9, -3});
}

template <typename S>
void require_values(const Tensor<S>& y, const Shape& shape, const std::vector<double>& expected) {
  REQUIRE(y.shape() == shape);
  for (Index i = 0; i < y.size(); ++i) REQUIRE(static_cast<double>(y[i]) == Approx(expected[static_cast<std::size_t>(i)]));
}

}  // namespace

TEST_CASE("gradient check: MaxPool2d and AvgPool2d, with stride, padding and overlapping windows", "[layer][gradcheck][pooling]") {
  MaxPool2d<double> max2(2), max3(3, 2, 1), max_overlap(2, 1), max_tall(3, 1, 1);
  require_gradients_match(max2, Shape{2, 3, 4, 6});
  require_gradients_match(max3, Shape{2, 2, 5, 4});
  require_gradients_match(max_overlap, Shape{1, 2, 3, 5});
  require_gradients_match(max_tall, Shape{2, 1, 3, 3});
  AvgPool2d<double> avg2(2), avg3(3, 2, 1), avg3_exclude(3, 2, 1, false), avg_overlap(2, 1);
  require_gradients_match(avg2, Shape{2, 3, 4, 6});
  require_gradients_match(avg3, Shape{2, 2, 5, 4});
  require_gradients_match(avg3_exclude, Shape{2, 2, 5, 4});
  require_gradients_match(avg_overlap, Shape{1, 2, 3, 5});
  require_gradients_match(avg2, Shape{1, 1, 3, 3});  // the last row and column fall outside every window
}

TEMPLATE_TEST_CASE("MaxPool2d takes each window's maximum, padding never winning", "[layer][pooling]", float, double) {
  using S = TestType;
  const Tensor<S> x = plane<S>();
  MaxPool2d<S> pool2(2), pool3(3, 2, 1);
  CHECK(pool2.name() == "MaxPool2d(k2 s2 p0)");
  CHECK(pool3.name() == "MaxPool2d(k3 s2 p1)");
  CHECK((pool2.kernel() == 2 && pool2.stride() == 2 && pool2.padding() == 0));
  require_values(pool2.forward(x), Shape{1, 1, 2, 2}, {9, 4, 7, 9});
  // Windows rows [0, 2) and [1, 4), likewise columns: the 9 at (1, 1) wins all four, the first of the two 9s in the last.
  require_values(pool3.forward(x), Shape{1, 1, 2, 2}, {9, 9, 9, 9});
  const Tensor<S>& g = pool3.backward(Tensor<S>(Shape{1, 1, 2, 2}, std::vector<S>{1, 2, 3, 4}));
  std::vector<double> expected(16, 0.0);
  expected[5] = 10;  // every window's gradient lands on the winner they share
  require_values(g, x.shape(), expected);
  // Ties go to the first pixel; a NaN in the window is the result.
  MaxPool2d<S> whole(2);
  whole.forward(Tensor<S>(Shape{1, 1, 2, 2}, S(1)));
  require_values(whole.backward(Tensor<S>(Shape{1, 1, 1, 1}, S(1))), Shape{1, 1, 2, 2}, {1, 0, 0, 0});
  const S nan = std::numeric_limits<S>::quiet_NaN();
  CHECK(std::isnan(whole.forward(Tensor<S>(Shape{1, 1, 2, 2}, std::vector<S>{1, nan, 2, 3}))[0]));
  // Non-square input, stride 1: (3 - 2) / 1 + 1 = 2 rows and (5 - 2) / 1 + 1 = 4 columns, over several planes.
  MaxPool2d<S> slide(2, 1);
  const Tensor<S> r = random_tensor<S>(Shape{2, 3, 3, 5}, 4);
  const Tensor<S>& y = slide.forward(r);
  REQUIRE(y.shape() == Shape{2, 3, 2, 4});
  for (Index n = 0; n < 2; ++n)
    for (Index c = 0; c < 3; ++c)
      for (Index h = 0; h < 2; ++h)
        for (Index w = 0; w < 4; ++w)
          REQUIRE(y.at(n, c, h, w) == std::max({r.at(n, c, h, w), r.at(n, c, h, w + 1), r.at(n, c, h + 1, w), r.at(n, c, h + 1, w + 1)}));
}

TEMPLATE_TEST_CASE("AvgPool2d averages each window, with or without the padding in the count", "[layer][pooling]", float, double) {
  using S = TestType;
  const Tensor<S> x = plane<S>();
  AvgPool2d<S> pool2(2), with_pad(3, 2, 1), without_pad(3, 2, 1, false);
  CHECK(pool2.name() == "AvgPool2d(k2 s2 p0)");
  CHECK((with_pad.count_include_pad() && !without_pad.count_include_pad()));
  require_values(pool2.forward(x), Shape{1, 1, 2, 2}, {6 / 4.0, 1 / 4.0, 6 / 4.0, 9 / 4.0});
  // Window sums 6, 9, 10 and 24 over 4, 6, 6 and 9 input pixels.
  require_values(with_pad.forward(x), Shape{1, 1, 2, 2}, {6 / 9.0, 9 / 9.0, 10 / 9.0, 24 / 9.0});
  require_values(without_pad.forward(x), Shape{1, 1, 2, 2}, {6 / 4.0, 9 / 6.0, 10 / 6.0, 24 / 9.0});
  // Backward spreads each gradient evenly: with stride = kernel every input pixel gets its window's dy / 4.
  const Tensor<S>& g = pool2.backward(Tensor<S>(Shape{1, 1, 2, 2}, std::vector<S>{4, 8, 12, 16}));
  require_values(g, x.shape(), {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
}

TEMPLATE_TEST_CASE("MaxPool2d and AvgPool2d reject bad options and shapes", "[layer][errors][pooling]", float, double) {
  using S = TestType;
  CHECK_THROWS_WITH(MaxPool2d<S>(0), Catch::Contains("MaxPool2d::MaxPool2d()") && Catch::Contains("kernel 0"));
  CHECK_THROWS_AS(MaxPool2d<S>(2, -1), argument_error);
  CHECK_THROWS_WITH(AvgPool2d<S>(3, 2, 2), Catch::Contains("AvgPool2d::AvgPool2d()") && Catch::Contains("padding 2"));
  CHECK_THROWS_AS(AvgPool2d<S>(2, 2, -1), argument_error);
  MaxPool2d<S> max(3);
  AvgPool2d<S> avg(3, 1, 1);
  CHECK_THROWS_WITH(max.forward(Tensor<S>(Shape{2, 12})), Catch::Contains("MaxPool2d(k3 s3 p0)::forward()") && Catch::Contains("(2, 12)"));
  CHECK_THROWS_WITH(max.forward(Tensor<S>(Shape{1, 1, 2, 5})), Catch::Contains("(1, 1, 2, 5)") && Catch::Contains(">= 3"));
  CHECK_THROWS_WITH(max.backward(Tensor<S>(Shape{1, 1, 1, 1})), Catch::Contains("MaxPool2d(k3 s3 p0)::backward()"));  // before any forward
  CHECK_THROWS_WITH(avg.backward(Tensor<S>(Shape{1, 1, 1, 1})), Catch::Contains("AvgPool2d(k3 s1 p1)::backward()"));
  max.forward(Tensor<S>(Shape{2, 3, 6, 6}));
  CHECK_THROWS_WITH(max.backward(Tensor<S>(Shape{2, 3, 3, 3})), Catch::Contains("(2, 3, 3, 3)") && Catch::Contains("(2, 3, 2, 2)"));
  max.set_input_grad(false);
  CHECK(max.backward(Tensor<S>(Shape{2, 3, 2, 2})).size() == 0);
  avg.forward(Tensor<S>(Shape{1, 2, 2, 2}));  // padding 1 makes a 2x2 plane big enough for a 3x3 window
  avg.set_input_grad(false);
  CHECK(avg.backward(Tensor<S>(Shape{1, 2, 2, 2})).size() == 0);
}

TEST_CASE("A network with pooling names the pooling layer in shape errors and survives a checkpoint", "[layer][pooling][checkpoint]") {
  const auto net = [] {
    Sequential<float> s;
    s.emplace<Conv2d<float>>(ConvOptions(1, 4, 3).with_padding(1)).emplace<ReLU<float>>().emplace<MaxPool2d<float>>(2);
    s.emplace<Conv2d<float>>(ConvOptions(4, 4, 3).with_padding(1)).emplace<AvgPool2d<float>>(2).emplace<Flatten<float>>().emplace<Linear<float>>(4 * 2 * 2, 1);
    return s;
  };
  Discriminator<float> d(net(), Shape{1, 8, 8});
  CHECK_THROWS_WITH(d.net().output_shape(Shape{1, 1, 1, 1}), Catch::Contains("MaxPool2d(k2 s2 p0)"));
  d.reset_parameters(Init::kaiming, 3);
  const Tensor<float> x = random_tensor<float>(Shape{5, 1, 8, 8}, 9);
  const Tensor<float> before = d.forward(x);
  test::TempDir dir;
  Checkpoint c;
  save_model(c, "d", d);
  c.save(dir.file("pool.ganpp"));
  Discriminator<float> d2(net(), Shape{1, 8, 8});
  load_model(Checkpoint::load(dir.file("pool.ganpp")), "d", d2);
  CHECK((d2.forward(x).array() == before.array()).all());
}

TEST_CASE("MaxPool2d and AvgPool2d agree with a single thread on a large batch", "[layer][pooling]") {
  // Large enough for the planes to be split across threads; the result must not depend on it.
  const Tensor<float> x = random_tensor<float>(Shape{64, 8, 16, 16}, 5), dy = random_tensor<float>(Shape{64, 8, 8, 8}, 6);
  for (int kind = 0; kind < 2; ++kind) {
    MaxPool2d<float> m1(2), m2(2);
    AvgPool2d<float> a1(2), a2(2);
    Layer<float>& one = kind ? static_cast<Layer<float>&>(m1) : a1;
    Layer<float>& two = kind ? static_cast<Layer<float>&>(m2) : a2;
    const int threads = num_threads();
    set_num_threads(1);
    const Tensor<float> y1 = one.forward(x), g1 = one.backward(dy);
    set_num_threads(std::max(threads, 2));
    const Tensor<float>& y2 = two.forward(x);
    CHECK((y2.array() == y1.array()).all());
    CHECK((two.backward(dy).array() == g1.array()).all());
    set_num_threads(threads);
  }
}
