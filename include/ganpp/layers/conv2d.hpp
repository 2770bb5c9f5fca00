// SPDX-License-Identifier: MIT
/// @file
/// Conv2d: 2-d convolution over NCHW inputs as im2col plus one batched GEMM.
#pragma once

#include "../detail/gemm.hpp"
#include "../detail/im2col.hpp"
#include "layer.hpp"

namespace ganpp {

/// Options shared by Conv2d and ConvTranspose2d, in PyTorch's order and meaning.
struct ConvOptions {
  /// @var in_channels
  /// Input channels Cin; must be positive.
  /// @var out_channels
  /// Output channels Cout; must be positive.
  /// @var kernel
  /// Side k of the square kernel, in pixels; must be positive.
  Index in_channels, out_channels, kernel;
  /// @var stride
  /// Step between kernel positions, in pixels; must be positive.
  /// @var padding
  /// Zeros added on each side of the input (Conv2d) or cropped from the output (ConvTranspose2d), in pixels; must be
  /// non-negative.
  Index stride = 1, padding = 0;
  Index output_padding = 0;  ///< ConvTranspose2d only: extra rows/columns on the bottom/right of the output.
  /// Whether the layer adds a learned per-output-channel bias.
  bool bias = true;

  /// @param in input channels (Cin).
  /// @param out output channels (Cout).
  /// @param k kernel side.
  ConvOptions(Index in, Index out, Index k) : in_channels(in), out_channels(out), kernel(k) {}
  /// Sets stride and returns *this, for chaining.
  ConvOptions& with_stride(Index s) {
    stride = s;
    return *this;
  }
  /// Sets padding and returns *this, for chaining.
  ConvOptions& with_padding(Index p) {
    padding = p;
    return *this;
  }
  /// Sets output_padding and returns *this, for chaining.
  ConvOptions& with_output_padding(Index p) {
    output_padding = p;
    return *this;
  }
  /// Sets bias and returns *this, for chaining.
  ConvOptions& with_bias(bool b) {
    bias = b;
    return *this;
  }
};

namespace detail {
inline std::string conv_name(const char* kind, const ConvOptions& o) {
  std::string s = std::string(kind) + "(" + std::to_string(o.in_channels) + " -> " + std::to_string(o.out_channels) + ", k" +
                  std::to_string(o.kernel) + " s" + std::to_string(o.stride) + " p" + std::to_string(o.padding);
  if (o.output_padding) s += " op" + std::to_string(o.output_padding);
  return s + ")";
}
inline void check_conv_options(const char* kind, const ConvOptions& o) {
  if (o.in_channels < 1 || o.out_channels < 1 || o.kernel < 1 || o.stride < 1 || o.padding < 0 || o.output_padding < 0)
    throw argument_error(std::string(kind) + "::" + kind + "(): channels, kernel and stride must be positive and padding non-negative in " +
                         conv_name(kind, o));
}

/// What Conv2d and ConvTranspose2d share: their options, weight and bias with gradients, and the buffers and GEMMs
/// of one forward/backward.
/// @tparam Scalar float or double.
template <typename Scalar>
class ConvBase : public Layer<Scalar> {
 public:
  std::vector<Parameter<Scalar>> parameters() override {
    std::vector<Parameter<Scalar>> p{{"weight", &weight_, &weight_grad_}};
    if (o_.bias) p.push_back({"bias", &bias_, &bias_grad_});
    return p;
  }
  Tensor<Scalar>& weight() { return weight_; }
  Tensor<Scalar>& bias() { return bias_; }

 protected:
  /// @throws argument_error naming `kind` for non-positive channels, kernel or stride, or negative padding.
  ConvBase(const char* kind, const ConvOptions& o, const Shape& weight_shape)
      : o_(o), weight_(weight_shape), weight_grad_(weight_shape), bias_(Shape{o.bias ? o.out_channels : 0}), bias_grad_(bias_.shape()) {
    check_conv_options(kind, o);
  }
  void init_parameters(Init scheme, Rng& rng, Index fan_in, Index fan_out) {
    init::weight(weight_, scheme, fan_in, fan_out, rng);
    if (o_.bias) init::bias(bias_, scheme, fan_in, rng);
  }

