// SPDX-License-Identifier: MIT
// im2col / col2im and the layout reorders behind the convolution layers' batched GEMMs (not public API).
#pragma once

#include "../config.hpp"
#include "parallel.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace ganpp::detail {

/// The geometry of a convolution: an image of (channels, height, width) seen through a kernel x kernel window
/// with stride and padding, giving a grid of out_h x out_w window positions. With one_d (Conv1d), the window is
/// 1 x kernel: stride and padding act along the width only, and height and out_h are 1.
struct ConvGeometry {
  Index channels, height, width, kernel, stride, padding, out_h, out_w;
  bool one_d = false;
  Index kernel_v() const { return one_d ? 1 : kernel; }          // the window's height
  Index stride_v() const { return one_d ? 1 : stride; }          // its vertical step
  Index padding_v() const { return one_d ? 0 : padding; }        // the zero rows above and below
  Index rows() const { return channels * kernel_v() * kernel; }  // one row per (c, ki, kj)
  Index grid() const { return out_h * out_w; }
  bool operator==(const ConvGeometry& o) const {
    return channels == o.channels && height == o.height && width == o.width && kernel == o.kernel && stride == o.stride && padding == o.padding &&
           out_h == o.out_h && out_w == o.out_w && one_d == o.one_d;
  }
  bool operator!=(const ConvGeometry& o) const { return !(*this == o); }
};

/// The index tables behind the gathering im2col and col2im, for rows shorter than 16 window positions. Each is
/// rebuilt only when the geometry (or, for col2im, the batch) changes; a layer keeps its own, so that training steps
/// allocate nothing.
class TapTable {
 public:
  /// For every kernel tap k = (ki, kj) and window position p, the offset in an image plane of the pixel the tap
  /// reads (-1 in the padding), as offsets[k * grid + p].
  const int* offsets(const ConvGeometry& g) {
    if (!offsets_built_ || g != offsets_geometry_) {
      const Index kk = g.kernel_v() * g.kernel, grid = g.grid();
      offsets_.resize(static_cast<std::size_t>(kk * grid));
      for (Index k = 0; k < kk; ++k)
        for (Index p = 0; p < grid; ++p) offsets_[static_cast<std::size_t>(k * grid + p)] = pixel(g, k, p);
      offsets_geometry_ = g;
      offsets_built_ = true;
    }
    return offsets_.data();
  }

  /// The most taps that read one pixel: ceil(kernel / stride) along each axis.
  static Index taps_per_pixel(const ConvGeometry& g) {
    return ((g.kernel_v() + g.stride_v() - 1) / g.stride_v()) * ((g.kernel + g.stride - 1) / g.stride);
  }

  /// For every pixel q of an image plane, where in the unfolded columns of a batch of `batch` the taps that read it
  /// are: sources[j * H*W + q] for j < taps_per_pixel(g), as k * batch * grid + p for tap k and window position p,
  /// in increasing k (-1 past the last one). Offsets are relative to the plane's channel rows and sample.
  const int* sources(const ConvGeometry& g, Index batch) {
    if (!sources_built_ || g != sources_geometry_ || batch != sources_batch_) {
      const Index kk = g.kernel_v() * g.kernel, grid = g.grid(), line = batch * grid, plane = g.height * g.width;
      sources_.assign(static_cast<std::size_t>(taps_per_pixel(g) * plane), -1);
      std::vector<Index> taps_found(static_cast<std::size_t>(plane), 0);  // rebuilt only when the geometry changes
      // In increasing k, so that col2im adds each pixel's taps in im2col's order.
      for (Index k = 0; k < kk; ++k)
        for (Index p = 0; p < grid; ++p) {
          const int q = pixel(g, k, p);
          if (q < 0) continue;
          const Index j = taps_found[static_cast<std::size_t>(q)]++;
          sources_[static_cast<std::size_t>(j * plane + q)] = static_cast<int>(k * line + p);
        }
      sources_geometry_ = g;
      sources_batch_ = batch;
      sources_built_ = true;
    }
    return sources_.data();
  }

 private:
  // The pixel tap k of window position p reads, or -1 in the padding.
  static int pixel(const ConvGeometry& g, Index k, Index p) {
    const Index ki = k / g.kernel, kj = k % g.kernel, oh = p / g.out_w, ow = p % g.out_w;
    const Index ih = oh * g.stride_v() - g.padding_v() + ki, iw = ow * g.stride - g.padding + kj;
    return ih >= 0 && ih < g.height && iw >= 0 && iw < g.width ? static_cast<int>(ih * g.width + iw) : -1;
  }

