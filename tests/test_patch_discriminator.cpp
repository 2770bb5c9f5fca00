// SPDX-License-Identifier: MIT
// PatchDiscriminator: the PatchGAN's layers and logit-map shapes, a forward/backward with a GanLoss on the map, and
// a gradient check of a tiny one.
#include "support.hpp"

#include <ganpp/models/patch_discriminator.hpp>

#include <cmath>

using namespace ganpp;

TEST_CASE("PatchDiscriminator builds pix2pix's layers and predicts its logit-map shape", "[model][translation]") {
  // n_layers = 3 (C64-C128-C256-C512 + final conv), as NLayerDiscriminator: 256x256 gives the 30x30 map of 70x70 patches.
  const PatchDiscriminator pix2pix(6);
  CHECK(pix2pix.output_shape(256, 256) == Shape{1, 30, 30});
  CHECK(pix2pix.output_shape(32, 32) == Shape{1, 2, 2});
  const PatchDiscriminator small = PatchDiscriminator(3).with_base_channels(8).with_layers(2).with_norm(PatchNorm::instance);
  CHECK(small.output_shape(32, 32) == Shape{1, 6, 6});
  CHECK(small.output_shape(32, 16) == Shape{1, 6, 2});

  Sequential<float> net = PatchDiscriminator(pix2pix).with_base_channels(4).build<float>();
  CHECK(net.output_shape(Shape{2, 6, 32, 32}) == Shape{2, 1, 2, 2});
  // Conv, LReLU, then (Conv, BatchNorm, LReLU) x 3, then the 1-channel conv.
  REQUIRE(net.size() == 12);
  CHECK(net[0].name() == "Conv2d(6 -> 4, k4 s2 p1)");
  CHECK(net[2].name() == "Conv2d(4 -> 8, k4 s2 p1)");
  CHECK(net[3].name() == "BatchNorm(8)");
  CHECK(net[5].name() == "Conv2d(8 -> 16, k4 s2 p1)");
  CHECK(net[8].name() == "Conv2d(16 -> 32, k4 s1 p1)");
  CHECK(net[11].name() == "Conv2d(32 -> 1, k4 s1 p1)");
  // BatchNorm's shift replaces the biases of the convolutions before it; the first and last convolutions keep theirs.
  CHECK(net[0].parameters().size() == 2);
  CHECK(net[2].parameters().size() == 1);
  CHECK(net[11].parameters().size() == 2);
  // Filters stop doubling at 8 x base_channels.
  Sequential<float> deep = PatchDiscriminator(1).with_base_channels(2).with_layers(5).with_norm(PatchNorm::none).build<float>();
  CHECK(deep.output_shape(Shape{1, 1, 128, 128}) == Shape{1, 1, 2, 2});
  CHECK(deep[deep.size() - 1].name() == "Conv2d(16 -> 1, k4 s1 p1)");

  CHECK_THROWS_AS(PatchDiscriminator(3).with_layers(0).build<float>(), argument_error);
  CHECK_THROWS_WITH(PatchDiscriminator(3).output_shape(8, 8), Catch::Contains("PatchDiscriminator::output_shape()") && Catch::Contains("8x8"));
  CHECK_THROWS_WITH(net.output_shape(Shape{2, 3, 32, 32}), Catch::Contains("Conv2d(6 -> 4, k4 s2 p1)") && Catch::Contains("(2, 3, 32, 32)"));
}

TEST_CASE("PatchDiscriminator: forward and backward of a GanLoss on its logit map", "[model][translation]") {
  for (PatchNorm norm : {PatchNorm::batch, PatchNorm::instance, PatchNorm::none}) {
    Sequential<float> d = PatchDiscriminator(3).with_base_channels(4).with_layers(2).with_norm(norm).build<float>();
    Rng rng(1);
    d.reset_parameters(Init::dcgan, rng);
    Tensor<float> images(Shape{2, 3, 32, 32});
    rng.fill_normal(images);
    d.zero_grad();
    const Tensor<float>& logits = d.forward(images);
    REQUIRE(logits.shape() == Shape{2, 1, 6, 6});
    GanLoss<float> loss(LossKind::least_squares);
    Tensor<float> grad;
    const float value = loss.discriminator_real(logits, grad);
    CHECK(std::isfinite(value));
    const Tensor<float>& grad_images = d.backward(grad);
    REQUIRE(grad_images.shape() == images.shape());
    CHECK(grad_images.all_finite());
    CHECK(grad_images.array().abs().sum() > 0);
    for (auto& p : d.parameters()) CHECK(p.grad->array().abs().sum() > 0);
  }
}

TEST_CASE("gradient check: a tiny PatchDiscriminator", "[model][gradcheck][translation]") {
  for (PatchNorm norm : {PatchNorm::batch, PatchNorm::instance}) {
    Sequential<double> d = PatchDiscriminator(2).with_base_channels(2).with_layers(1).with_norm(norm).build<double>();
    test::randomize(d, 3);
    const Tensor<double> x = test::random_tensor<double>(Shape{2, 2, 8, 8}, 4);
    CHECK(d.output_shape(x.shape()) == Shape{2, 1, 2, 2});
    const GradientCheckResult r = check_layer_gradients(d, x);
    INFO(d.name() << ": worst entry " << r.where << ", error " << r.max_error);
    CHECK(r.max_error < 1e-6);
  }
}
