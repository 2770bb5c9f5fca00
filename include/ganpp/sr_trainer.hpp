// SPDX-License-Identifier: MIT
/// @file
/// SrTrainer: trains a super-resolution generator, first with a pixel loss (SRResNet), then as SRGAN (content loss
/// plus a small adversarial loss), and saves and restores that run exactly.
#pragma once

#include "adversarial.hpp"
#include "checkpoint.hpp"
#include "error.hpp"
#include "losses/perceptual.hpp"
#include "losses/pixel.hpp"
#include "model_io.hpp"
#include "models.hpp"
#include "optim/optimizer.hpp"

#include <cmath>
#include <cstdint>
#include <set>
#include <string>

namespace ganpp {

/// The pixel loss of SrTrainer's pre-training phase (and its content loss when no perceptual loss is given).
enum class SrPixelLoss {
  mse,  ///< mean squared error: SRResNet's loss, the one PSNR rewards
  l1,   ///< mean absolute error
};

/// How SrTrainer trains. Defaults: Ledig et al. 2017's weights (content loss + 1e-3 x adversarial loss).
struct SrTrainerOptions {
  /// Steps of pixel-loss training (the SRResNet phase) before the adversarial (SRGAN) phase starts; 0 starts
  /// adversarial at once. A trainer without a discriminator stays in the pixel phase whatever this says.
  std::int64_t pretrain_steps = 1000;
  SrPixelLoss pixel_loss = SrPixelLoss::mse;  ///< the pixel loss
  double content_weight = 1.0;                ///< weight of the content loss in the adversarial phase
  double adversarial_weight = 1e-3;           ///< weight of the generator's adversarial loss (the paper's 1e-3)
  double pixel_weight = 0.0;                  ///< weight of the pixel loss added in the adversarial phase (0: none, as the paper)
  LossKind loss = LossKind::non_saturating;   ///< the adversarial game's loss (SRGAN's: -log D(G(low)) for the generator)
  bool check_finite = true;                   ///< throw divergence_error on a non-finite loss or parameter (checked before the update)
};

/// What one SrTrainer step did.
struct SrStepStats {
  std::int64_t step = 0;     ///< the 1-based step count after this step
  bool adversarial = false;  ///< true in the SRGAN phase
  double pixel_loss = 0;     ///< the unweighted pixel loss of the generator's output
  double content_loss = 0;   ///< the unweighted content loss (adversarial phase; the perceptual loss, or the pixel loss without one)
  double g_adversarial = 0;  ///< the generator's unweighted adversarial loss (adversarial phase)
  double g_loss = 0;         ///< the generator's total loss, as optimised
  double d_loss = 0;         ///< the discriminator's loss (adversarial phase)
};

/// Trains a super-resolution generator g mapping low-resolution images (N, C, h, w) to high-resolution ones
/// (N, C, H, W).
///
/// Phase 1, steps 1..pretrain_steps (SRResNet): g minimises the pixel loss between g(low) and high.
/// Phase 2, the steps after (SRGAN, when a discriminator is set): per step, D is updated once on the real images and
/// the detached g(low); then g minimises content_weight x content + adversarial_weight x the generator's GAN loss
/// (+ pixel_weight x pixel), the content loss being the perceptual loss when one is set, else the pixel loss.
///
/// The trainer draws no random numbers: given the batches, a run is decided by the models, the optimizers and the
/// step count, which save() and load() store and restore, so a resumed run continues bit for bit (same thread
/// count). The models, optimizers and perceptual loss are held by reference and must outlive the trainer.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class SrTrainer {
 public:
  /// A trainer of the pixel phase only; add the adversarial phase with set_adversary().
  /// @param g the generator; its per-sample input shape is the low-resolution image shape.
  /// @param g_opt an optimizer over exactly g's parameters.
  /// @param o the options.
  /// @throws argument_error for negative or non-finite weights, negative pretrain_steps, or g_opt bound to other parameters.
  SrTrainer(Model<Scalar>& g, Optimizer<Scalar>& g_opt, SrTrainerOptions o = {})
      : g_(g), g_opt_(g_opt), o_(o), adv_(GanLoss<Scalar>(o.loss), adversarial_options(o), "SrTrainer::step()") {
    if (o.pretrain_steps < 0) throw argument_error("SrTrainer::SrTrainer(): pretrain_steps must be >= 0, got " + std::to_string(o.pretrain_steps));
    for (double w : {o.content_weight, o.adversarial_weight, o.pixel_weight})
      if (!(w >= 0) || !std::isfinite(w))
        throw argument_error("SrTrainer::SrTrainer(): content_weight, adversarial_weight and pixel_weight must be finite and >= 0, got " +
                             std::to_string(o.content_weight) + ", " + std::to_string(o.adversarial_weight) + ", " + std::to_string(o.pixel_weight));
    require_bound(g_opt, g, "generator");
  }

