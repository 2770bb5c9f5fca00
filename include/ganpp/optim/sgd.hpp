// SPDX-License-Identifier: MIT
/// @file
/// SGD with momentum, Nesterov momentum and L2 weight decay, as PyTorch defines them.
#pragma once

#include "optimizer.hpp"

namespace ganpp {

/// Hyperparameters of Sgd: plain SGD by default (no momentum, no weight decay), as in PyTorch.
struct SgdOptions {
  /// @var lr
  /// Learning rate; must be > 0.
  /// @var momentum
  /// Momentum of the velocity buffer; 0 for plain SGD; must be >= 0.
  /// @var weight_decay
  /// L2 penalty added to the gradient (g + weight_decay * p); must be >= 0.
  double lr = 0.01, momentum = 0.0, weight_decay = 0.0;
  /// Nesterov momentum; needs momentum > 0.
  bool nesterov = false;
};

/// g += weight_decay * p; buf = momentum * buf + g (buf = g on the first step); p -= lr * (nesterov ? g + momentum * buf : buf).
template <typename Scalar = float>
class Sgd : public Optimizer<Scalar> {
 public:
  /// Adds the state slot "momentum_buffer" when momentum > 0.
  /// @param params the parameters to update (see Optimizer).
  /// @param o the hyperparameters.
  /// @throws argument_error for an empty params, lr <= 0, a negative momentum or weight_decay, or nesterov without momentum.
  Sgd(std::vector<Parameter<Scalar>> params, const SgdOptions& o = {}) : Optimizer<Scalar>(std::move(params), o.lr, "Sgd"), o_(o) {
    if (o.momentum < 0 || o.weight_decay < 0) throw argument_error("Sgd::Sgd(): momentum and weight_decay must be non-negative");
    if (o.nesterov && o.momentum <= 0) throw argument_error("Sgd::Sgd(): Nesterov momentum needs momentum > 0");
    if (o.momentum > 0) momentum_slot_ = this->add_slot("momentum_buffer");
  }

 protected:
  /// One SGD update of parameter i's elements [offset, offset + n).
  void update(std::size_t i, Scalar* value, const Scalar* g, Index offset, Index n) override {
    const Scalar lr = static_cast<Scalar>(this->learning_rate(i)), mu = static_cast<Scalar>(o_.momentum), wd = static_cast<Scalar>(o_.weight_decay);
    Scalar* buf = o_.momentum > 0 ? this->slot(momentum_slot_, i, offset, n).data() : nullptr;
    const bool first = this->step_ == 1;
    for (Index k = 0; k < n; ++k) {
      Scalar d = g[k] + wd * value[k];
      if (buf) {
        buf[k] = first ? d : mu * buf[k] + d;
        d = o_.nesterov ? d + mu * buf[k] : buf[k];
      }
      value[k] -= lr * d;
    }
  }

 private:
  SgdOptions o_;
  std::size_t momentum_slot_ = 0;
};

}  // namespace ganpp
