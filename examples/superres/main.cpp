// SPDX-License-Identifier: MIT
// ganpp-sr: 4x super-resolution, SRResNet then SRGAN, on MNIST (7x7 -> 28x28) or the Noto emoji (16x16 -> 64x64);
// evaluates bicubic, SRResNet and SRGAN on the test set; --upscale applies a trained checkpoint to any image.
#include <ganpp/checkpoint.hpp>
#include <ganpp/data/dataset.hpp>
#include <ganpp/data/idx.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/io/image_file.hpp>
#include <ganpp/io/png.hpp>
#include <ganpp/losses/perceptual.hpp>
#include <ganpp/metrics.hpp>
#include <ganpp/model_io.hpp>
#include <ganpp/sr_trainer.hpp>
#include <ganpp/superres.hpp>

#include "common/cli.hpp"
#include "common/json.hpp"
#include "common/output.hpp"
#include "common/pixels.hpp"
#include "common/progress.hpp"
#include "common/report.hpp"
#include "score/mnist_classifier.hpp"
#include "superres/sr_data.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using examples::format_duration;
using ganpp::Index;
using ganpp::Tensor;

namespace {

struct Options {
  std::string task = "mnist", data, out, resume, classifier = mnist::kDefaultClassifierPath, content, upscale, checkpoint;
  long pretrain_steps = 2000, gan_steps = 2000, batch = 16, channels = 32, blocks = 8, d_channels = 32, eval = -1, checkpoint_every = 500, tile = 64;
  double lr = 1e-3, gan_lr = 1e-4, content_weight = 1.0, adversarial_weight = 1e-3;
  std::uint64_t seed = 0;
  int threads = 1;
};

void add_options(CLI::App& app, Options& o) {
  app.add_option("--task", o.task, "mnist: 7x7 -> 28x28 digits; emoji: 16x16 -> 64x64 Noto emoji")->check(CLI::IsMember({"mnist", "emoji"}));
  app.add_option("--data", o.data,
                 "mnist: the folder of the four MNIST IDX files (cmake -DMNIST_DIR=data/mnist -P cmake/FetchMNIST.cmake); emoji: the folder "
                 "of 64x64 PNGs (cmake -DEMOJI_DIR=data/emoji -P cmake/FetchEmoji.cmake)")
      ->default_str("data/mnist | data/emoji");
  app.add_option("--pretrain-steps", o.pretrain_steps, "steps of pixel-loss (MSE) training: the SRResNet")->check(examples::integer_at_least(0));
  app.add_option("--gan-steps", o.gan_steps, "steps of SRGAN training after them (content + adversarial loss)")->check(examples::integer_at_least(0));
  app.add_option("--batch", o.batch, "batch size")->check(examples::integer_at_least(2));
  app.add_option("--channels", o.channels, "the generator's feature channels (the paper: 64)")->check(examples::integer_at_least(1, 1024));
  app.add_option("--blocks", o.blocks, "the generator's residual blocks (the paper: 16)")->check(examples::integer_at_least(0, 64));
  app.add_option("--d-channels", o.d_channels, "channels of the discriminator's first convolution (the paper: 64)")
      ->check(examples::integer_at_least(1, 1024));
  app.add_option("--lr", o.lr, "Adam's learning rate in the SRResNet phase (betas 0.9, 0.999)")->check(examples::number_above(0, true));
  app.add_option("--gan-lr", o.gan_lr, "Adam's learning rate for both networks in the SRGAN phase (the paper: 1e-4)")
      ->check(examples::number_above(0, true));
  app.add_option("--content", o.content,
                 "the SRGAN phase's content loss: features (MSE between the MNIST classifier's 128x7x7 activations, mnist only) or pixel (MSE)")
      ->check(CLI::IsMember({"features", "pixel"}))
      ->default_str("features for mnist, pixel for emoji");
  app.add_option("--content-weight", o.content_weight, "weight of the content loss")->check(examples::number_above(0));
  app.add_option("--adversarial-weight", o.adversarial_weight, "weight of the adversarial loss (the paper: 1e-3)")->check(examples::number_above(0));
  app.add_option("--classifier", o.classifier, "mnist: the classifier (ganpp-classifier) for the content loss, accuracy and FID");
  app.add_option("--eval", o.eval, "evaluate on the first N test images (default: all)")->check(examples::integer_at_least(16))->default_str("all");
  app.add_option("--checkpoint-every", o.checkpoint_every, "save checkpoint.ganpp every N steps")->check(examples::integer_at_least(1));
  examples::add_seed_option(app, o.seed, "the initial weights and the shuffling");
  examples::add_threads_option(app, o.threads);
  app.add_option("--out", o.out, "output folder (default out/sr-TASK); with --upscale, the output PNG");
  app.add_option("--resume", o.resume, "continue from a checkpoint (OUT/checkpoint.ganpp)");
  app.add_option("--upscale", o.upscale, "instead of training: upscale this image (PNG, JPEG, BMP, ...) 4x with --checkpoint into --out");
  app.add_option("--checkpoint", o.checkpoint, "with --upscale: the trained run (checkpoint.ganpp for SRGAN, srresnet.ganpp for SRResNet)")
      ->default_str("out/sr-TASK/checkpoint.ganpp");
  app.add_option("--tile", o.tile, "with --upscale: tile side in input pixels (memory grows with its square)")
      ->check(examples::integer_at_least(8, 4096));
}

std::atomic<bool> interrupted{false};
extern "C" void on_sigint(int) {
  interrupted = true;
  std::signal(SIGINT, SIG_DFL);
}

/// uint8 images in [start, start + n) of a data set as a (n, C, H, W) batch in [-1, 1].
void image_batch(const ganpp::ImageDataset& ds, Index start, Index n, Tensor<float>& out) {
  out.resize(ganpp::Shape{n, ds.channels, ds.height, ds.width});
  examples::from_pixels(ds.pixels.data() + start * ds.image_size(), n * ds.image_size(), out.data());
}

/// The values a uint8 file would hold: each rounded to its pixel and back.
void quantize(Tensor<float>& x) {
  for (float& v : x) v = examples::from_pixel(static_cast<std::uint8_t>(std::min(255.0f, std::max(0.0f, std::nearbyint((v + 1.0f) * 127.5f)))));
}

/// Nearest-neighbour enlargement, to show the low-resolution input beside the outputs.
void nearest(const Tensor<float>& low, Index factor, Tensor<float>& out) {
  const Index n = low.dim(0), c = low.dim(1), h = low.dim(2), w = low.dim(3);
  out.resize(ganpp::Shape{n, c, h * factor, w * factor});
  for (Index i = 0; i < n; ++i)
    for (Index k = 0; k < c; ++k)
      for (Index y = 0; y < h * factor; ++y)
        for (Index x = 0; x < w * factor; ++x) out.at(i, k, y, x) = low.at(i, k, y / factor, x / factor);
}

/// The index of the feature network's layer whose activations are compared: the last one before Flatten (the ReLU
/// after the last convolution block), whatever the classifier's architecture.
std::size_t content_layer(ganpp::Sequential<float>& features) {
  for (std::size_t i = 1; i < features.size(); ++i)
    if (features[i].name() == "Flatten") return i - 1;
  throw ganpp::argument_error("the classifier's feature network has no Flatten layer to cut before");
}

/// One row of the results table.
struct Row {
  std::string method;
  double psnr = 0, ssim = 0, accuracy = -1, fid = -1;
};

class Run {
 public:
  Run(const Options& o, sr::Task task)
      : o_(o), task_(std::move(task)), g_(ganpp::srresnet_generator<float>(sr::generator_options(task_.channels, o.channels, o.blocks, task_.factor)),
                                          ganpp::Shape{task_.channels, task_.low_side(), task_.low_side()}),
        d_(ganpp::srgan_discriminator<float>(sr::discriminator_options(task_, o.d_channels)), ganpp::Shape{task_.channels, task_.side, task_.side}),
        g_opt_(g_.parameters(), {o.lr, 0.9, 0.999}), d_opt_(d_.parameters(), {o.gan_lr, 0.9, 0.999}), trainer_(g_, g_opt_, trainer_options(o)),
        loader_(task_.train, std::min<Index>(o.batch, task_.train.count), o.seed) {
    g_.reset_parameters(ganpp::Init::torch_default, o.seed * 2 + 1);
    d_.reset_parameters(ganpp::Init::torch_default, o.seed * 2 + 2);
    if (o.gan_steps > 0) trainer_.set_adversary(d_, d_opt_);
    if (task_.name == "mnist" && fs::exists(o.classifier)) {
      classifier_.emplace();
      classifier_->load(o.classifier);
      classifier_->train(false);
    }
    if (o.content == "features") {
      if (!classifier_)
        throw ganpp::io_error("classifier weights " + o.classifier + " not found: train them first with ganpp-classifier (or use --content pixel)");
      perceptual_.emplace(classifier_->feature_net(), content_layer(classifier_->feature_net()));
      trainer_.set_content_loss(&*perceptual_);
    }
  }

