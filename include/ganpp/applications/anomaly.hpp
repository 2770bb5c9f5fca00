// SPDX-License-Identifier: MIT
/// @file
/// AnomalyScorer: how unlike a trained GAN's data an input is, from the discriminator's logit and, optionally, an
/// AnoGAN latent search for the generated image closest to the input.
#pragma once

#include "../losses.hpp"
#include "../models.hpp"
#include "../optim/adam.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace ganpp {

namespace detail {

/// Puts a generator and a discriminator in eval mode, frozen, with input gradients on; restores the modes and flags
/// it found when it goes (AnomalyScorer and EncoderTrainer score and train through frozen models).
template <typename Scalar>
class FrozenGan {
 public:
  /// Freezes both models and turns their input gradients on.
  /// @param g the generator.
  /// @param d the discriminator.
  FrozenGan(Generator<Scalar>& g, Discriminator<Scalar>& d)
      : g_(g), d_(d), g_train_(g.is_training()), d_train_(d.is_training()), g_frozen_(g.net().is_frozen()), d_frozen_(d.net().is_frozen()),
        g_grad_(g.net().needs_input_grad()), d_grad_(d.net().needs_input_grad()) {
    for (Model<Scalar>* m : {static_cast<Model<Scalar>*>(&g), static_cast<Model<Scalar>*>(&d)}) {
      m->eval();
      m->set_frozen(true);
      m->set_input_grad(true);
    }
  }
  /// Restores what the constructor found.
  ~FrozenGan() {
    g_.train(g_train_);
    d_.train(d_train_);
    g_.set_frozen(g_frozen_);
    d_.set_frozen(d_frozen_);
    g_.set_input_grad(g_grad_);
    d_.set_input_grad(d_grad_);
  }
  FrozenGan(const FrozenGan&) = delete;
  FrozenGan& operator=(const FrozenGan&) = delete;

 private:
  Generator<Scalar>& g_;
  Discriminator<Scalar>& d_;
  bool g_train_, d_train_, g_frozen_, d_frozen_, g_grad_, d_grad_;
};

/// A residual relative to its input's content: residual / mean((x - background)^2) over the input's n elements
/// (AnomalyScores::relative_residual), with an input of pure background dividing by 1e-12.
template <typename Scalar>
double relative_residual(double residual, const Scalar* x, Index n, double background) {
  double content = 0;
  for (Index j = 0; j < n; ++j) {
    const double d = static_cast<double>(x[j]) - background;
    content += d * d;
  }
  return residual / std::max(content / static_cast<double>(n), 1e-12);
}

}  // namespace detail

/// How AnomalyScorer scores inputs: with the discriminator alone, or with AnoGAN's latent search (Schlegl et al.
/// 2017) for the generated sample closest to each input.
struct AnomalyOptions {
  int search_steps = 0;      ///< latent-search steps per input; 0 scores with the discriminator alone
  int starts = 1;            ///< random latents tried per input; the search starts from the one with the lowest L(z)
  double search_lr = 0.05;   ///< Adam step size for the latents during the search
  double lambda = 0.1;       ///< weight of the discriminator term against the residual, in [0, 1] (AnoGAN's lambda)
  double background = -1;    ///< an empty input element (-1 in ganpp's image scaling); see relative_residual
  Index batch = 256;         ///< inputs searched together (each has its own latent; only memory depends on this)
  std::uint64_t seed = 0;    ///< seeds the initial latents of the search
};

/// Per-input scores; higher means more anomalous.
struct AnomalyScores {
  /// The anomaly score: `discriminator` without a search; with one, AnoGAN's (1 - lambda) residual + lambda
  /// softplus(-D(G(z*))) at the latent z* the search found.
  std::vector<double> score;
  /// softplus(-D(x)) = -log sigmoid(D(x)): how fake the discriminator finds the input itself.
  std::vector<double> discriminator;
  /// Mean squared difference between the input and its reconstruction G(z*) (the search's) or G(E(x)) (an
  /// encoder's), per element (empty without a search).
  std::vector<double> residual;
  /// residual / mean((x - background)^2): the residual relative to the input's own content. On images the raw
  /// residual grows with the amount of ink (an MNIST 1 reconstructs far better than a 0 or an 8), which can hide
  /// what is unusual; this divides that out (empty without a search; an input of pure background divides by 1e-12).
  std::vector<double> relative_residual;
  /// Mean squared difference between the discriminator's features of the input and of its reconstruction, per
  /// feature (f-AnoGAN's discriminator residual; filled by EncoderTrainer::score() only).
  std::vector<double> feature_residual;
};

