// SPDX-License-Identifier: MIT
/// @file
/// Finite-difference gradient checks for layers and losses: the numerical proof that every backward is right.
#pragma once

#include "layers/layer.hpp"
#include "random.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace ganpp {

/// The worst disagreement found between analytic and central-difference gradients.
struct GradientCheckResult {
  double max_error = 0;  ///< max over entries of |analytic - numeric| / max(1, |analytic|, |numeric|)
  std::string where;     ///< "input[3]" or "weight[17]" for the worst entry
};

/// Settings of check_layer_gradients().
struct GradientCheckOptions {
  std::uint64_t seed = 1;    ///< seeds the random projection r
  double step = 1e-6;        ///< central-difference step h
  bool check_input = true;   ///< false for inputs that are not differentiable (Embedding's class indices)
};

/// Checks a layer's backward against central differences of L = sum(forward(x) * r) for a fixed random r:
/// the input gradient and every parameter gradient. Layers with random state (Dropout) are replayed with the
/// same draws for every evaluation. Use double precision; step h around 1e-6.
template <typename Scalar>
GradientCheckResult check_layer_gradients(Layer<Scalar>& layer, const Tensor<Scalar>& input, const GradientCheckOptions& options = {}) {
  Rng rng(options.seed);
  const double h = options.step;
  const std::string rng_state = layer.rng_state();
  Tensor<Scalar> x;
  x.assign(input);
  auto loss = [&](const Tensor<Scalar>& in, const Tensor<Scalar>& r) {
    layer.set_rng_state(rng_state);
    const Tensor<Scalar>& y = layer.forward(in);
    return (y.array() * r.array()).template cast<double>().sum();
  };
  layer.set_rng_state(rng_state);
  Tensor<Scalar> r(layer.output_shape(x.shape()));
  rng.fill_normal(r);

  // Analytic gradients.
  layer.zero_grad();
  layer.set_rng_state(rng_state);
  layer.forward(x);
  Tensor<Scalar> grad_x;
  grad_x.assign(layer.backward(r));
  auto params = layer.parameters();
  std::vector<Tensor<Scalar>> grad_p(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) grad_p[i].assign(*params[i].grad);

  GradientCheckResult result;
  auto compare = [&](double analytic, double numeric, const std::string& where) {
    const double err = std::abs(analytic - numeric) / std::max({1.0, std::abs(analytic), std::abs(numeric)});
    if (err > result.max_error) result = {err, where};
  };
  auto probe = [&](Tensor<Scalar>& t, Index i) {
    const Scalar saved = t[i];
    t[i] = static_cast<Scalar>(saved + h);
    const double up = loss(x, r);
    t[i] = static_cast<Scalar>(saved - h);
    const double down = loss(x, r);
    t[i] = saved;
    return (up - down) / (2 * h);
  };
  if (options.check_input)
    for (Index i = 0; i < x.size(); ++i) compare(grad_x[i], probe(x, i), "input[" + std::to_string(i) + "]");
  for (std::size_t p = 0; p < params.size(); ++p)
    for (Index i = 0; i < params[p].value->size(); ++i)
      compare(grad_p[p][i], probe(*params[p].value, i), params[p].name + "[" + std::to_string(i) + "]");
  return result;
}

}  // namespace ganpp
