// SPDX-License-Identifier: MIT
/// @file
/// BatchNorm over (N, C) or (N, C, H, W) inputs: batch statistics in train mode, running statistics in eval mode.
#pragma once

#include "../detail/parallel.hpp"
#include "layer.hpp"

#include <cmath>
#include <utility>
#include <vector>

namespace ganpp {

/// Sums per-channel statistics over the replicas of a data-parallel run, for synchronised batch normalization
/// (distributed.hpp provides one over MPI; this header needs none).
class StatisticsReducer {
 public:
  virtual ~StatisticsReducer() = default;
  /// Replaces values[0, n) by their sums over the replicas; every replica calls it at the same point.
  /// @param values the n values to sum, overwritten with the sums.
  /// @param n how many values.
  virtual void sum(double* values, Index n) = 0;
};

namespace detail {
/// A sum in double over 8 interleaved lanes, added up at the end in a fixed order. A single running sum is a chain
/// of dependent additions that the compiler may not reorder, which made BatchNorm's statistics cost more than its
/// normalization; the lanes vectorize, and the result is still the same on every run and for every thread count.
class LaneSum {
 public:
  /// Adds term(i) for i in [0, n).
  template <typename Term>
  void add(Index n, const Term& term) {
    Index i = 0;
    for (; i + kLanes <= n; i += kLanes)
      for (int l = 0; l < kLanes; ++l) lanes_[l] += term(i + l);
    for (int l = 0; i < n; ++i, ++l) lanes_[l] += term(i);
  }
  double total() const { return ((lanes_[0] + lanes_[1]) + (lanes_[2] + lanes_[3])) + ((lanes_[4] + lanes_[5]) + (lanes_[6] + lanes_[7])); }

 private:
  static constexpr int kLanes = 8;
  double lanes_[kLanes] = {};
};
}  // namespace detail

/// Batch normalization (Ioffe & Szegedy 2015) with a learned scale and shift per channel. Statistics are taken per
/// channel over the batch (and the spatial positions for 4-d inputs). Running statistics follow PyTorch:
/// running = (1 - momentum) * running + momentum * batch, with the unbiased batch variance.
template <typename Scalar = float>
class BatchNorm : public Layer<Scalar> {
 public:
  /// @param channels C, the size of dimension 1 of the input.
  /// @param eps added to the variance before the square root; must be > 0.
  /// @param momentum weight of the batch statistics in the running ones, in [0, 1].
  /// @throws argument_error when channels < 1, eps <= 0 or momentum is outside [0, 1].
  explicit BatchNorm(Index channels, double eps = 1e-5, double momentum = 0.1)
      : channels_(channels), eps_(eps), momentum_(momentum), gamma_(Shape{channels}, Scalar(1)), gamma_grad_(Shape{channels}), beta_(Shape{channels}),
        beta_grad_(Shape{channels}), running_mean_(Shape{channels}), running_var_(Shape{channels}, Scalar(1)), mean_(Shape{channels}),
        inv_std_(Shape{channels}) {
    if (channels < 1) throw argument_error("BatchNorm::BatchNorm(): channels must be positive, got " + std::to_string(channels));
    if (!(eps > 0)) throw argument_error("BatchNorm::BatchNorm(): eps must be positive");
    if (!(momentum >= 0 && momentum <= 1)) throw argument_error("BatchNorm::BatchNorm(): momentum must be in [0, 1]");
  }
  std::string name() const override { return "BatchNorm(" + std::to_string(channels_) + ")"; }
  Shape output_shape(const Shape& in) const override {
    this->require((in.rank() == 2 || in.rank() == 4) && in[1] == channels_, in,
                  [&] { return std::string("(N, " + std::to_string(channels_) + ") or (N, " + std::to_string(channels_) + ", H, W)"); });
    return in;
  }

