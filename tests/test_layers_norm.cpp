// SPDX-License-Identifier: MIT
// The normalization layers: BatchNorm, SpectralNorm and MinibatchStdDev, with gradients against finite differences.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include <Eigen/SVD>

#include "support.hpp"

using namespace ganpp;
using test::require_gradients_match;
using test::numeric_derivative;
using test::random_tensor;
using test::randomize;
using test::rel_error;
using T = double;  // for the gradient checks: central differences need double, float's rounding swamps a 1e-6 step

TEST_CASE("gradient check: BatchNorm in train and eval mode", "[layer][gradcheck]") {
  BatchNorm<T> bn1(4), bn2(3);
  require_gradients_match(bn1, Shape{5, 4});
  require_gradients_match(bn2, Shape{3, 3, 2, 3});
  BatchNorm<T> eval(3);
  eval.forward(random_tensor(Shape{4, 3, 2, 2}, 3));  // gives running statistics something to hold
  eval.eval();
  require_gradients_match(eval, Shape{2, 3, 2, 2});
}

TEMPLATE_TEST_CASE("BatchNorm normalises in train mode and uses running statistics in eval mode", "[layer]", float, double) {
  using T = TestType;
  const double margin = std::is_same_v<T, float> ? 1e-6 : 1e-12;
  BatchNorm<T> bn(2, 1e-5, 1.0);  // momentum 1: running statistics = last batch's
  Tensor<T> x(Shape{4, 2}, std::vector<T>{1, 10, 2, 20, 3, 30, 4, 40});
  const Tensor<T>& y = bn.forward(x);
  double mean0 = 0;
  for (int n = 0; n < 4; ++n) mean0 += y[n * 2] / 4;
  CHECK(mean0 == Approx(0).margin(margin));
  auto buffers = bn.buffers();
  CHECK((*buffers[0].value)[1] == Approx(25));
  CHECK((*buffers[1].value)[0] == Approx(5.0 / 3.0));  // unbiased variance of 1, 2, 3, 4
  bn.eval();
  Tensor<T> one(Shape{1, 2}, std::vector<T>{T(2.5), T(25)});
  const Tensor<T>& z = bn.forward(one);
  CHECK(z[0] == Approx(0).margin(margin));
  CHECK(z[1] == Approx(0).margin(margin));
  CHECK_THROWS_AS(BatchNorm<T>(2).forward(Tensor<T>(Shape{1, 2})), argument_error);
}

TEST_CASE("spectral norm: sigma converges to the largest singular value and eval mode keeps u", "[layer]") {
  Linear<T>* raw = nullptr;
  auto inner = std::make_unique<Linear<T>>(7, 5);
  raw = inner.get();
  SpectralNorm<T> sn(std::move(inner));
  randomize(sn, 3);
  const Tensor<T> x = random_tensor(Shape{4, 7}, 4);
  for (int i = 0; i < 200; ++i) sn.forward(x);
  Eigen::MatrixXd w = sn.weight_orig().matrix(7, 5).transpose();
  const double top = Eigen::JacobiSVD<Eigen::MatrixXd>(w).singularValues()(0);
  CHECK(sn.sigma() == Approx(top).epsilon(1e-9));
  // The wrapped layer computed with W / sigma, whose spectral norm is 1.
  Eigen::MatrixXd wn = raw->weight().matrix(7, 5).transpose();
  CHECK(Eigen::JacobiSVD<Eigen::MatrixXd>(wn).singularValues()(0) == Approx(1.0).epsilon(1e-9));
  // Eval mode: no power iteration, u and v stay as they are.
  Tensor<T> u, v;
  u.assign(*sn.buffers()[0].value);
  v.assign(*sn.buffers()[1].value);
  sn.weight_orig().array() *= 2.0;
  sn.eval();
  sn.forward(x);
  CHECK(sn.buffers()[0].value->array().isApprox(u.array()));
  CHECK(sn.buffers()[1].value->array().isApprox(v.array()));
  CHECK(sn.sigma() == Approx(2 * top).epsilon(1e-9));
  CHECK(sn.name() == "SpectralNorm(Linear(7 -> 5))");
  CHECK(sn.parameters()[0].name == "weight_orig");
  CHECK(sn.parameters()[1].name == "bias");
  CHECK_THROWS_WITH(SpectralNorm<T>(std::make_unique<Tanh<T>>()), Catch::Contains("Tanh") && Catch::Contains("weight"));
}

