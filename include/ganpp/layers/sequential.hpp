// SPDX-License-Identifier: MIT
// Sequential: a chain of layers run one after another; itself a layer, so chains nest.
#pragma once

#include "layer.hpp"

#include <memory>
#include <utility>

namespace ganpp {

/// Owns its layers and runs them in order. Parameters are named "<index>.<name>", as PyTorch's Sequential names them.
template <typename Scalar = float>
class Sequential : public Layer<Scalar> {
 public:
  Sequential() = default;
  Sequential(Sequential&&) noexcept = default;
  Sequential& operator=(Sequential&&) noexcept = default;

  /// Appends a layer and returns *this, so that `net.add(...).add(...)` chains.
  Sequential& add(std::unique_ptr<Layer<Scalar>> layer) {
    if (!layer) throw argument_error("Sequential::add(): null layer");
    layer->train(this->training_);
    layer->set_frozen(this->frozen_);
    layer->set_input_grad(layers_.empty() ? this->input_grad_ : true);
    layers_.push_back(std::move(layer));
    return *this;
  }
  /// Constructs a layer in place: `net.emplace<Linear<float>>(784, 512)`.
  template <typename L, typename... Args>
  Sequential& emplace(Args&&... args) {
    return add(std::make_unique<L>(std::forward<Args>(args)...));
  }

  std::size_t size() const { return layers_.size(); }
  Layer<Scalar>& operator[](std::size_t i) { return *layers_.at(i); }

  std::string name() const override { return "Sequential(" + std::to_string(layers_.size()) + " layers)"; }
  /// Checks the whole chain: the error names the first layer that does not fit.
  Shape output_shape(const Shape& in) const override {
    Shape s = in;
    for (const auto& l : layers_) s = l->output_shape(s);
    return s;
  }
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    if (layers_.empty()) throw argument_error("Sequential::forward(): no layers");
    const Tensor<Scalar>* t = &x;
    for (auto& l : layers_) t = &l->forward(*t);
    return *t;
  }
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    if (layers_.empty()) throw argument_error("Sequential::backward(): no layers");
    const Tensor<Scalar>* g = &dy;
    for (auto it = layers_.rbegin(); it != layers_.rend(); ++it) g = &(*it)->backward(*g);
    return *g;
  }

  std::vector<Parameter<Scalar>> parameters() override {
    std::vector<Parameter<Scalar>> all;
    for (std::size_t i = 0; i < layers_.size(); ++i)
      for (auto& p : layers_[i]->parameters()) all.push_back({std::to_string(i) + "." + p.name, p.value, p.grad});
    return all;
  }
  std::vector<Buffer<Scalar>> buffers() override {
    std::vector<Buffer<Scalar>> all;
    for (std::size_t i = 0; i < layers_.size(); ++i)
      for (auto& b : layers_[i]->buffers()) all.push_back({std::to_string(i) + "." + b.name, b.value});
    return all;
  }
  void reset_parameters(Init scheme, Rng& rng) override {
    for (auto& l : layers_) l->reset_parameters(scheme, rng);
  }
  void train(bool on = true) override {
    this->training_ = on;
    for (auto& l : layers_) l->train(on);
  }
  void set_frozen(bool frozen) override {
    this->frozen_ = frozen;
    for (auto& l : layers_) l->set_frozen(frozen);
  }
  /// Only the first layer's input is the network's input; the others' input gradients are always needed.
  void set_input_grad(bool on) override {
    this->input_grad_ = on;
    if (!layers_.empty()) layers_.front()->set_input_grad(on);
  }
  void set_labels(const std::vector<int>* labels) override {
    for (auto& l : layers_) l->set_labels(labels);
  }
  /// The random states of the layers that have one, joined by '\n' per layer (empty lines for the others).
  std::string rng_state() const override {
    std::string s;
    for (const auto& l : layers_) s += l->rng_state() + '\n';
    return s;
  }
  void set_rng_state(const std::string& state) override {
    std::size_t pos = 0;
    for (auto& l : layers_) {
      const std::size_t end = state.find('\n', pos);
      if (end == std::string::npos) throw io_error("Sequential::set_rng_state(): state has fewer entries than the " + std::to_string(layers_.size()) + " layers");
      const std::string part = state.substr(pos, end - pos);
      if (!part.empty()) l->set_rng_state(part);
      pos = end + 1;
    }
  }

 private:
  std::vector<std::unique_ptr<Layer<Scalar>>> layers_;
};

}  // namespace ganpp
