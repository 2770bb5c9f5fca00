// SPDX-License-Identifier: MIT
// ganpp-mnist: trains a GAN on MNIST and writes sample grids, generated samples, losses, checkpoints and a report.
#include <ganpp/checkpoint.hpp>
#include <ganpp/data/dataset.hpp>
#include <ganpp/data/idx.hpp>
#include <ganpp/data/mnist.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/io/png.hpp>
#include <ganpp/model_io.hpp>
#include <ganpp/training_state.hpp>

#ifdef GANPP_MNIST_MPI
#include <ganpp/distributed.hpp>
#endif

#include "common/cli.hpp"
#include "common/output.hpp"
#include "common/pixels.hpp"
#include "common/progress.hpp"
#include "common/report.hpp"
#include "mnist_models.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
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
  std::string data, model = "dcgan", out, resume, on_divergence = "stop";
  long epochs = 2, steps = -1, batch = 64, samples = 10000;
  std::uint64_t seed = 0;
  int threads = 1, digit = -1;
  std::string batch_norm = "sync";  // under mpirun
};

void add_options(CLI::App& app, Options& o) {
  examples::add_data_option(app, o.data);
  app.add_option("--model", o.model, "mlp | dcgan | cgan")->check(CLI::IsMember({"mlp", "dcgan", "cgan"}));
  app.add_option("--epochs", o.epochs, "epochs to train, counted from the start of training")->check(examples::integer_at_least(1));
  app.add_option("--steps", o.steps, "stop after N training steps in all, counted from the start (a resumed run continues the count)")
      ->check(examples::integer_at_least(1))->default_str("");
  app.add_option("--batch", o.batch, "batch size")->check(examples::integer_at_least(2));
  examples::add_seed_option(app, o.seed, "the initial weights, the shuffling and the latents");
  examples::add_threads_option(app, o.threads);
  app.add_option("--out", o.out, "output folder (default out/mnist-MODEL)");
  app.add_option("--samples", o.samples, "generated samples written to samples.idx3-ubyte (0 for none)")->check(examples::integer_at_least(0));
  app.add_option("--resume", o.resume, "continue from a checkpoint (OUT/checkpoint.ganpp)");
  app.add_option("--digit", o.digit, "cgan only: generate samples of digit K alone")->check(examples::integer_at_least(0, 9))->default_str("");
  app.add_option("--on-divergence", o.on_divergence,
                 "stop: a non-finite loss, gradient or parameter ends the run with an error, the last checkpoint intact; rollback: restore "
                 "the last good state (the last checkpoint, or the state of at most 100 steps ago), skip the batch and go on (3 rollbacks "
                 "in a row stop)")
      ->check(CLI::IsMember({"stop", "rollback"}));
#ifdef GANPP_MNIST_MPI
  app.add_option("--batch-norm", o.batch_norm,
                 "under mpirun -np N (--batch is the global batch, split over the N ranks): sync normalises with the global batch's "
                 "statistics (SyncBatchNorm: what one process computes), local with each rank's shard's (PyTorch DDP's default)")
      ->check(CLI::IsMember({"sync", "local"}));
#endif
}