  int run() {
    const std::int64_t total = o_.pretrain_steps + o_.gan_steps;
    if (!o_.resume.empty()) resume();
    // A run still before the end of its pixel phase writes srresnet.ganpp when it gets there: none from an earlier run.
    if (trainer_.steps() < o_.pretrain_steps) fs::remove(path("srresnet.ganpp"));
    open_csv();
    const std::int64_t first = trainer_.steps();
    std::printf(
        "ganpp-sr: task %s (%lldx%lld -> %lldx%lld), %lld SRResNet + %lld SRGAN steps (batch %ld, %ld channels, %ld blocks, content %s), "
        "%d threads, seed %llu%s\n",
        task_.name.c_str(), static_cast<long long>(task_.low_side()), static_cast<long long>(task_.low_side()), static_cast<long long>(task_.side),
        static_cast<long long>(task_.side), static_cast<long long>(o_.pretrain_steps), static_cast<long long>(o_.gan_steps), o_.batch, o_.channels,
        o_.blocks, o_.content.c_str(), o_.threads, static_cast<unsigned long long>(o_.seed),
        first ? (", resuming at step " + std::to_string(first)).c_str() : "");
    std::fflush(stdout);
    std::signal(SIGINT, on_sigint);
    Tensor<float> high, low;
    std::vector<int> labels;
    const double seconds_before = seconds_;
    const auto start = std::chrono::steady_clock::now();
    while (trainer_.steps() < total && !interrupted) {
      if (trainer_.steps() == o_.pretrain_steps && !fs::exists(path("srresnet.ganpp"))) save_srresnet();
      if (!loader_.next(high, labels)) continue;
      ganpp::box_downsample(high, task_.factor, low);
      g_opt_.set_learning_rate(trainer_.adversarial_phase() ? o_.gan_lr : o_.lr);
      const ganpp::SrStepStats s = trainer_.step(low, high);
      seconds_ = seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(csv_, "%lld,%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.3f\n", static_cast<long long>(s.step), s.adversarial ? 1 : 0, s.pixel_loss,
                   s.content_loss, s.g_adversarial, s.g_loss, s.d_loss, seconds_);
      const double rate = static_cast<double>(s.step - first) / std::max(seconds_ - seconds_before, 1e-9);
      progress_.update(s.step == total, "%s step %lld/%lld  pixel %.4f  content %.4g  G adv %.3f  D %.3f  %.1f steps/s  ETA %s",
                       s.adversarial ? "SRGAN" : "SRResNet", static_cast<long long>(s.step), static_cast<long long>(total), s.pixel_loss,
                       s.content_loss, s.g_adversarial, s.d_loss, rate,
                       format_duration(static_cast<double>(total - s.step) / std::max(rate, 1e-9)).c_str());
      if (s.step % o_.checkpoint_every == 0) save_checkpoint();
    }
    progress_.break_line();
    if (trainer_.steps() == o_.pretrain_steps && !fs::exists(path("srresnet.ganpp"))) save_srresnet();
    save_checkpoint();
    std::fclose(csv_);
    csv_ = nullptr;
    if (interrupted) {
      std::printf("interrupted at step %lld: checkpoint saved in %s\n", static_cast<long long>(trainer_.steps()), o_.out.c_str());
      return 130;
    }
    evaluate();
    return 0;
  }