  /// Synchronised batch normalization (nullptr: off, the default). In train mode the per-channel statistics are
  /// taken over the global batch of all replicas: forward sums the per-channel sums and counts, then the centred
  /// sums of squares, through `reducer`; backward sums the two per-channel sums its input gradient needs. The
  /// parameters' gradients stay local (the gradient average adds them up). Every replica's layer must call the
  /// reducer at the same points, so all of them run train-mode forward and backward passes together.
  /// @param reducer sums over the replicas, or nullptr; it must outlive its use by this layer.
  void set_statistics_reducer(StatisticsReducer* reducer) {
    reducer_ = reducer;
    if (reducer_ != nullptr) reduced_.assign(static_cast<std::size_t>(2 * channels_ + 1), 0.0);
  }
  /// The reducer set by set_statistics_reducer(), or nullptr.
  StatisticsReducer* statistics_reducer() const { return reducer_; }

  /// Normalizes a (N, C) or (N, C, H, W) batch per channel and applies the scale and shift. In train mode it uses the
  /// batch statistics and updates the running ones; in eval mode it uses the running ones. Keeps a pointer to x for
  /// backward().
  /// @throws shape_error when x is not (N, C) or (N, C, H, W) with C = channels.
  /// @throws argument_error in train mode with a single value per channel (N * H * W < 2).
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    if (reducer_ != nullptr && this->training_) return forward_synced(x);
    output_.resize(output_shape(x.shape()));
    const Index n_batch = x.dim(0), plane = x.rank() == 4 ? x.dim(2) * x.dim(3) : 1, count = n_batch * plane;
    if (this->training_ && count < 2)
      throw argument_error(name() + "::forward(): train mode needs more than one value per channel, got input of shape " + x.shape().str());
    const bool train = this->training_;
    detail::parallel_for(channels_, count * channels_ > 32768, [&](Index c) {
      Scalar mean, inv_std;
      if (train) {
        // Two passes in double: exact enough for float inputs and free of catastrophic cancellation.
        const double m = channel_sum(x, c, n_batch, plane) / static_cast<double>(count);
        const double sq = channel_squares(x, c, n_batch, plane, m);
        const double var = sq / static_cast<double>(count);
        mean = static_cast<Scalar>(m);
        inv_std = static_cast<Scalar>(1.0 / std::sqrt(var + eps_));
        running_mean_[c] = static_cast<Scalar>((1 - momentum_) * running_mean_[c] + momentum_ * m);
        running_var_[c] = static_cast<Scalar>((1 - momentum_) * running_var_[c] + momentum_ * sq / static_cast<double>(count - 1));
      } else {
        mean = running_mean_[c];
        inv_std = static_cast<Scalar>(1.0 / std::sqrt(static_cast<double>(running_var_[c]) + eps_));
      }
      normalize_channel(x, c, n_batch, plane, mean, inv_std);
    });
    input_ = &x;
    used_batch_stats_ = train;
    return output_;
  }

