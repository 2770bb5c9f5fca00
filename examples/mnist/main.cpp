// SPDX-License-Identifier: MIT
// ganpp-mnist: trains a GAN on MNIST and writes sample grids, generated samples, losses, checkpoints and a report.
#include <ganpp/checkpoint.hpp>
#include <ganpp/data/dataset.hpp>
#include <ganpp/data/idx.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/io/png.hpp>
#include <ganpp/training_state.hpp>

#include "mnist_models.hpp"
#include "common/report.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using ganpp::Index;
using ganpp::Tensor;

namespace {

constexpr long kDefaultEpochs = 2;

struct Options {
  std::string data = "data/mnist";
  std::string model = "dcgan";
  long epochs = kDefaultEpochs;
  long steps = -1;  // no cap
  long batch = 64;
  std::uint64_t seed = 0;
  int threads = std::max(1u, std::thread::hardware_concurrency());
  std::string out;
  long samples = 10000;
  std::string resume;
  int digit = -1;
  bool rollback = false;  // --on-divergence rollback
};

const char* kUsage =
    "usage: ganpp-mnist [options]\n"
    "Trains a GAN on MNIST and writes, under --out: grid-epoch-NNN.png and grid-final.png (samples from a fixed\n"
    "latent batch), samples.idx3-ubyte (and labels.idx1-ubyte for cgan), losses.csv, checkpoint.ganpp, report.html.\n"
    "\n"
    "  --data DIR        folder with the four MNIST IDX files (default data/mnist; get them with\n"
    "                    cmake -DMNIST_DIR=data/mnist -P cmake/FetchMNIST.cmake)\n"
    "  --model M         mlp | dcgan | cgan (default dcgan)\n"
    "  --epochs E        epochs to train, counted from the start of training (default 2)\n"
    "  --steps N         stop after N training steps in all, counted from the start (a resumed run continues the count)\n"
    "  --batch B         batch size (default 64)\n"
    "  --seed S          seed for initial weights, shuffling and latents (default 0)\n"
    "  --threads T       threads (default: the machine's cores)\n"
    "  --out DIR         output folder (default out/mnist-MODEL)\n"
    "  --samples N       generated samples written to samples.idx3-ubyte (default 10000; 0 for none)\n"
    "  --resume FILE     continue from a checkpoint (OUT/checkpoint.ganpp)\n"
    "  --digit K         cgan only: generate samples of digit K alone\n"
    "  --on-divergence A stop (default): a non-finite loss, gradient or parameter ends the run with an error, the\n"
    "                    last checkpoint intact; rollback: restore the last good state (the last checkpoint, or\n"
    "                    the state of at most 100 steps ago), skip the batch and go on (3 rollbacks in a row stop)\n"
    "  --help            this text\n";

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "ganpp-mnist: %s (see --help)\n", msg.c_str());
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

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (a.rfind("--", 0) != 0) usage_error("unexpected argument '" + a + "'");
    if (i + 1 >= argc) usage_error(a + " needs a value");
    const std::string v = argv[++i];
    if (a == "--data") o.data = v;
    else if (a == "--model") {
      if (v != "mlp" && v != "dcgan" && v != "cgan") usage_error("--model must be mlp, dcgan or cgan, got '" + v + "'");
      o.model = v;
    } else if (a == "--epochs") o.epochs = parse_long(a, v, 1);
    else if (a == "--steps") o.steps = parse_long(a, v, 1);
    else if (a == "--batch") o.batch = parse_long(a, v, 2);
    else if (a == "--seed") o.seed = static_cast<std::uint64_t>(parse_long(a, v, 0));
    else if (a == "--threads") o.threads = static_cast<int>(parse_long(a, v, 1));
    else if (a == "--out") o.out = v;
    else if (a == "--samples") o.samples = parse_long(a, v, 0);
    else if (a == "--resume") o.resume = v;
    else if (a == "--digit") o.digit = static_cast<int>(parse_long(a, v, 0));
    else if (a == "--on-divergence") {
      if (v != "stop" && v != "rollback") usage_error("--on-divergence must be stop or rollback, got '" + v + "'");
      o.rollback = v == "rollback";
    }
    else usage_error("unknown option '" + a + "'");
  }
  if (o.digit > 9) usage_error("--digit must be 0 to 9, got " + std::to_string(o.digit));
  if (o.digit >= 0 && o.model != "cgan") usage_error("--digit needs --model cgan");
  if (o.out.empty()) o.out = "out/mnist-" + o.model;
  return o;
}

