// SPDX-License-Identifier: MIT
// PSNR and SSIM against hand-computed cases: identical images, constant offsets, and small images whose SSIM is
// computed here independently (a direct 2-d window, two-pass variances) and by a separate reference script.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/metrics.hpp>

#include <cmath>
#include <limits>
#include <vector>

using namespace ganpp;

namespace {

// Two deterministic (1, 1, h, w) images in [-1, 1].
template <typename Scalar>
Tensor<Scalar> image_a(Index h, Index w) {
  Tensor<Scalar> t(Shape{1, 1, h, w});
  for (Index y = 0; y < h; ++y)
    for (Index x = 0; x < w; ++x) t.at(0, 0, y, x) = static_cast<Scalar>(static_cast<double>((y * 7 + x * 3) % 11) / 5.0 - 1.0);
  return t;
}
template <typename Scalar>
Tensor<Scalar> image_b(Index h, Index w) {
  Tensor<Scalar> t(Shape{1, 1, h, w});
  for (Index y = 0; y < h; ++y)
    for (Index x = 0; x < w; ++x) t.at(0, 0, y, x) = static_cast<Scalar>(static_cast<double>((y * 5 + x * x) % 9) / 4.0 - 1.0);
  return t;
}

// The 11x11 window written out in two dimensions, exp(-(i^2 + j^2) / (2 * 1.5^2)) normalised to sum 1.
std::vector<double> window_2d() {
  std::vector<double> g(121);
  double sum = 0;
  for (int i = 0; i < 11; ++i)
    for (int j = 0; j < 11; ++j) sum += g[static_cast<std::size_t>(i * 11 + j)] = std::exp(-((i - 5) * (i - 5) + (j - 5) * (j - 5)) / 4.5);
  for (double& v : g) v /= sum;
  return g;
}

// SSIM of two single-channel images straight from the definition: weighted means, then two-pass weighted
// variances and covariance at every valid window position.
template <typename Scalar>
double ssim_direct(const Tensor<Scalar>& a, const Tensor<Scalar>& b, double range) {
  const std::vector<double> g = window_2d();
  const double c1 = (0.01 * range) * (0.01 * range), c2 = (0.03 * range) * (0.03 * range);
  double total = 0;
  int count = 0;
  for (Index y = 0; y + 11 <= a.dim(2); ++y)
    for (Index x = 0; x + 11 <= a.dim(3); ++x) {
      double ma = 0, mb = 0;
      for (int i = 0; i < 11; ++i)
        for (int j = 0; j < 11; ++j) {
          ma += g[static_cast<std::size_t>(i * 11 + j)] * a.at(0, 0, y + i, x + j);
          mb += g[static_cast<std::size_t>(i * 11 + j)] * b.at(0, 0, y + i, x + j);
        }
      double va = 0, vb = 0, cov = 0;
      for (int i = 0; i < 11; ++i)
        for (int j = 0; j < 11; ++j) {
          const double wt = g[static_cast<std::size_t>(i * 11 + j)], da = a.at(0, 0, y + i, x + j) - ma, db = b.at(0, 0, y + i, x + j) - mb;
          va += wt * da * da;
          vb += wt * db * db;
          cov += wt * da * db;
        }
      total += (2 * ma * mb + c1) * (2 * cov + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
      ++count;
    }
  return total / count;
}

}  // namespace

TEMPLATE_TEST_CASE("PSNR and SSIM of identical images: +infinity and 1", "[metrics][superres]", float, double) {
  Tensor<TestType> a(Shape{2, 3, 12, 14});
  Rng rng(1);
  rng.fill_uniform(a, -1, 1);
  CHECK(psnr(a, a, 2.0) == std::numeric_limits<double>::infinity());
  CHECK(ssim(a, a, 2.0) == Approx(1.0).epsilon(1e-12));
}

TEMPLATE_TEST_CASE("PSNR and SSIM under a constant offset", "[metrics][superres]", float, double) {
  SECTION("constant images 100 and 110 of 8-bit range: PSNR 10 log10(255^2 / 10^2), SSIM the luminance term") {
    const Tensor<TestType> a(Shape{1, 1, 11, 11}, TestType(100)), b(Shape{1, 1, 11, 11}, TestType(110));
    CHECK(psnr(a, b, 255.0) == Approx(10 * std::log10(255.0 * 255.0 / 100.0)).epsilon(1e-12));
    CHECK(psnr(a, b, 255.0) == Approx(28.130803608679106).epsilon(1e-12));
    // Zero variances: the contrast-structure term is C2 / C2 = 1, leaving (2 mu_a mu_b + C1) / (mu_a^2 + mu_b^2 + C1).
    const double c1 = 2.55 * 2.55;
    const double expected = (2 * 100.0 * 110.0 + c1) / (100.0 * 100.0 + 110.0 * 110.0 + c1);
    CHECK(ssim(a, b, 255.0) == Approx(expected).epsilon(1e-12));
    CHECK(expected == Approx(0.9954764440915066).epsilon(1e-14));
  }
  SECTION("a textured image plus 0.25 in [-1, 1]: PSNR from MSE 1/16, SSIM the mean luminance term over windows") {
    const Tensor<TestType> a = image_a<TestType>(13, 12);
    Tensor<TestType> b;
    b.assign(a);
    b.array() += TestType(0.25);
    const double tol = std::is_same_v<TestType, float> ? 1e-5 : 1e-12;
    CHECK(psnr(a, b, 2.0) == Approx(10 * std::log10(4.0 * 16.0)).epsilon(tol));
    // An offset leaves variances and covariance equal, so each window's SSIM is its luminance term.
    const std::vector<double> g = window_2d();
    const double c1 = 0.02 * 0.02;
    double expected = 0;
    for (Index y = 0; y < 3; ++y)
      for (Index x = 0; x < 2; ++x) {
        double mu = 0;
        for (int i = 0; i < 11; ++i)
          for (int j = 0; j < 11; ++j) mu += g[static_cast<std::size_t>(i * 11 + j)] * static_cast<double>(a.at(0, 0, y + i, x + j));
        const double mb = mu + 0.25;
        expected += (2 * mu * mb + c1) / (mu * mu + mb * mb + c1) / 6;
      }
    CHECK(ssim(a, b, 2.0) == Approx(expected).epsilon(std::is_same_v<TestType, float> ? 1e-5 : 1e-10));
  }
}

TEMPLATE_TEST_CASE("PSNR and SSIM of small images match independent computations", "[metrics][superres]", float, double) {
  const double tol = std::is_same_v<TestType, float> ? 1e-4 : 1e-10;
  SECTION("11x11: a single window") {
    const Tensor<TestType> a = image_a<TestType>(11, 11), b = image_b<TestType>(11, 11);
    CHECK(ssim(a, b, 2.0) == Approx(ssim_direct(a, b, 2.0)).epsilon(tol));
    CHECK(ssim(a, b, 2.0) == Approx(0.11267221786983844).epsilon(tol));  // from a separate reference script
    CHECK(psnr(a, b, 2.0) == Approx(6.712182710375437).epsilon(tol));
    CHECK(ssim(b, a, 2.0) == Approx(ssim(a, b, 2.0)).epsilon(1e-12));  // symmetric
  }
  SECTION("12x13: six windows") {
    const Tensor<TestType> a = image_a<TestType>(12, 13), b = image_b<TestType>(12, 13);
    CHECK(ssim(a, b, 2.0) == Approx(ssim_direct(a, b, 2.0)).epsilon(tol));
    CHECK(ssim(a, b, 2.0) == Approx(-0.01477296987552979).epsilon(std::is_same_v<TestType, float> ? 1e-3 : 1e-9));
    CHECK(psnr(a, b, 2.0) == Approx(6.734278311946086).epsilon(tol));
  }
}

TEMPLATE_TEST_CASE("PSNR averages per-image values; SSIM averages over windows, channels and images", "[metrics][superres]", float, double) {
  // Image 0 differs by 0.5 everywhere (MSE 1/4), image 1 by 1 (MSE 1): mean of 10 log10(16) and 10 log10(4).
  Tensor<TestType> a(Shape{2, 1, 2, 2}, TestType(0)), b(Shape{2, 1, 2, 2});
  for (Index i = 0; i < 4; ++i) {
    b[i] = TestType(0.5);
    b[4 + i] = TestType(-1);
  }
  CHECK(psnr(a, b, 2.0) == Approx((10 * std::log10(16.0) + 10 * std::log10(4.0)) / 2).epsilon(1e-12));
  CHECK(psnr(a, b, 2.0) != Approx(10 * std::log10(4.0 / 0.625)));  // not the PSNR of the pooled MSE
  // Two channels, two images: the mean of the four single-plane SSIMs.
  Tensor<TestType> x(Shape{2, 2, 11, 12}), y(Shape{2, 2, 11, 12});
  Rng rng(3);
  rng.fill_uniform(x, -1, 1);
  rng.fill_uniform(y, -1, 1);
  double mean = 0;
  for (Index p = 0; p < 4; ++p) {
    Tensor<TestType> xp(Shape{1, 1, 11, 12}), yp(Shape{1, 1, 11, 12});
    std::copy(x.begin() + p * 132, x.begin() + (p + 1) * 132, xp.begin());
    std::copy(y.begin() + p * 132, y.begin() + (p + 1) * 132, yp.begin());
    mean += ssim(xp, yp, 2.0) / 4;
  }
  CHECK(ssim(x, y, 2.0) == Approx(mean).epsilon(1e-12));
}

TEMPLATE_TEST_CASE("PSNR and SSIM: bad shapes and ranges name the function and both shapes", "[metrics][errors][superres]", float, double) {
  using T = Tensor<TestType>;
  CHECK_THROWS_WITH(psnr(T(Shape{2, 1, 28, 28}), T(Shape{2, 1, 28, 27}), 2.0),
                    Catch::Contains("psnr()") && Catch::Contains("(2, 1, 28, 28)") && Catch::Contains("(2, 1, 28, 27)"));
  CHECK_THROWS_AS(psnr(T(Shape{0, 1, 4, 4}), T(Shape{0, 1, 4, 4}), 2.0), shape_error);
  CHECK_THROWS_AS(psnr(T(Shape{4}), T(Shape{4}), 2.0), shape_error);
  CHECK_THROWS_AS(psnr(T(Shape{1, 4}), T(Shape{1, 4}), 0.0), argument_error);
  CHECK_THROWS_WITH(ssim(T(Shape{1, 3, 12, 12}), T(Shape{1, 1, 12, 12}), 2.0),
                    Catch::Contains("ssim()") && Catch::Contains("(1, 3, 12, 12)") && Catch::Contains("(1, 1, 12, 12)"));
  CHECK_THROWS_WITH(ssim(T(Shape{1, 1, 7, 7}), T(Shape{1, 1, 7, 7}), 2.0), Catch::Contains("ssim()") && Catch::Contains("H, W >= 11") && Catch::Contains("(1, 1, 7, 7)"));
  CHECK_THROWS_AS(ssim(T(Shape{2, 144}), T(Shape{2, 144}), 2.0), shape_error);
  CHECK_THROWS_AS(ssim(T(Shape{1, 1, 11, 11}), T(Shape{1, 1, 11, 11}), -1.0), argument_error);
  SsimOptions even;
  even.window = 10;
  CHECK_THROWS_AS(ssim(T(Shape{1, 1, 11, 11}), T(Shape{1, 1, 11, 11}), 2.0, even), argument_error);
}
