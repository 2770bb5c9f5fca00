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

#include "../mnist/mnist_models.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  std::string data = "data/mnist";
  std::string model = "mlp";
  std::string out = "out/anomaly";
  std::string load;
  long epochs = 2;
  long steps = -1;  // no cap
  long anomaly = 9;
  long eval = 500;
  long search = 50;
  long starts = 16;
  double lambda = 0.1;
  long seed = 0;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  bool json = false;
};

const char* kUsage =
    "usage: ganpp-anomaly [options]\n"
    "Trains a GAN on the MNIST training digits except one (default 9), then scores held-out test images of the\n"
    "unseen digit and of the others with the discriminator and an AnoGAN latent search, and prints the AUROC of\n"
    "telling them apart (1 = perfect, 0.5 = chance) for each score.\n"
    "\n"
    "  --data DIR        folder with the four MNIST IDX files (default data/mnist)\n"
    "  --model M         mlp | dcgan (default mlp)\n"
    "  --epochs E        training epochs over the digits kept (default 2)\n"
    "  --steps N         stop training after N steps (a cap for quick runs)\n"
    "  --anomaly K       the digit left out of training (default 9)\n"
    "  --eval N          test images of each group scored: N of digit K and N of the others (default 500)\n"
    "  --search S        latent-search steps per image (default 50; 0 for the discriminator alone)\n"
    "  --starts K        random latents tried per image; the search starts from the closest (default 16)\n"
    "  --lambda L        weight of the discriminator term in the search and the score (default 0.1)\n"
    "  --seed S          seed (default 0)\n"
    "  --threads T       threads (default: the machine's cores)\n"
    "  --out DIR         where checkpoint.ganpp and scores.csv go (default out/anomaly)\n"
    "  --load FILE       skip training: score with the models in a checkpoint written by an earlier run\n"
    "  --json            print one JSON line instead of text\n";

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "ganpp-anomaly: %s (see --help)\n", msg.c_str());
  std::exit(2);
}

