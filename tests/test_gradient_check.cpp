// SPDX-License-Identifier: MIT
// The finite-difference gradient checker itself: it must catch a backward that is slightly wrong.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include "support.hpp"

using namespace ganpp;
using test::random_tensor;
using T = double;  // central differences need double: float's rounding error swamps a 1e-6 step

namespace {

// A layer whose backward is off by a factor: the checker must catch it.
class WrongScale : public Layer<T> {
 public:
  std::string name() const override { return "WrongScale"; }
  Shape output_shape(const Shape& in) const override { return in; }
  const Tensor<T>& forward(const Tensor<T>& x) override {
    out_.assign(x);
    out_.array() *= 3.0;
    return out_;
  }
  const Tensor<T>& backward(const Tensor<T>& dy) override {
    grad_.assign(dy);
    grad_.array() *= 2.9;
    return grad_;
  }

 private:
  Tensor<T> out_, grad_;
};

}  // namespace

TEST_CASE("the gradient checker catches a wrong backward", "[layer][gradcheck]") {
  WrongScale wrong;
  CHECK(check_layer_gradients<T>(wrong, random_tensor(Shape{2, 3}, 1)).max_error > 0.01);
}