 private:
  static ganpp::SrTrainerOptions trainer_options(const Options& o) {
    ganpp::SrTrainerOptions t;
    t.pretrain_steps = o.pretrain_steps;
    t.content_weight = o.content_weight;
    t.adversarial_weight = o.adversarial_weight;
    return t;
  }
  std::string path(const std::string& name) const { return (fs::path(o_.out) / name).string(); }

  void put_run(ganpp::Checkpoint& c) const {
    c.put_text("run.task", task_.name);
    c.put_text("run.channels", std::to_string(o_.channels));
    c.put_text("run.blocks", std::to_string(o_.blocks));
    c.put_text("run.d_channels", std::to_string(o_.d_channels));
    c.put_text("run.batch", std::to_string(o_.batch));
    c.put_text("run.seed", std::to_string(o_.seed));
    c.put_text("run.pretrain_steps", std::to_string(o_.pretrain_steps));
    c.put_text("run.content", o_.content);
    c.put_text("run.lr", std::to_string(o_.lr));
    c.put_text("run.gan_lr", std::to_string(o_.gan_lr));
  }

  /// srresnet.ganpp: the generator at the end of the pixel phase, for the SRResNet row and --upscale.
  void save_srresnet() {
    ganpp::Checkpoint c;
    put_run(c);
    ganpp::save_model(c, "generator", g_);
    c.save(path("srresnet.ganpp"));
  }