std::atomic<bool> interrupted{false};
extern "C" void on_sigint(int) {
  interrupted = true;
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the program at once
}

std::string format_duration(double s) {
  char buf[32];
  const long t = static_cast<long>(s + 0.5);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, t / 60 % 60);
  else std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  return buf;
}

/// Generated images (N, 784) or (N, 1, 28, 28) as uint8 28x28 pixels, [-1, 1] -> [0, 255].
void to_pixels(const Tensor<float>& images, std::vector<std::uint8_t>& out) {
  for (float v : images) {
    const float p = std::nearbyint((v + 1.0f) * 127.5f);
    out.push_back(static_cast<std::uint8_t>(std::isnan(p) ? 0.0f : std::min(255.0f, std::max(0.0f, p))));
  }
}

class Run {
 public:
  explicit Run(const Options& o)
      : o_(o),
        conditional_(o.model == "cgan"),
        g_(o.model == "mlp" ? mnist::mlp_generator<float>() : mnist::dcgan_generator<float>(conditional_)),
        d_(o.model == "mlp" ? mnist::mlp_discriminator<float>() : mnist::dcgan_discriminator<float>(conditional_)),
        g_opt_(g_.parameters(), {2e-4, 0.5, 0.999}),
        d_opt_(d_.parameters(), {2e-4, 0.5, 0.999}),
        trainer_(g_, d_, g_opt_, d_opt_, trainer_options(o)),
        train_set_(ganpp::load_mnist(o.data, true)),
        loader_(train_set_, o.batch, o.seed, o.model == "mlp") {
    g_.reset_parameters(ganpp::Init::torch_default, o.seed * 2 + 1);
    d_.reset_parameters(ganpp::Init::torch_default, o.seed * 2 + 2);
    // The grid's latent batch: fixed by the seed, so every picture of a run shows the same 64 (or 100) latents.
    const Index n = conditional_ ? 100 : 64;
    ganpp::Rng rng(o.seed + 777);
    g_.sample_latent(n, rng, grid_latent_);
    for (Index i = 0; i < n; ++i) grid_labels_.push_back(static_cast<int>(i / 10));  // one row per digit
  }

