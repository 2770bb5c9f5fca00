// SPDX-License-Identifier: MIT
// A program outside ganpp that includes only <ganpp/ganpp.hpp>: it touches something from every header the README's
// map says the umbrella holds, then trains a toy GAN; exits 0 if it learned.
#include <ganpp/ganpp.hpp>

#include <cmath>
#include <cstdio>
#include <memory>

namespace {

using namespace ganpp;

// config, error, tensor, random, init, parameter, layers (each layer header, the containers too), losses (the
// perceptual loss too), optim, penalties, gradient_check.
bool touch_every_header() {
  static_assert(GANPP_VERSION_MAJOR >= 0, "config.hpp");
  set_num_threads(1);
  Rng rng(3);
  Sequential<double> d_net;
  d_net.emplace<Conv2d<double>>(ConvOptions(1, 2, 3).with_padding(1))
      .emplace<BatchNorm<double>>(2)
      .emplace<ReLU<double>>()
      .emplace<ConvTranspose2d<double>>(ConvOptions(2, 2, 2).with_stride(2))
      .emplace<MinibatchStdDev<double>>()
      .emplace<Dropout<double>>(0.1)
      .emplace<Flatten<double>>()
      .emplace<Reshape<double>>(Shape{3 * 8 * 8})
      .emplace<Tanh<double>>();
  d_net.add(spectral_norm<double>(std::make_unique<Linear<double>>(3 * 8 * 8, 1)));
  d_net.emplace<Sigmoid<double>>();
  d_net.reset_parameters(Init::kaiming, rng);
  Tensor<double> x(Shape{4, 1, 4, 4});
  rng.fill_normal(x);
  if (d_net.forward(x).shape() != Shape{4, 1}) return false;
  try {
    d_net.forward(Tensor<double>(Shape{4, 2, 4, 4}));
    return false;
  } catch (const shape_error&) {  // error.hpp: the wrong channel count is a caller mistake
  }

  LabelConcat<double> concat(3, 2);  // Embedding, through the conditioning layer
  const std::vector<int> labels{0, 1, 2, 1};
  concat.set_labels(&labels);
  Tensor<double> v(Shape{4, 5});
  rng.fill_normal(v);
  if (check_layer_gradients(concat, v).max_error > 1e-6) return false;

  // parameter.hpp and the containers: a residual block around a U-Net-style skip, walked through Container.
  auto body = std::make_unique<Sequential<double>>();
  body->emplace<Linear<double>>(5, 3);
  auto skip = std::make_unique<SkipConcat<double>>(std::move(body));  // (N, 5) -> (N, 5 + 3)
  auto proj = std::make_unique<Linear<double>>(5, 8);
  Residual<double> block(std::move(skip), std::move(proj));  // skip(x) + proj(x): (N, 8)
  const Container<double>& as_container = block;
  const std::vector<Parameter<double>> block_params = block.parameters();
  if (block_params.size() != 4 || as_container.name().empty()) return false;
  if (block.forward(v).shape() != Shape{4, 8} || check_layer_gradients(block, v).max_error > 1e-6) return false;

  // pixel_shuffle.hpp, prelu.hpp, losses/perceptual.hpp: a sub-pixel upsampling step as a frozen feature network.
  Sequential<double> up;
  up.emplace<Conv2d<double>>(ConvOptions(1, 4, 3).with_padding(1)).emplace<PixelShuffle<double>>(2).emplace<PReLU<double>>(1);
  PerceptualLoss<double> content(up, 2);
  Tensor<double> target(x.shape()), content_grad;
  rng.fill_normal(target);
  if (!(content.compute(x, target, content_grad) > 0) || content_grad.shape() != x.shape()) return false;

  // The image-to-image translation layers, pixel losses and learning-rate schedules.
  Sequential<double> translate;
  translate.emplace<ReflectionPad2d<double>>(1)
      .emplace<InstanceNorm2d<double>>(1, 1e-5, true)
      .emplace<Upsample<double>>(2, UpsampleMode::bilinear)
      .emplace<Dropout<double>>(0.5, 1, DropoutMode::always);
  const Tensor<double>& translated = translate.forward(x);
  if (translated.shape() != Shape{4, 1, 12, 12}) return false;
  Tensor<double> pixel_grad;
  if (!(l1_loss(translated, translated, pixel_grad) == 0.0 && mse_loss(x, x, pixel_grad) == 0.0)) return false;
  if (LrSchedule::linear_decay(1, 1).factor(1) != 0.5) return false;
  // pooling.hpp
  Sequential<double> pool;
  pool.emplace<MaxPool2d<double>>(2).emplace<AvgPool2d<double>>(3, 1, 1);
  if (pool.forward(translated).shape() != Shape{4, 1, 6, 6}) return false;

  Sequential<double> critic;
  critic.emplace<Linear<double>>(5, 8).emplace<LeakyReLU<double>>(0.2).emplace<Linear<double>>(8, 1);
  GradientPenalty<double> penalty;
  Tensor<double> fake(Shape{4, 5});
  rng.fill_normal(fake);
  const double r1 = penalty.r1(critic, v, 10.0), gp = penalty.wgan_gp(critic, v, fake, 10.0, rng);
  Tensor<double> grad;
  const double loss = GanLoss<double>(LossKind::hinge).generator(critic.forward(fake), grad);
  Sgd<double> sgd(critic.parameters(), {0.01});
  RmsProp<double> rmsprop(critic.parameters());
  sgd.step();
  rmsprop.step();
  return std::isfinite(r1) && std::isfinite(gp) && std::isfinite(loss);
}

}  // namespace

int main() {
  if (!touch_every_header()) {
    std::printf("a header of the umbrella did not work as expected\n");
    return 1;
  }
  // models, optim (Adam), gan_trainer, ema: train a toy GAN.
  auto mlp = [](Index in, Index out) {
    Sequential<float> net;
    net.emplace<Linear<float>>(in, 32).emplace<LeakyReLU<float>>(0.2f).emplace<Linear<float>>(32, out);
    return net;
  };
  Generator<float> g(mlp(4, 1), Shape{4});
  Discriminator<float> d(mlp(1, 1), Shape{1});
  Adam<float> g_opt(g.parameters(), {1e-3, 0.5, 0.999}), d_opt(d.parameters(), {1e-3, 0.5, 0.999});
  GanTrainer<float> trainer(g, d, g_opt, d_opt);
  ExponentialMovingAverage<float> ema(g.parameters(), 0.99);
  trainer.set_ema(&ema);

  Rng data(1);
  Tensor<float> real(Shape{64, 1});
  for (int step = 0; step < 1500; ++step) {
    for (float& v : real) v = static_cast<float>(3.0 + 0.5 * data.normal());  // target N(3, 0.5^2)
    trainer.step(real);
  }
  Rng rng(2);
  Tensor<float> z;
  g.sample_latent(2000, rng, z);
  ema.swap();  // sample from the averaged weights
  const double mean = g.forward(z).array().template cast<double>().mean();
  ema.swap();
  std::printf("generated mean %.3f (target 3.0)\n", mean);
  return std::abs(mean - 3.0) < 0.3 ? 0 : 1;
}
