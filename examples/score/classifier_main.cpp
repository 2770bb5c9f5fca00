// SPDX-License-Identifier: MIT
// ganpp-classifier: trains the MNIST evaluation classifier that ganpp-score uses, and reports its test accuracy.
#include <ganpp/data/mnist.hpp>

#include "common/cli.hpp"
#include "common/output.hpp"
#include "mnist_classifier.hpp"

#include <chrono>
#include <string>

int main(int argc, char** argv) {
  std::string data, out = mnist::kDefaultClassifierPath;
  int epochs = 4, threads = 1, profile = 0;
  std::uint64_t seed = 0;
  examples::App app("ganpp-classifier",
                    "Trains the small CNN whose 128-d features and class probabilities ganpp-score uses for MNIST FID, IS, precision and\n"
                    "recall, prints its MNIST test accuracy and saves its weights.");
  examples::add_data_option(app, data);
  app.add_option("--out", out, "where to save the weights (ganpp-score looks in the default place)");
  app.add_option("--epochs", epochs, "epochs over the 60000 training images (the last one at a tenth of the learning rate)")
      ->check(examples::integer_at_least(1));
  examples::add_seed_option(app, seed, "the initial weights, the dropout masks and the shuffling");
  examples::add_threads_option(app, threads);
  app.add_option("--profile", profile,
                 "instead of training, time each layer's forward and backward over N batches of 64 random images, in CPU time\n"
                 "of one thread (the times then hardly depend on the machine's load)")
      ->check(examples::integer_at_least(1));
  return examples::run_cli(app, argc, argv, [&] {
    if (profile > 0) {
      ganpp::set_num_threads(1);
      mnist::Classifier(seed).profile(profile);
      return 0;
    }
    ganpp::set_num_threads(threads);
    const ganpp::ImageDataset train = ganpp::load_mnist(data, true), test = ganpp::load_mnist(data, false);
    mnist::Classifier net(seed);
    const auto t0 = std::chrono::steady_clock::now();
    const double acc = mnist::fit(net, train, &test, epochs, seed);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    examples::make_parent_folder(out);
    net.save(out);
    std::printf("saved %s: MNIST test accuracy %.2f%% after %d epochs, %.0f s of training on %d threads\n", out.c_str(), 100.0 * acc, epochs, seconds,
                threads);
    return 0;
  });
}
