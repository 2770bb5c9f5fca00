// SPDX-License-Identifier: MIT
// ganpp-anomaly: trains a GAN on MNIST digits 0-8 only, then scores held-out test digits with AnomalyScorer and
// reports how well the scores separate the unseen digit 9 from held-out 0-8 (AUROC).
#include <ganpp/applications/anomaly.hpp>
#include <ganpp/checkpoint.hpp>
#include <ganpp/data/dataset.hpp>
#include <ganpp/data/mnist.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/metrics.hpp>
#include <ganpp/model_io.hpp>

#include "common/cli.hpp"
#include "common/json.hpp"
#include "common/output.hpp"
#include "common/pixels.hpp"
#include "mnist/mnist_models.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {

const char* const kAbout =
    "Trains a GAN on the MNIST training digits except one (default 9), then scores held-out test images of the unseen\n"
    "digit and of the others with the discriminator and an AnoGAN latent search, and prints the AUROC of telling them\n"
    "apart (1 = perfect, 0.5 = chance) for each score.";

struct Options {
  std::string data, model = "mlp", out = "out/anomaly", load;
  long epochs = 2, steps = -1, eval = 500;
  int anomaly = 9, search = 50, starts = 16, threads = 1;
  double lambda = 0.1;
  std::uint64_t seed = 0;
  bool json = false;
};

void add_options(CLI::App& app, Options& o) {
  examples::add_data_option(app, o.data);
  app.add_option("--model", o.model, "mlp | dcgan")->check(CLI::IsMember({"mlp", "dcgan"}));
  app.add_option("--epochs", o.epochs, "training epochs over the digits kept")->check(examples::integer_at_least(1));
  app.add_option("--steps", o.steps, "stop training after N steps (a cap for quick runs)")->check(examples::integer_at_least(1))->default_str("");
  app.add_option("--anomaly", o.anomaly, "the digit left out of training")->check(examples::integer_at_least(0, 9));
  app.add_option("--eval", o.eval, "test images of each group scored: N of the left-out digit and N of the others")->check(examples::integer_at_least(1));
  app.add_option("--search", o.search, "latent-search steps per image (0 for the discriminator alone)")->check(examples::integer_at_least(0, 1 << 30));
  app.add_option("--starts", o.starts, "random latents tried per image; the search starts from the closest")->check(examples::integer_at_least(1, 4096));
  app.add_option("--lambda", o.lambda, "weight of the discriminator term in the search and the score (0 to 1)")
      ->check(examples::number_above(0))
      ->check(CLI::Validator([](std::string& v) { return std::stod(v) <= 1 ? "" : "needs a number from 0 to 1, got '" + v + "'"; }, "<= 1"));
  examples::add_seed_option(app, o.seed, "the weights, the shuffling, the latents and the evaluation set");
  examples::add_threads_option(app, o.threads);
  app.add_option("--out", o.out, "where checkpoint.ganpp and scores.csv go");
  app.add_option("--load", o.load, "skip training: score with the models in a checkpoint written by an earlier run");
  examples::add_json_flag(app, o.json);
}

