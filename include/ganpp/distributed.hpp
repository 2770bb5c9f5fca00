// SPDX-License-Identifier: MIT
// Data-parallel GAN training over MPI: a communicator, DataParallel (sharded batches, gradients averaged by in-place
// allreduces after each backward pass, synchronised or local BatchNorm) and abort-on-failure. Opt-in: needs MPI (CMake option GANPP_WITH_MPI).
#pragma once

#include "gan_trainer.hpp"
#include "gradient_sync.hpp"
#include "layers/batch_norm.hpp"
#include "layers/container.hpp"
#include "layers/sequential.hpp"
#include "training_state.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace ganpp {

/// Initialises MPI for the life of the object (MPI_Init_thread asking for MPI_THREAD_FUNNELED: OpenMP threads
/// compute, only the main thread communicates) and finalises it at the end. One per program, in main().
class MpiSession {
 public:
  /// Initialises MPI with main()'s arguments (mpirun's own are removed from them).
  /// @throws argument_error if MPI is already initialised.
  MpiSession(int& argc, char**& argv) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) throw argument_error("MpiSession::MpiSession(): MPI is already initialised");
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  }
  ~MpiSession() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

/// A view of an MPI communicator (not owned): rank, size, and the few collectives data-parallel training uses.
/// MPI's default error handler stays in place, so a failed collective ends the job rather than returning.
class Communicator {
 public:
  /// Wraps `comm`, which must outlive this view.
  explicit Communicator(MPI_Comm comm = MPI_COMM_WORLD) : comm_(comm) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  /// All the processes of the job (MPI_COMM_WORLD).
  static Communicator world() { return Communicator(MPI_COMM_WORLD); }
  /// A communicator of this process alone (size 1), e.g. to resume a multi-process run in one process.
  static Communicator self() { return Communicator(MPI_COMM_SELF); }

  /// This process's rank, in [0, size()).
  int rank() const { return rank_; }
  /// The number of ranks.
  int size() const { return size_; }
  /// Whether this is rank 0, the one that prints and writes.
  bool is_root() const { return rank_ == 0; }
  /// The MPI communicator, for calls of your own.
  MPI_Comm handle() const { return comm_; }

  /// Sums data[0, n) over all ranks, in place. @throws argument_error for n above MPI's int count limit.
  template <typename T>
  void allreduce_sum(T* data, Index n) const {
    if (n > 0 && size_ > 1) MPI_Allreduce(MPI_IN_PLACE, data, count(n, "allreduce_sum"), type<T>(), MPI_SUM, comm_);
  }
  /// Overwrites data[0, n) on every rank with rank `root`'s. @throws argument_error for n above MPI's int count limit.
  template <typename T>
  void broadcast(T* data, Index n, int root = 0) const {
    if (n > 0 && size_ > 1) MPI_Bcast(data, count(n, "broadcast"), type<T>(), root, comm_);
  }
  /// Whether `value` is the same on every rank.
  bool all_equal(std::uint64_t value) const {
    std::uint64_t lo = value, hi = value;
    if (size_ > 1) {
      MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_UINT64_T, MPI_MIN, comm_);
      MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_UINT64_T, MPI_MAX, comm_);
    }
    return lo == hi;
  }
  /// Waits until every rank has called it.
  void barrier() const { MPI_Barrier(comm_); }

  /// Ends the whole job: prints "ganpp: rank R of N: <reason>; aborting the job" to stderr and calls MPI_Abort,
  /// which makes mpirun kill every rank. Never returns.
  [[noreturn]] void abort(const std::string& reason, int code = 1) const {
    std::fprintf(stderr, "ganpp: rank %d of %d: %s; aborting the job\n", rank_, size_, reason.c_str());
    std::fflush(stderr);
    MPI_Abort(comm_, code);
    std::_Exit(code);  // MPI_Abort does not return; this keeps [[noreturn]] honest should it ever
  }

  /// The MPI datatype of int, float, double or std::uint64_t.
  template <typename T>
  static MPI_Datatype type() {
    if constexpr (std::is_same_v<T, int>) return MPI_INT;
    else if constexpr (std::is_same_v<T, float>) return MPI_FLOAT;
    else if constexpr (std::is_same_v<T, double>) return MPI_DOUBLE;
    else if constexpr (std::is_same_v<T, std::uint64_t>) return MPI_UINT64_T;
    else static_assert(std::is_same_v<T, float>, "Communicator: unsupported element type");
  }

 private:
  static int count(Index n, const char* method) {
    if (n > static_cast<Index>(std::numeric_limits<int>::max()))
      throw argument_error(std::string("Communicator::") + method + "(): " + std::to_string(n) + " elements exceed MPI's limit of 2^31 - 1 per call");
    return static_cast<int>(n);
  }

  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
};