std::atomic<bool> interrupted{false};
extern "C" void on_sigint(int) {
  interrupted = true;
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the program at once
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
#ifdef GANPP_MNIST_MPI
    // Under mpirun: every rank builds the same run; DataParallel broadcasts rank 0's weights, each rank trains on its
    // slice of every global batch, and only rank 0 prints and writes.
    const ganpp::Communicator comm = ganpp::Communicator::world();
    ranks_ = comm.size();
    root_ = comm.is_root();
    if (ranks_ > 1) {
      if (o.batch % ranks_ != 0 || o.batch / ranks_ < 2)
        throw examples::UsageError("--batch " + std::to_string(o.batch) + " (the global batch) must split into " + std::to_string(ranks_) +
                                   " equal shards of at least 2");
      if (o.on_divergence == "rollback") throw examples::UsageError("--on-divergence rollback runs in one process only, not under mpirun");
      dp_.emplace(comm, state_, o.batch_norm == "sync" ? ganpp::BatchNormSync::synchronized : ganpp::BatchNormSync::local);
    }
#endif
  }

  int run() {
    const std::int64_t per_epoch = loader_.batches_per_epoch();
    total_ = per_epoch * o_.epochs;
    if (o_.steps > 0) total_ = std::min<std::int64_t>(total_, o_.steps);
    if (!o_.resume.empty()) resume();
    if (o_.on_divergence == "rollback") {
      guard_.emplace(state_, 3, 100);
      guard_->commit();
    }
    if (root_) open_csv();
    first_step_ = trainer_.steps();
    const std::string ranks = ranks_ > 1 ? std::to_string(ranks_) + " ranks (" + o_.batch_norm + " BatchNorm) x " : std::string();
    if (root_)
      std::printf("ganpp-mnist: model %s, %lld steps (%lld per epoch, batch %ld), %s%d threads, seed %llu%s\n", o_.model.c_str(),
                  static_cast<long long>(total_), static_cast<long long>(per_epoch), o_.batch, ranks.c_str(), o_.threads,
                  static_cast<unsigned long long>(o_.seed), first_step_ ? (", resuming at step " + std::to_string(first_step_)).c_str() : "");
    std::fflush(stdout);
    // Under mpirun, Ctrl-C ends every rank at once (the ranks could not agree on where to stop); the last checkpoint stays.
    if (ranks_ == 1) std::signal(SIGINT, on_sigint);

    Tensor<float> batch;
    std::vector<int> labels;
    const double seconds_before = seconds_;
    wall_start_ = std::chrono::steady_clock::now();
    while (trainer_.steps() < total_ && !interrupted) {
      if (!loader_.next(batch, labels)) {
        end_epoch();
        continue;
      }
      const std::optional<ganpp::StepStats> s = step(batch, labels);
      if (!s) continue;
      seconds_ = seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
      if (!root_) continue;
      std::fprintf(csv_, "%lld,%lld,%.6g,%.6g,%.6g,%.6g,%.3f\n", static_cast<long long>(s->step), static_cast<long long>(epoch_ + 1), s->d_loss,
                   s->g_loss, s->d_real, s->d_fake, seconds_);
      show_progress(*s, seconds_ - seconds_before);
    }
    if (root_) progress_.break_line();
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

  /// One training step; with --on-divergence rollback, a diverged step is rolled back and gives no stats.
  std::optional<ganpp::StepStats> step(const Tensor<float>& batch, const std::vector<int>& labels) {
    const std::vector<int>* y = conditional_ ? &labels : nullptr;
#ifdef GANPP_MNIST_MPI
    if (dp_) return dp_->step(batch, y);
#endif
    if (!guard_) return trainer_.step(batch, y);
    std::optional<ganpp::StepStats> s = guard_->step(batch, y);
    if (!s) {
      progress_.break_line();
      std::printf("divergence: %s; rolled back to step %lld, skipping the batch\n", guard_->last_error().c_str(),
                  static_cast<long long>(trainer_.steps()));
      std::fflush(stdout);
    }
    return s;
  }

  void show_progress(const ganpp::StepStats& s, double run_seconds) {
    const double rate = static_cast<double>(s.step - first_step_) / std::max(run_seconds, 1e-9);
    const double eta = static_cast<double>(total_ - s.step) / std::max(rate, 1e-9);
    progress_.update(s.step == total_, "epoch %lld/%ld  step %lld/%lld  D %.3f  G %.3f  D(x) %.2f  D(G(z)) %.2f  %.0f img/s  ETA %s",
                     static_cast<long long>(epoch_ + 1), o_.epochs, static_cast<long long>(s.step), static_cast<long long>(total_), s.d_loss,
                     s.g_loss, s.d_real, s.d_fake, rate * static_cast<double>(o_.batch), format_duration(eta).c_str());
  }

  std::string path(const std::string& name) const { return (fs::path(o_.out) / name).string(); }
  static std::string grid_name(long long epoch) {
    std::string n = std::to_string(epoch);
    return "grid-epoch-" + std::string(n.size() < 3 ? 3 - n.size() : 0, '0') + n + ".png";
  }

  void end_epoch() {
    ++epoch_;
    if (!root_) return;
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
      examples::to_pixels(g_.forward(z, conditional_ ? &labels : nullptr), pixels);
      for (int y : labels) sample_labels.push_back(static_cast<std::uint8_t>(y));
    }
    g_.train();
    ganpp::write_idx(path("samples.idx3-ubyte"), {o_.samples, 28, 28}, pixels.data());
    if (conditional_) ganpp::write_idx(path("labels.idx1-ubyte"), {o_.samples}, sample_labels.data());
  }

  /// checkpoint.ganpp: the TrainingState (models, optimizers, trainer step and latent generator), the loader's
  /// position, and the run's settings, epoch and time.
  void save_checkpoint() {
    ganpp::Checkpoint c;
    c.put_text("run.model", o_.model);
    c.put_text("run.batch", std::to_string(o_.batch));
    c.put_text("run.seed", std::to_string(o_.seed));
    c.put_text("run.epoch", std::to_string(epoch_));
    c.put_text("run.seconds", std::to_string(seconds_));
    c.put_text("loader", loader_.state());
    state_.save(c);
    if (csv_) std::fflush(csv_);
    c.save(path("checkpoint.ganpp"));
    if (guard_) guard_->commit();
  }

  void resume() {
    ganpp::Checkpoint c = ganpp::Checkpoint::load(o_.resume);
    if (!c.has("trainer.step") && c.has("run.step")) c.put_text("trainer.step", c.text("run.step"));  // written before TrainingState
    auto expect = [&](const char* key, const std::string& want) {
      if (c.text(key) != want)
        throw ganpp::argument_error(o_.resume + " was trained with " + std::string(key).substr(4) + " " + c.text(key) + ", this run asks for " + want);
    };
    expect("run.model", o_.model);
    expect("run.batch", std::to_string(o_.batch));
    expect("run.seed", std::to_string(o_.seed));
    state_.load(c);
    loader_.set_state(c.text("loader"));
    epoch_ = std::stoll(c.text("run.epoch"));
    seconds_ = std::stod(c.text("run.seconds"));
  }

  /// losses.csv: fresh for a new run; for a resumed run, the rows up to the checkpoint's step are kept.
  void open_csv() { csv_ = examples::open_loss_csv(path("losses.csv"), !o_.resume.empty(), trainer_.steps()); }


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
    std::ostringstream summary;
    summary << "Model <b>" << o_.model << "</b>, batch " << o_.batch << ", seed " << o_.seed << ", " << trainer_.steps() << " steps, "
            << format_duration(seconds_) << " of training.";
    examples::write_report(path("report.html"), "ganpp-mnist: " + o_.model, summary.str(), grids, rows);
  }

  void finish() {
    if (!root_) return;
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
  std::int64_t total_ = 0, first_step_ = 0;
  std::chrono::steady_clock::time_point wall_start_;
  examples::ProgressLine progress_;
  std::FILE* csv_ = nullptr;
  int ranks_ = 1;
  bool root_ = true;  // prints and writes the outputs
#ifdef GANPP_MNIST_MPI
  std::optional<ganpp::DataParallel<float>> dp_;  // declared last: it refers to the members above
#endif
};

}  // namespace

