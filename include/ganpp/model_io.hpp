// SPDX-License-Identifier: MIT
/// @file
/// Storing models (parameters, buffers, layer random state) and optimizers in a Checkpoint, and restoring them.
#pragma once

#include "checkpoint.hpp"
#include "ema.hpp"
#include "error.hpp"
#include "models.hpp"
#include "optim/optimizer.hpp"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace ganpp {

/// Stores a model's parameters, buffers and layer random state under "prefix.". Refuses non-finite parameters and
/// buffers, so a diverged model never overwrites a good checkpoint.
template <typename Scalar>
void save_model(Checkpoint& c, const std::string& prefix, Model<Scalar>& m) {
  // Everything is checked before anything is stored: a refused model leaves c as it was, not half overwritten.
  for (auto& p : m.parameters())
    if (!p.value->all_finite()) throw divergence_error("save_model(): " + prefix + "." + p.name + " is not finite; not saving it");
  for (auto& b : m.buffers())
    if (!b.value->all_finite()) throw divergence_error("save_model(): " + prefix + "." + b.name + " is not finite; not saving it");
  for (auto& p : m.parameters()) c.put(prefix + "." + p.name, *p.value);
  for (auto& b : m.buffers()) c.put(prefix + "." + b.name, *b.value);
  c.put_text(prefix + ".rng", m.net().rng_state());
}

/// Restores what save_model() stored; every tensor must exist with this model's shapes and scalar type, and every
/// parameter must be finite. Everything is checked before anything is changed: on error the model is unchanged.
template <typename Scalar>
void load_model(const Checkpoint& c, const std::string& prefix, Model<Scalar>& m) {
  std::vector<std::pair<Tensor<Scalar>*, Tensor<Scalar>>> staged;
  for (auto& p : m.parameters()) {
    staged.emplace_back(p.value, Tensor<Scalar>(p.value->shape()));
    c.get(prefix + "." + p.name, staged.back().second);
    if (!staged.back().second.all_finite())
      throw io_error("load_model(): " + prefix + "." + p.name + " holds non-finite values: expected finite parameters");
  }
  for (auto& b : m.buffers()) {
    staged.emplace_back(b.value, Tensor<Scalar>(b.value->shape()));
    c.get(prefix + "." + b.name, staged.back().second);
  }
  const std::string old_rng = m.net().rng_state();
  const std::string rng = c.text(prefix + ".rng");
  try {
    m.net().set_rng_state(rng);
  } catch (const error& e) {
    m.net().set_rng_state(old_rng);  // a Sequential may have restored some layers before the failing one
    throw io_error("load_model(): " + prefix + ".rng refused: " + e.what());
  } catch (...) {
    m.net().set_rng_state(old_rng);
    throw;
  }
  for (auto& [target, value] : staged) target->assign(value);
}

/// Stores an optimizer's kind, step count and state tensors under "prefix.".
template <typename Scalar>
void save_optimizer(Checkpoint& c, const std::string& prefix, const Optimizer<Scalar>& opt) {
  const OptimizerState<Scalar> s = opt.state();
  c.put_text(prefix + ".kind", s.kind);
  c.put_text(prefix + ".step", std::to_string(s.step));
  c.put_text(prefix + ".tensors", std::to_string(s.tensors.size()));
  for (const auto& [name, t] : s.tensors) c.put(prefix + "." + name, t);
}

/// Restores what save_optimizer() stored into an optimizer of the same kind over the same parameters.
/// @throws io_error naming the entry for another kind, a malformed or refused step, or missing or mismatched tensors.
template <typename Scalar>
void load_optimizer(const Checkpoint& c, const std::string& prefix, Optimizer<Scalar>& opt) {
  OptimizerState<Scalar> s = opt.state();  // names and shapes to expect
  const std::string kind = c.text(prefix + ".kind");
  if (kind != s.kind) throw io_error("load_optimizer(): " + prefix + " was saved by a " + kind + " optimizer, not " + s.kind);
  const std::string step = c.text(prefix + ".step");
  try {
    std::size_t used = 0;
    s.step = std::stoll(step, &used);
    if (used != step.size()) throw std::invalid_argument(step);
  } catch (const std::exception&) {
    throw io_error("load_optimizer(): " + prefix + ".step is not a number: " + step);
  }
  if (c.text(prefix + ".tensors") != std::to_string(s.tensors.size()))
    throw io_error("load_optimizer(): " + prefix + " holds " + c.text(prefix + ".tensors") + " state tensors, this optimizer has " + std::to_string(s.tensors.size()));
  for (auto& [name, t] : s.tensors) c.get(prefix + "." + name, t);
  try {
    opt.load_state(s);
  } catch (const error& e) {
    throw io_error("load_optimizer(): " + prefix + " refused: " + e.what());
  }
}

/// Stores an exponential moving average (its averaged values and update count) under "prefix.": one entry per
/// averaged parameter, "prefix.<parameter name>", and "prefix.updates".
/// @throws divergence_error if an averaged value is not finite (c is then unchanged).
template <typename Scalar>
void save_ema(Checkpoint& c, const std::string& prefix, const ExponentialMovingAverage<Scalar>& ema) {
  const auto& params = ema.parameters();
  for (std::size_t i = 0; i < params.size(); ++i)
    if (!ema.shadow()[i].all_finite()) throw divergence_error("save_ema(): " + prefix + "." + params[i].name + " is not finite; not saving it");
  for (std::size_t i = 0; i < params.size(); ++i) c.put(prefix + "." + params[i].name, ema.shadow()[i]);
  c.put_text(prefix + ".updates", std::to_string(ema.updates()));
}

/// Restores what save_ema() stored into an average over the same parameters; everything is read and checked first.
/// @throws io_error naming the entry that is missing, of another shape, or not a count.
template <typename Scalar>
void load_ema(const Checkpoint& c, const std::string& prefix, ExponentialMovingAverage<Scalar>& ema) {
  std::vector<Tensor<Scalar>> shadow;
  for (const auto& p : ema.parameters()) {
    shadow.emplace_back(p.value->shape());
    c.get(prefix + "." + p.name, shadow.back());
    if (!shadow.back().all_finite()) throw io_error("load_ema(): " + prefix + "." + p.name + " holds non-finite values");
  }
  const std::string t = c.text(prefix + ".updates");
  if (t.empty() || t.size() > 18 || t.find_first_not_of("0123456789") != std::string::npos)
    throw io_error("load_ema(): " + prefix + ".updates is '" + t.substr(0, 30) + "': expected a count");
  ema.restore(shadow, std::stoll(t));
}

}  // namespace ganpp