  void save_checkpoint() {
    ganpp::Checkpoint c;
    put_run(c);
    c.put_text("run.seconds", std::to_string(seconds_));
    c.put_text("loader", loader_.state());
    trainer_.save(c);
    std::fflush(csv_);
    c.save(path("checkpoint.ganpp"));
  }

  void resume() {
    const ganpp::Checkpoint c = ganpp::Checkpoint::load(o_.resume);
    ganpp::Checkpoint mine;
    put_run(mine);
    for (const char* key : {"run.task", "run.channels", "run.blocks", "run.d_channels", "run.batch", "run.seed", "run.pretrain_steps", "run.content",
                            "run.lr", "run.gan_lr"})
      if (!c.has(key) || c.text(key) != mine.text(key))
        throw ganpp::argument_error(o_.resume + " was trained with " + std::string(key).substr(4) + " " + (c.has(key) ? c.text(key) : "(none)") +
                                    ", this run asks for " + mine.text(key));
    trainer_.load(c);
    loader_.set_state(c.text("loader"));
    seconds_ = std::stod(c.text("run.seconds"));
  }

  void open_csv() {
    csv_ = examples::open_csv(path("losses.csv"), "step,adversarial,pixel_loss,content_loss,g_adversarial,g_loss,d_loss,seconds",
                              o_.resume.empty() ? -1 : static_cast<long long>(trainer_.steps()));
  }

  /// Upscales the first n test images with `g` (eval mode), 100 at a time, quantized to pixels.
  void upscale_test(ganpp::Model<float>& g, Index n, Tensor<float>& out) {
    out.resize(ganpp::Shape{n, task_.channels, task_.side, task_.side});
    g.eval();
    Tensor<float> high, low;
    for (Index i = 0; i < n; i += 100) {
      const Index m = std::min<Index>(100, n - i);
      image_batch(task_.test, i, m, high);
      ganpp::box_downsample(high, task_.factor, low);
      const Tensor<float>& y = g.forward(low);
      std::copy(y.data(), y.data() + y.size(), out.data() + i * task_.test.image_size());
    }
    g.train();
    quantize(out);
  }

  Row score(const std::string& method, const Tensor<float>& images, const Tensor<float>& truth, const ganpp::FeatureMatrix* real_features) {
    Row r;
    r.method = method;
    r.psnr = ganpp::psnr(images, truth, 2.0);
    r.ssim = ganpp::ssim(images, truth, 2.0);
    if (classifier_ && real_features) {
      std::vector<std::uint8_t> pixels;
      examples::to_pixels(images, pixels);
      ganpp::FeatureMatrix f;
      Eigen::MatrixXd p;
      mnist::embed(*classifier_, pixels, images.dim(0), f, p);
      r.accuracy = mnist::accuracy(p, std::vector<int>(task_.test.labels.begin(), task_.test.labels.begin() + images.dim(0)));
      r.fid = ganpp::frechet_distance(*real_features, f);
    }
    return r;
  }

