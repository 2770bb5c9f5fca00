// SPDX-License-Identifier: MIT
/// @file
/// Encoder and EncoderTrainer: f-AnoGAN's izi_f encoder (Schlegl et al. 2019), trained after the GAN so that
/// G(E(x)) reconstructs x in image space and in the discriminator's feature space; it scores an input in one forward
/// pass instead of AnomalyScorer's latent search.
#pragma once

#include "../losses.hpp"
#include "../models.hpp"
#include "../optim/optimizer.hpp"
#include "anomaly.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace ganpp {

/// Maps inputs (per-sample shape of a discriminator's input) to latents (per-sample shape of a generator's latent).
/// @tparam Scalar float or double.
template <typename Scalar = float>
class Encoder : public Model<Scalar> {
 public:
  /// Turns the input gradient off: training an encoder never needs dLoss/dx.
  /// @param net the network, mapping (N, input_shape) to (N, latent shape); the encoder takes ownership.
  /// @param input_shape per-sample input shape, rank 1 to 3: (784) or (1, 28, 28).
  /// @throws argument_error for an input shape of rank outside 1..3.
  /// @throws shape_error when the network does not accept inputs of that shape.
  Encoder(Sequential<Scalar> net, Shape input_shape) : Model<Scalar>(std::move(net), input_shape, 0, "Encoder") {
    this->set_input_grad(false);
  }
};

/// How EncoderTrainer trains and scores.
struct EncoderOptions {
  /// Weight of the discriminator-feature residual against the image residual, in the loss and in the score
  /// (f-AnoGAN's kappa; the paper uses 1).
  double kappa = 1.0;
  /// The discriminator's features f(x) are the output of its first `feature_layers` layers; -1 (the default) takes
  /// every layer but the last, the features the final logit is computed from, as f-AnoGAN does.
  long feature_layers = -1;
  double background = -1;  ///< an empty input element (-1 in ganpp's image scaling), for AnomalyScores::relative_residual
  Index batch = 256;       ///< inputs scored together by score() (only memory depends on it)
};

