// SPDX-License-Identifier: MIT
// GanTrainer: alternates discriminator and generator updates under a GanLoss and reports each step.
#pragma once

#include "losses.hpp"
#include "models.hpp"
#include "optim/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <set>

namespace ganpp {

struct TrainerOptions {
  LossKind loss = LossKind::non_saturating;
  int d_steps = 1;             ///< discriminator updates per generator update (n_critic)
  double weight_clip = 0.0;    ///< > 0: clamp the discriminator's parameters to [-c, c] after its update (WGAN)
  std::uint64_t seed = 0;      ///< seeds the latent vectors
  bool check_finite = true;    ///< throw divergence_error as soon as a loss or parameter stops being finite
};

/// What one training step did.
struct StepStats {
  std::int64_t step = 0;        ///< 1-based count of steps (discriminator updates) so far
  double d_loss = 0, g_loss = 0;
  double d_real = 0, d_fake = 0;  ///< mean sigmoid of D's outputs on the real and the generated batch
  bool generator_updated = false;
};

/// Trains a Generator against a Discriminator.
///
/// One step: draw z, generate a fake batch; update D on the real batch and the detached fake batch; every
/// d_steps steps, update G through D with D frozen (D's parameters get no gradient; its input gradient drives G).
/// Each optimizer is bound to one model's parameters; the constructor checks that they are the right ones.
template <typename Scalar = float>
class GanTrainer {
 public:
  using StepCallback = std::function<bool(const StepStats&)>;  ///< return false to stop training
  using EpochCallback = std::function<bool(Index epoch)>;       ///< called after each epoch; false stops

  GanTrainer(Generator<Scalar>& g, Discriminator<Scalar>& d, Optimizer<Scalar>& g_opt, Optimizer<Scalar>& d_opt, TrainerOptions o = {})
      : g_(g), d_(d), g_opt_(g_opt), d_opt_(d_opt), o_(o), loss_(o.loss), rng_(o.seed) {
    if (o.d_steps < 1) throw argument_error("GanTrainer::GanTrainer(): d_steps must be >= 1, got " + std::to_string(o.d_steps));
    if (o.weight_clip < 0) throw argument_error("GanTrainer::GanTrainer(): weight_clip must be >= 0");
    if (g.output_shape() != d.input_shape())
      throw shape_error("GanTrainer::GanTrainer(): generator output per-sample shape " + g.output_shape().str() +
                        " does not match discriminator input shape " + d.input_shape().str());
    if (g.num_classes() != d.num_classes())
      throw argument_error("GanTrainer::GanTrainer(): generator has " + std::to_string(g.num_classes()) + " classes, discriminator " +
                           std::to_string(d.num_classes()));
    require_bound(g_opt, g, "generator");
    require_bound(d_opt, d, "discriminator");
  }

  void on_step(StepCallback cb) { step_callbacks_.push_back(std::move(cb)); }
  void on_epoch(EpochCallback cb) { epoch_callbacks_.push_back(std::move(cb)); }

  /// One training step on a batch of real samples (and their labels, for conditional models).
  StepStats step(const Tensor<Scalar>& real, const std::vector<int>* labels = nullptr) {
    const Index n = real.batch();
    if (real.rank() < 1 || n < 1) throw argument_error("GanTrainer::step(): empty batch of shape " + real.shape().str());
    if (real.shape().sample_shape() != d_.input_shape())
      throw shape_error("GanTrainer::step(): real batch " + real.shape().str() + " does not match discriminator input shape " + d_.input_shape().str());
    g_.train();
    d_.train();
    g_.sample_latent(n, rng_, z_);
    const Tensor<Scalar>& fake = g_.forward(z_, labels);

    StepStats s;
    s.step = ++step_;
    // Discriminator: real and fake batches backpropagated one after the other, gradients accumulating, which is
    // the gradient of the summed loss with batch statistics taken per batch, as in the PyTorch recipe.
    d_.set_frozen(false);
    d_.set_input_grad(false);  // the fake batch is detached: no gradient flows to G here
    d_opt_.zero_grad();
    const Tensor<Scalar>& real_logits = d_.forward(real, labels);
    const Scalar loss_real = loss_.discriminator_real(real_logits, grad_);
    s.d_real = mean_sigmoid(real_logits);
    d_.backward(grad_);
    const Tensor<Scalar>& fake_logits = d_.forward(fake, labels);
    const Scalar loss_fake = loss_.discriminator_fake(fake_logits, grad_);
    s.d_fake = mean_sigmoid(fake_logits);
    d_.backward(grad_);
    s.d_loss = static_cast<double>(loss_real) + static_cast<double>(loss_fake);
    check_loss(s.d_loss, "discriminator loss");
    check_update(d_opt_.step(), d_opt_, "discriminator");
    if (o_.weight_clip > 0) clip(d_opt_, static_cast<Scalar>(o_.weight_clip));

    if (step_ % o_.d_steps == 0) {
      // Generator: the same fake batch, re-scored by the updated discriminator, which is frozen.
      d_.set_frozen(true);
      d_.set_input_grad(true);
      g_opt_.zero_grad();
      const Tensor<Scalar>& logits = d_.forward(fake, labels);
      s.g_loss = static_cast<double>(loss_.generator(logits, grad_));
      g_.backward(d_.backward(grad_));
      d_.set_frozen(false);
      check_loss(s.g_loss, "generator loss");
      check_update(g_opt_.step(), g_opt_, "generator");
      s.generator_updated = true;
      last_g_loss_ = s.g_loss;
    } else {
      s.g_loss = last_g_loss_;
    }
    return s;
  }

