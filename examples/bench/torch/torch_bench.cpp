// SPDX-License-Identifier: MIT
// torch-bench: the libtorch C++ frontend peer of ganpp-bench. Same models, same recipe, same timing:
// one D step (real batch, detached fake batch) then one G step (the same fake batch re-scored by the updated D),
// Adam lr 2e-4 betas (0.5, 0.999), BCE-with-logits, z ~ N(0, 1)^100, real batches gathered from a fresh permutation
// of MNIST's training images scaled to [-1, 1] (--data DIR), or of a random set of the same size without it.
// --model srgan: ganpp-sr's MNIST SRGAN iteration instead (see run_srgan()); --model pix2pix | cyclegan:
// ganpp-pix2pix's and ganpp-cyclegan's (see run_translation()).
// Prints one JSON line per model with ganpp-bench's keys, so scripts/compare-torch.sh can put them side by side.
#include "common/cli.hpp"
#include "torch_models.hpp"

#include <torch/torch.h>

#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

using namespace torch::nn;
using namespace torch_models;

[[noreturn]] void data_error(const std::string& msg) {
  std::fprintf(stderr, "torch-bench: %s\n", msg.c_str());
  std::exit(1);
}

// MNIST's training images as (60000, 28, 28) floats in [-1, 1].
torch::Tensor read_mnist_images(const std::string& dir) {
  const std::string path = dir + "/train-images-idx3-ubyte";
  std::ifstream in(path, std::ios::binary);
  if (!in) data_error("cannot open " + path);
  const std::vector<unsigned char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto be32 = [&](std::size_t at) { return int64_t(raw[at]) << 24 | int64_t(raw[at + 1]) << 16 | int64_t(raw[at + 2]) << 8 | int64_t(raw[at + 3]); };
  if (raw.size() < 16 || be32(0) != 0x803) data_error(path + ": not a uint8 IDX3 file (magic 0x00000803 expected)");
  const int64_t count = be32(4), rows = be32(8), cols = be32(12);
  if (rows != 28 || cols != 28 || raw.size() != std::size_t(16 + count * rows * cols))
    data_error(path + ": expected 28x28 images filling the file, header says " + std::to_string(count) + "x" + std::to_string(rows) + "x" +
               std::to_string(cols) + " in " + std::to_string(raw.size()) + " bytes");
  auto bytes = torch::empty({count, rows, cols}, torch::kUInt8);
  std::copy(raw.begin() + 16, raw.end(), bytes.data_ptr<uint8_t>());
  return bytes.to(torch::kFloat32).div_(127.5).sub_(1.0);
}

// ganpp-bench --model srgan's iteration: the real batch box-downsampled to 7x7 (avg_pool2d(4), ganpp::box_downsample),
// G's output; D's step on the real and the detached output; G's step on MSE(output, real) + 1e-3 x BCE(D(output), 1).
// Adam 1e-4, betas (0.9, 0.999).
void report(const std::string& model, std::vector<double>& ms, int threads, long batch, long iters);

// Times warmup + iters calls of step(i); returns the timed calls' milliseconds.
template <typename Step>
std::vector<double> timed_calls(long iters, long warmup, Step step) {
  std::vector<double> ms;
  for (long i = 0; i < warmup + iters; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    step(i);
    const double dt = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (i >= warmup) ms.push_back(dt);
  }
  return ms;
}

// Times warmup + iters calls of step(real), each real batch gathered from a fresh permutation of data (as a training
// loop over MNIST does); returns the timed iterations' milliseconds.
template <typename Step>
std::vector<double> timed_loop(const torch::Tensor& data, long batch, long iters, long warmup, Step step) {
  const int64_t count = data.size(0), per_epoch = count / batch;
  if (per_epoch < 1) data_error("the data set has fewer images than one batch");
  torch::Tensor order;
  return timed_calls(iters, warmup, [&](long i) {
    const int64_t b = i % per_epoch;
    if (b == 0) order = torch::randperm(count);
    step(data.index_select(0, order.slice(0, b * batch, (b + 1) * batch)));
  });
}