  /// Cross-correlation (Conv2d, Conv1d) of x into an output of shape `out`, with geom_ set for x: im2col plus one
  /// batched GEMM; keeps the unfolded input for correlate_backward().
  const Tensor<Scalar>& correlate_forward(const Tensor<Scalar>& x, const Shape& out) {
    batch_ = x.dim(0);
    input_shape_ = x.shape();
    output_.resize(out);
    if (dense()) {
      // Each sample's NCHW values are its one im2col row: (Cout x Cin*k*k) * (Cin*k*k x N) is the NCHW output.
      cols_.assign(x);  // kept for the weight gradient
      forward_product_.run(output_.matrix(o_.out_channels, batch_), detail::transposed(correlate_weights()),
                           detail::as_is(cols_.matrix(geom_.rows(), batch_)), false);
      if (o_.bias) add_channel_bias(output_);
      return output_;
    }
    const Index line = batch_ * geom_.grid();
    cols_.resize(Shape{line, geom_.rows()});
    detail::im2col(x.data(), batch_, geom_, cols_.data(), taps_);
    // (N*grid x Cin*k*k) * (Cin*k*k x Cout): one GEMM for the whole batch, output channel-major.
    channel_major_.resize(Shape{o_.out_channels, line});
    forward_product_.run(channel_major_.matrix(line, o_.out_channels), detail::as_is(cols_.matrix(line, geom_.rows())),
                         detail::as_is(correlate_weights()), false);
    detail::cnhw_to_nchw(channel_major_.data(), batch_, o_.out_channels, geom_.grid(), output_.data());
    if (o_.bias) add_channel_bias(output_);
    return output_;
  }

  /// The backward pass of correlate_forward().
  const Tensor<Scalar>& correlate_backward(const Tensor<Scalar>& dy) {
    this->check_grad(dy, output_.shape());
    if (dense()) {
      const auto dy_mat = dy.matrix(o_.out_channels, batch_);  // (Cout x N)
      if (!this->frozen_) {
        weight_grad_product_.run(weight_grad_.matrix(geom_.rows(), o_.out_channels), detail::as_is(cols_.matrix(geom_.rows(), batch_)),
                                 detail::transposed(dy_mat), true);
        if (o_.bias) bias_grad_.array() += dy_mat.rowwise().sum().array();
      }
      return dense_input_grad(detail::as_is(correlate_weights()), dy_mat);
    }
    const Index line = batch_ * geom_.grid();
    channel_major_.resize(Shape{o_.out_channels, line});
    detail::nchw_to_cnhw(dy.data(), batch_, o_.out_channels, geom_.grid(), channel_major_.data());
    auto dy_cm = channel_major_.matrix(line, o_.out_channels);
    if (!this->frozen_) {
      accumulate_weight_grad(cols_.matrix(line, geom_.rows()), dy_cm);
      if (o_.bias) bias_grad_.array() += dy_cm.colwise().sum().transpose().array();
    }
    if (!this->input_grad_) {
      grad_input_.resize(Shape{0});
      return grad_input_;
    }
    // cols_ is no longer needed: reuse it for the gradient of the unfolded input.
    input_grad_product_.run(cols_.matrix(line, geom_.rows()), detail::as_is(dy_cm), detail::transposed(correlate_weights()), false);
    grad_input_.resize(input_shape_);
    detail::col2im(cols_.data(), batch_, geom_, grad_input_.data(), taps_);
    return grad_input_;
  }

