// SPDX-License-Identifier: MIT
// im2col / col2im and the layout reorders behind the convolution layers' batched GEMMs (not public API).
#pragma once

#include "../config.hpp"

#include <algorithm>

namespace ganpp::detail {

/// The geometry of a convolution: an image of (channels, height, width) seen through a kernel x kernel window
/// with stride and padding, giving a grid of out_h x out_w window positions.
struct ConvGeometry {
  Index channels, height, width, kernel, stride, padding, out_h, out_w;
  Index rows() const { return channels * kernel * kernel; }  // one row per (c, ki, kj)
  Index grid() const { return out_h * out_w; }
};

/// Unfolds a batch of NCHW images into cols, a column-major (batch * grid) x (C*k*k) matrix stored as
/// cols[r * batch * grid + n * grid + position]: row r = (c, ki, kj) is one contiguous line, so both the
/// reads (along an image row) and the writes are sequential. Out-of-image taps are zero.
template <typename Scalar>
void im2col(const Scalar* image, Index batch, const ConvGeometry& g, Scalar* cols) {
  const Index rows = g.rows(), line = batch * g.grid(), kk = g.kernel * g.kernel;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (rows * line > 65536)
#endif
  for (Index r = 0; r < rows; ++r) {
    const Index c = r / kk, ki = (r % kk) / g.kernel, kj = r % g.kernel;
    Scalar* out = cols + r * line;
    for (Index n = 0; n < batch; ++n) {
      const Scalar* plane = image + (n * g.channels + c) * g.height * g.width;
      for (Index oh = 0; oh < g.out_h; ++oh) {
        const Index ih = oh * g.stride - g.padding + ki;
        if (ih < 0 || ih >= g.height) {
          std::fill_n(out, g.out_w, Scalar(0));
          out += g.out_w;
          continue;
        }
        const Scalar* src = plane + ih * g.width;
        for (Index ow = 0; ow < g.out_w; ++ow) {
          const Index iw = ow * g.stride - g.padding + kj;
          *out++ = (iw >= 0 && iw < g.width) ? src[iw] : Scalar(0);
        }
      }
    }
  }
}

/// The adjoint of im2col: adds every entry of cols back into the NCHW image position it was read from.
/// The image is overwritten (zeroed first). Channels are independent, so they run in parallel without races.
template <typename Scalar>
void col2im(const Scalar* cols, Index batch, const ConvGeometry& g, Scalar* image) {
  const Index line = batch * g.grid(), kk = g.kernel * g.kernel;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (g.rows() * line > 65536)
#endif
  for (Index c = 0; c < g.channels; ++c) {
    for (Index n = 0; n < batch; ++n) std::fill_n(image + (n * g.channels + c) * g.height * g.width, g.height * g.width, Scalar(0));
    for (Index k = 0; k < kk; ++k) {
      const Index ki = k / g.kernel, kj = k % g.kernel;
      const Scalar* in = cols + (c * kk + k) * line;
      for (Index n = 0; n < batch; ++n) {
        Scalar* plane = image + (n * g.channels + c) * g.height * g.width;
        for (Index oh = 0; oh < g.out_h; ++oh) {
          const Index ih = oh * g.stride - g.padding + ki;
          if (ih < 0 || ih >= g.height) {
            in += g.out_w;
            continue;
          }
          Scalar* dst = plane + ih * g.width;
          for (Index ow = 0; ow < g.out_w; ++ow, ++in) {
            const Index iw = ow * g.stride - g.padding + kj;
            if (iw >= 0 && iw < g.width) dst[iw] += *in;
          }
        }
      }
    }
  }
}

/// NCHW -> channel-major (C, N, HW): each channel's planes of the whole batch become one contiguous column.
template <typename Scalar>
void nchw_to_cnhw(const Scalar* src, Index batch, Index channels, Index plane, Scalar* dst) {
  for (Index n = 0; n < batch; ++n)
    for (Index c = 0; c < channels; ++c) std::copy_n(src + (n * channels + c) * plane, plane, dst + (c * batch + n) * plane);
}

/// (C, N, HW) -> NCHW, the inverse of nchw_to_cnhw.
template <typename Scalar>
void cnhw_to_nchw(const Scalar* src, Index batch, Index channels, Index plane, Scalar* dst) {
  for (Index n = 0; n < batch; ++n)
    for (Index c = 0; c < channels; ++c) std::copy_n(src + (c * batch + n) * plane, plane, dst + (n * channels + c) * plane);
}

}  // namespace ganpp::detail
