// SPDX-License-Identifier: MIT
/// @file
/// Element-wise activations: ReLU, LeakyReLU, Tanh, Sigmoid. Each backward uses only the saved output.
#pragma once

#include "../detail/parallel.hpp"
#include "layer.hpp"

#include <cmath>

namespace ganpp {

/// Shared machinery of the element-wise activations. Derived provides value(x) and slope(y) as Eigen array
/// expressions (so they vectorise), the derivative written in terms of the output y, so the input need not be kept.
template <typename Scalar, typename Derived>
class Activation : public Layer<Scalar> {
 public:
  /// Element-wise: the output shape is the input shape, of any rank.
  Shape output_shape(const Shape& in) const override { return in; }
  /// Applies value() to every element; the output has x's shape and is owned by the layer. x need not be kept.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    output_.resize(x.shape());
    const Derived& self = static_cast<const Derived&>(*this);
    detail::parallel_ranges(x.size(), [&](Index begin, Index end) {
      output_.array().segment(begin, end - begin) = self.value(x.array().segment(begin, end - begin));
    });
    return output_;
  }
  /// dy times slope() of the saved output, element by element.
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    this->check_grad(dy, output_.shape());
    grad_input_.resize(dy.shape());
    const Derived& self = static_cast<const Derived&>(*this);
    detail::parallel_ranges(dy.size(), [&](Index begin, Index end) {
      grad_input_.array().segment(begin, end - begin) = dy.array().segment(begin, end - begin) * self.slope(output_.array().segment(begin, end - begin));
    });
    return grad_input_;
  }

 protected:
  /// Dynamic column array of Scalar, for a Derived's expressions (the built-in activations do not need it).
  using Array = Eigen::Array<Scalar, Eigen::Dynamic, 1>;
  /// @var output_
  /// The last forward()'s output, which backward() reads.
  /// @var grad_input_
  /// The last backward()'s result.
  Tensor<Scalar> output_, grad_input_;
};

/// Rectified linear unit: max(x, 0).
template <typename Scalar = float>
class ReLU : public Activation<Scalar, ReLU<Scalar>> {
 public:
  std::string name() const override { return "ReLU"; }
  /// max(x, 0), element-wise, as an Eigen expression over the array x.
  template <typename A>
  auto value(const A& x) const { return x.max(Scalar(0)); }
  /// The derivative from the output: 1 where y > 0, else 0.
  template <typename A>
  auto slope(const A& y) const {
    // A select of two constants vectorises; casting the comparison's bools to Scalar did not (2x slower backward).
    return (y > Scalar(0)).select(A::Constant(y.size(), Scalar(1)), A::Constant(y.size(), Scalar(0)));
  }
};

/// Leaky ReLU: x for x > 0, negative_slope * x otherwise.
template <typename Scalar = float>
class LeakyReLU : public Activation<Scalar, LeakyReLU<Scalar>> {
 public:
  /// @param negative_slope the slope for negative inputs; must be > 0 (use ReLU for 0).
  /// @throws argument_error when negative_slope is not > 0.
  explicit LeakyReLU(Scalar negative_slope = Scalar(0.01)) : a_(negative_slope) {
    if (!(negative_slope > 0))
      throw argument_error("LeakyReLU::LeakyReLU(): negative_slope must be > 0 (use ReLU for 0), got " + std::to_string(negative_slope));
  }
  std::string name() const override { return "LeakyReLU(" + std::to_string(a_) + ")"; }
  /// x where x > 0, else negative_slope * x, element-wise.
  template <typename A>
  auto value(const A& x) const { return (x > Scalar(0)).select(x, a_ * x); }
  // y > 0 exactly when x > 0 because the negative slope is positive.
  /// The derivative from the output: 1 where y > 0, else negative_slope.
  template <typename A>
  auto slope(const A& y) const { return (y > Scalar(0)).select(A::Constant(y.size(), Scalar(1)), A::Constant(y.size(), a_)); }

 private:
  Scalar a_;
};

/// Hyperbolic tangent, output in (-1, 1): the usual last layer of an image generator for pixels in [-1, 1].
template <typename Scalar = float>
class Tanh : public Activation<Scalar, Tanh<Scalar>> {
 public:
  std::string name() const override { return "Tanh"; }
  /// tanh(x), element-wise.
  template <typename A>
  auto value(const A& x) const { return x.tanh(); }
  /// The derivative from the output: 1 - y^2.
  template <typename A>
  auto slope(const A& y) const { return Scalar(1) - y.square(); }
};

/// Logistic sigmoid 1 / (1 + exp(-x)), output in (0, 1).
template <typename Scalar = float>
class Sigmoid : public Activation<Scalar, Sigmoid<Scalar>> {
 public:
  std::string name() const override { return "Sigmoid"; }
  /// Eigen's logistic() saturates to exactly 0 and 1 without overflowing.
  template <typename A>
  auto value(const A& x) const { return x.logistic(); }
  /// The derivative from the output: y * (1 - y).
  template <typename A>
  auto slope(const A& y) const { return y * (Scalar(1) - y); }
};

}  // namespace ganpp