  /// Sets the discriminator of the adversarial phase and its optimizer.
  /// @param d the discriminator; its per-sample input shape must be g's output shape.
  /// @param d_opt an optimizer over exactly d's parameters.
  /// @throws shape_error when d does not judge g's outputs; argument_error when d_opt holds other parameters.
  void set_adversary(Discriminator<Scalar>& d, Optimizer<Scalar>& d_opt) {
    if (d.input_shape() != g_.output_shape())
      throw shape_error("SrTrainer::set_adversary(): the discriminator takes per-sample shape " + d.input_shape().str() +
                        " but the generator outputs " + g_.output_shape().str());
    require_bound(d_opt, d, "discriminator");
    d_ = &d;
    d_opt_ = &d_opt;
  }

  /// Sets the perceptual loss that is the content loss of the adversarial phase (nullptr: the pixel loss is).
  /// @param content the loss, held by reference; its feature network must accept g's outputs.
  void set_content_loss(PerceptualLoss<Scalar>* content) { content_ = content; }

  /// One training step on a batch of low-resolution inputs and their high-resolution targets.
  /// @param low (N, per-sample shape g.input_shape()).
  /// @param high (N, per-sample shape g.output_shape()).
  /// @throws shape_error when the batches do not fit g or differ in size; divergence_error (with check_finite) when
  ///         a loss or an update is not finite, before the parameters change.
  SrStepStats step(const Tensor<Scalar>& low, const Tensor<Scalar>& high) {
    if (low.rank() < 1 || low.batch() < 1 || low.shape().sample_shape() != g_.input_shape())
      throw shape_error("SrTrainer::step(): low-resolution batch " + low.shape().str() + " does not match the generator's input shape " +
                        g_.input_shape().str());
    if (high.rank() < 1 || high.batch() != low.batch() || high.shape().sample_shape() != g_.output_shape())
      throw shape_error("SrTrainer::step(): high-resolution batch " + high.shape().str() + " does not match " + std::to_string(low.batch()) +
                        " images of the generator's output shape " + g_.output_shape().str());
    SrStepStats s;
    s.step = step_ + 1;
    s.adversarial = adversarial_phase();
    g_.train();
    const Tensor<Scalar>& out = g_.forward(low);
    if (!s.adversarial) {
      g_opt_.zero_grad();
      s.pixel_loss = static_cast<double>(pixel(out, high, grad_, 1.0));
      s.g_loss = s.pixel_loss;
      adv_.check_loss(s.g_loss, "generator loss", s.step);
      g_.backward(grad_);
      adv_.update(g_opt_, &s.g_loss, 1, "generator", s.step);
      ++step_;
      return s;
    }
    // SRGAN: D's update on the real images and the detached output, then G's on content + adversarial (+ pixel) loss.
    d_->train();
    const DiscriminatorStats ds = adv_.discriminator_step(*d_, *d_opt_, high, out, nullptr, rng_, s.step);
    s.d_loss = ds.loss;
    g_opt_.zero_grad();
    s.pixel_loss = static_cast<double>(pixel(out, high, grad2_, 1.0));
    if (content_ != nullptr) {
      s.content_loss = static_cast<double>(content_->compute(out, high, grad_));
      grad_.array() *= static_cast<Scalar>(o_.content_weight);
      if (o_.pixel_weight > 0) grad_.array() += static_cast<Scalar>(o_.pixel_weight) * grad2_.array();
    } else {
      s.content_loss = s.pixel_loss;
      grad_.assign(grad2_);
      grad_.array() *= static_cast<Scalar>(o_.content_weight + o_.pixel_weight);
    }
    const Tensor<Scalar>& adv_grad = adv_.generator_term(*d_, out, nullptr, s.g_adversarial);
    grad_.array() += static_cast<Scalar>(o_.adversarial_weight) * adv_grad.array();
    s.g_loss = o_.content_weight * s.content_loss + o_.adversarial_weight * s.g_adversarial + o_.pixel_weight * s.pixel_loss;
    adv_.check_loss(s.g_loss, "generator loss", s.step);
    g_.backward(grad_);
    adv_.update(g_opt_, &s.g_loss, 1, "generator", s.step);
    ++step_;
    return s;
  }

