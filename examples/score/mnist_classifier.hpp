// SPDX-License-Identifier: MIT
// The evaluation classifier: a LeNet-style CNN built from ganpp's layers whose 128-d features and class probabilities
// give "MNIST FID" and "MNIST IS". Shared by ganpp-classifier (training) and ganpp-score (scoring).
#pragma once

#include <ganpp/checkpoint.hpp>
#include <ganpp/classification.hpp>
#include <ganpp/data/dataset.hpp>
#include <ganpp/data/idx.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/metrics.hpp>

#include "common/pixels.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

namespace mnist {

/// Where ganpp-classifier saves the weights and ganpp-score, ganpp-augment look for them by default.
inline const char* const kDefaultClassifierPath = "out/mnist-classifier.ganpp";

/// The architecture's name in the checkpoint. "mnist-cnn-v1" was the first classifier (three convolutions at 28, 14
/// and 7 pixels, no pooling: 2.8 times the FLOPs), whose features gave different FID values.
inline const char* const kClassifierArchitecture = "mnist-lenet-v2";

/// LeNet-style. Features: 1x28x28 -conv 3x3-> 32x28x28 -max pool-> 32x14x14 -conv 3x3-> 64x14x14 -max pool-> 64x7x7
/// -> 128 (ReLU after each pooling and the 128-unit layer). Head: dropout 0.3, 128 -> 10 logits.
/// Each pooling comes before its ReLU (max pooling and ReLU commute, so the order does not change the output).
class Classifier {
 public:
  static constexpr ganpp::Index kFeatures = 128;

  /// @param seed seeds the initial weights and the dropout masks.
  explicit Classifier(std::uint64_t seed = 0) {
    using namespace ganpp;
    features_.emplace<Conv2d<float>>(ConvOptions(1, 32, 3).with_padding(1)).emplace<MaxPool2d<float>>(2).emplace<ReLU<float>>();
    features_.emplace<Conv2d<float>>(ConvOptions(32, 64, 3).with_padding(1)).emplace<MaxPool2d<float>>(2).emplace<ReLU<float>>();
    features_.emplace<Flatten<float>>().emplace<Linear<float>>(64 * 7 * 7, kFeatures).emplace<ReLU<float>>();
    features_.set_input_grad(false);
    head_.emplace<Dropout<float>>(0.3, seed + 17).emplace<Linear<float>>(kFeatures, 10);
    Rng rng(seed + 123);
    features_.reset_parameters(Init::kaiming, rng);
    head_.reset_parameters(Init::xavier, rng);
  }

  std::vector<ganpp::Parameter<float>> parameters() {
    auto p = prefixed("features.", features_.parameters());
    for (auto& q : prefixed("head.", head_.parameters())) p.push_back(q);
    return p;
  }
  void train(bool on) {
    features_.train(on);
    head_.train(on);
  }

  /// Features (N, 128) and logits (N, 10) of a batch of images in [-1, 1].
  const ganpp::Tensor<float>& features(const ganpp::Tensor<float>& x) { return features_.forward(x); }
  const ganpp::Tensor<float>& logits(const ganpp::Tensor<float>& features) { return head_.forward(features); }
  void backward(const ganpp::Tensor<float>& grad_logits) { features_.backward(head_.backward(grad_logits)); }
  /// The feature network itself, e.g. as the frozen network of a ganpp::PerceptualLoss (ganpp-sr's content loss).
  ganpp::Sequential<float>& feature_net() { return features_; }

