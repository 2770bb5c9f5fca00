// SPDX-License-Identifier: MIT
// A program outside ganpp that trains a toy GAN through the public headers only; exits 0 if it learned.
#include <ganpp/ganpp.hpp>

#include <cmath>
#include <cstdio>

int main() {
  using namespace ganpp;
  auto mlp = [](Index in, Index out) {
    Sequential<float> net;
    net.emplace<Linear<float>>(in, 32).emplace<LeakyReLU<float>>(0.2f).emplace<Linear<float>>(32, out);
    return net;
  };
  Generator<float> g(mlp(4, 1), Shape{4});
  Discriminator<float> d(mlp(1, 1), Shape{1});
  Adam<float> g_opt(g.parameters(), {1e-3, 0.5, 0.999}), d_opt(d.parameters(), {1e-3, 0.5, 0.999});
  GanTrainer<float> trainer(g, d, g_opt, d_opt);

  Rng data(1);
  Tensor<float> real(Shape{64, 1});
  for (int step = 0; step < 1500; ++step) {
    for (float& v : real) v = static_cast<float>(3.0 + 0.5 * data.normal());  // target N(3, 0.5^2)
    trainer.step(real);
  }
  Rng rng(2);
  Tensor<float> z;
  g.sample_latent(2000, rng, z);
  const double mean = g.forward(z).array().template cast<double>().mean();
  std::printf("generated mean %.3f (target 3.0)\n", mean);
  return std::abs(mean - 3.0) < 0.3 ? 0 : 1;
}
