// SPDX-License-Identifier: MIT
// A 1-d two-Gaussian mixture and a small MLP GAN for it, shared by the trainer tests and the package consumers.
#pragma once

#include <ganpp/ganpp.hpp>

#include <cmath>
#include <vector>

namespace toy {

/// Target: equal parts N(-2, 0.3^2) and N(+2, 0.3^2). Mean 0, standard deviation sqrt(4 + 0.09).
constexpr double kMode = 2.0, kSpread = 0.3;

/// Draws a batch from the target mixture.
template <typename Scalar>
void sample_mixture(ganpp::Rng& rng, ganpp::Index n, ganpp::Tensor<Scalar>& out) {
  out.resize(ganpp::Shape{n, 1});
  for (ganpp::Index i = 0; i < n; ++i) out[i] = static_cast<Scalar>((rng.uniform() < 0.5 ? -kMode : kMode) + kSpread * rng.normal());
}

template <typename Scalar>
ganpp::Sequential<Scalar> mlp(ganpp::Index in, ganpp::Index hidden, ganpp::Index out) {
  ganpp::Sequential<Scalar> net;
  net.template emplace<ganpp::Linear<Scalar>>(in, hidden)
      .template emplace<ganpp::LeakyReLU<Scalar>>(Scalar(0.2))
      .template emplace<ganpp::Linear<Scalar>>(hidden, hidden)
      .template emplace<ganpp::LeakyReLU<Scalar>>(Scalar(0.2))
      .template emplace<ganpp::Linear<Scalar>>(hidden, out);
  return net;
}

/// Statistics of generated samples: mean, standard deviation, and the share within 3 spreads of either mode
/// (and of each mode separately).
struct Stats {
  double mean = 0, stddev = 0, near_modes = 0, near_left = 0, near_right = 0;
};

template <typename Scalar>
Stats stats(const ganpp::Tensor<Scalar>& x) {
  Stats s;
  const double n = static_cast<double>(x.size());
  for (Scalar v : x) s.mean += v / n;
  for (Scalar v : x) {
    s.stddev += (v - s.mean) * (v - s.mean) / n;
    const bool left = std::abs(v + kMode) < 3 * kSpread, right = std::abs(v - kMode) < 3 * kSpread;
    s.near_left += left / n;
    s.near_right += right / n;
  }
  s.stddev = std::sqrt(s.stddev);
  s.near_modes = s.near_left + s.near_right;
  return s;
}

}  // namespace toy
