// SPDX-License-Identifier: MIT
// ganpp-score: MNIST FID, IS, class coverage and precision/recall of generated samples against MNIST's test set,
// measured with the evaluation classifier that ganpp-classifier trains.
#include <ganpp/data/idx.hpp>

#include "common/cli.hpp"
#include "common/json.hpp"
#include "mnist_classifier.hpp"

#include <filesystem>
#include <string>

namespace {

struct Options {
  std::string samples, reference, data, classifier = mnist::kDefaultClassifierPath, baseline;
  bool json = false;
  int threads = 1;
};

/// 10000 built-in bad samples: uniform noise, or the first reference image repeated.
ganpp::IdxData baseline_samples(const std::string& kind, const ganpp::IdxData& reference) {
  ganpp::IdxData samples;
  samples.dims = {10000, 28, 28};
  samples.values.resize(10000 * 784);
  ganpp::Rng rng(0);
  for (std::size_t i = 0; i < samples.values.size(); ++i)
    samples.values[i] = kind == "noise" ? static_cast<std::uint8_t>(rng.below(256)) : reference.values[i % 784];
  return samples;
}

ganpp::IdxData read_images(const std::string& path) {
  ganpp::IdxData d = ganpp::read_idx_images(path);
  if (d.dims[1] != 28 || d.dims[2] != 28 || d.dims[0] < 10) throw ganpp::io_error(path + ": expected at least 10 images of 28x28");
  return d;
}

void print_text(const Options& o, const mnist::Scores& s) {
  std::printf("samples          %s (%ld images)\nreference        %s (%ld images)\n", o.samples.c_str(), static_cast<long>(s.n_samples),
              o.reference.c_str(), static_cast<long>(s.n_reference));
  std::printf("MNIST FID        %.3f\nMNIST IS         %.3f\nclasses covered  %d of 10 (predictions per digit:", s.fid, s.is, s.covered);
  for (int c : s.histogram) std::printf(" %d", c);
  std::printf(")\nprecision        %.3f\nrecall           %.3f   (k = 3, %ld samples of each set)\n", s.pr.precision, s.pr.recall,
              static_cast<long>(s.n_pr));
}

int score(Options o) {
  if (o.samples.empty() == o.baseline.empty()) throw examples::UsageError("give a samples file or --baseline, one of them");
  if (o.reference.empty()) o.reference = o.data + "/t10k-images-idx3-ubyte";
  if (!std::filesystem::exists(o.classifier))
    throw ganpp::io_error("classifier weights " + o.classifier + " not found: train them first with ganpp-classifier --data " + o.data + " --out " +
                          o.classifier + " (4 epochs, about 99.2% MNIST test accuracy), or pass --classifier FILE");
  ganpp::set_num_threads(o.threads);
  const ganpp::IdxData reference = read_images(o.reference);
  const ganpp::IdxData samples = o.baseline.empty() ? read_images(o.samples) : baseline_samples(o.baseline, reference);
  if (!o.baseline.empty()) o.samples = o.baseline == "noise" ? "baseline: uniform noise" : "baseline: the first reference image, repeated";
  mnist::Classifier net;
  net.load(o.classifier);
  const mnist::Scores s = mnist::score(net, samples, reference, 5000);
  if (!o.json) print_text(o, s);
  else
    examples::print_json({{"n", s.n_samples},
                          {"fid", examples::rounded(s.fid, 4)},
                          {"is", examples::rounded(s.is, 4)},
                          {"classes_covered", s.covered},
                          {"precision", examples::rounded(s.pr.precision, 4)},
                          {"recall", examples::rounded(s.pr.recall, 4)}});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  examples::App app("ganpp-score",
                    "Scores 28x28 uint8 samples against a reference set (default: DIR/t10k-images-idx3-ubyte, the MNIST test set) with the\n"
                    "evaluation classifier's 128-d features and class probabilities:\n"
                    "  fid               Frechet distance of the features (0 = same distribution)\n"
                    "  is                Inception-style score of the probabilities (1 to 10; 10 = confident and balanced)\n"
                    "  classes_covered   digits predicted for at least 2.5% of the samples\n"
                    "  precision/recall  k-NN manifold precision and recall (k = 3) on up to 5000 samples of each set\n"
                    "SAMPLES can be any IDX file of 28x28 uint8 images: ganpp-mnist's samples.idx3-ubyte, or DIR/train-images-idx3-ubyte\n"
                    "to score MNIST's own training set.");
  app.add_option("samples", o.samples, "IDX file of 28x28 uint8 images to score");
  examples::add_data_option(app, o.data);
  app.add_option("--reference", o.reference, "IDX file of the reference images (default DIR/t10k-images-idx3-ubyte)");
  app.add_option("--classifier", o.classifier, "the classifier's weights, trained by ganpp-classifier");
  app.add_option("--baseline", o.baseline, "score 10000 built-in bad samples instead: noise (uniform random pixels) or repeat (the first test image)")
      ->check(CLI::IsMember({"noise", "repeat"}));
  examples::add_json_flag(app, o.json);
  examples::add_threads_option(app, o.threads);
  return examples::run_cli(app, argc, argv, [&] { return score(o); });
}