  void evaluate() {
    const Index n = o_.eval > 0 ? std::min<Index>(o_.eval, task_.test.count) : task_.test.count;
    Tensor<float> truth, low, bicubic, srresnet, srgan;
    image_batch(task_.test, 0, n, truth);
    ganpp::box_downsample(truth, task_.factor, low);
    ganpp::bicubic_upsample(low, task_.factor, bicubic);
    quantize(bicubic);
    std::optional<ganpp::FeatureMatrix> real_features;
    if (classifier_) {
      std::vector<std::uint8_t> pixels(task_.test.pixels.begin(), task_.test.pixels.begin() + n * task_.test.image_size());
      Eigen::MatrixXd p;
      real_features.emplace();
      mnist::embed(*classifier_, pixels, n, *real_features, p);
    }
    const ganpp::FeatureMatrix* rf = real_features ? &*real_features : nullptr;
    std::vector<Row> rows{score("bicubic", bicubic, truth, rf)};
    // SRResNet: the generator saved at the end of the pixel phase (the current one when there was no SRGAN phase).
    const bool have_gan = o_.gan_steps > 0;
    if (have_gan) {
      ganpp::Generator<float> pre(ganpp::srresnet_generator<float>(sr::generator_options(task_.channels, o_.channels, o_.blocks, task_.factor)),
                                  g_.input_shape());
      ganpp::load_model(ganpp::Checkpoint::load(path("srresnet.ganpp")), "generator", pre);
      upscale_test(pre, n, srresnet);
      upscale_test(g_, n, srgan);
    } else {
      upscale_test(g_, n, srresnet);
    }
    rows.push_back(score("SRResNet", srresnet, truth, rf));
    if (have_gan) rows.push_back(score("SRGAN", srgan, truth, rf));
    const Tensor<float>& final_images = have_gan ? srgan : srresnet;

    // The table, metrics.json, sr.idx3-ubyte (MNIST), the grid and the report.
    nlohmann::ordered_json j;
    j["task"] = task_.name;
    j["test_images"] = n;
    j["steps"] = trainer_.steps();
    std::printf("%s test set, first %lld images:\n%-10s %8s %8s %10s %8s\n", task_.name.c_str(), static_cast<long long>(n), "method", "PSNR dB",
                "SSIM", "accuracy", "FID");
    for (const Row& r : rows) {
      std::printf("%-10s %8.2f %8.4f", r.method.c_str(), r.psnr, r.ssim);
      nlohmann::ordered_json jr;
      jr["method"] = r.method;
      jr["psnr"] = examples::rounded(r.psnr, 3);
      jr["ssim"] = examples::rounded(r.ssim, 4);
      if (r.accuracy >= 0) {
        std::printf(" %9.2f%% %8.2f", 100 * r.accuracy, r.fid);
        jr["accuracy"] = examples::rounded(r.accuracy, 4);
        jr["fid"] = examples::rounded(r.fid, 3);
      }
      std::printf("\n");
      j["results"].push_back(jr);
    }
    if (task_.name == "mnist" && !classifier_) std::printf("(no classifier at %s: accuracy and FID not measured)\n", o_.classifier.c_str());
    examples::write_file(path("metrics.json"), j.dump(1) + "\n");
    if (task_.name == "mnist") {
      std::vector<std::uint8_t> pixels;
      examples::to_pixels(final_images, pixels);
      ganpp::write_idx(path("sr.idx3-ubyte"), {n, 28, 28}, pixels.data());
    }
    // Grid: 8 test images, one per row: low (nearest) | bicubic | SRResNet | SRGAN | truth.
    const Index shown = std::min<Index>(8, n), per = task_.test.image_size();
    std::vector<const Tensor<float>*> columns;
    Tensor<float> low_big;
    nearest(low, task_.factor, low_big);
    columns = {&low_big, &bicubic, &srresnet};
    if (have_gan) columns.push_back(&srgan);
    columns.push_back(&truth);
    const Index cols = static_cast<Index>(columns.size());
    Tensor<float> grid(ganpp::Shape{shown * cols, task_.channels, task_.side, task_.side});
    for (Index i = 0; i < shown; ++i)
      for (Index k = 0; k < cols; ++k)
        std::copy(columns[k]->data() + i * per, columns[k]->data() + (i + 1) * per, grid.data() + (i * cols + k) * per);
    ganpp::write_png_grid(path("grid.png"), grid, cols);
    write_report(rows, have_gan);
    std::printf(
        "done: %lld steps, %s of training. Outputs in %s: grid.png, metrics.json, %slosses.csv, srresnet.ganpp, checkpoint.ganpp, report.html\n",
        static_cast<long long>(trainer_.steps()), format_duration(seconds_).c_str(), o_.out.c_str(), task_.name == "mnist" ? "sr.idx3-ubyte, " : "");
  }

