// SPDX-License-Identifier: MIT
// ganpp-augment: data augmentation with the conditional MNIST generator. Trains a classifier on 1,000 real training
// digits alone and on the same 1,000 plus generated, labelled digits, and compares their test accuracies.
#include <ganpp/checkpoint.hpp>
#include <ganpp/classification.hpp>
#include <ganpp/data/dataset.hpp>
#include <ganpp/data/mnist.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/model_io.hpp>

#include "common/cli.hpp"
#include "common/json.hpp"
#include "common/pixels.hpp"
#include "mnist/mnist_models.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {

const char* const kAbout =
    "Trains a classifier (784 -> 256 -> 10, ReLU, dropout 0.2) twice for the same number of steps: on --real training\n"
    "digits (balanced over the classes), and on the same digits plus --synthetic digits drawn from a conditional GAN\n"
    "(ganpp-mnist --model cgan), each labelled with the digit it was asked for; prints both MNIST test accuracies.";

struct Options {
  std::string data, generator = "out/mnist-cgan/checkpoint.ganpp";
  long real = 1000, synthetic = 5000, steps = 2000;
  std::uint64_t seed = 0;
  int threads = 1;
  bool json = false;
};

void add_options(CLI::App& app, Options& o) {
  examples::add_data_option(app, o.data);
  app.add_option("--generator", o.generator, "checkpoint of a cgan run (written by ganpp-mnist --model cgan --out out/mnist-cgan)");
  app.add_option("--real", o.real, "real training digits, N/10 of each class")->check(examples::integer_at_least(10, 60000));
  app.add_option("--synthetic", o.synthetic, "generated digits, M/10 of each class")->check(examples::integer_at_least(0, 1000000));
  app.add_option("--steps", o.steps, "training steps of batch 64 for each classifier")->check(examples::integer_at_least(1));
  examples::add_seed_option(app, o.seed, "the subset, the latents, the weights and the shuffling");
  examples::add_threads_option(app, o.threads);
  examples::add_json_flag(app, o.json);
}

/// n training images, n/10 of each digit (the first of each in a seeded shuffle).
ganpp::ImageDataset balanced_subset(const ganpp::ImageDataset& train, long n, std::uint64_t seed) {
  std::vector<ganpp::Index> order(static_cast<std::size_t>(train.count));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<ganpp::Index>(i);
  ganpp::Rng rng(seed);
  rng.shuffle(order);
  ganpp::ImageDataset out;
  out.height = out.width = 28;
  std::vector<long> taken(10, 0);
  for (ganpp::Index item : order) {
    const int y = train.labels[static_cast<std::size_t>(item)];
    if (taken[static_cast<std::size_t>(y)] >= n / 10) continue;
    ++taken[static_cast<std::size_t>(y)];
    out.pixels.insert(out.pixels.end(), train.pixels.begin() + item * 784, train.pixels.begin() + (item + 1) * 784);
    out.labels.push_back(y);
    ++out.count;
  }
  return out;
}

/// Appends m generated digits, m/10 of each class, to `ds`, as uint8 pixels like the real ones.
void add_synthetic(ganpp::Generator<float>& g, long m, std::uint64_t seed, ganpp::ImageDataset& ds) {
  ganpp::Rng rng(seed);
  ganpp::Tensor<float> z;
  std::vector<int> labels;
  g.eval();
  const long per_class = m / 10;
  for (long start = 0; start < per_class * 10; start += 500) {
    const long n = std::min<long>(500, per_class * 10 - start);
    g.sample_latent(n, rng, z);
    labels.clear();
    for (long k = 0; k < n; ++k) labels.push_back(static_cast<int>((start + k) % 10));
    examples::to_pixels(g.forward(z, &labels), ds.pixels);
    ds.labels.insert(ds.labels.end(), labels.begin(), labels.end());
    ds.count += n;
  }
}

/// The classifier: 784 -> 256 -> 10 with ReLU and dropout, small enough to train in seconds.
ganpp::Sequential<float> classifier(std::uint64_t seed) {
  ganpp::Sequential<float> net;
  net.emplace<ganpp::Linear<float>>(784, 256).emplace<ganpp::ReLU<float>>().emplace<ganpp::Dropout<float>>(0.2, seed + 5);
  net.emplace<ganpp::Linear<float>>(256, 10);
  ganpp::Rng rng(seed);
  net.reset_parameters(ganpp::Init::kaiming, rng);
  net.set_input_grad(false);
  return net;
}

