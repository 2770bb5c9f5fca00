// SPDX-License-Identifier: MIT
// ganpp-stylegan: trains a StyleGAN2-style model on MNIST padded to 32x32 and writes sample grids, a style-mixing
// grid, a truncation sweep, an interpolation strip, 28x28 samples, losses, checkpoints and a report.
#include <ganpp/checkpoint.hpp>
#include <ganpp/data/dataset.hpp>
#include <ganpp/data/idx.hpp>
#include <ganpp/data/mnist.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/io/png.hpp>
#include <ganpp/stylegan_trainer.hpp>

#include "common/cli.hpp"
#include "common/output.hpp"
#include "common/pixels.hpp"
#include "common/progress.hpp"
#include "common/report.hpp"
#include "stylegan/stylegan_model.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using examples::format_duration;
using ganpp::Index;
using ganpp::Shape;
using ganpp::Tensor;

namespace {

using stylegan::crop;
using stylegan::kSide;
using stylegan::pad;

struct Options {
  std::string data, out = "out/stylegan", resume;
  long epochs = 2, steps = -1, batch = 32, samples = 10000, channels = 32;
  double minutes = 0, psi = 1.0, lr = 2e-3, r1_gamma = 1.0, ema_decay = 0.999;
  std::uint64_t seed = 0;
  int threads = 1;
};

void add_options(CLI::App& app, Options& o) {
  examples::add_data_option(app, o.data);
  app.add_option("--epochs", o.epochs, "epochs to train, counted from the start of training")->check(examples::integer_at_least(1));
  app.add_option("--steps", o.steps, "stop after N training steps in all, counted from the start (a resumed run continues the count)")
      ->check(examples::integer_at_least(1))
      ->default_str("");
  app.add_option("--minutes", o.minutes, "stop after this much training time in all (0: no limit); a resumed run counts the time before")
      ->check(examples::number_above(0));
  app.add_option("--batch", o.batch, "batch size")->check(examples::integer_at_least(2));
  app.add_option("--channels", o.channels, "feature channels at 4x4 and 8x8 (half of it at 16x16 and 32x32); z and w have 64 numbers")
      ->check(examples::integer_at_least(2, 512));
  app.add_option("--lr", o.lr, "Adam learning rate of both players (the mapping network trains at 0.01 times it)")
      ->check(examples::number_above(0, true));
  app.add_option("--r1-gamma", o.r1_gamma, "R1 weight gamma, applied every 16 discriminator steps with gamma * 16")->check(examples::number_above(0));
  app.add_option("--ema-decay", o.ema_decay, "decay of the generator's moving average, which draws every picture and sample")
      ->check(CLI::Range(0.0, 0.999999));
  app.add_option("--psi", o.psi, "truncation of the samples in samples.idx3-ubyte (1: none)")->check(CLI::Range(0.0, 1.0));
  examples::add_seed_option(app, o.seed, "the initial weights, the shuffling, the latents and the noise");
  examples::add_threads_option(app, o.threads);
  app.add_option("--out", o.out, "output folder");
  app.add_option("--samples", o.samples, "generated samples (28x28) written to samples.idx3-ubyte (0 for none)")
      ->check(examples::integer_at_least(0));
  app.add_option("--resume", o.resume, "continue from a checkpoint (OUT/checkpoint.ganpp)");
}

std::atomic<bool> interrupted{false};
extern "C" void on_sigint(int) {
  interrupted = true;
  std::signal(SIGINT, SIG_DFL);
}

ganpp::StyleGanConfig config(const Options& o) { return stylegan::config(o.channels); }

class Run {
 public:
  explicit Run(const Options& o)
      : o_(o), g_(config(o), o.seed * 2 + 1), d_(ganpp::make_style_discriminator<float>(config(o)), Shape{1, kSide, kSide}),
        g_opt_(g_.parameters(), {o.lr, 0.0, 0.99, 1e-8}), d_opt_(d_.parameters(), {o.lr, 0.0, 0.99, 1e-8}), ema_(g_.parameters(), o.ema_decay),
        trainer_(g_, d_, g_opt_, d_opt_, trainer_options(o)), train_set_(ganpp::load_mnist(o.data, true)), loader_(train_set_, o.batch, o.seed) {
    d_.reset_parameters(ganpp::Init::torch_default, o.seed * 2 + 2);
    trainer_.set_ema(&ema_);
    ganpp::Rng rng(o.seed + 777);  // the pictures' latents: the same in every picture of a run
    grid_z_.resize(Shape{64, g_.config().z_dim});
    rng.fill_normal(grid_z_);
  }

