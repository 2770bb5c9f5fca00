// SPDX-License-Identifier: MIT
// ganpp-modes: the mode-collapse benchmark on 2-d Gaussian mixtures, plain GAN against the stabilized configuration.
#include <ganpp/io/png.hpp>

#include "common/cli.hpp"
#include "common/json.hpp"
#include "modes.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string dataset = "ring8", config = "stabilized", png;
  long steps = 0, samples = 2500;
  int cover_min = 20, threads = 1;
  std::uint64_t seed = 0;
  bool json = false;
};

/// The tuning flags: each overrides one field of the chosen configuration (after --config picks it), in the order given.
class Tuning {
 public:
  template <typename T, typename... Members>
  CLI::Option* add(CLI::App& app, const std::string& flag, const std::string& help, Members... members) {
    auto value = std::make_shared<T>();
    CLI::Option* opt = app.add_option(flag, *value, help)->group(kGroup)->default_str("");
    apply_.push_back([opt, value, members...](modes::Config& c) {
      if (opt->count() > 0) ((c.*members = static_cast<std::remove_reference_t<decltype(c.*members)>>(*value)), ...);
    });
    return opt;
  }
  /// --loss ns|relativistic|wgan.
  void add_loss(CLI::App& app) {
    app.add_option("--loss", loss_, "ns | relativistic | wgan")->group(kGroup)->default_str("")->check(CLI::IsMember({"ns", "relativistic", "wgan"}));
  }
  void apply(modes::Config& c) const {
    if (loss_ == "ns") c.loss = ganpp::LossKind::non_saturating;
    if (loss_ == "relativistic") c.loss = ganpp::LossKind::relativistic;
    if (loss_ == "wgan") c.loss = ganpp::LossKind::wasserstein;
    for (const auto& f : apply_) f(c);
  }
  static constexpr const char* kGroup = "Tuning (overrides the configuration)";

 private:
  std::vector<std::function<void(modes::Config&)>> apply_;
  std::string loss_;
};

void add_tuning(CLI::App& app, Tuning& t) {
  using C = modes::Config;
  t.add_loss(app);
  t.add<double>(app, "--r1", "R1 penalty gamma", &C::r1_gamma)->check(examples::number_above(0));
  t.add<double>(app, "--gp", "WGAN-GP penalty lambda", &C::gp_lambda)->check(examples::number_above(0));
  t.add<bool>(app, "--sn", "0|1: spectral normalization on D's Linear layers", &C::spectral_norm)->check(CLI::IsMember({"0", "1"}));
  t.add<bool>(app, "--mbsd", "0|1: minibatch standard deviation in D", &C::minibatch_stddev)->check(CLI::IsMember({"0", "1"}));
  t.add<double>(app, "--ema", "sample from an EMA of G's weights with this decay", &C::ema_decay)
      ->check(examples::number_above(0))
      ->check(CLI::Validator([](std::string& v) { return std::stod(v) < 1 ? "" : "needs a number below 1, got '" + v + "'"; }, "< 1"));
  t.add<double>(app, "--lr", "learning rate of both", &C::g_lr, &C::d_lr)->check(examples::number_above(0, true));
  t.add<double>(app, "--g-lr", "G's learning rate", &C::g_lr)->check(examples::number_above(0, true));
  t.add<double>(app, "--d-lr", "D's learning rate", &C::d_lr)->check(examples::number_above(0, true));
  t.add<int>(app, "--d-steps", "D steps per G step", &C::d_steps)->check(examples::integer_at_least(1));
  t.add<ganpp::Index>(app, "--batch", "batch size", &C::batch)->check(examples::integer_at_least(2));
  t.add<ganpp::Index>(app, "--hidden", "hidden units", &C::hidden)->check(examples::integer_at_least(1));
  t.add<double>(app, "--smooth", "label of real samples (one-sided label smoothing)", &C::real_label)->check(examples::number_above(0, true));
  t.add<double>(app, "--noise", "instance noise std, annealed to 0 over the first half", &C::instance_noise)->check(examples::number_above(0));
  t.add<double>(app, "--lr-final", "learning rates fall linearly to this fraction of their start", &C::lr_final)->check(examples::number_above(0, true));
  t.add<ganpp::Index>(app, "--latent", "latent size", &C::latent)->check(examples::integer_at_least(1));
}

