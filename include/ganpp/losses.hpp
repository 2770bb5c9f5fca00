// SPDX-License-Identifier: MIT
/// @file
/// The two-player game's losses, computed stably from the discriminator's logits, with their gradients.
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
  /// Relativistic average GAN, standard (BCE) form (RaSGAN, Jolicoeur-Martineau 2018): with a = D(x) - mean D(G(z))
  /// and b = D(G(z)) - mean D(x), D: -log sigmoid(a) - log(1 - sigmoid(b)); G: -log sigmoid(b) - log(1 - sigmoid(a)).
  /// Both losses need both batches' logits: use GanLoss::discriminator_relativistic() and generator_relativistic().
  relativistic,
};

/// The enumerator's name, as written in code: "non_saturating" for LossKind::non_saturating.
inline std::string to_string(LossKind k) {
  switch (k) {
    case LossKind::minimax: return "minimax";
    case LossKind::non_saturating: return "non_saturating";
    case LossKind::least_squares: return "least_squares";
    case LossKind::wasserstein: return "wasserstein";
    case LossKind::hinge: return "hinge";
    case LossKind::relativistic: return "relativistic";
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
/// The discriminator's loss is discriminator_real() + discriminator_fake(); for LossKind::relativistic, whose terms
/// couple the two batches, it is discriminator_relativistic() and G's is generator_relativistic().
template <typename Scalar = float>
class GanLoss {
 public:
  /// @param kind the loss of the game (see LossKind).
  /// @param real_label the target for real samples in D's loss: 1, or 0.9 for one-sided label smoothing (Salimans
  ///        et al. 2016, "Improved techniques for training GANs"). Applies to the BCE losses (minimax,
  ///        non_saturating, relativistic) and to least_squares (the LSGAN target b); must be 1 for the others.
  /// @throws argument_error for a real_label outside (0, 1], or != 1 with wasserstein or hinge.
  explicit GanLoss(LossKind kind = LossKind::non_saturating, double real_label = 1.0) : kind_(kind), real_label_(static_cast<Scalar>(real_label)) {
    if (!(real_label > 0 && real_label <= 1))
      throw argument_error("GanLoss::GanLoss(): real_label must be in (0, 1], got " + std::to_string(real_label));
    if (real_label != 1.0 && (kind == LossKind::wasserstein || kind == LossKind::hinge))
      throw argument_error("GanLoss::GanLoss(): label smoothing applies to the BCE and least-squares losses, not " + to_string(kind));
  }
  /// The loss of the game.
  LossKind kind() const { return kind_; }
  /// The target for real samples in D's loss (1 unless smoothed).
  Scalar real_label() const { return real_label_; }
  /// True for LossKind::relativistic, whose D and G losses take both batches' logits at once.
  bool relativistic() const { return kind_ == LossKind::relativistic; }

  /// D's loss on real samples.
  Scalar discriminator_real(const Tensor<Scalar>& logits, Tensor<Scalar>& grad) const {
    return apply(logits, grad, "discriminator_real", [this](Scalar r, Scalar& g) -> Scalar {
      switch (kind_) {
        case LossKind::minimax:
        case LossKind::non_saturating: return bce(r, real_label_, g);  // -log sigmoid(r) for label 1
        case LossKind::least_squares: g = r - real_label_; return Scalar(0.5) * (r - real_label_) * (r - real_label_);
        case LossKind::wasserstein: g = Scalar(-1); return -r;
        case LossKind::hinge: g = r < 1 ? Scalar(-1) : Scalar(0); return std::max(Scalar(0), Scalar(1) - r);
        case LossKind::relativistic: break;
      }
      throw argument_error("GanLoss::discriminator_real(): the relativistic loss needs both batches: use discriminator_relativistic()");
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
        case LossKind::relativistic: break;
      }
      throw argument_error("GanLoss::discriminator_fake(): the relativistic loss needs both batches: use discriminator_relativistic()");
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
        case LossKind::relativistic: break;
      }
      throw argument_error("GanLoss::generator(): the relativistic loss needs both batches: use generator_relativistic()");
    });
  }

  /// D's relativistic average loss on a real and a generated batch (LossKind::relativistic): the mean over reals of
  /// BCE(D(x) - mean D(G(z)), real_label) plus the mean over fakes of BCE(D(G(z)) - mean D(x), 0). Writes
  /// dLoss/dLogits for both batches (each logit also moves the other batch's terms through its mean).
  Scalar discriminator_relativistic(const Tensor<Scalar>& real_logits, const Tensor<Scalar>& fake_logits, Tensor<Scalar>& real_grad,
                                    Tensor<Scalar>& fake_grad) const {
    return relativistic_pair(real_logits, fake_logits, real_grad, fake_grad, real_label_, "discriminator_relativistic");
  }
  /// G's relativistic average loss: the same game with the roles swapped, the generated batch taking the real label
  /// 1 and the real batch the label 0. real_grad is written too, though no generator parameter depends on it.
  Scalar generator_relativistic(const Tensor<Scalar>& real_logits, const Tensor<Scalar>& fake_logits, Tensor<Scalar>& real_grad,
                                Tensor<Scalar>& fake_grad) const {
    return relativistic_pair(fake_logits, real_logits, fake_grad, real_grad, Scalar(1), "generator_relativistic");
  }

 private:
  /// Binary cross-entropy of a logit against target t, -t log sigmoid(x) - (1 - t) log(1 - sigmoid(x)); dBCE/dx in g.
  static Scalar bce(Scalar x, Scalar t, Scalar& g) {
    g = sigmoid(x) - t;
    return t == Scalar(1) ? softplus(-x) : t * softplus(-x) + (Scalar(1) - t) * softplus(x);
  }
  // The relativistic loss with batch `pos` pushed towards target t above the other batch's mean and `neg` pushed
  // below pos's mean: mean_i BCE(p_i - mean q, t) + mean_j BCE(q_j - mean p, 0).
  Scalar relativistic_pair(const Tensor<Scalar>& pos, const Tensor<Scalar>& neg, Tensor<Scalar>& pos_grad, Tensor<Scalar>& neg_grad, Scalar t,
                           const char* method) const {
    if (kind_ != LossKind::relativistic)
      throw argument_error(std::string("GanLoss::") + method + "(): this loss is " + to_string(kind_) + ", not relativistic");
    const Index n = pos.size(), m = neg.size();
    if (n == 0 || pos.batch() != n || m == 0 || neg.batch() != m)
      throw shape_error(std::string("GanLoss::") + method + "(): expected one output per sample, got shapes " + pos.shape().str() + " and " +
                        neg.shape().str());
    pos_grad.resize(pos.shape());
    neg_grad.resize(neg.shape());
    double pos_mean = 0, neg_mean = 0;
    for (Index i = 0; i < n; ++i) pos_mean += static_cast<double>(pos[i]);
    for (Index j = 0; j < m; ++j) neg_mean += static_cast<double>(neg[j]);
    const Scalar pm = static_cast<Scalar>(pos_mean / static_cast<double>(n)), nm = static_cast<Scalar>(neg_mean / static_cast<double>(m));
    const Scalar inv_n = Scalar(1) / static_cast<Scalar>(n), inv_m = Scalar(1) / static_cast<Scalar>(m);
    double total_pos = 0, total_neg = 0, sum_gp = 0, sum_gn = 0;
    for (Index i = 0; i < n; ++i) {
      Scalar g = 0;
      total_pos += static_cast<double>(bce(pos[i] - nm, t, g));
      pos_grad[i] = g * inv_n;
      sum_gp += static_cast<double>(g);
    }
    for (Index j = 0; j < m; ++j) {
      Scalar g = 0;
      total_neg += static_cast<double>(bce(neg[j] - pm, Scalar(0), g));
      neg_grad[j] = g * inv_m;
      sum_gn += static_cast<double>(g);
    }
    // Through the means: d(mean q)/dq_j = 1/m enters every pos term with a minus sign, and likewise for p.
    const Scalar shift_neg = static_cast<Scalar>(sum_gp / static_cast<double>(n)) * inv_m;
    const Scalar shift_pos = static_cast<Scalar>(sum_gn / static_cast<double>(m)) * inv_n;
    for (Index i = 0; i < n; ++i) pos_grad[i] -= shift_pos;
    for (Index j = 0; j < m; ++j) neg_grad[j] -= shift_neg;
    return static_cast<Scalar>(total_pos / static_cast<double>(n) + total_neg / static_cast<double>(m));
  }

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
  Scalar real_label_;
};

}  // namespace ganpp