void run_srgan(const torch::Tensor& images, int threads, long batch, long iters, long warmup) {
  torch::manual_seed(0);
  SrResNet g(32, 8);
  Sequential d = srgan_discriminator(32);
  torch::optim::Adam g_opt(g->parameters(), torch::optim::AdamOptions(1e-4).betas({0.9, 0.999}));
  torch::optim::Adam d_opt(d->parameters(), torch::optim::AdamOptions(1e-4).betas({0.9, 0.999}));
  const auto data = images.reshape({images.size(0), 1, 28, 28});
  const auto ones = torch::ones({batch, 1}), zeros = torch::zeros({batch, 1});
  std::vector<double> ms = timed_loop(data, batch, iters, warmup, [&](const torch::Tensor& real) {
    const auto fake = g->forward(torch::avg_pool2d(real, 4));
    d_opt.zero_grad();
    const auto d_real = d->forward(real);
    const auto d_fake = d->forward(fake.detach());
    const auto d_loss = torch::binary_cross_entropy_with_logits(d_real, ones) + torch::binary_cross_entropy_with_logits(d_fake, zeros);
    d_loss.backward();
    d_opt.step();
    g_opt.zero_grad();
    const auto content = torch::mse_loss(fake, real);
    const auto g_loss = content + 1e-3 * torch::binary_cross_entropy_with_logits(d->forward(fake), ones);
    g_loss.backward();
    g_opt.step();
  });
  report("srgan", ms, threads, batch, iters);
}

// ganpp-bench --model pix2pix | cyclegan's iteration, on one random batch of 16 binary edge maps and items in [-1, 1]
// (as ganpp-bench). pix2pix: G(x); D's step on (x, y) and the detached (x, G(x)), BCE over the 6x6 logits; G's step on
// BCE(D(x, G(x)), 1) + 100 L1. CycleGAN: G's step (both generators) on the least-squares adversarial terms through
// the discriminators (their parameters not accumulating gradients), 10 x the cycle L1 losses and 5 x the identity
// ones; then each discriminator's step on real and detached generated images (ganpp draws the latter from pools of
// 50 earlier images: a copy of 16 images, left out here). Adam 2e-4, betas (0.5, 0.999), one per network.
void run_translation(const std::string& model, int threads, long batch, long iters, long warmup) {
  torch::manual_seed(0);
  const auto edges = (torch::rand({batch, 1, 32, 32}) > 0.8).to(torch::kFloat32).mul_(2).sub_(1);
  const auto items = torch::rand({batch, 1, 32, 32}) * 2 - 1;
  const auto adam = torch::optim::AdamOptions(2e-4).betas({0.5, 0.999});
  std::vector<double> ms;
  if (model == "pix2pix") {
    Sequential g = unet_generator(32), d = patch_discriminator(2, 32, false);
    torch::optim::Adam g_opt(g->parameters(), adam), d_opt(d->parameters(), adam);
    ms = timed_calls(iters, warmup, [&](long) {
      const auto fake = g->forward(edges);
      d_opt.zero_grad();
      const auto d_real = d->forward(torch::cat({edges, items}, 1));
      const auto d_fake = d->forward(torch::cat({edges, fake.detach()}, 1));
      const auto d_loss = torch::binary_cross_entropy_with_logits(d_real, torch::ones_like(d_real)) +
                          torch::binary_cross_entropy_with_logits(d_fake, torch::zeros_like(d_fake));
      d_loss.backward();
      d_opt.step();
      g_opt.zero_grad();
      for (auto& p : d->parameters()) p.set_requires_grad(false);
      const auto scored = d->forward(torch::cat({edges, fake}, 1));
      const auto g_loss = torch::binary_cross_entropy_with_logits(scored, torch::ones_like(scored)) + 100.0 * torch::l1_loss(fake, items);
      g_loss.backward();
      for (auto& p : d->parameters()) p.set_requires_grad(true);
      g_opt.step();
    });
  } else {
    Sequential g_ab = resnet_generator(32, 6), g_ba = resnet_generator(32, 6);
    Sequential d_a = patch_discriminator(1, 32, true), d_b = patch_discriminator(1, 32, true);
    torch::optim::Adam g_ab_opt(g_ab->parameters(), adam), g_ba_opt(g_ba->parameters(), adam);
    torch::optim::Adam d_a_opt(d_a->parameters(), adam), d_b_opt(d_b->parameters(), adam);
    const auto& a = edges;
    const auto& b = items;
    auto set_grad = [](Sequential& net, bool on) {
      for (auto& p : net->parameters()) p.set_requires_grad(on);
    };
    auto lsgan = [](const torch::Tensor& logits, double target) { return torch::mse_loss(logits, torch::full_like(logits, target)); };
    ms = timed_calls(iters, warmup, [&](long) {
      g_ab_opt.zero_grad();
      g_ba_opt.zero_grad();
      set_grad(d_a, false);
      set_grad(d_b, false);
      const auto fake_b = g_ab->forward(a), fake_a = g_ba->forward(b);
      const auto cycle = torch::l1_loss(g_ba->forward(fake_b), a) + torch::l1_loss(g_ab->forward(fake_a), b);
      const auto identity = torch::l1_loss(g_ab->forward(b), b) + torch::l1_loss(g_ba->forward(a), a);
      const auto g_loss = lsgan(d_b->forward(fake_b), 1) + lsgan(d_a->forward(fake_a), 1) + 10.0 * cycle + 5.0 * identity;
      g_loss.backward();
      g_ab_opt.step();
      g_ba_opt.step();
      set_grad(d_a, true);
      set_grad(d_b, true);
      d_b_opt.zero_grad();
      (lsgan(d_b->forward(b), 1) + lsgan(d_b->forward(fake_b.detach()), 0)).backward();
      d_b_opt.step();
      d_a_opt.zero_grad();
      (lsgan(d_a->forward(a), 1) + lsgan(d_a->forward(fake_a.detach()), 0)).backward();
      d_a_opt.step();
    });
  }
  report(model, ms, threads, batch, iters);
}

