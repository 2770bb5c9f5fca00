// SPDX-License-Identifier: MIT
/// @file
/// Optimizer<Scalar>: updates one model's parameters from their gradients; its state can be saved and restored.
#pragma once

#include "../error.hpp"
#include "../detail/parallel.hpp"
#include "../parameter.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace ganpp {

/// Everything an optimizer needs to continue exactly where it stopped: its kind, its step count and its
/// per-parameter tensors (named "<slot>.<parameter name>", e.g. "exp_avg.0.weight").
template <typename Scalar>
struct OptimizerState {
  /// The optimizer class that saved the state ("Adam", "RmsProp", "Sgd"); load_state() requires the same.
  std::string kind;
  /// Number of step() calls made (Adam's bias correction depends on it).
  std::int64_t step = 0;
  /// The per-parameter state tensors (copies), slot by slot and, within a slot, in parameter order.
  std::vector<std::pair<std::string, Tensor<Scalar>>> tensors;
};

/// Base of the optimizers. Bound at construction to one model's parameters, so a generator's optimizer can never
/// touch the discriminator. Subclasses implement update() for a contiguous range of one parameter; step() splits
/// the parameters into ranges that threads update in parallel (each element's arithmetic is independent, so the
/// result does not depend on the thread count).
template <typename Scalar>
class Optimizer {
 public:
  /// @param params the parameters to update, from one model's parameters(); the pointers must stay valid as long as the
  /// optimizer is used.
  /// @param lr learning rate; must be > 0.
  /// @param kind the subclass's name, recorded in the state and used in error messages.
  /// @throws argument_error when params is empty or lr is not > 0.
  Optimizer(std::vector<Parameter<Scalar>> params, double lr, const char* kind) : params_(std::move(params)), lr_(lr), kind_(kind) {
    if (params_.empty()) throw argument_error(std::string(kind) + "::" + kind + "(): no parameters to optimize");
    if (!(lr > 0)) throw argument_error(std::string(kind) + "::" + kind + "(): learning rate must be positive, got " + std::to_string(lr));
    for (const auto& p : params_)
      if (!(p.lr_scale > 0) || !std::isfinite(p.lr_scale))
        throw argument_error(std::string(kind) + "::" + kind + "(): parameter " + p.name + " has lr_scale " + std::to_string(p.lr_scale) + ", must be positive and finite");
    for (std::size_t i = 0; i < params_.size(); ++i)
      for (Index b = 0; b < params_[i].value->size(); b += kChunk) chunks_.push_back({i, b, std::min(params_[i].value->size(), b + kChunk)});
  }
  /// Virtual, so that an optimizer can be owned through an Optimizer pointer.
  virtual ~Optimizer() = default;

  /// Applies one update to every parameter from its accumulated gradient.
  /// @return whether every updated parameter is finite (a non-finite gradient makes its parameter non-finite).
  bool step() {
    ++step_;
    bool finite = true;
    const auto n = static_cast<std::ptrdiff_t>(chunks_.size());
    // One chunk's update; returns whether the updated values are finite.
    auto update_chunk = [&](std::ptrdiff_t c) {
      const Chunk& k = chunks_[static_cast<std::size_t>(c)];
      Tensor<Scalar>& value = *params_[k.param].value;
      return update_checked(k.param, value.data() + k.begin, params_[k.param].grad->data() + k.begin, k.begin, k.end - k.begin);
    };
#ifdef _OPENMP
    if (n > 1 && detail::can_parallelize()) {  // no region otherwise: libgomp would allocate a team per call
#pragma omp parallel for schedule(static) reduction(&& : finite)
      for (std::ptrdiff_t c = 0; c < n; ++c) finite = update_chunk(c) && finite;
      return finite;
    }
#endif
    for (std::ptrdiff_t c = 0; c < n; ++c) finite = update_chunk(c) && finite;
    return finite;
  }
  /// Zeroes every gradient, in the same parallel ranges as step().
  void zero_grad() {
    const auto n = static_cast<std::ptrdiff_t>(chunks_.size());
    detail::parallel_for(n, true, [&](Index c) {
      const Chunk& k = chunks_[static_cast<std::size_t>(c)];
      Scalar* grad = params_[k.param].grad->data();
      std::fill(grad + k.begin, grad + k.end, Scalar(0));
    });
  }

  /// The current learning rate.
  double learning_rate() const { return lr_; }
  /// The learning rate parameter i is updated with: learning_rate() times its Parameter::lr_scale.
  /// @param i the parameter's index in parameters().
  double learning_rate(std::size_t i) const { return lr_ * params_.at(i).lr_scale; }
  /// Changes the learning rate for the next step() calls (for schedules); the state is kept.
  /// @throws argument_error when lr is not > 0.
  void set_learning_rate(double lr) {
    if (!(lr > 0)) throw argument_error(kind_ + "::set_learning_rate(): learning rate must be positive, got " + std::to_string(lr));
    lr_ = lr;
  }
  /// Number of step() calls made, including those restored by load_state().
  std::int64_t steps() const { return step_; }
  /// The parameters this optimizer updates, in the order given at construction; valid while the optimizer lives.
  const std::vector<Parameter<Scalar>>& parameters() const { return params_; }

