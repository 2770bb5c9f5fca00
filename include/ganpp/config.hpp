// SPDX-License-Identifier: MIT
/// @file
/// Version, internal assertions and the thread-count switch shared by every ganpp header.
#pragma once

#include <Eigen/Core>

#include <stdexcept>
#include <string>

#ifdef _OPENMP
#include <omp.h>
#endif

/// Major version of ganpp, for `#if` checks against the headers in use.
#define GANPP_VERSION_MAJOR 0
/// Minor version of ganpp.
#define GANPP_VERSION_MINOR 1
/// Patch version of ganpp.
#define GANPP_VERSION_PATCH 0

/// Internal invariant check (not for caller mistakes, which throw ganpp::error). Override before including.
#ifndef GANPP_ASSERT
#ifdef NDEBUG
#define GANPP_ASSERT(cond) ((void)0)
#else
#define GANPP_ASSERT(cond) \
  ((cond) ? (void)0 : throw std::logic_error(std::string("ganpp internal check failed: ") + #cond))
#endif
#endif

/// ganpp's public API: tensors, layers, models, losses, optimizers, training, data and I/O. Names in ganpp::detail
/// are internal and may change without notice.
namespace ganpp {

/// Signed integer type of sizes, dimensions and indices (Eigen::Index, a std::ptrdiff_t).
using Index = Eigen::Index;

/// Sets the threads used by Eigen's products and by ganpp's own OpenMP loops. Results are bit-for-bit
/// reproducible for a fixed seed and a fixed thread count.
inline void set_num_threads(int threads) {
  if (threads < 1) throw std::invalid_argument("ganpp::set_num_threads(): threads must be >= 1, got " + std::to_string(threads));
#ifdef _OPENMP
  omp_set_num_threads(threads);
#endif
  Eigen::setNbThreads(threads);
}

/// Threads ganpp will use (1 when built without OpenMP).
inline int num_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

}  // namespace ganpp
