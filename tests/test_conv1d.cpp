// SPDX-License-Identifier: MIT
// Conv1d and ConvTranspose1d: gradients against finite differences in double, and the forward pass against a loop
// implementation of the definition on random shapes.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/layers/conv1d.hpp>

#include "support.hpp"

using namespace ganpp;
using test::require_gradients_match;

namespace {

// y[n][o][i] = b[o] + sum_{c,u} x[n][c][i*s - p + u] * w[o][c][u]
std::vector<double> reference_conv1d(const Tensor<double>& x, const Tensor<double>& w, const Tensor<double>& b, Index s, Index p) {
  const Index nb = x.dim(0), cin = x.dim(1), len = x.dim(2), cout = w.dim(0), k = w.dim(2), ol = (len + 2 * p - k) / s + 1;
  std::vector<double> y(static_cast<std::size_t>(nb * cout * ol));
  for (Index n = 0; n < nb; ++n)
    for (Index o = 0; o < cout; ++o)
      for (Index i = 0; i < ol; ++i) {
        double acc = b.size() ? b[o] : 0.0;
        for (Index c = 0; c < cin; ++c)
          for (Index u = 0; u < k; ++u) {
            const Index at = i * s - p + u;
            if (at >= 0 && at < len) acc += x[(n * cin + c) * len + at] * w[(o * cin + c) * k + u];
          }
        y[static_cast<std::size_t>((n * cout + o) * ol + i)] = acc;
      }
  return y;
}

// y[n][o][i*s - p + u] += x[n][c][i] * w[c][o][u], cropped to the output length.
std::vector<double> reference_conv_transpose1d(const Tensor<double>& x, const Tensor<double>& w, const Tensor<double>& b, Index s, Index p,
                                               Index op) {
  const Index nb = x.dim(0), cin = x.dim(1), len = x.dim(2), cout = w.dim(1), k = w.dim(2), ol = (len - 1) * s - 2 * p + k + op;
  std::vector<double> y(static_cast<std::size_t>(nb * cout * ol));
  for (Index n = 0; n < nb; ++n)
    for (Index o = 0; o < cout; ++o) {
      for (Index i = 0; i < ol; ++i) y[static_cast<std::size_t>((n * cout + o) * ol + i)] = b.size() ? b[o] : 0.0;
      for (Index c = 0; c < cin; ++c)
        for (Index i = 0; i < len; ++i)
          for (Index u = 0; u < k; ++u) {
            const Index at = i * s - p + u;
            if (at >= 0 && at < ol) y[static_cast<std::size_t>((n * cout + o) * ol + at)] += x[(n * cin + c) * len + i] * w[(c * cout + o) * k + u];
          }
    }
  return y;
}

Tensor<double> random_input(Rng& rng, const Shape& s) {
  Tensor<double> x(s);
  rng.fill_normal(x);
  return x;
}

}  // namespace

TEST_CASE("gradient check: Conv1d", "[layer][gradcheck]") {
  Conv1d<double> a(ConvOptions(2, 3, 3).with_padding(1)), b(ConvOptions(3, 2, 4).with_stride(2).with_padding(2)),
      c(ConvOptions(1, 2, 1).with_bias(false));
  require_gradients_match(a, Shape{2, 2, 7});
  require_gradients_match(b, Shape{2, 3, 9});
  require_gradients_match(c, Shape{3, 1, 5});
  Conv1d<double> d(ConvOptions(2, 3, 4));  // the window covers the whole sequence: the fully-connected fast path
  require_gradients_match(d, Shape{2, 2, 4});
}

TEST_CASE("gradient check: ConvTranspose1d", "[layer][gradcheck]") {
  ConvTranspose1d<double> a(ConvOptions(2, 3, 4).with_stride(2).with_padding(1)), b(ConvOptions(3, 2, 3).with_stride(3).with_output_padding(2)),
      c(ConvOptions(2, 1, 1).with_bias(false));
  require_gradients_match(a, Shape{2, 2, 6});
  require_gradients_match(b, Shape{2, 3, 4});
  require_gradients_match(c, Shape{3, 2, 1});
}

