// SPDX-License-Identifier: MIT
/// @file
/// StyleGanTrainer: StyleGAN2's training recipe for a StyleGenerator against a Discriminator (non-saturating loss,
/// lazy R1, style mixing regularisation, EMA generator, tracked w_avg); StyleGanState saves and restores a run.
#pragma once

#include "adversarial.hpp"
#include "checkpoint.hpp"
#include "ema.hpp"
#include "gan_trainer.hpp"
#include "model_io.hpp"
#include "models/stylegan.hpp"

#include <cstdint>
#include <set>

namespace ganpp {

/// How StyleGanTrainer trains; the defaults are StyleGAN2's (Karras et al. 2020, appendix B).
struct StyleGanTrainerOptions {
  /// gamma of the R1 penalty gamma/2 E|grad_x D(x)|^2 on reals (0: none).
  double r1_gamma = 1.0;
  /// Lazy regularisation: R1 runs on every r1_interval-th D step, with gamma scaled by r1_interval so that its
  /// expected gradient is unchanged (>= 1; 1 runs it on every step).
  int r1_interval = 16;
  /// Probability that a generated sample takes its styles from two w's with a random crossover slot (style mixing
  /// regularisation), in [0, 1].
  double mixing_prob = 0.9;
  /// Decay of the tracked w_avg (StyleGenerator::update_w_avg()), in [0, 1).
  double w_avg_beta = 0.995;
  /// Seeds the latents and the mixing draws.
  std::uint64_t seed = 0;
  /// Throw divergence_error as soon as a loss or parameter stops being finite.
  bool check_finite = true;
};

/// Trains a StyleGenerator against a Discriminator (e.g. make_style_discriminator()) with the non-saturating loss.
///
/// One step: D update on the real batch and a generated batch (styles drawn with mixing), plus lazy R1 every
/// r1_interval steps, by AdversarialSteps (ganpp/adversarial.hpp, the D step GanTrainer uses); then a G update on a fresh generated batch through D frozen: D's input gradient goes back
/// through the synthesis network to dLoss/dws, each slot's gradient is routed to the w it came from, and from there
/// through the mapping network. After each G update the EMA (when set) and w_avg move.
template <typename Scalar = float>
class StyleGanTrainer {
 public:
  /// Keeps references to the models and optimizers: they must outlive the trainer.
  /// @param g the generator.
  /// @param d the discriminator; its input shape must be g's image shape.
  /// @param g_opt an optimizer over exactly g's parameters (Adam with betas (0, 0.99) in StyleGAN2).
  /// @param d_opt an optimizer over exactly d's parameters.
  /// @param o the options.
  /// @throws argument_error for invalid options or an optimizer bound to the wrong model; shape_error when d does not
  /// take g's images.
  StyleGanTrainer(StyleGenerator<Scalar>& g, Discriminator<Scalar>& d, Optimizer<Scalar>& g_opt, Optimizer<Scalar>& d_opt, StyleGanTrainerOptions o = {})
      : g_(g), d_(d), g_opt_(g_opt), d_opt_(d_opt), o_(o), plain_(GanLoss<Scalar>(LossKind::non_saturating), {o.check_finite}, "StyleGanTrainer::step()"),
        with_r1_(GanLoss<Scalar>(LossKind::non_saturating), {o.check_finite, r1_weight(o)}, "StyleGanTrainer::step()"), rng_(o.seed) {
    if (!(o.r1_gamma >= 0) || o.r1_interval < 1 || !(o.mixing_prob >= 0 && o.mixing_prob <= 1) || !(o.w_avg_beta >= 0 && o.w_avg_beta < 1))
      throw argument_error("StyleGanTrainer::StyleGanTrainer(): need r1_gamma >= 0, r1_interval >= 1, mixing_prob in [0, 1] and w_avg_beta in [0, 1)");
    const Index r = g.config().resolution();
    const Shape image{g.config().image_channels, r, r};
    if (d.input_shape() != image)
      throw shape_error("StyleGanTrainer::StyleGanTrainer(): generator images " + image.str() + " do not match discriminator input shape " + d.input_shape().str());
    require_bound(g_opt, g.parameters(), "generator");
    require_bound(d_opt, d.parameters(), "discriminator");
  }

  /// Updates this average of the generator's parameters after every generator step (nullptr: none).
  /// @param ema an average over g.parameters(); must outlive the trainer's use of it.
  void set_ema(ExponentialMovingAverage<Scalar>* ema) { ema_ = ema; }

