// SPDX-License-Identifier: MIT
/// @file
/// AdversarialSteps: the discriminator's update and the generator's adversarial term, written once for every
/// trainer (GanTrainer, Pix2PixTrainer, CycleGanTrainer, and any trainer that plays a GanLoss game).
#pragma once

#include "gradient_sync.hpp"
#include "losses.hpp"
#include "models.hpp"
#include "optim/optimizer.hpp"
#include "penalties.hpp"

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

namespace ganpp {

/// The options of the shared adversarial steps (a subset of TrainerOptions; each trainer copies its own in).
struct AdversarialOptions {
  bool check_finite = true;  ///< throw divergence_error as soon as a loss or parameter stops being finite
  double r1_gamma = 0.0;     ///< > 0: the R1 penalty on the real batch in D's step (see GradientPenalty::r1)
  double gp_lambda = 0.0;    ///< > 0: the WGAN-GP penalty on real/fake interpolates in D's step (see GradientPenalty::wgan_gp)
  double weight_clip = 0.0;  ///< > 0: clamp D's parameters to [-c, c] after its update (WGAN)
};

/// What one discriminator update did.
struct DiscriminatorStats {
  double loss = 0;     ///< D's loss on the two batches, penalties included
  double real = 0;     ///< mean sigmoid of D's logits on the real batch
  double fake = 0;     ///< mean sigmoid of D's logits on the generated batch
  double penalty = 0;  ///< the gradient penalties' part of loss
};

/// The two moves of the adversarial game, for any discriminator Model whose output is one logit per sample or a
/// logit map (a PatchGAN's (N, 1, H', W')):
///
/// - discriminator_step(): D on the real batch and the detached generated batch (gradients accumulate, batch
///   statistics per batch), the loss, the R1 / WGAN-GP penalties, the gradient-sync hook, the divergence checks,
///   the update and the weight clip. Complete: the caller only supplies the batches.
/// - generator_term(): G's adversarial loss through D frozen (no parameter gradient in D), returning D's input
///   gradient dLoss/d(fake). The caller routes it back through its generator(s), adds its own terms (L1, cycle,
///   content losses) and then calls update() on the generator's optimizer.
///
/// Over a logit map, the losses are means over every logit (GanLoss). The penalties differentiate the *sum* of
/// D's logits with respect to each input image, so for a map each image's gradient is that of the sum of its
/// patch logits: R1 is gamma/2 * mean_i |grad_{x_i} sum_p D_p(x_i)|^2, and WGAN-GP is
/// lambda * mean_i (|grad_{x_i} sum_p D_p(x^_i)| - 1)^2, as the PyTorch recipes compute them (autograd.grad with
/// grad_outputs of ones over the whole map). With one logit per sample the two conventions coincide.
///
/// Error messages start with the owner given at construction, e.g. "GanTrainer::step():".
/// @tparam Scalar float or double.
template <typename Scalar = float>
class AdversarialSteps {
 public:
  /// @param loss the game's loss.
  /// @param o the penalties, clip and divergence checks.
  /// @param owner the method named at the start of error messages, e.g. "GanTrainer::step()".
  /// @throws argument_error for a negative or NaN penalty weight or clip.
  AdversarialSteps(const GanLoss<Scalar>& loss, AdversarialOptions o, std::string owner) : loss_(loss), o_(o), owner_(std::move(owner)) {
    if (!(o.r1_gamma >= 0) || !(o.gp_lambda >= 0) || !(o.weight_clip >= 0))
      throw argument_error(owner_ + ": r1_gamma, gp_lambda and weight_clip must be >= 0");
  }

  /// Averages gradients and statistics through `sync` before each update (nullptr: none). With WGAN-GP, each
  /// replica draws its interpolation weights from a stream of its own, seeded from one draw of the shared stream and
  /// its rank. `sync` must outlive its use.
  void set_gradient_sync(GradientSync<Scalar>* sync) { sync_ = sync; }
  /// The game's loss.
  const GanLoss<Scalar>& loss() const { return loss_; }
  /// The options given at construction.
  const AdversarialOptions& options() const { return o_; }

