// SPDX-License-Identifier: MIT
/// @file
/// GanTrainer: alternates discriminator and generator updates under a GanLoss and reports each step.
#pragma once

#include "adversarial.hpp"
#include "ema.hpp"
#include "gradient_sync.hpp"
#include "losses.hpp"
#include "models.hpp"
#include "optim/optimizer.hpp"
#include "penalties.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <set>

namespace ganpp {

/// How GanTrainer plays the game. The stabilizers (everything after check_finite) are off by default and cost
/// nothing when off.
struct TrainerOptions {
  /// The adversarial loss both players use (see LossKind).
  LossKind loss = LossKind::non_saturating;
  /// Discriminator updates per generator update: n_critic of WGAN (Arjovsky et al. 2017) and WGAN-GP
  /// (Gulrajani et al. 2017), who use 5. Each step() is one D update on a fresh batch; G moves every d_steps-th.
  int d_steps = 1;
  double weight_clip = 0.0;    ///< > 0: clamp the discriminator's parameters to [-c, c] after its update (WGAN)
  std::uint64_t seed = 0;      ///< seeds the latent vectors
  bool check_finite = true;    ///< throw divergence_error as soon as a loss or parameter stops being finite
  /// > 0: the R1 penalty gamma/2 * E|grad_x D(x)|^2 on the real batch (Mescheder et al. 2018), in D's step.
  double r1_gamma = 0.0;
  /// > 0: the WGAN-GP penalty lambda * E(|grad_x D(x^)| - 1)^2 on real/fake interpolates (Gulrajani et al. 2017),
  /// in D's step; they use lambda = 10 with LossKind::wasserstein and d_steps = 5.
  double gp_lambda = 0.0;
  /// Target for real samples in D's loss; 0.9 is one-sided label smoothing (Salimans et al. 2016). BCE-based and
  /// least-squares losses only.
  double real_label = 1.0;
  /// > 0: instance noise (Sonderby et al. 2017; Arjovsky & Bottou 2017): Gaussian noise of this standard deviation
  /// added to every input D sees, real and generated, in both players' steps.
  double instance_noise = 0.0;
  /// > 0: the instance noise's standard deviation falls linearly to zero over this many steps.
  std::int64_t instance_noise_steps = 0;
};

/// What one training step did.
struct StepStats {
  std::int64_t step = 0;        ///< 1-based count of steps (discriminator updates) so far
  /// @var d_loss
  /// The discriminator's loss on this step's batches, penalties included.
  /// @var g_loss
  /// The generator's loss at its last update (this step's when generator_updated, else the previous one; 0 before any).
  double d_loss = 0, g_loss = 0;
  /// @var d_real
  /// Mean sigmoid of D's outputs on the real batch.
  /// @var d_fake
  /// Mean sigmoid of D's outputs on the generated batch.
  double d_real = 0, d_fake = 0;  ///< mean sigmoid of D's outputs on the real and the generated batch
  double penalty = 0;             ///< the gradient penalties' part of d_loss
  /// True when this step also updated the generator (every d_steps-th step).
  bool generator_updated = false;
};

/// Trains a Generator against a Discriminator.
///
/// One step: draw z, generate a fake batch; update D on the real batch and the detached fake batch; every
/// d_steps steps, update G through D with D frozen (D's parameters get no gradient; its input gradient drives G).
/// Each optimizer is bound to one model's parameters; the constructor checks that they are the right ones. Separate
/// optimizers make the two time-scale update rule (TTUR, Heusel et al. 2017) a matter of giving them different
/// learning rates, e.g. Adam 1e-4 for G and 4e-4 for D.
///
/// With LossKind::relativistic, D's step scores both batches before backpropagating (the real batch is run through
/// D a second time for its backward) and G's step also scores the real batch with the updated D.
template <typename Scalar = float>
class GanTrainer {
 public:
  using StepCallback = std::function<bool(const StepStats&)>;  ///< return false to stop training
  using EpochCallback = std::function<bool(Index epoch)>;       ///< called after each epoch; false stops

