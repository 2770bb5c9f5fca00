// SPDX-License-Identifier: MIT
/// @file
/// SpectralNorm: wraps a layer with a weight (Linear, Conv2d, ConvTranspose2d) and divides that weight by its largest
/// singular value, estimated by power iteration.
#pragma once

#include "container.hpp"

#include <cmath>
#include <memory>
#include <utility>

namespace ganpp {

/// Spectral normalization (Miyato et al. 2018, "Spectral normalization for generative adversarial networks").
///
/// The wrapped layer computes with W / sigma(W), where W is this wrapper's trainable "weight_orig" viewed as a
/// matrix of shape (dim 0, everything else) and sigma(W) = u^T W v is its largest singular value estimated by
/// power iteration. Each forward in train mode does one iteration, v = W^T u / |W^T u|, u = W v / |W v|, and keeps
/// u and v (buffers "weight_u", "weight_v", saved in checkpoints) for the next step; eval mode uses them as they
/// are. backward() goes through the normalisation with u and v held constant, as in the paper and in PyTorch:
/// dL/dW = (G - <G, W / sigma> u v^T) / sigma, G being the gradient with respect to the normalised weight.
///
/// Conv2d's (Cout, Cin, k, k) weight is normalised as a Cout x (Cin k k) matrix, as PyTorch does. ConvTranspose2d's
/// (Cin, Cout, k, k) weight is normalised as Cin x (Cout k k) (PyTorch permutes to dimension 1 first; both
/// reshapes bound the layer the same way up to the convolution's overlap factor).
/// @tparam Scalar float or double.
template <typename Scalar = float>
class SpectralNorm : public Container<Scalar> {
 public:
  /// @param inner the layer to normalise; it must have a parameter named "weight" of rank 2 or more.
  /// @param eps guards the normalisations of u and v against division by zero.
  /// @param seed draws the initial u and v.
  /// @throws argument_error when inner is null or has no such weight.
  explicit SpectralNorm(std::unique_ptr<Layer<Scalar>> inner, double eps = 1e-12, std::uint64_t seed = 0)
      : Container<Scalar>("SpectralNorm"), eps_(eps) {
    if (!inner) throw argument_error("SpectralNorm::SpectralNorm(): null layer");
    // Registered under an empty name: the inner layer's other parameters and buffers keep their own names.
    inner_ = &this->register_child("", std::move(inner));
    for (auto& p : inner_->parameters())
      if (p.name == "weight") {
        weight_ = p.value;
        weight_grad_ = p.grad;
      }
    if (weight_ == nullptr || weight_->rank() < 2)
      throw argument_error("SpectralNorm::SpectralNorm(): " + inner_->name() + " has no parameter \"weight\" of rank >= 2 to normalise");
    rows_ = weight_->dim(0);
    cols_ = weight_->size() / rows_;
    weight_orig_.assign(*weight_);
    weight_orig_grad_.resize(weight_->shape());
    weight_orig_grad_.set_zero();
    u_.resize(Shape{rows_});
    v_.resize(Shape{cols_});
    Rng rng(seed);
    draw_uv(rng);
    this->hide_parameter(weight_);  // replaced by weight_orig
  }

  std::string name() const override { return "SpectralNorm(" + inner_->name() + ")"; }
  Shape output_shape(const Shape& in) const override { return inner_->output_shape(in); }

  /// Sets the inner layer's weight to weight_orig / sigma (one power iteration first in train mode) and returns the
  /// inner layer's forward(x), owned by the inner layer.
  /// @throws shape_error when the inner layer rejects x.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    // The row-major (rows, ...) weight is the column-major cols x rows matrix W^T.
    auto wt = weight_orig_.matrix(cols_, rows_);
    auto u = u_.matrix(rows_, 1);
    auto v = v_.matrix(cols_, 1);
    if (this->training_) {
      v.noalias() = wt * u;
      v /= std::max(v.norm(), static_cast<Scalar>(eps_));
      u.noalias() = wt.transpose() * v;
      const Scalar norm = u.norm();
      u /= std::max(norm, static_cast<Scalar>(eps_));
      sigma_ = norm;  // u^T W v with the new u is |W v|
    } else {
      wv_.resize(Shape{rows_});
      wv_.matrix(rows_, 1).noalias() = wt.transpose() * v;
      sigma_ = (u.array() * wv_.array()).sum();
    }
    if (!(sigma_ > 0)) sigma_ = static_cast<Scalar>(eps_);
    weight_->array() = weight_orig_.array() / sigma_;
    return inner_->forward(x);
  }

