// SPDX-License-Identifier: MIT
/// @file
/// RMSProp (Tieleman & Hinton 2012) with optional momentum, as PyTorch's torch.optim.RMSprop.
#pragma once

#include "optimizer.hpp"

#include <cmath>

namespace ganpp {

/// Hyperparameters of RmsProp, with PyTorch's defaults.
struct RmsPropOptions {
  /// @var lr
  /// Learning rate; must be > 0.
  /// @var alpha
  /// Decay of the squared-gradient average s, in [0, 1).
  /// @var eps
  /// Added to sqrt(s) in the denominator; must be > 0.
  /// @var momentum
  /// Momentum of the step buffer; 0 for none; must be >= 0.
  /// @var weight_decay
  /// L2 penalty added to the gradient (g + weight_decay * p); must be >= 0.
  double lr = 1e-2, alpha = 0.99, eps = 1e-8, momentum = 0.0, weight_decay = 0.0;
};

/// s = alpha s + (1 - alpha) g^2; step = g / (sqrt(s) + eps); with momentum buf = momentum buf + step, p -= lr buf,
/// else p -= lr step. WGAN's recipe uses RMSProp with lr 5e-5.
template <typename Scalar = float>
class RmsProp : public Optimizer<Scalar> {
 public:
  /// Adds the state slot "square_avg", and "momentum_buffer" when momentum > 0, all zero.
  /// @param params the parameters to update (see Optimizer).
  /// @param o the hyperparameters.
  /// @throws argument_error for an empty params, lr <= 0, alpha outside [0, 1), eps <= 0, or a negative momentum or
  /// weight_decay.
  RmsProp(std::vector<Parameter<Scalar>> params, const RmsPropOptions& o = {}) : Optimizer<Scalar>(std::move(params), o.lr, "RmsProp"), o_(o) {
    if (!(o.alpha >= 0 && o.alpha < 1) || !(o.eps > 0) || o.momentum < 0 || o.weight_decay < 0)
      throw argument_error("RmsProp::RmsProp(): need alpha in [0, 1), eps > 0, momentum and weight_decay >= 0");
    sq_slot_ = this->add_slot("square_avg");
    if (o.momentum > 0) momentum_slot_ = this->add_slot("momentum_buffer");
  }

 protected:
  /// One RmsProp update of parameter i's elements [offset, offset + n).
  void update(std::size_t i, Scalar* value, const Scalar* g, Index offset, Index n) override {
    const Scalar lr = static_cast<Scalar>(this->learning_rate(i)), a = static_cast<Scalar>(o_.alpha), eps = static_cast<Scalar>(o_.eps);
    const Scalar mu = static_cast<Scalar>(o_.momentum), wd = static_cast<Scalar>(o_.weight_decay);
    Scalar* s = this->slot(sq_slot_, i, offset, n).data();
    Scalar* buf = o_.momentum > 0 ? this->slot(momentum_slot_, i, offset, n).data() : nullptr;
    for (Index k = 0; k < n; ++k) {
      const Scalar d = g[k] + wd * value[k];
      s[k] = a * s[k] + (1 - a) * d * d;
      const Scalar step = d / (std::sqrt(s[k]) + eps);
      if (buf) {
        buf[k] = mu * buf[k] + step;
        value[k] -= lr * buf[k];
      } else {
        value[k] -= lr * step;
      }
    }
  }

 private:
  RmsPropOptions o_;
  std::size_t sq_slot_ = 0, momentum_slot_ = 0;
};

}  // namespace ganpp