  /// Accumulates the scale and shift gradients (unless frozen) and returns the input gradient, through the batch
  /// statistics when forward() used them.
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    GANPP_ASSERT(input_ != nullptr);
    this->check_grad(dy, output_.shape());
    if (reducer_ != nullptr && used_batch_stats_) return backward_synced(dy);
    const Tensor<Scalar>& x = *input_;
    grad_input_.resize(x.shape());
    const Index n_batch = x.dim(0), plane = x.rank() == 4 ? x.dim(2) * x.dim(3) : 1, count = n_batch * plane;
    detail::parallel_for(channels_, count * channels_ > 32768, [&](Index c) {
      const auto [sum_dy, sum_dy_xhat] = grad_sums(x, dy, c, n_batch, plane);
      const Scalar k = gamma_[c] * inv_std_[c];
      // With batch statistics the mean and variance depend on x too; with running statistics they are constants.
      const Scalar mean_dy = used_batch_stats_ ? static_cast<Scalar>(sum_dy / static_cast<double>(count)) : Scalar(0);
      const Scalar mean_dy_xhat = used_batch_stats_ ? static_cast<Scalar>(sum_dy_xhat / static_cast<double>(count)) : Scalar(0);
      write_input_grad(x, dy, c, n_batch, plane, k, mean_dy, mean_dy_xhat);
    });
    return grad_input_;
  }

  std::vector<Parameter<Scalar>> parameters() override { return {{"weight", &gamma_, &gamma_grad_}, {"bias", &beta_, &beta_grad_}}; }
  std::vector<Buffer<Scalar>> buffers() override { return {{"running_mean", &running_mean_}, {"running_var", &running_var_}}; }
  void reset_parameters(Init scheme, Rng& rng) override {
    if (scheme == Init::dcgan) rng.fill_normal(gamma_, 1.0, 0.02);
    else gamma_.fill(Scalar(1));
    beta_.set_zero();
  }

 private:
  // Train-mode forward with global statistics: two passes in double as in forward(), each followed by a sum over
  // the replicas (sums and counts, then sums of squares about the global mean).
  const Tensor<Scalar>& forward_synced(const Tensor<Scalar>& x) {
    output_.resize(output_shape(x.shape()));
    const Index n_batch = x.dim(0), plane = x.rank() == 4 ? x.dim(2) * x.dim(3) : 1, count = n_batch * plane;
    const bool parallel = count * channels_ > 32768;
    double* r = reduced_.data();
    detail::parallel_for(channels_, parallel, [&](Index c) { r[c] = channel_sum(x, c, n_batch, plane); });
    r[channels_] = static_cast<double>(count);
    reducer_->sum(r, channels_ + 1);
    global_count_ = r[channels_];
    if (global_count_ < 2)
      throw argument_error(name() + "::forward(): train mode needs more than one value per channel over all replicas, got input of shape " +
                           x.shape().str());
    for (Index c = 0; c < channels_; ++c) r[c] /= global_count_;  // now the means
    double* sq = r + channels_ + 1;
    detail::parallel_for(channels_, parallel, [&](Index c) { sq[c] = channel_squares(x, c, n_batch, plane, r[c]); });
    reducer_->sum(sq, channels_);
    detail::parallel_for(channels_, parallel, [&](Index c) {
      const double m = r[c], var = sq[c] / global_count_;
      const Scalar mean = static_cast<Scalar>(m), inv_std = static_cast<Scalar>(1.0 / std::sqrt(var + eps_));
      running_mean_[c] = static_cast<Scalar>((1 - momentum_) * running_mean_[c] + momentum_ * m);
      running_var_[c] = static_cast<Scalar>((1 - momentum_) * running_var_[c] + momentum_ * sq[c] / (global_count_ - 1));
      normalize_channel(x, c, n_batch, plane, mean, inv_std);
    });
    input_ = &x;
    used_batch_stats_ = true;
    return output_;
  }

  // Channel c's sum of x, in double.
  double channel_sum(const Tensor<Scalar>& x, Index c, Index n_batch, Index plane) const {
    detail::LaneSum sum;
    for (Index n = 0; n < n_batch; ++n) {
      const Scalar* p = x.data() + (n * channels_ + c) * plane;
      sum.add(plane, [p](Index i) { return static_cast<double>(p[i]); });
    }
    return sum.total();
  }
  // Channel c's sum of (x - m)^2, in double.
  double channel_squares(const Tensor<Scalar>& x, Index c, Index n_batch, Index plane, double m) const {
    detail::LaneSum sum;
    for (Index n = 0; n < n_batch; ++n) {
      const Scalar* p = x.data() + (n * channels_ + c) * plane;
      sum.add(plane, [p, m](Index i) { return (p[i] - m) * (p[i] - m); });
    }
    return sum.total();
  }
  // Keeps channel c's statistics for backward() and writes its output, gamma (x - mean) / std + beta.
  void normalize_channel(const Tensor<Scalar>& x, Index c, Index n_batch, Index plane, Scalar mean, Scalar inv_std) {
    const Index stride = channels_ * plane;
    mean_[c] = mean;
    inv_std_[c] = inv_std;
    const Scalar scale = gamma_[c] * inv_std, shift = beta_[c] - mean * scale;
    for (Index n = 0; n < n_batch; ++n) {
      const Scalar* p = x.data() + n * stride + c * plane;
      Scalar* q = output_.data() + n * stride + c * plane;
      for (Index i = 0; i < plane; ++i) q[i] = p[i] * scale + shift;
    }
  }
  // Channel c's sums of dy and dy * xhat over the batch and the plane, added to the scale and shift gradients unless
  // frozen: the part of backward() that local and synchronised statistics share.
  std::pair<double, double> grad_sums(const Tensor<Scalar>& x, const Tensor<Scalar>& dy, Index c, Index n_batch, Index plane) {
    const Index stride = channels_ * plane;
    const Scalar mean = mean_[c], inv_std = inv_std_[c];
    detail::LaneSum dy_sum, dy_xhat_sum;
    for (Index n = 0; n < n_batch; ++n) {
      const Scalar* p = x.data() + n * stride + c * plane;
      const Scalar* g = dy.data() + n * stride + c * plane;
      dy_sum.add(plane, [g](Index i) { return static_cast<double>(g[i]); });
      dy_xhat_sum.add(plane, [=](Index i) { return static_cast<double>(g[i] * (p[i] - mean) * inv_std); });
    }
    const double sum_dy = dy_sum.total(), sum_dy_xhat = dy_xhat_sum.total();
    if (!this->frozen_) {
      gamma_grad_[c] += static_cast<Scalar>(sum_dy_xhat);
      beta_grad_[c] += static_cast<Scalar>(sum_dy);
    }
    return {sum_dy, sum_dy_xhat};
  }
  // Channel c's input gradient, k (dy - mean(dy) - xhat mean(dy xhat)), with k = gamma / std.
  void write_input_grad(const Tensor<Scalar>& x, const Tensor<Scalar>& dy, Index c, Index n_batch, Index plane, Scalar k, Scalar mean_dy,
                        Scalar mean_dy_xhat) {
    const Index stride = channels_ * plane;
    const Scalar mean = mean_[c], inv_std = inv_std_[c];
    for (Index n = 0; n < n_batch; ++n) {
      const Scalar* p = x.data() + n * stride + c * plane;
      const Scalar* g = dy.data() + n * stride + c * plane;
      Scalar* d = grad_input_.data() + n * stride + c * plane;
      for (Index i = 0; i < plane; ++i) d[i] = k * (g[i] - mean_dy - (p[i] - mean) * inv_std * mean_dy_xhat);
    }
  }

  // Backward through global statistics: the parameters' gradients from the local sums, the input gradient from
  // the sums over the replicas (each replica's dy is its own loss's gradient; the gradient average makes them one).
  const Tensor<Scalar>& backward_synced(const Tensor<Scalar>& dy) {
    const Tensor<Scalar>& x = *input_;
    grad_input_.resize(x.shape());
    const Index n_batch = x.dim(0), plane = x.rank() == 4 ? x.dim(2) * x.dim(3) : 1, count = n_batch * plane;
    const bool parallel = count * channels_ > 32768;
    double* r = reduced_.data();  // [0, C): sums of dy; [C, 2C): sums of dy * xhat
    detail::parallel_for(channels_, parallel, [&](Index c) {
      const auto [sum_dy, sum_dy_xhat] = grad_sums(x, dy, c, n_batch, plane);
      r[c] = sum_dy;
      r[channels_ + c] = sum_dy_xhat;
    });
    reducer_->sum(r, 2 * channels_);
    detail::parallel_for(channels_, parallel, [&](Index c) {
      const Scalar k = gamma_[c] * inv_std_[c];
      const Scalar mean_dy = static_cast<Scalar>(r[c] / global_count_);
      const Scalar mean_dy_xhat = static_cast<Scalar>(r[channels_ + c] / global_count_);
      write_input_grad(x, dy, c, n_batch, plane, k, mean_dy, mean_dy_xhat);
    });
    return grad_input_;
  }

  Index channels_;
  double eps_, momentum_;
  Tensor<Scalar> gamma_, gamma_grad_, beta_, beta_grad_, running_mean_, running_var_, mean_, inv_std_;
  Tensor<Scalar> output_, grad_input_;
  const Tensor<Scalar>* input_ = nullptr;
  bool used_batch_stats_ = true;
  StatisticsReducer* reducer_ = nullptr;
  std::vector<double> reduced_;  // the reducer's per-channel sums, allocated once
  double global_count_ = 0;
};

}  // namespace ganpp
