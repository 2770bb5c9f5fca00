// SPDX-License-Identifier: MIT
/// @file
/// Watching a run: EarlyStopping (patience counted in evaluations of a score), CollapseWatch (warnings for the signs
/// of a failing GAN run: a saturated discriminator, a loss spike, classes lost), and TrainingMonitor, which ties them
/// to a TrainingState and keeps the best-scoring state on disk as a checkpoint.
#pragma once

#include "checkpoint.hpp"
#include "error.hpp"
#include "gan_trainer.hpp"
#include "training_state.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace ganpp {

/// Early stopping on a score measured now and then (an FID every epoch, say): should_stop() turns true once
/// `patience` evaluations in a row have not improved on the best. An improvement beats the best by more than
/// `min_delta`; a non-finite score never improves. Patience 0 never stops and only tracks the best.
class EarlyStopping {
 public:
  /// Which way a score improves.
  enum class Goal {
    minimize,  ///< lower is better (FID, a loss)
    maximize   ///< higher is better (IS, an accuracy)
  };

  /// @param patience evaluations without improvement before should_stop(); 0 never stops.
  /// @param goal which way the score improves.
  /// @param min_delta how much an evaluation must beat the best by to count as an improvement; >= 0.
  /// @throws argument_error for a negative patience or a negative or non-finite min_delta.
  explicit EarlyStopping(int patience = 0, Goal goal = Goal::minimize, double min_delta = 0.0)
      : patience_(patience), goal_(goal), min_delta_(min_delta) {
    if (patience < 0) throw argument_error("EarlyStopping::EarlyStopping(): patience must be >= 0, got " + std::to_string(patience));
    if (!(min_delta >= 0) || !std::isfinite(min_delta))
      throw argument_error("EarlyStopping::EarlyStopping(): min_delta must be finite and >= 0, got " + std::to_string(min_delta));
  }

  /// Records the score of the evaluation at `step`. @return true when it is a new best.
  bool update(std::int64_t step, double score) {
    ++evaluations_;
    const bool better = std::isfinite(score) && (!has_best() || (goal_ == Goal::minimize ? score < best_ - min_delta_ : score > best_ + min_delta_));
    if (better) {
      best_ = score;
      best_step_ = step;
      stale_ = 0;
    } else {
      ++stale_;
    }
    return better;
  }

  /// True once `patience` evaluations in a row have not improved (never with patience 0).
  bool should_stop() const { return patience_ > 0 && stale_ >= patience_; }
  /// True once an evaluation gave a finite score.
  bool has_best() const { return best_step_ >= 0; }
  /// The best score so far (NaN before any).
  double best_score() const { return best_; }
  /// The step of the best evaluation (-1 before any).
  std::int64_t best_step() const { return best_step_; }
  /// Evaluations since the best one (all of them before any finite score).
  int stale() const { return stale_; }
  /// Evaluations recorded.
  int evaluations() const { return evaluations_; }
  /// The patience given to the constructor.
  int patience() const { return patience_; }
  /// The goal given to the constructor.
  Goal goal() const { return goal_; }

  /// The record (best score and step, stale count, evaluations) as one line of text, for a checkpoint. The patience,
  /// goal and min_delta are settings, not state: they stay those of the constructor.
  std::string state() const {
    std::array<char, 96> buf{};
    std::snprintf(buf.data(), buf.size(), "%lld %.17g %d %d", static_cast<long long>(best_step_), best_, stale_, evaluations_);
    return buf.data();
  }

  /// Restores a record written by state().
  /// @throws io_error for text that state() did not write.
  void set_state(const std::string& text) {
    std::istringstream in(text);
    long long step = 0;
    std::string best;
    int stale = 0, evaluations = 0;
    std::string rest;
    if (!(in >> step >> best >> stale >> evaluations) || (in >> rest) || step < -1 || stale < 0 || evaluations < stale)
      throw io_error("EarlyStopping::set_state(): '" + text.substr(0, 60) + "' is not a state written by EarlyStopping::state()");
    double value = std::numeric_limits<double>::quiet_NaN();
    if (step >= 0) {
      std::size_t used = 0;
      try {
        value = std::stod(best, &used);
      } catch (const std::exception&) {
      }
      if (used != best.size() || !std::isfinite(value))
        throw io_error("EarlyStopping::set_state(): '" + text.substr(0, 60) + "' has no finite best score");
    }
    best_step_ = step;
    best_ = value;
    stale_ = stale;
    evaluations_ = evaluations;
  }

 private:
  int patience_;
  Goal goal_;
  double min_delta_;
  double best_ = std::numeric_limits<double>::quiet_NaN();
  std::int64_t best_step_ = -1;
  int stale_ = 0, evaluations_ = 0;
};

/// Thresholds of CollapseWatch.
struct CollapseOptions {
  double saturated_real = 0.99;          ///< D(x) above this ...
  double saturated_fake = 0.01;          ///< ... with D(G(z)) below this counts as a saturated step
  std::int64_t saturated_steps = 200;    ///< saturated steps in a row before the warning
  int spike_window = 200;                ///< steps of history a loss is compared with
  double spike_sigmas = 8.0;             ///< a loss more than this many standard deviations above the window's mean ...
  double spike_min_rise = 2.0;           ///< ... and more than this much above it is a spike
};