/// Runs f() and returns its result; an exception escaping f on this rank ends the whole job through
/// Communicator::abort() with the rank and the exception's message, so no other rank waits forever in a collective.
template <typename F>
int run_or_abort(const Communicator& comm, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    comm.abort(e.what());
  } catch (...) {
    comm.abort("unknown exception");
  }
}

/// How BatchNorm layers behave under DataParallel.
enum class BatchNormSync {
  /// Statistics of each rank's own shard (PyTorch DDP's default). The running statistics are averaged over the
  /// ranks with every gradient average, so all ranks keep the same ones.
  local,
  /// SyncBatchNorm: statistics of the global batch (per-channel sums allreduced in forward, and the input
  /// gradient's two per-channel sums in backward). Costs three small allreduces per BatchNorm layer and pass;
  /// computes what one process with the global batch computes.
  synchronized,
};

/// A 64-bit FNV-1a hash of a model's parameter bytes: equal on two ranks exactly when their parameters are
/// bit-identical (barring a collision).
template <typename Scalar>
std::uint64_t parameter_hash(Model<Scalar>& m) {
  std::uint64_t h = 1469598103934665603ull;
  for (auto& p : m.parameters()) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(p.value->data());
    const std::size_t n = static_cast<std::size_t>(p.value->size()) * sizeof(Scalar);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ bytes[i]) * 1099511628211ull;
  }
  return h;
}

/// Data-parallel training of one GAN over the ranks of a communicator: each rank holds a full replica of both
/// models and their optimizers and trains on its shard of every global batch.
///
/// Construction broadcasts both models' parameters and buffers from rank 0 and attaches itself to the trainer.
/// step(global_batch) takes this rank's slice of rows (shard r of W: rows [r B/W, (r+1) B/W)) and runs
/// GanTrainer::step() on it; the trainer draws latents and instance noise for the whole global batch and keeps the
/// same slice. After each backward pass, the gradients of the model being updated are summed over the ranks and
/// divided by W: packed into one buffer together with the step's statistics (and, with local BatchNorm, every
/// running statistic) and summed by one in-place MPI_Allreduce (optionally, the large tensors by in-place allreduces
/// of their own: set_in_place_threshold()); every rank then takes the same optimizer step and holds the same
/// parameters.
/// The mean of W shard-mean losses is the global batch's mean loss, so with equal shards this is the gradient one
/// process computes on the global batch. The pack buffer is allocated once, here.
///
/// Every rank must construct it and call step() the same number of times; all ranks feed the same global batch
/// (e.g. a BatchLoader with the same seed on every rank), which also makes the data order independent of W: a
/// checkpoint written on W ranks resumes on any other number.
template <typename Scalar = float>
class DataParallel : public GradientSync<Scalar>, private StatisticsReducer {
 public:
  /// Broadcasts rank 0's models, allocates the pack buffer, attaches to `state.trainer` and, with
  /// BatchNormSync::synchronized, to every BatchNorm of both models (until destroyed). Every rank must call it.
  /// @param comm the ranks that train together.
  /// @param state the models, optimizers and trainer of this rank's replica; they must outlive this object.
  /// @param batch_norm local or synchronised BatchNorm statistics.
  /// @throws argument_error if the ranks' models have different sizes.
  DataParallel(const Communicator& comm, TrainingState<Scalar> state, BatchNormSync batch_norm = BatchNormSync::local)
      : comm_(comm), state_(state), bn_(batch_norm) {
    broadcast_model(state_.generator);
    broadcast_model(state_.discriminator);
    collect_batch_norms(state_.generator.net());
    collect_batch_norms(state_.discriminator.net());
    for (BatchNorm<Scalar>* b : batch_norms_) b->set_statistics_reducer(bn_ == BatchNormSync::synchronized ? this : nullptr);
    if (bn_ == BatchNormSync::local) {
      for (auto& b : state_.generator.buffers()) buffers_.push_back(b.value);
      for (auto& b : state_.discriminator.buffers()) buffers_.push_back(b.value);
    }
    Index buffered = 0;
    for (Tensor<Scalar>* b : buffers_) buffered += b->size();
    const Index grads = std::max(gradient_size(state_.generator_optimizer), gradient_size(state_.discriminator_optimizer));
    pack_.resize(static_cast<std::size_t>(grads + buffered + 2 * kMaxStats));
    state_.trainer.set_gradient_sync(this);
  }
  ~DataParallel() override {
    state_.trainer.set_gradient_sync(nullptr);
    for (BatchNorm<Scalar>* b : batch_norms_)
      if (b->statistics_reducer() == this) b->set_statistics_reducer(nullptr);
  }
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  /// One training step on this rank's shard of `global` (and of `labels`, for conditional models).
  /// @throws argument_error if the global batch does not split into equal shards.
  StepStats step(const Tensor<Scalar>& global, const std::vector<int>* labels = nullptr) {
    const Index n = global.rank() >= 1 ? global.batch() : 0, w = comm_.size();
    if (n < w || n % w != 0)
      throw argument_error("DataParallel::step(): global batch of shape " + global.shape().str() + " does not split into " +
                           std::to_string(w) + " equal shards");
    if (labels != nullptr && static_cast<Index>(labels->size()) != n)
      throw argument_error("DataParallel::step(): " + std::to_string(labels->size()) + " labels for a global batch of " + std::to_string(n));
    if (w == 1) return state_.trainer.step(global, labels);
    const Index per = n / w, r = comm_.rank();
    Shape s = global.shape();
    s[0] = per;
    shard_.resize(s);
    const Index sample = global.size() / n;
    std::copy(global.data() + r * per * sample, global.data() + (r + 1) * per * sample, shard_.data());
    if (labels != nullptr) shard_labels_.assign(labels->begin() + r * per, labels->begin() + (r + 1) * per);
    return state_.trainer.step(shard_, labels != nullptr ? &shard_labels_ : nullptr);
  }