  /// Returns the inner layer's backward(dy) and, unless frozen, adds dL/dweight_orig through the normalisation to
  /// weight_orig's gradient.
  /// @throws shape_error when the inner layer rejects dy.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    if (this->frozen_) return inner_->backward(dy);
    // The inner layer accumulates dL/d(W / sigma) into its own (private) gradient: start it from zero for this
    // backward, then map it to dL/dW with this forward's u, v and sigma.
    weight_grad_->set_zero();
    const Tensor<Scalar>& dx = inner_->backward(dy);
    auto gt = weight_grad_->matrix(cols_, rows_);
    const Scalar coef = (weight_grad_->array() * weight_->array()).sum();
    const Scalar inv_sigma = Scalar(1) / sigma_;
    auto out = weight_orig_grad_.matrix(cols_, rows_);
    for (Index j = 0; j < rows_; ++j)  // (G - coef u v^T) / sigma, column j of the transposed view being row j of W
      out.col(j) += inv_sigma * (gt.col(j) - (coef * u_[j]) * v_.matrix(cols_, 1));
    return dx;
  }

  /// Re-initialises the wrapped layer, takes its new weight as weight_orig, and draws new u and v.
  void reset_parameters(Init scheme, Rng& rng) override {
    Container<Scalar>::reset_parameters(scheme, rng);
    weight_orig_.assign(*weight_);
    draw_uv(rng);
  }
  /// The wrapped layer's random state, as it is (one child: no per-child lines).
  std::string rng_state() const override { return inner_->rng_state(); }
  /// Passes the state to the wrapped layer, as rng_state() took it.
  void set_rng_state(const std::string& state) override { inner_->set_rng_state(state); }

  /// The sigma the last forward divided by.
  Scalar sigma() const { return sigma_; }
  /// The unnormalised weight (the trainable parameter).
  Tensor<Scalar>& weight_orig() { return weight_orig_; }
  /// The wrapped layer, owned by this wrapper. Its "weight" holds the normalised W / sigma, overwritten by each forward().
  Layer<Scalar>& inner() { return *inner_; }

 protected:
  std::vector<Parameter<Scalar>> own_parameters() override { return {{"weight_orig", &weight_orig_, &weight_orig_grad_}}; }
  /// The power iteration's vectors u (dim 0 of the weight) and v (the other dimensions' product).
  std::vector<Buffer<Scalar>> own_buffers() override { return {{"weight_u", &u_}, {"weight_v", &v_}}; }

 private:
  void draw_uv(Rng& rng) {
    rng.fill_normal(u_);
    rng.fill_normal(v_);
    u_.array() /= std::max(u_.matrix(rows_, 1).norm(), static_cast<Scalar>(eps_));
    v_.array() /= std::max(v_.matrix(cols_, 1).norm(), static_cast<Scalar>(eps_));
  }

  Layer<Scalar>* inner_ = nullptr;  // the only child, owned by Container
  double eps_;
  Tensor<Scalar>* weight_ = nullptr;       // the inner layer's weight: holds W / sigma
  Tensor<Scalar>* weight_grad_ = nullptr;  // the inner layer's gradient for it: dL/d(W / sigma) of one backward
  Index rows_ = 0, cols_ = 0;
  Tensor<Scalar> weight_orig_, weight_orig_grad_, u_, v_, wv_;
  Scalar sigma_ = 1;
};

/// Wraps a layer in SpectralNorm: `net.add(spectral_norm<float>(std::make_unique<Linear<float>>(2, 128)))`.
template <typename Scalar>
std::unique_ptr<Layer<Scalar>> spectral_norm(std::unique_ptr<Layer<Scalar>> inner, std::uint64_t seed = 0) {
  return std::make_unique<SpectralNorm<Scalar>>(std::move(inner), 1e-12, seed);
}

}  // namespace ganpp
