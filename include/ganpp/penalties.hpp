// SPDX-License-Identifier: MIT
/// @file
/// Gradient penalties on the discriminator: R1 and the WGAN-GP penalty, with their parameter gradients computed by
/// a finite-difference Hessian-vector product.
#pragma once

#include "layers/layer.hpp"
#include "random.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace ganpp {

/// Penalties on the norm of the discriminator's input gradient, g = grad_x S(x; theta) with S the sum of D's
/// logits over the batch (per sample, g_i = grad_{x_i} D(x_i) when samples do not interact).
///
/// Their gradient with respect to D's parameters theta needs the mixed second derivative of S. For any fixed
/// direction w, (dg/dtheta)^T w = grad_theta (g . w) = d/de grad_theta S(x + e w) at e = 0, which the central
/// difference [grad_theta S(x + h w) - grad_theta S(x - h w)] / 2h gives from two ordinary backward passes
/// (Pearlmutter 1994's Hessian-vector product, by differences). A penalty P(g) has grad_theta P =
/// (dg/dtheta)^T dP/dg, so w = dP/dg. For piecewise-linear networks (ReLU, LeakyReLU) the difference is exact
/// within a linear region; h is chosen so that h w moves x by about eps^(1/3) of its scale.
///
/// Each call runs one forward and one input-gradient backward for g, and two more of each for the gradient. The
/// network's layers must be in the mode the caller wants (train mode in a training step); the random draws of
/// layers such as Dropout are replayed so that all passes see the same network (which costs a copy of their state). BatchNorm's running statistics
/// see the extra passes. The caller sets labels on conditional networks beforehand (Model::forward does).
/// @tparam Scalar float or double.
template <typename Scalar = float>
class GradientPenalty {
 public:
  /// R1 (Mescheder et al. 2018, "Which training methods for GANs do actually converge?"):
  /// gamma / 2 * mean_i |grad_x D(x_i)|^2 on real samples.
  /// @param d the discriminator network, producing one value per sample.
  /// @param real a batch of real samples, in d's input shape.
  /// @param gamma the weight; must be >= 0.
  /// @param accumulate when true, adds the penalty's gradient to the network's parameter gradients.
  /// @return the penalty.
  /// @throws argument_error when gamma is negative or NaN.
  double r1(Layer<Scalar>& d, const Tensor<Scalar>& real, double gamma, bool accumulate = true) {
    if (!(gamma >= 0)) throw argument_error("GradientPenalty::r1(): gamma must be >= 0, got " + std::to_string(gamma));
    return run(d, real, Kind::r1, gamma, accumulate, "r1");
  }

  /// The WGAN-GP penalty (Gulrajani et al. 2017, "Improved training of Wasserstein GANs"):
  /// lambda * mean_i (|grad_x D(x^_i)| - 1)^2 on x^_i = a_i x_i + (1 - a_i) x~_i, a_i ~ U(0, 1) per sample.
  /// @param d the discriminator network, producing one value per sample.
  /// @param real a batch of real samples x_i, in d's input shape.
  /// @param fake a batch of generated samples x~_i, of real's shape.
  /// @param lambda the weight; must be >= 0 (Gulrajani et al. use 10).
  /// @param rng draws the a_i.
  /// @param accumulate when true, adds the penalty's gradient to the network's parameter gradients.
  /// @return the penalty.
  /// @throws argument_error when lambda is negative or NaN.
  /// @throws shape_error when real and fake differ in shape.
  double wgan_gp(Layer<Scalar>& d, const Tensor<Scalar>& real, const Tensor<Scalar>& fake, double lambda, Rng& rng, bool accumulate = true) {
    if (!(lambda >= 0)) throw argument_error("GradientPenalty::wgan_gp(): lambda must be >= 0, got " + std::to_string(lambda));
    if (real.shape() != fake.shape())
      throw shape_error("GradientPenalty::wgan_gp(): real batch " + real.shape().str() + " and fake batch " + fake.shape().str() + " differ");
    interpolates_.resize(real.shape());
    const Index n = real.batch(), per = real.shape().sample_size();
    for (Index i = 0; i < n; ++i) {
      const Scalar a = static_cast<Scalar>(rng.uniform());
      for (Index k = i * per; k < (i + 1) * per; ++k) interpolates_[k] = a * real[k] + (Scalar(1) - a) * fake[k];
    }
    return run(d, interpolates_, Kind::gp, lambda, accumulate, "wgan_gp");
  }