  /// Trains for up to `epochs` epochs over a loader with `bool next(Tensor<Scalar>& images, std::vector<int>& labels)`
  /// that returns false at the end of each epoch. Calls the step and epoch callbacks; any of them returning false stops.
  /// @return the number of steps taken.
  template <typename Loader>
  std::int64_t fit(Loader& loader, Index epochs) {
    std::int64_t taken = 0;
    for (Index e = 0; e < epochs; ++e) {
      while (loader.next(batch_, labels_)) {
        const StepStats s = step(batch_, g_.conditional() ? &labels_ : nullptr);
        ++taken;
        bool go_on = true;
        for (auto& cb : step_callbacks_) go_on = cb(s) && go_on;
        if (!go_on) return taken;
      }
      bool go_on = true;
      for (auto& cb : epoch_callbacks_) go_on = cb(e + 1) && go_on;
      if (!go_on) break;
    }
    return taken;
  }

  std::int64_t steps() const { return step_; }
  /// Restores the step count (for resuming from a checkpoint).
  void set_steps(std::int64_t s) {
    if (s < 0) throw argument_error("GanTrainer::set_steps(): negative step count");
    step_ = s;
  }
  Rng& rng() { return rng_; }
  const GanLoss<Scalar>& loss() const { return loss_; }
  const TrainerOptions& options() const { return o_; }

 private:
  static void require_bound(Optimizer<Scalar>& opt, Model<Scalar>& m, const char* which) {
    std::set<const Tensor<Scalar>*> own;
    for (auto& p : m.parameters()) own.insert(p.value);
    for (auto& p : opt.parameters())
      if (!own.count(p.value))
        throw argument_error(std::string("GanTrainer::GanTrainer(): the ") + which + " optimizer holds parameter " + p.name +
                             " that is not the " + which + "'s");
  }
  static double mean_sigmoid(const Tensor<Scalar>& logits) {
    double s = 0;
    for (Scalar v : logits) s += static_cast<double>(sigmoid(v));
    return s / static_cast<double>(logits.size());
  }
  // Checked before the update, so a non-finite loss leaves the parameters as they were.
  void check_loss(double loss, const char* what) const {
    if (o_.check_finite && !std::isfinite(loss))
      throw divergence_error("GanTrainer::step(): " + std::string(what) + " is " + std::to_string(loss) + " at step " + std::to_string(step_));
  }
  // The optimizer reports whether its parameters are still finite (checked inside the update, where it is nearly
  // free); a non-finite gradient shows up there. The slow search for the culprit runs only on failure.
  void check_update(bool finite, Optimizer<Scalar>& opt, const char* which) const {
    if (!o_.check_finite || finite) return;
    std::string culprit = "?";
    for (auto& p : opt.parameters())
      if (!p.grad->all_finite() || !p.value->all_finite()) {
        culprit = p.name + (p.grad->all_finite() ? "" : " (its gradient is not finite)");
        break;
      }
    throw divergence_error("GanTrainer::step(): the " + std::string(which) + "'s update made parameter " + culprit + " non-finite at step " +
                           std::to_string(step_));
  }
  static void clip(Optimizer<Scalar>& opt, Scalar c) {
    for (auto& p : opt.parameters()) p.value->array() = p.value->array().max(-c).min(c);
  }

  Generator<Scalar>& g_;
  Discriminator<Scalar>& d_;
  Optimizer<Scalar>& g_opt_;
  Optimizer<Scalar>& d_opt_;
  TrainerOptions o_;
  GanLoss<Scalar> loss_;
  Rng rng_;
  std::int64_t step_ = 0;
  double last_g_loss_ = 0;
  Tensor<Scalar> z_, grad_, batch_;
  std::vector<int> labels_;
  std::vector<StepCallback> step_callbacks_;
  std::vector<EpochCallback> epoch_callbacks_;
};

}  // namespace ganpp