  ConvGeometry offsets_geometry_{}, sources_geometry_{};
  bool offsets_built_ = false, sources_built_ = false;
  Index sources_batch_ = 0;
  std::vector<int> offsets_, sources_;
};

/// The window positions ow in [lo, hi) whose tap at kernel column kj falls inside the image row (0 <= iw < width),
/// where iw = ow * stride - padding + kj: the loops below run branch-free over that range and zero-fill the rest.
inline void valid_range(const ConvGeometry& g, Index kj, Index& lo, Index& hi) {
  const Index first = g.padding - kj;  // iw >= 0  <=>  ow * stride >= padding - kj
  lo = first <= 0 ? 0 : (first + g.stride - 1) / g.stride;
  const Index last = g.width - 1 + g.padding - kj;  // iw <= width - 1
  hi = last < 0 ? 0 : std::min(g.out_w, last / g.stride + 1);
  lo = std::min(lo, hi);
}

/// Whether im2col and col2im gather through a TapTable: for rows shorter than 16 window positions (DCGAN's 7- and
/// 3-wide grids) the per-row loops cost more than the copying; on wide images the row loops are faster. col2im's
/// table of offsets into the columns must fit in an int.
inline bool gathers(const ConvGeometry& g, Index batch) { return g.out_w < 16 && g.kernel_v() * g.kernel * batch * g.grid() <= Index{2147483647}; }

/// im2col() by rows: for each (row r, sample, output row), a copy (stride 1) or strided read along the image row.
template <typename Scalar>
void im2col_rows(const Scalar* image, Index batch, const ConvGeometry& g, Scalar* cols) {
  const Index rows = g.rows(), line = batch * g.grid(), kk = g.kernel_v() * g.kernel;
  detail::parallel_for(rows, rows * line > 65536, [&](Index r) {
    const Index c = r / kk, ki = (r % kk) / g.kernel, kj = r % g.kernel;
    Index lo, hi;
    valid_range(g, kj, lo, hi);
    Scalar* out = cols + r * line;
    for (Index n = 0; n < batch; ++n) {
      const Scalar* plane = image + (n * g.channels + c) * g.height * g.width;
      for (Index oh = 0; oh < g.out_h; ++oh, out += g.out_w) {
        const Index ih = oh * g.stride_v() - g.padding_v() + ki;
        if (ih < 0 || ih >= g.height) {
          std::fill_n(out, g.out_w, Scalar(0));
          continue;
        }
        const Index base = ih * g.width - g.padding + kj;  // plane[base + ow * stride] is the tap of window ow
        std::fill_n(out, lo, Scalar(0));
        if (g.stride == 1) {
          std::copy(plane + base + lo, plane + base + hi, out + lo);
        } else {
          for (Index ow = lo; ow < hi; ++ow) out[ow] = plane[base + ow * g.stride];
        }
        std::fill(out + hi, out + g.out_w, Scalar(0));
      }
    }
  });
}

/// im2col() through a TapTable: each sample's whole grid of a row r in one loop, a gather that vectorizes.
template <typename Scalar>
void im2col_gather(const Scalar* image, Index batch, const ConvGeometry& g, Scalar* cols, const int* taps) {
  const Index kk = g.kernel_v() * g.kernel, grid = g.grid(), line = batch * grid, plane_size = g.height * g.width;
  detail::parallel_for(g.rows(), g.rows() * line > 65536, [&](Index r) {
    const int* tap = taps + (r % kk) * grid;
    Scalar* out = cols + r * line;
    const Scalar* plane = image + (r / kk) * plane_size;
    // Scalar loads, skipped in the padding: AVX-512's vector gather was slower here (1.2 ms against 0.8 for
    // DCGAN's 64x14x14 input), no faster than the row copies.
    for (Index n = 0; n < batch; ++n, out += grid, plane += g.channels * plane_size)
      for (Index p = 0; p < grid; ++p) out[p] = tap[p] >= 0 ? plane[tap[p]] : Scalar(0);
  });
}

/// Unfolds a batch of NCHW images into cols, a column-major (batch * grid) x (C*k*k) matrix stored as
/// cols[r * batch * grid + n * grid + position]: row r = (c, ki, kj) is one contiguous line of writes.
/// Out-of-image taps are zero. Short rows gather through `taps` (see gathers()): 2-3x faster than the row copies.
template <typename Scalar>
void im2col(const Scalar* image, Index batch, const ConvGeometry& g, Scalar* cols, TapTable& taps) {
  if (gathers(g, batch)) im2col_gather(image, batch, g, cols, taps.offsets(g));
  else im2col_rows(image, batch, g, cols);
}

