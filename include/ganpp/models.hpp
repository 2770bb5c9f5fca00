// SPDX-License-Identifier: MIT
/// @file
/// Generator and Discriminator: Sequential networks that know their input and output shapes (and class count).
#pragma once

#include "layers/sequential.hpp"
#include "random.hpp"

#include <utility>

namespace ganpp {

/// What Generator and Discriminator share: a network, the per-sample shape it takes, and whether (and over how
/// many classes) it is conditioned on labels.
template <typename Scalar>
class Model {
 public:
  /// @param net the network; the model takes ownership.
  /// @param input_sample_shape per-sample input shape, without the batch dimension (rank 1 to 3).
  /// @param num_classes number of label classes for a conditional model; 0 for an unconditional one.
  /// @param kind "Generator" or "Discriminator", for error messages.
  /// @throws argument_error for an input shape of rank outside 1..3 or a negative num_classes.
  /// @throws shape_error when the network does not accept inputs of that per-sample shape.
  Model(Sequential<Scalar> net, Shape input_sample_shape, Index num_classes, const char* kind)
      : net_(std::move(net)), input_(input_sample_shape), classes_(num_classes), kind_(kind) {
    if (input_.rank() < 1 || input_.rank() > 3)
      throw argument_error(kind_ + "::" + kind_ + "(): per-sample input shape must have rank 1 to 3, got " + input_.str());
    if (num_classes < 0) throw argument_error(kind_ + "::" + kind_ + "(): num_classes must be >= 0");
    try {
      output_ = net_.output_shape(input_.batched(1)).sample_shape();
    } catch (const shape_error& e) {
      throw shape_error(kind_ + "::" + kind_ + "(): the network does not accept inputs of per-sample shape " + input_.str() + ": " + e.what());
    }
  }

  /// Per-sample input shape (the latent shape for a generator, the image shape for a discriminator).
  const Shape& input_shape() const { return input_; }
  /// Per-sample output shape.
  const Shape& output_shape() const { return output_; }
  /// Number of label classes; 0 for an unconditional model.
  Index num_classes() const { return classes_; }
  /// True when forward() needs labels (num_classes() > 0).
  bool conditional() const { return classes_ > 0; }

  /// Runs the network on a batch of inputs; conditional models need one label in [0, num_classes) per sample.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x, const std::vector<int>* labels = nullptr) {
    if (x.rank() < 1 || x.batch() < 1 || x.shape().sample_shape() != input_)
      throw shape_error(kind_ + "::forward(): expected a non-empty batch of per-sample shape " + input_.str() + ", got " + x.shape().str());
    if (conditional()) {
      if (labels == nullptr || static_cast<Index>(labels->size()) != x.batch())
        throw argument_error(kind_ + "::forward(): a conditional model needs " + std::to_string(x.batch()) + " labels, got " +
                             (labels ? std::to_string(labels->size()) : std::string("none")));
      for (int y : *labels)
        if (y < 0 || y >= classes_)
          throw argument_error(kind_ + "::forward(): label " + std::to_string(y) + " out of range [0, " + std::to_string(classes_) + ")");
    }
    net_.set_labels(labels);
    return net_.forward(x);
  }
  /// Backpropagates dLoss/dOutput of the last forward(); returns dLoss/dInput.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& grad_output) { return net_.backward(grad_output); }

  /// The network's parameters (see Layer::parameters()); the pointers stay valid while the model lives.
  std::vector<Parameter<Scalar>> parameters() { return net_.parameters(); }
  /// The network's buffers (see Layer::buffers()).
  std::vector<Buffer<Scalar>> buffers() { return net_.buffers(); }
  /// Sets every parameter gradient to zero.
  void zero_grad() { net_.zero_grad(); }
  /// Train mode (on) or eval mode for every layer (see Layer::train()).
  void train(bool on = true) { net_.train(on); }
  /// Eval mode for every layer; same as train(false).
  void eval() { net_.train(false); }
  /// True in train mode.
  bool is_training() const { return net_.is_training(); }
  /// Freezes or unfreezes every layer's parameter gradients (see Layer::set_frozen()).
  void set_frozen(bool frozen) { net_.set_frozen(frozen); }
  /// Whether backward() must return dLoss/dInput (see Layer::set_input_grad).
  void set_input_grad(bool on) { net_.set_input_grad(on); }
  /// Re-initialises every layer by the given scheme.
  void reset_parameters(Init scheme, std::uint64_t seed) {
    Rng rng(seed);
    net_.reset_parameters(scheme, rng);
  }
  /// The network, owned by the model.
  Sequential<Scalar>& net() { return net_; }

