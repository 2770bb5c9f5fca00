// SPDX-License-Identifier: MIT
// Optimizer<Scalar>: updates one model's parameters from their gradients; its state can be saved and restored.
#pragma once

#include "../error.hpp"
#include "../layers/layer.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace ganpp {

/// Everything an optimizer needs to continue exactly where it stopped: its kind, its step count and its
/// per-parameter tensors (named "<slot>.<parameter name>", e.g. "exp_avg.0.weight").
template <typename Scalar>
struct OptimizerState {
  std::string kind;
  std::int64_t step = 0;
  std::vector<std::pair<std::string, Tensor<Scalar>>> tensors;
};

/// Base of the optimizers. Bound at construction to one model's parameters, so a generator's optimizer can never
/// touch the discriminator. Subclasses implement update() for one parameter.
template <typename Scalar>
class Optimizer {
 public:
  Optimizer(std::vector<Parameter<Scalar>> params, double lr, const char* kind) : params_(std::move(params)), lr_(lr), kind_(kind) {
    if (params_.empty()) throw argument_error(std::string(kind) + "::" + kind + "(): no parameters to optimize");
    if (!(lr > 0)) throw argument_error(std::string(kind) + "::" + kind + "(): learning rate must be positive, got " + std::to_string(lr));
  }
  virtual ~Optimizer() = default;

  /// Applies one update to every parameter from its accumulated gradient.
  void step() {
    ++step_;
    for (std::size_t i = 0; i < params_.size(); ++i) update(i, *params_[i].value, *params_[i].grad);
  }
  void zero_grad() {
    for (auto& p : params_) p.grad->set_zero();
  }

  double learning_rate() const { return lr_; }
  void set_learning_rate(double lr) {
    if (!(lr > 0)) throw argument_error(kind_ + "::set_learning_rate(): learning rate must be positive, got " + std::to_string(lr));
    lr_ = lr;
  }
  std::int64_t steps() const { return step_; }
  const std::vector<Parameter<Scalar>>& parameters() const { return params_; }

  OptimizerState<Scalar> state() const {
    OptimizerState<Scalar> s{kind_, step_, {}};
    for (std::size_t k = 0; k < slots_.size(); ++k)
      for (std::size_t i = 0; i < params_.size(); ++i) s.tensors.emplace_back(slot_names_[k] + "." + params_[i].name, slots_[k][i]);
    return s;
  }
  /// Restores a saved state; throws io_error naming what does not match this optimizer and its parameters.
  void load_state(const OptimizerState<Scalar>& s) {
    if (s.kind != kind_) throw io_error(kind_ + "::load_state(): state was saved by a " + s.kind + " optimizer");
    if (s.step < 0) throw io_error(kind_ + "::load_state(): negative step count");
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
  virtual void update(std::size_t index, Tensor<Scalar>& value, const Tensor<Scalar>& grad) = 0;

  /// Adds a per-parameter state slot (zeros shaped like each parameter); returns its index.
  std::size_t add_slot(const std::string& name) {
    std::vector<Tensor<Scalar>> slot;
    for (auto& p : params_) slot.emplace_back(p.value->shape());
    slots_.push_back(std::move(slot));
    slot_names_.push_back(name);
    return slots_.size() - 1;
  }
  Tensor<Scalar>& slot(std::size_t k, std::size_t i) { return slots_[k][i]; }

  std::vector<Parameter<Scalar>> params_;
  double lr_;
  std::string kind_;
  std::int64_t step_ = 0;

 private:
  std::vector<std::vector<Tensor<Scalar>>> slots_;
  std::vector<std::string> slot_names_;
};

}  // namespace ganpp