  /// The interpolates of the last wgan_gp() call.
  const Tensor<Scalar>& interpolates() const { return interpolates_; }
  /// The input gradient g of the last call.
  const Tensor<Scalar>& input_gradient() const { return g_; }

 private:
  enum class Kind { r1, gp };

  double run(Layer<Scalar>& d, const Tensor<Scalar>& x, Kind kind, double coef, bool accumulate, const char* method) {
    if (x.rank() < 1 || x.batch() < 1) throw argument_error(std::string("GradientPenalty::") + method + "(): empty batch of shape " + x.shape().str());
    const bool was_frozen = d.is_frozen(), had_input_grad = d.needs_input_grad();
    const std::string rng_state = d.rng_state();  // layer randomness (Dropout), replayed for every pass
    // g = grad_x S, S = sum of logits: a backward of ones with the parameters frozen.
    d.set_frozen(true);
    d.set_input_grad(true);
    const Tensor<Scalar>& logits = d.forward(x);
    seed_.resize(logits.shape());
    seed_.fill(Scalar(1));
    g_.assign(d.backward(seed_));
    // The penalty and w = dP/dg, per sample.
    const Index n = x.batch(), per = x.shape().sample_size();
    w_.resize(x.shape());
    auto gm = g_.matrix(per, n);
    auto wm = w_.matrix(per, n);
    double penalty = 0;
    for (Index i = 0; i < n; ++i) {
      const double sq = static_cast<double>(gm.col(i).squaredNorm());
      if (kind == Kind::r1) {
        penalty += sq;
        wm.col(i) = gm.col(i) * static_cast<Scalar>(coef / static_cast<double>(n));  // d/dg of gamma/(2n) |g|^2
      } else {
        const double norm = std::sqrt(sq);
        penalty += (norm - 1) * (norm - 1);
        // d/dg of lambda/n (|g| - 1)^2; at g = 0 the norm has no gradient and the term none either.
        const double f = norm > 0 ? 2 * coef / static_cast<double>(n) * (norm - 1) / norm : 0.0;
        wm.col(i) = gm.col(i) * static_cast<Scalar>(f);
      }
    }
    penalty *= (kind == Kind::r1 ? coef / 2 : coef) / static_cast<double>(n);

    const Scalar w_max = w_.array().abs().maxCoeff();
    if (accumulate && coef > 0 && w_max > 0) {
      // grad_theta P = (dg/dtheta)^T w = [grad_theta S(x + h w) - grad_theta S(x - h w)] / 2h.
      const Scalar x_scale = std::max(Scalar(1), x.array().abs().maxCoeff());
      const Scalar h = std::cbrt(std::numeric_limits<Scalar>::epsilon()) * x_scale / w_max;
      d.set_frozen(false);
      d.set_input_grad(false);
      for (int sign = 1; sign >= -1; sign -= 2) {
        shifted_.resize(x.shape());
        shifted_.array() = x.array() + (static_cast<Scalar>(sign) * h) * w_.array();
        d.set_rng_state(rng_state);
        const Tensor<Scalar>& out = d.forward(shifted_);
        seed_.resize(out.shape());
        seed_.fill(static_cast<Scalar>(sign) / (2 * h));
        d.backward(seed_);
      }
    }
    d.set_frozen(was_frozen);
    d.set_input_grad(had_input_grad);
    return penalty;
  }

  Tensor<Scalar> seed_, g_, w_, shifted_, interpolates_;
};

}  // namespace ganpp