 protected:
  /// The network, owned.
  Sequential<Scalar> net_;
  /// @var input_
  /// Per-sample input shape given at construction.
  /// @var output_
  /// Per-sample output shape of the network for that input.
  Shape input_, output_;
  /// Number of label classes; 0 when unconditional.
  Index classes_;
  /// "Generator" or "Discriminator", for error messages.
  std::string kind_;
};

/// Turns latent vectors z (per-sample shape latent_shape, e.g. (100) or (100, 1, 1)) into samples.
template <typename Scalar = float>
class Generator : public Model<Scalar> {
 public:
  /// Turns the input gradient off: training never needs dLoss/dz (latent-space search turns it back on).
  /// @param net the network, mapping (N, latent_shape) to (N, sample shape); the generator takes ownership.
  /// @param latent_shape per-sample latent shape, rank 1 to 3: (100) or (100, 1, 1).
  /// @param num_classes number of label classes for a conditional generator; 0 for an unconditional one.
  /// @throws argument_error for a latent shape of rank outside 1..3 or a negative num_classes.
  /// @throws shape_error when the network does not accept latents of that shape.
  Generator(Sequential<Scalar> net, Shape latent_shape, Index num_classes = 0)
      : Model<Scalar>(std::move(net), latent_shape, num_classes, "Generator") {
    this->set_input_grad(false);  // training never needs dLoss/dz; latent-space search turns it back on
  }

  /// Per-sample latent shape (same as input_shape()).
  const Shape& latent_shape() const { return this->input_; }
  /// Number of elements of one latent vector.
  Index latent_size() const { return this->input_.numel(); }
  /// Fills z with a batch of n standard-normal latent vectors.
  void sample_latent(Index n, Rng& rng, Tensor<Scalar>& z) const {
    if (n < 1) throw argument_error("Generator::sample_latent(): batch size must be positive, got " + std::to_string(n));
    z.resize(latent_shape().batched(n));
    rng.fill_normal(z);
  }
};

/// What a Discriminator's network returns per sample.
enum class LogitShape {
  one,  ///< one logit per sample: per-sample output shape (1), (1, 1) or (1, 1, 1)
  map,  ///< a map of logits per sample, e.g. a PatchGAN's (1, H', W'); losses average over every logit
};

/// Scores samples: one logit (real vs generated) per sample, or a map of patch logits per sample.
template <typename Scalar = float>
class Discriminator : public Model<Scalar> {
 public:
  /// @param net the network, mapping (N, sample_shape) to one logit per sample (or a map of them); the
  ///        discriminator takes ownership.
  /// @param sample_shape per-sample input shape, rank 1 to 3: (784) or (1, 28, 28).
  /// @param num_classes number of label classes for a conditional discriminator; 0 for an unconditional one.
  /// @param logits LogitShape::one (the default) requires one logit per sample; LogitShape::map accepts any
  ///        non-empty per-sample output of rank 3 with one channel, (1, H', W').
  /// @throws argument_error for a sample shape of rank outside 1..3 or a negative num_classes.
  /// @throws shape_error when the network does not accept that shape or does not end in the logits asked for.
  Discriminator(Sequential<Scalar> net, Shape sample_shape, Index num_classes = 0, LogitShape logits = LogitShape::one)
      : Model<Scalar>(std::move(net), sample_shape, num_classes, "Discriminator"), logits_(logits) {
    if (logits == LogitShape::one && this->output_.numel() != 1)
      throw shape_error("Discriminator::Discriminator(): the network must end in one logit per sample, but outputs per-sample shape " +
                        this->output_.str() + " (pass LogitShape::map for a PatchGAN's map)");
    if (logits == LogitShape::map && (this->output_.rank() != 3 || this->output_[0] != 1 || this->output_.numel() < 1))
      throw shape_error("Discriminator::Discriminator(): a logit map must have per-sample shape (1, H', W'), but the network outputs " +
                        this->output_.str());
  }
  /// Whether the network returns one logit or a map of them per sample.
  LogitShape logit_shape() const { return logits_; }

 private:
  LogitShape logits_;
};

/// Turns images into images (image-to-image translation: pix2pix, CycleGAN, super-resolution): a generator whose
/// input is an image batch rather than a latent vector. It computes its input gradient (CycleGAN's cycle loss goes
/// back through one generator into the other); set_input_grad(false) saves that work where nothing needs it.
template <typename Scalar = float>
class ImageGenerator : public Model<Scalar> {
 public:
  /// @param net the network, mapping (N, input_shape) images to (N, output shape) images; the generator takes ownership.
  /// @param input_shape per-sample input image shape (C, H, W) (rank 1 to 3 is accepted).
  /// @throws argument_error for a shape of rank outside 1..3.
  /// @throws shape_error when the network does not accept inputs of that shape.
  ImageGenerator(Sequential<Scalar> net, Shape input_shape) : Model<Scalar>(std::move(net), input_shape, 0, "ImageGenerator") {}
};

}  // namespace ganpp
