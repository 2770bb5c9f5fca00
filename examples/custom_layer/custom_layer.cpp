// SPDX-License-Identifier: MIT
// The layer of docs/writing-a-layer.md: a per-feature scale and shift, gradient-checked, then trained in a network.
#include <ganpp/ganpp.hpp>

#include <cstdio>

namespace my {

using ganpp::Index;
using ganpp::Shape;
using ganpp::Tensor;

/// y[n, f] = scale[f] * x[n, f] + shift[f] on (N, F) inputs; starts as the identity.
template <typename Scalar = float>
class ScaleShift : public ganpp::Layer<Scalar> {
 public:
  explicit ScaleShift(Index features)
      : features_(features), scale_(Shape{features}), scale_grad_(Shape{features}), shift_(Shape{features}), shift_grad_(Shape{features}) {
    if (features < 1) throw ganpp::argument_error("ScaleShift::ScaleShift(): features must be positive, got " + std::to_string(features));
    scale_.array().setOnes();
    shift_.set_zero();
  }
  std::string name() const override { return "ScaleShift(" + std::to_string(features_) + ")"; }
  Shape output_shape(const Shape& in) const override {
    this->require(in.rank() == 2 && in[1] == features_, in, [&] { return "(N, " + std::to_string(features_) + ")"; });
    return in;
  }
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    output_.resize(output_shape(x.shape()));  // a buffer the layer owns, reused by every forward
    input_ = &x;                              // backward needs x: the caller keeps it alive until then
    output_.matrix() = (x.matrix().array().colwise() * scale_.array()).colwise() + shift_.array();
    return output_;
  }
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    this->check_grad(dy, output_.shape());
    if (!this->is_frozen()) {  // accumulate: the caller zeroes the gradients
      scale_grad_.array() += (dy.matrix().array() * input_->matrix().array()).rowwise().sum();
      shift_grad_.array() += dy.matrix().array().rowwise().sum();
    }
    if (!this->needs_input_grad()) {
      grad_input_.resize(Shape{0});
      return grad_input_;
    }
    grad_input_.resize(dy.shape());
    grad_input_.matrix() = dy.matrix().array().colwise() * scale_.array();
    return grad_input_;
  }
  std::vector<ganpp::Parameter<Scalar>> parameters() override { return {{"scale", &scale_, &scale_grad_}, {"shift", &shift_, &shift_grad_}}; }

 private:
  Index features_;
  Tensor<Scalar> scale_, scale_grad_, shift_, shift_grad_;
  Tensor<Scalar> output_, grad_input_;
  const Tensor<Scalar>* input_ = nullptr;
};

}  // namespace my

int main() {
  using namespace ganpp;
  // 1. The gradient check, in double precision: input gradient and every parameter gradient.
  my::ScaleShift<double> layer(3);
  Rng rng(7);
  for (auto& p : layer.parameters()) rng.fill_normal(*p.value);
  Tensor<double> x(Shape{4, 3});
  rng.fill_normal(x);
  const GradientCheckResult check = check_layer_gradients(layer, x);
  std::printf("gradient check: max error %.2e at %s\n", check.max_error, check.where.c_str());
  if (check.max_error > 1e-6) return 1;

  // 2. The layer in a network: learn to map N(0, 1) features onto N((2, -1), (0.5, 3)).
  Sequential<float> net;
  net.emplace<my::ScaleShift<float>>(2);
  Sgd<float> opt(net.parameters(), {0.05});
  Tensor<float> in(Shape{64, 2}), target(Shape{64, 2}), grad(Shape{64, 2});
  for (int step = 0; step < 500; ++step) {
    rng.fill_normal(in);
    target.matrix() = ((in.matrix().array().colwise() * Eigen::Array2f(0.5f, 3.0f)).colwise() + Eigen::Array2f(2.0f, -1.0f));
    net.zero_grad();
    grad.matrix() = (net.forward(in).matrix() - target.matrix()) / 64.0f;  // d(mean squared error / 2)
    net.backward(grad);
    opt.step();
  }
  const auto p = net.parameters();
  std::printf("scale (%.2f, %.2f), shift (%.2f, %.2f)\n", (*p[0].value)[0], (*p[0].value)[1], (*p[1].value)[0], (*p[1].value)[1]);
  return 0;
}