  /// One D update and one G update on a batch of real images (N, C, R, R).
  /// @param real the batch.
  /// @return the step's losses; `penalty` is the R1 term (0 on steps without it).
  /// @throws shape_error for a batch of the wrong shape; divergence_error when a loss or parameter stops being finite.
  StepStats step(const Tensor<Scalar>& real) {
    if (real.rank() < 1 || real.batch() < 1 || real.shape().sample_shape() != d_.input_shape())
      throw shape_error("StyleGanTrainer::step(): real batch " + real.shape().str() + " does not match discriminator input shape " + d_.input_shape().str());
    const Index n = real.batch();
    StepStats s;
    s.step = ++step_;
    g_.synthesis().set_noise_mode(NoiseMode::random);
    d_.train();

    // Discriminator: AdversarialSteps' update, with R1 (gamma * r1_interval) on every r1_interval-th step.
    draw_styles(n);
    fake_.assign(g_.synthesize(ws_));
    AdversarialSteps<Scalar>& d_step = o_.r1_gamma > 0 && step_ % o_.r1_interval == 0 ? with_r1_ : plain_;
    const DiscriminatorStats ds = d_step.discriminator_step(d_, d_opt_, real, fake_, nullptr, rng_, step_);
    s.d_loss = ds.loss, s.d_real = ds.real, s.d_fake = ds.fake, s.penalty = ds.penalty;

    // Generator: the adversarial term through D frozen, then back through the synthesis network to dLoss/dws,
    // routed to the w's and through the mapping network.
    g_opt_.zero_grad();
    draw_styles(n);
    const Tensor<Scalar>& grad_image = plain_.generator_term(d_, g_.synthesize(ws_), nullptr, s.g_loss);
    route_to_w(g_.synthesis().backward(grad_image), n);
    g_.mapping().backward(grad_w_);
    plain_.update(g_opt_, &s.g_loss, 1, "generator", step_);
    if (ema_ != nullptr) ema_->update();
    first_.resize(Shape{n, g_.config().w_dim});
    std::copy(w_.data(), w_.data() + first_.size(), first_.data());
    g_.update_w_avg(first_, o_.w_avg_beta);
    s.generator_updated = true;
    return s;
  }

  /// Steps so far.
  std::int64_t steps() const { return step_; }
  /// Restores the step count (for resuming).
  /// @param s the count; >= 0.
  /// @throws argument_error for a negative count.
  void set_steps(std::int64_t s) {
    if (s < 0) throw argument_error("StyleGanTrainer::set_steps(): negative step count");
    step_ = s;
  }
  /// The generator of the latents and the mixing draws; saved for an exact resume.
  Rng& rng() { return rng_; }
  /// The options given at construction.
  const StyleGanTrainerOptions& options() const { return o_; }

 private:
  static void require_bound(Optimizer<Scalar>& opt, std::vector<Parameter<Scalar>> own_params, const char* which) {
    std::set<const Tensor<Scalar>*> own;
    for (auto& p : own_params) own.insert(p.value);
    for (auto& p : opt.parameters())
      if (!own.count(p.value))
        throw argument_error(std::string("StyleGanTrainer::StyleGanTrainer(): the ") + which + " optimizer holds parameter " + p.name +
                             " that is not the " + which + "'s");
  }
  static double r1_weight(const StyleGanTrainerOptions& o) { return o.r1_gamma > 0 && o.r1_interval >= 1 ? o.r1_gamma * o.r1_interval : 0.0; }
  // 2N latents, w = mapping(z); sample b takes w[b] before its crossover slot and w[N + b] from there (crossover L,
  // i.e. no mixing, with probability 1 - mixing_prob).
  void draw_styles(Index n) {
    const Index L = g_.num_ws(), zd = g_.config().z_dim, d = g_.config().w_dim;
    z_.resize(Shape{2 * n, zd});
    rng_.fill_normal(z_);
    crossover_.assign(static_cast<std::size_t>(n), L);
    for (auto& k : crossover_)
      if (rng_.uniform() < o_.mixing_prob) k = 1 + static_cast<Index>(rng_.uniform() * static_cast<double>(L - 1));
    w_.assign(g_.map(z_));
    first_.resize(Shape{n, d});
    second_.resize(Shape{n, d});
    std::copy(w_.data(), w_.data() + n * d, first_.data());
    std::copy(w_.data() + n * d, w_.data() + 2 * n * d, second_.data());
    StyleGenerator<Scalar>::mix_styles(first_, second_, crossover_, L, ws_);
  }
  // dLoss/dw (2N, w_dim) from dLoss/dws: each slot's gradient goes to the w that filled it.
  void route_to_w(const Tensor<Scalar>& grad_ws, Index n) {
    const Index L = g_.num_ws(), d = g_.config().w_dim;
    grad_w_.resize(Shape{2 * n, d});
    grad_w_.set_zero();
    for (Index b = 0; b < n; ++b)
      for (Index l = 0; l < L; ++l) {
        const Index row = l < crossover_[static_cast<std::size_t>(b)] ? b : n + b;
        grad_w_.array().segment(row * d, d) += grad_ws.array().segment((b * L + l) * d, d);
      }
  }