  /// True when the next step() is an adversarial one: a discriminator is set and pretrain_steps are done.
  bool adversarial_phase() const { return d_ != nullptr && step_ >= o_.pretrain_steps; }
  /// Steps taken so far, including those restored by load().
  std::int64_t steps() const { return step_; }
  /// The options given at construction.
  const SrTrainerOptions& options() const { return o_; }

  /// Stores the run's state in c: "generator.*", "generator_optimizer.*", with an adversary "discriminator.*" and
  /// "discriminator_optimizer.*", and "sr_trainer.step".
  /// @throws divergence_error when a parameter or buffer is not finite.
  void save(Checkpoint& c) const {
    save_model(c, "generator", g_);
    save_optimizer(c, "generator_optimizer", g_opt_);
    if (d_ != nullptr) {
      save_model(c, "discriminator", *d_);
      save_optimizer(c, "discriminator_optimizer", *d_opt_);
    }
    c.put_text("sr_trainer.step", std::to_string(step_));
  }

  /// Restores what save() stored into this trainer's models and optimizers (with the same adversary set or not).
  /// @throws io_error naming the entry that is missing, malformed or of another shape; the step count is then unchanged.
  void load(const Checkpoint& c) {
    const std::string text = c.text("sr_trainer.step");
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
      throw io_error("SrTrainer::load(): sr_trainer.step is '" + text.substr(0, 30) + "': expected a step count");
    if (d_ != nullptr && !c.has("discriminator_optimizer.kind"))
      throw io_error("SrTrainer::load(): the checkpoint holds no discriminator (saved from a pixel-only trainer)");
    load_model(c, "generator", g_);
    load_optimizer(c, "generator_optimizer", g_opt_);
    if (d_ != nullptr) {
      load_model(c, "discriminator", *d_);
      load_optimizer(c, "discriminator_optimizer", *d_opt_);
    }
    step_ = std::stoll(text);
  }

 private:
  static AdversarialOptions adversarial_options(const SrTrainerOptions& o) {
    AdversarialOptions a;
    a.check_finite = o.check_finite;
    return a;
  }
  Scalar pixel(const Tensor<Scalar>& out, const Tensor<Scalar>& high, Tensor<Scalar>& grad, double weight) const {
    return o_.pixel_loss == SrPixelLoss::mse ? mse_loss(out, high, grad, weight) : l1_loss(out, high, grad, weight);
  }
  static void require_bound(Optimizer<Scalar>& opt, Model<Scalar>& m, const char* which) {
    std::set<const Tensor<Scalar>*> own;
    for (auto& p : m.parameters()) own.insert(p.value);
    for (auto& p : opt.parameters())
      if (!own.count(p.value))
        throw argument_error(std::string("SrTrainer: the ") + which + " optimizer holds parameter " + p.name + " that is not the " + which + "'s");
  }
  Model<Scalar>& g_;
  Optimizer<Scalar>& g_opt_;
  SrTrainerOptions o_;
  Discriminator<Scalar>* d_ = nullptr;
  Optimizer<Scalar>* d_opt_ = nullptr;
  PerceptualLoss<Scalar>* content_ = nullptr;
  AdversarialSteps<Scalar> adv_;
  Rng rng_{0};  // AdversarialSteps' penalty stream; SrTrainer uses no penalty, so it is never drawn from
  std::int64_t step_ = 0;
  Tensor<Scalar> grad_, grad2_;
};

}  // namespace ganpp
