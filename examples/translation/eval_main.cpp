// SPDX-License-Identifier: MIT
// ganpp-translation-eval: scores translated Fashion-MNIST test items against the ground truth, as the CycleGAN paper's
// tables do: mean L1, PSNR, SSIM, the Fashion classifier's accuracy on the outputs (true labels) and FID against the
// real test items. The classifier is ganpp-score's CNN trained on Fashion-MNIST (--train-classifier trains and saves it).
#include <ganpp/data/fashion.hpp>
#include <ganpp/data/idx.hpp>
#include <ganpp/metrics.hpp>

#include "common/cli.hpp"
#include "common/output.hpp"
#include "score/mnist_classifier.hpp"

#include <filesystem>
#include <string>

int main(int argc, char** argv) {
  std::string outputs, data = "data/fashion", classifier = "out/fashion-classifier.ganpp";
  bool train_classifier = false;
  int threads = 1, epochs = 3;
  examples::App app("ganpp-translation-eval",
                    "Scores 10000 translated Fashion-MNIST test items (outputs.idx3-ubyte of ganpp-pix2pix or ganpp-cyclegan, in test-set\n"
                    "order; inputs.idx3-ubyte gives the identity row) against the real ones: L1 and PSNR on [0, 1] pixels, SSIM, the\n"
                    "Fashion classifier's accuracy on the outputs and FID of its features against the real test items.");
  app.add_option("outputs", outputs, "IDX file of 10000 28x28 uint8 images, in test-set order")->required();
  app.add_option("--data", data, "folder with the four Fashion-MNIST IDX files (cmake -DFASHION_DIR=data/fashion -P cmake/FetchFashionMNIST.cmake)");
  app.add_option("--classifier", classifier, "the Fashion classifier's weights");
  app.add_flag("--train-classifier", train_classifier, "train the classifier on the Fashion-MNIST training set first and save it to --classifier");
  app.add_option("--classifier-epochs", epochs, "epochs of --train-classifier")->check(examples::integer_at_least(1));
  examples::add_threads_option(app, threads);
  return examples::run_cli(app, argc, argv, [&] {
    ganpp::set_num_threads(threads);
    const ganpp::ImageDataset test = ganpp::load_fashion_mnist(data, false);
    const ganpp::IdxData out = ganpp::read_idx_images(outputs);
    if (out.dims[0] != test.count || out.dims[1] != 28 || out.dims[2] != 28)
      throw ganpp::io_error("'" + outputs + "' holds " + std::to_string(out.dims[0]) + " images of " + std::to_string(out.dims[1]) + "x" +
                            std::to_string(out.dims[2]) + ": expected the " + std::to_string(test.count) + " 28x28 test items in order");
    mnist::Classifier net(0);
    if (train_classifier) {
      const ganpp::ImageDataset train = ganpp::load_fashion_mnist(data, true);
      const double acc = mnist::fit(net, train, &test, epochs, 0);
      examples::make_parent_folder(classifier);
      net.save(classifier);
      std::printf("trained %s: Fashion-MNIST test accuracy %.2f%%\n", classifier.c_str(), 100.0 * acc);
    } else {
      if (!std::filesystem::exists(classifier))
        throw ganpp::io_error("classifier '" + classifier + "' not found: train it with ganpp-translation-eval OUTPUTS --train-classifier");
      net.load(classifier);
    }
    const ganpp::Index n = test.count;
    ganpp::Tensor<float> a(ganpp::Shape{n, 1, 28, 28}), b(ganpp::Shape{n, 1, 28, 28});
    double l1 = 0;
    for (ganpp::Index i = 0; i < a.size(); ++i) {
      a[i] = static_cast<float>(out.values[static_cast<std::size_t>(i)]) / 255.0f;
      b[i] = static_cast<float>(test.pixels[static_cast<std::size_t>(i)]) / 255.0f;
      l1 += std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
    }
    l1 /= static_cast<double>(a.size());
    const double psnr = ganpp::psnr(a, b, 1.0), ssim = ganpp::ssim(a, b, 1.0);
    ganpp::FeatureMatrix fo, ft;
    Eigen::MatrixXd po, pt;
    mnist::embed(net, out.values, n, fo, po);
    mnist::embed(net, test.pixels, n, ft, pt);
    const double acc = mnist::accuracy(po, test.labels), real_acc = mnist::accuracy(pt, test.labels);
    const double fid = ganpp::frechet_distance(fo, ft);
    std::printf("%s: L1 %.4f  PSNR %.2f dB  SSIM %.4f  accuracy %.2f%% (real items %.2f%%)  FID %.2f\n", outputs.c_str(), l1, psnr, ssim, 100 * acc,
                100 * real_acc, fid);
    return 0;
  });
}
