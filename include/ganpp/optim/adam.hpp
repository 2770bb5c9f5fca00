// SPDX-License-Identifier: MIT
/// @file
/// Adam (Kingma & Ba 2015) with bias correction and optional L2 weight decay, as PyTorch's torch.optim.Adam.
#pragma once

#include "optimizer.hpp"

#include <cmath>
#include <type_traits>

namespace ganpp {

/// Hyperparameters of Adam, with PyTorch's defaults (DCGAN uses lr 2e-4, beta1 0.5).
struct AdamOptions {
  /// @var lr
  /// Learning rate; must be > 0.
  /// @var beta1
  /// Decay of the first-moment average m, in [0, 1).
  /// @var beta2
  /// Decay of the second-moment average v, in [0, 1).
  /// @var eps
  /// Added to sqrt(v) in the denominator; must be > 0.
  /// @var weight_decay
  /// L2 penalty added to the gradient (g + weight_decay * p, not decoupled as in AdamW); must be >= 0.
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
};

/// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps).
template <typename Scalar = float>
class Adam : public Optimizer<Scalar> {
 public:
  /// Adds the state slots "exp_avg" (m) and "exp_avg_sq" (v), both zero.
  /// @param params the parameters to update (see Optimizer).
  /// @param o the hyperparameters.
  /// @throws argument_error for an empty params, lr <= 0, a beta outside [0, 1), eps <= 0 or a negative weight_decay.
  Adam(std::vector<Parameter<Scalar>> params, const AdamOptions& o = {}) : Optimizer<Scalar>(std::move(params), o.lr, "Adam"), o_(o) {
    if (!(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1))
      throw argument_error("Adam::Adam(): betas must be in [0, 1), got " + std::to_string(o.beta1) + ", " + std::to_string(o.beta2));
    if (!(o.eps > 0) || o.weight_decay < 0) throw argument_error("Adam::Adam(): eps must be positive and weight_decay non-negative");
    m_slot_ = this->add_slot("exp_avg");
    v_slot_ = this->add_slot("exp_avg_sq");
  }

 protected:
  /// One Adam update of parameter i's elements [offset, offset + n).
  void update(std::size_t i, Scalar* value, const Scalar* grad, Index offset, Index n) override { update_checked(i, value, grad, offset, n); }

  /// update(), and whether the updated values are finite, checked in the same pass.
  bool update_checked(std::size_t i, Scalar* value, const Scalar* grad, Index offset, Index n) override {
    const double t = static_cast<double>(this->step_);
    const Scalar b1 = static_cast<Scalar>(o_.beta1), b2 = static_cast<Scalar>(o_.beta2), wd = static_cast<Scalar>(o_.weight_decay);
    const Scalar step_size = static_cast<Scalar>(this->learning_rate(i) / (1.0 - std::pow(o_.beta1, t)));
    const Scalar inv_sqrt_bc2 = static_cast<Scalar>(1.0 / std::sqrt(1.0 - std::pow(o_.beta2, t)));
    const Scalar eps = static_cast<Scalar>(o_.eps);
    Scalar* m = this->slot(m_slot_, i, offset, n).data();
    Scalar* v = this->slot(v_slot_, i, offset, n).data();
    // One pass over the range, every value loaded once: as three Eigen assignments the update read it three times
    // and was a fifth slower. Eigen's packet functions, so sqrt is the one Eigen's arrays use.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"  // a SIMD type as a template argument drops its alignment attribute
#endif
    using namespace Eigen::internal;
    using Packet = typename packet_traits<Scalar>::type;
    constexpr Index width = packet_traits<Scalar>::size;
    auto one = [&](auto g, auto& p, auto& mi, auto& vi) {  // T: a Packet, or a Scalar for the tail
      using T = std::decay_t<decltype(p)>;
      if (wd != 0) g = padd(g, pmul(pset1<T>(wd), p));
      mi = padd(pmul(pset1<T>(b1), mi), pmul(pset1<T>(1 - b1), g));
      vi = padd(pmul(pset1<T>(b2), vi), pmul(pset1<T>(1 - b2), pmul(g, g)));
      p = psub(p, pdiv(pmul(pset1<T>(step_size), mi), padd(pmul(psqrt(vi), pset1<T>(inv_sqrt_bc2)), pset1<T>(eps))));
    };
    // x * 0 is 0 for finite x and NaN for inf or NaN: one sum tells whether every updated value is finite.
    Packet nonfinite = pset1<Packet>(Scalar(0));
    Index k = 0;
    for (; k + width <= n; k += width) {
      Packet p = ploadu<Packet>(value + k), mi = ploadu<Packet>(m + k), vi = ploadu<Packet>(v + k);
      one(ploadu<Packet>(grad + k), p, mi, vi);
      pstoreu(value + k, p);
      pstoreu(m + k, mi);
      pstoreu(v + k, vi);
      nonfinite = padd(nonfinite, pmul(p, pset1<Packet>(Scalar(0))));
    }
    Scalar tail = 0;
    for (; k < n; ++k) {  // the tail, element by element, same arithmetic
      one(grad[k], value[k], m[k], v[k]);
      tail += value[k] * Scalar(0);
    }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
    return predux(nonfinite) + tail == Scalar(0);
  }

 private:
  AdamOptions o_;
  std::size_t m_slot_ = 0, v_slot_ = 0;
};

}  // namespace ganpp
