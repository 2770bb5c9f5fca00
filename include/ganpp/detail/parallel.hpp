// SPDX-License-Identifier: MIT
// parallel_for and parallel_ranges: loops split across OpenMP threads only when that pays (not public API).
#pragma once

#include "../config.hpp"

#include <algorithm>

namespace ganpp::detail {

/// Whether a loop may open a parallel region: more than one thread available, and not inside a region already.
inline bool can_parallelize() {
#ifdef _OPENMP
  return !omp_in_parallel() && omp_get_max_threads() > 1;
#else
  return false;
#endif
}

/// Calls f(i) for i in [0, n), statically split across threads when `worth_it`. Otherwise no parallel region is
/// opened at all: libgomp allocates a team even for a region whose `if` clause is false, which was a heap
/// allocation per call in the training step.
template <typename F>
void parallel_for(Index n, bool worth_it, F&& f) {
#ifdef _OPENMP
  if (worth_it && n > 1 && can_parallelize()) {
#pragma omp parallel for schedule(static)
    for (Index i = 0; i < n; ++i) f(i);
    return;
  }
#else
  (void)worth_it;
#endif
  for (Index i = 0; i < n; ++i) f(i);
}

/// Calls f(begin, end) over consecutive ranges covering [0, n): one range per thread when n is at least
/// `min_parallel` elements (a parallel region costs microseconds), else the whole range on this thread. Meant for
/// element-wise work, whose result does not depend on the split.
template <typename F>
void parallel_ranges(Index n, F&& f, Index min_parallel = Index{1} << 15) {
#ifdef _OPENMP
  const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  if (threads > 1 && n >= min_parallel) {
    const Index per = ((n + threads - 1) / threads + 15) / 16 * 16;  // whole 64-byte lines of floats per thread
#pragma omp parallel for schedule(static, 1) num_threads(threads)
    for (int t = 0; t < threads; ++t) {
      const Index begin = std::min(n, per * t), end = std::min(n, begin + per);
      if (begin < end) f(begin, end);
    }
    return;
  }
#else
  (void)min_parallel;
#endif
  if (n > 0) f(Index{0}, n);
}

}  // namespace ganpp::detail
