// SPDX-License-Identifier: MIT
// The two-player game's losses, computed stably from the discriminator's logits, with their gradients.
#pragma once

#include "error.hpp"
#include "tensor.hpp"

#include <cmath>
#include <string>

namespace ganpp {

/// Which game G and D play. Each loss is a mean over the batch.
enum class LossKind {
  minimax,         ///< Goodfellow et al. 2014: D maximises log D(x) + log(1 - D(G(z))); G minimises log(1 - D(G(z))) (saturates).
  non_saturating,  ///< Same D; G maximises log D(G(z)) instead (the default, and PyTorch's usual recipe).
  least_squares,   ///< LSGAN (Mao et al. 2017): D: (D(x) - 1)^2 / 2 + D(G(z))^2 / 2; G: (D(G(z)) - 1)^2 / 2, on raw outputs.
  wasserstein,     ///< WGAN (Arjovsky et al. 2017): critic: D(G(z)) - D(x); G: -D(G(z)). Pair with weight clipping or a penalty.
  hinge,           ///< Hinge (Lim & Ye 2017; Miyato et al. 2018): D: relu(1 - D(x)) + relu(1 + D(G(z))); G: -D(G(z)).
};

inline std::string to_string(LossKind k) {
  switch (k) {
    case LossKind::minimax: return "minimax";
    case LossKind::non_saturating: return "non_saturating";
    case LossKind::least_squares: return "least_squares";
    case LossKind::wasserstein: return "wasserstein";
    case LossKind::hinge: return "hinge";
  }
  return "unknown";
}

/// log(1 + exp(x)) without overflow or loss of precision.
template <typename Scalar>
Scalar softplus(Scalar x) {
  return std::max(x, Scalar(0)) + std::log1p(std::exp(-std::abs(x)));
}
/// 1 / (1 + exp(-x)) without overflow.
template <typename Scalar>
Scalar sigmoid(Scalar x) {
  if (x >= 0) return Scalar(1) / (Scalar(1) + std::exp(-x));
  const Scalar e = std::exp(x);
  return e / (Scalar(1) + e);
}

/// The losses of one game. Each function takes the discriminator's outputs for a batch (any shape, one value
/// per sample), returns the mean loss and writes dLoss/dLogits into grad (same shape).
/// The discriminator's loss is discriminator_real() + discriminator_fake().
template <typename Scalar = float>
class GanLoss {
 public:
  explicit GanLoss(LossKind kind = LossKind::non_saturating) : kind_(kind) {}
  LossKind kind() const { return kind_; }

  /// D's loss on real samples.
  Scalar discriminator_real(const Tensor<Scalar>& logits, Tensor<Scalar>& grad) const {
    return apply(logits, grad, "discriminator_real", [this](Scalar r, Scalar& g) -> Scalar {
      switch (kind_) {
        case LossKind::minimax:
        case LossKind::non_saturating: g = sigmoid(r) - Scalar(1); return softplus(-r);  // -log sigmoid(r)
        case LossKind::least_squares: g = r - Scalar(1); return Scalar(0.5) * (r - 1) * (r - 1);
        case LossKind::wasserstein: g = Scalar(-1); return -r;
        case LossKind::hinge: g = r < 1 ? Scalar(-1) : Scalar(0); return std::max(Scalar(0), Scalar(1) - r);
      }
      return Scalar(0);
    });
  }
  /// D's loss on generated samples.
  Scalar discriminator_fake(const Tensor<Scalar>& logits, Tensor<Scalar>& grad) const {
    return apply(logits, grad, "discriminator_fake", [this](Scalar f, Scalar& g) -> Scalar {
      switch (kind_) {
        case LossKind::minimax:
        case LossKind::non_saturating: g = sigmoid(f); return softplus(f);  // -log(1 - sigmoid(f))
        case LossKind::least_squares: g = f; return Scalar(0.5) * f * f;
        case LossKind::wasserstein: g = Scalar(1); return f;
        case LossKind::hinge: g = f > -1 ? Scalar(1) : Scalar(0); return std::max(Scalar(0), Scalar(1) + f);
      }
      return Scalar(0);
    });
  }
  /// G's loss on the discriminator's outputs for generated samples.
  Scalar generator(const Tensor<Scalar>& logits, Tensor<Scalar>& grad) const {
    return apply(logits, grad, "generator", [this](Scalar f, Scalar& g) -> Scalar {
      switch (kind_) {
        case LossKind::minimax: g = -sigmoid(f); return -softplus(f);  // log(1 - sigmoid(f))
        case LossKind::non_saturating: g = sigmoid(f) - Scalar(1); return softplus(-f);
        case LossKind::least_squares: g = f - Scalar(1); return Scalar(0.5) * (f - 1) * (f - 1);
        case LossKind::wasserstein:
        case LossKind::hinge: g = Scalar(-1); return -f;
      }
      return Scalar(0);
    });
  }

 private:
  template <typename F>
  Scalar apply(const Tensor<Scalar>& logits, Tensor<Scalar>& grad, const char* method, F term) const {
    const Index n = logits.size();
    if (n == 0 || logits.batch() != n)
      throw shape_error(std::string("GanLoss::") + method + "(): expected one output per sample, got shape " + logits.shape().str());
    grad.resize(logits.shape());
    double total = 0;
    const Scalar inv_n = Scalar(1) / static_cast<Scalar>(n);
    for (Index i = 0; i < n; ++i) {
      Scalar g = 0;
      total += term(logits[i], g);
      grad[i] = g * inv_n;
    }
    return static_cast<Scalar>(total / static_cast<double>(n));
  }

  LossKind kind_;
};

}  // namespace ganpp