  /// A copy of the state, for checkpoints: kind, step count and per-parameter tensors.
  OptimizerState<Scalar> state() const {
    OptimizerState<Scalar> s{kind_, step_, {}};
    for (std::size_t k = 0; k < slots_.size(); ++k)
      for (std::size_t i = 0; i < params_.size(); ++i) s.tensors.emplace_back(slot_names_[k] + "." + params_[i].name, slots_[k][i]);
    return s;
  }
  /// Restores a saved state; throws io_error naming what does not match this optimizer and its parameters.
  void load_state(const OptimizerState<Scalar>& s) {
    if (s.kind != kind_) throw io_error(kind_ + "::load_state(): state was saved by a " + s.kind + " optimizer");
    const std::int64_t saved_step = s.step;  // a named copy: `s.step < 0 || s.step > x` parses as a template in GCC 12
    if (saved_step < 0 || saved_step > (std::int64_t{1} << 62))
      throw io_error(kind_ + "::load_state(): step count " + std::to_string(saved_step) + " out of range: expected 0 to 2^62");
    if (s.tensors.size() != slots_.size() * params_.size())
      throw io_error(kind_ + "::load_state(): expected " + std::to_string(slots_.size() * params_.size()) + " tensors, got " + std::to_string(s.tensors.size()));
    std::size_t t = 0;
    for (std::size_t k = 0; k < slots_.size(); ++k)
      for (std::size_t i = 0; i < params_.size(); ++i, ++t) {
        const auto& [name, value] = s.tensors[t];
        const std::string expected = slot_names_[k] + "." + params_[i].name;
        if (name != expected) throw io_error(kind_ + "::load_state(): expected tensor " + expected + ", got " + name);
        if (value.shape() != params_[i].value->shape())
          throw io_error(kind_ + "::load_state(): " + name + " has shape " + value.shape().str() + ", parameter has " + params_[i].value->shape().str());
      }
    t = 0;
    for (std::size_t k = 0; k < slots_.size(); ++k)
      for (std::size_t i = 0; i < params_.size(); ++i, ++t) slots_[k][i].assign(s.tensors[t].second);
    step_ = s.step;
  }

 protected:
  /// Writable flat map over a range of a parameter or slot, for update()'s element-wise math.
  using ArrayMap = Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>>;
  /// Read-only flat map over a range, for gradients.
  using ConstArrayMap = Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, 1>>;

  /// Updates elements [offset, offset + count) of parameter `index`; `value` and `grad` point at the first of them.
  virtual void update(std::size_t index, Scalar* value, const Scalar* grad, Index offset, Index count) = 0;
  /// update(), then whether the updated values are all finite. An optimizer may override it to check in the same
  /// pass as its update.
  virtual bool update_checked(std::size_t index, Scalar* value, const Scalar* grad, Index offset, Index count) {
    update(index, value, grad, offset, count);
    // Checked while the range is still in cache: x * 0 is 0 for finite x and NaN for inf or NaN, and a sum
    // vectorises where a per-element isfinite() does not.
    return (ConstArrayMap(value, count) * Scalar(0)).sum() == Scalar(0);
  }

  /// Adds a per-parameter state slot (zeros shaped like each parameter); returns its index.
  std::size_t add_slot(const std::string& name) {
    std::vector<Tensor<Scalar>> slot;
    for (auto& p : params_) slot.emplace_back(p.value->shape());
    slots_.push_back(std::move(slot));
    slot_names_.push_back(name);
    return slots_.size() - 1;
  }
  /// The part of slot k that belongs to parameter i's elements [offset, offset + count).
  ArrayMap slot(std::size_t k, std::size_t i, Index offset, Index count) { return ArrayMap(slots_[k][i].data() + offset, count); }

  /// For subclasses: the parameters, in construction order (update()'s index refers to this vector).
  std::vector<Parameter<Scalar>> params_;
  /// For subclasses: the current learning rate, read at each update().
  double lr_;
  /// The subclass's name, for the state and error messages.
  std::string kind_;
  /// For subclasses: step() calls so far, already incremented for the step being applied (1 on the first).
  std::int64_t step_ = 0;

 private:
  struct Chunk {
    std::size_t param;
    Index begin, end;
  };
  static constexpr Index kChunk = 16384;  // elements per parallel work item: fits in L2 with its state

  std::vector<std::vector<Tensor<Scalar>>> slots_;
  std::vector<std::string> slot_names_;
  std::vector<Chunk> chunks_;
};

}  // namespace ganpp