  /// This rank, which is also the shard it trains on.
  int rank() const override { return comm_.rank(); }
  /// The number of ranks (and shards).
  int world_size() const override { return comm_.size(); }
  /// The ranks that train together.
  const Communicator& communicator() const { return comm_; }
  /// How BatchNorm statistics are taken.
  BatchNormSync batch_norm_sync() const { return bn_; }

  /// Seconds this rank has spent in the gradient allreduces so far (waiting for slower ranks included).
  double allreduce_seconds() const { return allreduce_seconds_; }

  /// Whether every rank holds bit-identical parameters of both models (two collectives: for tests and checks).
  bool replicas_identical() const {
    return comm_.all_equal(parameter_hash(state_.generator) ^ (parameter_hash(state_.discriminator) * 31));
  }

  /// The default in-place threshold: above any tensor's size, so every gradient is packed and an update costs one
  /// allreduce. See set_in_place_threshold().
  static constexpr Index kDefaultInPlaceThreshold = std::numeric_limits<Index>::max();

  /// Sets the size from which a gradient tensor is allreduced where it lies (one in-place MPI_Allreduce each) instead
  /// of being copied into the pack buffer and back. The packed part (the smaller tensors, running statistics and the
  /// step's losses) always travels in one allreduce, so an update costs 1 + (number of tensors of at least
  /// `elements`) collectives. Packing costs a copy in and a copy out of every packed element; each collective is a
  /// point where every rank waits for the slowest, and costs its latency (microseconds over shared memory, tens over
  /// TCP). The default packs everything: on a loaded machine, 65,536 (the mlp's largest 5 of 14 tensors in place)
  /// made its steps slower, not faster (docs/distributed.md). Every rank must set the same.
  /// @param elements the threshold, at least 1.
  /// @throws argument_error for elements < 1.
  void set_in_place_threshold(Index elements) {
    if (elements < 1) throw argument_error("DataParallel::set_in_place_threshold(): threshold must be at least 1, got " + std::to_string(elements));
    in_place_threshold_ = elements;
  }
  /// The threshold set by set_in_place_threshold() (kDefaultInPlaceThreshold unless set).
  Index in_place_threshold() const { return in_place_threshold_; }

