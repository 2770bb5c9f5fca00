// SPDX-License-Identifier: MIT
// im2col / col2im and the layout reorders behind the convolution layers' batched GEMMs (not public API).
#pragma once

#include "../config.hpp"
#include "parallel.hpp"

#include <algorithm>
#include <vector>

namespace ganpp::detail {

/// The geometry of a convolution: an image of (channels, height, width) seen through a kernel x kernel window
/// with stride and padding, giving a grid of out_h x out_w window positions. With one_d (Conv1d), the window is
/// 1 x kernel: stride and padding act along the width only, and height and out_h are 1.
struct ConvGeometry {
  Index channels, height, width, kernel, stride, padding, out_h, out_w;
  bool one_d = false;
  Index kernel_v() const { return one_d ? 1 : kernel; }   // the window's height
  Index stride_v() const { return one_d ? 1 : stride; }   // its vertical step
  Index padding_v() const { return one_d ? 0 : padding; }  // the zero rows above and below
  Index rows() const { return channels * kernel_v() * kernel; }  // one row per (c, ki, kj)
  Index grid() const { return out_h * out_w; }
  bool operator==(const ConvGeometry& o) const {
    return channels == o.channels && height == o.height && width == o.width && kernel == o.kernel && stride == o.stride && padding == o.padding &&
           out_h == o.out_h && out_w == o.out_w && one_d == o.one_d;
  }
  bool operator!=(const ConvGeometry& o) const { return !(*this == o); }
};

/// For every kernel tap k = (ki, kj) and window position p, the offset in an image plane of the pixel the tap reads
/// (-1 in the padding), as taps[k * grid + p]. Rebuilt only when the geometry changes; a layer keeps one so that
/// training steps allocate nothing.
class TapTable {
 public:
  const int* offsets(const ConvGeometry& g) {
    if (!built_ || g != geometry_) {
      const Index kk = g.kernel_v() * g.kernel, grid = g.grid();
      offsets_.resize(static_cast<std::size_t>(kk * grid));
      for (Index k = 0; k < kk; ++k) {
        const Index ki = k / g.kernel, kj = k % g.kernel;
        for (Index oh = 0; oh < g.out_h; ++oh)
          for (Index ow = 0; ow < g.out_w; ++ow) {
            const Index ih = oh * g.stride_v() - g.padding_v() + ki, iw = ow * g.stride - g.padding + kj;
            const bool inside = ih >= 0 && ih < g.height && iw >= 0 && iw < g.width;
            offsets_[static_cast<std::size_t>(k * grid + oh * g.out_w + ow)] = inside ? static_cast<int>(ih * g.width + iw) : -1;
          }
      }
      geometry_ = g;
      built_ = true;
    }
    return offsets_.data();
  }

 private:
  ConvGeometry geometry_{};
  bool built_ = false;
  std::vector<int> offsets_;
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
    for (Index n = 0; n < batch; ++n, out += grid, plane += g.channels * plane_size)
      for (Index p = 0; p < grid; ++p) out[p] = tap[p] >= 0 ? plane[tap[p]] : Scalar(0);
  });
}

/// Unfolds a batch of NCHW images into cols, a column-major (batch * grid) x (C*k*k) matrix stored as
/// cols[r * batch * grid + n * grid + position]: row r = (c, ki, kj) is one contiguous line of writes.
/// Out-of-image taps are zero. Rows of 16 or more window positions are copied along the image rows; shorter ones
/// (DCGAN's 7- and 3-wide grids) spend more on loop overhead than on copying, so they gather through `taps`,
/// 2-3x faster there and slower on wide images.
template <typename Scalar>
void im2col(const Scalar* image, Index batch, const ConvGeometry& g, Scalar* cols, TapTable& taps) {
  if (g.out_w >= 16) im2col_rows(image, batch, g, cols);
  else im2col_gather(image, batch, g, cols, taps.offsets(g));
}

/// The adjoint of im2col: adds every entry of cols back into the NCHW image position it was read from.
/// The image is overwritten. Each (sample, channel) plane is summed by one thread, in a fixed order, so the result
/// is the same for every thread count. Planes go in channel-major order (every sample of channel 0, then of channel
/// 1, ...): consecutive planes then read consecutive stretches of the same kernel*kernel rows of cols, which the
/// prefetcher follows, where sample-major order jumped between rows hundreds of kilobytes apart.
template <typename Scalar>
void col2im(const Scalar* cols, Index batch, const ConvGeometry& g, Scalar* image) {
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
