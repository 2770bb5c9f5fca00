// SPDX-License-Identifier: MIT
/// @file
/// Upsample: enlarges (N, C, H, W) images or (N, C, L) sequences by an integer factor, nearest or (bi)linear, as
/// torch.nn.Upsample.
#pragma once

#include "../detail/parallel.hpp"
#include "layer.hpp"

#include <algorithm>
#include <vector>

namespace ganpp {

/// How Upsample computes the new pixels.
enum class UpsampleMode {
  nearest,   ///< each output pixel copies input pixel (h / scale, w / scale)
  bilinear,  ///< linear in both directions, with PyTorch's align_corners=False geometry
};

/// Upsampling of (N, C, H, W) inputs by an integer factor, as torch.nn.Upsample(scale_factor=s, mode=...) with
/// align_corners=False (PyTorch's default). Output (N, C, s H, s W). A (N, C, L) sequence grows along L only, to
/// (N, C, s L), and `bilinear` is then PyTorch's mode='linear'.
///
/// nearest: output (h, w) copies input (floor(h / s), floor(w / s)).
/// bilinear: along each axis output index d reads source position src = max(0, (d + 0.5) / s - 0.5) and mixes input
/// indices i0 = floor(src) and i1 = min(i0 + 1, size - 1) with weights 1 - (src - i0) and src - i0; the two axes
/// combine as a product. Followed by a convolution it is the resize-convolution that avoids the checkerboard
/// artefacts of transposed convolutions (Odena, Dumoulin & Olah 2016, "Deconvolution and Checkerboard Artifacts").
/// @tparam Scalar float or double.
template <typename Scalar = float>
class Upsample : public Layer<Scalar> {
 public:
  /// @param scale_factor the integer factor by which height and width grow.
  /// @param mode nearest or bilinear.
  /// @throws argument_error for a scale_factor below 1.
  explicit Upsample(Index scale_factor, UpsampleMode mode = UpsampleMode::nearest) : scale_(scale_factor), mode_(mode) {
    if (scale_factor < 1) throw argument_error("Upsample::Upsample(): scale_factor must be >= 1, got " + std::to_string(scale_factor));
  }

  std::string name() const override { return "Upsample(" + std::to_string(scale_) + (mode_ == UpsampleMode::nearest ? ", nearest)" : ", bilinear)"); }
  /// (N, C, scale H, scale W), or (N, C, scale L).
  /// @throws shape_error unless the input has rank 3 or 4.
  Shape output_shape(const Shape& in) const override {
    this->require(in.rank() == 3 || in.rank() == 4, in, [] { return std::string("(N, C, H, W) or (N, C, L)"); });
    if (in.rank() == 3) return Shape{in[0], in[1], in[2] * scale_};
    return Shape{in[0], in[1], in[2] * scale_, in[3] * scale_};
  }

  /// Enlarges every plane of x by the scale factor, as the class comment describes.
  /// @throws shape_error as output_shape().
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    output_.resize(output_shape(x.shape()));
    // A sequence is a plane of one row, which does not grow.
    const bool image = x.rank() == 4;
    make_taps(rows_, image ? x.dim(2) : 1, image ? scale_ : 1);
    make_taps(cols_, x.dim(x.rank() - 1), scale_);
    const Index iw = x.dim(x.rank() - 1), ow = iw * scale_;
    const Index in_plane = (image ? x.dim(2) : 1) * iw, out_plane = static_cast<Index>(rows_.size()) * ow;
    detail::parallel_for(x.dim(0) * x.dim(1), output_.size() > 32768, [&](Index g) {
      const Scalar* p = x.data() + g * in_plane;
      Scalar* q = output_.data() + g * out_plane;
      for (std::size_t h = 0; h < rows_.size(); ++h) {
        const Tap& r = rows_[h];
        const Scalar* r0 = p + r.i0 * iw;
        const Scalar* r1 = p + r.i1 * iw;
        Scalar* out = q + static_cast<Index>(h) * ow;
        if (mode_ == UpsampleMode::nearest) {
          for (std::size_t w = 0; w < cols_.size(); ++w) out[w] = r0[cols_[w].i0];
        } else {
          for (std::size_t w = 0; w < cols_.size(); ++w) {
            const Tap& c = cols_[w];
            out[w] = r.w0 * (c.w0 * r0[c.i0] + c.w1 * r0[c.i1]) + r.w1 * (c.w0 * r1[c.i0] + c.w1 * r1[c.i1]);
          }
        }
      }
    });
    input_shape_ = x.shape();
    return output_;
  }

