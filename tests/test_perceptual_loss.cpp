// SPDX-License-Identifier: MIT
// PerceptualLoss: values against features computed by hand, the gradient check through a frozen network, the
// network's state left as it was, and errors.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/layers/prelu.hpp>
#include <ganpp/losses/perceptual.hpp>

#include <cmath>

#include "support.hpp"

using namespace ganpp;
using test::random_tensor;

namespace {

// A small feature network on (N, 1, 6, 6) images, with random parameters and running statistics, whose layer 4 is a
// Dropout (eval mode matters: in train mode its masks would change from call to call) and whose last layer expects
// 999 features: it throws if run, so a loss truncated before it must not run it.
template <typename Scalar>
Sequential<Scalar> feature_net() {
  Sequential<Scalar> net;
  net.template emplace<Conv2d<Scalar>>(ConvOptions(1, 3, 3).with_padding(1))
      .template emplace<BatchNorm<Scalar>>(3)
      .template emplace<PReLU<Scalar>>(3)
      .template emplace<Conv2d<Scalar>>(ConvOptions(3, 2, 3).with_stride(2).with_padding(1))
      .template emplace<Dropout<Scalar>>(0.5, 3)
      .template emplace<Tanh<Scalar>>()
      .template emplace<Flatten<Scalar>>()
      .template emplace<Linear<Scalar>>(999, 1);
  test::randomize(net, 3);
  const Tensor<Scalar> x = random_tensor<Scalar>(Shape{8, 1, 6, 6}, 4);
  net[1].forward(net[0].forward(x));  // a train-mode pass moves BatchNorm's running statistics away from 0 and 1
  net.zero_grad();
  return net;
}

// The loss against a fixed target as a layer with a one-element output, so that check_layer_gradients can probe it.
class LossAsLayer : public Layer<double> {
 public:
  LossAsLayer(PerceptualLoss<double>& loss, const Tensor<double>& target) : loss_(loss), target_(target) {}
  std::string name() const override { return "LossAsLayer"; }
  Shape output_shape(const Shape&) const override { return Shape{1}; }
  const Tensor<double>& forward(const Tensor<double>& x) override {
    out_.resize(Shape{1});
    out_[0] = loss_.compute(x, target_, grad_);
    return out_;
  }
  const Tensor<double>& backward(const Tensor<double>& dy) override {
    scaled_.assign(grad_);
    scaled_.array() *= dy[0];
    return scaled_;
  }

 private:
  PerceptualLoss<double>& loss_;
  const Tensor<double>& target_;
  Tensor<double> out_, grad_, scaled_;
};

}  // namespace

TEST_CASE("gradient check: PerceptualLoss, MSE and L1, truncated Sequential and whole network", "[loss][gradcheck][superres]") {
  Sequential<double> net = feature_net<double>();
  const Tensor<double> target = random_tensor<double>(Shape{2, 1, 6, 6}, 21);
  const Tensor<double> output = random_tensor<double>(Shape{2, 1, 6, 6}, 22);
  for (FeatureDistance d : {FeatureDistance::mse, FeatureDistance::l1})
    for (std::size_t last : {std::size_t(2), std::size_t(5)}) {
      PerceptualLoss<double> loss(net, last, d);
      LossAsLayer as_layer(loss, target);
      const GradientCheckResult r = check_layer_gradients<double>(as_layer, output);
      INFO(loss.description() << (d == FeatureDistance::mse ? " mse" : " l1") << ": worst entry " << r.where << ", error " << r.max_error);
      CHECK(r.max_error < 1e-7);
    }
  Sequential<double> whole;
  whole.emplace<Conv2d<double>>(ConvOptions(1, 2, 3)).emplace<BatchNorm<double>>(2).emplace<Tanh<double>>();
  test::randomize(whole, 9);
  PerceptualLoss<double> loss(whole);
  LossAsLayer as_layer(loss, target);
  const GradientCheckResult r = check_layer_gradients<double>(as_layer, output);
  INFO("whole network: worst entry " << r.where << ", error " << r.max_error);
  CHECK(r.max_error < 1e-7);
  // The feature networks' parameters never received a gradient.
  for (auto& p : net.parameters()) CHECK(p.grad->array().abs().sum() == 0);
  for (auto& p : whole.parameters()) CHECK(p.grad->array().abs().sum() == 0);
}

