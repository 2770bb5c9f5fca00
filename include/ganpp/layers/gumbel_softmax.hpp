// SPDX-License-Identifier: MIT
/// @file
/// GumbelSoftmax: CTGAN's output activation over spans of a row: tanh on continuous scalars, a Gumbel-softmax sample
/// (Jang et al. 2017) on each one-hot group, hard (one-hot) in the forward pass with the straight-through gradient
/// of the soft sample.
#pragma once

#include "layer.hpp"

#include <cmath>
#include <limits>

namespace ganpp {

/// How the generator's output activates a span of columns of an encoded row.
enum class SpanKind {
  tanh,    ///< one scalar in (-1, 1): a continuous value's position within its mode
  softmax  ///< a one-hot group: a mode, a category or a missing indicator
};

/// A span of an encoded row.
struct OutputSpan {
  Index start;    ///< first column
  Index width;    ///< number of columns
  SpanKind kind;  ///< activation
};

/// Activates (N, D) logits span by span: tanh spans element-wise; softmax spans as y = softmax((x + g) / tau) with
/// Gumbel noise g = -log(-log u), u ~ U(0, 1), then (when hard) replaced by the one-hot of its largest entry.
/// backward() is the gradient of the soft sample (straight-through for the hard one). Columns in no span pass
/// through unchanged. The noise is drawn in train and eval mode alike (sampling needs it); freeze_noise() keeps the
/// last draw, for gradient checks.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class GumbelSoftmax : public Layer<Scalar> {
 public:
  /// @param spans the spans, within [0, D) and not overlapping.
  /// @param tau the temperature (CTGAN: 0.2); must be positive.
  /// @param hard one-hot forward output (straight-through) when true, the soft sample when false.
  /// @param seed the noise generator's seed.
  /// @throws argument_error for a non-positive tau, a span of width < 1, a tanh span wider than 1, or overlapping spans.
  GumbelSoftmax(std::vector<OutputSpan> spans, double tau = 0.2, bool hard = true, std::uint64_t seed = 0) : spans_(std::move(spans)), tau_(tau), hard_(hard), rng_(seed) {
    if (!(tau > 0)) throw argument_error("GumbelSoftmax::GumbelSoftmax(): tau must be positive, got " + std::to_string(tau));
    Index end = 0;
    for (const OutputSpan& s : spans_) {
      if (s.width < 1 || s.start < end || (s.kind == SpanKind::tanh && s.width != 1))
        throw argument_error("GumbelSoftmax::GumbelSoftmax(): span at " + std::to_string(s.start) + " of width " + std::to_string(s.width) + " is empty, overlaps the previous one or is a tanh span wider than 1");
      end = s.start + s.width;
    }
    end_ = end;
  }

  std::string name() const override { return "GumbelSoftmax(" + std::to_string(spans_.size()) + " spans, tau " + std::to_string(tau_).substr(0, 4) + (hard_ ? ", hard)" : ")"); }
  Shape output_shape(const Shape& in) const override {
    this->require(in.rank() == 2 && in[1] >= end_, in, [&] { return "(N, D) with D >= " + std::to_string(end_); });
    return in;
  }

  /// Activates x; keeps the soft samples for backward().
  /// @throws shape_error when x is not (N, D) with D covering every span.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    output_shape(x.shape());
    const Index n = x.dim(0), d = x.dim(1);
    if (!frozen_noise_ || noise_.shape() != x.shape()) {
      noise_.resize(x.shape());
      for (Scalar& g : noise_) g = static_cast<Scalar>(-std::log(-std::log(std::max(rng_.uniform(), 1e-300)) + 1e-300));
    }
    out_.resize(x.shape());
    soft_.resize(x.shape());
    std::copy(x.data(), x.data() + x.size(), out_.data());
    for (Index r = 0; r < n; ++r) {
      for (const OutputSpan& s : spans_) {
        const Scalar* in = x.data() + r * d + s.start;
        Scalar* y = out_.data() + r * d + s.start;
        Scalar* soft = soft_.data() + r * d + s.start;
        if (s.kind == SpanKind::tanh) {
          soft[0] = y[0] = std::tanh(in[0]);
          continue;
        }
        const Scalar* g = noise_.data() + r * d + s.start;
        Scalar top = -std::numeric_limits<Scalar>::infinity();
        for (Index j = 0; j < s.width; ++j) top = std::max(top, soft[j] = static_cast<Scalar>((in[j] + g[j]) / tau_));
        Scalar total = 0;
        for (Index j = 0; j < s.width; ++j) total += soft[j] = std::exp(soft[j] - top);
        Index best = 0;
        for (Index j = 0; j < s.width; ++j) {
          soft[j] /= total;
          if (soft[j] > soft[best]) best = j;
        }
        for (Index j = 0; j < s.width; ++j) y[j] = hard_ ? Scalar(j == best) : soft[j];
      }
    }
    return out_;
  }

  /// The gradient of the soft sample: tanh' on tanh spans, the softmax Jacobian / tau on softmax spans (also when the
  /// forward output was hard: the straight-through estimator), the identity elsewhere.
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    this->check_grad(dy, out_.shape());
    if (this->skip_input_grad(grad_, out_.shape())) return grad_;
    const Index n = dy.dim(0), d = dy.dim(1);
    std::copy(dy.data(), dy.data() + dy.size(), grad_.data());
    for (Index r = 0; r < n; ++r)
      for (const OutputSpan& s : spans_) {
        const Scalar* soft = soft_.data() + r * d + s.start;
        const Scalar* g = dy.data() + r * d + s.start;
        Scalar* dx = grad_.data() + r * d + s.start;
        if (s.kind == SpanKind::tanh) {
          dx[0] = g[0] * (1 - soft[0] * soft[0]);
          continue;
        }
        Scalar dot = 0;
        for (Index j = 0; j < s.width; ++j) dot += g[j] * soft[j];
        for (Index j = 0; j < s.width; ++j) dx[j] = static_cast<Scalar>(soft[j] * (g[j] - dot) / tau_);
      }
    return grad_;
  }

  /// When on, forward() reuses the last noise draw (for gradient checks); when off (the default), it draws anew.
  /// @param on whether to keep the noise.
  void freeze_noise(bool on) { frozen_noise_ = on; }
  /// The soft samples of the last forward() (tanh values on tanh spans).
  const Tensor<Scalar>& soft() const { return soft_; }
  /// The spans.
  const std::vector<OutputSpan>& spans() const { return spans_; }

  std::string rng_state() const override { return rng_.state(); }
  void set_rng_state(const std::string& state) override { rng_.set_state(state); }

 private:
  std::vector<OutputSpan> spans_;
  double tau_;
  bool hard_;
  Rng rng_;
  Index end_ = 0;
  bool frozen_noise_ = false;
  Tensor<Scalar> noise_, out_, soft_, grad_;
};

}  // namespace ganpp
