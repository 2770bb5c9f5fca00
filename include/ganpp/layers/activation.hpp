// SPDX-License-Identifier: MIT
// Element-wise activations: ReLU, LeakyReLU, Tanh, Sigmoid. Each backward uses only the saved output.
#pragma once

#include "layer.hpp"

#include <cmath>

namespace ganpp {

/// Shared machinery of the element-wise activations: Derived provides value(x) and slope(y), the derivative
/// written in terms of the output y, so the input need not be kept.
template <typename Scalar, typename Derived>
class Activation : public Layer<Scalar> {
 public:
  Shape output_shape(const Shape& in) const override { return in; }
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    output_.resize(x.shape());
    const Derived& self = static_cast<const Derived&>(*this);
    const Scalar* in = x.data();
    Scalar* out = output_.data();
    const Index n = x.size();
    for (Index i = 0; i < n; ++i) out[i] = self.value(in[i]);
    return output_;
  }
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    this->check_grad(dy, output_.shape());
    grad_input_.resize(dy.shape());
    const Derived& self = static_cast<const Derived&>(*this);
    const Scalar* y = output_.data();
    const Scalar* g = dy.data();
    Scalar* dx = grad_input_.data();
    const Index n = dy.size();
    for (Index i = 0; i < n; ++i) dx[i] = g[i] * self.slope(y[i]);
    return grad_input_;
  }

 protected:
  Tensor<Scalar> output_, grad_input_;
};

template <typename Scalar = float>
class ReLU : public Activation<Scalar, ReLU<Scalar>> {
 public:
  std::string name() const override { return "ReLU"; }
  Scalar value(Scalar x) const { return x > 0 ? x : Scalar(0); }
  Scalar slope(Scalar y) const { return y > 0 ? Scalar(1) : Scalar(0); }
};

template <typename Scalar = float>
class LeakyReLU : public Activation<Scalar, LeakyReLU<Scalar>> {
 public:
  explicit LeakyReLU(Scalar negative_slope = Scalar(0.01)) : a_(negative_slope) {
    if (!(negative_slope > 0))
      throw argument_error("LeakyReLU::LeakyReLU(): negative_slope must be > 0 (use ReLU for 0), got " + std::to_string(negative_slope));
  }
  std::string name() const override { return "LeakyReLU(" + std::to_string(a_) + ")"; }
  Scalar value(Scalar x) const { return x > 0 ? x : a_ * x; }
  // y > 0 exactly when x > 0 because the negative slope is positive.
  Scalar slope(Scalar y) const { return y > 0 ? Scalar(1) : a_; }

 private:
  Scalar a_;
};

template <typename Scalar = float>
class Tanh : public Activation<Scalar, Tanh<Scalar>> {
 public:
  std::string name() const override { return "Tanh"; }
  Scalar value(Scalar x) const { return std::tanh(x); }
  Scalar slope(Scalar y) const { return Scalar(1) - y * y; }
};

template <typename Scalar = float>
class Sigmoid : public Activation<Scalar, Sigmoid<Scalar>> {
 public:
  std::string name() const override { return "Sigmoid"; }
  Scalar value(Scalar x) const {
    // Two branches so that exp never overflows.
    if (x >= 0) return Scalar(1) / (Scalar(1) + std::exp(-x));
    const Scalar e = std::exp(x);
    return e / (Scalar(1) + e);
  }
  Scalar slope(Scalar y) const { return y * (Scalar(1) - y); }
};

}  // namespace ganpp