/// Warnings for the usual signs of a failing GAN run, as text, each once per episode:
/// - the discriminator saturated: D(x) near 1 and D(G(z)) near 0 for many steps in a row (the generator's gradient
///   vanishes; a collapse, or a run that never started);
/// - a loss spike: a D or G loss far above its recent history (CollapseOptions::spike_sigmas standard deviations
///   and spike_min_rise above the mean of the last spike_window steps), at most one warning per window;
/// - fewer classes covered than at the previous evaluation (mode dropping), or fewer than half of them (mode
///   collapse, or a run that has not started yet), the latter once until the coverage recovers.
class CollapseWatch {
 public:
  /// @param options the thresholds.
  /// @throws argument_error for a spike window under 10 or a non-positive step count or threshold.
  explicit CollapseWatch(const CollapseOptions& options = {}) : o_(options) {
    if (o_.spike_window < 10 || o_.saturated_steps < 1 || !(o_.spike_sigmas > 0) || !(o_.spike_min_rise >= 0))
      throw argument_error("CollapseWatch::CollapseWatch(): spike_window must be >= 10, saturated_steps >= 1, spike_sigmas > 0 and "
                           "spike_min_rise >= 0; got window " + std::to_string(o_.spike_window) + ", steps " +
                           std::to_string(o_.saturated_steps));
  }

  /// Looks at one training step. @return the warnings it raises (usually none).
  std::vector<std::string> observe(const StepStats& s) {
    std::vector<std::string> out;
    if (s.d_real > o_.saturated_real && s.d_fake < o_.saturated_fake) {
      if (++saturated_ == o_.saturated_steps) {
        std::array<char, 256> buf{};
        std::snprintf(buf.data(), buf.size(),
                      "step %lld: D(x) > %.2f and D(G(z)) < %.2f for %lld steps in a row: the discriminator wins outright and the "
                      "generator's gradient vanishes (a collapse, or a run that never started)",
                      static_cast<long long>(s.step), o_.saturated_real, o_.saturated_fake, static_cast<long long>(o_.saturated_steps));
        out.emplace_back(buf.data());
      }
    } else {
      saturated_ = 0;
    }
    spike(s.step, "D", s.d_loss, d_history_, out);
    spike(s.step, "G", s.g_loss, g_history_, out);
    return out;
  }

  /// Looks at an evaluation's class coverage. @return a warning when fewer classes are covered than at the previous
  /// evaluation, or fewer than half of them for the first time since they were last at least half.
  std::vector<std::string> observe_classes(std::int64_t step, int covered, int classes) {
    std::vector<std::string> out;
    const bool few = 2 * covered < classes, had_few = last_covered_ >= 0 && 2 * last_covered_ < classes;
    if (last_covered_ >= 0 && covered < last_covered_)
      out.push_back("step " + std::to_string(step) + ": classes covered fell from " + std::to_string(last_covered_) + " to " +
                    std::to_string(covered) + " of " + std::to_string(classes) + " (the generator is dropping modes)");
    else if (few && !had_few)
      out.push_back("step " + std::to_string(step) + ": only " + std::to_string(covered) + " of " + std::to_string(classes) +
                    " classes covered (the samples fall into few classes: a collapse, or a run that has not started yet)");
    last_covered_ = covered;
    return out;
  }

  /// Forgets the class coverage seen so far (after a resume, say). @param covered the coverage to compare with next,
  /// or -1 for none.
  void set_last_covered(int covered) { last_covered_ = covered; }
  /// The class coverage of the previous evaluation (-1 before any).
  int last_covered() const { return last_covered_; }

 private:
  struct History {
    std::deque<double> values;
    double sum = 0, sum_sq = 0;
    std::int64_t quiet_until = 0;
  };

  void spike(std::int64_t step, const char* name, double loss, History& h, std::vector<std::string>& out) const {
    if (!std::isfinite(loss)) return;  // non-finite losses are the divergence check's business
    const std::size_t window = static_cast<std::size_t>(o_.spike_window);
    if (h.values.size() == window && step >= h.quiet_until) {
      const double n = static_cast<double>(window), mean = h.sum / n;
      const double sd = std::sqrt(std::max(0.0, h.sum_sq / n - mean * mean));
      if (loss > mean + o_.spike_sigmas * sd && loss > mean + o_.spike_min_rise) {
        std::array<char, 256> buf{};
        std::snprintf(buf.data(), buf.size(), "step %lld: %s loss spiked to %.3g (mean %.3g, standard deviation %.3g over the last %d steps)",
                      static_cast<long long>(step), name, loss, mean, sd, o_.spike_window);
        out.emplace_back(buf.data());
        h.quiet_until = step + o_.spike_window;
      }
    }
    h.values.push_back(loss);
    h.sum += loss;
    h.sum_sq += loss * loss;
    if (h.values.size() > window) {
      const double old = h.values.front();
      h.values.pop_front();
      h.sum -= old;
      h.sum_sq -= old * old;
    }
  }