  /// Transposed convolution (ConvTranspose2d, ConvTranspose1d) of x into an output of shape `out`, with geom_ set
  /// for the output image (channels Cout, grid the input's size).
  const Tensor<Scalar>& transpose_forward(const Tensor<Scalar>& x, const Shape& out) {
    batch_ = x.dim(0);
    input_shape_ = x.shape();
    output_.resize(out);
    if (dense()) {
      // A 1x1 input filling the whole output window: (Cout*k*k x Cin) * (Cin x N) is the NCHW output.
      channel_major_.assign(x);  // kept for the weight gradient (N = 1 image per column, so already "channel-major")
      forward_product_.run(output_.matrix(geom_.rows(), batch_), detail::as_is(transpose_weights()),
                           detail::as_is(channel_major_.matrix(o_.in_channels, batch_)), false);
      if (o_.bias) add_channel_bias(output_);
      return output_;
    }
    const Index line = batch_ * geom_.grid();
    channel_major_.resize(Shape{o_.in_channels, line});
    detail::nchw_to_cnhw(x.data(), batch_, o_.in_channels, geom_.grid(), channel_major_.data());
    cols_.resize(Shape{geom_.rows(), line});
    // (N*H*W x Cin) * (Cin x Cout*k*k), then scatter the columns into the output image.
    forward_product_.run(cols_.matrix(line, geom_.rows()), detail::as_is(channel_major_.matrix(line, o_.in_channels)),
                         detail::transposed(transpose_weights()), false);
    detail::col2im(cols_.data(), batch_, geom_, output_.data(), taps_);
    if (o_.bias) add_channel_bias(output_);
    return output_;
  }

  /// The backward pass of transpose_forward().
  const Tensor<Scalar>& transpose_backward(const Tensor<Scalar>& dy) {
    this->check_grad(dy, output_.shape());
    if (!this->frozen_ && o_.bias) {
      const Index plane = dy.size() / (batch_ * o_.out_channels);
      for (Index n = 0; n < batch_; ++n)
        for (Index c = 0; c < o_.out_channels; ++c)
          bias_grad_[c] += Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, 1>>(dy.data() + (n * o_.out_channels + c) * plane, plane).sum();
    }
    if (dense()) {
      const auto dy_mat = dy.matrix(geom_.rows(), batch_);  // (Cout*k*k x N): already the unfolded gradient
      if (!this->frozen_)
        weight_grad_product_.run(weight_grad_.matrix(geom_.rows(), o_.in_channels), detail::as_is(dy_mat),
                                 detail::transposed(channel_major_.matrix(o_.in_channels, batch_)), true);
      return dense_input_grad(detail::transposed(transpose_weights()), dy_mat);
    }
    const Index line = batch_ * geom_.grid();
    cols_.resize(Shape{geom_.rows(), line});
    detail::im2col(dy.data(), batch_, geom_, cols_.data(), taps_);
    auto dcols = cols_.matrix(line, geom_.rows());
    if (!this->frozen_)
      weight_grad_product_.run(weight_grad_.matrix(geom_.rows(), o_.in_channels), detail::transposed(dcols),
                               detail::as_is(channel_major_.matrix(line, o_.in_channels)), true);
    if (!this->input_grad_) {
      grad_input_.resize(Shape{0});
      return grad_input_;
    }
    // channel_major_ (the input) is no longer needed: reuse it for the channel-major input gradient.
    input_grad_product_.run(channel_major_.matrix(line, o_.in_channels), detail::as_is(dcols), detail::as_is(transpose_weights()), false);
    grad_input_.resize(input_shape_);
    detail::cnhw_to_nchw(channel_major_.data(), batch_, o_.in_channels, geom_.grid(), grad_input_.data());
    return grad_input_;
  }

  /// Whether the window covers the whole unpadded image in one position (a 1x1 output for a correlation, a 1x1 input
  /// for a transposed convolution), as in DCGAN's first and last layers: the convolution is then a fully-connected
  /// layer whose NCHW operands are already in GEMM layout, so no unfolding or reordering is needed.
  bool dense() const {
    return geom_.out_h == 1 && geom_.out_w == 1 && geom_.height == geom_.kernel_v() && geom_.width == geom_.kernel && geom_.padding == 0;
  }
  /// weight_grad_ (K x C) += unfolded^T (K x line) * per_channel (line x C), for an unfolded image (line x K) and a
  /// channel-major tensor (line x C). Computed as its transpose, per_channel^T * unfolded, into scratch: the
  /// product then packs the large unfolded matrix as Eigen's right operand, column by column; as the
  /// transposed left operand, its packing took more time than the arithmetic on shapes like SRGAN's (K = 288, C = 32).
  template <typename UnfoldedMap, typename PerChannelMap>
  void accumulate_weight_grad(const UnfoldedMap& unfolded, const PerChannelMap& per_channel) {
    const Index k = unfolded.cols(), c = per_channel.cols();
    weight_grad_t_.resize(Shape{k, c});
    weight_grad_product_.run(weight_grad_t_.matrix(c, k), detail::transposed(per_channel), detail::as_is(unfolded), false);
    weight_grad_.matrix(k, c) += weight_grad_t_.matrix(c, k).transpose();
  }

