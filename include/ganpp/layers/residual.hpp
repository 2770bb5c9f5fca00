// SPDX-License-Identifier: MIT
/// @file
/// Residual: y = f(x) + x, or f(x) + proj(x) when a projection changes the shape (He et al. 2016).
#pragma once

#include "container.hpp"

#include <memory>
#include <utility>

namespace ganpp {

/// A residual block (He et al. 2016, "Deep residual learning for image recognition"): y = body(x) + x, or
/// y = body(x) + proj(x) with a projection (a 1x1 Conv2d, a Linear) where the body changes the channel count or
/// the shape. The children are named "body" and "proj", so parameters read "body.0.weight", "proj.weight".
/// backward() sends dL/dy through both paths and adds the input gradients.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class Residual : public Container<Scalar> {
 public:
  /// @param body f; its output must have the input's shape, or the projection's output shape.
  /// @param proj optional projection of the input; null for the identity.
  /// @throws argument_error when body is null.
  explicit Residual(std::unique_ptr<Layer<Scalar>> body, std::unique_ptr<Layer<Scalar>> proj = nullptr)
      : Container<Scalar>("Residual") {
    if (!body) throw argument_error("Residual::Residual(): null body");
    body_ = &this->register_child("body", std::move(body));
    if (proj) proj_ = &this->register_child("proj", std::move(proj));
  }

  std::string name() const override {
    return "Residual(" + body_->name() + (proj_ ? ", proj " + proj_->name() : std::string()) + ")";
  }
  /// @throws shape_error naming this block and both shapes when the body's output does not match the skip path's.
  Shape output_shape(const Shape& in) const override {
    const Shape out = body_->output_shape(in);
    check_match(out, proj_ ? proj_->output_shape(in) : in);
    return out;
  }
  /// body(x) + x, or body(x) + proj(x); the output has the body's output shape. The children may keep x for backward().
  /// @throws shape_error when a child rejects x, or when the body's output shape differs from the skip path's.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    const Tensor<Scalar>& fx = body_->forward(x);
    const Tensor<Scalar>& skip = proj_ ? proj_->forward(x) : x;
    check_match(fx.shape(), skip.shape());
    output_.resize(fx.shape());
    output_.array() = fx.array() + skip.array();
    return output_;
  }
  /// Sends dy through the body (and the projection) and returns the sum of the input gradients (empty when the input
  /// gradient is off; the projection still gets its parameter gradients).
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    this->check_grad(dy, output_.shape());
    const Tensor<Scalar>& g_body = body_->backward(dy);
    if (!this->input_grad_) {
      if (proj_) proj_->backward(dy);  // for the projection's parameter gradients only
      grad_input_.resize(Shape{0});
      return grad_input_;
    }
    grad_input_.assign(g_body);
    if (proj_)
      grad_input_.array() += proj_->backward(dy).array();
    else
      grad_input_.array() += dy.array();
    return grad_input_;
  }

  /// The body f, owned by this block.
  Layer<Scalar>& body() { return *body_; }
  /// The projection, or null for the identity.
  Layer<Scalar>* proj() { return proj_; }

 private:
  void check_match(const Shape& body_out, const Shape& skip) const {
    if (body_out != skip)
      throw shape_error(name() + "::forward(): body output of shape " + body_out.str() + " does not match the " +
                        (proj_ ? "projection's output of shape " : "input of shape ") + skip.str());
  }

  Layer<Scalar>* body_ = nullptr;  // children, owned by Container
  Layer<Scalar>* proj_ = nullptr;
  Tensor<Scalar> output_, grad_input_;
};

}  // namespace ganpp
