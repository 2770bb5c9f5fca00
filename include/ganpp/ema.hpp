// SPDX-License-Identifier: MIT
/// @file
/// ExponentialMovingAverage: a shadow copy of a model's weights that follows them slowly, swapped in for sampling.
#pragma once

#include "layers/batch_norm.hpp"
#include "layers/container.hpp"
#include "layers/layer.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace ganpp {

/// An exponential moving average of parameters (Polyak averaging in time), used for the generator: sampling from
/// the averaged weights gives visibly better and more stable samples than the last iterate (Yazici et al. 2019,
/// "The unusual effectiveness of averaging in GAN training"; Karras et al. 2018 use it for ProGAN).
///
/// update() moves each shadow tensor towards the live one: shadow = d * shadow + (1 - d) * value, with
/// d = decay, or with warm-up min(decay, (1 + t) / (10 + t)) after t updates, so that an early average does not
/// remember the random initialisation. swap() exchanges the shadow and the live values in place (no allocation):
/// swap, sample, swap back. Buffers (BatchNorm's running statistics) are not averaged.
/// GanTrainer::set_ema() makes the trainer call update() after every generator step.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class ExponentialMovingAverage {
 public:
  /// @param params the parameters to follow (Model::parameters(), Layer::parameters()); the shadow starts as a copy.
  /// @param decay d in shadow = d * shadow + (1 - d) * value, in [0, 1); 0.999 by default.
  /// @param warmup use min(decay, (1 + t) / (10 + t)) after t updates instead of decay alone.
  /// @throws argument_error for a decay outside [0, 1) or no parameters.
  explicit ExponentialMovingAverage(std::vector<Parameter<Scalar>> params, double decay = 0.999, bool warmup = true)
      : params_(std::move(params)), decay_(decay), warmup_(warmup) {
    if (!(decay >= 0 && decay < 1)) throw argument_error("ExponentialMovingAverage::ExponentialMovingAverage(): decay must be in [0, 1), got " + std::to_string(decay));
    if (params_.empty()) throw argument_error("ExponentialMovingAverage::ExponentialMovingAverage(): no parameters to average");
    shadow_.resize(params_.size());
    reset();
  }

  /// Moves the shadow one step towards the live parameters.
  /// @throws argument_error while swapped (the live tensors then hold the shadow).
  void update() {
    if (swapped_) throw argument_error("ExponentialMovingAverage::update(): swap the live weights back in first");
    ++updates_;
    const Scalar d = static_cast<Scalar>(current_decay());
    for (std::size_t i = 0; i < params_.size(); ++i) shadow_[i].array() = d * shadow_[i].array() + (Scalar(1) - d) * params_[i].value->array();
  }
  /// Exchanges the shadow and the live values: after one call the model computes with the average; after a second
  /// it is back to its own weights.
  void swap() {
    for (std::size_t i = 0; i < params_.size(); ++i) std::swap_ranges(shadow_[i].begin(), shadow_[i].end(), params_[i].value->begin());
    swapped_ = !swapped_;
  }
  /// Restarts the average at the current live values.
  void reset() {
    if (swapped_) swap();
    for (std::size_t i = 0; i < params_.size(); ++i) shadow_[i].assign(*params_[i].value);
    updates_ = 0;
  }

  /// Restores a saved average (shadow() and updates()), for an exact resume; everything is checked first.
  /// @param shadow the averaged values, one per parameter, in the constructor's order and shapes.
  /// @param updates the update count the warm-up continues from; >= 0.
  /// @throws argument_error while swapped, or for a count or shapes that do not fit; the average is then unchanged.
  void restore(const std::vector<Tensor<Scalar>>& shadow, std::int64_t updates) {
    if (swapped_ || updates < 0 || shadow.size() != params_.size())
      throw argument_error("ExponentialMovingAverage::restore(): expected " + std::to_string(params_.size()) + " tensors and a count >= 0 while not swapped, got " +
                           std::to_string(shadow.size()) + " and " + std::to_string(updates));
    for (std::size_t i = 0; i < shadow.size(); ++i)
      if (shadow[i].shape() != params_[i].value->shape())
        throw argument_error("ExponentialMovingAverage::restore(): " + params_[i].name + " has shape " + params_[i].value->shape().str() + ", got " +
                             shadow[i].shape().str());
    for (std::size_t i = 0; i < shadow.size(); ++i) shadow_[i].assign(shadow[i]);
    updates_ = updates;
  }

  /// The decay the next update() would use.
  double next_decay() const {
    const double t = static_cast<double>(updates_ + 1);
    return warmup_ ? std::min(decay_, (1 + t) / (10 + t)) : decay_;
  }
  /// The configured decay (next_decay() gives the one the warm-up actually applies).
  double decay() const { return decay_; }
  /// Number of update() calls since construction or the last reset().
  std::int64_t updates() const { return updates_; }
  /// True while the live tensors hold the average (after an odd number of swap() calls).
  bool swapped() const { return swapped_; }
  /// The parameters followed, in the constructor's order.
  const std::vector<Parameter<Scalar>>& parameters() const { return params_; }
  /// The averaged values, in the order of the parameters given to the constructor (while not swapped).
  const std::vector<Tensor<Scalar>>& shadow() const { return shadow_; }

 private:
  double current_decay() const {
    const double t = static_cast<double>(updates_);
    return warmup_ ? std::min(decay_, (1 + t) / (10 + t)) : decay_;
  }

  std::vector<Parameter<Scalar>> params_;
  std::vector<Tensor<Scalar>> shadow_;
  double decay_;
  bool warmup_;
  std::int64_t updates_ = 0;
  bool swapped_ = false;
};

