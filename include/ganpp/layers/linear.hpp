// SPDX-License-Identifier: MIT
/// @file
/// Linear: y = W x + b on (N, in) inputs.
#pragma once

#include "../detail/gemm.hpp"
#include "layer.hpp"

namespace ganpp {

/// Fully connected layer, y = W x + b. Input (N, in_features), output (N, out_features).
/// The weight is stored as PyTorch stores it: (out_features, in_features), row-major.
template <typename Scalar = float>
class Linear : public Layer<Scalar> {
 public:
  /// Initialises the weight and bias with Init::torch_default from Rng(0); call reset_parameters() for another draw.
  /// @param in_features F_in, the size of dimension 1 of the input.
  /// @param out_features F_out, the size of dimension 1 of the output.
  /// @param bias whether to add a learned bias of size F_out.
  /// @throws argument_error when either size is below 1.
  Linear(Index in_features, Index out_features, bool bias = true)
      : in_(in_features), out_(out_features), has_bias_(bias),
        weight_(Shape{out_features, in_features}), weight_grad_(Shape{out_features, in_features}),
        bias_(Shape{bias ? out_features : 0}), bias_grad_(Shape{bias ? out_features : 0}) {
    if (in_features < 1 || out_features < 1)
      throw argument_error("Linear::Linear(): features must be positive, got " + std::to_string(in_features) + " -> " +
                           std::to_string(out_features));
    Rng rng(0);
    reset_parameters(Init::torch_default, rng);
  }

  std::string name() const override { return "Linear(" + std::to_string(in_) + " -> " + std::to_string(out_) + ")"; }
  Shape output_shape(const Shape& in) const override {
    this->require(in.rank() == 2 && in[1] == in_, in, [&] { return std::string("(N, " + std::to_string(in_) + ") (add Flatten before it)"); });
    return Shape{in[0], out_};
  }

  /// Maps (N, F_in) to (N, F_out). Keeps a pointer to x for backward().
  /// @throws shape_error when x is not (N, F_in).
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    output_.resize(output_shape(x.shape()));
    input_ = &x;
    auto y = output_.matrix();
    forward_product_.run(y, detail::transposed(weight_.matrix(in_, out_)), detail::as_is(x.matrix()), false);
    if (has_bias_) y.colwise() += bias_.array().matrix();
    return output_;
  }

  /// Accumulates the weight and bias gradients (unless frozen) and returns the (N, F_in) input gradient (empty when the
  /// input gradient is off).
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    GANPP_ASSERT(input_ != nullptr);
    this->check_grad(dy, output_.shape());
    if (!this->frozen_) {
      weight_grad_product_.run(weight_grad_.matrix(in_, out_), detail::as_is(input_->matrix()), detail::transposed(dy.matrix()), true);
      if (has_bias_) bias_grad_.array() += dy.matrix().rowwise().sum().array();
    }
    if (!this->input_grad_) {
      grad_input_.resize(Shape{0});
      return grad_input_;
    }
    grad_input_.resize(input_->shape());
    input_grad_product_.run(grad_input_.matrix(), detail::as_is(weight_.matrix(in_, out_)), detail::as_is(dy.matrix()), false);
    return grad_input_;
  }

  std::vector<Parameter<Scalar>> parameters() override {
    std::vector<Parameter<Scalar>> p{{"weight", &weight_, &weight_grad_}};
    if (has_bias_) p.push_back({"bias", &bias_, &bias_grad_});
    return p;
  }
  void reset_parameters(Init scheme, Rng& rng) override {
    init::weight(weight_, scheme, in_, out_, rng);
    if (has_bias_) init::bias(bias_, scheme, in_, rng);
  }

  /// The (F_out, F_in) weight, owned by the layer.
  Tensor<Scalar>& weight() { return weight_; }
  /// The (F_out) bias, owned by the layer; empty when built without bias.
  Tensor<Scalar>& bias() { return bias_; }

 private:
  Index in_, out_;
  bool has_bias_;
  Tensor<Scalar> weight_, weight_grad_, bias_, bias_grad_;
  Tensor<Scalar> output_, grad_input_;
  const Tensor<Scalar>* input_ = nullptr;
  detail::Gemm<Scalar> forward_product_, weight_grad_product_, input_grad_product_;
};

}  // namespace ganpp