  int run() {
    const std::int64_t per_epoch = loader_.batches_per_epoch();
    total_ = per_epoch * o_.epochs;
    if (o_.steps > 0) total_ = std::min<std::int64_t>(total_, o_.steps);
    if (!o_.resume.empty()) resume();
    open_csv();
    first_step_ = trainer_.steps();
    std::printf(
        "ganpp-stylegan: 32x32 StyleGAN2-lite (%ld channels, %lld style slots), %lld steps (%lld per epoch, batch %ld)%s, %d threads, seed %llu%s\n",
        o_.channels, static_cast<long long>(g_.num_ws()), static_cast<long long>(total_), static_cast<long long>(per_epoch), o_.batch,
        budget().c_str(), o_.threads, static_cast<unsigned long long>(o_.seed),
        first_step_ ? (", resuming at step " + std::to_string(first_step_)).c_str() : "");
    std::fflush(stdout);
    std::signal(SIGINT, on_sigint);
    Tensor<float> batch, padded;
    std::vector<int> labels;
    const double seconds_before = seconds_;
    const auto start = std::chrono::steady_clock::now();
    bool out_of_time = false;
    while (trainer_.steps() < total_ && !interrupted && !out_of_time) {
      if (!loader_.next(batch, labels)) {
        end_epoch();
        continue;
      }
      pad(batch, padded);
      const ganpp::StepStats s = trainer_.step(padded);
      seconds_ = seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      out_of_time = o_.minutes > 0 && seconds_ >= 60 * o_.minutes;
      std::fprintf(csv_, "%lld,%lld,%.6g,%.6g,%.6g,%.6g,%.3f\n", static_cast<long long>(s.step), epoch_ + 1, s.d_loss, s.g_loss, s.d_real, s.d_fake,
                   seconds_);
      const double rate = static_cast<double>(s.step - first_step_) / std::max(seconds_ - seconds_before, 1e-9);
      progress_.update(s.step == total_, "epoch %lld/%ld  step %lld/%lld  D %.3f  G %.3f  D(x) %.2f  D(G(z)) %.2f  %.0f img/s  ETA %s", epoch_ + 1,
                       o_.epochs, static_cast<long long>(s.step), static_cast<long long>(total_), s.d_loss, s.g_loss, s.d_real, s.d_fake,
                       rate * static_cast<double>(o_.batch), format_duration(static_cast<double>(total_ - s.step) / std::max(rate, 1e-9)).c_str());
    }
    progress_.break_line();
    if (interrupted) std::printf("interrupted at step %lld: saving the checkpoint and outputs\n", static_cast<long long>(trainer_.steps()));
    if (out_of_time) std::printf("time budget of %g minutes reached at step %lld\n", o_.minutes, static_cast<long long>(trainer_.steps()));
    finish();
    return interrupted ? 130 : 0;
  }

 private:
  static ganpp::StyleGanTrainerOptions trainer_options(const Options& o) {
    ganpp::StyleGanTrainerOptions t;
    t.seed = o.seed;
    t.r1_gamma = o.r1_gamma;
    return t;
  }
  std::string budget() const {
    char text[64] = "";
    if (o_.minutes > 0) std::snprintf(text, sizeof text, " or %g minutes", o_.minutes);
    return text;
  }
  std::string path(const std::string& name) const { return (fs::path(o_.out) / name).string(); }
  static std::string grid_name(long long epoch) {
    std::string n = std::to_string(epoch);
    return "grid-epoch-" + std::string(n.size() < 3 ? 3 - n.size() : 0, '0') + n + ".png";
  }

