// SPDX-License-Identifier: MIT
// Layer<Scalar>: the interface every layer implements (forward, backward, parameters, train/eval mode).
#pragma once

#include "../error.hpp"
#include "../init.hpp"
#include "../parameter.hpp"
#include "../random.hpp"
#include "../tensor.hpp"

#include <string>
#include <vector>

namespace ganpp {

/// Base class of every layer.
///
/// forward() returns a reference to a buffer the layer owns and reuses; it stays valid until the next forward().
/// A layer may keep a pointer to its input for backward(), so the input must stay alive and unchanged until then.
/// backward() takes dLoss/dOutput, accumulates (adds) the parameter gradients unless they are frozen, and returns
/// dLoss/dInput.
template <typename Scalar>
class Layer {
 public:
  virtual ~Layer() = default;

  /// Short description naming the layer and its configuration, used in error messages: "Linear(784 -> 512)".
  virtual std::string name() const = 0;
  /// The output shape for an input shape; throws shape_error naming the layer and the shapes if they do not fit.
  virtual Shape output_shape(const Shape& input) const = 0;
  virtual const Tensor<Scalar>& forward(const Tensor<Scalar>& input) = 0;
  virtual const Tensor<Scalar>& backward(const Tensor<Scalar>& grad_output) = 0;

  virtual std::vector<Parameter<Scalar>> parameters() { return {}; }
  /// Draws fresh initial parameters (no-op for layers without any).
  virtual void reset_parameters(Init /*scheme*/, Rng& /*rng*/) {}
  virtual std::vector<Buffer<Scalar>> buffers() { return {}; }
  /// Sets the gradients of every parameter to zero.
  virtual void zero_grad() {
    for (auto& p : parameters()) p.grad->set_zero();
  }

  /// Train mode (batch statistics, dropout on) or eval mode (running statistics, dropout off).
  virtual void train(bool on = true) { training_ = on; }
  void eval() { train(false); }
  bool is_training() const { return training_; }

  /// When frozen, backward() still returns the input gradient but skips the parameter gradients: the
  /// discriminator is frozen during the generator's step.
  virtual void set_frozen(bool frozen) { frozen_ = frozen; }
  bool is_frozen() const { return frozen_; }

  /// When off, backward() may skip the input gradient and return an empty tensor: the first layer of a network
  /// whose input needs no gradient (the latent, or the discriminator's input during its own step) saves a GEMM.
  virtual void set_input_grad(bool on) { input_grad_ = on; }
  bool needs_input_grad() const { return input_grad_; }

  /// Class labels for conditional layers; other layers ignore them.
  virtual void set_labels(const std::vector<int>* /*labels*/) {}

  /// Random state a layer keeps of its own (Dropout's generator), as text for checkpoints; empty when none.
  virtual std::string rng_state() const { return {}; }
  virtual void set_rng_state(const std::string& /*state*/) {}

 protected:
  /// Throws shape_error "<name>::forward(): expected <expected()>, got input of shape <got>" unless ok. The message
  /// is built only on failure, so that a check costs no allocation in the training loop.
  template <typename Expected>
  void require(bool ok, const Shape& got, Expected expected) const {
    if (!ok) throw shape_error(name() + "::forward(): expected " + expected() + ", got input of shape " + got.str());
  }
  /// Backward without a forward, or with a gradient of the wrong shape.
  void check_grad(const Tensor<Scalar>& grad, const Shape& output) const {
    if (grad.shape() != output)
      throw shape_error(name() + "::backward(): gradient of shape " + grad.shape().str() + " does not match output shape " + output.str());
  }

  bool training_ = true;
  bool frozen_ = false;
  bool input_grad_ = true;
};

}  // namespace ganpp