int main(int argc, char** argv) {
#ifdef GANPP_MNIST_MPI
  ganpp::MpiSession mpi(argc, argv);  // also without mpirun: then a job of one rank
  const ganpp::Communicator comm = ganpp::Communicator::world();
#endif
  Options o;
  examples::App app("ganpp-mnist",
                    "Trains a GAN on MNIST and writes, under --out: grid-epoch-NNN.png and grid-final.png (samples from a fixed latent\n"
                    "batch), samples.idx3-ubyte (and labels.idx1-ubyte for cgan), losses.csv, checkpoint.ganpp, report.html.");
  add_options(app, o);
  return examples::run_cli(app, argc, argv, [&] {
    if (o.digit >= 0 && o.model != "cgan") throw examples::UsageError("--digit needs --model cgan");
    if (o.out.empty()) o.out = "out/mnist-" + o.model;
    ganpp::set_num_threads(o.threads);
    examples::make_output_folder(o.out);
    auto train = [&] {
      try {
        Run run(o);
        return run.run();
      } catch (const ganpp::divergence_error& e) {
        throw ganpp::divergence_error(std::string(e.what()) + "; the last checkpoint in " + o.out +
                                      " is intact (resume it, or retry with --on-divergence rollback)");
      }
    };
#ifdef GANPP_MNIST_MPI
    // A failure on any rank ends the whole job (MPI_Abort, naming the rank) instead of leaving the others waiting.
    if (comm.size() > 1) return ganpp::run_or_abort(comm, train);
#endif
    return train();
  });
}
