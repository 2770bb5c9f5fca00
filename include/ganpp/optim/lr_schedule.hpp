// SPDX-License-Identifier: MIT
/// @file
/// Learning-rate schedules (constant, linear decay, step decay) and LrScheduler, which applies one to any optimizer.
#pragma once

#include "../error.hpp"
#include "optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

namespace ganpp {

/// A learning-rate multiplier as a pure function of a step or epoch count t = 0, 1, 2, ... (t = the number of
/// steps or epochs completed before the update it applies to). Having no state of its own, it resumes from a
/// checkpoint with nothing to save: LrScheduler computes t from the optimizer's step count, which the optimizer's
/// state holds.
class LrSchedule {
 public:
  /// Which rule factor() follows.
  enum class Kind {
    constant,      ///< factor 1
    linear_decay,  ///< CycleGAN's: 1 for `hold` units, then linearly towards 0 over `decay` units
    step,          ///< PyTorch's StepLR: gamma^floor(t / step_size)
  };

  /// The unchanged learning rate (factor 1).
  static LrSchedule constant() { return LrSchedule(Kind::constant, 0, 0, 1.0); }

  /// Constant, then linearly decaying: CycleGAN's rule (Zhu et al. 2017, section 7.1: "keep the same learning rate
  /// for the first 100 epochs and linearly decay the rate to zero over the next 100 epochs"), written as its code's
  /// lambda rule with epoch_count 1: factor(t) = 1 - max(0, t + 1 - hold) / (decay + 1). So factor is 1 for
  /// t < hold, 1 - k / (decay + 1) at t = hold - 1 + k, and 1 / (decay + 1) at the last unit t = hold + decay - 1;
  /// it stays there after (an optimizer's learning rate must stay positive).
  /// @param hold units (steps or epochs) at the full learning rate: CycleGAN's n_epochs (100).
  /// @param decay units of decay: CycleGAN's n_epochs_decay (100).
  /// @throws argument_error for hold < 0 or decay < 1.
  static LrSchedule linear_decay(std::int64_t hold, std::int64_t decay) {
    if (hold < 0 || decay < 1)
      throw argument_error("LrSchedule::linear_decay(): need hold >= 0 and decay >= 1, got hold " + std::to_string(hold) + ", decay " +
                           std::to_string(decay));
    return LrSchedule(Kind::linear_decay, hold, decay, 1.0);
  }

  /// Step decay, as torch.optim.lr_scheduler.StepLR: factor(t) = gamma^floor(t / step_size).
  /// @param step_size units between two decays.
  /// @param gamma the factor of each decay, in (0, 1].
  /// @throws argument_error for step_size < 1 or gamma outside (0, 1].
  static LrSchedule step(std::int64_t step_size, double gamma = 0.1) {
    if (step_size < 1 || !(gamma > 0 && gamma <= 1))
      throw argument_error("LrSchedule::step(): need step_size >= 1 and gamma in (0, 1], got step_size " + std::to_string(step_size) + ", gamma " +
                           std::to_string(gamma));
    return LrSchedule(Kind::step, step_size, 0, gamma);
  }

  /// The multiplier of the base learning rate after t completed units; always in (0, 1].
  /// @throws argument_error for t < 0.
  double factor(std::int64_t t) const {
    if (t < 0) throw argument_error("LrSchedule::factor(): t must be >= 0, got " + std::to_string(t));
    switch (kind_) {
      case Kind::constant: return 1.0;
      case Kind::linear_decay: {
        const std::int64_t last = a_ + b_ - 1;  // the last unit of the decay; the factor stays there after it
        const std::int64_t done = std::max<std::int64_t>(0, std::min(t, last) + 1 - a_);
        return 1.0 - static_cast<double>(done) / static_cast<double>(b_ + 1);
      }
      case Kind::step: {
        const std::int64_t decays = t / a_;  // whole steps of step_size units
        return std::pow(gamma_, static_cast<double>(decays));
      }
    }
    return 1.0;
  }

  /// Which rule the schedule follows.
  Kind kind() const { return kind_; }
  /// "constant", "linear_decay(hold 100, decay 100)", "step(step_size 30, gamma 0.1)".
  std::string name() const {
    switch (kind_) {
      case Kind::constant: return "constant";
      case Kind::linear_decay: return "linear_decay(hold " + std::to_string(a_) + ", decay " + std::to_string(b_) + ")";
      case Kind::step: return "step(step_size " + std::to_string(a_) + ", gamma " + std::to_string(gamma_) + ")";
    }
    return "unknown";
  }

