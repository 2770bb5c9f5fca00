// SPDX-License-Identifier: MIT
// ganpp-anomaly: the one-class-out protocol on MNIST or Fashion-MNIST (train a GAN and an f-AnoGAN encoder on every
// class but one, score held-out test images of all classes, AUROC and average precision beside a pixel-space kNN
// baseline on the same images), and per-image scores of new images with a trained checkpoint.
#include <ganpp/applications/anomaly.hpp>
#include <ganpp/applications/encoder.hpp>
#include <ganpp/checkpoint.hpp>
#include <ganpp/data/dataset.hpp>
#include <ganpp/data/idx.hpp>
#include <ganpp/data/mnist.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/metrics.hpp>
#include <ganpp/model_io.hpp>

#include "common/cli.hpp"
#include "common/json.hpp"
#include "common/output.hpp"
#include "common/pixels.hpp"
#include "mnist/mnist_models.hpp"

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#include <stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include <Eigen/Dense>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {

const char* const kAbout =
    "The one-class-out protocol: trains a GAN, then an f-AnoGAN encoder (izi_f), on the training images of every class\n"
    "but the held-out one, scores held-out test images of that class (anomalies) and of the others, and prints AUROC\n"
    "and average precision beside a kNN baseline (distance to the k-th nearest normal training image in pixel space)\n"
    "on the same images. With --model CHECKPOINT --score FILE, writes per-image scores of FILE (IDX images or a PNG)\n"
    "and flags those above the checkpoint's threshold.";

constexpr ganpp::Index kPixels = 784;

struct Options {
  std::string dataset = "mnist", holdout = "9", data, arch = "mlp", out = "out/anomaly", model, score, csv;
  long epochs = 2, encoder_epochs = 2, steps = -1, eval = 500, knn_train = 20000, knn_k = 5, validation = 1000, time_images = 0;
  int search = 0, starts = 16, threads = 1;
  long feature_layers = -1;
  double kappa = 1.0, fpr = 0.05;
  std::uint64_t seed = 0;
  bool json = false, tune_generator = false;
};