  int run() {
    const std::int64_t per_epoch = loader_.batches_per_epoch();
    std::int64_t total = per_epoch * o_.epochs;
    if (o_.steps > 0) total = std::min<std::int64_t>(total, o_.steps);
    if (!o_.resume.empty()) resume();
    if (o_.rollback) {
      guard_.emplace(state_, 3, 100);
      guard_->commit();
    }
    // Test hook: GANPP_MNIST_POISON_STEP=N turns the real batch of step N into NaNs, to exercise --on-divergence.
    const char* poison_env = std::getenv("GANPP_MNIST_POISON_STEP");
    const std::int64_t poison_step = poison_env ? std::atoll(poison_env) : -1;
    bool poisoned = false;
    open_csv();
    const auto wall_start = std::chrono::steady_clock::now();
    const double seconds_before = seconds_;
    const bool tty = isatty(fileno(stdout));
    auto last_print = wall_start;
    const std::int64_t first_step = trainer_.steps();
    std::printf("ganpp-mnist: model %s, %lld steps (%lld per epoch, batch %ld), %d threads, seed %llu%s\n", o_.model.c_str(),
                static_cast<long long>(total), static_cast<long long>(per_epoch), o_.batch, o_.threads,
                static_cast<unsigned long long>(o_.seed), first_step ? (", resuming at step " + std::to_string(first_step)).c_str() : "");
    std::fflush(stdout);
    std::signal(SIGINT, on_sigint);

    Tensor<float> batch;
    std::vector<int> labels;
    while (trainer_.steps() < total && !interrupted) {
      if (!loader_.next(batch, labels)) {
        end_epoch();
        continue;
      }
      if (!poisoned && trainer_.steps() + 1 == poison_step) {
        batch.fill(std::numeric_limits<float>::quiet_NaN());
        poisoned = true;
      }
      ganpp::StepStats s;
      if (guard_) {
        const std::optional<ganpp::StepStats> r = guard_->step(batch, conditional_ ? &labels : nullptr);
        if (!r) {
          std::printf("%sdivergence: %s; rolled back to step %lld, skipping the batch\n", tty ? "\n" : "", guard_->last_error().c_str(),
                      static_cast<long long>(trainer_.steps()));
          std::fflush(stdout);
          continue;
        }
        s = *r;
      } else {
        s = trainer_.step(batch, conditional_ ? &labels : nullptr);
      }
      const auto now = std::chrono::steady_clock::now();
      const double run_seconds = std::chrono::duration<double>(now - wall_start).count();
      seconds_ = seconds_before + run_seconds;
      std::fprintf(csv_, "%lld,%lld,%.6g,%.6g,%.6g,%.6g,%.3f\n", static_cast<long long>(s.step), static_cast<long long>(epoch_ + 1), s.d_loss,
                   s.g_loss, s.d_real, s.d_fake, seconds_);
      const double since_print = std::chrono::duration<double>(now - last_print).count();
      if (tty || since_print >= 5.0 || s.step == total) {
        last_print = now;
        const double steps_done = static_cast<double>(s.step - first_step);
        const double rate = steps_done / std::max(run_seconds, 1e-9);
        const double eta = static_cast<double>(total - s.step) / std::max(rate, 1e-9);
        std::printf("%sepoch %lld/%ld  step %lld/%lld  D %.3f  G %.3f  D(x) %.2f  D(G(z)) %.2f  %.0f img/s  ETA %s%s",
                    tty ? "\r" : "", static_cast<long long>(epoch_ + 1), o_.epochs, static_cast<long long>(s.step), static_cast<long long>(total),
                    s.d_loss, s.g_loss, s.d_real, s.d_fake, rate * static_cast<double>(o_.batch), format_duration(eta).c_str(),
                    tty ? "\033[K" : "\n");
        std::fflush(stdout);
      }
    }
    if (tty) std::printf("\n");
    if (interrupted) std::printf("interrupted at step %lld: saving the checkpoint and outputs\n", static_cast<long long>(trainer_.steps()));
    if (trainer_.steps() == per_epoch * (epoch_ + 1) && !loader_.next(batch, labels)) end_epoch();  // the last epoch ended exactly here
    finish();
    return interrupted ? 130 : 0;
  }

 private:
  static ganpp::TrainerOptions trainer_options(const Options& o) {
    ganpp::TrainerOptions t;
    t.seed = o.seed;
    return t;
  }

  std::string path(const std::string& name) const { return (fs::path(o_.out) / name).string(); }
  static std::string grid_name(long long epoch) {
    std::string n = std::to_string(epoch);
    return "grid-epoch-" + std::string(n.size() < 3 ? 3 - n.size() : 0, '0') + n + ".png";
  }

  void end_epoch() {
    ++epoch_;
    write_grid(grid_name(epoch_));
    save_checkpoint();
    write_report();
  }

  void write_grid(const std::string& name) {
    g_.eval();
    const Tensor<float>& x = g_.forward(grid_latent_, conditional_ ? &grid_labels_ : nullptr);
    Tensor<float> images;
    images.assign(x);
    images.reshape(ganpp::Shape{x.batch(), 1, 28, 28});
    g_.train();
    ganpp::write_png_grid(path(name), images, conditional_ ? 10 : 8);
  }