  StyleGenerator<Scalar>& g_;
  Discriminator<Scalar>& d_;
  Optimizer<Scalar>& g_opt_;
  Optimizer<Scalar>& d_opt_;
  StyleGanTrainerOptions o_;
  AdversarialSteps<Scalar> plain_, with_r1_;  // the shared D update and G term, without and with R1
  Rng rng_;
  ExponentialMovingAverage<Scalar>* ema_ = nullptr;
  std::int64_t step_ = 0;
  std::vector<Index> crossover_;
  Tensor<Scalar> z_, w_, first_, second_, ws_, fake_, grad_w_;
};

/// Everything a StyleGanTrainer run needs to continue exactly: both models (the generator's parameters, w_avg and
/// fixed noise, its noise generator), both optimizers, the EMA (when there is one), the trainer's step count and
/// generator. Entries: generator.*, discriminator.*, generator_optimizer.*, discriminator_optimizer.*, ema.*,
/// trainer.step, trainer.rng.
template <typename Scalar>
struct StyleGanState {
  /// The generator.
  StyleGenerator<Scalar>& generator;
  /// The discriminator.
  Discriminator<Scalar>& discriminator;
  /// The generator's optimizer.
  Optimizer<Scalar>& generator_optimizer;
  /// The discriminator's optimizer.
  Optimizer<Scalar>& discriminator_optimizer;
  /// The trainer.
  StyleGanTrainer<Scalar>& trainer;
  /// The generator's EMA, or nullptr.
  ExponentialMovingAverage<Scalar>* ema = nullptr;

  /// Adds the state to `c`.
  /// @param c the checkpoint to fill.
  /// @throws divergence_error when a parameter is not finite.
  void save(Checkpoint& c) const {
    for (auto& p : generator.parameters())
      if (!p.value->all_finite()) throw divergence_error("StyleGanState::save(): generator." + p.name + " is not finite; not saving it");
    for (auto& p : generator.parameters()) c.put("generator." + p.name, *p.value);
    for (auto& b : generator.buffers()) c.put("generator." + b.name, *b.value);
    c.put_text("generator.noise_rng", generator.synthesis().noise_rng().state());
    save_model(c, "discriminator", discriminator);
    save_optimizer(c, "generator_optimizer", generator_optimizer);
    save_optimizer(c, "discriminator_optimizer", discriminator_optimizer);
    if (ema != nullptr) save_ema(c, "ema", *ema);
    c.put_text("trainer.step", std::to_string(trainer.steps()));
    c.put_text("trainer.rng", trainer.rng().state());
  }
  /// Restores what save() stored, checking every entry (name, shape, scalar type, finite values) before the
  /// generator changes.
  /// @param c the checkpoint to read.
  /// @throws io_error naming the entry that is missing or malformed.
  void load(const Checkpoint& c) {
    auto count = [&](const std::string& name) {
      const std::string t = c.text(name);
      if (t.empty() || t.size() > 18 || t.find_first_not_of("0123456789") != std::string::npos)
        throw io_error("StyleGanState::load(): " + name + " is '" + t.substr(0, 30) + "': expected a count");
      return static_cast<std::int64_t>(std::stoll(t));
    };
    const std::int64_t step = count("trainer.step");
    Rng rng, noise;
    rng.set_state(c.text("trainer.rng"));
    noise.set_state(c.text("generator.noise_rng"));
    std::vector<std::pair<Tensor<Scalar>*, Tensor<Scalar>>> staged;
    for (auto& p : generator.parameters()) {
      staged.emplace_back(p.value, Tensor<Scalar>(p.value->shape()));
      c.get("generator." + p.name, staged.back().second);
      if (!staged.back().second.all_finite()) throw io_error("StyleGanState::load(): generator." + p.name + " holds non-finite values");
    }
    for (auto& b : generator.buffers()) {
      staged.emplace_back(b.value, Tensor<Scalar>(b.value->shape()));
      c.get("generator." + b.name, staged.back().second);
    }
    if (ema != nullptr) load_ema(c, "ema", *ema);  // whole or not at all, before anything else changes
    load_model(c, "discriminator", discriminator);
    load_optimizer(c, "generator_optimizer", generator_optimizer);
    load_optimizer(c, "discriminator_optimizer", discriminator_optimizer);
    for (auto& [target, value] : staged) target->assign(value);
    generator.synthesis().noise_rng() = noise;
    trainer.set_steps(step);
    trainer.rng() = rng;
  }
};

}  // namespace ganpp