  /// GradientSync: sums every gradient of `opt` and the step's statistics over the ranks and divides by the world
  /// size. The gradients (but those of tensors of at least in_place_threshold() elements, allreduced in place), the
  /// running statistics (local BatchNorm) and the statistics are packed into one buffer and summed by one allreduce.
  /// Statistics travel as two Scalars each (the value rounded, then the rounding error), which keeps them to about
  /// double precision.
  void average(Optimizer<Scalar>& opt, double* stats, int n_stats) override {
    if (n_stats < 0 || n_stats > kMaxStats)
      throw argument_error("DataParallel::average(): " + std::to_string(n_stats) + " statistics, at most " + std::to_string(kMaxStats));
    Index packed = buffered_size() + Index{2} * n_stats;
    for (auto& p : opt.parameters())
      if (p.grad->size() < in_place_threshold_) packed += p.grad->size();
    if (packed > static_cast<Index>(pack_.size()))
      throw argument_error("DataParallel::average(): the optimizer's gradients do not fit the pack buffer: it is not one of the optimizers given at construction");
    Scalar* out = pack_.data();
    for (auto& p : opt.parameters())
      if (p.grad->size() < in_place_threshold_) out = std::copy(p.grad->data(), p.grad->data() + p.grad->size(), out);
    for (Tensor<Scalar>* b : buffers_) out = std::copy(b->data(), b->data() + b->size(), out);
    for (int i = 0; i < n_stats; ++i) {
      const Scalar hi = static_cast<Scalar>(stats[i]);
      *out++ = hi;
      *out++ = static_cast<Scalar>(stats[i] - static_cast<double>(hi));
    }
    const auto t0 = std::chrono::steady_clock::now();
    comm_.allreduce_sum(pack_.data(), packed);
    for (auto& p : opt.parameters())
      if (p.grad->size() >= in_place_threshold_) comm_.allreduce_sum(p.grad->data(), p.grad->size());
    allreduce_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const Scalar* in = pack_.data();
    for (auto& p : opt.parameters()) {
      if (p.grad->size() >= in_place_threshold_) {
        divide_by_size(p.grad->data(), p.grad->data(), p.grad->size());
      } else {
        divide_by_size(in, p.grad->data(), p.grad->size());
        in += p.grad->size();
      }
    }
    for (Tensor<Scalar>* b : buffers_) {
      divide_by_size(in, b->data(), b->size());
      in += b->size();
    }
    for (int i = 0; i < n_stats; ++i, in += 2)
      stats[i] = (static_cast<double>(in[0]) + static_cast<double>(in[1])) / static_cast<double>(comm_.size());
  }

 private:
  static constexpr Index kMaxStats = 8;

  // StatisticsReducer, for synchronised BatchNorm.
  void sum(double* values, Index n) override { comm_.allreduce_sum(values, n); }

  // to[i] = from[i] / W. For W a power of two, multiplying by 1/W gives the same bits (both are exact scalings) and
  // vectorises into multiplications, several times cheaper than divisions; otherwise it divides.
  void divide_by_size(const Scalar* from, Scalar* to, Index n) const {
    using Map = Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>>;
    using ConstMap = Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, 1>>;
    const int w = comm_.size();
    if ((w & (w - 1)) == 0)
      Map(to, n) = ConstMap(from, n) * (Scalar(1) / static_cast<Scalar>(w));
    else
      Map(to, n) = ConstMap(from, n) / static_cast<Scalar>(w);
  }
  static Index gradient_size(const Optimizer<Scalar>& opt) {
    Index n = 0;
    for (auto& p : opt.parameters()) n += p.grad->size();
    return n;
  }
  Index buffered_size() const {
    Index n = 0;
    for (Tensor<Scalar>* b : buffers_) n += b->size();
    return n;
  }
  // Rank 0's parameters and buffers everywhere; the element counts are compared first, so that ranks built with
  // different models fail with a message instead of corrupting memory.
  void broadcast_model(Model<Scalar>& m) {
    std::uint64_t count = 0;
    for (auto& p : m.parameters()) count += static_cast<std::uint64_t>(p.value->size());
    for (auto& b : m.buffers()) count += static_cast<std::uint64_t>(b.value->size());
    if (!comm_.all_equal(count))
      throw argument_error("DataParallel::DataParallel(): the ranks' models differ: rank " + std::to_string(comm_.rank()) + " has " +
                           std::to_string(count) + " parameter and buffer elements");
    for (auto& p : m.parameters()) comm_.broadcast(p.value->data(), p.value->size());
    for (auto& b : m.buffers()) comm_.broadcast(b.value->data(), b.value->size());
  }
  // Every BatchNorm in the network, inside nested containers (Sequential, Residual, SpectralNorm, ...) too.
  void collect_batch_norms(Layer<Scalar>& layer) {
    if (auto* b = dynamic_cast<BatchNorm<Scalar>*>(&layer)) batch_norms_.push_back(b);
    if (auto* c = dynamic_cast<Container<Scalar>*>(&layer))
      for (std::size_t i = 0; i < c->num_children(); ++i) collect_batch_norms(c->child(i));
  }

  Communicator comm_;
  TrainingState<Scalar> state_;
  BatchNormSync bn_;
  std::vector<BatchNorm<Scalar>*> batch_norms_;
  std::vector<Tensor<Scalar>*> buffers_;  // averaged with every update under local BatchNorm
  std::vector<Scalar> pack_;  // sized for the larger model with every tensor packed: any threshold fits
  Index in_place_threshold_ = kDefaultInPlaceThreshold;
  double allreduce_seconds_ = 0;
  Tensor<Scalar> shard_;
  std::vector<int> shard_labels_;
};

}  // namespace ganpp
