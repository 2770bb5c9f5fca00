// SPDX-License-Identifier: MIT
/// @file
/// TrainingState: everything a GanTrainer run needs to continue exactly, saved to and restored from a Checkpoint;
/// DivergenceGuard: opt-in rollback to the last good state when a step diverges.
#pragma once

#include "checkpoint.hpp"
#include "model_io.hpp"
#include "error.hpp"
#include "gan_trainer.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ganpp {

/// The parts of a GAN run whose state decides what happens next: both models (parameters, buffers, layer random
/// state), both optimizers, and the trainer's step count and latent generator. Saving them after step k and loading
/// them into fresh objects continues bit for bit as if the run had never stopped (same thread count), the generator's
/// EMA included when `ema` is set. A data loader or anything else the caller drives is the caller's to save
/// (BatchLoader::state()).
/// Entries: generator.*, discriminator.*, generator_optimizer.*, discriminator_optimizer.*, ema.* (with an EMA),
/// trainer.step, trainer.rng.
template <typename Scalar>
struct TrainingState {
  /// The generator; saved as entries "generator.<parameter or buffer name>".
  Generator<Scalar>& generator;
  /// The discriminator; saved as entries "discriminator.<parameter or buffer name>".
  Discriminator<Scalar>& discriminator;
  /// The generator's optimizer; saved under "generator_optimizer.".
  Optimizer<Scalar>& generator_optimizer;
  /// The discriminator's optimizer; saved under "discriminator_optimizer.".
  Optimizer<Scalar>& discriminator_optimizer;
  /// The trainer; its step count and latent generator are saved as "trainer.step" and "trainer.rng".
  GanTrainer<Scalar>& trainer;
  /// The generator's exponential moving average (GanTrainer::set_ema()), or nullptr; saved as "ema.*".
  ExponentialMovingAverage<Scalar>* ema = nullptr;

  /// Adds the state to `c`. @throws divergence_error if a parameter or buffer is not finite (nothing usable to save).
  void save(Checkpoint& c) const {
    save_model(c, "generator", generator);
    save_model(c, "discriminator", discriminator);
    save_optimizer(c, "generator_optimizer", generator_optimizer);
    save_optimizer(c, "discriminator_optimizer", discriminator_optimizer);
    if (ema != nullptr) save_ema(c, "ema", *ema);
    c.put_text("trainer.step", std::to_string(trainer.steps()));
    c.put_text("trainer.rng", trainer.rng().state());
  }

  /// Restores what save() stored. Every entry is read and checked before the trainer's step and generator change;
  /// the models are each restored whole or not at all.
  /// @throws io_error naming the entry that is missing, malformed, of another shape or scalar type.
  void load(const Checkpoint& c) {
    const std::string step_text = c.text("trainer.step");
    std::int64_t step = -1;
    if (!step_text.empty() && step_text.size() <= 19 && step_text.find_first_not_of("0123456789") == std::string::npos)
      step = std::stoll(step_text);
    if (step < 0 || step > (std::int64_t{1} << 62))
      throw io_error("TrainingState::load(): trainer.step is '" + step_text.substr(0, 30) + "': expected a step count from 0 to 2^62");
    Rng rng;
    rng.set_state(c.text("trainer.rng"));
    if (ema != nullptr) load_ema(c, "ema", *ema);  // first: a checkpoint written without an EMA changes nothing
    load_model(c, "generator", generator);
    load_model(c, "discriminator", discriminator);
    load_optimizer(c, "generator_optimizer", generator_optimizer);
    load_optimizer(c, "discriminator_optimizer", discriminator_optimizer);
    trainer.set_steps(step);
    trainer.rng() = rng;
  }
};

/// Opt-in rollback on divergence. step() runs GanTrainer::step(); when that throws divergence_error (a non-finite
/// loss, gradient or parameter), the guard restores the last good state recorded by commit() and returns no stats
/// instead of throwing: the batch is skipped and training can go on. The data loader is not rewound, so the batches
/// since the last commit are not replayed and the run takes another path. After `max_rollbacks` rollbacks in a row
/// without a successful step, or with nothing committed, the divergence_error propagates.
template <typename Scalar>
class DivergenceGuard {
 public:
  /// @param state references to the objects to guard; they must outlive the guard.
  /// @param max_rollbacks rollbacks in a row without a successful step before the divergence_error propagates; >= 1.
  /// @param commit_every also commit after every `commit_every` successful steps (0: only when commit() is called).
  /// @throws argument_error when max_rollbacks < 1 or commit_every < 0.
  explicit DivergenceGuard(TrainingState<Scalar> state, int max_rollbacks = 3, std::int64_t commit_every = 0)
      : state_(state), max_rollbacks_(max_rollbacks), commit_every_(commit_every) {
    if (max_rollbacks < 1)
      throw argument_error("DivergenceGuard::DivergenceGuard(): max_rollbacks must be >= 1, got " + std::to_string(max_rollbacks));
    if (commit_every < 0)
      throw argument_error("DivergenceGuard::DivergenceGuard(): commit_every must be >= 0, got " + std::to_string(commit_every));
  }

  /// Records the current state as the last good one (in memory).
  /// @throws divergence_error if a parameter is not finite; the previous good state is then kept.
  void commit() {
    Checkpoint c;
    state_.save(c);
    good_ = std::move(c);
  }

  /// One guarded training step. @return the step's stats, or nothing when the step diverged and was rolled back.
  std::optional<StepStats> step(const Tensor<Scalar>& real, const std::vector<int>* labels = nullptr) {
    try {
      StepStats s = state_.trainer.step(real, labels);
      in_a_row_ = 0;
      if (commit_every_ > 0 && s.step % commit_every_ == 0) commit();
      return s;
    } catch (const divergence_error& e) {
      if (!good_) throw divergence_error(std::string(e.what()) + " (no good state committed to roll back to)");
      if (in_a_row_ >= max_rollbacks_)
        throw divergence_error(std::string(e.what()) + " (after " + std::to_string(in_a_row_) + " rollbacks in a row)");
      state_.load(*good_);
      ++in_a_row_;
      ++rollbacks_;
      last_error_ = e.what();
      return std::nullopt;
    }
  }

  /// Rollbacks so far.
  int rollbacks() const { return rollbacks_; }
  /// The divergence_error message of the latest rollback.
  const std::string& last_error() const { return last_error_; }
  /// The step count of the last good state, or -1 when nothing is committed.
  std::int64_t committed_step() const { return good_ ? std::stoll(good_->text("trainer.step")) : -1; }

 private:
  TrainingState<Scalar> state_;
  int max_rollbacks_;
  std::int64_t commit_every_;
  std::optional<Checkpoint> good_;
  int in_a_row_ = 0;
  int rollbacks_ = 0;
  std::string last_error_;
};

}  // namespace ganpp