  // Images from styles with the averaged weights and the fixed noise, cropped to 28x28.
  void synthesize(const Tensor<float>& ws, Tensor<float>& out) {
    ema_.swap();
    g_.synthesis().set_noise_mode(ganpp::NoiseMode::fixed);
    crop(g_.synthesize(ws), out);
    ema_.swap();
  }
  // w = mapping(z) with the averaged weights.
  void map(const Tensor<float>& z, Tensor<float>& w) {
    ema_.swap();
    w.assign(g_.map(z));
    ema_.swap();
  }
  void write_images(const std::string& name, const Tensor<float>& images, Index columns) { ganpp::write_png_grid(path(name), images, columns); }

  void write_grid(const std::string& name) {
    Tensor<float> w, ws, images;
    map(grid_z_, w);
    ganpp::StyleGenerator<float>::broadcast(w, g_.num_ws(), ws);
    synthesize(ws, images);
    write_images(name, images, 8);
  }

  // mixing.png: row 0 holds the fine-style sources B alone (after a blank), column 0 the coarse-style sources A
  // alone; cell (i, j) takes slots [0, L/2) (4x4 and 8x8) from A_i and the rest (16x16, 32x32) from B_j.
  // truncation.png: 6 latents (rows) at psi 1.0, 0.8, ..., 0.0 (columns). interpolation.png: 4 strips of 10 images
  // from one w to another.
  void write_controls() {
    const Index L = g_.num_ws(), k = 6, d = g_.config().w_dim;
    Tensor<float> z(Shape{2 * k, g_.config().z_dim}), w, a(Shape{k, d}), b(Shape{k, d}), ws, images, cell;
    ganpp::Rng rng(o_.seed + 4242);
    rng.fill_normal(z);
    map(z, w);
    std::copy(w.data(), w.data() + k * d, a.data());
    std::copy(w.data() + k * d, w.data() + 2 * k * d, b.data());
    Tensor<float> mixing(Shape{(k + 1) * (k + 1), 1, 28, 28}, -1.0f);
    auto put = [&](Index slot, const Tensor<float>& img, Index i) {
      std::copy(img.data() + i * 784, img.data() + (i + 1) * 784, mixing.data() + slot * 784);
    };
    ganpp::StyleGenerator<float>::broadcast(b, L, ws);
    synthesize(ws, images);
    for (Index j = 0; j < k; ++j) put(1 + j, images, j);
    ganpp::StyleGenerator<float>::broadcast(a, L, ws);
    synthesize(ws, images);
    for (Index i = 0; i < k; ++i) put((1 + i) * (k + 1), images, i);
    for (Index i = 0; i < k; ++i) {
      Tensor<float> rows(Shape{k, d}), cols(Shape{k, d});
      for (Index j = 0; j < k; ++j) {
        std::copy(a.data() + i * d, a.data() + (i + 1) * d, rows.data() + j * d);
        std::copy(b.data() + j * d, b.data() + (j + 1) * d, cols.data() + j * d);
      }
      ganpp::StyleGenerator<float>::mix_styles(rows, cols, std::vector<Index>(static_cast<std::size_t>(k), L / 2), L, ws);
      synthesize(ws, images);
      for (Index j = 0; j < k; ++j) put((1 + i) * (k + 1) + 1 + j, images, j);
    }
    write_images("mixing.png", mixing, k + 1);

    const Index psis = 6;
    Tensor<float> sweep(Shape{k * psis, 1, 28, 28}), t;
    for (Index p = 0; p < psis; ++p) {
      ganpp::StyleGenerator<float>::truncate(a, g_.w_avg(), 1.0 - 0.2 * static_cast<double>(p), t);
      ganpp::StyleGenerator<float>::broadcast(t, L, ws);
      synthesize(ws, images);
      for (Index i = 0; i < k; ++i) std::copy(images.data() + i * 784, images.data() + (i + 1) * 784, sweep.data() + (i * psis + p) * 784);
    }
    write_images("truncation.png", sweep, psis);

    const Index steps = 10, strips = 4;
    Tensor<float> strip(Shape{strips * steps, 1, 28, 28}), line, wa(Shape{1, d}), wb(Shape{1, d});
    for (Index s = 0; s < strips; ++s) {
      std::copy(a.data() + s * d, a.data() + (s + 1) * d, wa.data());
      std::copy(b.data() + s * d, b.data() + (s + 1) * d, wb.data());
      ganpp::StyleGenerator<float>::interpolate(wa, wb, steps, line);
      ganpp::StyleGenerator<float>::broadcast(line, L, ws);
      synthesize(ws, images);
      std::copy(images.begin(), images.end(), strip.data() + s * steps * 784);
    }
    write_images("interpolation.png", strip, steps);
  }

