// SPDX-License-Identifier: MIT
/// @file
/// Layer<Scalar>: the interface every layer implements (forward, backward, parameters, train/eval mode).
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
  /// Virtual, so that containers own and destroy layers through Layer pointers.
  virtual ~Layer() = default;

  /// Short description naming the layer and its configuration, used in error messages: "Linear(784 -> 512)".
  virtual std::string name() const = 0;
  /// The output shape for an input shape; throws shape_error naming the layer and the shapes if they do not fit.
  virtual Shape output_shape(const Shape& input) const = 0;
  /// Runs the layer on a batch. The returned tensor is owned by the layer and overwritten by the next forward();
  /// the input may be referenced until backward(), so keep it alive and unchanged until then.
  /// @param input a batch whose shape output_shape() accepts (dimension 0 is the batch).
  /// @return the output, of shape output_shape(input.shape()).
  /// @throws shape_error when the input shape does not fit the layer.
  virtual const Tensor<Scalar>& forward(const Tensor<Scalar>& input) = 0;
  /// Back-propagates through the last forward(): adds the parameter gradients (unless frozen) and returns dLoss/dInput.
  /// The returned tensor is owned by the layer and stays valid until the next forward() or backward(); it may be empty
  /// when needs_input_grad() is false.
  /// @param grad_output dLoss/dOutput, of the shape the last forward() returned.
  /// @return dLoss/dInput, of the last input's shape.
  /// @throws shape_error when grad_output does not match the output shape (or backward() comes before any forward()).
  virtual const Tensor<Scalar>& backward(const Tensor<Scalar>& grad_output) = 0;

  /// The trainable tensors with their gradients, as non-owning pointers into the layer: valid while the layer lives and
  /// stable across forward()/backward(). Empty for layers without parameters.
  virtual std::vector<Parameter<Scalar>> parameters() { return {}; }
  /// Draws fresh initial parameters (no-op for layers without any).
  virtual void reset_parameters(Init /*scheme*/, Rng& /*rng*/) {}
  /// The non-trainable state saved in checkpoints (BatchNorm's running statistics), as non-owning pointers into the
  /// layer. Empty for layers without any.
  virtual std::vector<Buffer<Scalar>> buffers() { return {}; }
  /// Sets the gradients of every parameter to zero.
  virtual void zero_grad() {
    for (auto& p : parameters()) p.grad->set_zero();
  }

  /// Train mode (batch statistics, dropout on) or eval mode (running statistics, dropout off).
  virtual void train(bool on = true) { training_ = on; }
  /// Eval mode; same as train(false).
  void eval() { train(false); }
  /// True in train mode (the default).
  bool is_training() const { return training_; }

  /// When frozen, backward() still returns the input gradient but skips the parameter gradients: the
  /// discriminator is frozen during the generator's step.
  virtual void set_frozen(bool frozen) { frozen_ = frozen; }
  /// True when backward() skips the parameter gradients (see set_frozen()).
  bool is_frozen() const { return frozen_; }

  /// When off, backward() may skip the input gradient and return an empty tensor: the first layer of a network
  /// whose input needs no gradient (the latent, or the discriminator's input during its own step) saves a GEMM.
  virtual void set_input_grad(bool on) { input_grad_ = on; }
  /// True when backward() must return the input gradient (the default; see set_input_grad()).
  bool needs_input_grad() const { return input_grad_; }

  /// Class labels for conditional layers; other layers ignore them.
  virtual void set_labels(const std::vector<int>* /*labels*/) {}

  /// Random state a layer keeps of its own (Dropout's generator), as text for checkpoints; empty when none.
  virtual std::string rng_state() const { return {}; }
  /// Restores a state returned by rng_state(); layers without random state ignore it.
  virtual void set_rng_state(const std::string& /*state*/) {}

 protected:
  /// Throws shape_error "<name>::forward(): expected <expected()>, got input of shape <got>" unless ok. The message
  /// is built only on failure, so that a check costs no allocation in the training loop.
  /// For layer writers: call it first in forward().
  /// @param ok the condition the input satisfies; nothing happens when true.
  /// @param got the input's shape, quoted in the message.
  /// @param expected a callable returning a std::string that describes the expected shape; called only on failure.
  /// @throws shape_error when ok is false.
  template <typename Expected>
  void require(bool ok, const Shape& got, Expected expected) const {
    if (!ok) throw shape_error(name() + "::forward(): expected " + expected() + ", got input of shape " + got.str());
  }
  /// Throws shape_error for a backward() without a forward(), or with a gradient of the wrong shape.
  /// For layer writers, in backward() after check_grad(): when the input gradient is off (set_input_grad(false)),
  /// empties `grad_input` and returns true, and backward() returns it at once; otherwise sizes it to `input_shape`
  /// (keeping its memory when the size is unchanged) and returns false.
  /// @param grad_input the layer's input-gradient buffer.
  /// @param input_shape the shape of the last forward()'s input.
  /// @return whether backward() may skip the input gradient.
  bool skip_input_grad(Tensor<Scalar>& grad_input, const Shape& input_shape) const {
    if (!input_grad_) {
      grad_input.resize(Shape{0});
      return true;
    }
    grad_input.resize(input_shape);
    return false;
  }
  /// For layer writers: call it first in backward() with the shape of the last forward()'s output.
  /// @param grad the gradient passed to backward().
  /// @param output the shape of the last forward()'s output.
  /// @throws shape_error when the shapes differ.
  void check_grad(const Tensor<Scalar>& grad, const Shape& output) const {
    if (grad.shape() != output)
      throw shape_error(name() + "::backward(): gradient of shape " + grad.shape().str() + " does not match output shape " + output.str());
  }

  /// For layer writers: the mode train() sets; read it in forward() to choose batch or running statistics, dropout or not.
  bool training_ = true;
  /// For layer writers: when true, backward() must not touch the parameter gradients (still return the input gradient).
  bool frozen_ = false;
  /// For layer writers: when false, backward() may return an empty tensor instead of computing the input gradient.
  bool input_grad_ = true;
};

}  // namespace ganpp