  /// Keeps references to the models and optimizers: they must outlive the trainer.
  /// @param g the generator.
  /// @param d the discriminator; its per-sample input shape must be g's output shape, and its class count g's.
  /// @param g_opt an optimizer over exactly g's parameters.
  /// @param d_opt an optimizer over exactly d's parameters.
  /// @param o the options; o.seed seeds the latent vectors.
  /// @throws argument_error for invalid options, different class counts, or an optimizer bound to the wrong model.
  /// @throws shape_error when g's output shape differs from d's input shape.
  GanTrainer(Generator<Scalar>& g, Discriminator<Scalar>& d, Optimizer<Scalar>& g_opt, Optimizer<Scalar>& d_opt, TrainerOptions o = {})
      : g_(g), d_(d), g_opt_(g_opt), d_opt_(d_opt), o_(o), rng_(o.seed), adv_(GanLoss<Scalar>(o.loss, o.real_label), adversarial_options(o), "GanTrainer::step()") {
    if (o.d_steps < 1) throw argument_error("GanTrainer::GanTrainer(): d_steps must be >= 1, got " + std::to_string(o.d_steps));
    if (o.weight_clip < 0) throw argument_error("GanTrainer::GanTrainer(): weight_clip must be >= 0");
    if (!(o.r1_gamma >= 0) || !(o.gp_lambda >= 0) || !(o.instance_noise >= 0) || o.instance_noise_steps < 0)
      throw argument_error("GanTrainer::GanTrainer(): r1_gamma, gp_lambda, instance_noise and instance_noise_steps must be >= 0");
    if (g.output_shape() != d.input_shape())
      throw shape_error("GanTrainer::GanTrainer(): generator output per-sample shape " + g.output_shape().str() +
                        " does not match discriminator input shape " + d.input_shape().str());
    if (g.num_classes() != d.num_classes())
      throw argument_error("GanTrainer::GanTrainer(): generator has " + std::to_string(g.num_classes()) + " classes, discriminator " +
                           std::to_string(d.num_classes()));
    require_bound(g_opt, g, "generator");
    require_bound(d_opt, d, "discriminator");
  }

  /// Adds a callback that fit() calls after each step with its StepStats; training stops when any returns false.
  void on_step(StepCallback cb) { step_callbacks_.push_back(std::move(cb)); }
  /// Adds a callback that fit() calls after each epoch with the 1-based epoch number; training stops when any returns false.
  void on_epoch(EpochCallback cb) { epoch_callbacks_.push_back(std::move(cb)); }
  /// Updates this average of the generator's weights after every generator step (nullptr: none). The average must
  /// follow this trainer's generator and outlive the trainer's use of it.
  void set_ema(ExponentialMovingAverage<Scalar>* ema) { ema_ = ema; }
  /// Makes this trainer one replica of a data-parallel run (nullptr: a run of its own). step() then takes this
  /// replica's shard of each global batch, draws the global batch's latents and instance noise and keeps the shard's
  /// slice, and averages gradients and statistics through `sync` before each optimizer step. With WGAN-GP, each
  /// replica draws its interpolation weights from a stream of its own (seeded from the shared one and the rank), so
  /// that run is consistent across replicas but not equal to one process's. `sync` must outlive the trainer's use.
  void set_gradient_sync(GradientSync<Scalar>* sync) {
    sync_ = sync;
    adv_.set_gradient_sync(sync);
  }