/// Trains a fresh classifier for `steps` batches of 64 from `train` (Adam 1e-3, the last fifth at 1e-4) and
/// returns its accuracy on `test`.
double train_and_test(const ganpp::ImageDataset& train, const ganpp::ImageDataset& test, long steps, std::uint64_t seed) {
  ganpp::Sequential<float> net = classifier(seed);
  ganpp::Adam<float> opt(net.parameters(), {1e-3});
  ganpp::BatchLoader<float> loader(train, std::min<ganpp::Index>(64, train.count), seed + 1, true);
  ganpp::Tensor<float> x, grad;
  std::vector<int> y;
  net.train(true);
  for (long step = 0; step < steps; ++step) {
    if (step == steps - steps / 5) opt.set_learning_rate(1e-4);
    if (!loader.next(x, y)) loader.next(x, y);  // false ends an epoch; the next call starts the following one
    opt.zero_grad();
    ganpp::softmax_cross_entropy(net.forward(x), y, grad);
    net.backward(grad);
    opt.step();
  }
  net.train(false);
  ganpp::Tensor<float> batch;
  ganpp::Index right = 0;
  for (ganpp::Index start = 0; start < test.count; start += 1000) {
    const ganpp::Index n = std::min<ganpp::Index>(1000, test.count - start);
    batch.resize(ganpp::Shape{n, 784});
    examples::from_pixels(test.pixels.data() + start * 784, n * 784, batch.data());
    const ganpp::Tensor<float>& logits = net.forward(batch);
    for (ganpp::Index i = 0; i < n; ++i) {
      Eigen::Index best;
      logits.matrix().col(i).maxCoeff(&best);
      right += best == test.labels[static_cast<std::size_t>(start + i)];
    }
  }
  return static_cast<double>(right) / static_cast<double>(test.count);
}

/// The cgan generator of a ganpp-mnist checkpoint.
ganpp::Generator<float> load_generator(const std::string& path) {
  if (!std::filesystem::exists(path))
    throw ganpp::io_error("conditional generator " + path + " not found: train one first with ganpp-mnist --model cgan --out out/mnist-cgan, " +
                          "or pass --generator FILE (a checkpoint.ganpp of a cgan run)");
  const ganpp::Checkpoint c = ganpp::Checkpoint::load(path);
  if (!c.has("run.model") || c.text("run.model") != "cgan")
    throw ganpp::argument_error(path + " is not a checkpoint of ganpp-mnist --model cgan" +
                                (c.has("run.model") ? " (it holds a " + c.text("run.model") + " run)" : std::string()));
  ganpp::Generator<float> g = mnist::dcgan_generator<float>(true);
  ganpp::load_model(c, "generator", g);
  return g;
}

int run(const Options& o) {
  ganpp::set_num_threads(o.threads);
  ganpp::Generator<float> g = load_generator(o.generator);
  const ganpp::ImageDataset train = ganpp::load_mnist(o.data, true), test = ganpp::load_mnist(o.data, false);
  const ganpp::ImageDataset real = balanced_subset(train, o.real, o.seed + 1);
  ganpp::ImageDataset augmented = real;
  add_synthetic(g, o.synthetic, o.seed + 2, augmented);
  const long long n_real = real.count, n_synthetic = augmented.count - real.count;

  const auto t0 = std::chrono::steady_clock::now();
  const double acc_real = train_and_test(real, test, o.steps, o.seed + 3);  // both start from the same weights
  if (!o.json) {
    std::printf("%lld real digits alone, %ld steps: MNIST test accuracy %.2f%%\n", n_real, o.steps, 100.0 * acc_real);
    std::fflush(stdout);
  }
  const double acc_aug = train_and_test(augmented, test, o.steps, o.seed + 3);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (o.json) {
    examples::print_json({{"real", n_real}, {"synthetic", n_synthetic}, {"steps", o.steps}, {"accuracy_real", examples::rounded(acc_real, 4)},
                          {"accuracy_augmented", examples::rounded(acc_aug, 4)}, {"seconds", examples::rounded(seconds, 0)}});
    return 0;
  }
  std::printf("%lld real + %lld generated digits, %ld steps: MNIST test accuracy %.2f%%\n", n_real, n_synthetic, o.steps, 100.0 * acc_aug);
  std::printf("augmentation %s the test accuracy by %.2f points (%.0f s)\n", acc_aug >= acc_real ? "raised" : "lowered",
              100.0 * std::abs(acc_aug - acc_real), seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  examples::App app("ganpp-augment", kAbout);
  add_options(app, o);
  return examples::run_cli(app, argc, argv, [&] { return run(o); });
}