  void write_samples() {
    if (o_.samples == 0) return;
    ganpp::Rng rng(o_.seed + 12345);
    std::vector<std::uint8_t> pixels;
    pixels.reserve(static_cast<std::size_t>(o_.samples) * 784);
    Tensor<float> z, w, t, ws, images;
    for (long i = 0; i < o_.samples; i += 100) {
      const Index n = std::min<long>(100, o_.samples - i);
      z.resize(Shape{n, g_.config().z_dim});
      rng.fill_normal(z);
      map(z, w);
      ganpp::StyleGenerator<float>::truncate(w, g_.w_avg(), o_.psi, t);
      ganpp::StyleGenerator<float>::broadcast(t, g_.num_ws(), ws);
      ema_.swap();  // the samples use random noise, as in training, from their own stream
      g_.synthesis().set_noise_mode(ganpp::NoiseMode::random);
      const std::string noise_state = g_.synthesis().noise_rng().state();
      g_.synthesis().noise_rng().set_state(rng.state());
      crop(g_.synthesize(ws), images);
      rng.next_u64();  // the next chunk's noise differs
      g_.synthesis().noise_rng().set_state(noise_state);
      ema_.swap();
      examples::to_pixels(images, pixels);
    }
    ganpp::write_idx(path("samples.idx3-ubyte"), {o_.samples, 28, 28}, pixels.data());
  }

  void end_epoch() {
    ++epoch_;
    write_grid(grid_name(epoch_));
    save_checkpoint();
    write_report();
  }

  void save_checkpoint() {
    ganpp::Checkpoint c;
    c.put_text("run.model", "stylegan-" + std::to_string(o_.channels));
    c.put_text("run.batch", std::to_string(o_.batch));
    c.put_text("run.seed", std::to_string(o_.seed));
    c.put_text("run.epoch", std::to_string(epoch_));
    c.put_text("run.seconds", std::to_string(seconds_));
    c.put_text("loader", loader_.state());
    state_.save(c);
    if (csv_) std::fflush(csv_);
    c.save(path("checkpoint.ganpp"));
  }

  void resume() {
    ganpp::Checkpoint c = ganpp::Checkpoint::load(o_.resume);
    auto expect = [&](const char* key, const std::string& want) {
      if (c.text(key) != want)
        throw ganpp::argument_error(o_.resume + " was trained with " + std::string(key).substr(4) + " " + c.text(key) + ", this run asks for " +
                                    want);
    };
    expect("run.model", "stylegan-" + std::to_string(o_.channels));
    expect("run.batch", std::to_string(o_.batch));
    expect("run.seed", std::to_string(o_.seed));
    state_.load(c);
    loader_.set_state(c.text("loader"));
    epoch_ = std::stoll(c.text("run.epoch"));
    seconds_ = std::stod(c.text("run.seconds"));
  }