/// Trains an encoder E for a trained, frozen GAN by f-AnoGAN's izi_f objective (Schlegl et al. 2019, "f-AnoGAN: Fast
/// unsupervised anomaly detection with generative adversarial networks"), and scores inputs with it.
///
/// For a batch x of B inputs with n elements and n_f discriminator features each, the loss is
///   L = 1/B sum_i [ mean_j (G(E(x_i))_j - x_ij)^2 + kappa mean_k (f(G(E(x_i)))_k - f(x_i)_k)^2 ],
/// where f is the output of the discriminator's first layers. The generator and the discriminator are frozen and in
/// eval mode throughout (their modes and flags are restored afterwards; their parameters and gradients are left
/// untouched); only E's parameters get gradients (in the autoencoder-style variant, G's too). The anomaly score of an input is the same sum for that input,
/// residual + kappa feature_residual: inputs the GAN's range does not hold reconstruct badly in both spaces.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class EncoderTrainer {
 public:
  /// @param g the trained generator.
  /// @param d the trained discriminator.
  /// @param e the encoder to train; its mode (train or eval) is the caller's during training.
  /// @param e_opt an optimizer over e.parameters().
  /// @param o the loss weights and the feature layer.
  /// @throws argument_error for conditional models, a negative kappa, a bad feature_layers or batch.
  /// @throws shape_error when E's output is not G's latent shape, E's input or G's output not D's input shape.
  EncoderTrainer(Generator<Scalar>& g, Discriminator<Scalar>& d, Encoder<Scalar>& e, Optimizer<Scalar>& e_opt, EncoderOptions o = {})
      : EncoderTrainer(g, d, e, o) {
    opt_ = &e_opt;  // NOLINT(cppcoreguidelines-prefer-member-initializer): a delegating constructor cannot initialise members
  }

  /// The autoencoder-style variant: as above, but the generator is trained too, on the same loss, by g_opt (it stays
  /// in eval mode; the discriminator stays frozen). G(E(x)) then reconstructs the training data better, and G is no
  /// longer the GAN's generator: this is not f-AnoGAN's izi_f, whose generator is frozen.
  /// @param g the trained generator, fine-tuned.
  /// @param d the trained discriminator.
  /// @param e the encoder to train.
  /// @param e_opt an optimizer over e.parameters().
  /// @param g_opt an optimizer over g.parameters().
  /// @param o the loss weights and the feature layer.
  /// @throws argument_error, shape_error as above.
  EncoderTrainer(Generator<Scalar>& g, Discriminator<Scalar>& d, Encoder<Scalar>& e, Optimizer<Scalar>& e_opt, Optimizer<Scalar>& g_opt,
                 EncoderOptions o = {})
      : EncoderTrainer(g, d, e, e_opt, o) {
    g_opt_ = &g_opt;  // NOLINT(cppcoreguidelines-prefer-member-initializer): a delegating constructor cannot initialise members
  }

  /// For scoring with a trained encoder only: step() throws.
  /// @param g the trained generator.
  /// @param d the trained discriminator.
  /// @param e the trained encoder.
  /// @param o the score's weights and the feature layer, as in training.
  /// @throws argument_error, shape_error as above.
  EncoderTrainer(Generator<Scalar>& g, Discriminator<Scalar>& d, Encoder<Scalar>& e, EncoderOptions o = {}) : g_(g), d_(d), e_(e), o_(o) {
    if (g.conditional() || d.conditional())
      throw argument_error("EncoderTrainer::EncoderTrainer(): conditional models are not supported (the reconstruction would depend on the label asked for)");
    if (!(o.kappa >= 0) || !std::isfinite(o.kappa))
      throw argument_error("EncoderTrainer::EncoderTrainer(): kappa must be finite and >= 0, got " + std::to_string(o.kappa));
    if (o.batch < 1) throw argument_error("EncoderTrainer::EncoderTrainer(): batch must be positive, got " + std::to_string(o.batch));
    if (!std::isfinite(o.background)) throw argument_error("EncoderTrainer::EncoderTrainer(): background must be finite");
    const long layers = static_cast<long>(d.net().size());
    features_ = o.feature_layers < 0 ? layers - 1 : o.feature_layers;
    if (o.feature_layers < -1 || features_ < 1 || features_ >= layers)
      throw argument_error("EncoderTrainer::EncoderTrainer(): feature_layers must be -1 or in 1.." + std::to_string(layers - 1) +
                           " for a discriminator of " + std::to_string(layers) + " layers, got " + std::to_string(o.feature_layers));
    if (e.output_shape() != g.latent_shape())
      throw shape_error("EncoderTrainer::EncoderTrainer(): encoder output per-sample shape " + e.output_shape().str() +
                        " does not match the generator's latent shape " + g.latent_shape().str());
    if (e.input_shape() != d.input_shape() || g.output_shape() != d.input_shape())
      throw shape_error("EncoderTrainer::EncoderTrainer(): encoder input " + e.input_shape().str() + " and generator output " +
                        g.output_shape().str() + " must both be the discriminator's input shape " + d.input_shape().str());
  }

  /// The options given at construction.
  const EncoderOptions& options() const { return o_; }
  /// How many of the discriminator's first layers make the features f(x).
  std::size_t feature_layers() const { return static_cast<std::size_t>(features_); }

  /// Sets E's parameter gradients (and G's, when G is trained too) to dL/dparameter for the batch x, replacing what
  /// they held, and returns L.
  /// @throws shape_error for inputs of another shape than D's input.
  double loss_and_gradient(const Tensor<Scalar>& x) {
    check_input("loss_and_gradient", x);
    detail::FrozenGan<Scalar> guard(g_, d_);
    e_.zero_grad();
    if (g_opt_) {
      g_.set_frozen(false);  // the guard refreezes it as it found it
      g_.zero_grad();
    }
    const Index b = x.batch();
    reconstruct(x);
    const Scalar scale = Scalar(1) / static_cast<Scalar>(b);
    double loss = 0;
    for (Index i = 0; i < b; ++i) loss += residual_[static_cast<std::size_t>(i)] + o_.kappa * feature_residual_[static_cast<std::size_t>(i)];
    // dL/df(G(E(x))) through D's feature layers, plus dL/dG(E(x)) from the image residual, back through G and E.
    const Index n = x.shape().sample_size(), nf = feat_x_.shape().sample_size();
    grad_feat_.resize(feat_x_.shape());
    const Scalar kf = static_cast<Scalar>(2 * o_.kappa) * scale / static_cast<Scalar>(nf);
    for (Index k = 0; k < grad_feat_.size(); ++k) grad_feat_[k] = kf * (feat_rec_[k] - feat_x_[k]);
    const Tensor<Scalar>* gx = &grad_feat_;
    for (std::size_t l = feature_layers(); l-- > 0;) gx = &d_.net()[l].backward(*gx);
    grad_rec_.assign(*gx);
    const Scalar kr = Scalar(2) * scale / static_cast<Scalar>(n);
    for (Index k = 0; k < grad_rec_.size(); ++k) grad_rec_[k] += kr * (rec_[k] - x[k]);
    e_.backward(g_.backward(grad_rec_));
    return loss / static_cast<double>(b);
  }

  /// One training step on a batch: loss_and_gradient(x), then the optimizers' steps. Returns the loss.
  /// @throws shape_error for inputs of another shape than D's input; argument_error without an optimizer.
  double step(const Tensor<Scalar>& x) {
    if (!opt_) throw argument_error("EncoderTrainer::step(): constructed without an optimizer (for scoring only)");
    const double loss = loss_and_gradient(x);
    opt_->step();
    if (g_opt_) g_opt_->step();
    return loss;
  }

  /// Scores a batch of inputs in one pass per chunk of `batch`, with E in eval mode (restored afterwards):
  /// score = residual + kappa feature_residual, with `discriminator` softplus(-D(x)) and `relative_residual` as in
  /// AnomalyScores. Leaves every model's parameters and gradients untouched.
  /// @throws shape_error for inputs of another shape than D's input.
  AnomalyScores score(const Tensor<Scalar>& x) {
    check_input("score", x);
    detail::FrozenGan<Scalar> guard(g_, d_);
    const bool e_train = e_.is_training();
    e_.eval();
    AnomalyScores s;
    const Index n = x.batch(), per = x.shape().sample_size();
    for (Index start = 0; start < n; start += o_.batch) {
      const Index m = std::min(o_.batch, n - start);
      chunk_.resize(x.shape().with_batch(m));
      std::copy(x.data() + start * per, x.data() + (start + m) * per, chunk_.data());
      reconstruct(chunk_);
      // The rest of D on f(x) gives D(x)'s logit.
      const Tensor<Scalar>* t = &feat_x_;
      for (std::size_t l = feature_layers(); l < d_.net().size(); ++l) t = &d_.net()[l].forward(*t);
      for (Index i = 0; i < m; ++i) {
        const auto k = static_cast<std::size_t>(i);
        s.discriminator.push_back(static_cast<double>(softplus(-(*t)[i])));
        s.residual.push_back(residual_[k]);
        s.feature_residual.push_back(feature_residual_[k]);
        s.relative_residual.push_back(detail::relative_residual(residual_[k], chunk_.data() + i * per, per, o_.background));
        s.score.push_back(residual_[k] + o_.kappa * feature_residual_[k]);
      }
    }
    e_.train(e_train);
    return s;
  }

 private:
  void check_input(const char* fn, const Tensor<Scalar>& x) const {
    if (x.rank() < 1 || x.batch() < 1 || x.shape().sample_shape() != d_.input_shape())
      throw shape_error(std::string("EncoderTrainer::") + fn + "(): expected a non-empty batch of per-sample shape " + d_.input_shape().str() +
                        ", got " + x.shape().str());
  }

  // f(x) into feat_x_, G(E(x)) into rec_, f(G(E(x))) into feat_rec_ (the layers keep that pass's state for
  // backward), and the per-input residuals.
  void reconstruct(const Tensor<Scalar>& x) {
    const Index b = x.batch();
    feat_x_.assign(features(x));
    rec_.assign(g_.forward(e_.forward(x)));
    feat_rec_.assign(features(rec_));
    residual_.assign(static_cast<std::size_t>(b), 0.0);
    feature_residual_.assign(static_cast<std::size_t>(b), 0.0);
    const Index n = x.shape().sample_size(), nf = feat_x_.shape().sample_size();
    for (Index i = 0; i < b; ++i) {
      double r = 0, f = 0;
      for (Index j = i * n; j < (i + 1) * n; ++j) {
        const double dv = static_cast<double>(rec_[j]) - static_cast<double>(x[j]);
        r += dv * dv;
      }
      for (Index k = i * nf; k < (i + 1) * nf; ++k) {
        const double dv = static_cast<double>(feat_rec_[k]) - static_cast<double>(feat_x_[k]);
        f += dv * dv;
      }
      residual_[static_cast<std::size_t>(i)] = r / static_cast<double>(n);
      feature_residual_[static_cast<std::size_t>(i)] = f / static_cast<double>(nf);
    }
  }

  // The output of D's first feature_layers() layers (owned by the last of them).
  const Tensor<Scalar>& features(const Tensor<Scalar>& x) {
    const Tensor<Scalar>* t = &x;
    for (std::size_t l = 0; l < feature_layers(); ++l) t = &d_.net()[l].forward(*t);
    return *t;
  }

  Generator<Scalar>& g_;
  Discriminator<Scalar>& d_;
  Encoder<Scalar>& e_;
  Optimizer<Scalar>* opt_ = nullptr;
  Optimizer<Scalar>* g_opt_ = nullptr;  // set when G is fine-tuned too
  EncoderOptions o_;
  long features_ = 0;
  Tensor<Scalar> chunk_, feat_x_, rec_, feat_rec_, grad_feat_, grad_rec_;
  std::vector<double> residual_, feature_residual_;  // per input of the last reconstruct()
};

}  // namespace ganpp