/// The tuning flags as given, in order ("--r1 0.5 --sn 1"), for the JSON line.
std::string tuning_text(const CLI::App& app) {
  std::string text;
  for (const CLI::Option* opt : app.parse_order())
    if (opt->get_group().rfind("Tuning", 0) == 0) text += (text.empty() ? "" : " ") + opt->get_name() + " " + opt->results().back();
  return text;
}

int run(const Options& o, const modes::Config& c, const std::string& tuned) {
  ganpp::set_num_threads(o.threads);
  const long steps = o.steps > 0 ? o.steps : o.dataset == "ring8" ? 3000 : 20000;
  const modes::Mixture m = modes::make_mixture(o.dataset);
  const modes::Result r = modes::run(m, c, steps, o.seed, o.samples, o.cover_min);
  if (!o.png.empty()) ganpp::write_png(o.png, 400, 400, 3, modes::scatter_pixels(m, r.samples, 400).data());
  if (o.json) {
    examples::print_json({{"dataset", o.dataset}, {"config", o.config}, {"tuning", tuned}, {"steps", steps}, {"seed", o.seed},
                          {"modes_covered", r.eval.modes_covered}, {"modes_total", r.eval.modes_total},
                          {"high_quality", examples::rounded(r.eval.high_quality, 4)}, {"seconds", examples::rounded(r.seconds, 2)}});
    return 0;
  }
  std::printf("%s, %s, %ld steps, seed %llu: %d of %d modes covered, %.1f%% high-quality samples (%.1f s)\n", o.dataset.c_str(), o.config.c_str(),
              steps, static_cast<unsigned long long>(o.seed), r.eval.modes_covered, r.eval.modes_total, 100 * r.eval.high_quality, r.seconds);
  std::printf("high-quality samples per mode:");
  for (int k : r.eval.per_mode) std::printf(" %d", k);
  std::printf("\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  Tuning tuning;
  examples::App app("ganpp-modes",
                    "Trains a small MLP GAN on a 2-d Gaussian mixture and reports how many modes its samples cover and the share of\n"
                    "high-quality samples (within 3 standard deviations of their nearest mode).");
  app.add_option("--dataset", o.dataset, "ring8 (8 Gaussians on a circle of radius 2) | grid25 (5 x 5 grid, spacing 2); std 0.02")
      ->check(CLI::IsMember({"ring8", "grid25"}));
  app.add_option("--config", o.config, "plain | stabilized")->check(CLI::IsMember({"plain", "stabilized"}));
  app.add_option("--steps", o.steps, "training steps (default 3000 for ring8, 20000 for grid25)")->check(examples::integer_at_least(1))->default_str("");
  examples::add_seed_option(app, o.seed, "weights, data and latents");
  app.add_option("--samples", o.samples, "generated samples evaluated")->check(examples::integer_at_least(1));
  app.add_option("--cover-min", o.cover_min, "a mode is covered when at least K samples lie within 3 std of it")->check(examples::integer_at_least(1));
  examples::add_threads_option(app, o.threads)->default_val(1)->description("threads (these networks are too small to gain from more)");
  app.add_option("--png", o.png, "write a scatter picture of the samples over the modes");
  examples::add_json_flag(app, o.json)->description("print one JSON line: modes_covered, modes_total, high_quality, and the settings");
  add_tuning(app, tuning);
  return examples::run_cli(app, argc, argv, [&] {
    modes::Config c = modes::preset(o.config);
    tuning.apply(c);
    return run(o, c, tuning_text(app));
  });
}