void run(const std::string& model, const std::string& data_dir, int threads, long batch, long iters, long warmup) {
  torch::manual_seed(0);
  const bool mlp = model == "mlp";
  Sequential g = mlp ? mlp_generator() : dcgan_generator();
  Sequential d = mlp ? mlp_discriminator() : dcgan_discriminator();
  torch::optim::Adam g_opt(g->parameters(), torch::optim::AdamOptions(2e-4).betas({0.5, 0.999}));
  torch::optim::Adam d_opt(d->parameters(), torch::optim::AdamOptions(2e-4).betas({0.5, 0.999}));
  const auto images = data_dir.empty() ? torch::rand({60000, 28, 28}) * 2 - 1 : read_mnist_images(data_dir);
  const int64_t count = images.size(0);
  const auto data = mlp ? images.reshape({count, 784}) : images.reshape({count, 1, 28, 28});
  const auto ones = torch::ones({batch, 1}), zeros = torch::zeros({batch, 1});
  std::vector<double> ms = timed_loop(data, batch, iters, warmup, [&](const torch::Tensor& real) {
    const auto z = mlp ? torch::randn({batch, 100}) : torch::randn({batch, 100, 1, 1});
    const auto fake = g->forward(z);
    d_opt.zero_grad();
    // Real first, then fake, in two statements: the operands of + may be evaluated in either order.
    const auto d_real = d->forward(real).view({batch, 1});
    const auto d_fake = d->forward(fake.detach()).view({batch, 1});
    const auto d_loss = torch::binary_cross_entropy_with_logits(d_real, ones) + torch::binary_cross_entropy_with_logits(d_fake, zeros);
    d_loss.backward();
    d_opt.step();
    g_opt.zero_grad();
    const auto g_loss = torch::binary_cross_entropy_with_logits(d->forward(fake).view({batch, 1}), ones);
    g_loss.backward();
    g_opt.step();
  });
  report(model, ms, threads, batch, iters);
}

