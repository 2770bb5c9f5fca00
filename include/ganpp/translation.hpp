// SPDX-License-Identifier: MIT
/// @file
/// Image-to-image translation trainers: Pix2PixTrainer (paired, Isola et al. 2017) and CycleGanTrainer (unpaired,
/// Zhu et al. 2017), with CycleGAN's ImagePool; both resume bit for bit from a Checkpoint.
#pragma once

#include "adversarial.hpp"
#include "checkpoint.hpp"
#include "model_io.hpp"

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace ganpp {

namespace detail {
// Every parameter of `opt` must belong to `m`.
template <typename Scalar>
void require_optimizer_of(Optimizer<Scalar>& opt, Model<Scalar>& m, const std::string& where, const char* which) {
  std::set<const Tensor<Scalar>*> own;
  for (auto& p : m.parameters()) own.insert(p.value);
  for (auto& p : opt.parameters())
    if (!own.count(p.value))
      throw argument_error(where + ": the " + which + " optimizer holds parameter " + p.name + " that is not the " + which + "'s");
}
// Concatenates two image batches along the channels: (N, Ca, H, W) and (N, Cb, H, W) -> (N, Ca + Cb, H, W).
template <typename Scalar>
void concat_channels(const Tensor<Scalar>& a, const Tensor<Scalar>& b, Tensor<Scalar>& out) {
  const Index n = a.batch(), sa = a.shape().sample_size(), sb = b.shape().sample_size();
  Shape s = a.shape();
  s[1] = a.shape()[1] + b.shape()[1];
  out.resize(s);
  for (Index i = 0; i < n; ++i) {
    std::copy(a.data() + i * sa, a.data() + (i + 1) * sa, out.data() + i * (sa + sb));
    std::copy(b.data() + i * sb, b.data() + (i + 1) * sb, out.data() + i * (sa + sb) + sa);
  }
}
// Reads a step count written by std::to_string, refusing anything else.
inline std::int64_t parse_step(const std::string& text, const std::string& where, const std::string& entry) {
  if (!text.empty() && text.size() <= 19 && text.find_first_not_of("0123456789") == std::string::npos) {
    const std::int64_t v = std::stoll(text);
    if (v <= (std::int64_t{1} << 62)) return v;
  }
  throw io_error(where + ": " + entry + " is '" + text.substr(0, 30) + "': expected a step count from 0 to 2^62");
}
}  // namespace detail

/// CycleGAN's history of generated images (Shrivastava et al. 2017; Zhu et al. 2017, section 4): the discriminator
/// is shown a mix of the newest generated images and older ones. While fewer than `size` images are stored, each new
/// image is stored and returned; then, with probability 1/2, a random stored image is returned in its place and the
/// new one takes its slot, else the new image is returned (the authors' ImagePool). Size 0 returns the batch as is.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class ImagePool {
 public:
  /// @param size the number of images kept (CycleGAN: 50).
  /// @throws argument_error for a negative size.
  explicit ImagePool(Index size = 50) : size_(size) {
    if (size < 0) throw argument_error("ImagePool::ImagePool(): size must be >= 0, got " + std::to_string(size));
  }
  /// The batch to show the discriminator in place of `images`.
  /// @param images a batch of generated images.
  /// @param rng draws the choices (one uniform per image once the pool is full, and a slot when swapping).
  /// @param out receives the batch, images' shape.
  /// @throws shape_error when the images differ in per-sample shape from those stored.
  void query(const Tensor<Scalar>& images, Rng& rng, Tensor<Scalar>& out) {
    out.assign(images);
    if (size_ == 0) return;
    const Index n = images.batch(), per = images.shape().sample_size();
    if (!stored_.empty() && static_cast<Index>(stored_.front().size()) != per)
      throw shape_error("ImagePool::query(): images of per-sample shape " + images.shape().sample_shape().str() + " do not match the pool's");
    for (Index i = 0; i < n; ++i) {
      const Scalar* img = images.data() + i * per;
      if (static_cast<Index>(stored_.size()) < size_) {
        stored_.emplace_back(img, img + per);
      } else if (rng.uniform() > 0.5) {
        auto& slot = stored_[static_cast<std::size_t>(rng.next_u64() % static_cast<std::uint64_t>(size_))];
        std::copy(slot.begin(), slot.end(), out.data() + i * per);
        std::copy(img, img + per, slot.begin());
      }
    }
  }
  /// The number of images stored.
  Index stored() const { return static_cast<Index>(stored_.size()); }
  /// The pool's capacity.
  Index size() const { return size_; }
  /// Saves the stored images as "prefix.count" and the tensor "prefix.images" of shape (count, per-sample size).
  /// @param c the checkpoint.
  /// @param prefix the entries' prefix.
  void save(Checkpoint& c, const std::string& prefix) const {
    c.put_text(prefix + ".count", std::to_string(stored_.size()));
    if (stored_.empty()) return;
    const Index per = static_cast<Index>(stored_.front().size());
    Tensor<Scalar> t(Shape{static_cast<Index>(stored_.size()), per});
    for (std::size_t i = 0; i < stored_.size(); ++i) std::copy(stored_[i].begin(), stored_[i].end(), t.data() + static_cast<Index>(i) * per);
    c.put(prefix + ".images", t);
  }
  /// Restores what save() stored.
  /// @param c the checkpoint.
  /// @param prefix the entries' prefix.
  /// @param per_sample the number of values per image the pool must hold.
  /// @throws io_error for a missing entry, a count above the pool's size, or images of another size.
  void load(const Checkpoint& c, const std::string& prefix, Index per_sample) {
    const std::int64_t count = detail::parse_step(c.text(prefix + ".count"), "ImagePool::load()", prefix + ".count");
    if (count > size_)
      throw io_error("ImagePool::load(): " + prefix + ".count is " + std::to_string(count) + ", above the pool's size " + std::to_string(size_));
    std::vector<std::vector<Scalar>> stored;
    if (count > 0) {
      Tensor<Scalar> t(Shape{static_cast<Index>(count), per_sample});
      c.get(prefix + ".images", t);
      for (Index i = 0; i < count; ++i) stored.emplace_back(t.data() + i * per_sample, t.data() + (i + 1) * per_sample);
    }
    stored_ = std::move(stored);
  }

 private:
  Index size_;
  std::vector<std::vector<Scalar>> stored_;
};