  void write_report(const std::vector<Row>& rows, bool have_gan) {
    std::vector<examples::LossRow> losses;
    std::ifstream in(path("losses.csv"));
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      examples::LossRow r;
      int adversarial = 0;
      double g_adv = 0;
      // d_real holds the pixel loss, d_fake the content loss: the chart helpers plot any LossRow field.
      if (std::sscanf(line.c_str(), "%ld,%d,%lf,%lf,%lf,%lf,%lf,%lf", &r.step, &adversarial, &r.d_real, &r.d_fake, &g_adv, &r.g_loss, &r.d_loss,
                      &r.seconds) == 8)
        losses.push_back(r);
    }
    std::ostringstream html;
    html << "<!DOCTYPE html><html><head><meta charset='utf-8'><title>ganpp-sr: " << task_.name
         << "</title><style>body{font-family:sans-serif;margin:2em;max-width:60em}img{image-rendering:pixelated;width:" << (have_gan ? 5 : 4) * 116
         << "px}td,th{padding:.2em .8em;text-align:right}</style></head><body><h1>ganpp-sr: " << task_.name << " " << task_.factor << "x</h1><p>"
         << o_.pretrain_steps << " SRResNet steps then " << o_.gan_steps << " SRGAN steps (content " << o_.content << ", adversarial weight "
         << o_.adversarial_weight << "), batch " << o_.batch << ", generator " << o_.channels << " channels x " << o_.blocks << " blocks, seed "
         << o_.seed << ", " << format_duration(seconds_)
         << " of training.</p><h2>Test set</h2><table><tr><th>method</th><th>PSNR (dB)</th><th>SSIM</th>"
         << (classifier_ ? "<th>accuracy</th><th>FID</th>" : "") << "</tr>";
    char buf[200];
    for (const Row& r : rows) {
      std::snprintf(buf, sizeof buf, "<tr><td>%s</td><td>%.2f</td><td>%.4f</td>", r.method.c_str(), r.psnr, r.ssim);
      html << buf;
      if (r.accuracy >= 0) {
        std::snprintf(buf, sizeof buf, "<td>%.2f%%</td><td>%.2f</td>", 100 * r.accuracy, r.fid);
        html << buf;
      }
      html << "</tr>";
    }
    html << "</table><h2>Losses</h2>";
    const std::vector<std::string> colors{"#d62728", "#1f77b4"};
    html << examples::svg_chart("Generator", losses, {{"pixel loss", &examples::LossRow::d_real}, {"content loss", &examples::LossRow::d_fake}},
                                colors);
    if (have_gan)
      html << "<br>"
           << examples::svg_chart("Adversarial phase", losses, {{"D loss", &examples::LossRow::d_loss}, {"G loss", &examples::LossRow::g_loss}},
                                  colors);
    std::ifstream png(path("grid.png"), std::ios::binary);
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(png)), std::istreambuf_iterator<char>());
    html << "<h2>Test images</h2><p>Columns: low resolution (enlarged) | bicubic | SRResNet | " << (have_gan ? "SRGAN | " : "")
         << "truth.</p><img alt='grid' src='data:image/png;base64," << examples::base64(bytes) << "'></body></html>\n";
    examples::write_file(path("report.html"), html.str());
  }

  Options o_;
  sr::Task task_;
  ganpp::Generator<float> g_;
  ganpp::Discriminator<float> d_;
  ganpp::Adam<float> g_opt_, d_opt_;
  ganpp::SrTrainer<float> trainer_;
  ganpp::BatchLoader<float> loader_;
  std::optional<mnist::Classifier> classifier_;
  std::optional<ganpp::PerceptualLoss<float>> perceptual_;
  double seconds_ = 0;
  examples::ProgressLine progress_;
  std::FILE* csv_ = nullptr;
};

