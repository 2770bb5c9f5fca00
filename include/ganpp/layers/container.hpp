// SPDX-License-Identifier: MIT
/// @file
/// Container: a layer that owns named child layers and forwards every walk over them (modes, parameters, buffers,
/// gradients, labels, random state), written once here for Sequential, SpectralNorm, Residual and SkipConcat.
#pragma once

#include "layer.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ganpp {

/// Base class of layers made of layers, as PyTorch's Module: a subclass registers its children once, with a name,
/// and this base forwards train/eval, set_frozen, set_input_grad, parameters(), buffers(), reset_parameters(),
/// zero_grad(), set_labels() and the random state to them. The subclass writes only forward(), backward(),
/// output_shape() and name(), plus its own parameters and buffers if it has any.
///
/// Parameters and buffers are the container's own ones first, then each child's in registration order, named
/// "<child name>.<name>"; a child registered with an empty name is transparent (its names are used as they are).
/// @tparam Scalar float or double.
template <typename Scalar = float>
class Container : public Layer<Scalar> {
 public:
  /// Moves the children; they stay at the same addresses, so references to them remain valid. Not copyable.
  Container(Container&&) noexcept = default;
  /// Move assignment: takes the other container's children, destroying this one's.
  Container& operator=(Container&&) noexcept = default;

  /// Number of registered children.
  std::size_t num_children() const { return children_.size(); }
  /// The i-th registered child; i must be below num_children().
  Layer<Scalar>& child(std::size_t i) { return *children_[i]; }
  /// The i-th registered child, read-only; i must be below num_children() (not checked).
  const Layer<Scalar>& child(std::size_t i) const { return *children_[i]; }
  /// The name the i-th child was registered under.
  const std::string& child_name(std::size_t i) const { return names_[i]; }

  /// The container's own parameters, then each child's (except hidden ones) named "<child name>.<name>".
  std::vector<Parameter<Scalar>> parameters() override {
    std::vector<Parameter<Scalar>> all = own_parameters();
    for (std::size_t i = 0; i < children_.size(); ++i)
      for (auto& p : children_[i]->parameters())
        if (!is_hidden(p.value)) all.push_back({prefixed(i, p.name), p.value, p.grad, p.lr_scale});
    return all;
  }
  /// The container's own buffers, then each child's, named "<child name>.<name>".
  std::vector<Buffer<Scalar>> buffers() override {
    std::vector<Buffer<Scalar>> all = own_buffers();
    for (std::size_t i = 0; i < children_.size(); ++i)
      for (auto& b : children_[i]->buffers()) all.push_back({prefixed(i, b.name), b.value});
    return all;
  }
  /// Re-initialises every child in registration order (one generator, drawn from in that order).
  void reset_parameters(Init scheme, Rng& rng) override {
    for (auto& c : children_) c->reset_parameters(scheme, rng);
  }
  /// Zeroes the container's own gradients, then each child's.
  void zero_grad() override {
    for (auto& p : own_parameters()) p.grad->set_zero();
    for (auto& c : children_) c->zero_grad();
  }
  /// Sets train (on) or eval mode on the container and every child.
  void train(bool on = true) override {
    this->training_ = on;
    for (auto& c : children_) c->train(on);
  }
  /// Freezes or unfreezes the container and every child.
  void set_frozen(bool frozen) override {
    this->frozen_ = frozen;
    for (auto& c : children_) c->set_frozen(frozen);
  }
  /// Passes the flag to each child as child_input_grad() decides (by default: every child gets it).
  void set_input_grad(bool on) override {
    this->input_grad_ = on;
    for (std::size_t i = 0; i < children_.size(); ++i) children_[i]->set_input_grad(child_input_grad(i, on));
  }
  /// Passes the labels to every child; the pointer must stay valid until the forward() that uses it.
  void set_labels(const std::vector<int>* labels) override {
    for (auto& c : children_) c->set_labels(labels);
  }
  /// The children's random states, one line per child (empty for a child without one). A child's own '\n' and '\\'
  /// are escaped ("\\n", "\\\\"), so containers nest; a state holding neither is stored as it is.
  std::string rng_state() const override {
    std::string s;
    for (const auto& c : children_) s += escape(c->rng_state()) + '\n';
    return s;
  }
  /// Restores a state written by rng_state(); children whose line is empty are left as they are.
  /// @throws io_error when the state has fewer lines than there are children.
  void set_rng_state(const std::string& state) override {
    std::size_t pos = 0;
    for (auto& c : children_) {
      const std::size_t end = state.find('\n', pos);
      if (end == std::string::npos)
        throw io_error(std::string(kind_) + "::set_rng_state(): state has fewer entries than the " + std::to_string(children_.size()) + " layers");
      const std::string part = unescape(state.substr(pos, end - pos));
      if (!part.empty()) c->set_rng_state(part);
      pos = end + 1;
    }
  }

 protected:
  /// @param kind the class name that starts this base's error messages ("Sequential").
  explicit Container(const char* kind) : kind_(kind) {}

  /// Takes ownership of a child, gives it this container's train/frozen/input-grad state, and returns it.
  /// @throws argument_error for a null child.
  Layer<Scalar>& register_child(std::string name, std::unique_ptr<Layer<Scalar>> layer) {
    if (!layer) throw argument_error(std::string(kind_) + "::register_child(): null layer for child \"" + name + "\"");
    layer->train(this->training_);
    layer->set_frozen(this->frozen_);
    layer->set_input_grad(child_input_grad(children_.size(), this->input_grad_));
    children_.push_back(std::move(layer));
    names_.push_back(std::move(name));
    return *children_.back();
  }
  /// Leaves a child's parameter out of parameters(): SpectralNorm replaces its inner layer's weight by its own.
  void hide_parameter(const Tensor<Scalar>* value) { hidden_.push_back(value); }

  /// The container's own parameters and buffers, listed before its children's.
  virtual std::vector<Parameter<Scalar>> own_parameters() { return {}; }
  /// @copydoc own_parameters()
  virtual std::vector<Buffer<Scalar>> own_buffers() { return {}; }
  /// Whether child i must return its input gradient when this container's is `on`. By default the child's input is
  /// the container's input, so it needs one exactly when the container does.
  virtual bool child_input_grad(std::size_t /*i*/, bool on) const { return on; }

 private:
  std::string prefixed(std::size_t i, const std::string& name) const { return names_[i].empty() ? name : names_[i] + "." + name; }
  bool is_hidden(const Tensor<Scalar>* value) const { return std::find(hidden_.begin(), hidden_.end(), value) != hidden_.end(); }
  static std::string escape(const std::string& s) {
    if (s.find_first_of("\n\\") == std::string::npos) return s;
    std::string out;
    for (char ch : s) {
      if (ch == '\n')
        out += "\\n";
      else if (ch == '\\')
        out += "\\\\";
      else
        out += ch;
    }
    return out;
  }
  static std::string unescape(const std::string& s) {
    if (s.find('\\') == std::string::npos) return s;
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) {
        out += s[i + 1] == 'n' ? '\n' : s[i + 1];
        ++i;
      } else {
        out += s[i];
      }
    }
    return out;
  }

  const char* kind_;
  std::vector<std::unique_ptr<Layer<Scalar>>> children_;
  std::vector<std::string> names_;
  std::vector<const Tensor<Scalar>*> hidden_;
};

}  // namespace ganpp