/// What one translation step did. Losses are as the papers weigh them.
struct TranslationStats {
  std::int64_t step = 0;      ///< 1-based step count
  double d_loss = 0;          ///< the discriminator's loss (CycleGAN: D_A's plus D_B's); 0 without a discriminator
  double d_real = 0;          ///< mean sigmoid of D's logits on real images (CycleGAN: the mean over both D)
  double d_fake = 0;          ///< mean sigmoid of D's logits on generated images (likewise)
  double g_adversarial = 0;   ///< the generators' adversarial loss (CycleGAN: the sum over both directions)
  double reconstruction = 0;  ///< pix2pix: lambda_l1 * L1(G(x), y); CycleGAN: lambda_cycle * (both cycle L1 losses)
  double identity = 0;        ///< CycleGAN: lambda_identity * lambda_cycle * (both identity L1 losses); 0 for pix2pix
  double g_loss = 0;          ///< g_adversarial + reconstruction + identity
};

/// pix2pix's options (Isola et al. 2017).
struct Pix2PixOptions {
  LossKind loss = LossKind::non_saturating;  ///< the adversarial loss (the paper: the BCE game, non-saturating for G)
  double lambda_l1 = 100.0;                  ///< weight of the L1 term
  std::uint64_t seed = 0;                    ///< seeds the trainer's generator (WGAN-GP's draws)
  bool check_finite = true;                  ///< throw divergence_error when a loss or parameter stops being finite
  double r1_gamma = 0.0;                     ///< > 0: R1 on the real pairs (see AdversarialOptions)
  double gp_lambda = 0.0;                    ///< > 0: WGAN-GP on the pairs (see AdversarialOptions)
};

