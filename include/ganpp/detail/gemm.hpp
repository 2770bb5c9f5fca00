// SPDX-License-Identifier: MIT
// Gemm: C = op(A) op(B) or C += op(A) op(B) on Eigen's packed kernels, split across threads by ganpp itself,
// with packing workspaces kept from call to call.
#pragma once

#include "../config.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <memory>
#include <vector>

// Eigen's packed kernel and its workspace type are internal API, used here as Eigen 3.4 declares them. With
// another Eigen (or -DGANPP_EIGEN_PACKED_KERNEL=0), Gemm falls back to Eigen's public product: same results up
// to rounding, without the kept workspaces, so Eigen allocates per product again.
#ifndef GANPP_EIGEN_PACKED_KERNEL
#if EIGEN_VERSION_AT_LEAST(3, 4, 0) && !EIGEN_VERSION_AT_LEAST(3, 4, 90)
#define GANPP_EIGEN_PACKED_KERNEL 1
#else
#define GANPP_EIGEN_PACKED_KERNEL 0
#endif
#endif

namespace ganpp::detail {

/// One operand of a product: a column-major matrix (rows x cols as stored, leading dimension `stride`), read as
/// it is or transposed.
template <typename Scalar>
struct GemmOperand {
  const Scalar* data;
  Index stored_rows, stored_cols, stride;
  bool transposed;
  Index rows() const { return transposed ? stored_cols : stored_rows; }
  Index cols() const { return transposed ? stored_rows : stored_cols; }
};

/// The operand `m` (a column-major Eigen map) as it is.
template <typename Map>
GemmOperand<typename Map::Scalar> as_is(const Map& m) {
  static_assert(!(Map::Flags & Eigen::RowMajorBit), "ganpp::detail::as_is(): column-major maps only");
  return {m.data(), m.rows(), m.cols(), m.outerStride(), false};
}

/// The operand `m` (a column-major Eigen map) read transposed.
template <typename Map>
GemmOperand<typename Map::Scalar> transposed(const Map& m) {
  GemmOperand<typename Map::Scalar> o = as_is(m);
  o.transposed = true;
  return o;
}

/// A matrix product site (a layer's forward or backward product) that keeps its packing workspaces.
///
/// Why not `c.noalias() = a * b`: Eigen allocates its packing buffers on the heap on every call for these sizes,
/// and its own threading splits a product so that threads wait on each other on the short, wide shapes of
/// batch-64 training (2 threads ran the MLP GAN only 1.2x faster than 1). Here each thread computes its own
/// band of C's rows or columns with Eigen's single-threaded packed kernel, nothing shared, workspaces reused;
/// the band split depends only on the shape and the thread count, so results stay bit-for-bit reproducible.
template <typename Scalar>
class Gemm {
 public:
  Gemm() = default;
  // A copy (of a layer, say) starts with no workspaces of its own.
  Gemm(const Gemm&) {}
  Gemm& operator=(const Gemm&) { return *this; }
  Gemm(Gemm&&) noexcept = default;
  Gemm& operator=(Gemm&&) noexcept = default;

  /// c (rows x cols, column-major, leading dimension = rows) = a * b, or += a * b when `accumulate`.
  template <typename CMap>
  void run(CMap c, const GemmOperand<Scalar>& a, const GemmOperand<Scalar>& b, bool accumulate) {
    GANPP_ASSERT(a.rows() == c.rows() && b.cols() == c.cols() && a.cols() == b.rows() && c.outerStride() == c.rows());
    run(c.data(), c.rows(), c.cols(), a, b, accumulate);
  }

