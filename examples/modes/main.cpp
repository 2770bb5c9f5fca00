// SPDX-License-Identifier: MIT
// ganpp-modes: the mode-collapse benchmark on 2-d Gaussian mixtures, plain GAN against the stabilized configuration.
#include <ganpp/io/png.hpp>

#include "modes.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

const char* kUsage =
    "usage: ganpp-modes [options]\n"
    "Trains a small MLP GAN on a 2-d Gaussian mixture and reports how many modes its samples cover and the share of\n"
    "high-quality samples (within 3 standard deviations of their nearest mode).\n"
    "\n"
    "  --dataset D       ring8 (8 Gaussians on a circle of radius 2) | grid25 (5 x 5 grid, spacing 2); std 0.02\n"
    "  --config C        plain | stabilized (default stabilized)\n"
    "  --steps N         training steps (default 3000 for ring8, 20000 for grid25)\n"
    "  --seed S          seed for weights, data and latents (default 0)\n"
    "  --samples N       generated samples evaluated (default 2500)\n"
    "  --cover-min K     a mode is covered when at least K samples lie within 3 std of it (default 20)\n"
    "  --threads T       threads (default 1: these networks are too small to gain from more)\n"
    "  --png FILE        write a scatter picture of the samples over the modes\n"
    "  --json            print one JSON line: modes_covered, modes_total, high_quality, and the settings\n"
    "Tuning (override the configuration): --loss ns|relativistic|wgan, --r1 G, --gp L, --sn 0|1, --mbsd 0|1,\n"
    "  --ema DECAY, --lr LR (both), --g-lr LR, --d-lr LR, --d-steps K, --batch B, --hidden H, --smooth LABEL,\n"
    "  --noise STD (annealed to 0 over the first half), --lr-final F (learning rates fall linearly to F times their\n"
    "  start), --latent Z\n";

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "ganpp-modes: %s (see --help)\n", msg.c_str());
  std::exit(2);
}

double number(const std::string& flag, const std::string& text, double min_value) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(v >= min_value)) usage_error(flag + " needs a number >= " + std::to_string(min_value) + ", got '" + text + "'");
  return v;
}
long integer(const std::string& flag, const std::string& text, long min_value) {
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < min_value) usage_error(flag + " needs an integer >= " + std::to_string(min_value) + ", got '" + text + "'");
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dataset = "ring8", config = "stabilized", png;
  long steps = 0, samples = 2500, cover_min = 20, threads = 1;
  std::uint64_t seed = 0;
  bool json = false;
  std::vector<std::pair<std::string, std::string>> tuning;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a == "--json") {
      json = true;
      continue;
    }
    if (a.rfind("--", 0) != 0) usage_error("unexpected argument '" + a + "'");
    if (i + 1 >= argc) usage_error(a + " needs a value");
    const std::string v = argv[++i];
    if (a == "--dataset") {
      if (v != "ring8" && v != "grid25") usage_error("--dataset must be ring8 or grid25, got '" + v + "'");
      dataset = v;
    } else if (a == "--config") {
      if (v != "plain" && v != "stabilized") usage_error("--config must be plain or stabilized, got '" + v + "'");
      config = v;
    } else if (a == "--steps") steps = integer(a, v, 1);
    else if (a == "--seed") seed = static_cast<std::uint64_t>(integer(a, v, 0));
    else if (a == "--samples") samples = integer(a, v, 1);
    else if (a == "--cover-min") cover_min = integer(a, v, 1);
    else if (a == "--threads") threads = integer(a, v, 1);
    else if (a == "--png") png = v;
    else if (a == "--loss" || a == "--r1" || a == "--gp" || a == "--sn" || a == "--mbsd" || a == "--ema" || a == "--lr" || a == "--g-lr" ||
             a == "--d-lr" || a == "--d-steps" || a == "--batch" || a == "--hidden" || a == "--smooth" || a == "--noise" || a == "--lr-final" || a == "--latent")
      tuning.emplace_back(a, v);
    else usage_error("unknown option '" + a + "'");
  }

  if (steps == 0) steps = dataset == "ring8" ? 3000 : 20000;
  modes::Config c = modes::preset(config);
  for (const auto& [flag, v] : tuning) {
    if (flag == "--loss") {
      if (v == "ns") c.loss = ganpp::LossKind::non_saturating;
      else if (v == "relativistic") c.loss = ganpp::LossKind::relativistic;
      else if (v == "wgan") c.loss = ganpp::LossKind::wasserstein;
      else usage_error("--loss must be ns, relativistic or wgan, got '" + v + "'");
    } else if (flag == "--r1") c.r1_gamma = number(flag, v, 0);
    else if (flag == "--gp") c.gp_lambda = number(flag, v, 0);
    else if (flag == "--sn") c.spectral_norm = integer(flag, v, 0) != 0;
    else if (flag == "--mbsd") c.minibatch_stddev = integer(flag, v, 0) != 0;
    else if (flag == "--ema") c.ema_decay = number(flag, v, 0);
    else if (flag == "--lr") c.g_lr = c.d_lr = number(flag, v, 1e-12);
    else if (flag == "--g-lr") c.g_lr = number(flag, v, 1e-12);
    else if (flag == "--d-lr") c.d_lr = number(flag, v, 1e-12);
    else if (flag == "--d-steps") c.d_steps = static_cast<int>(integer(flag, v, 1));
    else if (flag == "--batch") c.batch = integer(flag, v, 2);
    else if (flag == "--hidden") c.hidden = integer(flag, v, 1);
    else if (flag == "--smooth") c.real_label = number(flag, v, 1e-6);
    else if (flag == "--noise") c.instance_noise = number(flag, v, 0);
    else if (flag == "--lr-final") c.lr_final = number(flag, v, 1e-6);
    else if (flag == "--latent") c.latent = integer(flag, v, 1);
  }
  if (!(c.ema_decay < 1)) usage_error("--ema must be below 1");

  try {
    ganpp::set_num_threads(static_cast<int>(threads));
    const modes::Mixture m = modes::make_mixture(dataset);
    const modes::Result r = modes::run(m, c, steps, seed, samples, static_cast<int>(cover_min));
    if (!png.empty()) {
      const int size = 400;
      const auto px = modes::scatter_pixels(m, r.samples, size);
      ganpp::write_png(png, size, size, 3, px.data());
    }
    if (json) {
      std::string tuned;
      for (const auto& [flag, v] : tuning) tuned += (tuned.empty() ? "" : " ") + flag + " " + v;
      std::printf("{\"dataset\": \"%s\", \"config\": \"%s\", \"tuning\": \"%s\", \"steps\": %ld, \"seed\": %llu, \"modes_covered\": %d, "
                  "\"modes_total\": %d, \"high_quality\": %.4f, \"seconds\": %.2f}\n",
                  dataset.c_str(), config.c_str(), tuned.c_str(), steps, static_cast<unsigned long long>(seed), r.eval.modes_covered, r.eval.modes_total,
                  r.eval.high_quality, r.seconds);
    } else {
      std::printf("%s, %s, %ld steps, seed %llu: %d of %d modes covered, %.1f%% high-quality samples (%.1f s)\n", dataset.c_str(), config.c_str(), steps,
                  static_cast<unsigned long long>(seed), r.eval.modes_covered, r.eval.modes_total, 100 * r.eval.high_quality, r.seconds);
      std::printf("high-quality samples per mode:");
      for (int k : r.eval.per_mode) std::printf(" %d", k);
      std::printf("\n");
    }
  } catch (const ganpp::error& e) {
    std::fprintf(stderr, "ganpp-modes: %s\n", e.what());
    return 1;
  }
  return 0;
}