/// Trains pix2pix: a generator G from input images x to output images y, against a conditional discriminator D that
/// sees (x, y) concatenated along the channels, real pairs against (x, G(x)) (Isola et al. 2017, eq. 4:
/// G* = arg min_G max_D L_cGAN(G, D) + lambda L_L1(G)).
///
/// step(): G(x); D's update on (x, y) and the detached (x, G(x)) (AdversarialSteps::discriminator_step); then G's:
/// the adversarial term through D frozen, whose input gradient's output-image channels are added to lambda_l1 * the
/// L1 gradient and sent back through G. D's loss is the sum of its real and fake terms (the authors halve it, which
/// Adam's scale invariance makes moot up to its epsilon).
///
/// Without a discriminator (the second constructor) G learns from lambda_l1 * L1 alone: the paper's L1-only
/// baseline.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class Pix2PixTrainer {
 public:
  /// Keeps references: the models and optimizers must outlive the trainer.
  /// @param g the generator, (C_in, H, W) -> (C_out, H, W).
  /// @param d the discriminator over (C_in + C_out, H, W) pairs (a logit map or one logit per pair).
  /// @param g_opt an optimizer over g's parameters.
  /// @param d_opt an optimizer over d's parameters.
  /// @param o the options.
  /// @throws shape_error when d does not take g's input and output concatenated; argument_error for unconditional
  ///         label counts, a negative lambda or an optimizer over other parameters.
  Pix2PixTrainer(ImageGenerator<Scalar>& g, Discriminator<Scalar>& d, Optimizer<Scalar>& g_opt, Optimizer<Scalar>& d_opt, Pix2PixOptions o = {})
      : g_(g), d_(&d), g_opt_(g_opt), d_opt_(&d_opt), o_(o), rng_(o.seed), adv_(GanLoss<Scalar>(o.loss), adversarial(o), "Pix2PixTrainer::step()") {
    check();
    const Shape gi = g.input_shape(), go = g.output_shape();
    Shape pair = go;
    if (gi.rank() == 3 && go.rank() == 3) pair[0] = gi[0] + go[0];
    if (gi.rank() != 3 || go.rank() != 3 || gi[1] != go[1] || gi[2] != go[2] || d.input_shape() != pair)
      throw shape_error("Pix2PixTrainer::Pix2PixTrainer(): the discriminator must take the input " + gi.str() + " and output " + go.str() +
                        " concatenated along the channels, but takes " + d.input_shape().str());
    if (d.conditional()) throw argument_error("Pix2PixTrainer::Pix2PixTrainer(): the discriminator is conditioned on the input image, not on labels");
    detail::require_optimizer_of(d_opt, d, "Pix2PixTrainer::Pix2PixTrainer()", "discriminator");
  }
  /// The L1-only baseline: G trained on lambda_l1 * L1 with no discriminator.
  /// @param g the generator.
  /// @param g_opt an optimizer over g's parameters.
  /// @param o the options (loss and penalties unused).
  /// @throws argument_error for a negative lambda or an optimizer over other parameters.
  Pix2PixTrainer(ImageGenerator<Scalar>& g, Optimizer<Scalar>& g_opt, Pix2PixOptions o = {})
      : g_(g), g_opt_(g_opt), o_(o), rng_(o.seed), adv_(GanLoss<Scalar>(o.loss), adversarial(o), "Pix2PixTrainer::step()") {
    check();
  }

  /// One step on a batch of inputs and their targets.
  /// @param input (N, C_in, H, W) images.
  /// @param target (N, C_out, H, W) images, the outputs wanted.
  /// @throws shape_error for batches of the wrong shape; divergence_error (see Pix2PixOptions::check_finite).
  TranslationStats step(const Tensor<Scalar>& input, const Tensor<Scalar>& target) {
    if (input.rank() < 1 || input.batch() < 1 || input.shape().sample_shape() != g_.input_shape() || target.rank() != input.rank() ||
        target.batch() != input.batch() || target.shape().sample_shape() != g_.output_shape())
      throw shape_error("Pix2PixTrainer::step(): expected inputs (N, " + g_.input_shape().str() + ") and targets (N, " + g_.output_shape().str() +
                        "), got " + input.shape().str() + " and " + target.shape().str());
    TranslationStats s;
    s.step = ++step_;
    g_.train();
    const Tensor<Scalar>& fake = g_.forward(input);
    if (d_ != nullptr) {
      d_->train();
      detail::concat_channels(input, target, real_pair_);
      detail::concat_channels(input, fake, fake_pair_);
      const DiscriminatorStats ds = adv_.discriminator_step(*d_, *d_opt_, real_pair_, fake_pair_, nullptr, rng_, step_);
      s.d_loss = ds.loss, s.d_real = ds.real, s.d_fake = ds.fake;
    }
    g_opt_.zero_grad();
    s.reconstruction = static_cast<double>(l1_loss(fake, target, grad_, o_.lambda_l1));
    if (d_ != nullptr) {
      const Tensor<Scalar>& d_pair = adv_.generator_term(*d_, fake_pair_, nullptr, s.g_adversarial);
      // The pair's last C_out channels are G's output.
      const Index n = input.batch(), si = input.shape().sample_size(), so = fake.shape().sample_size();
      for (Index i = 0; i < n; ++i) {
        const Scalar* from = d_pair.data() + i * (si + so) + si;
        Scalar* to = grad_.data() + i * so;
        for (Index k = 0; k < so; ++k) to[k] += from[k];
      }
    }
    g_.backward(grad_);
    s.g_loss = s.g_adversarial + s.reconstruction;
    adv_.update(g_opt_, &s.g_loss, 1, "generator", step_);
    return s;
  }

  /// Steps taken, including those restored by load().
  std::int64_t steps() const { return step_; }
  /// The options given at construction.
  const Pix2PixOptions& options() const { return o_; }
  /// The trainer's own random generator (saved in checkpoints).
  Rng& rng() { return rng_; }

  /// Saves everything a run needs to continue bit for bit: the models (parameters, buffers, Dropout masks' state),
  /// the optimizers, the step count and the trainer's generator, under "generator.", "discriminator.",
  /// "generator_optimizer.", "discriminator_optimizer.", "trainer.*", with "trainer.kind" = "pix2pix" (or
  /// "pix2pix-l1" without a discriminator).
  /// @param c the checkpoint.
  /// @throws divergence_error for a non-finite parameter.
  void save(Checkpoint& c) const {
    c.put_text("trainer.kind", kind());
    save_model(c, "generator", g_);
    save_optimizer(c, "generator_optimizer", g_opt_);
    if (d_ != nullptr) {
      save_model(c, "discriminator", *d_);
      save_optimizer(c, "discriminator_optimizer", *d_opt_);
    }
    c.put_text("trainer.step", std::to_string(step_));
    c.put_text("trainer.rng", rng_.state());
  }
  /// Restores what save() stored.
  /// @param c the checkpoint.
  /// @throws io_error for a checkpoint of another trainer kind or a missing, malformed or mismatched entry.
  void load(const Checkpoint& c) {
    const std::string k = c.text("trainer.kind");
    if (k != kind()) throw io_error("Pix2PixTrainer::load(): the checkpoint is of a '" + k + "' run, not '" + kind() + "'");
    const std::int64_t step = detail::parse_step(c.text("trainer.step"), "Pix2PixTrainer::load()", "trainer.step");
    Rng rng;
    rng.set_state(c.text("trainer.rng"));
    load_model(c, "generator", g_);
    load_optimizer(c, "generator_optimizer", g_opt_);
    if (d_ != nullptr) {
      load_model(c, "discriminator", *d_);
      load_optimizer(c, "discriminator_optimizer", *d_opt_);
    }
    step_ = step;
    rng_ = rng;
  }

 private:
  static AdversarialOptions adversarial(const Pix2PixOptions& o) {
    AdversarialOptions a;
    a.check_finite = o.check_finite;
    a.r1_gamma = o.r1_gamma;
    a.gp_lambda = o.gp_lambda;
    return a;
  }
  std::string kind() const { return d_ != nullptr ? "pix2pix" : "pix2pix-l1"; }
  void check() {
    if (!(o_.lambda_l1 >= 0) || !std::isfinite(o_.lambda_l1))
      throw argument_error("Pix2PixTrainer::Pix2PixTrainer(): lambda_l1 must be finite and >= 0, got " + std::to_string(o_.lambda_l1));
    detail::require_optimizer_of(g_opt_, g_, "Pix2PixTrainer::Pix2PixTrainer()", "generator");
    g_.set_input_grad(false);
  }

  ImageGenerator<Scalar>& g_;
  Discriminator<Scalar>* d_ = nullptr;
  Optimizer<Scalar>& g_opt_;
  Optimizer<Scalar>* d_opt_ = nullptr;
  Pix2PixOptions o_;
  Rng rng_;
  AdversarialSteps<Scalar> adv_;
  std::int64_t step_ = 0;
  Tensor<Scalar> real_pair_, fake_pair_, grad_;
};