/// Scores inputs by how unlike the training data a trained GAN finds them.
///
/// Without a search the score is the discriminator's: softplus(-D(x)). With `search_steps` > 0 it follows AnoGAN
/// (Schlegl et al. 2017, "Unsupervised anomaly detection with generative adversarial networks to guide marker
/// discovery"): for each input x, Adam moves a latent z to minimise
///   L(z) = (1 - lambda) mean((G(z) - x)^2) + lambda softplus(-D(G(z))),
/// backpropagating through the frozen generator and discriminator to z (the generator's input gradient), and the
/// score is L at the final z: inputs the generator cannot reproduce, or only as images the discriminator rejects,
/// score high. L(z) has many poor local minima, so with `starts` > 1 each input's search begins at the best of that
/// many random latents (measured: a single start left the search in them). AnoGAN's residual is the L1 norm; the squared one used here is smooth, which suits the search.
/// Both models run in eval mode and are frozen during scoring; their modes and flags are restored afterwards and
/// their parameters and gradients are left untouched.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class AnomalyScorer {
 public:
  /// @throws argument_error for bad options or conditional models; shape_error when G's output does not fit D.
  AnomalyScorer(Generator<Scalar>& g, Discriminator<Scalar>& d, AnomalyOptions o = {}) : g_(g), d_(d), o_(o) {
    if (o.search_steps < 0) throw argument_error("AnomalyScorer::AnomalyScorer(): search_steps must be >= 0, got " + std::to_string(o.search_steps));
    if (o.starts < 1) throw argument_error("AnomalyScorer::AnomalyScorer(): starts must be >= 1, got " + std::to_string(o.starts));
    if (!std::isfinite(o.background)) throw argument_error("AnomalyScorer::AnomalyScorer(): background must be finite");
    if (!(o.search_lr > 0)) throw argument_error("AnomalyScorer::AnomalyScorer(): search_lr must be positive, got " + std::to_string(o.search_lr));
    if (!(o.lambda >= 0 && o.lambda <= 1)) throw argument_error("AnomalyScorer::AnomalyScorer(): lambda must be in [0, 1], got " + std::to_string(o.lambda));
    if (o.batch < 1) throw argument_error("AnomalyScorer::AnomalyScorer(): batch must be positive, got " + std::to_string(o.batch));
    if (g.conditional() || d.conditional())
      throw argument_error("AnomalyScorer::AnomalyScorer(): conditional models are not supported (the score would depend on the label asked for)");
    if (o.search_steps > 0 && g.output_shape() != d.input_shape())
      throw shape_error("AnomalyScorer::AnomalyScorer(): generator output per-sample shape " + g.output_shape().str() +
                        " does not match discriminator input shape " + d.input_shape().str());
  }

  /// The options given at construction.
  const AnomalyOptions& options() const { return o_; }

  /// Scores a batch of inputs of the discriminator's per-sample input shape.
  /// @throws shape_error for inputs of another shape.
  AnomalyScores score(const Tensor<Scalar>& x) {
    if (x.rank() < 1 || x.batch() < 1 || x.shape().sample_shape() != d_.input_shape())
      throw shape_error("AnomalyScorer::score(): expected a non-empty batch of per-sample shape " + d_.input_shape().str() + ", got " +
                        x.shape().str());
    detail::FrozenGan<Scalar> guard(g_, d_);
    AnomalyScores s;
    const Index n = x.batch(), per = x.shape().sample_size();
    Rng rng(o_.seed);
    for (Index start = 0; start < n; start += o_.batch) {
      const Index m = std::min(o_.batch, n - start);
      chunk_.resize(x.shape().with_batch(m));
      std::copy(x.data() + start * per, x.data() + (start + m) * per, chunk_.data());
      const Tensor<Scalar>& logits = d_.forward(chunk_);
      for (Index i = 0; i < m; ++i) s.discriminator.push_back(static_cast<double>(softplus(-logits[i])));
      if (o_.search_steps > 0) search(chunk_, rng, s);
    }
    if (o_.search_steps == 0) s.score = s.discriminator;
    return s;
  }

 private:
  // Latent search for one chunk; appends its scores and residuals.
  void search(const Tensor<Scalar>& x, Rng& rng, AnomalyScores& s) {
    const Index m = x.batch(), per = x.shape().sample_size();
    g_.sample_latent(m, rng, z_);
    if (o_.starts > 1) pick_starts(x, rng);
    z_grad_.resize(z_.shape());
    Adam<Scalar> opt({{"z", &z_, &z_grad_}}, {o_.search_lr, 0.9, 0.999});
    for (int step = 0; step < o_.search_steps; ++step) {
      evaluate(x, true);
      opt.step();
    }
    evaluate(x, false);
    for (Index i = 0; i < m; ++i) {
      const auto k = static_cast<std::size_t>(i);
      s.residual.push_back(residual_[k]);
      s.relative_residual.push_back(detail::relative_residual(residual_[k], x.data() + i * per, per, o_.background));
      s.score.push_back(loss(k));
    }
  }

  // L(z) for each input at its latent in z_: residual_ and realness_; with `gradient`, also dL/dz into z_grad_.
  void evaluate(const Tensor<Scalar>& x, bool gradient) {
    const Index m = x.batch(), per = x.shape().sample_size();
    const Scalar lambda = static_cast<Scalar>(o_.lambda), keep = Scalar(1) - lambda;
    residual_.resize(static_cast<std::size_t>(m));
    realness_.resize(static_cast<std::size_t>(m));
    const Tensor<Scalar>& out = g_.forward(z_);
    grad_out_.resize(out.shape());
    for (Index i = 0; i < m; ++i) {
      double r = 0;
      for (Index k = 0; k < per; ++k) {
        const Scalar diff = out[i * per + k] - x[i * per + k];
        r += static_cast<double>(diff * diff);
        grad_out_[i * per + k] = keep * Scalar(2) * diff / static_cast<Scalar>(per);
      }
      residual_[static_cast<std::size_t>(i)] = r / static_cast<double>(per);
    }
    const Tensor<Scalar>& logits = d_.forward(out);
    logit_grad_.resize(logits.shape());
    for (Index i = 0; i < m; ++i) {
      realness_[static_cast<std::size_t>(i)] = static_cast<double>(softplus(-logits[i]));
      logit_grad_[i] = -lambda * sigmoid(-logits[i]);  // d softplus(-l) / dl = -sigmoid(-l)
    }
    if (!gradient) return;
    if (lambda > 0) grad_out_.array() += d_.backward(logit_grad_).array();
    z_grad_.assign(g_.backward(grad_out_));
  }

  // L(z) of input i from the last evaluate().
  double loss(std::size_t i) const { return (1 - o_.lambda) * residual_[i] + o_.lambda * realness_[i]; }

  // Replaces each input's latent in z_ by the best of o_.starts random ones (the current one included).
  void pick_starts(const Tensor<Scalar>& x, Rng& rng) {
    const Index m = x.batch(), dim = z_.shape().sample_size();
    best_z_ = z_;
    evaluate(x, false);
    best_.resize(static_cast<std::size_t>(m));
    for (std::size_t i = 0; i < best_.size(); ++i) best_[i] = loss(i);
    for (int s = 1; s < o_.starts; ++s) {
      g_.sample_latent(m, rng, z_);
      evaluate(x, false);
      for (Index i = 0; i < m; ++i)
        if (loss(static_cast<std::size_t>(i)) < best_[static_cast<std::size_t>(i)]) {
          best_[static_cast<std::size_t>(i)] = loss(static_cast<std::size_t>(i));
          std::copy(z_.data() + i * dim, z_.data() + (i + 1) * dim, best_z_.data() + i * dim);
        }
    }
    z_.assign(best_z_);
  }

  Generator<Scalar>& g_;
  Discriminator<Scalar>& d_;
  AnomalyOptions o_;
  Tensor<Scalar> chunk_, z_, z_grad_, grad_out_, logit_grad_, best_z_;
  std::vector<double> residual_, realness_, best_;  // per input of the current chunk
};

}  // namespace ganpp
