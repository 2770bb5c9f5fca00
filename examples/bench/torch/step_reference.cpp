// SPDX-License-Identifier: MIT
// torch-step: runs the dcgan recipe for a few iterations in libtorch and records everything ganpp-step-replay needs
// to replay them in lockstep: the initial weights, each iteration's latents and real batch, the generated batch,
// both losses, every parameter gradient, the parameters after each optimizer step and BatchNorm's running
// statistics. Real batches are uniform in [-1, 1] (no data set needed); one thread, so the run is deterministic.
//
// Record format (native byte order): int32 name length, the name, int64 count, count float32 values.
// usage: torch-step --out FILE [--steps 20] [--seed 0]
#include "common/cli.hpp"
#include "torch_models.hpp"

#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

namespace {

using namespace torch::nn;

std::ofstream out;

void record(const std::string& name, const torch::Tensor& t) {
  const auto values = t.detach().contiguous().to(torch::kFloat32);
  const int32_t length = static_cast<int32_t>(name.size());
  const int64_t count = values.numel();
  out.write(reinterpret_cast<const char*>(&length), sizeof length);
  out.write(name.data(), length);
  out.write(reinterpret_cast<const char*>(&count), sizeof count);
  out.write(reinterpret_cast<const char*>(values.data_ptr<float>()), count * static_cast<int64_t>(sizeof(float)));
}

/// Records `steps` iterations of the dcgan recipe, seeded by `seed`, to `path`.
int record_run(const std::string& path, long steps, long seed) {
  out.open(path, std::ios::binary);
  if (!out) throw std::runtime_error("cannot write " + path);
  torch::set_num_threads(1);
  torch::manual_seed(static_cast<uint64_t>(seed));
  Sequential g = torch_models::dcgan_generator(), d = torch_models::dcgan_discriminator();
  for (auto& p : g->parameters()) record("g.init", p);
  for (auto& p : d->parameters()) record("d.init", p);
  auto options = torch::optim::AdamOptions(2e-4).betas(std::make_tuple(0.5, 0.999));
  torch::optim::Adam g_opt(g->parameters(), options), d_opt(d->parameters(), options);
  const auto ones = torch::ones({64, 1}), zeros = torch::zeros({64, 1});
  for (long step = 0; step < steps; ++step) {
    const auto z = torch::randn({64, 100, 1, 1});
    const auto real = torch::rand({64, 1, 28, 28}) * 2 - 1;
    record("z", z);
    record("real", real);
    const auto fake = g->forward(z);
    record("fake", fake);
    // Two statements: the operands of + may be evaluated in either order, and BatchNorm's running statistics
    // depend on which batch D sees first (real, then fake, as in the reference trainer).
    const auto d_real = d->forward(real).view({64, 1});
    const auto d_fake = d->forward(fake.detach()).view({64, 1});
    const auto d_loss = torch::binary_cross_entropy_with_logits(d_real, ones) + torch::binary_cross_entropy_with_logits(d_fake, zeros);
    d_opt.zero_grad();
    d_loss.backward();
    record("d.loss", d_loss);
    for (auto& p : d->parameters()) record("d.grad", p.grad());
    d_opt.step();
    for (auto& p : d->parameters()) record("d.after", p);
    const auto g_loss = torch::binary_cross_entropy_with_logits(d->forward(fake).view({64, 1}), ones);
    g_opt.zero_grad();
    g_loss.backward();
    record("g.loss", g_loss);
    for (auto& p : g->parameters()) record("g.grad", p.grad());
    g_opt.step();
    for (auto& p : g->parameters()) record("g.after", p);
    for (auto& b : g->named_buffers())
      if (b.key().find("num_batches_tracked") == std::string::npos) record("g.buffer", b.value());
    for (auto& b : d->named_buffers())
      if (b.key().find("num_batches_tracked") == std::string::npos) record("d.buffer", b.value());
  }
  out.close();
  if (!out) throw std::runtime_error("writing " + path + " failed");
  std::printf("wrote %ld iterations to %s\n", steps, path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  long steps = 20, seed = 0;
  examples::App app("torch-step", "Runs the dcgan recipe for a few iterations in libtorch and records what ganpp-step-replay needs to replay them.");
  app.add_option("--out", path, "the record to write")->required();
  app.add_option("--steps", steps, "iterations to record")->check(examples::integer_at_least(1));
  app.add_option("--seed", seed, "libtorch's seed (initial weights, latents, real batches)")->check(examples::integer_at_least(0));
  return examples::run_cli(app, argc, argv, [&] { return record_run(path, steps, seed); });
}