/// CycleGAN's options (Zhu et al. 2017, section 4 and appendix 7.1).
struct CycleGanOptions {
  LossKind loss = LossKind::least_squares;  ///< the adversarial loss (the paper: least squares)
  double lambda_cycle = 10.0;               ///< weight of each direction's cycle L1 loss
  double lambda_identity = 0.5;             ///< identity L1 loss weight, relative to lambda_cycle (0: none)
  Index pool_size = 50;                     ///< images in each discriminator's history pool (0: none)
  std::uint64_t seed = 0;                   ///< seeds the pools' draws
  bool check_finite = true;                 ///< throw divergence_error when a loss or parameter stops being finite
};

/// Trains CycleGAN on unpaired batches: G_AB maps domain A to B, G_BA maps B to A; D_A judges A images, D_B judges
/// B images (Zhu et al. 2017, eq. 3 with the identity term of section 5.2):
/// L = L_GAN(G_AB, D_B) + L_GAN(G_BA, D_A) + lambda_cycle (|G_BA(G_AB(a)) - a|_1 + |G_AB(G_BA(b)) - b|_1)
///   + lambda_identity lambda_cycle (|G_AB(b) - b|_1 + |G_BA(a) - a|_1).
///
/// step() follows the authors' order: first the generators' update (both discriminators frozen), then each
/// discriminator's update on its real batch and a batch drawn from its ImagePool of generated images (made before
/// the generators' update). Each generator runs forward three times a step (twice without the identity term), as
/// under PyTorch's autograd: each fake's backward is taken while its generator still holds the activations of the
/// forward that made it, so dropout masks and BatchNorm statistics are those of that forward.
/// D's loss is the sum of its real and fake terms (the authors halve it: moot under Adam up to its epsilon).
/// Each generator and discriminator has its own optimizer (the authors chain both generators into one Adam, which
/// acts per parameter and so is the same).
/// @tparam Scalar float or double.
template <typename Scalar = float>
class CycleGanTrainer {
 public:
  /// Keeps references: the models and optimizers must outlive the trainer.
  /// @param g_ab generator A -> B.
  /// @param g_ba generator B -> A.
  /// @param d_a discriminator of A images.
  /// @param d_b discriminator of B images.
  /// @param g_ab_opt optimizer over g_ab's parameters.
  /// @param g_ba_opt optimizer over g_ba's parameters.
  /// @param d_a_opt optimizer over d_a's parameters.
  /// @param d_b_opt optimizer over d_b's parameters.
  /// @param o the options.
  /// @throws shape_error when the four models' shapes do not chain (g_ab: A -> B, g_ba: B -> A, d_a: A, d_b: B) or
  ///         the identity loss is on while A and B differ in shape; argument_error for bad weights or optimizers.
  CycleGanTrainer(ImageGenerator<Scalar>& g_ab, ImageGenerator<Scalar>& g_ba, Discriminator<Scalar>& d_a, Discriminator<Scalar>& d_b,
                  Optimizer<Scalar>& g_ab_opt, Optimizer<Scalar>& g_ba_opt, Optimizer<Scalar>& d_a_opt, Optimizer<Scalar>& d_b_opt,
                  CycleGanOptions o = {})
      : g_ab_(g_ab), g_ba_(g_ba), d_a_(d_a), d_b_(d_b), g_ab_opt_(g_ab_opt), g_ba_opt_(g_ba_opt), d_a_opt_(d_a_opt), d_b_opt_(d_b_opt), o_(o),
        rng_(o.seed), adv_(GanLoss<Scalar>(o.loss), adversarial(o), "CycleGanTrainer::step()"), pool_a_(o.pool_size), pool_b_(o.pool_size) {
    const std::string where = "CycleGanTrainer::CycleGanTrainer()";
    if (!(o.lambda_cycle >= 0) || !(o.lambda_identity >= 0) || !std::isfinite(o.lambda_cycle) || !std::isfinite(o.lambda_identity))
      throw argument_error(where + ": lambda_cycle and lambda_identity must be finite and >= 0");
    const Shape a = g_ab.input_shape(), b = g_ab.output_shape();
    if (g_ba.input_shape() != b || g_ba.output_shape() != a || d_a.input_shape() != a || d_b.input_shape() != b)
      throw shape_error(where + ": shapes do not chain: G_AB " + a.str() + " -> " + b.str() + ", G_BA " + g_ba.input_shape().str() + " -> " +
                        g_ba.output_shape().str() + ", D_A takes " + d_a.input_shape().str() + ", D_B takes " + d_b.input_shape().str());
    if (o.lambda_identity > 0 && a != b)
      throw shape_error(where + ": the identity loss needs A and B images of one shape, got " + a.str() + " and " + b.str() +
                        " (set lambda_identity = 0)");
    if (d_a.conditional() || d_b.conditional()) throw argument_error(where + ": the discriminators must not be conditioned on labels");
    detail::require_optimizer_of(g_ab_opt, g_ab, where, "generator A->B");
    detail::require_optimizer_of(g_ba_opt, g_ba, where, "generator B->A");
    detail::require_optimizer_of(d_a_opt, d_a, where, "discriminator A");
    detail::require_optimizer_of(d_b_opt, d_b, where, "discriminator B");
    g_ab.set_input_grad(true);  // the B -> A -> B cycle's gradient goes through G_AB into G_BA
    g_ba.set_input_grad(true);
  }