  /// The dense case's input gradient, weights (per-sample input size x K) times dy (K x N), in NCHW order.
  template <typename DyMap>
  const Tensor<Scalar>& dense_input_grad(const detail::GemmOperand<Scalar>& weights, const DyMap& dy) {
    if (!this->input_grad_) {
      grad_input_.resize(Shape{0});
      return grad_input_;
    }
    grad_input_.resize(input_shape_);
    input_grad_product_.run(grad_input_.matrix(weights.rows(), batch_), weights, detail::as_is(dy), false);
    return grad_input_;
  }

  ConvOptions o_;
  Tensor<Scalar> weight_, weight_grad_, bias_, bias_grad_;
  Tensor<Scalar> cols_, output_, grad_input_;
  Tensor<Scalar> weight_grad_t_;  // scratch: the transposed weight gradient of one backward pass
  ConvGeometry geom_{};
  Index batch_ = 0;
  Shape input_shape_;
  Gemm<Scalar> forward_product_, weight_grad_product_, input_grad_product_;
  detail::TapTable taps_;

 private:
  // Correlation: the (Cout, Cin, k[, k]) row-major weight is the column-major (Cin*k[*k] x Cout) matrix.
  typename Tensor<Scalar>::MatrixMap correlate_weights() { return weight_.matrix(geom_.rows(), o_.out_channels); }
  // Transposed: the (Cin, Cout, k[, k]) row-major weight is the column-major (Cout*k[*k] x Cin) matrix.
  typename Tensor<Scalar>::MatrixMap transpose_weights() { return weight_.matrix(geom_.rows(), o_.in_channels); }
  void add_channel_bias(Tensor<Scalar>& t) const {
    const Index plane = t.size() / (t.dim(0) * t.dim(1));
    for (Index n = 0; n < t.dim(0); ++n)
      for (Index c = 0; c < t.dim(1); ++c) {
        Scalar* p = t.data() + (n * t.dim(1) + c) * plane;
        for (Index i = 0; i < plane; ++i) p[i] += bias_[c];
      }
  }

  Tensor<Scalar> channel_major_;  // the output (correlation) or the input (transposed), channel-major
};
}  // namespace detail

/// 2-d convolution (cross-correlation, as in PyTorch). Input (N, Cin, H, W); weight (Cout, Cin, k, k).
template <typename Scalar = float>
class Conv2d : public detail::ConvBase<Scalar> {
  using Base = detail::ConvBase<Scalar>;
  using Base::o_, Base::weight_, Base::weight_grad_, Base::bias_, Base::bias_grad_, Base::cols_, Base::output_, Base::grad_input_, Base::geom_,
      Base::batch_, Base::input_shape_, Base::forward_product_, Base::weight_grad_product_, Base::input_grad_product_;

 public:
  /// Initialises the weight and bias with Init::torch_default from Rng(0); call reset_parameters() for another draw.
  /// @throws argument_error for non-positive channels, kernel or stride, negative padding, or a non-zero output_padding.
  explicit Conv2d(const ConvOptions& o) : Base("Conv2d", o, Shape{o.out_channels, o.in_channels, o.kernel, o.kernel}) {
    if (o.output_padding != 0) throw argument_error("Conv2d::Conv2d(): output_padding applies to ConvTranspose2d only");
    Rng rng(0);
    reset_parameters(Init::torch_default, rng);
  }

  std::string name() const override { return detail::conv_name("Conv2d", o_); }
  Shape output_shape(const Shape& in) const override {
    this->require(in.rank() == 4 && in[1] == o_.in_channels && in[2] + 2 * o_.padding >= o_.kernel && in[3] + 2 * o_.padding >= o_.kernel, in,
                  [&] { return std::string("(N, " + std::to_string(o_.in_channels) + ", H, W) with H, W + 2*padding >= kernel"); });
    return Shape{in[0], o_.out_channels, (in[2] + 2 * o_.padding - o_.kernel) / o_.stride + 1, (in[3] + 2 * o_.padding - o_.kernel) / o_.stride + 1};
  }