  CollapseOptions o_;
  std::int64_t saturated_ = 0;
  History d_history_, g_history_;
  int last_covered_ = -1;
};

/// What TrainingMonitor::evaluate() concluded.
struct MonitorVerdict {
  bool improved = false;              ///< a new best: the state was saved to the best path
  bool stop = false;                  ///< early stopping says stop
  std::vector<std::string> warnings;  ///< collapse warnings raised by this evaluation
};

/// Early stopping and collapse warnings for a GanTrainer run, with the best state kept on disk.
///
/// The caller trains, and passes each step's stats to observe(); now and then it scores the run its own way (FID of
/// a few thousand samples, or anything else: the monitor never generates or scores itself, so a test can inject any
/// score) and passes the score to evaluate(). On a new best, evaluate() saves the TrainingState, plus whatever the
/// caller's `decorate` adds, to `best_path` atomically (Checkpoint::save), with the entries monitor.best_step and
/// monitor.best_score; restore_best() loads it back.
/// @tparam Scalar the models' scalar type.
template <typename Scalar>
class TrainingMonitor {
 public:
  /// @param state the run's objects; they must outlive the monitor.
  /// @param best_path where the best state is saved (e.g. OUT/best.ganpp); empty: kept nowhere.
  /// @param stopping the early-stopping rule (its goal says which way the score improves).
  /// @param collapse the collapse warnings' thresholds.
  /// @param decorate adds the caller's own entries (data position, settings) to each best checkpoint; may be empty.
  TrainingMonitor(TrainingState<Scalar> state, std::string best_path, EarlyStopping stopping, const CollapseOptions& collapse = {},
                  std::function<void(Checkpoint&)> decorate = {})
      : state_(state), best_path_(std::move(best_path)), stopping_(stopping), watch_(collapse), decorate_(std::move(decorate)) {}

  /// Looks at a training step for the signs of collapse. @return the warnings raised (usually none).
  std::vector<std::string> observe(const StepStats& s) { return watch_.observe(s); }

  /// Records an evaluation of the current state: `score` is the monitored value, `classes_covered` (or -1) feeds
  /// the mode-dropping warning. On a new best, saves the state to the best path first.
  /// @param score the monitored score (its direction is the EarlyStopping's goal).
  /// @param classes_covered classes the samples cover, or -1 when not measured.
  /// @param classes the number of classes (for the warning's text).
  /// @throws divergence_error if the state holds a non-finite parameter; io_error if the best file cannot be written.
  MonitorVerdict evaluate(double score, int classes_covered = -1, int classes = 10) {
    MonitorVerdict v;
    const std::int64_t step = state_.trainer.steps();
    v.improved = stopping_.update(step, score);
    if (v.improved && !best_path_.empty()) {
      Checkpoint c;
      state_.save(c);
      if (decorate_) decorate_(c);
      c.put_text("monitor.best_step", std::to_string(step));
      std::array<char, 32> buf{};
      std::snprintf(buf.data(), buf.size(), "%.17g", score);
      c.put_text("monitor.best_score", buf.data());
      c.save(best_path_);
    }
    if (classes_covered >= 0) v.warnings = watch_.observe_classes(step, classes_covered, classes);
    v.stop = stopping_.should_stop();
    return v;
  }

  /// True once early stopping says stop.
  bool should_stop() const { return stopping_.should_stop(); }
  /// The early-stopping record (best score and step, stale evaluations).
  const EarlyStopping& stopping() const { return stopping_; }
  /// Where the best state goes.
  const std::string& best_path() const { return best_path_; }

  /// Loads the best state saved so far back into the run's objects. @return the checkpoint read, for the caller's
  /// own entries. @throws io_error when there is no best file or it does not fit the state.
  Checkpoint restore_best() {
    Checkpoint c = Checkpoint::load(best_path_);
    state_.load(c);
    return c;
  }

  /// Adds the monitor's record to a checkpoint of the run (entry monitor.state), so a resumed run keeps its best and
  /// its patience count. @param c the checkpoint being written.
  void save(Checkpoint& c) const { c.put_text("monitor.state", stopping_.state() + " " + std::to_string(watch_.last_covered())); }

  /// Restores the record save() added; a checkpoint without it (written without a monitor) leaves a fresh record.
  /// @param c the checkpoint being read. @throws io_error for a malformed record.
  void load(const Checkpoint& c) {
    if (!c.has("monitor.state")) return;
    const std::string text = c.text("monitor.state");
    const std::size_t last = text.find_last_of(' ');
    int covered = -1;
    if (last != std::string::npos) {
      try {
        covered = std::stoi(text.substr(last + 1));
      } catch (const std::exception&) {
        throw io_error("TrainingMonitor::load(): monitor.state '" + text.substr(0, 60) + "' is malformed");
      }
    }
    stopping_.set_state(last == std::string::npos ? text : text.substr(0, last));
    watch_.set_last_covered(covered);
  }

 private:
  TrainingState<Scalar> state_;
  std::string best_path_;
  EarlyStopping stopping_;
  CollapseWatch watch_;
  std::function<void(Checkpoint&)> decorate_;
};

}  // namespace ganpp
