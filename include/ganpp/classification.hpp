// SPDX-License-Identifier: MIT
/// @file
/// Softmax cross-entropy for classifiers trained with ganpp's layers (the evaluation classifier, data augmentation).
#pragma once

#include "error.hpp"
#include "tensor.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace ganpp {

/// Mean softmax cross-entropy of logits (N, K) against integer labels; writes dLoss/dLogits into grad.
/// Computed with the log-sum-exp shift, so large logits neither overflow nor lose precision.
template <typename Scalar>
Scalar softmax_cross_entropy(const Tensor<Scalar>& logits, const std::vector<int>& labels, Tensor<Scalar>& grad) {
  if (logits.rank() != 2 || logits.batch() < 1 || logits.dim(1) < 1 || static_cast<Index>(labels.size()) != logits.batch())
    throw shape_error("softmax_cross_entropy(): expected logits (N, K) and N labels, got " + logits.shape().str() + " and " +
                      std::to_string(labels.size()) + " labels");
  const Index n = logits.dim(0), k = logits.dim(1);
  grad.resize(logits.shape());
  double total = 0;
  for (Index i = 0; i < n; ++i) {
    const int y = labels[static_cast<std::size_t>(i)];
    if (y < 0 || y >= k) throw argument_error("softmax_cross_entropy(): label " + std::to_string(y) + " out of range [0, " + std::to_string(k) + ")");
    const Scalar* z = logits.data() + i * k;
    Scalar* g = grad.data() + i * k;
    Scalar top = z[0];
    for (Index j = 1; j < k; ++j) top = std::max(top, z[j]);
    double sum = 0;
    for (Index j = 0; j < k; ++j) sum += std::exp(static_cast<double>(z[j] - top));
    const double log_sum = std::log(sum) + static_cast<double>(top);
    total += log_sum - static_cast<double>(z[y]);
    for (Index j = 0; j < k; ++j)
      g[j] = static_cast<Scalar>((std::exp(static_cast<double>(z[j]) - log_sum) - (j == y ? 1.0 : 0.0)) / static_cast<double>(n));
  }
  return static_cast<Scalar>(total / static_cast<double>(n));
}

/// Row-wise softmax of logits (N, K) into probabilities of the same shape.
template <typename Scalar>
void softmax(const Tensor<Scalar>& logits, Tensor<Scalar>& probs) {
  if (logits.rank() != 2 || logits.dim(1) < 1) throw shape_error("softmax(): expected logits (N, K), got " + logits.shape().str());
  probs.resize(logits.shape());
  const Index n = logits.dim(0), k = logits.dim(1);
  for (Index i = 0; i < n; ++i) {
    const Scalar* z = logits.data() + i * k;
    Scalar* p = probs.data() + i * k;
    Scalar top = z[0];
    for (Index j = 1; j < k; ++j) top = std::max(top, z[j]);
    double sum = 0;
    for (Index j = 0; j < k; ++j) sum += std::exp(static_cast<double>(z[j] - top));
    for (Index j = 0; j < k; ++j) p[j] = static_cast<Scalar>(std::exp(static_cast<double>(z[j] - top)) / sum);
  }
}

}  // namespace ganpp
