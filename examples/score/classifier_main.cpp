// SPDX-License-Identifier: MIT
// ganpp-classifier: trains the MNIST evaluation classifier that ganpp-score uses, and reports its test accuracy.
#include "mnist_classifier.hpp"

#include <ganpp/data/mnist.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

namespace {

const char* kUsage =
    "usage: ganpp-classifier [--data DIR] [--out FILE] [--epochs E] [--seed S] [--threads T]\n"
    "Trains the small CNN whose 128-d features and class probabilities ganpp-score uses for MNIST FID, IS,\n"
    "precision and recall, prints its MNIST test accuracy and saves its weights.\n"
    "\n"
    "  --data DIR     folder with the four MNIST IDX files (default data/mnist)\n"
    "  --out FILE     where to save the weights (default out/mnist-classifier.ganpp, where ganpp-score looks)\n"
    "  --epochs E     epochs over the 60000 training images (default 3; the last one at a tenth of the learning rate)\n"
    "  --seed S       seed of the initial weights, the dropout masks and the shuffling (default 0)\n"
    "  --threads T    threads (default: the machine's cores)\n";

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "ganpp-classifier: %s (see --help)\n", msg.c_str());
  std::exit(2);
}

long parse_long(const std::string& flag, const std::string& text, long min_value) {
  try {
    std::size_t used = 0;
    const long v = std::stol(text, &used);
    if (used == text.size() && v >= min_value) return v;
  } catch (const std::exception&) {
  }
  usage_error(flag + " needs an integer >= " + std::to_string(min_value) + ", got '" + text + "'");
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = "data/mnist", out = mnist::kDefaultClassifierPath;
  long epochs = 3, seed = 0;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a.rfind("--", 0) != 0) usage_error("unexpected argument '" + a + "'");
    bool known = false;
    for (const char* flag : {"--data", "--out", "--epochs", "--seed", "--threads"}) known = known || a == flag;
    if (!known) usage_error("unknown option '" + a + "'");
    if (i + 1 >= argc) usage_error(a + " needs a value");
    const std::string v = argv[++i];
    if (a == "--data") data = v;
    else if (a == "--out") out = v;
    else if (a == "--epochs") epochs = parse_long(a, v, 1);
    else if (a == "--seed") seed = parse_long(a, v, 0);
    else if (a == "--threads") threads = static_cast<int>(parse_long(a, v, 1));
    else usage_error("unknown option '" + a + "'");
  }
  try {
    ganpp::set_num_threads(threads);
    const ganpp::ImageDataset train = ganpp::load_mnist(data, true), test = ganpp::load_mnist(data, false);
    mnist::Classifier net(static_cast<std::uint64_t>(seed));
    const auto t0 = std::chrono::steady_clock::now();
    const double acc = mnist::fit(net, train, &test, static_cast<int>(epochs), static_cast<std::uint64_t>(seed));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::filesystem::path parent = std::filesystem::path(out).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    net.save(out);
    std::printf("saved %s: MNIST test accuracy %.2f%% after %ld epochs, %.0f s of training on %d threads\n", out.c_str(), 100.0 * acc, epochs,
                seconds, threads);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ganpp-classifier: %s\n", e.what());
    return 1;
  }
  return 0;
}
