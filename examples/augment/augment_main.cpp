// SPDX-License-Identifier: MIT
// ganpp-augment: data augmentation with the conditional MNIST generator. Trains a classifier on 1,000 real training
// digits alone and on the same 1,000 plus generated, labelled digits, and compares their test accuracies.
#include <ganpp/checkpoint.hpp>
#include <ganpp/classification.hpp>
#include <ganpp/data/dataset.hpp>
#include <ganpp/data/mnist.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/model_io.hpp>

#include "../mnist/mnist_models.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  std::string data = "data/mnist";
  std::string generator = "out/mnist-cgan/checkpoint.ganpp";
  long real = 1000;
  long synthetic = 5000;
  long steps = 2000;
  long seed = 0;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  bool json = false;
};

const char* kUsage =
    "usage: ganpp-augment [options]\n"
    "Trains a classifier (784 -> 256 -> 10, ReLU, dropout 0.2) twice for the same number of steps: on --real training digits\n"
    "(balanced over the classes), and on the same digits plus --synthetic digits drawn from a conditional GAN\n"
    "(ganpp-mnist --model cgan), each labelled with the digit it was asked for; prints both MNIST test accuracies.\n"
    "\n"
    "  --data DIR        folder with the four MNIST IDX files (default data/mnist)\n"
    "  --generator FILE  checkpoint of a cgan run (default out/mnist-cgan/checkpoint.ganpp, written by\n"
    "                    ganpp-mnist --model cgan --out out/mnist-cgan)\n"
    "  --real N          real training digits, N/10 of each class (default 1000)\n"
    "  --synthetic M     generated digits, M/10 of each class (default 5000)\n"
    "  --steps S         training steps of batch 64 for each classifier (default 2000)\n"
    "  --seed S          seed of the subset, the latents, the weights and the shuffling (default 0)\n"
    "  --threads T       threads (default: the machine's cores)\n"
    "  --json            print one JSON line instead of text\n";

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "ganpp-augment: %s (see --help)\n", msg.c_str());
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
    for (const char* flag : {"--data", "--generator", "--real", "--synthetic", "--steps", "--seed", "--threads"}) known = known || a == flag;
    if (!known) usage_error("unknown option '" + a + "'");
    if (i + 1 >= argc) usage_error(a + " needs a value");
    const std::string v = argv[++i];
    if (a == "--data") o.data = v;
    else if (a == "--generator") o.generator = v;
    else if (a == "--real") o.real = parse_long(a, v, 10, 60000);
    else if (a == "--synthetic") o.synthetic = parse_long(a, v, 0, 1000000);
    else if (a == "--steps") o.steps = parse_long(a, v, 1);
    else if (a == "--seed") o.seed = parse_long(a, v, 0);
    else if (a == "--threads") o.threads = static_cast<int>(parse_long(a, v, 1, 1024));
    else usage_error("unknown option '" + a + "'");
  }
  return o;
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
    const ganpp::Tensor<float>& x = g.forward(z, &labels);
    for (float v : x) {
      const float p = std::nearbyint((v + 1.0f) * 127.5f);
      ds.pixels.push_back(static_cast<std::uint8_t>(std::isnan(p) ? 0.0f : std::min(255.0f, std::max(0.0f, p))));
    }
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
    for (ganpp::Index i = 0; i < n * 784; ++i) batch[i] = static_cast<float>(test.pixels[static_cast<std::size_t>(start * 784 + i)]) / 127.5f - 1.0f;
    const ganpp::Tensor<float>& logits = net.forward(batch);
    for (ganpp::Index i = 0; i < n; ++i) {
      Eigen::Index best;
      logits.matrix().col(i).maxCoeff(&best);
      right += best == test.labels[static_cast<std::size_t>(start + i)];
    }
  }
  return static_cast<double>(right) / static_cast<double>(test.count);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (!std::filesystem::exists(o.generator)) {
    std::fprintf(stderr,
                 "ganpp-augment: conditional generator %s not found: train one first with\n"
                 "  ganpp-mnist --model cgan --out out/mnist-cgan\n"
                 "or pass --generator FILE (a checkpoint.ganpp of a cgan run)\n",
                 o.generator.c_str());
    return 1;
  }
  try {
    ganpp::set_num_threads(o.threads);
    const auto seed = static_cast<std::uint64_t>(o.seed);
    const ganpp::Checkpoint c = ganpp::Checkpoint::load(o.generator);
    if (!c.has("run.model") || c.text("run.model") != "cgan")
      throw ganpp::argument_error(o.generator + " is not a checkpoint of ganpp-mnist --model cgan" +
                                  (c.has("run.model") ? " (it holds a " + c.text("run.model") + " run)" : std::string()));
    ganpp::Generator<float> g = mnist::dcgan_generator<float>(true);
    ganpp::load_model(c, "generator", g);

    const ganpp::ImageDataset train = ganpp::load_mnist(o.data, true), test = ganpp::load_mnist(o.data, false);
    const ganpp::ImageDataset real = balanced_subset(train, o.real, seed + 1);
    ganpp::ImageDataset augmented = real;
    add_synthetic(g, o.synthetic, seed + 2, augmented);

    const auto t0 = std::chrono::steady_clock::now();
    const double acc_real = train_and_test(real, test, o.steps, seed + 3);  // both start from the same weights
    if (!o.json) {
      std::printf("%lld real digits alone, %ld steps: MNIST test accuracy %.2f%%\n", static_cast<long long>(real.count), o.steps, 100.0 * acc_real);
      std::fflush(stdout);
    }
    const double acc_aug = train_and_test(augmented, test, o.steps, seed + 3);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (o.json) {
      std::printf("{\"real\": %lld, \"synthetic\": %lld, \"steps\": %ld, \"accuracy_real\": %.4f, \"accuracy_augmented\": %.4f, \"seconds\": %.0f}\n",
                  static_cast<long long>(real.count), static_cast<long long>(augmented.count - real.count), o.steps, acc_real, acc_aug, seconds);
    } else {
      std::printf("%lld real + %lld generated digits, %ld steps: MNIST test accuracy %.2f%%\n", static_cast<long long>(real.count),
                  static_cast<long long>(augmented.count - real.count), o.steps, 100.0 * acc_aug);
      std::printf("augmentation %s the test accuracy by %.2f points (%.0f s)\n", acc_aug >= acc_real ? "raised" : "lowered",
                  100.0 * std::abs(acc_aug - acc_real), seconds);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ganpp-augment: %s\n", e.what());
    return 1;
  }
  return 0;
}