  /// One training step on a batch of real samples (and their labels, for conditional models).
  StepStats step(const Tensor<Scalar>& real, const std::vector<int>* labels = nullptr) {
    const Index n = real.batch();
    if (real.rank() < 1 || n < 1) throw argument_error("GanTrainer::step(): empty batch of shape " + real.shape().str());
    if (real.shape().sample_shape() != d_.input_shape())
      throw shape_error("GanTrainer::step(): real batch " + real.shape().str() + " does not match discriminator input shape " + d_.input_shape().str());
    g_.train();
    d_.train();
    sample_latent(n);
    const Tensor<Scalar>& generated = g_.forward(z_, labels);
    // What D sees: the batches themselves, or copies with instance noise added.
    const Tensor<Scalar>* real_in = &real;
    const Tensor<Scalar>* fake_in = &generated;
    if (o_.instance_noise > 0) {
      const double sd = instance_noise_stddev(step_ + 1);
      if (sd > 0) {
        add_noise(real, sd, noisy_real_);
        add_noise(generated, sd, noisy_fake_);
        real_in = &noisy_real_;
        fake_in = &noisy_fake_;
      }
    }
    const Tensor<Scalar>& fake = *fake_in;

    StepStats s;
    s.step = ++step_;
    const DiscriminatorStats ds = adv_.discriminator_step(d_, d_opt_, *real_in, fake, labels, rng_, step_);
    s.d_loss = ds.loss, s.d_real = ds.real, s.d_fake = ds.fake, s.penalty = ds.penalty;

    if (step_ % o_.d_steps == 0) {
      // Generator: the same fake batch, re-scored by the updated discriminator, which is frozen.
      g_opt_.zero_grad();
      g_.backward(adv_.generator_term(d_, fake, labels, s.g_loss, real_in));  // with instance noise, d(noisy fake)/d(fake) is the identity
      adv_.update(g_opt_, &s.g_loss, 1, "generator", step_);
      if (ema_ != nullptr) ema_->update();
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

  /// Number of steps (discriminator updates) so far, including those restored by set_steps().
  std::int64_t steps() const { return step_; }
  /// Restores the step count (for resuming from a checkpoint).
  void set_steps(std::int64_t s) {
    if (s < 0) throw argument_error("GanTrainer::set_steps(): negative step count");
    step_ = s;
  }
  /// The generator that draws the latent vectors (and noise); owned by the trainer, saved in checkpoints.
  Rng& rng() { return rng_; }
  /// The loss built from options().loss and options().real_label.
  const GanLoss<Scalar>& loss() const { return adv_.loss(); }
  /// The options given at construction.
  const TrainerOptions& options() const { return o_; }
  /// The instance noise's standard deviation at a 1-based step.
  double instance_noise_stddev(std::int64_t step) const {
    if (o_.instance_noise_steps <= 0) return o_.instance_noise;
    return o_.instance_noise * std::max(0.0, 1.0 - static_cast<double>(step - 1) / static_cast<double>(o_.instance_noise_steps));
  }

 private:
  static AdversarialOptions adversarial_options(const TrainerOptions& o) {
    AdversarialOptions a;
    a.check_finite = o.check_finite;
    a.r1_gamma = o.r1_gamma;
    a.gp_lambda = o.gp_lambda;
    a.weight_clip = o.weight_clip;
    return a;
  }
  static void require_bound(Optimizer<Scalar>& opt, Model<Scalar>& m, const char* which) {
    std::set<const Tensor<Scalar>*> own;
    for (auto& p : m.parameters()) own.insert(p.value);
    for (auto& p : opt.parameters())
      if (!own.count(p.value))
        throw argument_error(std::string("GanTrainer::GanTrainer(): the ") + which + " optimizer holds parameter " + p.name +
                             " that is not the " + which + "'s");
  }
  // A replica draws the latents of the whole global batch (in the order one process would) and keeps its slice.
  void sample_latent(Index n) {
    if (sync_ == nullptr || sync_->world_size() == 1) {
      g_.sample_latent(n, rng_, z_);
      return;
    }
    g_.sample_latent(n * sync_->world_size(), rng_, z_global_);
    z_.resize(g_.latent_shape().batched(n));
    const Index per = n * g_.latent_size();
    std::copy(z_global_.data() + sync_->rank() * per, z_global_.data() + (sync_->rank() + 1) * per, z_.data());
  }
  // Instance noise, likewise drawn for the global batch with this replica's slice kept.
  void add_noise(const Tensor<Scalar>& x, double sd, Tensor<Scalar>& out) {
    out.resize(x.shape());
    const Index before = sync_ != nullptr ? sync_->rank() * x.size() : 0;
    const Index after = sync_ != nullptr ? (sync_->world_size() - sync_->rank() - 1) * x.size() : 0;
    for (Index i = 0; i < before; ++i) rng_.normal();
    for (Index i = 0; i < x.size(); ++i) out[i] = x[i] + static_cast<Scalar>(sd * rng_.normal());
    for (Index i = 0; i < after; ++i) rng_.normal();
  }

  Generator<Scalar>& g_;
  Discriminator<Scalar>& d_;
  Optimizer<Scalar>& g_opt_;
  Optimizer<Scalar>& d_opt_;
  TrainerOptions o_;
  Rng rng_;
  AdversarialSteps<Scalar> adv_;
  std::int64_t step_ = 0;
  double last_g_loss_ = 0;
  Tensor<Scalar> z_, batch_;
  Tensor<Scalar> noisy_real_, noisy_fake_;  // used only with instance noise
  ExponentialMovingAverage<Scalar>* ema_ = nullptr;
  GradientSync<Scalar>* sync_ = nullptr;
  Tensor<Scalar> z_global_;  // the global batch's latents, on a replica
  std::vector<int> labels_;
  std::vector<StepCallback> step_callbacks_;
  std::vector<EpochCallback> epoch_callbacks_;
};

}  // namespace ganpp