TEMPLATE_TEST_CASE("PerceptualLoss is the mean distance between the chosen layer's eval-mode activations", "[loss][superres]", float, double) {
  using T = TestType;
  Sequential<T> net = feature_net<T>();
  const Tensor<T> target = random_tensor<T>(Shape{3, 1, 6, 6}, 31);
  const Tensor<T> output = random_tensor<T>(Shape{3, 1, 6, 6}, 32);
  // Reference features: layers 0..3 run by hand in eval mode.
  auto features = [&](const Tensor<T>& x) {
    for (std::size_t i = 0; i < net.size(); ++i) net[i].train(false);
    const Tensor<T>* t = &x;
    for (std::size_t i = 0; i <= 3; ++i) t = &net[i].forward(*t);
    Tensor<T> copy;
    copy.assign(*t);
    for (std::size_t i = 0; i < net.size(); ++i) net[i].train(true);
    return copy;
  };
  const Tensor<T> ft = features(target), fo = features(output);
  REQUIRE(fo.shape() == Shape{3, 2, 3, 3});
  double mse = 0, l1 = 0;
  for (Index i = 0; i < fo.size(); ++i) {
    mse += std::pow(static_cast<double>(fo[i]) - static_cast<double>(ft[i]), 2) / static_cast<double>(fo.size());
    l1 += std::abs(static_cast<double>(fo[i]) - static_cast<double>(ft[i])) / static_cast<double>(fo.size());
  }
  Tensor<T> grad;
  PerceptualLoss<T> mse_loss(net, 3), l1_loss(net, 3, FeatureDistance::l1);
  const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  CHECK(static_cast<double>(mse_loss.compute(output, target, grad)) == Approx(mse).epsilon(tol));
  CHECK(grad.shape() == output.shape());
  CHECK(static_cast<double>(l1_loss.compute(output, target, grad)) == Approx(l1).epsilon(tol));
  CHECK(mse_loss.description() == "Sequential(8 layers) up to layer 3 (Conv2d(3 -> 2, k3 s2 p1))");
  // Identical images: zero loss, zero gradient.
  CHECK(mse_loss.compute(target, target, grad) == T(0));
  CHECK(grad.array().abs().maxCoeff() == T(0));
  CHECK(l1_loss.compute(target, target, grad) == T(0));
  CHECK(grad.array().abs().maxCoeff() == T(0));
}

TEMPLATE_TEST_CASE("PerceptualLoss leaves the feature network's mode, frozen and input-gradient flags and gradients as they were", "[loss][superres]", float, double) {
  using T = TestType;
  Sequential<T> net = feature_net<T>();
  net.train(true);
  net.set_frozen(false);
  net.set_input_grad(false);
  net[2].set_frozen(true);  // one layer frozen on its own
  for (auto& p : net.parameters()) p.grad->fill(T(0.5));
  const Tensor<T> target = random_tensor<T>(Shape{2, 1, 6, 6}, 41);
  const Tensor<T> output = random_tensor<T>(Shape{2, 1, 6, 6}, 42);
  PerceptualLoss<T> loss(net, 5);
  Tensor<T> grad;
  auto check_flags = [&] {
    for (std::size_t i = 0; i < net.size(); ++i) {
      CHECK(net[i].is_training());
      CHECK(net[i].is_frozen() == (i == 2));
      CHECK(net[i].needs_input_grad() == (i != 0));
    }
    for (auto& p : net.parameters()) CHECK(p.grad->array().isApproxToConstant(T(0.5)));
  };
  loss.compute(output, target, grad);
  CHECK(grad.array().abs().sum() > 0);  // the first layer's input gradient was computed despite its flag
  check_flags();
  CHECK_THROWS_AS(loss.compute(Tensor<T>(Shape{2, 3, 6, 6}), Tensor<T>(Shape{2, 3, 6, 6}), grad), shape_error);
  check_flags();  // restored after a throw too
  // Deterministic: eval mode, so the Dropout draws nothing and a second call gives the same value.
  CHECK(loss.compute(output, target, grad) == loss.compute(output, target, grad));
}

TEMPLATE_TEST_CASE("PerceptualLoss: bad shapes and layers name the function and both shapes", "[loss][errors][superres]", float, double) {
  using T = TestType;
  Sequential<T> net = feature_net<T>();
  PerceptualLoss<T> loss(net, 3);
  Tensor<T> grad;
  CHECK_THROWS_WITH(loss.compute(Tensor<T>(Shape{2, 1, 6, 6}), Tensor<T>(Shape{2, 1, 6, 5}), grad),
                    Catch::Contains("PerceptualLoss::compute()") && Catch::Contains("(2, 1, 6, 6)") && Catch::Contains("(2, 1, 6, 5)"));
  CHECK_THROWS_AS(loss.compute(Tensor<T>(Shape{0, 1, 6, 6}), Tensor<T>(Shape{0, 1, 6, 6}), grad), shape_error);
  CHECK_THROWS_WITH(loss.compute(Tensor<T>(Shape{2, 2, 6, 6}), Tensor<T>(Shape{2, 2, 6, 6}), grad),
                    Catch::Contains("Conv2d(1 -> 3, k3 s1 p1)") && Catch::Contains("(2, 2, 6, 6)"));
  CHECK_THROWS_AS(PerceptualLoss<T>(net, 8), argument_error);
  // Beyond the truncation the network would throw (Linear(999 -> 1)); the whole network does.
  PerceptualLoss<T> whole(net);
  CHECK_THROWS_WITH(whole.compute(Tensor<T>(Shape{1, 1, 6, 6}), Tensor<T>(Shape{1, 1, 6, 6}), grad), Catch::Contains("Linear(999 -> 1)"));
}