long parse_long(const std::string& flag, const std::string& text, long min_value, long max_value = 1L << 40) {
  try {
    std::size_t used = 0;
    const long v = std::stol(text, &used);
    if (used == text.size() && v >= min_value && v <= max_value) return v;
  } catch (const std::exception&) {
  }
  usage_error(flag + " needs an integer from " + std::to_string(min_value) + " to " + std::to_string(max_value) + ", got '" + text + "'");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (a == "--json") {
      o.json = true;
      continue;
    }
    if (a.rfind("--", 0) != 0) usage_error("unexpected argument '" + a + "'");
    bool known = false;
    for (const char* flag : {"--data", "--model", "--epochs", "--steps", "--anomaly", "--eval", "--search", "--starts", "--lambda", "--seed", "--threads", "--out", "--load"}) known = known || a == flag;
    if (!known) usage_error("unknown option '" + a + "'");
    if (i + 1 >= argc) usage_error(a + " needs a value");
    const std::string v = argv[++i];
    if (a == "--data") o.data = v;
    else if (a == "--model") {
      if (v != "mlp" && v != "dcgan") usage_error("--model must be mlp or dcgan, got '" + v + "'");
      o.model = v;
    } else if (a == "--epochs") o.epochs = parse_long(a, v, 1);
    else if (a == "--steps") o.steps = parse_long(a, v, 1);
    else if (a == "--anomaly") o.anomaly = parse_long(a, v, 0, 9);
    else if (a == "--eval") o.eval = parse_long(a, v, 1);
    else if (a == "--search") o.search = parse_long(a, v, 0);
    else if (a == "--starts") o.starts = parse_long(a, v, 1, 4096);
    else if (a == "--lambda") {
      char* end = nullptr;
      o.lambda = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || !(o.lambda >= 0 && o.lambda <= 1)) usage_error("--lambda needs a number from 0 to 1, got '" + v + "'");
    } else if (a == "--seed") o.seed = parse_long(a, v, 0);
    else if (a == "--threads") o.threads = static_cast<int>(parse_long(a, v, 1, 1024));
    else if (a == "--out") o.out = v;
    else if (a == "--load") o.load = v;
    else usage_error("unknown option '" + a + "'");
  }
  return o;
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

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  try {
    ganpp::set_num_threads(o.threads);
    std::filesystem::create_directories(o.out);
    const bool mlp = o.model == "mlp";
    ganpp::Generator<float> g = mlp ? mnist::mlp_generator<float>() : mnist::dcgan_generator<float>();
    ganpp::Discriminator<float> d = mlp ? mnist::mlp_discriminator<float>() : mnist::dcgan_discriminator<float>();
    const int digit = static_cast<int>(o.anomaly);
    const auto seed = static_cast<std::uint64_t>(o.seed);
    const auto t0 = std::chrono::steady_clock::now();
    double train_seconds = 0;
    if (o.load.empty()) {
      const ganpp::ImageDataset train = select(ganpp::load_mnist(o.data, true), digit, false);
      g.reset_parameters(ganpp::Init::torch_default, seed * 2 + 1);
      d.reset_parameters(ganpp::Init::torch_default, seed * 2 + 2);
      ganpp::Adam<float> g_opt(g.parameters(), {2e-4, 0.5, 0.999}), d_opt(d.parameters(), {2e-4, 0.5, 0.999});
      ganpp::TrainerOptions to;
      to.seed = seed;
      ganpp::GanTrainer<float> trainer(g, d, g_opt, d_opt, to);
      ganpp::BatchLoader<float> loader(train, 64, seed, mlp);
      if (!o.json)
        std::printf("training the %s GAN on %lld training images of every digit but %d, %ld epochs\n", o.model.c_str(),
                    static_cast<long long>(train.count), digit, o.epochs);
      trainer.on_epoch([&](ganpp::Index epoch) {
        if (!o.json) std::printf("epoch %lld/%ld done, step %lld, %.0f s\n", static_cast<long long>(epoch), o.epochs, static_cast<long long>(trainer.steps()), seconds_since(t0));
        std::fflush(stdout);
        return true;
      });
      trainer.on_step([&](const ganpp::StepStats& st) { return o.steps < 0 || st.step < o.steps; });
      trainer.fit(loader, o.epochs);
      train_seconds = seconds_since(t0);
      ganpp::Checkpoint c;
      c.put_text("run.model", o.model);
      c.put_text("run.anomaly", std::to_string(digit));
      ganpp::save_model(c, "generator", g);
      ganpp::save_model(c, "discriminator", d);
      c.save((std::filesystem::path(o.out) / "checkpoint.ganpp").string());
    } else {
      const ganpp::Checkpoint c = ganpp::Checkpoint::load(o.load);
      if (!c.has("run.model") || c.text("run.model") != o.model)
        throw ganpp::argument_error(o.load + " does not hold a " + o.model + " GAN written by ganpp-anomaly (pass the same --model)");
      if (c.text("run.anomaly") != std::to_string(digit))
        throw ganpp::argument_error(o.load + " was trained without digit " + c.text("run.anomaly") + ", not " + std::to_string(digit) + " (pass --anomaly " +
                                    c.text("run.anomaly") + ")");
      ganpp::load_model(c, "generator", g);
      ganpp::load_model(c, "discriminator", d);
    }

    // The evaluation set: the first --eval test images of the left-out digit and --eval drawn at random from the rest.
    const ganpp::ImageDataset test = ganpp::load_mnist(o.data, false);
    const ganpp::ImageDataset unseen = select(test, digit, true), seen = select(test, digit, false);
    std::vector<ganpp::Index> seen_order(static_cast<std::size_t>(seen.count));
    for (std::size_t i = 0; i < seen_order.size(); ++i) seen_order[i] = static_cast<ganpp::Index>(i);
    ganpp::Rng pick(seed + 99);
    pick.shuffle(seen_order);
    const ganpp::Index n_unseen = std::min<ganpp::Index>(o.eval, unseen.count), n_seen = std::min<ganpp::Index>(o.eval, seen.count);
    const ganpp::Index n = n_unseen + n_seen;
    ganpp::Tensor<float> x(mlp ? ganpp::Shape{n, 784} : ganpp::Shape{n, 1, 28, 28});
    std::vector<int> is_anomaly, digits;
    for (ganpp::Index i = 0; i < n; ++i) {
      const bool anomalous = i < n_unseen;
      const ganpp::ImageDataset& src = anomalous ? unseen : seen;
      const ganpp::Index item = anomalous ? i : seen_order[static_cast<std::size_t>(i - n_unseen)];
      for (ganpp::Index k = 0; k < 784; ++k) x[i * 784 + k] = static_cast<float>(src.pixels[static_cast<std::size_t>(item * 784 + k)]) / 127.5f - 1.0f;
      is_anomaly.push_back(anomalous ? 1 : 0);
      digits.push_back(src.labels[static_cast<std::size_t>(item)]);
    }

    ganpp::AnomalyOptions ao;
    ao.search_steps = static_cast<int>(o.search);
    ao.starts = static_cast<int>(o.starts);
    ao.lambda = o.lambda;
    ao.seed = seed + 7;
    ganpp::AnomalyScorer<float> scorer(g, d, ao);
    const auto t1 = std::chrono::steady_clock::now();
    const ganpp::AnomalyScores s = scorer.score(x);
    const double score_seconds = seconds_since(t1);
    const double auc_d = ganpp::auroc(s.discriminator, is_anomaly);
    const double auc_score = ganpp::auroc(s.score, is_anomaly);
    const double auc_residual = s.residual.empty() ? -1 : ganpp::auroc(s.residual, is_anomaly);
    const double auc_relative = s.residual.empty() ? -1 : ganpp::auroc(s.relative_residual, is_anomaly);

    const std::string csv = (std::filesystem::path(o.out) / "scores.csv").string();
    if (std::FILE* f = std::fopen(csv.c_str(), "w")) {
      // ink: the image's mean intensity in [0, 1], which the raw residual follows closely (see the README).
      std::fprintf(f, "digit,anomaly,score,discriminator,residual,relative_residual,ink\n");
      for (std::size_t i = 0; i < s.score.size(); ++i) {
        double ink = 0;
        for (ganpp::Index k = 0; k < 784; ++k) ink += (static_cast<double>(x[static_cast<ganpp::Index>(i) * 784 + k]) + 1) / 2;
        std::fprintf(f, "%d,%d,%.6g,%.6g,%.6g,%.6g,%.6g\n", digits[i], is_anomaly[i], s.score[i], s.discriminator[i],
                     s.residual.empty() ? 0.0 : s.residual[i], s.residual.empty() ? 0.0 : s.relative_residual[i], ink / 784);
      }
      std::fclose(f);
    } else {
      throw ganpp::io_error("cannot write " + csv);
    }
    if (o.json) {
      std::printf("{\"model\": \"%s\", \"anomaly\": %d, \"n_anomalous\": %lld, \"n_normal\": %lld, \"search_steps\": %ld, \"starts\": %ld, \"lambda\": %g, "
                  "\"auroc\": %.4f, \"auroc_discriminator\": %.4f, \"auroc_residual\": %s, \"auroc_relative_residual\": %s, \"train_seconds\": %.1f, \"score_seconds\": %.1f}\n",
                  o.model.c_str(), digit, static_cast<long long>(n_unseen), static_cast<long long>(n_seen), o.search, o.starts, o.lambda, auc_score, auc_d,
                  s.residual.empty() ? "null" : std::to_string(auc_residual).c_str(),
                  s.residual.empty() ? "null" : std::to_string(auc_relative).c_str(), train_seconds, score_seconds);
    } else {
      std::printf("scored %lld test images of digit %d against %lld of the other digits in %.0f s (%ld search steps from the best of %ld starts, lambda %g)\n",
                  static_cast<long long>(n_unseen), digit, static_cast<long long>(n_seen), score_seconds, o.search, o.starts, o.lambda);
      std::printf("AUROC, discriminator alone softplus(-D(x))   %.4f\n", auc_d);
      if (!s.residual.empty()) {
        std::printf("AUROC, latent-search residual alone          %.4f\n", auc_residual);
        std::printf("AUROC, residual relative to the input's ink  %.4f\n", auc_relative);
        std::printf("AUROC, AnoGAN score (residual + lambda D)    %.4f\n", auc_score);
      }
      std::printf("per-image scores in %s\n", csv.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ganpp-anomaly: %s\n", e.what());
    return 1;
  }
  return 0;
}
