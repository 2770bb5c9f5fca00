// SPDX-License-Identifier: MIT
/// @file
/// PerceptualLoss: the distance between a frozen feature network's activations for an output and for its target.
#pragma once

#include "../layers/layer.hpp"
#include "../layers/sequential.hpp"

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace ganpp {

/// How PerceptualLoss compares two feature tensors; both are means over every feature element.
enum class FeatureDistance {
  mse,  ///< mean of (f(output) - f(target))^2, as PyTorch's MSELoss with reduction 'mean'
  l1,   ///< mean of |f(output) - f(target)|, as PyTorch's L1Loss with reduction 'mean' (gradient 0 where they are equal)
};

/// Perceptual (content) loss: the distance between the activations of a fixed feature network for a generated image
/// and for its target, with its gradient back to the generated image. SRGAN's content loss (Ledig et al. 2017,
/// "Photo-realistic single image super-resolution using a generative adversarial network", the "VGG54" loss) and
/// Johnson et al. 2016's feature reconstruction loss compare VGG activations; any trained ganpp network serves here,
/// for instance, for digits, the feature Sequential of the MNIST evaluation classifier (examples/score/
/// mnist_classifier.hpp) up to its layer 7, the ReLU after the last convolution block: 128x7x7 features, the
/// counterpart of VGG54's activations after the last convolution before the last pooling.
///
/// The feature network is the whole layer passed in, or the layers 0..`last_layer` of a Sequential (the later layers
/// are not run). For each call the network is switched to eval mode (BatchNorm's running statistics, no dropout) and
/// frozen (its parameters receive no gradient), and each layer's train/eval mode, frozen flag and input-gradient flag
/// are restored afterwards, also when the call throws. The network must outlive the loss; nothing else may use it
/// during a call. Once the shapes are stable a call allocates nothing.
///
/// The inputs must be scaled as the feature network was trained: the MNIST classifier expects images in [-1, 1], the
/// range of a Tanh generator's output.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class PerceptualLoss {
 public:
  /// Compares the whole network's outputs.
  /// @param features the feature network, kept by reference.
  /// @param distance MSE or L1 between the two feature tensors.
  explicit PerceptualLoss(Layer<Scalar>& features, FeatureDistance distance = FeatureDistance::mse)
      : chain_{&features}, distance_(distance), description_(features.name()), saved_flags_(1) {}

  /// Compares the activations of layer `last_layer` of a Sequential: its layers 0..last_layer form the feature network.
  /// @param features the network, kept by reference; it must not gain or lose layers while the loss is in use.
  /// @param last_layer the index of the layer whose activations are compared.
  /// @param distance MSE or L1 between the two feature tensors.
  /// @throws argument_error when last_layer is not a layer of the network.
  PerceptualLoss(Sequential<Scalar>& features, std::size_t last_layer, FeatureDistance distance = FeatureDistance::mse) : distance_(distance) {
    if (last_layer >= features.size())
      throw argument_error("PerceptualLoss::PerceptualLoss(): layer " + std::to_string(last_layer) + " is not in " + features.name());
    for (std::size_t i = 0; i <= last_layer; ++i) chain_.push_back(&features[i]);
    description_ = features.name() + " up to layer " + std::to_string(last_layer) + " (" + chain_.back()->name() + ")";
    saved_flags_.reserve(chain_.size());
  }

  /// The loss mean distance(f(output), f(target)) over every feature element; writes dLoss/dOutput into grad (the
  /// shape of output). The target's features are computed first, then the output's, whose backward gives grad.
  /// @param output the generated images; must stay alive and unchanged during the call.
  /// @param target the images output should match, of the same shape.
  /// @param grad receives dLoss/dOutput, resized to output's shape (its buffer reused).
  /// @throws shape_error when output and target differ in shape (message naming both), or when the feature network
  ///         does not accept them (its message names the layer and the shape).
  Scalar compute(const Tensor<Scalar>& output, const Tensor<Scalar>& target, Tensor<Scalar>& grad) {
    if (output.shape() != target.shape() || output.empty())
      throw shape_error("PerceptualLoss::compute(): output of shape " + output.shape().str() + " and target of shape " + target.shape().str() +
                        " must have the same non-empty shape");
    StateGuard guard(chain_, saved_flags_);
    target_features_.assign(run(target));
    const Tensor<Scalar>& out_features = run(output);
    if (out_features.shape() != target_features_.shape())  // a network whose output shape depends on more than the input shape
      throw shape_error("PerceptualLoss::compute(): features of shape " + out_features.shape().str() + " and " + target_features_.shape().str() +
                        " differ in " + description_);
    const Index n = out_features.size();
    feature_grad_.resize(out_features.shape());
    double total = 0;
    const Scalar inv_n = Scalar(1) / static_cast<Scalar>(n);
    for (Index i = 0; i < n; ++i) {
      const Scalar d = out_features[i] - target_features_[i];
      if (distance_ == FeatureDistance::mse) {
        total += static_cast<double>(d) * static_cast<double>(d);
        feature_grad_[i] = Scalar(2) * d * inv_n;
      } else {
        total += std::abs(static_cast<double>(d));
        feature_grad_[i] = (d > 0 ? Scalar(1) : d < 0 ? Scalar(-1) : Scalar(0)) * inv_n;
      }
    }
    const Tensor<Scalar>* g = &feature_grad_;
    for (auto it = chain_.rbegin(); it != chain_.rend(); ++it) g = &(*it)->backward(*g);
    grad.assign(*g);
    return static_cast<Scalar>(total / static_cast<double>(n));
  }

  /// MSE or L1, as constructed.
  FeatureDistance distance() const { return distance_; }
  /// The feature network, for messages: "Sequential(11 layers) up to layer 7 (ReLU)".
  const std::string& description() const { return description_; }

 private:
  const Tensor<Scalar>& run(const Tensor<Scalar>& x) {
    const Tensor<Scalar>* t = &x;
    for (Layer<Scalar>* l : chain_) t = &l->forward(*t);
    return *t;
  }

  struct Flags {
    bool training, frozen, input_grad;
  };
  // Puts the chain in eval mode, frozen, with the first layer returning its input gradient; restores each layer's
  // flags on destruction. A nested container's flags are restored through its own setters, which pass them on.
  class StateGuard {
   public:
    StateGuard(const std::vector<Layer<Scalar>*>& chain, std::vector<Flags>& saved) : chain_(chain), saved_(saved) {
      saved_.clear();  // capacity reserved by the constructor: no allocation per call
      for (Layer<Scalar>* l : chain) {
        saved_.push_back({l->is_training(), l->is_frozen(), l->needs_input_grad()});
        l->train(false);
        l->set_frozen(true);
      }
      chain.front()->set_input_grad(true);
    }
    ~StateGuard() {
      for (std::size_t i = 0; i < chain_.size(); ++i) {
        chain_[i]->train(saved_[i].training);
        chain_[i]->set_frozen(saved_[i].frozen);
        chain_[i]->set_input_grad(saved_[i].input_grad);
      }
    }
    StateGuard(const StateGuard&) = delete;
    StateGuard& operator=(const StateGuard&) = delete;

   private:
    const std::vector<Layer<Scalar>*>& chain_;
    std::vector<Flags>& saved_;
  };

  std::vector<Layer<Scalar>*> chain_;
  FeatureDistance distance_;
  std::string description_;
  std::vector<Flags> saved_flags_;
  Tensor<Scalar> target_features_, feature_grad_;
};

}  // namespace ganpp
