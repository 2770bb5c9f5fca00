// SPDX-License-Identifier: MIT
// ganpp-mnist's training monitor: scores the generator during training with the evaluation classifier (MNIST FID,
// IS, classes covered, as ganpp-score measures them), and reads back metrics.csv for the report.
#pragma once

#include <ganpp/data/mnist.hpp>
#include <ganpp/metrics.hpp>

#include "common/pixels.hpp"
#include "score/mnist_classifier.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace mnist {

/// One evaluation: one row of metrics.csv.
struct Quality {
  long long step = 0, epoch = 0;
  double fid = 0, is = 0;
  int covered = 0;
  double seconds = 0;  // the evaluation's own time
};

/// The header of metrics.csv.
inline const char* const kMetricsHeader = "step,epoch,fid,inception_score,classes_covered,eval_seconds";

/// The rows of a metrics.csv (malformed rows skipped).
inline std::vector<Quality> read_metrics(const std::string& path) {
  std::vector<Quality> rows;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    Quality q;
    if (std::sscanf(line.c_str(), "%lld,%lld,%lf,%lf,%d,%lf", &q.step, &q.epoch, &q.fid, &q.is, &q.covered, &q.seconds) == 6) rows.push_back(q);
  }
  return rows;
}

/// Scores a generator as ganpp-score scores samples.idx3-ubyte: `samples` images from latents fixed at construction
/// (the same at every evaluation, so evaluations differ only by the weights), rounded to uint8 pixels, against the
/// MNIST test set's features, which are computed once.
class SampleScorer {
 public:
  /// @param classifier the weights ganpp-classifier wrote.
  /// @param data the MNIST folder (its t10k images are the reference).
  /// @param samples images generated per evaluation.
  /// @param seed fixes the latents (and for a conditional generator, the labels cycle through 0..9).
  SampleScorer(const std::string& classifier, const std::string& data, ganpp::Index samples, std::uint64_t seed) : samples_(samples), seed_(seed) {
    net_.load(classifier);
    const ganpp::ImageDataset test = ganpp::load_mnist(data, false);
    Eigen::MatrixXd probs;
    embed(net_, test.pixels, test.count, reference_, probs);
    reference_count_ = test.count;
  }

  /// FID, IS and classes covered of the generator's samples (generated in eval mode; train mode is restored).
  /// @param g the generator.
  /// @param conditional whether g takes labels.
  Quality score(ganpp::Generator<float>& g, bool conditional) {
    const auto t0 = std::chrono::steady_clock::now();
    ganpp::Rng rng(seed_);
    std::vector<std::uint8_t> pixels;
    pixels.reserve(static_cast<std::size_t>(samples_) * 784);
    ganpp::Tensor<float> z;
    std::vector<int> labels;
    g.eval();
    for (ganpp::Index i = 0; i < samples_; i += 100) {
      const ganpp::Index n = std::min<ganpp::Index>(100, samples_ - i);
      g.sample_latent(n, rng, z);
      labels.clear();
      for (ganpp::Index k = 0; k < n; ++k) labels.push_back(static_cast<int>((i + k) % 10));
      examples::to_pixels(g.forward(z, conditional ? &labels : nullptr), pixels);
    }
    g.train();
    ganpp::FeatureMatrix features;
    Eigen::MatrixXd probs;
    embed(net_, pixels, samples_, features, probs);
    Quality q;
    q.fid = ganpp::frechet_distance(features, reference_);
    q.is = ganpp::inception_score(probs);
    q.covered = ganpp::classes_covered(probs);
    q.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return q;
  }

  /// Images generated per evaluation.
  ganpp::Index samples() const { return samples_; }
  /// Reference (test set) images.
  ganpp::Index reference_count() const { return reference_count_; }

 private:
  Classifier net_;
  ganpp::Index samples_;
  std::uint64_t seed_;
  ganpp::FeatureMatrix reference_;
  ganpp::Index reference_count_ = 0;
};

}  // namespace mnist