/// While alive, a model computes with an average's weights instead of its own: the constructor swaps the averaged
/// values in and the destructor swaps the live ones back. A model with BatchNorm also needs running statistics that
/// belong to the averaged weights (the live ones were gathered under other weights): `calibrate`, when given, runs
/// after the swap with the model in training mode and should forward a few dozen batches, so the running statistics
/// follow the averaged weights (BigGAN's "standing statistics", Brock et al. 2019). The live buffers are copied first
/// and put back on destruction, so training continues exactly as if nothing had happened. The calibration is local to
/// this process: synchronised BatchNorm layers (set_statistics_reducer(), under DataParallel) are detached from
/// their reducer while it runs, so one rank can draw alone without waiting for the others.
/// @tparam Model anything with net(), buffers(), train() and eval() (Generator, Discriminator).
template <typename Model, typename Scalar = float>
class AveragedWeights {
 public:
  /// @param ema the average (over model's parameters); not swapped.
  /// @param model the model to put the average into; left in evaluation mode.
  /// @param calibrate forward passes that re-estimate the running statistics (nothing when empty).
  /// @throws argument_error when the average is already swapped in.
  AveragedWeights(ExponentialMovingAverage<Scalar>& ema, Model& model, const std::function<void()>& calibrate = {}) : ema_(ema), model_(model) {
    if (ema.swapped()) throw argument_error("AveragedWeights::AveragedWeights(): the average is already swapped in");
    for (auto& b : model_.buffers()) saved_.push_back(*b.value);
    ema_.swap();
    if (calibrate) {
      std::vector<std::pair<BatchNorm<Scalar>*, StatisticsReducer*>> detached;
      detach_reducers(model_.net(), detached);
      model_.train();
      calibrate();
      for (auto& [layer, reducer] : detached) layer->set_statistics_reducer(reducer);
    }
    model_.eval();
  }
  ~AveragedWeights() {
    ema_.swap();
    std::size_t i = 0;
    for (auto& b : model_.buffers()) b.value->assign(saved_[i++]);
    model_.train();
  }
  AveragedWeights(const AveragedWeights&) = delete;
  AveragedWeights& operator=(const AveragedWeights&) = delete;

 private:
  static void detach_reducers(Layer<Scalar>& layer, std::vector<std::pair<BatchNorm<Scalar>*, StatisticsReducer*>>& detached) {
    if (auto* b = dynamic_cast<BatchNorm<Scalar>*>(&layer); b != nullptr && b->statistics_reducer() != nullptr) {
      detached.emplace_back(b, b->statistics_reducer());
      b->set_statistics_reducer(nullptr);
    }
    if (auto* c = dynamic_cast<Container<Scalar>*>(&layer))
      for (std::size_t i = 0; i < c->num_children(); ++i) detach_reducers(c->child(i), detached);
  }

  ExponentialMovingAverage<Scalar>& ema_;
  Model& model_;
  std::vector<Tensor<Scalar>> saved_;
};

}  // namespace ganpp
