// SPDX-License-Identifier: MIT
/// @file
/// Reshape and Flatten: change a tensor's per-sample shape without touching its values.
#pragma once

#include "layer.hpp"

namespace ganpp {

/// Shared forward/backward of the layers that only relabel the shape; Derived supplies output_shape().
template <typename Scalar>
class ShapeView : public Layer<Scalar> {
 public:
  /// Copies x into an output of shape output_shape(x.shape()); x need not be kept.
  /// @throws shape_error when Derived's output_shape() rejects x's shape.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    const Shape out = this->output_shape(x.shape());
    input_shape_ = x.shape();
    output_.assign(x);
    output_.reshape(out);
    return output_;
  }
  /// Copies dy back under the last input's shape.
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    this->check_grad(dy, output_.shape());
    grad_input_.assign(dy);
    grad_input_.reshape(input_shape_);
    return grad_input_;
  }

 private:
  Shape input_shape_;
  Tensor<Scalar> output_, grad_input_;
};

/// Views each sample under another shape with the same element count: (N, 100) -> (N, 100, 1, 1).
template <typename Scalar = float>
class Reshape : public ShapeView<Scalar> {
 public:
  /// @param sample_shape the per-sample target shape, without the batch dimension (rank 1 to 3).
  explicit Reshape(Shape sample_shape) : target_(sample_shape) {
    if (target_.rank() < 1 || target_.rank() > 3)
      throw argument_error("Reshape::Reshape(): sample shape must have rank 1 to 3, got " + target_.str());
  }
  std::string name() const override { return "Reshape" + target_.str(); }
  Shape output_shape(const Shape& in) const override {
    this->require(in.rank() >= 1 && in.sample_size() == target_.numel(), in, [&] { return std::string("samples of " + std::to_string(target_.numel()) + " elements"); });
    return target_.batched(in[0]);
  }

 private:
  Shape target_;
};

/// (N, C, H, W) -> (N, C*H*W).
template <typename Scalar = float>
class Flatten : public ShapeView<Scalar> {
 public:
  std::string name() const override { return "Flatten"; }
  Shape output_shape(const Shape& in) const override {
    this->require(in.rank() >= 1, in, [&] { return std::string("a batched input"); });
    return Shape{in[0], in.sample_size()};
  }
};

}  // namespace ganpp