  /// Convolves a (N, Cin, H, W) batch into (N, Cout, (H + 2p - k) / s + 1, (W + 2p - k) / s + 1).
  /// Keeps the unfolded input (not x itself) for backward().
  /// @throws shape_error when x is not (N, Cin, H, W) with H, W + 2 * padding >= kernel.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    const Shape out = output_shape(x.shape());
    geom_ = {o_.in_channels, x.dim(2), x.dim(3), o_.kernel, o_.stride, o_.padding, out[2], out[3]};
    return this->correlate_forward(x, out);
  }

  /// Accumulates the weight and bias gradients (unless frozen) and returns the (N, Cin, H, W) input gradient
  /// (empty when the input gradient is off).
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override { return this->correlate_backward(dy); }

  void reset_parameters(Init scheme, Rng& rng) override {
    this->init_parameters(scheme, rng, o_.in_channels * o_.kernel * o_.kernel, o_.out_channels * o_.kernel * o_.kernel);
  }
};

/// Transposed 2-d convolution (the adjoint of Conv2d), as in PyTorch. Input (N, Cin, H, W); weight (Cin, Cout, k, k);
/// output side (H - 1) * stride - 2 * padding + kernel + output_padding.
template <typename Scalar = float>
class ConvTranspose2d : public detail::ConvBase<Scalar> {
  using Base = detail::ConvBase<Scalar>;
  using Base::o_, Base::weight_, Base::weight_grad_, Base::bias_, Base::bias_grad_, Base::cols_, Base::output_, Base::grad_input_, Base::geom_,
      Base::batch_, Base::input_shape_, Base::forward_product_, Base::weight_grad_product_, Base::input_grad_product_;

 public:
  /// Initialises the weight and bias with Init::torch_default from Rng(0); call reset_parameters() for another draw.
  /// @throws argument_error for non-positive channels, kernel or stride, negative padding, or output_padding >= stride.
  explicit ConvTranspose2d(const ConvOptions& o) : Base("ConvTranspose2d", o, Shape{o.in_channels, o.out_channels, o.kernel, o.kernel}) {
    if (o.output_padding >= o.stride && o.output_padding >= 1)
      throw argument_error("ConvTranspose2d::ConvTranspose2d(): output_padding must be smaller than stride in " + name());
    Rng rng(0);
    reset_parameters(Init::torch_default, rng);
  }

  std::string name() const override { return detail::conv_name("ConvTranspose2d", o_); }
  Shape output_shape(const Shape& in) const override {
    this->require(in.rank() == 4 && in[1] == o_.in_channels, in, [&] { return std::string("(N, " + std::to_string(o_.in_channels) + ", H, W)"); });
    const Index oh = (in[2] - 1) * o_.stride - 2 * o_.padding + o_.kernel + o_.output_padding;
    const Index ow = (in[3] - 1) * o_.stride - 2 * o_.padding + o_.kernel + o_.output_padding;
    this->require(oh >= 1 && ow >= 1, in, [&] { return std::string("an input large enough for a positive output size"); });
    return Shape{in[0], o_.out_channels, oh, ow};
  }

  /// Maps a (N, Cin, H, W) batch to (N, Cout, (H - 1) * s - 2p + k + output_padding, likewise for W).
  /// @throws shape_error when x is not (N, Cin, H, W) or the output size would not be positive.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    const Shape out = output_shape(x.shape());
    geom_ = {o_.out_channels, out[2], out[3], o_.kernel, o_.stride, o_.padding, x.dim(2), x.dim(3)};
    return this->transpose_forward(x, out);
  }

  /// Accumulates the weight and bias gradients (unless frozen) and returns the (N, Cin, H, W) input gradient
  /// (empty when the input gradient is off).
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override { return this->transpose_backward(dy); }

  /// PyTorch takes the fan-in of a transposed convolution from weight dimension 1 (out_channels * k * k).
  void reset_parameters(Init scheme, Rng& rng) override {
    this->init_parameters(scheme, rng, o_.out_channels * o_.kernel * o_.kernel, o_.in_channels * o_.kernel * o_.kernel);
  }
};

}  // namespace ganpp
