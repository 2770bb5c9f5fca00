// SPDX-License-Identifier: MIT
// ganpp-mnist: trains a GAN on MNIST and writes sample grids, generated samples, losses, checkpoints and a report.
#include <ganpp/checkpoint.hpp>
#include <ganpp/data/dataset.hpp>
#include <ganpp/data/idx.hpp>
#include <ganpp/data/mnist.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/io/png.hpp>
#include <ganpp/model_io.hpp>
#include <ganpp/training_monitor.hpp>
#include <ganpp/training_state.hpp>

#ifdef GANPP_MNIST_MPI
#include <ganpp/distributed.hpp>
#endif

#include "common/cli.hpp"
#include "common/output.hpp"
#include "common/pixels.hpp"
#include "common/progress.hpp"
#include "common/report.hpp"
#include "evaluation.hpp"
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
  std::string data, model, out, resume, on_divergence = "stop", recipe = "default";  // model empty: the recipe's
  long epochs = 0, steps = -1, batch = 64, samples = 10000;                          // epochs 0: the recipe's
  double g_lr = 0, d_lr = 0, ema = -1;                                               // 0 and -1: the recipe's
  double minutes = -1;                                                               // -1: the recipe's; 0: no limit
  std::uint64_t seed = 0;
  int threads = 1, digit = -1;
  std::string batch_norm = "sync";  // under mpirun
  std::string classifier = mnist::kDefaultClassifierPath;
  long eval_every = 0, eval_samples = 2000;  // eval_every 0: at the end of every epoch
  int early_stop = 0;                        // 0: off
};

/// A named set of training choices; the options that are left unset take the recipe's values.
struct Recipe {
  const char* model;
  long epochs;
  double g_lr, d_lr, ema;
  double minutes;  // training-time budget (0: none)
};

/// reference: the PyTorch C++ frontend's DCGAN example (Adam 2e-4, betas (0.5, 0.999), no averaging), the recipe
/// ganpp's speed and quality comparisons use. default: the measured best within the README's 10-minute budget on 2
/// cores (docs/mnist.md, "The default recipe"). Its 9.5-minute budget keeps that promise on slower CPUs: 3 epochs take
/// about 6 minutes on a 2-core AVX-512 machine but 17 on a 2-core AVX2 one, which then stops after about 1.6 epochs.
Recipe recipe_named(const std::string& name) {
  if (name == "reference") return {"dcgan", 2, 2e-4, 2e-4, 0.0, 0.0};
  return {"cgan", 3, 2e-4, 2e-4, 0.999, 9.5};
}

void apply_recipe(Options& o) {
  const Recipe r = recipe_named(o.recipe);
  if (o.model.empty()) o.model = r.model;
  // The time limit belongs to the recipe's length: a run given its own --epochs or --steps trains them in full.
  const bool own_length = o.epochs != 0 || o.steps >= 0;
  if (o.minutes < 0) o.minutes = own_length ? 0 : r.minutes;
  if (o.epochs == 0) o.epochs = r.epochs;
  if (o.g_lr == 0) o.g_lr = r.g_lr;
  if (o.d_lr == 0) o.d_lr = r.d_lr;
  if (o.ema < 0) o.ema = r.ema;
}