  void run(Scalar* c, Index m, Index n, const GemmOperand<Scalar>& a, const GemmOperand<Scalar>& b, bool accumulate) {
    const Index k = a.cols();
    if (m == 0 || n == 0) return;
    if (k == 0) {
      if (!accumulate) std::fill(c, c + m * n, Scalar(0));
      return;
    }
    const int threads = threads_for(m, n, k);
    if (static_cast<int>(workspaces_.size()) < threads) workspaces_.resize(static_cast<std::size_t>(threads));
    // Split the longer side of C: the operand on the other side is packed by every thread, so it should be the
    // smaller one. Bands are whole SIMD vectors of rows (or register blocks of columns): finer than the kernel's
    // 48-row panels, but even bands matter more (with 48, 256 rows split 144 + 112 and one thread waited).
    const bool split_rows = m >= n;
    const Index total = split_rows ? m : n, align = split_rows ? 16 : 4;
    const Index band = std::max<Index>(align, (total + threads - 1) / threads + align - 1) / align * align;
    auto work = [&](int t) {
      const Index begin = band * t, end = std::min(total, begin + band);
      if (begin >= end) return;
      GemmOperand<Scalar> sa = a, sb = b;
      Scalar* sc = c;
      Index sm = m, sn = n;
      if (split_rows) {
        sa.data += a.transposed ? begin * a.stride : begin;
        sc += begin;
        sm = end - begin;
      } else {
        sb.data += b.transposed ? begin : begin * b.stride;
        sc += begin * m;
        sn = end - begin;
      }
      if (!accumulate)
        for (Index j = 0; j < sn; ++j) std::fill(sc + j * m, sc + j * m + sm, Scalar(0));
      kernel(sm, sn, k, sa, sb, sc, m, workspaces_[static_cast<std::size_t>(t)]);
    };
#ifdef _OPENMP
    const int used = static_cast<int>(std::min<Index>(threads, (total + band - 1) / band));
    if (used > 1) {
#pragma omp parallel for num_threads(used) schedule(static, 1)
      for (int t = 0; t < used; ++t) work(t);
      return;
    }
#endif
    work(0);
  }

 private:
#if GANPP_EIGEN_PACKED_KERNEL
  using Blocking = Eigen::internal::gemm_blocking_space<Eigen::ColMajor, Scalar, Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::Dynamic>;
  struct Workspace {
    std::array<Index, 3> shape{-1, -1, -1};
    std::unique_ptr<Blocking> blocking;
    Blocking& get(Index m, Index n, Index k) {
      if (!blocking || shape != std::array<Index, 3>{m, n, k}) {
        blocking = std::make_unique<Blocking>(m, n, k, 1, true);
        blocking->allocateAll();
        shape = {m, n, k};
      }
      return *blocking;
    }
  };
#else
  struct Workspace {};
#endif

  /// Threads worth using: one for small products (a parallel region costs microseconds), none inside a region.
  static int threads_for(Index m, Index n, Index k) {
#ifdef _OPENMP
    if (omp_in_parallel()) return 1;
    const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
    if (flops < 4e5) return 1;
    return std::max(1, omp_get_max_threads());
#else
    (void)m, (void)n, (void)k;
    return 1;
#endif
  }

  template <int LhsOrder, int RhsOrder>
  static void kernel_as(Index m, Index n, Index k, const GemmOperand<Scalar>& a, const GemmOperand<Scalar>& b, Scalar* c, Index ldc, Workspace& ws) {
#if GANPP_EIGEN_PACKED_KERNEL
    Eigen::internal::general_matrix_matrix_product<Index, Scalar, LhsOrder, false, Scalar, RhsOrder, false, Eigen::ColMajor, 1>::run(
        m, n, k, a.data, a.stride, b.data, b.stride, c, 1, ldc, Scalar(1), ws.get(m, n, k), nullptr);
#else
    (void)ws;
    using Stride = Eigen::OuterStride<>;
    using Lhs = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, LhsOrder>;
    using Rhs = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, RhsOrder>;
    Eigen::Map<Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>, 0, Stride> out(c, m, n, Stride(ldc));
    out.noalias() += Eigen::Map<const Lhs, 0, Stride>(a.data, m, k, Stride(a.stride)) * Eigen::Map<const Rhs, 0, Stride>(b.data, k, n, Stride(b.stride));
#endif
  }

  // A transposed column-major operand is the row-major matrix with the same leading dimension.
  static void kernel(Index m, Index n, Index k, const GemmOperand<Scalar>& a, const GemmOperand<Scalar>& b, Scalar* c, Index ldc, Workspace& ws) {
    if (!a.transposed && !b.transposed) kernel_as<Eigen::ColMajor, Eigen::ColMajor>(m, n, k, a, b, c, ldc, ws);
    else if (!a.transposed) kernel_as<Eigen::ColMajor, Eigen::RowMajor>(m, n, k, a, b, c, ldc, ws);
    else if (!b.transposed) kernel_as<Eigen::RowMajor, Eigen::ColMajor>(m, n, k, a, b, c, ldc, ws);
    else kernel_as<Eigen::RowMajor, Eigen::RowMajor>(m, n, k, a, b, c, ldc, ws);
  }

  std::vector<Workspace> workspaces_;
};

}  // namespace ganpp::detail