  /// Prints each layer's forward and backward time per training batch of 64 images, averaged over `batches` batches
  /// after 3 untimed ones. Times are CPU time of the calling thread, so run it on one thread: then they hardly depend
  /// on what else the machine runs.
  void profile(int batches) {
    ganpp::Tensor<float> x(ganpp::Shape{64, 1, 28, 28}), dy;
    ganpp::Rng(1).fill_uniform(x, -1.0, 1.0);
    std::vector<ganpp::Layer<float>*> layers;
    for (std::size_t i = 0; i < features_.size(); ++i) layers.push_back(&features_[i]);
    for (std::size_t i = 0; i < head_.size(); ++i) layers.push_back(&head_[i]);
    std::vector<double> forward_ms(layers.size()), backward_ms(layers.size());
    train(true);
    for (int b = -3; b < batches; ++b) {
      const ganpp::Tensor<float>* y = &x;
      for (std::size_t i = 0; i < layers.size(); ++i) {
        const double t = cpu_ms();
        y = &layers[i]->forward(*y);
        if (b >= 0) forward_ms[i] += cpu_ms() - t;
      }
      dy.resize(y->shape());
      dy.fill(0.01f);
      const ganpp::Tensor<float>* g = &dy;
      for (std::size_t i = layers.size(); i-- > 0;) {
        const double t = cpu_ms();
        g = &layers[i]->backward(*g);
        if (b >= 0) backward_ms[i] += cpu_ms() - t;
      }
    }
    double total = 0;
    std::printf("%-32s %10s %10s   (ms of CPU time per batch of 64, mean of %d batches)\n", "layer", "forward", "backward", batches);
    for (std::size_t i = 0; i < layers.size(); ++i) {
      std::printf("%-32s %10.3f %10.3f\n", layers[i]->name().c_str(), forward_ms[i] / batches, backward_ms[i] / batches);
      total += (forward_ms[i] + backward_ms[i]) / batches;
    }
    std::printf("%-32s %21.3f   (an epoch: 937 batches, %.0f s)\n", "total", total, total * 937 / 1000);
    train(false);
  }

  /// Saves the weights (and any buffers) with the architecture's name.
  void save(const std::string& path) {
    ganpp::Checkpoint c;
    for (auto& p : parameters()) c.put(p.name, *p.value);
    for (auto& b : prefixed_buffers()) c.put(b.name, *b.value);
    c.put_text("classifier", kClassifierArchitecture);
    c.save(path);
  }
  /// Loads what save() wrote.
  /// @throws ganpp::io_error for a file of another architecture (an older ganpp's classifier included), naming it.
  void load(const std::string& path) {
    const ganpp::Checkpoint c = ganpp::Checkpoint::load(path);
    if (!c.has("classifier"))
      throw ganpp::io_error("Classifier::load(): " + path + " is a ganpp checkpoint but not of the MNIST classifier (written by ganpp-classifier)");
    const std::string architecture = c.text("classifier");
    if (architecture != kClassifierArchitecture)
      throw ganpp::io_error("Classifier::load(): " + path + " holds the evaluation classifier '" + architecture + "' of an older ganpp, not '" +
                            kClassifierArchitecture +
                            "': retrain it with ganpp-classifier with this version; FID values from the two are not comparable");
    for (auto& p : parameters()) c.get(p.name, *p.value);
    for (auto& b : prefixed_buffers()) c.get(b.name, *b.value);
  }

 private:
  static double cpu_ms() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) * 1e-6;
  }
  static std::vector<ganpp::Parameter<float>> prefixed(const std::string& prefix, std::vector<ganpp::Parameter<float>> ps) {
    for (auto& p : ps) p.name = prefix + p.name;
    return ps;
  }
  std::vector<ganpp::Buffer<float>> prefixed_buffers() {
    auto b = features_.buffers();
    for (auto& x : b) x.name = "features." + x.name;
    return b;
  }

  ganpp::Sequential<float> features_, head_;
};

/// Scales uint8 images (count x 784) in [start, start + n) to a (n, 1, 28, 28) batch in [-1, 1].
inline void image_batch(const std::vector<std::uint8_t>& pixels, ganpp::Index start, ganpp::Index n, ganpp::Tensor<float>& out) {
  out.resize(ganpp::Shape{n, 1, 28, 28});
  examples::from_pixels(pixels.data() + start * 784, n * 784, out.data());
}

/// Features and softmax probabilities of every image, in eval mode.
inline void embed(Classifier& net, const std::vector<std::uint8_t>& pixels, ganpp::Index count, ganpp::FeatureMatrix& features,
                  Eigen::MatrixXd& probs) {
  net.train(false);
  features.resize(count, Classifier::kFeatures);
  probs.resize(count, 10);
  ganpp::Tensor<float> x, p;
  for (ganpp::Index start = 0; start < count; start += 500) {
    const ganpp::Index n = std::min<ganpp::Index>(500, count - start);
    image_batch(pixels, start, n, x);
    const ganpp::Tensor<float>& f = net.features(x);
    features.middleRows(start, n) = f.matrix().transpose().cast<double>();
    ganpp::softmax(net.logits(f), p);
    probs.middleRows(start, n) = p.matrix().transpose().cast<double>();
  }
}