void report(const std::string& model, std::vector<double>& ms, int threads, long batch, long iters) {
  std::sort(ms.begin(), ms.end());
  const std::size_t n = ms.size();
  const double median = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "{\"model\": \"%s\", \"impl\": \"libtorch\", \"torch\": \"%s\", \"threads\": %d, \"batch\": %ld, \"iters\": %ld, "
      "\"ms_per_iter_median\": %.3f, \"ms_p10\": %.3f, \"ms_p90\": %.3f, \"images_per_s\": %.1f, \"peak_rss_mb\": %.1f}\n",
      model.c_str(), TORCH_VERSION, threads, batch, iters, median, ms[n / 10], ms[(n * 9) / 10], static_cast<double>(batch) / (median / 1e3),
      static_cast<double>(usage.ru_maxrss) / 1024.0);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string model, data_dir;  // no --model: both reference models, as ganpp-bench's default times
  int threads = 2;
  long iters = 50, warmup = 10, batch = 0;  // 0: 64, or 16 for srgan, pix2pix and cyclegan
  examples::App app("torch-bench",
                    "The libtorch peer of ganpp-bench: times the same training iterations with the same recipe and prints one JSON\n"
                    "line per model with ganpp-bench's keys.");
  app.add_option("--model", model, "mlp | dcgan | srgan | pix2pix | cyclegan | all (mlp, dcgan, srgan)")
      ->check(CLI::IsMember({"mlp", "dcgan", "srgan", "pix2pix", "cyclegan", "all"}))
      ->default_str("mlp and dcgan");
  app.add_option("--data", data_dir, "MNIST folder to gather the real batches from (default: a random set)");
  app.add_option("--threads", threads, "intra-op and inter-op threads")->check(examples::integer_at_least(1, 1024));
  app.add_option("--iters", iters, "timed iterations")->check(examples::integer_at_least(1));
  app.add_option("--warmup", warmup, "untimed iterations first")->check(examples::integer_at_least(1));
  app.add_option("--batch", batch, "batch size (default 64; 16 for srgan, pix2pix and cyclegan)")
      ->check(examples::integer_at_least(1))
      ->default_str("64 | 16");
  return examples::run_cli(app, argc, argv, [&] {
    std::vector<std::string> models{model};
    if (model.empty()) models = {"mlp", "dcgan"};
    if (model == "all") models = {"mlp", "dcgan", "srgan"};
    // libtorch allocates every intermediate tensor afresh each step. glibc serves blocks over its mmap threshold
    // (128 KiB at start) with mmap and returns them on free, so each step would pay page faults on fresh zeroed pages,
    // about 2x the time of the mlp iteration here. glibc raises the threshold by itself after the first free of a
    // large block, which a program's data loading usually triggers (the reference trainer's MNIST reader does), but
    // not always. Fix it here, so libtorch is measured at its best whatever came before.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    // Debian's libtorch starts with one intra-op thread unless told otherwise.
    torch::set_num_threads(threads);
    torch::set_num_interop_threads(threads);
    for (const auto& m : models) {
      if (m == "pix2pix" || m == "cyclegan") {
        run_translation(m, threads, batch > 0 ? batch : 16, iters, warmup);
        continue;
      }
      if (m != "srgan") {
        run(m, data_dir, threads, batch > 0 ? batch : 64, iters, warmup);
        continue;
      }
      const auto images = data_dir.empty() ? torch::rand({60000, 28, 28}) * 2 - 1 : read_mnist_images(data_dir);
      run_srgan(images, threads, batch > 0 ? batch : 16, iters, warmup);
    }
    return 0;
  });
}
