// SPDX-License-Identifier: MIT
// GradientSync: the hook through which GanTrainer takes part in data-parallel training (see distributed.hpp).
#pragma once

#include "optim/optimizer.hpp"

namespace ganpp {

/// What GanTrainer asks of a data-parallel runtime. The trainer is one of `world_size()` replicas, each given its
/// shard `rank()` of every global batch (equal shards). With a GradientSync set, the trainer draws each step's
/// latents and instance noise for the whole global batch from its generator, which every replica holds in the same
/// state, and keeps its shard's slice: a sample gets the same noise whatever the number of replicas. Between each
/// backward pass and the optimizer step it calls average(), which must leave every replica with the mean over the
/// replicas of the gradients and of the step's statistics (losses, so that a non-finite loss anywhere is seen
/// everywhere). distributed.hpp implements it over MPI; this header needs no MPI.
template <typename Scalar>
class GradientSync {
 public:
  virtual ~GradientSync() = default;
  /// This replica's shard index, in [0, world_size()).
  virtual int rank() const = 0;
  /// The number of replicas (and shards).
  virtual int world_size() const = 0;
  /// Replaces the gradients of `opt`'s parameters and stats[0, n) by their means over the replicas.
  /// @param opt the optimizer about to step; its parameters' gradients are averaged.
  /// @param stats the step's statistics (losses first), averaged too.
  /// @param n how many statistics.
  virtual void average(Optimizer<Scalar>& opt, double* stats, int n) = 0;
};

}  // namespace ganpp
