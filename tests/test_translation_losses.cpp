// SPDX-License-Identifier: MIT
// Pixel losses (L1, mean squared) and the adversarial losses on PatchGAN logit maps: values against hand-computed
// cases, gradients against finite differences through the layer gradient checker.
#include "support.hpp"

#include <cmath>
#include <functional>

using namespace ganpp;
using test::random_tensor;

namespace {

// A loss seen as a layer from its input to the one-element tensor (loss), so that check_layer_gradients can check
// its gradient: backward scales the loss's own gradient by the incoming dLoss.
class PixelLossAsLayer : public Layer<double> {
 public:
  using Fn = std::function<double(const Tensor<double>&, Tensor<double>&)>;
  PixelLossAsLayer(std::string name, Fn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  std::string name() const override { return name_; }
  Shape output_shape(const Shape&) const override { return Shape{1}; }
  const Tensor<double>& forward(const Tensor<double>& x) override {
    out_.resize(Shape{1});
    out_[0] = fn_(x, grad_);
    return out_;
  }
  const Tensor<double>& backward(const Tensor<double>& dy) override {
    grad_in_.assign(grad_);
    grad_in_.array() *= dy[0];
    return grad_in_;
  }

 private:
  std::string name_;
  Fn fn_;
  Tensor<double> out_, grad_, grad_in_;
};

void require_loss_gradient(const std::string& name, const PixelLossAsLayer::Fn& fn, const Tensor<double>& x) {
  PixelLossAsLayer layer(name, fn);
  const GradientCheckResult r = check_layer_gradients<double>(layer, x);
  INFO(name << " on " << x.shape().str() << ": worst entry " << r.where << ", error " << r.max_error);
  REQUIRE(r.max_error < 1e-7);
}

const LossKind kPlainKinds[] = {LossKind::minimax, LossKind::non_saturating, LossKind::least_squares, LossKind::wasserstein, LossKind::hinge};

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Pixel losses

TEMPLATE_TEST_CASE("l1_loss and mse_loss match hand-computed values and gradients", "[loss][translation]", float, double) {
  using S = TestType;
  Tensor<S> input(Shape{1, 1, 2, 2}, std::vector<S>{1, -2, 3, S(0.5)});
  Tensor<S> target(Shape{1, 1, 2, 2}, std::vector<S>{0, 0, 1, S(0.5)});
  Tensor<S> grad;
  // |1| + |-2| + |2| + |0| = 5, over 4 elements.
  CHECK(l1_loss(input, target, grad) == Approx(1.25));
  REQUIRE(grad.shape() == input.shape());
  CHECK(grad[0] == Approx(0.25));
  CHECK(grad[1] == Approx(-0.25));
  CHECK(grad[2] == Approx(0.25));
  CHECK(grad[3] == S(0));  // sign(0) = 0, as PyTorch
  // pix2pix's lambda = 100 scales loss and gradient.
  CHECK(l1_loss(input, target, grad, 100.0) == Approx(125));
  CHECK(grad[1] == Approx(-25));
  // 1 + 4 + 4 + 0 = 9, over 4; gradient 2 (x - t) / 4.
  CHECK(mse_loss(input, target, grad) == Approx(2.25));
  CHECK(grad[0] == Approx(0.5));
  CHECK(grad[1] == Approx(-1.0));
  CHECK(grad[2] == Approx(1.0));
  CHECK(grad[3] == S(0));
  CHECK(mse_loss(input, target, grad, 0.5) == Approx(1.125));
  CHECK(grad[1] == Approx(-0.5));
  CHECK(mse_loss(input, input, grad) == S(0));
}

TEMPLATE_TEST_CASE("pixel losses name themselves and both shapes on a mismatch", "[loss][errors][translation]", float, double) {
  using S = TestType;
  Tensor<S> grad;
  CHECK_THROWS_WITH(l1_loss(Tensor<S>(Shape{2, 3, 4, 4}), Tensor<S>(Shape{2, 1, 4, 4}), grad),
                    Catch::Contains("l1_loss()") && Catch::Contains("(2, 3, 4, 4)") && Catch::Contains("(2, 1, 4, 4)"));
  CHECK_THROWS_WITH(mse_loss(Tensor<S>(Shape{2, 3}), Tensor<S>(Shape{3, 2}), grad),
                    Catch::Contains("mse_loss()") && Catch::Contains("(2, 3)") && Catch::Contains("(3, 2)"));
  CHECK_THROWS_AS(l1_loss(Tensor<S>(Shape{0, 3}), Tensor<S>(Shape{0, 3}), grad), shape_error);
  CHECK_THROWS_AS(mse_loss(Tensor<S>(Shape{2}), Tensor<S>(Shape{2}), grad, -1.0), argument_error);
}

TEST_CASE("gradient check: l1_loss and mse_loss", "[loss][gradcheck][translation]") {
  const Tensor<double> target = random_tensor(Shape{2, 3, 3, 2}, 5);
  // Away from the kink of |x - t|: inputs at least 0.05 from their targets.
  Tensor<double> x = random_tensor(Shape{2, 3, 3, 2}, 6);
  for (Index i = 0; i < x.size(); ++i)
    if (std::abs(x[i] - target[i]) < 0.05) x[i] = target[i] + 0.1;
  require_loss_gradient("l1_loss", [&](const Tensor<double>& in, Tensor<double>& g) { return l1_loss(in, target, g, 3.0); }, x);
  require_loss_gradient("mse_loss", [&](const Tensor<double>& in, Tensor<double>& g) { return mse_loss(in, target, g, 0.7); }, x);
}

// ---------------------------------------------------------------------------------------------------------------
// Adversarial losses on logit maps

TEMPLATE_TEST_CASE("adversarial losses on (N, 1, H, W) logit maps equal the same logits flattened", "[loss][translation]", float, double) {
  using S = TestType;
  Tensor<S> map(Shape{2, 1, 3, 4});
  Rng rng(4);
  rng.fill_normal(map, 0.0, 2.0);
  Tensor<S> flat;
  flat.assign(map);
  flat.reshape(Shape{24, 1});
  Tensor<S> flat1;
  flat1.assign(map);
  flat1.reshape(Shape{24});
  for (LossKind kind : kPlainKinds) {
    GanLoss<S> loss(kind);
    using Fn = S (GanLoss<S>::*)(const Tensor<S>&, Tensor<S>&) const;
    const Fn fns[] = {&GanLoss<S>::discriminator_real, &GanLoss<S>::discriminator_fake, &GanLoss<S>::generator};
    for (Fn fn : fns) {
      Tensor<S> g_map, g_flat, g_flat1;
      const S on_map = (loss.*fn)(map, g_map), on_flat = (loss.*fn)(flat, g_flat), on_flat1 = (loss.*fn)(flat1, g_flat1);
      INFO(to_string(kind));
      CHECK(on_map == on_flat);
      CHECK(on_map == on_flat1);
      REQUIRE(g_map.shape() == map.shape());
      for (Index i = 0; i < map.size(); ++i) REQUIRE(g_map[i] == g_flat[i]);
    }
  }
  // The relativistic pair, with maps of different batch sizes.
  Tensor<S> other(Shape{3, 1, 3, 4});
  rng.fill_normal(other);
  Tensor<S> other_flat;
  other_flat.assign(other);
  other_flat.reshape(Shape{36, 1});
  GanLoss<S> rel(LossKind::relativistic);
  Tensor<S> gr_map, gf_map, gr_flat, gf_flat;
  CHECK(rel.discriminator_relativistic(map, other, gr_map, gf_map) == rel.discriminator_relativistic(flat, other_flat, gr_flat, gf_flat));
  CHECK(gf_map.shape() == other.shape());
  for (Index i = 0; i < map.size(); ++i) REQUIRE(gr_map[i] == gr_flat[i]);
  for (Index i = 0; i < other.size(); ++i) REQUIRE(gf_map[i] == gf_flat[i]);
  CHECK(rel.generator_relativistic(map, other, gr_map, gf_map) == rel.generator_relativistic(flat, other_flat, gr_flat, gf_flat));
}

TEMPLATE_TEST_CASE("least-squares loss on a logit map is the mean over every logit", "[loss][translation]", float, double) {
  using S = TestType;
  // LSGAN (Mao et al. 2017) with a = 0, b = c = 1 and the paper's 1/2: D's real loss is mean (D(x) - 1)^2 / 2.
  Tensor<S> map(Shape{2, 1, 2, 2}, std::vector<S>{1, 0, 3, 1, -1, 1, 1, 1});
  GanLoss<S> ls(LossKind::least_squares);
  Tensor<S> grad;
  // (0 + 1 + 4 + 0 + 4 + 0 + 0 + 0) / 2 / 8.
  CHECK(ls.discriminator_real(map, grad) == Approx(9.0 / 16.0));
  CHECK(grad[2] == Approx(2.0 / 8.0));
  CHECK(grad[4] == Approx(-2.0 / 8.0));
  // Fake: mean D(G(z))^2 / 2 = (1 + 0 + 9 + 1 + 1 + 1 + 1 + 1) / 16.
  CHECK(ls.discriminator_fake(map, grad) == Approx(15.0 / 16.0));
  CHECK_THROWS_WITH(ls.generator(Tensor<S>(Shape{0, 1, 4, 4}), grad), Catch::Contains("GanLoss::generator()") && Catch::Contains("(0, 1, 4, 4)"));
  CHECK_THROWS_AS(ls.generator(Tensor<S>(), grad), shape_error);
}

TEST_CASE("gradient check: every adversarial loss on a logit map", "[loss][gradcheck][translation]") {
  // Logits away from the hinge's kinks at +-1.
  Tensor<double> map = random_tensor(Shape{2, 1, 3, 3}, 8, 2.0);
  for (Index i = 0; i < map.size(); ++i)
    if (std::abs(std::abs(map[i]) - 1.0) < 0.05) map[i] += 0.2;
  for (LossKind kind : kPlainKinds) {
    GanLoss<double> loss(kind);
    require_loss_gradient(to_string(kind) + " discriminator_real", [&](const Tensor<double>& x, Tensor<double>& g) { return loss.discriminator_real(x, g); }, map);
    require_loss_gradient(to_string(kind) + " discriminator_fake", [&](const Tensor<double>& x, Tensor<double>& g) { return loss.discriminator_fake(x, g); }, map);
    require_loss_gradient(to_string(kind) + " generator", [&](const Tensor<double>& x, Tensor<double>& g) { return loss.generator(x, g); }, map);
  }
  // Relativistic: the gradient with respect to the real map, the fake map held fixed (and the other way round).
  GanLoss<double> rel(LossKind::relativistic);
  const Tensor<double> fake = random_tensor(Shape{3, 1, 3, 3}, 9);
  Tensor<double> unused;
  require_loss_gradient("relativistic D, real map", [&](const Tensor<double>& x, Tensor<double>& g) { return rel.discriminator_relativistic(x, fake, g, unused); }, map);
  require_loss_gradient("relativistic G, fake map", [&](const Tensor<double>& x, Tensor<double>& g) { return rel.generator_relativistic(map, x, unused, g); }, fake);
}