 private:
  LrSchedule(Kind kind, std::int64_t a, std::int64_t b, double gamma) : kind_(kind), a_(a), b_(b), gamma_(gamma) {}

  Kind kind_;
  std::int64_t a_, b_;  // linear_decay: hold, decay; step: step_size
  double gamma_;
};

/// Applies an LrSchedule to any optimizer (Sgd, Adam, RmsProp, or one of your own): update() sets the optimizer's
/// learning rate for its next step to base * schedule.factor(steps() / steps_per_unit), where steps() is the
/// optimizer's own count of completed steps. Call update() before each optimizer step, or, with GanTrainer, which
/// steps the optimizers itself, once before the first trainer step and after every trainer step:
///
///     Adam<float> g_opt(g.parameters(), {2e-4, 0.5, 0.999});
///     LrScheduler<float> g_sched(g_opt, LrSchedule::linear_decay(100, 100), batches_per_epoch);
///     for (...) { g_sched.update(); d_sched.update(); trainer.step(batch); }
///
/// The scheduler keeps no state but the base rate, taken from the optimizer at construction: an optimizer restored
/// with load_state() (or load_optimizer() from a checkpoint) has its step count back, so a scheduler built over it
/// the same way continues with exactly the learning rate it would have had. With GanTrainer's d_steps > 1 the
/// discriminator's optimizer steps d_steps times as often as the generator's; give each scheduler its own
/// steps_per_unit.
/// @tparam Scalar the optimizer's scalar type.
template <typename Scalar>
class LrScheduler {
 public:
  /// @param optimizer the optimizer whose learning rate to set; must outlive the scheduler.
  /// @param schedule the multiplier as a function of completed units.
  /// @param steps_per_unit optimizer steps per unit of the schedule: 1 to count steps, the batches per epoch to count
  ///        epochs (CycleGAN's schedule is in epochs).
  /// @throws argument_error for steps_per_unit < 1.
  LrScheduler(Optimizer<Scalar>& optimizer, LrSchedule schedule, std::int64_t steps_per_unit = 1)
      : LrScheduler(optimizer, schedule, steps_per_unit, optimizer.learning_rate()) {}
  /// The same, with the base learning rate given rather than read from the optimizer.
  /// @param optimizer the optimizer whose learning rate to set; must outlive the scheduler.
  /// @param schedule the multiplier as a function of completed units.
  /// @param steps_per_unit optimizer steps per unit of the schedule.
  /// @param base_lr the learning rate that the schedule's factor multiplies.
  /// @throws argument_error for steps_per_unit < 1 or base_lr <= 0.
  LrScheduler(Optimizer<Scalar>& optimizer, LrSchedule schedule, std::int64_t steps_per_unit, double base_lr)
      : opt_(optimizer), schedule_(schedule), per_unit_(steps_per_unit), base_(base_lr) {
    if (steps_per_unit < 1) throw argument_error("LrScheduler::LrScheduler(): steps_per_unit must be >= 1, got " + std::to_string(steps_per_unit));
    if (!(base_lr > 0)) throw argument_error("LrScheduler::LrScheduler(): base learning rate must be positive, got " + std::to_string(base_lr));
  }

  /// Sets the optimizer's learning rate for its next step from its step count.
  /// @return the learning rate set.
  double update() {
    const double lr = learning_rate_at(opt_.steps());
    opt_.set_learning_rate(lr);
    return lr;
  }
  /// The learning rate of the optimizer step that follows `steps` completed steps.
  double learning_rate_at(std::int64_t steps) const { return base_ * schedule_.factor(steps / per_unit_); }
  /// Completed units (steps or epochs) of the optimizer.
  std::int64_t unit() const { return opt_.steps() / per_unit_; }
  /// The learning rate that the schedule's factor multiplies.
  double base_learning_rate() const { return base_; }
  /// The schedule applied.
  const LrSchedule& schedule() const { return schedule_; }

 private:
  Optimizer<Scalar>& opt_;
  LrSchedule schedule_;
  std::int64_t per_unit_;
  double base_;
};

}  // namespace ganpp
