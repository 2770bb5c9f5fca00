// SPDX-License-Identifier: MIT
// ganpp-bench: milliseconds per full training iteration (one D step, one G step) of the reference GANs.
#include <ganpp/ganpp.hpp>

#include "../mnist/mnist_models.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using ganpp::Index;

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "ganpp-bench: %s (see --help)\n", msg.c_str());
  std::exit(2);
}

long parse_positive(const char* flag, const char* text) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text, &end, 10);
  if (errno || end == text || *end || v < 1) usage_error(std::string(flag) + " needs a positive integer, got '" + text + "'");
  return v;
}

/// Multiply-add FLOPs of one training iteration, counted per GEMM as 2*M*K*N: G forward, G weight and input
/// gradients (not for its first layer's input, the latent); D forward three times (real, fake, fake again for the
/// G step), D input gradients three times (once for its first layer: only the G step needs d(fake)), D weight
/// gradients twice (its own step; frozen in the G step).
struct FlopCount {
  double total = 0;
  void gemm(double m, double k, double n, double times) { total += 2.0 * m * k * n * times; }
};

double iteration_flops(const std::string& model, Index batch) {
  FlopCount f;
  const double B = static_cast<double>(batch);
  if (model == "mlp") {
    const double g[][2] = {{100, 256}, {256, 512}, {512, 1024}, {1024, 784}};
    for (int i = 0; i < 4; ++i) f.gemm(B, g[i][0], g[i][1], i == 0 ? 2 : 3);
    const double d[][2] = {{784, 512}, {512, 256}, {256, 1}};
    for (int i = 0; i < 3; ++i) f.gemm(B, d[i][0], d[i][1], 3 + (i == 0 ? 1 : 3) + 2);
  } else {
    // Transposed convolutions: M = B*H*W (input grid), K = Cin, N = Cout*k*k.
    const double g[][4] = {{1, 100, 256, 16}, {16, 256, 128, 9}, {49, 128, 64, 16}, {196, 64, 1, 16}};
    for (int i = 0; i < 4; ++i) f.gemm(B * g[i][0], g[i][1], g[i][2] * g[i][3], i == 0 ? 2 : 3);
    // Convolutions: M = B*OH*OW, K = Cin*k*k, N = Cout.
    const double d[][4] = {{196, 1, 16, 64}, {49, 64, 16, 128}, {9, 128, 16, 256}, {1, 256, 9, 1}};
    for (int i = 0; i < 4; ++i) f.gemm(B * d[i][0], d[i][1] * d[i][2], d[i][3], 3 + (i == 0 ? 1 : 3) + 2);
  }
  return f.total;
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // kilobytes on Linux
}

struct Result {
  std::string model;
  int threads;
  Index batch;
  long iters;
  double median_ms, p10_ms, p90_ms, images_per_s, gflops, peak_rss_mb;
};

template <typename G, typename D>
Result run(const std::string& model, G g, D d, Index batch, int threads, long iters, long warmup) {
  ganpp::set_num_threads(threads);
  ganpp::Adam<float> g_opt(g.parameters(), {2e-4, 0.5, 0.999}), d_opt(d.parameters(), {2e-4, 0.5, 0.999});
  ganpp::GanTrainer<float> trainer(g, d, g_opt, d_opt);
  ganpp::Tensor<float> real(d.input_shape().batched(batch));
  ganpp::Rng rng(1);
  rng.fill_uniform(real, -1, 1);
  std::vector<double> ms;
  for (long i = 0; i < warmup + iters; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    trainer.step(real);
    const double dt = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (i >= warmup) ms.push_back(dt);
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double q) { return ms[static_cast<std::size_t>(q * static_cast<double>(ms.size() - 1) + 0.5)]; };
  const double med = ms.size() % 2 ? ms[ms.size() / 2] : 0.5 * (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]);
  return {model, threads, batch, iters, med, pct(0.1), pct(0.9), static_cast<double>(batch) / (med / 1e3),
          iteration_flops(model, batch) / (med / 1e3) / 1e9, peak_rss_mb()};
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> models{"mlp", "dcgan"};
  Index batch = 64;
  std::vector<int> threads{ganpp::num_threads()};
  long iters = 50, warmup = 5;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::printf(
          "usage: ganpp-bench [--model mlp|dcgan|all] [--batch 64] [--threads N[,M...]] [--iters 50] [--warmup 5] [--json]\n"
          "Times full training iterations (one D step and one G step, Adam, non-saturating loss) on random data and\n"
          "prints the median and the 10th/90th percentiles of ms per iteration, images/s, GFLOP/s and peak RSS.\n");
      return 0;
    } else if (a == "--model") {
      const std::string m = value();
      if (m == "all") models = {"mlp", "dcgan"};
      else if (m == "mlp" || m == "dcgan") models = {m};
      else usage_error("--model must be mlp, dcgan or all, got '" + m + "'");
    } else if (a == "--batch") {
      batch = parse_positive("--batch", value());
    } else if (a == "--threads") {
      threads.clear();
      std::string list = value();
      for (std::size_t pos = 0; pos <= list.size();) {
        const std::size_t comma = std::min(list.find(',', pos), list.size());
        threads.push_back(static_cast<int>(parse_positive("--threads", list.substr(pos, comma - pos).c_str())));
        pos = comma + 1;
      }
    } else if (a == "--iters") {
      iters = parse_positive("--iters", value());
    } else if (a == "--warmup") {
      warmup = parse_positive("--warmup", value());
    } else if (a == "--json") {
      json = true;
    } else {
      usage_error("unknown option '" + a + "'");
    }
  }
  if (!json) std::printf("%-6s %7s %5s %6s %10s %9s %9s %9s %8s %8s\n", "model", "threads", "batch", "iters", "median ms", "p10 ms", "p90 ms", "images/s", "GFLOP/s", "RSS MB");
  for (int t : threads)
    for (const auto& m : models) {
      const Result r = m == "mlp" ? run(m, mnist::mlp_generator<float>(), mnist::mlp_discriminator<float>(), batch, t, iters, warmup)
                                  : run(m, mnist::dcgan_generator<float>(), mnist::dcgan_discriminator<float>(), batch, t, iters, warmup);
      if (json)
        std::printf("{\"model\": \"%s\", \"threads\": %d, \"batch\": %ld, \"iters\": %ld, \"ms_per_iter_median\": %.3f, \"ms_p10\": %.3f, "
                    "\"ms_p90\": %.3f, \"images_per_s\": %.1f, \"gflops\": %.1f, \"peak_rss_mb\": %.1f}\n",
                    r.model.c_str(), r.threads, static_cast<long>(r.batch), r.iters, r.median_ms, r.p10_ms, r.p90_ms, r.images_per_s, r.gflops, r.peak_rss_mb);
      else
        std::printf("%-6s %7d %5ld %6ld %10.2f %9.2f %9.2f %9.0f %8.1f %8.1f\n", r.model.c_str(), r.threads, static_cast<long>(r.batch), r.iters,
                    r.median_ms, r.p10_ms, r.p90_ms, r.images_per_s, r.gflops, r.peak_rss_mb);
      std::fflush(stdout);
    }
  return 0;
}