/// Share of images whose most probable class is their label.
inline double accuracy(const Eigen::MatrixXd& probs, const std::vector<int>& labels) {
  ganpp::Index right = 0;
  for (ganpp::Index i = 0; i < probs.rows(); ++i) {
    Eigen::Index best;
    probs.row(i).maxCoeff(&best);
    right += best == labels[static_cast<std::size_t>(i)];
  }
  return static_cast<double>(right) / static_cast<double>(probs.rows());
}

/// Trains the classifier for `epochs` passes over `train` (Adam 1e-3, batch 64, the learning rate divided by 10 for
/// the last epoch), printing the training loss and, when `test` is given, the test accuracy after each epoch.
/// @return the accuracy on `test` at the end (0 without a test set).
inline double fit(Classifier& net, const ganpp::ImageDataset& train, const ganpp::ImageDataset* test, int epochs, std::uint64_t seed,
                  const char* tag = "classifier") {
  ganpp::Adam<float> opt(net.parameters(), {1e-3});
  ganpp::BatchLoader<float> loader(train, std::min<ganpp::Index>(64, train.count), seed);
  ganpp::Tensor<float> x, grad;
  std::vector<int> y;
  const auto t0 = std::chrono::steady_clock::now();
  double acc = 0;
  for (int e = 0; e < epochs; ++e) {
    if (e == epochs - 1 && epochs > 1) opt.set_learning_rate(1e-4);
    net.train(true);
    double loss_sum = 0;
    long steps = 0;
    while (loader.next(x, y)) {
      opt.zero_grad();
      const ganpp::Tensor<float>& logits = net.logits(net.features(x));
      loss_sum += static_cast<double>(ganpp::softmax_cross_entropy(logits, y, grad));
      net.backward(grad);
      opt.step();
      ++steps;
    }
    std::printf("%s epoch %d/%d: train loss %.4f", tag, e + 1, epochs, loss_sum / static_cast<double>(std::max(steps, 1L)));
    if (test) {
      ganpp::FeatureMatrix f;
      Eigen::MatrixXd p;
      embed(net, test->pixels, test->count, f, p);
      acc = accuracy(p, test->labels);
      std::printf(", test accuracy %.2f%%", 100.0 * acc);
    }
    std::printf(" (%.0f s)\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    std::fflush(stdout);
  }
  net.train(false);
  return acc;
}

/// What ganpp-score reports: FID, IS, class coverage and k-NN precision/recall of samples against a reference set.
struct Scores {
  ganpp::Index n_samples = 0, n_reference = 0, n_pr = 0;
  double fid = 0, is = 0;
  int covered = 0;
  std::vector<int> histogram;
  ganpp::PrecisionRecall pr;
};

/// Scores 28x28 uint8 `samples` against `reference` with the classifier's features and probabilities; precision and
/// recall use the first `limit_pr` images of each set.
inline Scores score(Classifier& net, const ganpp::IdxData& samples, const ganpp::IdxData& reference, ganpp::Index limit_pr) {
  ganpp::FeatureMatrix fs, fr;
  Eigen::MatrixXd ps, pr;
  embed(net, samples.values, samples.dims[0], fs, ps);
  embed(net, reference.values, reference.dims[0], fr, pr);
  Scores s;
  s.n_samples = fs.rows();
  s.n_reference = fr.rows();
  s.fid = ganpp::frechet_distance(fs, fr);
  s.is = ganpp::inception_score(ps);
  s.covered = ganpp::classes_covered(ps, -1, &s.histogram);
  s.n_pr = std::min<ganpp::Index>({fs.rows(), fr.rows(), limit_pr});
  s.pr = ganpp::precision_recall(fr.topRows(s.n_pr), fs.topRows(s.n_pr));
  return s;
}

}  // namespace mnist