void add_options(CLI::App& app, Options& o) {
  app.add_option("--dataset", o.dataset, "mnist | fashion")->check(CLI::IsMember({"mnist", "fashion"}));
  app.add_option("--holdout", o.holdout, "the class left out of training (the anomaly), 0-9, or all: each in turn")
      ->check(CLI::IsMember({"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "all"}));
  app.add_option("--data", o.data,
                 "folder with the four IDX files (default data/mnist or data/fashion; fetch them with "
                 "cmake/FetchMNIST.cmake or cmake/FetchFashionMNIST.cmake)");
  app.add_option("--arch", o.arch, "GAN and encoder architecture: mlp | dcgan")->check(CLI::IsMember({"mlp", "dcgan"}));
  app.add_option("--epochs", o.epochs, "GAN training epochs")->check(examples::integer_at_least(1));
  app.add_option("--encoder-epochs", o.encoder_epochs, "encoder training epochs (G and D frozen)")->check(examples::integer_at_least(1));
  app.add_option("--steps", o.steps, "cap on the steps of each training (for quick runs)")->check(examples::integer_at_least(1))->default_str("");
  app.add_option("--kappa", o.kappa, "weight of the discriminator-feature residual in the encoder's loss and score")
      ->check(examples::number_above(0));
  app.add_option("--feature-layers", o.feature_layers, "D's first N layers give the features (-1: all but the last)")->check(CLI::Range(-1L, 64L));
  app.add_flag("--tune-generator", o.tune_generator,
               "autoencoder-style: train G with the encoder on the same loss (not f-AnoGAN's izi_f, whose G is frozen)");
  app.add_option("--eval", o.eval, "test images scored: N of the held-out class and N of the others")->check(examples::integer_at_least(1));
  app.add_option("--knn-train", o.knn_train, "normal training images the kNN baseline compares with")->check(examples::integer_at_least(1));
  app.add_option("--knn-k", o.knn_k, "the kNN score is the distance to the k-th nearest")->check(examples::integer_at_least(1, 1000));
  app.add_option("--validation", o.validation, "normal training images kept out of training to set the threshold")
      ->check(examples::integer_at_least(10));
  app.add_option("--fpr", o.fpr, "false-positive rate on held-out normal images that sets the threshold")
      ->check(examples::number_above(0, true))
      ->check(CLI::Validator([](std::string& v) { return std::stod(v) < 1 ? "" : "needs a number below 1, got '" + v + "'"; }, "< 1"));
  app.add_option("--search", o.search, "also score with AnoGAN's latent search of N steps (0: encoder only)")
      ->check(examples::integer_at_least(0, 1 << 20));
  app.add_option("--starts", o.starts, "random latents tried per image before the search")->check(examples::integer_at_least(1, 4096));
  app.add_option("--time", o.time_images, "after training, time scoring N test images with the encoder and, with --search, the search")
      ->check(examples::integer_at_least(1, 10000))
      ->default_str("");
  app.add_option("--model", o.model, "score with this checkpoint (written by an earlier run) instead of training");
  app.add_option("--score", o.score, "with --model: the images to score, an IDX image file or a 28 x 28 PNG");
  app.add_option("--csv", o.csv, "with --score: where the per-image scores go (default OUT/scores.csv)");
  examples::add_seed_option(app, o.seed, "the weights, the shuffling, the splits and the evaluation set");
  examples::add_threads_option(app, o.threads);
  app.add_option("--out", o.out, "where each held-out class's checkpoint, scores and results go");
  examples::add_json_flag(app, o.json);
}

const char* const kFashionNames[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

std::string class_name(const std::string& dataset, int k) { return dataset == "fashion" ? kFashionNames[k] : "digit " + std::to_string(k); }

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The GAN and its encoder for one architecture.
struct Models {
  ganpp::Generator<float> g;
  ganpp::Discriminator<float> d;
  ganpp::Encoder<float> e;
};

ganpp::Encoder<float> make_encoder(const std::string& arch) {
  using namespace ganpp;
  Sequential<float> net;
  if (arch == "mlp") {
    net.emplace<Linear<float>>(kPixels, 512).emplace<LeakyReLU<float>>(0.2f);
    net.emplace<Linear<float>>(512, 256).emplace<LeakyReLU<float>>(0.2f);
    net.emplace<Linear<float>>(256, mnist::kLatent);
    return Encoder<float>(std::move(net), Shape{kPixels});
  }
  auto down = [](Index in, Index out) { return ConvOptions(in, out, 4).with_stride(2).with_padding(1); };
  net.emplace<Conv2d<float>>(down(1, 32)).emplace<LeakyReLU<float>>(0.2f);   // 14 x 14
  net.emplace<Conv2d<float>>(down(32, 64)).emplace<LeakyReLU<float>>(0.2f);  // 7 x 7
  net.emplace<Flatten<float>>().emplace<Linear<float>>(64 * 7 * 7, mnist::kLatent).emplace<Reshape<float>>(Shape{mnist::kLatent, 1, 1});
  return Encoder<float>(std::move(net), Shape{1, 28, 28});
}

Models make_models(const std::string& arch) {
  const bool mlp = arch == "mlp";
  return {mlp ? mnist::mlp_generator<float>() : mnist::dcgan_generator<float>(),
          mlp ? mnist::mlp_discriminator<float>() : mnist::dcgan_discriminator<float>(), make_encoder(arch)};
}

/// Loads the training or test set, with a missing file named together with the command that fetches it.
ganpp::ImageDataset load_set(const Options& o, const std::string& dir, bool train) {
  if (o.dataset == "mnist") return ganpp::load_mnist(dir, train);
  const std::string file = (std::filesystem::path(dir) / (train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte")).string();
  std::error_code ec;
  if (!std::filesystem::exists(file, ec))
    throw ganpp::io_error("Fashion-MNIST file '" + file + "' not found; fetch the four files with: cmake -DFASHION_DIR=" + dir +
                          " -P cmake/FetchFashionMNIST.cmake");
  return ganpp::load_mnist(dir, train);  // the same format, sizes and label range
}

/// The images of `ds` at `items` as a batch in [-1, 1], flat (N, 784) or (N, 1, 28, 28).
ganpp::Tensor<float> batch_of(const ganpp::ImageDataset& ds, const std::vector<ganpp::Index>& items, bool flat) {
  const auto n = static_cast<ganpp::Index>(items.size());
  ganpp::Tensor<float> x(flat ? ganpp::Shape{n, kPixels} : ganpp::Shape{n, 1, 28, 28});
  for (ganpp::Index i = 0; i < n; ++i)
    examples::from_pixels(ds.pixels.data() + items[static_cast<std::size_t>(i)] * kPixels, kPixels, x.data() + i * kPixels);
  return x;
}

/// A subset of a dataset, by item indices.
ganpp::ImageDataset subset(const ganpp::ImageDataset& ds, const std::vector<ganpp::Index>& items) {
  ganpp::ImageDataset out;
  out.height = ds.height;
  out.width = ds.width;
  for (ganpp::Index i : items) {
    out.pixels.insert(out.pixels.end(), ds.pixels.begin() + i * kPixels, ds.pixels.begin() + (i + 1) * kPixels);
    out.labels.push_back(ds.labels[static_cast<std::size_t>(i)]);
    ++out.count;
  }
  return out;
}

/// Indices of the items whose label is (`is` true) or is not `k`, shuffled by `rng`.
std::vector<ganpp::Index> items_where(const ganpp::ImageDataset& ds, int k, bool is, ganpp::Rng& rng) {
  std::vector<ganpp::Index> v;
  for (ganpp::Index i = 0; i < ds.count; ++i)
    if ((ds.labels[static_cast<std::size_t>(i)] == k) == is) v.push_back(i);
  rng.shuffle(v);
  return v;
}

/// kNN baseline: each query's Euclidean distance in pixel space ([-1, 1] scaling) to its k-th nearest reference.
std::vector<double> knn_scores(const ganpp::Tensor<float>& queries, const ganpp::Tensor<float>& refs, long k) {
  using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const Mat> q(queries.data(), queries.batch(), kPixels), r(refs.data(), refs.batch(), kPixels);
  const Eigen::VectorXf rn = r.rowwise().squaredNorm();
  std::vector<double> out;
  const Eigen::Index block = 250;
  for (Eigen::Index s = 0; s < q.rows(); s += block) {
    const Eigen::Index m = std::min(block, q.rows() - s);
    const Mat d = (-2.0f * q.middleRows(s, m) * r.transpose()).rowwise() + rn.transpose();
    for (Eigen::Index i = 0; i < m; ++i) {
      std::vector<float> row(d.row(i).data(), d.row(i).data() + d.cols());
      std::nth_element(row.begin(), row.begin() + (k - 1), row.end());
      out.push_back(std::sqrt(std::max(0.0, static_cast<double>(row[static_cast<std::size_t>(k - 1)]) + q.row(s + i).squaredNorm())));
    }
  }
  return out;
}

ganpp::EncoderOptions encoder_options(double kappa, long feature_layers) {
  ganpp::EncoderOptions eo;
  eo.kappa = kappa;
  eo.feature_layers = feature_layers;
  return eo;
}

/// The score above which a share `fpr` of the given normal scores lies.
double threshold_for(std::vector<double> normal, double fpr) {
  std::sort(normal.begin(), normal.end());
  const auto at = static_cast<std::size_t>(
      std::min<double>(static_cast<double>(normal.size()) - 1, std::ceil((1 - fpr) * static_cast<double>(normal.size())) - 1));
  return normal[at];
}

double share_above(const std::vector<double>& s, const std::vector<int>& labels, int label, double threshold) {
  double n = 0, above = 0;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (labels[i] == label) {
      n += 1;
      above += s[i] > threshold ? 1 : 0;
    }
  return above / n;
}

struct ClassResult {
  int k = 0;
  double auroc = 0, ap = 0, auroc_knn = 0, ap_knn = 0, auroc_residual = 0, auroc_feature = 0, auroc_search = -1, ap_search = -1;
  double threshold = 0, tpr = 0, fpr = 0, train_s = 0, score_s = 0, knn_s = 0, search_s = 0;
};

/// Trains on every class but k, scores, and returns the figures; writes OUT/<dataset>-holdout-<k>/.
ClassResult run_class(const Options& o, const std::string& dir, int k) {
  const auto t0 = std::chrono::steady_clock::now();
  const bool flat = o.arch == "mlp";
  const ganpp::ImageDataset train_all = load_set(o, dir, true), test = load_set(o, dir, false);
  ganpp::Rng split(o.seed * 1000 + static_cast<std::uint64_t>(k));
  std::vector<ganpp::Index> normal = items_where(train_all, k, false, split);
  const std::vector<ganpp::Index> validation(normal.end() - o.validation, normal.end());
  normal.resize(normal.size() - static_cast<std::size_t>(o.validation));
  const ganpp::ImageDataset train = subset(train_all, normal);

  Models m = make_models(o.arch);
  m.g.reset_parameters(ganpp::Init::torch_default, o.seed * 3 + 1);
  m.d.reset_parameters(ganpp::Init::torch_default, o.seed * 3 + 2);
  m.e.reset_parameters(ganpp::Init::torch_default, o.seed * 3 + 3);
  {
    ganpp::Adam<float> g_opt(m.g.parameters(), {2e-4, 0.5, 0.999}), d_opt(m.d.parameters(), {2e-4, 0.5, 0.999});
    ganpp::TrainerOptions to;
    to.seed = o.seed;
    ganpp::GanTrainer<float> trainer(m.g, m.d, g_opt, d_opt, to);
    ganpp::BatchLoader<float> loader(train, 64, o.seed, flat);
    trainer.on_step([&](const ganpp::StepStats& st) { return o.steps < 0 || st.step < o.steps; });
    trainer.fit(loader, o.epochs);
    if (!o.json)
      std::printf("  %s: GAN trained on %lld images, %lld steps, %.0f s\n", class_name(o.dataset, k).c_str(), static_cast<long long>(train.count),
                  static_cast<long long>(trainer.steps()), seconds_since(t0));
    std::fflush(stdout);
  }
  const ganpp::EncoderOptions eo = encoder_options(o.kappa, o.feature_layers);
  ganpp::Adam<float> e_opt(m.e.parameters(), {1e-4, 0.5, 0.999}), g_opt(m.g.parameters(), {1e-4, 0.5, 0.999});
  ganpp::EncoderTrainer<float> enc =
      o.tune_generator ? ganpp::EncoderTrainer<float>(m.g, m.d, m.e, e_opt, g_opt, eo) : ganpp::EncoderTrainer<float>(m.g, m.d, m.e, e_opt, eo);
  {
    ganpp::BatchLoader<float> loader(train, 64, o.seed + 5, flat);
    ganpp::Tensor<float> x;
    std::vector<int> labels;
    long step = 0;
    double loss = 0;
    for (long epoch = 0; epoch < o.encoder_epochs; ++epoch)
      while ((o.steps < 0 || step < o.steps) && loader.next(x, labels)) {
        loss = enc.step(x);
        ++step;
      }
    if (!o.json)
      std::printf("  %s: encoder trained, %ld steps, last loss %.4f, %.0f s\n", class_name(o.dataset, k).c_str(), step, loss, seconds_since(t0));
    std::fflush(stdout);
  }
  ClassResult r;
  r.k = k;
  r.train_s = seconds_since(t0);

  // Threshold on held-out normal training images.
  const ganpp::AnomalyScores val = enc.score(batch_of(train_all, validation, flat));
  r.threshold = threshold_for(val.score, o.fpr);

  // Evaluation set: --eval test images of class k and --eval of the others, the same for every method.
  ganpp::Rng pick(o.seed * 1000 + 500 + static_cast<std::uint64_t>(k));
  std::vector<ganpp::Index> anomalous = items_where(test, k, true, pick), others = items_where(test, k, false, pick);
  anomalous.resize(std::min<std::size_t>(anomalous.size(), static_cast<std::size_t>(o.eval)));
  others.resize(std::min<std::size_t>(others.size(), static_cast<std::size_t>(o.eval)));
  std::vector<ganpp::Index> items = anomalous;
  items.insert(items.end(), others.begin(), others.end());
  std::vector<int> is_anomaly(anomalous.size(), 1);
  is_anomaly.resize(items.size(), 0);
  const ganpp::Tensor<float> x = batch_of(test, items, flat);

  auto t1 = std::chrono::steady_clock::now();
  const ganpp::AnomalyScores s = enc.score(x);
  r.score_s = seconds_since(t1);
  r.auroc = ganpp::auroc(s.score, is_anomaly);
  r.ap = ganpp::average_precision(s.score, is_anomaly);
  r.auroc_residual = ganpp::auroc(s.residual, is_anomaly);
  r.auroc_feature = ganpp::auroc(s.feature_residual, is_anomaly);
  r.tpr = share_above(s.score, is_anomaly, 1, r.threshold);
  r.fpr = share_above(s.score, is_anomaly, 0, r.threshold);

  t1 = std::chrono::steady_clock::now();
  std::vector<ganpp::Index> refs(normal.begin(), normal.begin() + std::min<long>(o.knn_train, static_cast<long>(normal.size())));
  const std::vector<double> knn_test = knn_scores(batch_of(test, items, true), batch_of(train_all, refs, true), o.knn_k);
  r.knn_s = seconds_since(t1);
  r.auroc_knn = ganpp::auroc(knn_test, is_anomaly);
  r.ap_knn = ganpp::average_precision(knn_test, is_anomaly);

  ganpp::AnomalyScores searched;
  if (o.search > 0) {
    ganpp::AnomalyOptions ao;
    ao.search_steps = o.search;
    ao.starts = o.starts;
    ao.seed = o.seed + 7;
    ganpp::AnomalyScorer<float> scorer(m.g, m.d, ao);
    t1 = std::chrono::steady_clock::now();
    searched = scorer.score(x);
    r.search_s = seconds_since(t1);
    r.auroc_search = ganpp::auroc(searched.score, is_anomaly);
    r.ap_search = ganpp::average_precision(searched.score, is_anomaly);
  }

  const std::filesystem::path folder = std::filesystem::path(o.out) / (o.dataset + "-holdout-" + std::to_string(k));
  examples::make_output_folder(folder.string());
  std::string csv =
      "test_index,class,anomaly,score,residual,feature_residual,discriminator,knn" + std::string(o.search > 0 ? ",search_score" : "") + "\n";
  char row[256];
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::snprintf(row, sizeof row, "%lld,%d,%d,%.6g,%.6g,%.6g,%.6g,%.6g", static_cast<long long>(items[i]),
                  test.labels[static_cast<std::size_t>(items[i])], is_anomaly[i], s.score[i], s.residual[i], s.feature_residual[i],
                  s.discriminator[i], knn_test[i]);
    csv += row;
    if (o.search > 0) {
      std::snprintf(row, sizeof row, ",%.6g", searched.score[i]);
      csv += row;
    }
    csv += "\n";
  }
  examples::write_file((folder / "scores.csv").string(), csv);
  ganpp::Checkpoint c;
  c.put_text("run.arch", o.arch);
  c.put_text("run.dataset", o.dataset);
  c.put_text("run.holdout", std::to_string(k));
  c.put_text("encoder.kappa", std::to_string(o.kappa));
  c.put_text("encoder.feature_layers", std::to_string(o.feature_layers));
  c.put_text("encoder.tune_generator", o.tune_generator ? "1" : "0");
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", r.threshold);
  c.put_text("threshold.value", buf);
  std::snprintf(buf, sizeof buf, "%g", o.fpr);
  c.put_text("threshold.fpr", buf);
  ganpp::save_model(c, "generator", m.g);
  ganpp::save_model(c, "discriminator", m.d);
  ganpp::save_model(c, "encoder", m.e);
  c.save((folder / "checkpoint.ganpp").string());

  if (o.time_images > 0) {
    std::vector<ganpp::Index> all(static_cast<std::size_t>(o.time_images));
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<ganpp::Index>(i);
    const ganpp::Tensor<float> tx = batch_of(test, all, flat);
    t1 = std::chrono::steady_clock::now();
    enc.score(tx);
    const double enc_s = seconds_since(t1);
    std::printf("  timing: encoder scored %ld test images in %.2f s\n", o.time_images, enc_s);
    if (o.search > 0) {
      ganpp::AnomalyOptions ao;
      ao.search_steps = o.search;
      ao.starts = o.starts;
      ganpp::AnomalyScorer<float> scorer(m.g, m.d, ao);
      t1 = std::chrono::steady_clock::now();
      scorer.score(tx);
      std::printf("  timing: latent search (%d steps from the best of %d starts) scored %ld test images in %.1f s\n", o.search, o.starts,
                  o.time_images, seconds_since(t1));
    }
  }
  return r;
}

void print_row(const Options& o, const ClassResult& r) {
  std::printf("%-12s  AUROC %.3f (kNN %.3f)  AP %.3f (kNN %.3f)  residual %.3f  feature %.3f", class_name(o.dataset, r.k).c_str(), r.auroc,
              r.auroc_knn, r.ap, r.ap_knn, r.auroc_residual, r.auroc_feature);
  if (r.auroc_search >= 0) std::printf("  search %.3f", r.auroc_search);
  std::printf("  | threshold %.4g: TPR %.2f FPR %.2f | %.0f s\n", r.threshold, r.tpr, r.fpr, r.train_s);
  std::fflush(stdout);
}

nlohmann::ordered_json to_json(const ClassResult& r) {
  using examples::rounded;
  nlohmann::ordered_json j = {{"holdout", r.k},
                              {"auroc", rounded(r.auroc, 4)},
                              {"ap", rounded(r.ap, 4)},
                              {"auroc_knn", rounded(r.auroc_knn, 4)},
                              {"ap_knn", rounded(r.ap_knn, 4)},
                              {"auroc_residual", rounded(r.auroc_residual, 4)},
                              {"auroc_feature", rounded(r.auroc_feature, 4)},
                              {"threshold", r.threshold},
                              {"tpr", rounded(r.tpr, 4)},
                              {"fpr", rounded(r.fpr, 4)},
                              {"train_seconds", rounded(r.train_s, 1)},
                              {"score_seconds", rounded(r.score_s, 2)},
                              {"knn_seconds", rounded(r.knn_s, 2)}};
  if (r.auroc_search >= 0) {
    j["auroc_search"] = rounded(r.auroc_search, 4);
    j["ap_search"] = rounded(r.ap_search, 4);
    j["search_seconds"] = rounded(r.search_s, 1);
  }
  return j;
}

int run_protocol(const Options& o) {
  const std::string dir = o.data.empty() ? "data/" + o.dataset : o.data;
  std::vector<int> classes;
  if (o.holdout == "all")
    for (int k = 0; k < 10; ++k) classes.push_back(k);
  else classes.push_back(std::stoi(o.holdout));
  examples::make_output_folder(o.out);
  if (!o.json)
    std::printf(
        "%s, %s GAN %ld epochs + encoder %ld epochs (kappa %g%s), %ld anomalous and %ld normal test images per class, kNN k=%ld over %ld normal "
        "training images\n",
        o.dataset.c_str(), o.arch.c_str(), o.epochs, o.encoder_epochs, o.kappa, o.tune_generator ? ", G tuned with it" : "", o.eval, o.eval, o.knn_k,
        o.knn_train);
  std::vector<ClassResult> results;
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (int k : classes) {
    results.push_back(run_class(o, dir, k));
    if (!o.json) print_row(o, results.back());
    rows.push_back(to_json(results.back()));
    examples::write_file((std::filesystem::path(o.out) / (o.dataset + "-holdout-" + std::to_string(k)) / "result.json").string(),
                         rows.back().dump(2) + "\n");
  }
  double auc = 0, ap = 0, auc_knn = 0, ap_knn = 0;
  for (const ClassResult& r : results) {
    auc += r.auroc / static_cast<double>(results.size());
    ap += r.ap / static_cast<double>(results.size());
    auc_knn += r.auroc_knn / static_cast<double>(results.size());
    ap_knn += r.ap_knn / static_cast<double>(results.size());
  }
  if (o.json) {
    using examples::rounded;
    examples::print_json({{"dataset", o.dataset},
                          {"arch", o.arch},
                          {"classes", rows},
                          {"mean_auroc", rounded(auc, 4)},
                          {"mean_ap", rounded(ap, 4)},
                          {"mean_auroc_knn", rounded(auc_knn, 4)},
                          {"mean_ap_knn", rounded(ap_knn, 4)}});
  } else if (results.size() > 1) {
    std::printf("mean over %zu classes: AUROC %.3f (kNN %.3f)  AP %.3f (kNN %.3f)\n", results.size(), auc, auc_knn, ap, ap_knn);
  }
  return 0;
}

/// Images to score from an IDX image file or a PNG, as (N, 784) bytes.
ganpp::ImageDataset read_images(const std::string& path) {
  ganpp::ImageDataset ds;
  ds.height = ds.width = 28;
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (ext == ".png") {
    int w = 0, h = 0, c = 0;
    unsigned char* img = stbi_load(path.c_str(), &w, &h, &c, 1);
    if (!img)
      throw ganpp::io_error("cannot read PNG '" + path + "': " + std::string(stbi_failure_reason() ? stbi_failure_reason() : "unknown error"));
    ds.pixels.assign(img, img + static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
    stbi_image_free(img);
    if (w != 28 || h != 28)
      throw ganpp::io_error("'" + path + "' is " + std::to_string(w) + " x " + std::to_string(h) + ": expected a 28 x 28 image");
    ds.count = 1;
    return ds;
  }
  const ganpp::IdxData idx = ganpp::read_idx_images(path);
  if (idx.dims[1] != 28 || idx.dims[2] != 28)
    throw ganpp::io_error("'" + path + "' holds " + std::to_string(idx.dims[1]) + " x " + std::to_string(idx.dims[2]) + " images: expected 28 x 28");
  ds.count = idx.dims[0];
  ds.pixels = idx.values;
  return ds;
}

std::string required_text(const ganpp::Checkpoint& c, const std::string& path, const std::string& name) {
  if (!c.has(name)) throw ganpp::io_error("'" + path + "' has no " + name + ": expected a checkpoint written by ganpp-anomaly --holdout");
  return c.text(name);
}

int run_score(const Options& o) {
  if (o.score.empty()) throw examples::UsageError("--model needs --score FILE (the images to score)");
  const ganpp::Checkpoint c = ganpp::Checkpoint::load(o.model);
  const std::string arch = required_text(c, o.model, "run.arch");
  if (arch != "mlp" && arch != "dcgan") throw ganpp::io_error("'" + o.model + "' has run.arch '" + arch + "': expected mlp or dcgan");
  const double kappa = std::stod(required_text(c, o.model, "encoder.kappa")), threshold = std::stod(required_text(c, o.model, "threshold.value"));
  const long feature_layers = std::stol(required_text(c, o.model, "encoder.feature_layers"));
  const std::string fpr = required_text(c, o.model, "threshold.fpr");
  Models m = make_models(arch);
  ganpp::load_model(c, "generator", m.g);
  ganpp::load_model(c, "discriminator", m.d);
  ganpp::load_model(c, "encoder", m.e);
  const ganpp::ImageDataset ds = read_images(o.score);
  std::vector<ganpp::Index> all(static_cast<std::size_t>(ds.count));
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<ganpp::Index>(i);
  ganpp::EncoderTrainer<float> enc(m.g, m.d, m.e, encoder_options(kappa, feature_layers));
  const ganpp::AnomalyScores s = enc.score(batch_of(ds, all, arch == "mlp"));
  std::string csv = "image,score,residual,feature_residual,anomalous\n";
  char row[160];
  long flagged = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const bool anomalous = s.score[i] > threshold;
    flagged += anomalous ? 1 : 0;
    std::snprintf(row, sizeof row, "%zu,%.6g,%.6g,%.6g,%d\n", i, s.score[i], s.residual[i], s.feature_residual[i], anomalous ? 1 : 0);
    csv += row;
  }
  const std::string out = o.csv.empty() ? (std::filesystem::path(o.out) / "scores.csv").string() : o.csv;
  examples::make_parent_folder(out);
  examples::write_file(out, csv);
  if (o.json) examples::print_json({{"images", ds.count}, {"flagged", flagged}, {"threshold", threshold}, {"fpr", std::stod(fpr)}, {"csv", out}});
  else
    std::printf(
        "%lld images scored; %ld above the threshold %.6g (set for a false-positive rate of %s on normal %s training images kept out of training, "
        "class %s held out); scores in %s\n",
        static_cast<long long>(ds.count), flagged, threshold, fpr.c_str(), c.has("run.dataset") ? c.text("run.dataset").c_str() : "?",
        c.has("run.holdout") ? c.text("run.holdout").c_str() : "?", out.c_str());
  return 0;
}

int run(const Options& o) {
  ganpp::set_num_threads(o.threads);
  if (!o.model.empty()) return run_score(o);
  if (!o.score.empty()) throw examples::UsageError("--score needs --model CHECKPOINT");
  return run_protocol(o);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  examples::App app("ganpp-anomaly", kAbout);
  add_options(app, o);
  return examples::run_cli(app, argc, argv, [&] { return run(o); });
}