  void write_samples() {
    if (o_.samples == 0) return;
    ganpp::Rng rng(o_.seed + 12345);
    std::vector<std::uint8_t> pixels;
    std::vector<std::uint8_t> sample_labels;
    pixels.reserve(static_cast<std::size_t>(o_.samples) * 784);
    Tensor<float> z;
    std::vector<int> labels;
    g_.eval();
    // Chunks no larger than the grid's batch, so generating does not grow the layers' buffers (their memory
    // scales with the batch: 500 at a time took a dcgan run's peak RSS to 535 MB, 100 at a time keeps it at 275 MB).
    const long chunk = 100;
    for (long i = 0; i < o_.samples; i += chunk) {
      const Index n = std::min<long>(chunk, o_.samples - i);
      g_.sample_latent(n, rng, z);
      labels.clear();
      for (Index k = 0; k < n; ++k) labels.push_back(o_.digit >= 0 ? o_.digit : static_cast<int>((i + k) % 10));
      to_pixels(g_.forward(z, conditional_ ? &labels : nullptr), pixels);
      for (int y : labels) sample_labels.push_back(static_cast<std::uint8_t>(y));
    }
    g_.train();
    ganpp::write_idx(path("samples.idx3-ubyte"), {o_.samples, 28, 28}, pixels.data());
    if (conditional_) ganpp::write_idx(path("labels.idx1-ubyte"), {o_.samples}, sample_labels.data());
  }

  void save_checkpoint() {
    ganpp::Checkpoint c;
    c.put_text("run.model", o_.model);
    c.put_text("run.batch", std::to_string(o_.batch));
    c.put_text("run.seed", std::to_string(o_.seed));
    c.put_text("run.step", std::to_string(trainer_.steps()));
    c.put_text("run.epoch", std::to_string(epoch_));
    c.put_text("run.seconds", std::to_string(seconds_));
    c.put_text("trainer.rng", trainer_.rng().state());
    c.put_text("loader", loader_.state());
    ganpp::save_model(c, "generator", g_);
    ganpp::save_model(c, "discriminator", d_);
    ganpp::save_optimizer(c, "generator_optimizer", g_opt_);
    ganpp::save_optimizer(c, "discriminator_optimizer", d_opt_);
    if (csv_) std::fflush(csv_);
    c.save(path("checkpoint.ganpp"));
    if (guard_) guard_->commit();
  }

  void resume() {
    const ganpp::Checkpoint c = ganpp::Checkpoint::load(o_.resume);
    auto expect = [&](const char* key, const std::string& want) {
      if (c.text(key) != want)
        throw ganpp::argument_error(o_.resume + " was trained with " + std::string(key).substr(4) + " " + c.text(key) + ", this run asks for " + want);
    };
    expect("run.model", o_.model);
    expect("run.batch", std::to_string(o_.batch));
    expect("run.seed", std::to_string(o_.seed));
    ganpp::load_model(c, "generator", g_);
    ganpp::load_model(c, "discriminator", d_);
    ganpp::load_optimizer(c, "generator_optimizer", g_opt_);
    ganpp::load_optimizer(c, "discriminator_optimizer", d_opt_);
    trainer_.set_steps(std::stoll(c.text("run.step")));
    trainer_.rng().set_state(c.text("trainer.rng"));
    loader_.set_state(c.text("loader"));
    epoch_ = std::stoll(c.text("run.epoch"));
    seconds_ = std::stod(c.text("run.seconds"));
  }

