// SPDX-License-Identifier: MIT
/// @file
/// InstanceNorm2d: normalises each sample's channels over their own spatial positions, as torch.nn.InstanceNorm2d.
#pragma once

#include "../detail/parallel.hpp"
#include "layer.hpp"

#include <cmath>

namespace ganpp {

/// Instance normalization (Ulyanov, Vedaldi & Lempitsky 2016, "Instance Normalization: The Missing Ingredient for
/// Fast Stylization"), with PyTorch's torch.nn.InstanceNorm2d semantics and defaults (affine=False,
/// track_running_stats=False): each (sample, channel) plane of an (N, C, H, W) input is normalised with its own mean
/// and biased variance, y = (x - mean) / sqrt(var + eps), then scaled and shifted per channel when affine. There are
/// no running statistics, so train and eval mode compute the same thing. The norm layer of pix2pix's and CycleGAN's
/// generators and PatchGAN discriminators.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class InstanceNorm2d : public Layer<Scalar> {
 public:
  /// @param channels number of channels C of the input.
  /// @param eps added to the variance before the square root.
  /// @param affine whether to learn a scale ("weight", starts at 1) and a shift ("bias", starts at 0) per channel.
  /// @throws argument_error for channels < 1 or eps <= 0.
  explicit InstanceNorm2d(Index channels, double eps = 1e-5, bool affine = false)
      : channels_(channels), eps_(eps), affine_(affine), gamma_(Shape{affine ? channels : 0}, Scalar(1)), gamma_grad_(gamma_.shape()),
        beta_(gamma_.shape()), beta_grad_(gamma_.shape()) {
    if (channels < 1) throw argument_error("InstanceNorm2d::InstanceNorm2d(): channels must be positive, got " + std::to_string(channels));
    if (!(eps > 0)) throw argument_error("InstanceNorm2d::InstanceNorm2d(): eps must be positive, got " + std::to_string(eps));
  }

  std::string name() const override { return "InstanceNorm2d(" + std::to_string(channels_) + (affine_ ? ", affine)" : ")"); }
  /// The input shape itself.
  /// @throws shape_error unless the input is (N, channels, H, W) with more than one spatial position (a single
  ///         value per plane normalises to zero; PyTorch rejects it too).
  Shape output_shape(const Shape& in) const override {
    this->require(in.rank() == 4 && in[1] == channels_ && in[2] * in[3] > 1, in,
                  [&] { return "(N, " + std::to_string(channels_) + ", H, W) with H * W > 1"; });
    return in;
  }

  /// Normalises every (sample, channel) plane of x with its own statistics (then scales and shifts when affine).
  /// @throws shape_error as output_shape().
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    output_.resize(output_shape(x.shape()));
    const Index n_batch = x.dim(0), plane = x.dim(2) * x.dim(3);
    mean_.resize(Shape{n_batch * channels_});
    inv_std_.resize(mean_.shape());
    detail::parallel_for(n_batch * channels_, x.size() > 32768, [&](Index g) {
      const Scalar* p = x.data() + g * plane;
      // Two passes in double, as BatchNorm: exact enough for float inputs and free of cancellation.
      double sum = 0;
      for (Index i = 0; i < plane; ++i) sum += p[i];
      const double m = sum / static_cast<double>(plane);
      double sq = 0;
      for (Index i = 0; i < plane; ++i) sq += (p[i] - m) * (p[i] - m);
      const Scalar mean = static_cast<Scalar>(m), inv_std = static_cast<Scalar>(1.0 / std::sqrt(sq / static_cast<double>(plane) + eps_));
      mean_[g] = mean;
      inv_std_[g] = inv_std;
      const Index c = g % channels_;
      const Scalar scale = affine_ ? gamma_[c] * inv_std : inv_std;
      const Scalar shift = (affine_ ? beta_[c] : Scalar(0)) - mean * scale;
      Scalar* q = output_.data() + g * plane;
      for (Index i = 0; i < plane; ++i) q[i] = p[i] * scale + shift;
    });
    input_ = &x;
    return output_;
  }

  /// dLoss/dx through each plane's own mean and variance; adds the scale and shift gradients when affine and not
  /// frozen. Returns an empty tensor when the input gradient is off.
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    GANPP_ASSERT(input_ != nullptr);
    this->check_grad(dy, output_.shape());
    const Tensor<Scalar>& x = *input_;
    const Index n_batch = x.dim(0), plane = x.dim(2) * x.dim(3);
    const bool params = affine_ && !this->frozen_, input_grad = this->input_grad_;
    if (input_grad) grad_input_.resize(x.shape());
    else grad_input_.resize(Shape{0});
    // One channel per work item: the channel's parameter gradients sum over the batch without races.
    detail::parallel_for(channels_, x.size() > 32768, [&](Index c) {
      const Scalar gamma = affine_ ? gamma_[c] : Scalar(1);
      double sum_dgamma = 0, sum_dbeta = 0;
      for (Index n = 0; n < n_batch; ++n) {
        const Index g = n * channels_ + c;
        const Scalar* p = x.data() + g * plane;
        const Scalar* d = dy.data() + g * plane;
        const Scalar mean = mean_[g], inv_std = inv_std_[g];
        double sum_dy = 0, sum_dy_xhat = 0;
        for (Index i = 0; i < plane; ++i) {
          sum_dy += d[i];
          sum_dy_xhat += d[i] * (p[i] - mean) * inv_std;
        }
        sum_dbeta += sum_dy;
        sum_dgamma += sum_dy_xhat;
        if (!input_grad) continue;
        // dx = gamma * inv_std * (dy - mean(dy) - xhat * mean(dy * xhat)): the plane's own mean and variance depend
        // on every x of the plane.
        const Scalar k = gamma * inv_std;
        const Scalar mean_dy = static_cast<Scalar>(sum_dy / static_cast<double>(plane));
        const Scalar mean_dy_xhat = static_cast<Scalar>(sum_dy_xhat / static_cast<double>(plane));
        Scalar* out = grad_input_.data() + g * plane;
        for (Index i = 0; i < plane; ++i) out[i] = k * (d[i] - mean_dy - (p[i] - mean) * inv_std * mean_dy_xhat);
      }
      if (params) {
        gamma_grad_[c] += static_cast<Scalar>(sum_dgamma);
        beta_grad_[c] += static_cast<Scalar>(sum_dbeta);
      }
    });
    return grad_input_;
  }

  /// "weight" and "bias" (C each) when affine, none otherwise.
  std::vector<Parameter<Scalar>> parameters() override {
    if (!affine_) return {};
    return {{"weight", &gamma_, &gamma_grad_}, {"bias", &beta_, &beta_grad_}};
  }
  /// Scale 1 and shift 0; under Init::dcgan the scale is drawn from N(1, 0.02), as BatchNorm's.
  void reset_parameters(Init scheme, Rng& rng) override {
    if (!affine_) return;
    if (scheme == Init::dcgan) rng.fill_normal(gamma_, 1.0, 0.02);
    else gamma_.fill(Scalar(1));
    beta_.set_zero();
  }
  /// Whether the layer learns a scale and a shift per channel.
  bool affine() const { return affine_; }

 private:
  Index channels_;
  double eps_;
  bool affine_;
  Tensor<Scalar> gamma_, gamma_grad_, beta_, beta_grad_;
  Tensor<Scalar> mean_, inv_std_, output_, grad_input_;  // mean_ and inv_std_: one entry per (sample, channel)
  const Tensor<Scalar>* input_ = nullptr;
};

}  // namespace ganpp
