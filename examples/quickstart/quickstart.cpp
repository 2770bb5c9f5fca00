// SPDX-License-Identifier: MIT
// The README's minimal program: a generator learns a 2-d Gaussian from samples of it.
#include <ganpp/ganpp.hpp>

#include <cstdio>

int main() {
  using namespace ganpp;
  Sequential<float> g_net, d_net;
  g_net.emplace<Linear<float>>(8, 64).emplace<LeakyReLU<float>>(0.2f).emplace<Linear<float>>(64, 2);
  d_net.emplace<Linear<float>>(2, 64).emplace<LeakyReLU<float>>(0.2f).emplace<Linear<float>>(64, 1);
  Generator<float> g(std::move(g_net), Shape{8});          // latent z: 8 numbers
  Discriminator<float> d(std::move(d_net), Shape{2});      // returns one logit per sample

  Adam<float> g_opt(g.parameters(), {2e-4, 0.5, 0.999});   // each optimizer owns one model's parameters
  Adam<float> d_opt(d.parameters(), {2e-4, 0.5, 0.999});
  GanTrainer<float> trainer(g, d, g_opt, d_opt);           // non-saturating loss, 1 D step per G step

  Rng data(42);
  Tensor<float> real(Shape{64, 2});
  for (int step = 1; step <= 3000; ++step) {
    for (Index i = 0; i < 64; ++i) {                       // target: N((2, -1), diag(0.5^2, 0.25^2))
      real[2 * i] = static_cast<float>(2.0 + 0.5 * data.normal());
      real[2 * i + 1] = static_cast<float>(-1.0 + 0.25 * data.normal());
    }
    const StepStats s = trainer.step(real);
    if (step % 500 == 0)
      std::printf("step %4d  D loss %.3f  G loss %.3f  D(x) %.2f  D(G(z)) %.2f\n", step, s.d_loss, s.g_loss, s.d_real, s.d_fake);
  }
  Tensor<float> z;
  g.sample_latent(1000, data, z);
  const Tensor<float>& x = g.forward(z);
  std::printf("generated mean (%.2f, %.2f), target (2.00, -1.00)\n", x.matrix().row(0).mean(), x.matrix().row(1).mean());
}