  /// One step on a batch of A images and a batch of B images (unpaired; the batches may differ in size).
  /// @param a (N, A shape) images.
  /// @param b (M, B shape) images.
  /// @throws shape_error for batches of the wrong shape; divergence_error (see CycleGanOptions::check_finite).
  TranslationStats step(const Tensor<Scalar>& a, const Tensor<Scalar>& b) {
    if (a.rank() < 1 || a.batch() < 1 || a.shape().sample_shape() != g_ab_.input_shape() || b.rank() < 1 || b.batch() < 1 ||
        b.shape().sample_shape() != g_ba_.input_shape())
      throw shape_error("CycleGanTrainer::step(): expected A images (N, " + g_ab_.input_shape().str() + ") and B images (M, " +
                        g_ba_.input_shape().str() + "), got " + a.shape().str() + " and " + b.shape().str());
    TranslationStats s;
    s.step = ++step_;
    g_ab_.train(), g_ba_.train(), d_a_.train(), d_b_.train();
    g_ab_opt_.zero_grad();
    g_ba_opt_.zero_grad();
    const double w_cyc = o_.lambda_cycle, w_idt = o_.lambda_cycle * o_.lambda_identity;
    // Each generator runs three times (its fake, the other's cycle, its identity), and each fake's backward comes
    // while its generator still holds that forward's activations: a layer keeps only its last forward's.
    // B -> A -> B: fake_a = G_BA(b), G_AB(fake_a) against b; fake_a's gradient is the cycle's plus D_A's adversarial
    // term, sent back through G_BA before it runs again. G_AB's parameter gradients accumulate over its runs.
    double adv = 0;
    fake_a_.assign(g_ba_.forward(b));
    s.reconstruction += static_cast<double>(l1_loss(g_ab_.forward(fake_a_), b, grad_, w_cyc));
    grad_fake_a_.assign(g_ab_.backward(grad_));
    grad_fake_a_.array() += adv_.generator_term(d_a_, fake_a_, nullptr, adv).array();
    s.g_adversarial += adv;
    g_ba_.backward(grad_fake_a_);
    if (w_idt > 0) {  // G_AB's identity on b
      s.identity += static_cast<double>(l1_loss(g_ab_.forward(b), b, grad_, w_idt));
      g_ab_.backward(grad_);
    }
    // A -> B -> A, the same way round, and G_BA's identity on a.
    fake_b_.assign(g_ab_.forward(a));
    s.reconstruction += static_cast<double>(l1_loss(g_ba_.forward(fake_b_), a, grad_, w_cyc));
    grad_fake_b_.assign(g_ba_.backward(grad_));
    grad_fake_b_.array() += adv_.generator_term(d_b_, fake_b_, nullptr, adv).array();
    s.g_adversarial += adv;
    g_ab_.backward(grad_fake_b_);
    if (w_idt > 0) {
      s.identity += static_cast<double>(l1_loss(g_ba_.forward(a), a, grad_, w_idt));
      g_ba_.backward(grad_);
    }
    s.g_loss = s.g_adversarial + s.reconstruction + s.identity;
    double loss = s.g_loss;
    adv_.update(g_ab_opt_, &loss, 1, "generator A->B", step_);
    loss = s.g_loss;
    adv_.update(g_ba_opt_, &loss, 1, "generator B->A", step_);
    // The discriminators, on generated images from their pools.
    pool_b_.query(fake_b_, rng_, pooled_);
    const DiscriminatorStats db = adv_.discriminator_step(d_b_, d_b_opt_, b, pooled_, nullptr, rng_, step_);
    pool_a_.query(fake_a_, rng_, pooled_);
    const DiscriminatorStats da = adv_.discriminator_step(d_a_, d_a_opt_, a, pooled_, nullptr, rng_, step_);
    s.d_loss = da.loss + db.loss;
    s.d_real = (da.real + db.real) / 2;
    s.d_fake = (da.fake + db.fake) / 2;
    return s;
  }