TEST_CASE("gradient check: SpectralNorm around Linear, Conv2d and ConvTranspose2d", "[layer][gradcheck]") {
  // In eval mode the layer is exactly W / (u^T W v) with u and v fixed: its gradient through the normalisation
  // must match finite differences. A few training forwards first give u and v realistic values.
  auto check = [](std::unique_ptr<Layer<T>> inner, const Shape& in) {
    SpectralNorm<T> sn(std::move(inner), 1e-12, 5);
    randomize(sn, 7);
    const Tensor<T> x = random_tensor(in, 11);
    for (int i = 0; i < 3; ++i) sn.forward(x);
    sn.eval();
    const GradientCheckResult r = check_layer_gradients<T>(sn, x);
    INFO(sn.name() << ": worst entry " << r.where << ", error " << r.max_error);
    REQUIRE(r.max_error < 1e-6);
  };
  check(std::make_unique<Linear<T>>(5, 4), Shape{3, 5});
  check(std::make_unique<Conv2d<T>>(ConvOptions(2, 3, 3).with_padding(1)), Shape{2, 2, 4, 4});
  check(std::make_unique<ConvTranspose2d<T>>(ConvOptions(3, 2, 4).with_stride(2).with_padding(1)), Shape{2, 3, 2, 3});
}

TEST_CASE("gradient check: SpectralNorm in train mode, u and v replayed", "[layer][gradcheck]") {
  // Train mode does one power iteration per forward. With u and v restored before every forward and converged,
  // the derivative of the whole training forward equals the paper's gradient (which holds u and v constant): at
  // the fixed point u^T W v is stationary in u and v.
  SpectralNorm<T> sn(std::make_unique<Linear<T>>(4, 3), 1e-12, 2);
  randomize(sn, 8);
  const Tensor<T> x = random_tensor(Shape{2, 4}, 9), r = random_tensor(Shape{2, 3}, 10);
  for (int i = 0; i < 300; ++i) sn.forward(x);
  Tensor<T> u0, v0;
  u0.assign(*sn.buffers()[0].value);
  v0.assign(*sn.buffers()[1].value);
  auto loss = [&] {
    sn.buffers()[0].value->assign(u0);
    sn.buffers()[1].value->assign(v0);
    return (sn.forward(x).array() * r.array()).sum();
  };
  sn.zero_grad();
  loss();
  sn.backward(r);
  for (auto& p : sn.parameters())
    for (Index i = 0; i < p.value->size(); ++i) {
      INFO(p.name << "[" << i << "]");
      REQUIRE(rel_error((*p.grad)[i], numeric_derivative(*p.value, i, loss)) < 1e-6);
    }
}

TEST_CASE("SpectralNorm: gradients accumulate across forward/backward pairs and frozen layers add none", "[layer]") {
  SpectralNorm<T> sn(std::make_unique<Linear<T>>(3, 2));
  randomize(sn, 1);
  const Tensor<T> a = random_tensor(Shape{2, 3}, 2), b = random_tensor(Shape{2, 3}, 3), r = random_tensor(Shape{2, 2}, 4);
  sn.eval();
  sn.zero_grad();
  sn.forward(a);
  sn.backward(r);
  Tensor<T> ga;
  ga.assign(*sn.parameters()[0].grad);
  sn.zero_grad();
  sn.forward(b);
  sn.backward(r);
  Tensor<T> gb;
  gb.assign(*sn.parameters()[0].grad);
  sn.forward(a);
  sn.backward(r);  // accumulates on top of b's
  CHECK(sn.parameters()[0].grad->array().isApprox(ga.array() + gb.array()));
  sn.set_frozen(true);
  sn.forward(a);
  sn.backward(r);
  CHECK(sn.parameters()[0].grad->array().isApprox(ga.array() + gb.array()));
  // float works too.
  SpectralNorm<float> sf(std::make_unique<Linear<float>>(3, 2));
  Tensor<float> xf(Shape{2, 3}, 0.5f);
  CHECK(sf.forward(xf).all_finite());
}

TEST_CASE("MinibatchStdDev appends the mean per-feature batch standard deviation", "[layer]") {
  MinibatchStdDev<T> mbsd(1e-12);
  Tensor<T> x(Shape{2, 2}, std::vector<T>{0.0, 1.0, 2.0, 5.0});  // feature 0: {0, 2}, std 1; feature 1: {1, 5}, std 2
  const Tensor<T>& y = mbsd.forward(x);
  REQUIRE(y.shape() == Shape{2, 3});
  CHECK(y[2] == Approx(1.5));
  CHECK(y[5] == Approx(1.5));
  CHECK(y[0] == 0.0);
  CHECK(y[4] == 5.0);
  MinibatchStdDev<float> image;
  CHECK(image.output_shape(Shape{4, 3, 2, 2}) == Shape{4, 4, 2, 2});
  CHECK_THROWS_WITH(image.output_shape(Shape{4, 3, 2}), Catch::Contains("MinibatchStdDev") && Catch::Contains("(4, 3, 2)"));
}

TEST_CASE("gradient check: MinibatchStdDev on features and on images", "[layer][gradcheck]") {
  MinibatchStdDev<T> a, b;
  for (auto [layer, shape] : {std::pair<MinibatchStdDev<T>*, Shape>{&a, Shape{5, 3}}, {&b, Shape{3, 2, 2, 3}}}) {
    const GradientCheckResult r = check_layer_gradients<T>(*layer, random_tensor(shape, 12));
    INFO(shape.str() << ": worst entry " << r.where << ", error " << r.max_error);
    REQUIRE(r.max_error < 1e-6);
  }
}