  /// One update of d: real and fake batches backpropagated one after the other (gradients accumulating: the
  /// gradient of the summed loss with batch statistics taken per batch, as in the PyTorch recipe), penalties,
  /// sync, divergence checks, opt.step(), weight clip. fake is treated as detached: no input gradient is computed.
  /// @param d the discriminator (train mode is the caller's choice); left unfrozen.
  /// @param opt an optimizer over d's parameters; its gradients are zeroed first.
  /// @param real the real batch as d sees it (for a conditional PatchGAN, the (input, target) pairs).
  /// @param fake the generated batch as d sees it, of real's shape.
  /// @param labels class labels for a conditional d (nullptr otherwise).
  /// @param rng draws WGAN-GP's interpolation weights (untouched without gp_lambda).
  /// @param step the 1-based step, for error messages.
  /// @return the loss, mean sigmoids and penalty (averaged over replicas under a sync).
  /// @throws divergence_error (when check_finite) for a non-finite loss or update; the parameters are unchanged
  ///         when the loss is not finite.
  DiscriminatorStats discriminator_step(Model<Scalar>& d, Optimizer<Scalar>& opt, const Tensor<Scalar>& real, const Tensor<Scalar>& fake,
                                        const std::vector<int>* labels, Rng& rng, std::int64_t step) {
    DiscriminatorStats s;
    d.set_frozen(false);
    d.set_input_grad(false);  // the fake batch is detached: no gradient flows to G here
    opt.zero_grad();
    if (!loss_.relativistic()) {
      const Tensor<Scalar>& real_logits = d.forward(real, labels);
      const Scalar loss_real = loss_.discriminator_real(real_logits, grad_);
      s.real = mean_sigmoid(real_logits);
      d.backward(grad_);
      const Tensor<Scalar>& fake_logits = d.forward(fake, labels);
      const Scalar loss_fake = loss_.discriminator_fake(fake_logits, grad_);
      s.fake = mean_sigmoid(fake_logits);
      d.backward(grad_);
      s.loss = static_cast<double>(loss_real) + static_cast<double>(loss_fake);
    } else {
      // Both batches' logits first; the fake batch is backpropagated while its activations are current, then the
      // real batch is run again for its own backward.
      real_logits_.assign(d.forward(real, labels));
      s.real = mean_sigmoid(real_logits_);
      const Tensor<Scalar>& fake_logits = d.forward(fake, labels);
      s.fake = mean_sigmoid(fake_logits);
      s.loss = static_cast<double>(loss_.discriminator_relativistic(real_logits_, fake_logits, grad_, grad2_));
      d.backward(grad2_);
      d.forward(real, labels);
      d.backward(grad_);
    }
    if (o_.r1_gamma > 0) s.penalty += penalty_.r1(d.net(), real, o_.r1_gamma);
    if (o_.gp_lambda > 0) {
      if (sync_ != nullptr) {
        // One draw from the shared stream, whatever the shard: the stream stays the same on every replica.
        Rng own(rng.next_u64() + 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(sync_->rank() + 1));
        s.penalty += penalty_.wgan_gp(d.net(), real, fake, o_.gp_lambda, own);
      } else {
        s.penalty += penalty_.wgan_gp(d.net(), real, fake, o_.gp_lambda, rng);
      }
    }
    s.loss += s.penalty;
    double stats[4] = {s.loss, s.real, s.fake, s.penalty};
    update(opt, stats, 4, "discriminator", step);
    s.loss = stats[0], s.real = stats[1], s.fake = stats[2], s.penalty = stats[3];
    if (o_.weight_clip > 0) {
      const Scalar c = static_cast<Scalar>(o_.weight_clip);
      for (auto& p : opt.parameters()) p.value->array() = p.value->array().max(-c).min(c);
    }
    return s;
  }

