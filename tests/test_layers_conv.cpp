// SPDX-License-Identifier: MIT
// Conv2d and ConvTranspose2d: gradients against finite differences, and the im2col + GEMM implementation against
// a plain loop implementation of the definition on random shapes.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include "support.hpp"

#include <ganpp/detail/im2col.hpp>

using namespace ganpp;
using test::random_tensor;
using test::require_gradients_match;
using T = double;  // for the gradient checks: central differences need double, float's rounding swamps a 1e-6 step

namespace {

// y[n][o][i][j] = b[o] + sum_{c,u,v} x[n][c][i*s - p + u][j*s - p + v] * w[o][c][u][v]
Tensor<double> reference_conv(const Tensor<double>& x, const Tensor<double>& w, const Tensor<double>& b, Index s, Index p) {
  const Index n_batch = x.dim(0), cin = x.dim(1), h = x.dim(2), wd = x.dim(3), cout = w.dim(0), k = w.dim(2);
  const Index oh = (h + 2 * p - k) / s + 1, ow = (wd + 2 * p - k) / s + 1;
  Tensor<double> y(Shape{n_batch, cout, oh, ow});
  for (Index n = 0; n < n_batch; ++n)
    for (Index o = 0; o < cout; ++o)
      for (Index i = 0; i < oh; ++i)
        for (Index j = 0; j < ow; ++j) {
          double acc = b.size() ? b[o] : 0.0;
          for (Index c = 0; c < cin; ++c)
            for (Index u = 0; u < k; ++u)
              for (Index v = 0; v < k; ++v) {
                const Index r = i * s - p + u, q = j * s - p + v;
                if (r >= 0 && r < h && q >= 0 && q < wd) acc += x.at(n, c, r, q) * w.at(o, c, u, v);
              }
          y.at(n, o, i, j) = acc;
        }
  return y;
}

// Transposed convolution by scattering: y[n][o][i*s - p + u][j*s - p + v] += x[n][c][i][j] * w[c][o][u][v]
Tensor<double> reference_conv_transpose(const Tensor<double>& x, const Tensor<double>& w, const Tensor<double>& b, Index s, Index p, Index op) {
  const Index n_batch = x.dim(0), cin = x.dim(1), h = x.dim(2), wd = x.dim(3), cout = w.dim(1), k = w.dim(2);
  const Index oh = (h - 1) * s - 2 * p + k + op, ow = (wd - 1) * s - 2 * p + k + op;
  Tensor<double> y(Shape{n_batch, cout, oh, ow});
  for (Index n = 0; n < n_batch; ++n)
    for (Index o = 0; o < cout; ++o)
      for (Index i = 0; i < oh; ++i)
        for (Index j = 0; j < ow; ++j) y.at(n, o, i, j) = b.size() ? b[o] : 0.0;
  for (Index n = 0; n < n_batch; ++n)
    for (Index c = 0; c < cin; ++c)
      for (Index i = 0; i < h; ++i)
        for (Index j = 0; j < wd; ++j)
          for (Index o = 0; o < cout; ++o)
            for (Index u = 0; u < k; ++u)
              for (Index v = 0; v < k; ++v) {
                const Index r = i * s - p + u, q = j * s - p + v;
                if (r >= 0 && r < oh && q >= 0 && q < ow) y.at(n, o, r, q) += x.at(n, c, i, j) * w.at(c, o, u, v);
              }
  return y;
}

// The same values in double, for the reference.
template <typename S>
Tensor<double> to_double(const Tensor<S>& t) {
  Tensor<double> d(t.shape());
  for (Index i = 0; i < t.size(); ++i) d[i] = static_cast<double>(t[i]);
  return d;
}

// Sums of up to 64 products of N(0, 1)-sized values: float rounds them to about 1e-5.
template <typename S>
double tolerance() {
  return std::is_same_v<S, float> ? 1e-4 : 1e-12;
}

double max_abs_diff(const Tensor<double>& a, const Tensor<double>& b) {
  REQUIRE(a.shape() == b.shape());
  return (a.array() - b.array()).abs().maxCoeff();
}

}  // namespace

TEST_CASE("gradient check: Conv2d", "[layer][gradcheck]") {
  Conv2d<T> a(ConvOptions(2, 3, 3));
  Conv2d<T> b(ConvOptions(3, 2, 4).with_stride(2).with_padding(1).with_bias(false));
  Conv2d<T> c(ConvOptions(1, 2, 2).with_stride(3).with_padding(2));
  require_gradients_match(a, Shape{2, 2, 5, 4});
  require_gradients_match(b, Shape{2, 3, 6, 7});
  require_gradients_match(c, Shape{2, 1, 5, 5});
  // The window covers the whole image (a 1x1 output, as DCGAN's last layer): the fully-connected fast path.
  Conv2d<T> d(ConvOptions(3, 2, 3));
  Conv2d<T> e(ConvOptions(2, 3, 2).with_stride(2).with_bias(false));
  require_gradients_match(d, Shape{2, 3, 3, 3});
  require_gradients_match(e, Shape{3, 2, 2, 2});
}

TEST_CASE("gradient check: ConvTranspose2d", "[layer][gradcheck]") {
  ConvTranspose2d<T> a(ConvOptions(3, 2, 4).with_stride(2).with_padding(1).with_bias(false));
  ConvTranspose2d<T> b(ConvOptions(2, 3, 3).with_stride(2).with_padding(1).with_output_padding(1));
  ConvTranspose2d<T> c(ConvOptions(4, 2, 4));  // 1x1 -> 4x4, as the DCGAN generator's first layer
  require_gradients_match(a, Shape{2, 3, 3, 4});
  require_gradients_match(b, Shape{2, 2, 3, 3});
  require_gradients_match(c, Shape{3, 4, 1, 1});
}