/// --upscale IN --out OUT: the generator of a checkpoint applied to one image, tile by tile.
int upscale(const Options& o) {
  const std::string ckpt = o.checkpoint.empty() ? "out/sr-" + o.task + "/checkpoint.ganpp" : o.checkpoint;
  if (!fs::exists(ckpt)) throw ganpp::io_error("checkpoint " + ckpt + " not found: train one first with ganpp-sr --task " + o.task);
  const ganpp::Checkpoint c = ganpp::Checkpoint::load(ckpt);
  if (!c.has("run.task") || !c.has("run.channels") || !c.has("run.blocks"))
    throw ganpp::io_error(ckpt + " is a ganpp checkpoint but not one written by ganpp-sr (no run.task, run.channels, run.blocks)");
  const Index image_channels = c.text("run.task") == "emoji" ? 3 : 1;
  const ganpp::SrResNetOptions go = sr::generator_options(image_channels, std::stol(c.text("run.channels")), std::stol(c.text("run.blocks")), 4);
  ganpp::Generator<float> g(ganpp::srresnet_generator<float>(go), ganpp::Shape{image_channels, 8, 8});
  ganpp::load_model(c, "generator", g);
  g.eval();
  const ganpp::Image8 img = ganpp::convert_channels(ganpp::read_image(o.upscale), static_cast<int>(image_channels));
  if (static_cast<double>(img.width) * img.height > 4096.0 * 4096.0)
    throw ganpp::io_error("image '" + o.upscale + "' is " + std::to_string(img.width) + " x " + std::to_string(img.height) +
                          ": more than 4096 x 4096 pixels would make a 4x output too large for PNG");
  const Index h = img.height, w = img.width;
  Tensor<float> x(ganpp::Shape{1, image_channels, h, w}), y;
  for (Index k = 0; k < image_channels; ++k)
    for (Index p = 0; p < h * w; ++p) x[k * h * w + p] = examples::from_pixel(img.pixels[static_cast<std::size_t>(p * image_channels + k)]);
  const auto t0 = std::chrono::steady_clock::now();
  ganpp::upscale_tiled(g.net(), x, 4, o.tile, ganpp::srresnet_receptive_margin(go), y);
  std::vector<std::uint8_t> planar, interleaved(static_cast<std::size_t>(y.size()));
  examples::to_pixels(y, planar);
  const Index oh = 4 * h, ow = 4 * w;
  for (Index k = 0; k < image_channels; ++k)
    for (Index p = 0; p < oh * ow; ++p)
      interleaved[static_cast<std::size_t>(p * image_channels + k)] = planar[static_cast<std::size_t>(k * oh * ow + p)];
  examples::make_parent_folder(o.out);
  ganpp::write_png(o.out, static_cast<int>(ow), static_cast<int>(oh), static_cast<int>(image_channels), interleaved.data());
  std::printf("%s (%lldx%lld) -> %s (%lldx%lld) with %s (%s) in %.1f s\n", o.upscale.c_str(), static_cast<long long>(w), static_cast<long long>(h),
              o.out.c_str(), static_cast<long long>(ow), static_cast<long long>(oh), ckpt.c_str(), c.text("run.task").c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  examples::App app("ganpp-sr",
                    "4x super-resolution: trains an SRResNet (pixel loss), then an SRGAN (content + 1e-3 x adversarial loss), and\n"
                    "evaluates bicubic, SRResNet and SRGAN on the test set. Writes, under --out: grid.png (low | bicubic | SRResNet |\n"
                    "SRGAN | truth), metrics.json, sr.idx3-ubyte (mnist: the upscaled test digits), losses.csv, srresnet.ganpp,\n"
                    "checkpoint.ganpp, report.html. With --upscale IN --out OUT.png: upscales one image with a trained checkpoint.");
  add_options(app, o);
  return examples::run_cli(app, argc, argv, [&] {
    ganpp::set_num_threads(o.threads);
    if (!o.upscale.empty()) {
      if (o.out.empty()) throw examples::UsageError("--upscale needs --out OUT.png");
      return upscale(o);
    }
    if (o.pretrain_steps + o.gan_steps < 1) throw examples::UsageError("--pretrain-steps and --gan-steps are both 0: nothing to train");
    if (o.data.empty()) o.data = o.task == "mnist" ? "data/mnist" : "data/emoji";
    if (o.content.empty()) o.content = o.task == "mnist" ? "features" : "pixel";
    if (o.content == "features" && o.task != "mnist")
      throw examples::UsageError("--content features needs --task mnist (the MNIST classifier's features)");
    if (o.out.empty()) o.out = "out/sr-" + o.task;
    examples::make_output_folder(o.out);
    sr::Task task = o.task == "mnist" ? sr::load_mnist_task(o.data) : sr::load_emoji(o.data);
    Run run(o, std::move(task));
    return run.run();
  });
}