  /// The adjoint of forward: each output gradient goes back to the input pixels it was made of, with the same
  /// weights. Returns an empty tensor when the input gradient is off.
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    this->check_grad(dy, output_.shape());
    if (this->skip_input_grad(grad_input_, input_shape_)) return grad_input_;
    const bool image = input_shape_.rank() == 4;
    const Index iw = input_shape_[input_shape_.rank() - 1], ow = iw * scale_;
    const Index in_plane = (image ? input_shape_[2] : 1) * iw, out_plane = static_cast<Index>(rows_.size()) * ow;
    detail::parallel_for(input_shape_[0] * input_shape_[1], dy.size() > 32768, [&](Index g) {
      Scalar* p = grad_input_.data() + g * in_plane;
      const Scalar* q = dy.data() + g * out_plane;
      std::fill(p, p + in_plane, Scalar(0));
      for (std::size_t h = 0; h < rows_.size(); ++h) {
        const Tap& r = rows_[h];
        Scalar* r0 = p + r.i0 * iw;
        Scalar* r1 = p + r.i1 * iw;
        const Scalar* d = q + static_cast<Index>(h) * ow;
        if (mode_ == UpsampleMode::nearest) {
          for (std::size_t w = 0; w < cols_.size(); ++w) r0[cols_[w].i0] += d[w];
        } else {
          for (std::size_t w = 0; w < cols_.size(); ++w) {
            const Tap& c = cols_[w];
            r0[c.i0] += r.w0 * c.w0 * d[w];
            r0[c.i1] += r.w0 * c.w1 * d[w];
            r1[c.i0] += r.w1 * c.w0 * d[w];
            r1[c.i1] += r.w1 * c.w1 * d[w];
          }
        }
      }
    });
    return grad_input_;
  }

  /// The factor by which height and width grow.
  Index scale_factor() const { return scale_; }
  /// Nearest or bilinear.
  UpsampleMode mode() const { return mode_; }

 private:
  // Output index d along one axis reads input indices i0 and i1 with weights w0 and w1.
  struct Tap {
    Index i0, i1;
    Scalar w0, w1;
  };
  // One tap per output index of an axis of `in` entries growing `scale` times; the vector keeps its memory while the
  // shape stays the same.
  void make_taps(std::vector<Tap>& taps, Index in, Index scale) const {
    taps.resize(static_cast<std::size_t>(in * scale));
    for (Index d = 0; d < in * scale; ++d) {
      Tap& t = taps[static_cast<std::size_t>(d)];
      if (mode_ == UpsampleMode::nearest || scale == 1) {
        t = {std::min(d / scale, in - 1), 0, Scalar(1), Scalar(0)};
        t.i1 = t.i0;
        continue;
      }
      // PyTorch's area_pixel_compute_source_index with align_corners=False: scale = 1 / scale_factor.
      const double src = std::max(0.0, (static_cast<double>(d) + 0.5) / static_cast<double>(scale) - 0.5);
      const Index i0 = std::min(static_cast<Index>(src), in - 1);
      const Index i1 = std::min(i0 + 1, in - 1);
      const double l1 = src - static_cast<double>(i0);
      t = {i0, i1, static_cast<Scalar>(1.0 - l1), static_cast<Scalar>(l1)};
    }
  }

  Index scale_;
  UpsampleMode mode_;
  std::vector<Tap> rows_, cols_;
  Tensor<Scalar> output_, grad_input_;
  Shape input_shape_;
};

}  // namespace ganpp