TEMPLATE_TEST_CASE("Conv2d matches the definition on random shapes", "[layer][conv]", float, double) {
  using S = TestType;
  Rng shapes(2024);
  for (int trial = 0; trial < 40; ++trial) {
    const Index k = 1 + static_cast<Index>(shapes.below(4)), s = 1 + static_cast<Index>(shapes.below(3));
    const Index p = static_cast<Index>(shapes.below(static_cast<std::uint64_t>(k)));
    const Index cin = 1 + static_cast<Index>(shapes.below(4)), cout = 1 + static_cast<Index>(shapes.below(5));
    const Index h = k + static_cast<Index>(shapes.below(7)), w = k + static_cast<Index>(shapes.below(7));
    const Index n = 1 + static_cast<Index>(shapes.below(3));
    const bool bias = shapes.below(2) == 1;
    Conv2d<S> conv(ConvOptions(cin, cout, k).with_stride(s).with_padding(p).with_bias(bias));
    Rng values(static_cast<std::uint64_t>(trial));
    conv.reset_parameters(Init::kaiming, values);
    if (bias) values.fill_normal(conv.bias());
    Tensor<S> x(Shape{n, cin, h, w});
    values.fill_normal(x);
    INFO(conv.name() << " on " << x.shape().str());
    CHECK(max_abs_diff(to_double(conv.forward(x)), reference_conv(to_double(x), to_double(conv.weight()), to_double(conv.bias()), s, p)) <
          tolerance<S>());
  }
}

TEMPLATE_TEST_CASE("ConvTranspose2d matches the definition on random shapes", "[layer][conv]", float, double) {
  using S = TestType;
  Rng shapes(7);
  for (int trial = 0; trial < 40; ++trial) {
    const Index k = 1 + static_cast<Index>(shapes.below(4)), s = 1 + static_cast<Index>(shapes.below(3));
    const Index p = static_cast<Index>(shapes.below(static_cast<std::uint64_t>(k)));
    const Index op = s > 1 ? static_cast<Index>(shapes.below(static_cast<std::uint64_t>(s))) : 0;
    const Index cin = 1 + static_cast<Index>(shapes.below(4)), cout = 1 + static_cast<Index>(shapes.below(5));
    const Index h = 1 + static_cast<Index>(shapes.below(5)), w = 1 + static_cast<Index>(shapes.below(5));
    const Index n = 1 + static_cast<Index>(shapes.below(3));
    const bool bias = shapes.below(2) == 1;
    if ((h - 1) * s - 2 * p + k + op < 1 || (w - 1) * s - 2 * p + k + op < 1) continue;
    ConvTranspose2d<S> conv(ConvOptions(cin, cout, k).with_stride(s).with_padding(p).with_output_padding(op).with_bias(bias));
    Rng values(static_cast<std::uint64_t>(trial));
    conv.reset_parameters(Init::kaiming, values);
    if (bias) values.fill_normal(conv.bias());
    Tensor<S> x(Shape{n, cin, h, w});
    values.fill_normal(x);
    INFO(conv.name() << " on " << x.shape().str());
    CHECK(max_abs_diff(to_double(conv.forward(x)),
                       reference_conv_transpose(to_double(x), to_double(conv.weight()), to_double(conv.bias()), s, p, op)) < tolerance<S>());
  }
}

TEST_CASE("im2col and col2im: gathering through the tap tables gives the row loops' bits", "[layer][conv]") {
  Rng shapes(99);
  detail::TapTable taps;
  for (int trial = 0; trial < 60; ++trial) {
    const bool one_d = trial % 4 == 3;
    const Index k = 1 + static_cast<Index>(shapes.below(5)), s = 1 + static_cast<Index>(shapes.below(3));
    const Index p = static_cast<Index>(shapes.below(static_cast<std::uint64_t>(k)));
    const Index c = 1 + static_cast<Index>(shapes.below(3)), n = 1 + static_cast<Index>(shapes.below(3));
    const Index h = one_d ? 1 : k + static_cast<Index>(shapes.below(30)), w = k + static_cast<Index>(shapes.below(30));
    const Index oh = one_d ? 1 : (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
    detail::ConvGeometry g{c, h, w, k, s, p, oh, ow, one_d};
    Tensor<float> x(Shape{n, c, h, w});
    Rng values(static_cast<std::uint64_t>(trial));
    values.fill_normal(x);
    std::vector<float> by_rows(static_cast<std::size_t>(g.rows() * n * g.grid()), -1.0f), gathered(by_rows.size(), -2.0f);
    detail::im2col_rows(x.data(), n, g, by_rows.data());
    detail::im2col_gather(x.data(), n, g, gathered.data(), taps.offsets(g));
    INFO("c " << c << " h " << h << " w " << w << " k " << k << " s " << s << " p " << p << (one_d ? " (1-d)" : ""));
    CHECK(by_rows == gathered);
    // And the adjoint: the same sums in the same order, so the same bits.
    Tensor<float> image_by_rows(x.shape(), -1.0f), image_gathered(x.shape(), -2.0f);
    detail::col2im_rows(by_rows.data(), n, g, image_by_rows.data());
    detail::col2im_gather(by_rows.data(), n, g, image_gathered.data(), taps.sources(g, n));
    CHECK(std::equal(image_by_rows.data(), image_by_rows.data() + image_by_rows.size(), image_gathered.data()));
  }
}