  /// Steps taken, including those restored by load().
  std::int64_t steps() const { return step_; }
  /// The options given at construction.
  const CycleGanOptions& options() const { return o_; }
  /// The pool of generated A images shown to D_A.
  const ImagePool<Scalar>& pool_a() const { return pool_a_; }
  /// The pool of generated B images shown to D_B.
  const ImagePool<Scalar>& pool_b() const { return pool_b_; }

  /// Saves everything a run needs to continue bit for bit: the four models and optimizers (entries
  /// "generator_ab.", "generator_ba.", "discriminator_a.", "discriminator_b." and "<name>_optimizer."), both
  /// pools ("pool_a.", "pool_b."), the step count and the pools' generator ("trainer.*"), "trainer.kind" = "cyclegan".
  /// @param c the checkpoint.
  /// @throws divergence_error for a non-finite parameter.
  void save(Checkpoint& c) const {
    c.put_text("trainer.kind", "cyclegan");
    save_model(c, "generator_ab", g_ab_);
    save_model(c, "generator_ba", g_ba_);
    save_model(c, "discriminator_a", d_a_);
    save_model(c, "discriminator_b", d_b_);
    save_optimizer(c, "generator_ab_optimizer", g_ab_opt_);
    save_optimizer(c, "generator_ba_optimizer", g_ba_opt_);
    save_optimizer(c, "discriminator_a_optimizer", d_a_opt_);
    save_optimizer(c, "discriminator_b_optimizer", d_b_opt_);
    pool_a_.save(c, "pool_a");
    pool_b_.save(c, "pool_b");
    c.put_text("trainer.step", std::to_string(step_));
    c.put_text("trainer.rng", rng_.state());
  }
  /// Restores what save() stored.
  /// @param c the checkpoint.
  /// @throws io_error for a checkpoint of another trainer kind or a missing, malformed or mismatched entry.
  void load(const Checkpoint& c) {
    const std::string k = c.text("trainer.kind");
    if (k != "cyclegan") throw io_error("CycleGanTrainer::load(): the checkpoint is of a '" + k + "' run, not 'cyclegan'");
    const std::int64_t step = detail::parse_step(c.text("trainer.step"), "CycleGanTrainer::load()", "trainer.step");
    Rng rng;
    rng.set_state(c.text("trainer.rng"));
    ImagePool<Scalar> pa = pool_a_, pb = pool_b_;
    pa.load(c, "pool_a", g_ab_.input_shape().numel());
    pb.load(c, "pool_b", g_ba_.input_shape().numel());
    load_model(c, "generator_ab", g_ab_);
    load_model(c, "generator_ba", g_ba_);
    load_model(c, "discriminator_a", d_a_);
    load_model(c, "discriminator_b", d_b_);
    load_optimizer(c, "generator_ab_optimizer", g_ab_opt_);
    load_optimizer(c, "generator_ba_optimizer", g_ba_opt_);
    load_optimizer(c, "discriminator_a_optimizer", d_a_opt_);
    load_optimizer(c, "discriminator_b_optimizer", d_b_opt_);
    pool_a_ = std::move(pa);
    pool_b_ = std::move(pb);
    step_ = step;
    rng_ = rng;
  }

 private:
  static AdversarialOptions adversarial(const CycleGanOptions& o) {
    AdversarialOptions a;
    a.check_finite = o.check_finite;
    return a;
  }

  ImageGenerator<Scalar>& g_ab_;
  ImageGenerator<Scalar>& g_ba_;
  Discriminator<Scalar>& d_a_;
  Discriminator<Scalar>& d_b_;
  Optimizer<Scalar>& g_ab_opt_;
  Optimizer<Scalar>& g_ba_opt_;
  Optimizer<Scalar>& d_a_opt_;
  Optimizer<Scalar>& d_b_opt_;
  CycleGanOptions o_;
  Rng rng_;
  AdversarialSteps<Scalar> adv_;
  ImagePool<Scalar> pool_a_, pool_b_;
  std::int64_t step_ = 0;
  Tensor<Scalar> fake_a_, fake_b_, grad_, grad_fake_a_, grad_fake_b_, pooled_;
};

}  // namespace ganpp
