// SPDX-License-Identifier: MIT
// ganpp-score: MNIST FID, IS, class coverage and precision/recall of generated samples against MNIST's test set,
// measured with the evaluation classifier that ganpp-classifier trains.
#include <ganpp/data/idx.hpp>

#include "mnist_classifier.hpp"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

namespace {

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "ganpp-score: %s (see --help)\n", msg.c_str());
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string samples_path, reference_path, data = "data/mnist", classifier_path = mnist::kDefaultClassifierPath, baseline;
  bool json = false;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const long limit_pr = 5000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::printf(
          "usage: ganpp-score SAMPLES.idx3-ubyte [--data DIR] [--reference FILE.idx3-ubyte] [--classifier FILE] [--json] [--threads T]\n"
          "       ganpp-score --baseline noise|repeat [options]\n"
          "Scores 28x28 uint8 samples against a reference set (default: DIR/t10k-images-idx3-ubyte, the MNIST test set)\n"
          "with the evaluation classifier's 128-d features and class probabilities:\n"
          "  fid               Frechet distance of the features (0 = same distribution)\n"
          "  is                Inception-style score of the probabilities (1 to 10; 10 = confident and balanced)\n"
          "  classes_covered   digits predicted for at least 2.5%% of the samples\n"
          "  precision/recall  k-NN manifold precision and recall (k = 3) on up to 5000 samples of each set\n"
          "The classifier's weights are read from --classifier (default out/mnist-classifier.ganpp); ganpp-classifier\n"
          "trains them. SAMPLES can be any IDX file of 28x28 uint8 images: ganpp-mnist's samples.idx3-ubyte, or\n"
          "DIR/train-images-idx3-ubyte to score MNIST's own training set. --baseline scores 10000 built-in bad samples\n"
          "instead: noise (uniform random pixels) or repeat (the first test image, repeated).\n");
      return 0;
    } else if (a == "--data") data = value();
    else if (a == "--reference") reference_path = value();
    else if (a == "--classifier") classifier_path = value();
    else if (a == "--json") json = true;
    else if (a == "--baseline") {
      baseline = value();
      if (baseline != "noise" && baseline != "repeat") usage_error("--baseline must be noise or repeat, got '" + baseline + "'");
    }
    else if (a == "--threads") {
      const std::string v = value();
      char* end = nullptr;
      const long t = std::strtol(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || t < 1 || t > 1024) usage_error("--threads needs a positive integer, got '" + v + "'");
      threads = static_cast<int>(t);
    } else if (a.rfind("--", 0) == 0) usage_error("unknown option '" + a + "'");
    else if (samples_path.empty()) samples_path = a;
    else usage_error("more than one samples file");
  }
  if (samples_path.empty() && baseline.empty()) usage_error("no samples file given");
  if (!samples_path.empty() && !baseline.empty()) usage_error("give a samples file or --baseline, not both");
  if (reference_path.empty()) reference_path = data + "/t10k-images-idx3-ubyte";
  if (!std::filesystem::exists(classifier_path)) {
    std::fprintf(stderr,
                 "ganpp-score: classifier weights %s not found: train them first with\n"
                 "  ganpp-classifier --data %s --out %s\n"
                 "(3 epochs, 99.1%% MNIST test accuracy), or pass --classifier FILE\n",
                 classifier_path.c_str(), data.c_str(), classifier_path.c_str());
    return 1;
  }
  try {
    ganpp::set_num_threads(threads);
    const ganpp::IdxData reference = ganpp::read_idx_images(reference_path);
    if (reference.dims[1] != 28 || reference.dims[2] != 28 || reference.dims[0] < 10)
      throw ganpp::io_error(reference_path + ": expected at least 10 images of 28x28");
    ganpp::IdxData samples;
    if (baseline.empty()) {
      samples = ganpp::read_idx_images(samples_path);
    } else {
      samples.dims = {10000, 28, 28};
      samples.values.resize(10000 * 784);
      ganpp::Rng rng(0);
      for (std::size_t i = 0; i < samples.values.size(); ++i)
        samples.values[i] = baseline == "noise" ? static_cast<std::uint8_t>(rng.below(256)) : reference.values[i % 784];
      samples_path = baseline == "noise" ? "baseline: uniform noise" : "baseline: the first reference image, repeated";
    }
    if (samples.dims[1] != 28 || samples.dims[2] != 28 || samples.dims[0] < 10)
      throw ganpp::io_error(samples_path + ": expected at least 10 images of 28x28");
    mnist::Classifier net;
    net.load(classifier_path);
    ganpp::FeatureMatrix fs, fr;
    Eigen::MatrixXd ps, pr;
    mnist::embed(net, samples.values, samples.dims[0], fs, ps);
    mnist::embed(net, reference.values, reference.dims[0], fr, pr);
    std::vector<int> histogram;
    const double fid = ganpp::frechet_distance(fs, fr);
    const double is = ganpp::inception_score(ps);
    const int covered = ganpp::classes_covered(ps, -1, &histogram);
    const Eigen::Index n_pr = std::min<Eigen::Index>({fs.rows(), fr.rows(), limit_pr});
    const ganpp::PrecisionRecall p = ganpp::precision_recall(fr.topRows(n_pr), fs.topRows(n_pr));
    if (json) {
      std::printf("{\"n\": %ld, \"fid\": %.4f, \"is\": %.4f, \"classes_covered\": %d, \"precision\": %.4f, \"recall\": %.4f}\n",
                  static_cast<long>(fs.rows()), fid, is, covered, p.precision, p.recall);
    } else {
      std::printf("samples          %s (%ld images)\nreference        %s (%ld images)\n", samples_path.c_str(), static_cast<long>(fs.rows()),
                  reference_path.c_str(), static_cast<long>(fr.rows()));
      std::printf("MNIST FID        %.3f\nMNIST IS         %.3f\nclasses covered  %d of 10 (predictions per digit:", fid, is, covered);
      for (int c : histogram) std::printf(" %d", c);
      std::printf(")\nprecision        %.3f\nrecall           %.3f   (k = 3, %ld samples of each set)\n", p.precision, p.recall, static_cast<long>(n_pr));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ganpp-score: %s\n", e.what());
    return 1;
  }
  return 0;
}