/// The images of `ds` whose label is (keep == true) or is not (keep == false) `digit`.
ganpp::ImageDataset select(const ganpp::ImageDataset& ds, int digit, bool keep) {
  ganpp::ImageDataset out;
  out.height = ds.height;
  out.width = ds.width;
  const ganpp::Index size = ds.image_size();
  for (ganpp::Index i = 0; i < ds.count; ++i)
    if ((ds.labels[static_cast<std::size_t>(i)] == digit) == keep) {
      out.pixels.insert(out.pixels.end(), ds.pixels.begin() + i * size, ds.pixels.begin() + (i + 1) * size);
      out.labels.push_back(ds.labels[static_cast<std::size_t>(i)]);
      ++out.count;
    }
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Trains G and D on every training digit but --anomaly and saves them to OUT/checkpoint.ganpp.
void train(const Options& o, ganpp::Generator<float>& g, ganpp::Discriminator<float>& d) {
  const auto t0 = std::chrono::steady_clock::now();
  const ganpp::ImageDataset train = select(ganpp::load_mnist(o.data, true), o.anomaly, false);
  g.reset_parameters(ganpp::Init::torch_default, o.seed * 2 + 1);
  d.reset_parameters(ganpp::Init::torch_default, o.seed * 2 + 2);
  ganpp::Adam<float> g_opt(g.parameters(), {2e-4, 0.5, 0.999}), d_opt(d.parameters(), {2e-4, 0.5, 0.999});
  ganpp::TrainerOptions to;
  to.seed = o.seed;
  ganpp::GanTrainer<float> trainer(g, d, g_opt, d_opt, to);
  ganpp::BatchLoader<float> loader(train, 64, o.seed, o.model == "mlp");
  if (!o.json)
    std::printf("training the %s GAN on %lld training images of every digit but %d, %ld epochs\n", o.model.c_str(),
                static_cast<long long>(train.count), o.anomaly, o.epochs);
  trainer.on_epoch([&](ganpp::Index epoch) {
    if (!o.json) std::printf("epoch %lld/%ld done, step %lld, %.0f s\n", static_cast<long long>(epoch), o.epochs, static_cast<long long>(trainer.steps()), seconds_since(t0));
    std::fflush(stdout);
    return true;
  });
  trainer.on_step([&](const ganpp::StepStats& st) { return o.steps < 0 || st.step < o.steps; });
  trainer.fit(loader, o.epochs);
  ganpp::Checkpoint c;
  c.put_text("run.model", o.model);
  c.put_text("run.anomaly", std::to_string(o.anomaly));
  ganpp::save_model(c, "generator", g);
  ganpp::save_model(c, "discriminator", d);
  c.save((std::filesystem::path(o.out) / "checkpoint.ganpp").string());
}

/// Loads G and D from --load, checking that they were trained by ganpp-anomaly with the same --model and --anomaly.
void load(const Options& o, ganpp::Generator<float>& g, ganpp::Discriminator<float>& d) {
  const ganpp::Checkpoint c = ganpp::Checkpoint::load(o.load);
  if (!c.has("run.model") || c.text("run.model") != o.model)
    throw ganpp::argument_error(o.load + " does not hold a " + o.model + " GAN written by ganpp-anomaly (pass the same --model)");
  if (c.text("run.anomaly") != std::to_string(o.anomaly))
    throw ganpp::argument_error(o.load + " was trained without digit " + c.text("run.anomaly") + ", not " + std::to_string(o.anomaly) +
                                " (pass --anomaly " + c.text("run.anomaly") + ")");
  ganpp::load_model(c, "generator", g);
  ganpp::load_model(c, "discriminator", d);
}

/// The evaluation set: the first --eval test images of the left-out digit and --eval drawn at random from the rest.
struct EvalSet {
  ganpp::Tensor<float> x;
  std::vector<int> is_anomaly, digits;
  ganpp::Index n_unseen = 0, n_seen = 0;
};

EvalSet evaluation_set(const Options& o) {
  const ganpp::ImageDataset test = ganpp::load_mnist(o.data, false);
  const ganpp::ImageDataset unseen = select(test, o.anomaly, true), seen = select(test, o.anomaly, false);
  std::vector<ganpp::Index> seen_order(static_cast<std::size_t>(seen.count));
  for (std::size_t i = 0; i < seen_order.size(); ++i) seen_order[i] = static_cast<ganpp::Index>(i);
  ganpp::Rng pick(o.seed + 99);
  pick.shuffle(seen_order);
  EvalSet e;
  e.n_unseen = std::min<ganpp::Index>(o.eval, unseen.count);
  e.n_seen = std::min<ganpp::Index>(o.eval, seen.count);
  const ganpp::Index n = e.n_unseen + e.n_seen;
  e.x.resize(o.model == "mlp" ? ganpp::Shape{n, 784} : ganpp::Shape{n, 1, 28, 28});
  for (ganpp::Index i = 0; i < n; ++i) {
    const bool anomalous = i < e.n_unseen;
    const ganpp::ImageDataset& src = anomalous ? unseen : seen;
    const ganpp::Index item = anomalous ? i : seen_order[static_cast<std::size_t>(i - e.n_unseen)];
    examples::from_pixels(src.pixels.data() + item * 784, 784, e.x.data() + i * 784);
    e.is_anomaly.push_back(anomalous ? 1 : 0);
    e.digits.push_back(src.labels[static_cast<std::size_t>(item)]);
  }
  return e;
}

/// scores.csv: one row per image. ink: the image's mean intensity in [0, 1], which the raw residual follows closely
/// (see the README).
void write_scores(const std::string& path, const EvalSet& e, const ganpp::AnomalyScores& s) {
  std::string csv = "digit,anomaly,score,discriminator,residual,relative_residual,ink\n";
  char row[256];
  for (std::size_t i = 0; i < s.score.size(); ++i) {
    double ink = 0;
    for (ganpp::Index k = 0; k < 784; ++k) ink += (static_cast<double>(e.x[static_cast<ganpp::Index>(i) * 784 + k]) + 1) / 2;
    std::snprintf(row, sizeof row, "%d,%d,%.6g,%.6g,%.6g,%.6g,%.6g\n", e.digits[i], e.is_anomaly[i], s.score[i], s.discriminator[i],
                  s.residual.empty() ? 0.0 : s.residual[i], s.residual.empty() ? 0.0 : s.relative_residual[i], ink / 784);
    csv += row;
  }
  examples::write_file(path, csv);
}

void report(const Options& o, const EvalSet& e, const ganpp::AnomalyScores& s, double train_seconds, double score_seconds) {
  const double auc_d = ganpp::auroc(s.discriminator, e.is_anomaly), auc_score = ganpp::auroc(s.score, e.is_anomaly);
  const bool searched = !s.residual.empty();
  const double auc_residual = searched ? ganpp::auroc(s.residual, e.is_anomaly) : -1;
  const double auc_relative = searched ? ganpp::auroc(s.relative_residual, e.is_anomaly) : -1;
  if (o.json) {
    using examples::rounded;
    examples::print_json({{"model", o.model}, {"anomaly", o.anomaly}, {"n_anomalous", e.n_unseen}, {"n_normal", e.n_seen},
                          {"search_steps", o.search}, {"starts", o.starts}, {"lambda", o.lambda}, {"auroc", rounded(auc_score, 4)},
                          {"auroc_discriminator", rounded(auc_d, 4)},
                          {"auroc_residual", searched ? nlohmann::ordered_json(rounded(auc_residual, 6)) : nullptr},
                          {"auroc_relative_residual", searched ? nlohmann::ordered_json(rounded(auc_relative, 6)) : nullptr},
                          {"train_seconds", rounded(train_seconds, 1)}, {"score_seconds", rounded(score_seconds, 1)}});
    return;
  }
  std::printf("scored %lld test images of digit %d against %lld of the other digits in %.0f s (%d search steps from the best of %d starts, lambda %g)\n",
              static_cast<long long>(e.n_unseen), o.anomaly, static_cast<long long>(e.n_seen), score_seconds, o.search, o.starts, o.lambda);
  std::printf("AUROC, discriminator alone softplus(-D(x))   %.4f\n", auc_d);
  if (searched) {
    std::printf("AUROC, latent-search residual alone          %.4f\n", auc_residual);
    std::printf("AUROC, residual relative to the input's ink  %.4f\n", auc_relative);
    std::printf("AUROC, AnoGAN score (residual + lambda D)    %.4f\n", auc_score);
  }
  std::printf("per-image scores in %s\n", (std::filesystem::path(o.out) / "scores.csv").c_str());
}

int run(const Options& o) {
  ganpp::set_num_threads(o.threads);
  examples::make_output_folder(o.out);
  const bool mlp = o.model == "mlp";
  ganpp::Generator<float> g = mlp ? mnist::mlp_generator<float>() : mnist::dcgan_generator<float>();
  ganpp::Discriminator<float> d = mlp ? mnist::mlp_discriminator<float>() : mnist::dcgan_discriminator<float>();
  const auto t0 = std::chrono::steady_clock::now();
  if (o.load.empty()) train(o, g, d);
  else load(o, g, d);
  const double train_seconds = o.load.empty() ? seconds_since(t0) : 0;
  const EvalSet e = evaluation_set(o);
  ganpp::AnomalyOptions ao;
  ao.search_steps = o.search;
  ao.starts = o.starts;
  ao.lambda = o.lambda;
  ao.seed = o.seed + 7;
  ganpp::AnomalyScorer<float> scorer(g, d, ao);
  const auto t1 = std::chrono::steady_clock::now();
  const ganpp::AnomalyScores s = scorer.score(e.x);
  const double score_seconds = seconds_since(t1);
  write_scores((std::filesystem::path(o.out) / "scores.csv").string(), e, s);
  report(o, e, s, train_seconds, score_seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  examples::App app("ganpp-anomaly", kAbout);
  add_options(app, o);
  return examples::run_cli(app, argc, argv, [&] { return run(o); });
}