  /// G's adversarial term: d, frozen, scores the generated batch; the loss's gradient goes back through d to its
  /// input. Accumulates nothing in d's parameters; leaves d unfrozen and computing input gradients.
  /// @param d the discriminator.
  /// @param fake the generated batch as d sees it.
  /// @param labels class labels for a conditional d (nullptr otherwise).
  /// @param loss receives G's adversarial loss (a mean over every logit).
  /// @param real the real batch as d sees it; needed (and only used) by LossKind::relativistic.
  /// @return dLoss/d(fake), valid until d's next forward or backward.
  /// @throws argument_error for LossKind::relativistic without a real batch.
  const Tensor<Scalar>& generator_term(Model<Scalar>& d, const Tensor<Scalar>& fake, const std::vector<int>* labels, double& loss,
                                       const Tensor<Scalar>* real = nullptr) {
    if (loss_.relativistic() && real == nullptr) throw argument_error(owner_ + ": the relativistic loss needs the real batch in G's step");
    d.set_frozen(true);
    d.set_input_grad(true);
    if (loss_.relativistic()) real_logits_.assign(d.forward(*real, labels));  // the updated D's view of the reals
    const Tensor<Scalar>& logits = d.forward(fake, labels);
    loss = static_cast<double>(loss_.relativistic() ? loss_.generator_relativistic(real_logits_, logits, grad2_, grad_)
                                                    : loss_.generator(logits, grad_));
    const Tensor<Scalar>& input_grad = d.backward(grad_);
    d.set_frozen(false);
    return input_grad;
  }

  /// Finishes an update whose gradients are in opt: averages them and stats[0..n) through the sync (if any),
  /// checks that stats[0] (the loss) is finite, steps opt and checks that its parameters stayed finite.
  /// @param opt the optimizer to step.
  /// @param stats the loss first, then statistics to average with it; replaced by the averages.
  /// @param n the number of stats (>= 1).
  /// @param which the player, e.g. "generator", named in errors as "generator loss" and "the generator's update".
  /// @param step the 1-based step, for error messages.
  /// @throws divergence_error (when check_finite) for a non-finite loss (before the update) or parameter (after).
  void update(Optimizer<Scalar>& opt, double* stats, int n, const char* which, std::int64_t step) {
    if (sync_ != nullptr) sync_->average(opt, stats, n);
    if (o_.check_finite && !std::isfinite(stats[0])) check_loss(stats[0], (std::string(which) + " loss").c_str(), step);
    check_update(opt.step(), opt, which, step);
  }

  /// Throws divergence_error (when check_finite) when loss is not finite.
  /// @param loss the value to check.
  /// @param what its name in the message, e.g. "cycle loss".
  /// @param step the 1-based step, for the message.
  void check_loss(double loss, const char* what, std::int64_t step) const {
    if (o_.check_finite && !std::isfinite(loss))
      throw divergence_error(owner_ + ": " + std::string(what) + " is " + std::to_string(loss) + " at step " + std::to_string(step));
  }

  /// Mean sigmoid of a batch of logits (a map's every logit counts once).
  /// @param logits the logits.
  static double mean_sigmoid(const Tensor<Scalar>& logits) {
    double s = 0;
    for (Scalar v : logits) s += static_cast<double>(sigmoid(v));
    return s / static_cast<double>(logits.size());
  }

 private:
  // The optimizer reports whether its parameters are still finite (checked inside the update, where it is nearly
  // free); a non-finite gradient shows up there. The slow search for the culprit runs only on failure.
  void check_update(bool finite, Optimizer<Scalar>& opt, const char* which, std::int64_t step) const {
    if (!o_.check_finite || finite) return;
    std::string culprit = "?";
    for (auto& p : opt.parameters())
      if (!p.grad->all_finite() || !p.value->all_finite()) {
        culprit = p.name + (p.grad->all_finite() ? "" : " (its gradient is not finite)");
        break;
      }
    throw divergence_error(owner_ + ": the " + std::string(which) + "'s update made parameter " + culprit + " non-finite at step " +
                           std::to_string(step));
  }

  GanLoss<Scalar> loss_;
  AdversarialOptions o_;
  std::string owner_;
  GradientPenalty<Scalar> penalty_;
  GradientSync<Scalar>* sync_ = nullptr;
  Tensor<Scalar> grad_, grad2_, real_logits_;
};

}  // namespace ganpp
