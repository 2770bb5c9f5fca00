// SPDX-License-Identifier: MIT
/// @file
/// Sequential: a chain of layers run one after another; itself a layer, so chains nest.
#pragma once

#include "container.hpp"

#include <memory>
#include <utility>

namespace ganpp {

/// Owns its layers and runs them in order. Parameters are named "<index>.<name>", as PyTorch's Sequential names them;
/// every walk over the layers (modes, parameters, buffers, random state) is Container's.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class Sequential : public Container<Scalar> {
 public:
  /// An empty chain; add layers with add() or emplace().
  Sequential() : Container<Scalar>("Sequential") {}
  /// Moves the layers; they stay at the same addresses, so references from operator[] remain valid. Not copyable.
  Sequential(Sequential&&) noexcept = default;
  /// Move assignment: takes the other chain's layers, destroying this one's.
  Sequential& operator=(Sequential&&) noexcept = default;

  /// Appends a layer and returns *this, so that `net.add(...).add(...)` chains.
  /// @throws argument_error for a null layer.
  Sequential& add(std::unique_ptr<Layer<Scalar>> layer) {
    if (!layer) throw argument_error("Sequential::add(): null layer");
    this->register_child(std::to_string(size()), std::move(layer));
    return *this;
  }
  /// Constructs a layer in place: `net.emplace<Linear<float>>(784, 512)`.
  template <typename L, typename... Args>
  Sequential& emplace(Args&&... args) {
    return add(std::make_unique<L>(std::forward<Args>(args)...));
  }

  /// Number of layers.
  std::size_t size() const { return this->num_children(); }
  /// The i-th layer, owned by the chain.
  /// @throws argument_error when i >= size().
  Layer<Scalar>& operator[](std::size_t i) {
    if (i >= size()) throw argument_error("Sequential::operator[](): index " + std::to_string(i) + " out of range for " + std::to_string(size()) + " layers");
    return this->child(i);
  }

  std::string name() const override { return "Sequential(" + std::to_string(size()) + " layers)"; }
  /// Checks the whole chain: the error names the first layer that does not fit.
  Shape output_shape(const Shape& in) const override {
    Shape s = in;
    for (std::size_t i = 0; i < size(); ++i) s = this->child(i).output_shape(s);
    return s;
  }
  /// Runs the layers in order; returns the last layer's output, owned by that layer.
  /// @throws argument_error for an empty chain.
  /// @throws shape_error from the first layer that rejects its input.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    if (size() == 0) throw argument_error("Sequential::forward(): no layers");
    const Tensor<Scalar>* t = &x;
    for (std::size_t i = 0; i < size(); ++i) t = &this->child(i).forward(*t);
    return *t;
  }
  /// Runs backward() through the layers in reverse; returns the first layer's input gradient, owned by that layer.
  /// @throws argument_error for an empty chain.
  /// @throws shape_error when dy does not match the last output.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    if (size() == 0) throw argument_error("Sequential::backward(): no layers");
    const Tensor<Scalar>* g = &dy;
    for (std::size_t i = size(); i-- > 0;) g = &this->child(i).backward(*g);
    return *g;
  }

 protected:
  /// Only the first layer's input is the network's input; the others' input gradients are always needed.
  bool child_input_grad(std::size_t i, bool on) const override { return i == 0 ? on : true; }
};

}  // namespace ganpp