/// col2im() by rows: for each plane, each tap and output row, a strided add along the image row.
/// Each (sample, channel) plane is summed by one thread, in a fixed order, so the result
/// is the same for every thread count. Planes go in channel-major order (every sample of channel 0, then of channel
/// 1, ...): consecutive planes then read consecutive stretches of the same kernel*kernel rows of cols, which the
/// prefetcher follows, where sample-major order jumped between rows hundreds of kilobytes apart.
template <typename Scalar>
void col2im_rows(const Scalar* cols, Index batch, const ConvGeometry& g, Scalar* image) {
  const Index line = batch * g.grid(), kk = g.kernel_v() * g.kernel, planes = batch * g.channels;
  detail::parallel_for(planes, g.rows() * line > 65536, [&](Index cn) {
    const Index c = cn / batch, n = cn % batch;
    Scalar* plane = image + (n * g.channels + c) * g.height * g.width;
    std::fill_n(plane, g.height * g.width, Scalar(0));
    for (Index k = 0; k < kk; ++k) {
      const Index ki = k / g.kernel, kj = k % g.kernel;
      Index lo, hi;
      valid_range(g, kj, lo, hi);
      const Scalar* in = cols + (c * kk + k) * line + n * g.grid();
      for (Index oh = 0; oh < g.out_h; ++oh, in += g.out_w) {
        const Index ih = oh * g.stride_v() - g.padding_v() + ki;
        if (ih < 0 || ih >= g.height) continue;
        const Index base = ih * g.width - g.padding + kj;  // plane[base + ow * stride] receives window ow's tap
        if (g.stride == 1) {
          for (Index ow = lo; ow < hi; ++ow) plane[base + ow] += in[ow];
        } else {
          for (Index ow = lo; ow < hi; ++ow) plane[base + ow * g.stride] += in[ow];
        }
      }
    }
  });
}

/// col2im() through TapTable::sources(): each pixel sums its taps in registers, 64 pixels at a time, in the same
/// order as col2im_rows(), so the results are bit-identical; the plane is written once, with no zero fill.
template <typename Scalar>
void col2im_gather(const Scalar* cols, Index batch, const ConvGeometry& g, Scalar* image, const int* sources) {
  const Index line = batch * g.grid(), kk = g.kernel_v() * g.kernel, plane_size = g.height * g.width;
  const Index taps = TapTable::taps_per_pixel(g);
  constexpr Index kBlock = 64;
  detail::parallel_for(batch * g.channels, g.rows() * line > 65536, [&](Index cn) {
    const Index c = cn / batch, n = cn % batch;
    Scalar* plane = image + (n * g.channels + c) * plane_size;
    const Scalar* in = cols + c * kk * line + n * g.grid();
    for (Index q0 = 0; q0 < plane_size; q0 += kBlock) {
      const Index len = std::min(kBlock, plane_size - q0);
      std::array<Scalar, kBlock> sum{};
      for (Index j = 0; j < taps; ++j) {
        const int* src = sources + j * plane_size + q0;
        for (Index q = 0; q < len; ++q)  // scalar loads, as in im2col_gather()
          sum[static_cast<std::size_t>(q)] += src[q] >= 0 ? in[src[q]] : Scalar(0);
      }
      std::copy_n(sum.begin(), len, plane + q0);
    }
  });
}

/// The adjoint of im2col: adds every entry of cols back into the NCHW image position it was read from; the image
/// is overwritten. Short rows gather through `taps` (see gathers()).
template <typename Scalar>
void col2im(const Scalar* cols, Index batch, const ConvGeometry& g, Scalar* image, TapTable& taps) {
  if (gathers(g, batch)) col2im_gather(cols, batch, g, image, taps.sources(g, batch));
  else col2im_rows(cols, batch, g, image);
}

/// NCHW -> channel-major (C, N, HW): each channel's planes of the whole batch become one contiguous column.
template <typename Scalar>
void nchw_to_cnhw(const Scalar* src, Index batch, Index channels, Index plane, Scalar* dst) {
  const Index planes = batch * channels;
  detail::parallel_for(planes, planes * plane > 65536, [&](Index nc) {
    const Index n = nc / channels, c = nc % channels;
    std::copy_n(src + nc * plane, plane, dst + (c * batch + n) * plane);
  });
}

/// (C, N, HW) -> NCHW, the inverse of nchw_to_cnhw.
template <typename Scalar>
void cnhw_to_nchw(const Scalar* src, Index batch, Index channels, Index plane, Scalar* dst) {
  const Index planes = batch * channels;
  detail::parallel_for(planes, planes * plane > 65536, [&](Index nc) {
    const Index n = nc / channels, c = nc % channels;
    std::copy_n(src + (c * batch + n) * plane, plane, dst + nc * plane);
  });
}

}  // namespace ganpp::detail
