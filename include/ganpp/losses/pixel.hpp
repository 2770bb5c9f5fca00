// SPDX-License-Identifier: MIT
/// @file
/// Pixel losses between an output and its target: mean absolute (L1) and mean squared error, with their gradients.
#pragma once

#include "../error.hpp"
#include "../tensor.hpp"

#include <cmath>
#include <string>

namespace ganpp {

namespace detail {
// Checks the shapes, writes weight * d(mean term)/d(input) into grad and returns weight * mean term. Sums in double.
template <typename Scalar, typename F>
Scalar pixel_loss(const Tensor<Scalar>& input, const Tensor<Scalar>& target, Tensor<Scalar>& grad, double weight, const char* fn, F term) {
  if (input.shape() != target.shape())
    throw shape_error(std::string(fn) + "(): input shape " + input.shape().str() + " does not match target shape " + target.shape().str());
  if (input.rank() < 1 || input.empty()) throw shape_error(std::string(fn) + "(): expected a non-empty input, got shape " + input.shape().str());
  if (!(weight >= 0) || !std::isfinite(weight))
    throw argument_error(std::string(fn) + "(): weight must be finite and non-negative, got " + std::to_string(weight));
  grad.resize(input.shape());
  const Index n = input.size();
  const Scalar scale = static_cast<Scalar>(weight / static_cast<double>(n));
  double total = 0;
  for (Index i = 0; i < n; ++i) {
    Scalar g = 0;
    total += static_cast<double>(term(input[i] - target[i], g));
    grad[i] = g * scale;
  }
  return static_cast<Scalar>(weight * total / static_cast<double>(n));
}
}  // namespace detail

/// Mean absolute error, weight * mean |input - target| over every element (torch.nn.L1Loss, reduction "mean").
/// The reconstruction term of pix2pix's generator loss, weighted 100 there (Isola et al. 2017, eq. 3-4), and of
/// CycleGAN's cycle-consistency loss, weighted 10 (Zhu et al. 2017, eq. 2).
/// Writes dLoss/dInput into grad: weight * sign(input - target) / size, 0 where they are equal (as PyTorch).
/// @tparam Scalar float or double.
/// @param input the network's output, any shape.
/// @param target what it should be, the same shape; gets no gradient.
/// @param grad resized to input's shape and overwritten with dLoss/dInput.
/// @param weight multiplies the loss and its gradient (lambda of the papers).
/// @return the weighted loss.
/// @throws shape_error when the shapes differ or the input is empty; argument_error for a negative weight.
template <typename Scalar>
Scalar l1_loss(const Tensor<Scalar>& input, const Tensor<Scalar>& target, Tensor<Scalar>& grad, double weight = 1.0) {
  return detail::pixel_loss(input, target, grad, weight, "l1_loss", [](Scalar d, Scalar& g) {
    g = d > 0 ? Scalar(1) : d < 0 ? Scalar(-1) : Scalar(0);
    return std::abs(d);
  });
}

/// Mean squared error, weight * mean (input - target)^2 over every element (torch.nn.MSELoss, reduction "mean").
/// Writes dLoss/dInput = weight * 2 (input - target) / size into grad.
/// @tparam Scalar float or double.
/// @param input the network's output, any shape.
/// @param target what it should be, the same shape; gets no gradient.
/// @param grad resized to input's shape and overwritten with dLoss/dInput.
/// @param weight multiplies the loss and its gradient.
/// @return the weighted loss.
/// @throws shape_error when the shapes differ or the input is empty; argument_error for a negative weight.
template <typename Scalar>
Scalar mse_loss(const Tensor<Scalar>& input, const Tensor<Scalar>& target, Tensor<Scalar>& grad, double weight = 1.0) {
  return detail::pixel_loss(input, target, grad, weight, "mse_loss", [](Scalar d, Scalar& g) {
    g = Scalar(2) * d;
    return d * d;
  });
}

}  // namespace ganpp