void add_options(CLI::App& app, Options& o) {
  examples::add_data_option(app, o.data);
  app.add_option("--model", o.model, "mlp | dcgan | cgan (the conditional DCGAN: one digit per label)")
      ->check(CLI::IsMember({"mlp", "dcgan", "cgan"}))
      ->default_str("recipe's");
  app.add_option("--recipe", o.recipe,
                 "default: the conditional DCGAN (cgan), 3 epochs or 9.5 minutes of training, whichever ends first, Adam 2e-4 for both, "
                 "samples drawn by an EMA of the generator (0.999): the best measured within 10 minutes on 2 cores (docs/mnist.md); "
                 "reference: the PyTorch DCGAN example's (dcgan, 2 epochs, Adam 2e-4 for both, no EMA, no time limit). The options below "
                 "override single choices")
      ->check(CLI::IsMember({"default", "reference"}));
  app.add_option("--epochs", o.epochs, "epochs to train, counted from the start of training")
      ->check(examples::integer_at_least(1))
      ->default_str("recipe's");
  app.add_option("--g-lr", o.g_lr, "the generator's Adam learning rate (betas 0.5, 0.999)")->check(CLI::PositiveNumber)->default_str("recipe's");
  app.add_option("--d-lr", o.d_lr, "the discriminator's Adam learning rate")->check(CLI::PositiveNumber)->default_str("recipe's");
  app.add_option("--ema", o.ema,
                 "decay of the generator's exponential moving average, which draws the grids, samples and evaluations (0: none, "
                 "the last weights draw)")
      ->check(CLI::Range(0.0, 0.99999))
      ->default_str("recipe's");
  app.add_option("--steps", o.steps, "stop after N training steps in all, counted from the start (a resumed run continues the count)")
      ->check(examples::integer_at_least(1))
      ->default_str("");
  app.add_option("--minutes", o.minutes,
                 "stop after this much training time (evaluations not counted), at the end of a step, even before --epochs ends; 0: no "
                 "limit. How many steps that is depends on the machine: the log says, and --steps N repeats such a run bit for bit")
      ->check(CLI::NonNegativeNumber)
      ->default_str("the recipe's, or none with --epochs or --steps");
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
  app.add_option("--classifier", o.classifier,
                 "the evaluation classifier's weights (ganpp-classifier writes them): with them, the run is scored during training");
  app.add_option("--eval-every", o.eval_every,
                 "score the generator every N steps (default: at the end of every epoch): FID, IS and classes covered of "
                 "--eval-samples samples, written to metrics.csv and report.html")
      ->check(examples::integer_at_least(1))
      ->default_str("epoch");
  app.add_option("--eval-samples", o.eval_samples, "samples scored per evaluation (0: no evaluation)")->check(examples::integer_at_least(0));
  app.add_option("--early-stop", o.early_stop,
                 "stop when the FID has not improved for PATIENCE evaluations in a row; the best state is kept as best.ganpp either way, "
                 "and the final grid and samples come from it")
      ->check(examples::integer_at_least(1, 1000000))
      ->default_str("off");
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
      : o_(o), conditional_(o.model == "cgan"), g_(o.model == "mlp" ? mnist::mlp_generator<float>() : mnist::dcgan_generator<float>(conditional_)),
        d_(o.model == "mlp" ? mnist::mlp_discriminator<float>() : mnist::dcgan_discriminator<float>(conditional_)),
        g_opt_(g_.parameters(), {o.g_lr, 0.5, 0.999}), d_opt_(d_.parameters(), {o.d_lr, 0.5, 0.999}),
        trainer_(g_, d_, g_opt_, d_opt_, trainer_options(o)), train_set_(ganpp::load_mnist(o.data, true)),
        loader_(train_set_, o.batch, o.seed, o.model == "mlp") {
    g_.reset_parameters(ganpp::Init::torch_default, o.seed * 2 + 1);
    d_.reset_parameters(ganpp::Init::torch_default, o.seed * 2 + 2);
    if (ema_) {
      ema_->reset();  // the average starts at the initial weights just drawn
      trainer_.set_ema(&*ema_);
    }
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
      if (o.early_stop > 0) throw examples::UsageError("--early-stop runs in one process only, not under mpirun");
    }
#endif
    if (o.early_stop > 0 && o.eval_samples == 0) throw examples::UsageError("--early-stop needs evaluations: --eval-samples 0 turns them off");
    if (o.early_stop > 0 && !fs::exists(o.classifier))
      throw ganpp::io_error("--early-stop needs the evaluation classifier, and " + o.classifier + " is not there; " + classifier_advice());
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
    if (root_) csv_ = open_csv("losses.csv", "step,epoch,d_loss,g_loss,d_real,d_fake,seconds");
    first_step_ = trainer_.steps();
    const std::string ranks = ranks_ > 1 ? std::to_string(ranks_) + " ranks (" + o_.batch_norm + " BatchNorm) x " : std::string();
    if (root_)
      std::printf("ganpp-mnist: model %s, recipe %s, %lld steps (%lld per epoch, batch %ld)%s, %s%d threads, seed %llu%s\n", o_.model.c_str(),
                  recipe_text().c_str(), static_cast<long long>(total_), static_cast<long long>(per_epoch), o_.batch,
                  o_.minutes > 0 ? (" or " + format_duration(o_.minutes * 60) + " of training, whichever ends first").c_str() : "", ranks.c_str(),
                  o_.threads, static_cast<unsigned long long>(o_.seed),
                  first_step_ ? (", resuming at step " + std::to_string(first_step_)).c_str() : "");
    if (root_) start_monitor();
    std::fflush(stdout);
    // Under mpirun, Ctrl-C ends every rank at once (the ranks could not agree on where to stop); the last checkpoint stays.
    if (ranks_ == 1) std::signal(SIGINT, on_sigint);

    Tensor<float> batch;
    std::vector<int> labels;
    const double seconds_before = seconds_;
    wall_start_ = std::chrono::steady_clock::now();
    if (o_.minutes > 0 && seconds_ >= o_.minutes * 60) out_of_time_ = true;  // a resumed run that had used its budget
    while (trainer_.steps() < total_ && !interrupted && !stopped_ && !out_of_time_) {
      if (!loader_.next(batch, labels)) {
        end_epoch();
        continue;
      }
      const std::optional<ganpp::StepStats> s = step(batch, labels);
      if (!s) continue;
      // Training time: the evaluations' time is counted apart.
      seconds_ = seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count() - eval_wall_;
      if (o_.minutes > 0) check_time_budget();  // every rank, before the root-only part below
      if (!root_) continue;
      std::fprintf(csv_, "%lld,%lld,%.6g,%.6g,%.6g,%.6g,%.3f\n", static_cast<long long>(s->step), static_cast<long long>(epoch_ + 1), s->d_loss,
                   s->g_loss, s->d_real, s->d_fake, seconds_);
      show_progress(*s, seconds_ - seconds_before);
      for (const std::string& w : monitor_.observe(*s)) warn(w);
      if (o_.eval_every > 0 && s->step % o_.eval_every == 0) {
        evaluate();
        write_report();
      }
    }
    if (root_) progress_.break_line();
    if (interrupted) std::printf("interrupted at step %lld: saving the checkpoint and outputs\n", static_cast<long long>(trainer_.steps()));
    if (out_of_time_ && root_)
      std::printf(
          "time limit: %s of training reached at step %lld of %lld (--minutes %g); --steps %lld repeats this run exactly, "
          "--resume with a larger --minutes trains on\n",
          format_duration(seconds_).c_str(), static_cast<long long>(trainer_.steps()), static_cast<long long>(total_), o_.minutes,
          static_cast<long long>(trainer_.steps()));
    if (!stopped_ && trainer_.steps() == per_epoch * (epoch_ + 1) && !loader_.next(batch, labels)) end_epoch();  // the last epoch ended exactly here
    finish();
    return interrupted ? 130 : 0;
  }

 private:
  static ganpp::TrainerOptions trainer_options(const Options& o) {
    ganpp::TrainerOptions t;
    t.seed = o.seed;
    return t;
  }

  /// Ends the training loop once --minutes of training time are spent. Under mpirun rank 0's clock decides for all,
  /// so that every rank stops after the same step.
  void check_time_budget() {
    int over = seconds_ >= o_.minutes * 60 ? 1 : 0;
#ifdef GANPP_MNIST_MPI
    if (ranks_ > 1) ganpp::Communicator::world().broadcast(&over, 1);
#endif
    out_of_time_ = over != 0;
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
    double eta = static_cast<double>(total_ - s.step) / std::max(rate, 1e-9);
    if (o_.minutes > 0) eta = std::min(eta, std::max(0.0, o_.minutes * 60 - seconds_));
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
    if (o_.eval_every == 0) evaluate();
    save_checkpoint();
    write_report();
  }

  /// Runs `draw` with the generator that draws: the EMA's weights, when the run keeps one (BatchNorm's running
  /// statistics re-estimated for them on 50 batches of fixed latents), else the live weights.
  template <typename F>
  void with_drawing_weights(F&& draw) {
    if (!ema_) return draw();
    const ganpp::AveragedWeights<ganpp::Generator<float>> averaged(*ema_, g_, [this] {
      ganpp::Rng rng(o_.seed + 999);
      Tensor<float> z;
      std::vector<int> y;
      for (Index k = 0; k < o_.batch; ++k) y.push_back(static_cast<int>(k % 10));
      for (int i = 0; i < 50; ++i) {
        g_.sample_latent(o_.batch, rng, z);
        g_.forward(z, conditional_ ? &y : nullptr);
      }
    });
    draw();
  }

  void write_grid(const std::string& name) {
    with_drawing_weights([&] { write_grid_now(name); });
  }
  void write_grid_now(const std::string& name) {
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
    std::vector<std::uint8_t> pixels, sample_labels;
    with_drawing_weights([&] { mnist::generate_pixels(g_, conditional_, o_.samples, rng, o_.digit, pixels, &sample_labels); });
    ganpp::write_idx(path("samples.idx3-ubyte"), {o_.samples, 28, 28}, pixels.data());
    if (conditional_) ganpp::write_idx(path("labels.idx1-ubyte"), {o_.samples}, sample_labels.data());
  }

  /// checkpoint.ganpp: the TrainingState (models, optimizers, trainer step and latent generator), the loader's
  /// position, and the run's settings, epoch and time.
  void save_checkpoint() {
    ganpp::Checkpoint c;
    put_run_entries(c);
    state_.save(c);
    if (csv_) std::fflush(csv_);
    c.save(path("checkpoint.ganpp"));
    if (guard_) guard_->commit();
  }

  /// The entries besides the TrainingState that checkpoint.ganpp and best.ganpp hold: the run's settings, epoch and
  /// time, the loader's position and the monitor's record.
  void put_run_entries(ganpp::Checkpoint& c) const {
    c.put_text("run.model", o_.model);
    c.put_text("run.recipe", recipe_text());
    c.put_text("run.batch", std::to_string(o_.batch));
    c.put_text("run.seed", std::to_string(o_.seed));
    c.put_text("run.epoch", std::to_string(epoch_));
    c.put_text("run.seconds", std::to_string(seconds_));
    c.put_text("run.eval_seconds", std::to_string(eval_seconds_));
    c.put_text("loader", loader_.state());
    monitor_.save(c);
    std::string warnings;
    for (const std::string& w : warnings_) warnings += w + "\n";
    c.put_text("monitor.warnings", warnings);
  }

  void resume() {
    ganpp::Checkpoint c = ganpp::Checkpoint::load(o_.resume);
    if (!c.has("trainer.step") && c.has("run.step")) c.put_text("trainer.step", c.text("run.step"));  // written before TrainingState
    auto expect = [&](const char* key, const std::string& want) {
      if (c.text(key) != want)
        throw ganpp::argument_error(o_.resume + " was trained with " + std::string(key).substr(4) + " " + c.text(key) + ", this run asks for " +
                                    want);
    };
    expect("run.model", o_.model);
    if (c.has("run.recipe") || o_.ema > 0) expect("run.recipe", recipe_text());
    expect("run.batch", std::to_string(o_.batch));
    expect("run.seed", std::to_string(o_.seed));
    state_.load(c);
    loader_.set_state(c.text("loader"));
    epoch_ = std::stoll(c.text("run.epoch"));
    seconds_ = std::stod(c.text("run.seconds"));
    if (c.has("run.eval_seconds")) eval_seconds_ = std::stod(c.text("run.eval_seconds"));
    monitor_.load(c);
    if (c.has("monitor.warnings")) {
      std::istringstream in(c.text("monitor.warnings"));
      for (std::string line; std::getline(in, line);) warnings_.push_back(line);
    }
  }

  /// A CSV file of the run (losses.csv, metrics.csv): fresh for a new run; for a resumed run, the rows up to the
  /// checkpoint's step are kept.
  std::FILE* open_csv(const std::string& name, const char* header) {
    std::FILE* f = examples::open_csv(path(name), header, o_.resume.empty() ? -1 : static_cast<long long>(trainer_.steps()));
    std::fflush(f);
    return f;
  }

  /// Loads the evaluation classifier when there is one (or says once what to run to get it) and opens metrics.csv.
  void start_monitor() {
    if (o_.resume.empty())
      for (const char* stale : {"best.ganpp", "grid-best.png", "metrics.csv"}) std::filesystem::remove(path(stale));  // a previous run's
    if (o_.eval_samples == 0) return;
    if (!fs::exists(o_.classifier)) {
      std::printf("monitor: no evaluation classifier at %s, so no FID, IS or classes covered during training and no best.ganpp; %s\n",
                  o_.classifier.c_str(), classifier_advice().c_str());
      return;
    }
    const auto t0 = std::chrono::steady_clock::now();
    scorer_.emplace(o_.classifier, o_.data, o_.eval_samples, o_.seed + 4242);
    metrics_ = open_csv("metrics.csv", mnist::kMetricsHeader);
    const std::vector<mnist::Quality> kept = mnist::read_metrics(path("metrics.csv"));
    if (!kept.empty() && kept.back().step == trainer_.steps()) last_eval_step_ = kept.back().step;  // resumed where it was scored
    std::printf("monitor: scoring %ld samples %s against %lld test images with %s (reference features: %.1f s)%s\n", o_.eval_samples,
                o_.eval_every > 0 ? ("every " + std::to_string(o_.eval_every) + " steps").c_str() : "after every epoch",
                static_cast<long long>(scorer_->reference_count()), o_.classifier.c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                o_.early_stop > 0 ? (", early stop after " + std::to_string(o_.early_stop) + " evaluations without a better FID").c_str() : "");
    if (o_.early_stop > 0 && monitor_.should_stop()) {
      stopped_ = true;
      std::printf(
          "early stop: the FID has not improved for %d evaluations already (best %.2f at step %lld); resume with a larger --early-stop to "
          "train on\n",
          monitor_.stopping().stale(), monitor_.stopping().best_score(), static_cast<long long>(monitor_.stopping().best_step()));
    }
    std::fflush(stdout);
  }

  /// Scores the current generator, records it in metrics.csv and with the monitor (which saves best.ganpp on a new
  /// best FID), prints it, and stops the run when early stopping says so.
  void evaluate() {
    if (!scorer_ || !root_ || last_eval_step_ == trainer_.steps()) return;
    const auto t0 = std::chrono::steady_clock::now();
    mnist::Quality q;
    with_drawing_weights([&] { q = scorer_->score(g_, conditional_); });
    q.step = trainer_.steps();
    q.epoch = (q.step + loader_.batches_per_epoch() - 1) / loader_.batches_per_epoch();
    const ganpp::MonitorVerdict v = monitor_.evaluate(q.fid, q.covered, 10);
    if (v.improved) write_grid("grid-best.png");
    last_eval_step_ = q.step;
    std::fprintf(metrics_, "%lld,%lld,%.6g,%.6g,%d,%.3f\n", q.step, q.epoch, q.fid, q.is, q.covered, q.seconds);
    std::fflush(metrics_);
    const ganpp::EarlyStopping& e = monitor_.stopping();
    progress_.break_line();
    char tail[160];
    if (v.improved) std::snprintf(tail, sizeof tail, "new best, saved as best.ganpp");
    else
      std::snprintf(tail, sizeof tail, "best %.2f at step %lld; %d evaluation%s without improvement%s", e.best_score(),
                    static_cast<long long>(e.best_step()), e.stale(), e.stale() == 1 ? "" : "s",
                    o_.early_stop > 0 ? (" of " + std::to_string(o_.early_stop)).c_str() : "");
    std::printf("eval at step %lld: FID %.2f, IS %.2f, %d of 10 classes (%.1f s): %s\n", q.step, q.fid, q.is, q.covered, q.seconds, tail);
    for (const std::string& w : v.warnings) warn(w);
    if (v.stop) {
      stopped_ = true;
      std::printf("early stop at step %lld: the FID has not improved for %d evaluations; the best, %.2f at step %lld, is in best.ganpp\n", q.step,
                  o_.early_stop, e.best_score(), static_cast<long long>(e.best_step()));
    }
    std::fflush(stdout);
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    eval_wall_ += dt;
    eval_seconds_ += dt;
  }

  std::string classifier_advice() const {
    return "train it with: ganpp-classifier --data " + o_.data + " --out " + o_.classifier + " (or pass --classifier FILE)";
  }

  void warn(const std::string& w) {
    progress_.break_line();
    std::printf("warning: %s\n", w.c_str());
    std::fflush(stdout);
    warnings_.push_back(w);
  }

  static std::vector<std::uint8_t> read_bytes(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return in ? std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {}) : std::vector<std::uint8_t>();
  }

  void write_report() {
    std::fflush(csv_);
    examples::Report r;
    r.title = "ganpp-mnist: " + o_.model;
    std::ifstream in(path("losses.csv"));
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      examples::LossRow row;
      if (std::sscanf(line.c_str(), "%ld,%ld,%lf,%lf,%lf,%lf,%lf", &row.step, &row.epoch, &row.d_loss, &row.g_loss, &row.d_real, &row.d_fake,
                      &row.seconds) == 7)
        r.losses.push_back(row);
    }
    const std::string steps = std::to_string(total_) + (o_.steps > 0 && o_.steps < loader_.batches_per_epoch() * o_.epochs ? " (--steps)" : "");
    r.config = {{"model", o_.model},
                {"recipe", recipe_text()},
                {"epochs", std::to_string(o_.epochs) + " (" + std::to_string(loader_.batches_per_epoch()) + " steps each)"},
                {"steps", steps},
                {"time limit", o_.minutes > 0 ? format_duration(o_.minutes * 60) + " of training" : "none"},
                {"batch", std::to_string(o_.batch)},
                {"seed", std::to_string(o_.seed)},
                {"threads", std::to_string(o_.threads) + (ranks_ > 1 ? " x " + std::to_string(ranks_) + " ranks" : "")},
                {"data", o_.data},
                {"on divergence", o_.on_divergence}};
    if (scorer_)
      r.config.push_back({"evaluation", std::to_string(o_.eval_samples) + " samples " +
                                            (o_.eval_every > 0 ? "every " + std::to_string(o_.eval_every) + " steps" : "after every epoch") +
                                            ", classifier " + o_.classifier});
    else r.config.push_back({"evaluation", o_.eval_samples == 0 ? "off (--eval-samples 0)" : "off: no classifier at " + o_.classifier});
    r.config.push_back({"early stop", o_.early_stop > 0 ? "after " + std::to_string(o_.early_stop) + " evaluations without a better FID" : "off"});
    const double final_step = static_cast<double>(final_step_ >= 0 ? final_step_ : trainer_.steps());
    r.summary = std::to_string(static_cast<long long>(final_step)) + " steps, " + format_duration(seconds_) + " of training";
    if (eval_seconds_ > 0) r.summary += " and " + format_duration(eval_seconds_) + " of evaluation";
    r.summary += ".";
    if (stopped_) r.summary += " <b>Stopped early</b>: the FID had not improved for " + std::to_string(o_.early_stop) + " evaluations.";
    if (interrupted) r.summary += " Interrupted.";
    if (out_of_time_) r.summary += " Stopped by the time limit (--minutes).";
    r.warnings = warnings_;

    const std::vector<mnist::Quality> metrics = mnist::read_metrics(path("metrics.csv"));
    const ganpp::EarlyStopping& e = monitor_.stopping();
    if (e.has_best()) {
      const mnist::Quality* b = nullptr;
      for (const auto& q : metrics)
        if (q.step == e.best_step()) b = &q;
      char caption[256];
      std::snprintf(caption, sizeof caption, "<b>Best so far: FID %.2f</b>, IS %.2f, %d of 10 classes<br>step %lld, epoch %lld: best.ganpp",
                    e.best_score(), b ? b->is : 0.0, b ? b->covered : 0, static_cast<long long>(e.best_step()), b ? b->epoch : 0LL);
      r.best_caption = caption;
      r.best_png = read_bytes(path("grid-best.png"));
    }
    if (!metrics.empty()) {
      examples::ChartSeries fid{"FID", "#9467bd", {}, false, true}, is{"IS", "#ff7f0e", {}, false, true},
          cov{"classes covered", "#2ca02c", {}, false, true};
      for (const auto& q : metrics) {
        fid.points.push_back({static_cast<double>(q.step), q.fid});
        is.points.push_back({static_cast<double>(q.step), q.is});
        cov.points.push_back({static_cast<double>(q.step), static_cast<double>(q.covered)});
      }
      const std::pair<double, double> best{static_cast<double>(e.best_step()), e.best_score()};
      char label[64];
      std::snprintf(label, sizeof label, "best %.2f", e.best_score());
      r.metric_charts.push_back(examples::svg_chart("MNIST FID (lower is better; logarithmic axis)", "training step", "FID", {fid},
                                                    e.has_best() ? &best : nullptr, label, true));
      r.metric_charts.push_back(
          examples::svg_chart("MNIST IS and classes covered (higher is better, 10 at most)", "training step", "IS / classes", {is, cov}));
      r.metrics_note = "<p>Each point scores " + std::to_string(o_.eval_samples) + " samples from fixed latents against the " +
                       std::to_string(scorer_ ? scorer_->reference_count() : 10000) +
                       " MNIST test images with the evaluation classifier, as <code>ganpp-score</code> does (metrics.csv). The FID of fewer samples "
                       "is biased upwards, so these values sit above the 10000-sample FID of <code>ganpp-score</code>: compare them with each "
                       "other.</p>";
    }

    auto add = [&](const std::string& file, const std::string& caption) {
      std::vector<std::uint8_t> png = read_bytes(path(file));
      if (!png.empty()) r.grids.emplace_back(caption, std::move(png));
    };
    for (long long ep = 1; ep <= epoch_; ++ep) add(grid_name(ep), "epoch " + std::to_string(ep));
    if (final_step_ >= 0)
      add("grid-final.png", from_best_ ? "final: the best state (step " + std::to_string(trainer_.steps()) + ")"
                                       : "final (step " + std::to_string(static_cast<long long>(final_step)) + ")");
    examples::write_report(path("report.html"), r);
  }

  void finish() {
    if (!root_) return;
    if (!interrupted) evaluate();  // the last state, unless the last evaluation was of it
    save_checkpoint();
    final_step_ = trainer_.steps();
    // The final grid and samples come from the best state, when the monitor kept one (the latest stays in
    // checkpoint.ganpp for --resume).
    const ganpp::EarlyStopping& e = monitor_.stopping();
    if (e.has_best() && e.best_step() != final_step_ && fs::exists(path("best.ganpp"))) {
      const ganpp::Checkpoint best = ganpp::Checkpoint::load(path("best.ganpp"));
      if (best.has("monitor.best_step") && best.text("monitor.best_step") == std::to_string(e.best_step())) {
        state_.load(best);
        from_best_ = true;
        std::printf("final grid and samples: the best state (step %lld, FID %.2f, from best.ganpp); the latest is in checkpoint.ganpp\n",
                    static_cast<long long>(e.best_step()), e.best_score());
      }
    }
    write_grid("grid-final.png");
    write_samples();
    write_report();
    std::fclose(csv_);
    csv_ = nullptr;
    if (metrics_) std::fclose(metrics_);
    metrics_ = nullptr;
    std::printf(
        "done: %lld steps, %s of training. Outputs in %s: grid-final.png, %ssamples.idx3-ubyte, losses.csv, %scheckpoint.ganpp, report.html\n",
        static_cast<long long>(final_step_), format_duration(seconds_).c_str(), o_.out.c_str(), epoch_ ? "grid-epoch-*.png, " : "",
        scorer_ ? "metrics.csv, best.ganpp, grid-best.png, " : "");
  }

  /// The choices that must match on --resume: learning rates and EMA decay (the recipe's name alone may hide overrides).
  std::string recipe_text() const {
    char text[160];
    if (o_.ema > 0) std::snprintf(text, sizeof text, "%s (G lr %g, D lr %g, EMA %g)", o_.recipe.c_str(), o_.g_lr, o_.d_lr, o_.ema);
    else std::snprintf(text, sizeof text, "%s (G lr %g, D lr %g, no EMA)", o_.recipe.c_str(), o_.g_lr, o_.d_lr);
    return text;
  }

  Options o_;
  bool conditional_;
  ganpp::Generator<float> g_;
  ganpp::Discriminator<float> d_;
  ganpp::Adam<float> g_opt_, d_opt_;
  ganpp::GanTrainer<float> trainer_;
  std::optional<ganpp::ExponentialMovingAverage<float>> ema_ = o_.ema > 0
                                                                   ? std::make_optional<ganpp::ExponentialMovingAverage<float>>(g_.parameters(),
                                                                                                                                o_.ema)
                                                                   : std::nullopt;
  ganpp::TrainingState<float> state_{g_, d_, g_opt_, d_opt_, trainer_, ema_ ? &*ema_ : nullptr};
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
  std::FILE* metrics_ = nullptr;
  std::optional<mnist::SampleScorer> scorer_;
  ganpp::TrainingMonitor<float> monitor_{
      state_, path("best.ganpp"), ganpp::EarlyStopping(o_.early_stop), {}, [this](ganpp::Checkpoint& c) { put_run_entries(c); }};
  std::vector<std::string> warnings_;
  std::int64_t last_eval_step_ = -1, final_step_ = -1;
  double eval_seconds_ = 0, eval_wall_ = 0;
  bool stopped_ = false, from_best_ = false, out_of_time_ = false;
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
                    "batch), samples.idx3-ubyte (and labels.idx1-ubyte for cgan), losses.csv, checkpoint.ganpp, report.html; with the\n"
                    "evaluation classifier (--classifier), also metrics.csv (FID, IS, classes covered during training), best.ganpp and\n"
                    "grid-best.png (the best FID's state), and the final grid and samples come from the best state.");
  add_options(app, o);
  return examples::run_cli(app, argc, argv, [&] {
    apply_recipe(o);
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