  /// losses.csv: fresh for a new run; for a resumed run, the rows up to the checkpoint's step are kept.
  void open_csv() {
    const std::string p = path("losses.csv");
    std::vector<std::string> keep;
    if (!o_.resume.empty()) {
      std::ifstream in(p);
      std::string line;
      std::getline(in, line);  // header
      while (std::getline(in, line))
        if (std::atoll(line.c_str()) <= trainer_.steps()) keep.push_back(line);
    }
    csv_ = std::fopen(p.c_str(), "w");
    if (!csv_) throw ganpp::io_error("cannot write " + p);
    std::fprintf(csv_, "step,epoch,d_loss,g_loss,d_real,d_fake,seconds\n");
    for (const auto& l : keep) std::fprintf(csv_, "%s\n", l.c_str());
  }

  void write_report() {
    std::fflush(csv_);
    std::vector<examples::LossRow> rows;
    std::ifstream in(path("losses.csv"));
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      examples::LossRow r;
      if (std::sscanf(line.c_str(), "%ld,%ld,%lf,%lf,%lf,%lf,%lf", &r.step, &r.epoch, &r.d_loss, &r.g_loss, &r.d_real, &r.d_fake, &r.seconds) == 7)
        rows.push_back(r);
    }
    std::vector<std::pair<std::string, std::vector<std::uint8_t>>> grids;
    auto add = [&](const std::string& file, const std::string& caption) {
      std::ifstream png(path(file), std::ios::binary);
      if (png) grids.emplace_back(caption, std::vector<std::uint8_t>(std::istreambuf_iterator<char>(png), {}));
    };
    for (long long e = 1; e <= epoch_; ++e) add(grid_name(e), "epoch " + std::to_string(e));
    add("grid-final.png", "final (step " + std::to_string(trainer_.steps()) + ")");
    std::ostringstream summary;
    summary << "Model <b>" << o_.model << "</b>, batch " << o_.batch << ", seed " << o_.seed << ", " << trainer_.steps() << " steps, "
            << format_duration(seconds_) << " of training.";
    examples::write_report(path("report.html"), "ganpp-mnist: " + o_.model, summary.str(), grids, rows);
  }

  void finish() {
    write_grid("grid-final.png");
    save_checkpoint();
    write_samples();
    write_report();
    std::fclose(csv_);
    csv_ = nullptr;
    std::printf("done: %lld steps, %s of training. Outputs in %s: grid-final.png, %ssamples.idx3-ubyte, losses.csv, checkpoint.ganpp, report.html\n",
                static_cast<long long>(trainer_.steps()), format_duration(seconds_).c_str(), o_.out.c_str(),
                epoch_ ? "grid-epoch-*.png, " : "");
  }

  Options o_;
  bool conditional_;
  ganpp::Generator<float> g_;
  ganpp::Discriminator<float> d_;
  ganpp::Adam<float> g_opt_, d_opt_;
  ganpp::GanTrainer<float> trainer_;
  ganpp::TrainingState<float> state_{g_, d_, g_opt_, d_opt_, trainer_};
  std::optional<ganpp::DivergenceGuard<float>> guard_;
  ganpp::ImageDataset train_set_;
  ganpp::BatchLoader<float> loader_;
  Tensor<float> grid_latent_;
  std::vector<int> grid_labels_;
  long long epoch_ = 0;
  double seconds_ = 0;
  std::FILE* csv_ = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  try {
    ganpp::set_num_threads(o.threads);
    std::error_code ec;
    fs::create_directories(o.out, ec);
    const std::string probe = (fs::path(o.out) / ".write-test").string();
    if (std::FILE* f = std::fopen(probe.c_str(), "w")) {
      std::fclose(f);
      std::remove(probe.c_str());
    } else {
      std::fprintf(stderr, "ganpp-mnist: cannot write to output folder %s%s\n", o.out.c_str(), ec ? (": " + ec.message()).c_str() : "");
      return 1;
    }
    Run run(o);
    return run.run();
  } catch (const ganpp::divergence_error& e) {
    std::fprintf(stderr, "ganpp-mnist: %s; the last checkpoint in %s is intact (resume it, or retry with --on-divergence rollback)\n",
                 e.what(), o.out.c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ganpp-mnist: %s\n", e.what());
    return 1;
  }
}