TEST_CASE("Conv1d and ConvTranspose1d match the definition on random shapes", "[layer][conv]") {
  Rng shapes(31);
  for (int trial = 0; trial < 40; ++trial) {
    const Index k = 1 + static_cast<Index>(shapes.below(5)), s = 1 + static_cast<Index>(shapes.below(3));
    const Index p = static_cast<Index>(shapes.below(static_cast<std::uint64_t>(k)));
    const Index op = s > 1 ? static_cast<Index>(shapes.below(static_cast<std::uint64_t>(s))) : 0;
    const Index cin = 1 + static_cast<Index>(shapes.below(4)), cout = 1 + static_cast<Index>(shapes.below(4));
    const Index n = 1 + static_cast<Index>(shapes.below(3)), len = k + static_cast<Index>(shapes.below(9));
    const bool bias = shapes.below(2) == 1;
    Rng values(static_cast<std::uint64_t>(trial));
    Conv1d<double> conv(ConvOptions(cin, cout, k).with_stride(s).with_padding(p).with_bias(bias));
    conv.reset_parameters(Init::kaiming, values);
    if (bias) values.fill_normal(conv.bias());
    const Tensor<double> x = random_input(values, Shape{n, cin, len});
    INFO(conv.name() << " on " << x.shape().str());
    const auto want = reference_conv1d(x, conv.weight(), conv.bias(), s, p);
    const Tensor<double>& y = conv.forward(x);
    REQUIRE(static_cast<std::size_t>(y.size()) == want.size());
    for (Index i = 0; i < y.size(); ++i) CHECK(y[i] == Approx(want[static_cast<std::size_t>(i)]).margin(1e-12));

    ConvTranspose1d<double> tconv(ConvOptions(cin, cout, k).with_stride(s).with_padding(p).with_output_padding(op).with_bias(bias));
    tconv.reset_parameters(Init::kaiming, values);
    if (bias) values.fill_normal(tconv.bias());
    const Tensor<double> tx = random_input(values, Shape{n, cin, 1 + static_cast<Index>(shapes.below(6))});
    if ((tx.dim(2) - 1) * s - 2 * p + k + op < 1) continue;
    INFO(tconv.name() << " on " << tx.shape().str());
    const auto twant = reference_conv_transpose1d(tx, tconv.weight(), tconv.bias(), s, p, op);
    const Tensor<double>& ty = tconv.forward(tx);
    REQUIRE(static_cast<std::size_t>(ty.size()) == twant.size());
    for (Index i = 0; i < ty.size(); ++i) CHECK(ty[i] == Approx(twant[static_cast<std::size_t>(i)]).margin(1e-12));
  }
}

TEST_CASE("Conv1d and ConvTranspose1d: wrong shapes and options name the layer") {
  Conv1d<float> conv(ConvOptions(2, 3, 5));
  CHECK_THROWS_WITH(conv.forward(Tensor<float>(Shape{1, 2, 3})), Catch::Contains("Conv1d(2 -> 3, k5 s1 p0)::forward(): expected (N, 2, L)"));
  CHECK_THROWS_AS(conv.forward(Tensor<float>(Shape{1, 2, 8, 8})), shape_error);
  CHECK_THROWS_AS(Conv1d<float>(ConvOptions(2, 3, 1).with_output_padding(1)), argument_error);
  CHECK_THROWS_AS(ConvTranspose1d<float>(ConvOptions(2, 3, 2).with_output_padding(1)), argument_error);
  ConvTranspose1d<float> t(ConvOptions(2, 3, 4).with_stride(2).with_padding(1));
  CHECK(t.output_shape(Shape{5, 2, 12}) == Shape{5, 3, 24});  // the DCGAN-style doubling
}