  void open_csv() {
    csv_ = examples::open_csv(path("losses.csv"), "step,epoch,d_loss,g_loss,d_real,d_fake,seconds",
                              o_.resume.empty() ? -1 : static_cast<long long>(trainer_.steps()));
  }

  void write_report() {
    std::fflush(csv_);
    const std::vector<examples::LossRow> rows = examples::read_loss_csv(path("losses.csv"));
    std::vector<std::pair<std::string, std::vector<std::uint8_t>>> grids;
    auto add = [&](const std::string& file, const std::string& caption) {
      std::ifstream png(path(file), std::ios::binary);
      if (png) grids.emplace_back(caption, std::vector<std::uint8_t>(std::istreambuf_iterator<char>(png), {}));
    };
    for (long long e = 1; e <= epoch_; ++e) add(grid_name(e), "epoch " + std::to_string(e));
    add("grid-final.png", "final (step " + std::to_string(trainer_.steps()) + ")");
    add("mixing.png",
        "style mixing: row 0 the fine-style sources, column 0 the coarse-style sources; each cell takes 4x4-8x8 from its row, 16x16-32x32 from its "
        "column");
    add("truncation.png", "truncation sweep: psi 1.0, 0.8, 0.6, 0.4, 0.2, 0.0 (columns) towards w_avg");
    add("interpolation.png", "interpolation in w, 10 steps per row");
    std::ostringstream summary;
    summary << "StyleGAN2-lite, " << o_.channels << " channels, batch " << o_.batch << ", seed " << o_.seed << ", " << trainer_.steps() << " steps, "
            << format_duration(seconds_) << " of training. Pictures from the EMA generator with fixed noise.";
    examples::write_report(path("report.html"), "ganpp-stylegan", summary.str(), grids, rows);
  }

  void finish() {
    write_grid("grid-final.png");
    write_controls();
    save_checkpoint();
    write_samples();
    write_report();
    std::fclose(csv_);
    csv_ = nullptr;
    std::printf(
        "done: %lld steps, %s of training. Outputs in %s: grid-final.png, mixing.png, truncation.png, interpolation.png, %ssamples.idx3-ubyte, "
        "losses.csv, checkpoint.ganpp, report.html\n",
        static_cast<long long>(trainer_.steps()), format_duration(seconds_).c_str(), o_.out.c_str(), epoch_ ? "grid-epoch-*.png, " : "");
  }

  Options o_;
  ganpp::StyleGenerator<float> g_;
  ganpp::Discriminator<float> d_;
  ganpp::Adam<float> g_opt_, d_opt_;
  ganpp::ExponentialMovingAverage<float> ema_;
  ganpp::StyleGanTrainer<float> trainer_;
  ganpp::StyleGanState<float> state_{g_, d_, g_opt_, d_opt_, trainer_, &ema_};
  ganpp::ImageDataset train_set_;
  ganpp::BatchLoader<float> loader_;
  Tensor<float> grid_z_;
  long long epoch_ = 0;
  double seconds_ = 0;
  std::int64_t total_ = 0, first_step_ = 0;
  examples::ProgressLine progress_;
  std::FILE* csv_ = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  examples::App app("ganpp-stylegan",
                    "Trains a StyleGAN2-style model on MNIST padded to 32x32 and writes, under --out: grid-epoch-NNN.png and\n"
                    "grid-final.png (a fixed latent batch), mixing.png, truncation.png, interpolation.png, samples.idx3-ubyte\n"
                    "(28x28, cropped), losses.csv, checkpoint.ganpp, report.html.");
  add_options(app, o);
  return examples::run_cli(app, argc, argv, [&] {
    ganpp::set_num_threads(o.threads);
    examples::make_output_folder(o.out);
    Run run(o);
    return run.run();
  });
}
