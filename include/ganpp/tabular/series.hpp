// SPDX-License-Identifier: MIT
/// @file
/// Time series: sliding windows over numeric columns with per-column scaling, the independent-marginal baseline,
/// and a convolutional GAN over windows (Conv1d critic, fully convolutional generator).
#pragma once

#include "../data/table.hpp"
#include "../layers.hpp"
#include "../layers/conv1d.hpp"
#include "../models.hpp"
#include "../random.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ganpp {

/// Per-column min-max scaling of series to [-1, 1] (the generator's tanh range) and back.
struct WindowScaler {
  std::vector<double> min;  ///< per channel
  std::vector<double> max;  ///< per channel
  /// The value of channel c scaled to [-1, 1].
  /// @param c the channel.
  /// @param v the value.
  double scale(std::size_t c, double v) const { return max[c] > min[c] ? 2 * (v - min[c]) / (max[c] - min[c]) - 1 : 0.0; }
  /// The value of channel c from its scaled form.
  /// @param c the channel.
  /// @param s the scaled value.
  double unscale(std::size_t c, double s) const { return min[c] + (s + 1) / 2 * (max[c] - min[c]); }
};

/// The windows of `length` consecutive rows (every `stride` rows) over numeric columns, each column scaled to
/// [-1, 1] by its minimum and maximum: (N, C, length) with N = (rows - length) / stride + 1.
/// @param t the table, rows in time order.
/// @param columns the numeric (or date) columns, one channel each.
/// @param length the window length (>= 2).
/// @param stride rows between window starts (>= 1).
/// @param scaler set to the columns' scaling.
/// @throws argument_error for a categorical column, a missing value (naming column and row), no columns, or fewer
///   rows than one window.
inline Tensor<float> sliding_windows(const Table& t, const std::vector<Index>& columns, Index length, Index stride, WindowScaler& scaler) {
  if (columns.empty() || length < 2 || stride < 1) throw argument_error("sliding_windows(): need a column, length >= 2 and stride >= 1");
  if (t.rows() < length)
    throw argument_error("sliding_windows(): " + t.source + " has " + std::to_string(t.rows()) + " rows, fewer than one window of " +
                         std::to_string(length));
  scaler.min.clear();
  scaler.max.clear();
  for (Index c : columns) {
    const TableColumn& col = t.columns.at(static_cast<std::size_t>(c));
    if (col.kind == ColumnKind::categorical)
      throw argument_error("sliding_windows(): column '" + col.name + "' of " + t.source + " is categorical; series must be numeric");
    for (Index r = 0; r < t.rows(); ++r)
      if (std::isnan(col.values[static_cast<std::size_t>(r)]))
        throw argument_error("sliding_windows(): column '" + col.name + "' of " + t.source + " has a missing value in data row " +
                             std::to_string(r + 1) + "; fill or drop it first");
    scaler.min.push_back(*std::min_element(col.values.begin(), col.values.end()));
    scaler.max.push_back(*std::max_element(col.values.begin(), col.values.end()));
  }
  const Index n = (t.rows() - length) / stride + 1, ch = static_cast<Index>(columns.size());
  Tensor<float> w(Shape{n, ch, length});
  for (Index i = 0; i < n; ++i)
    for (Index c = 0; c < ch; ++c)
      for (Index s = 0; s < length; ++s)
        w[(i * ch + c) * length + s] = static_cast<float>(
            scaler.scale(static_cast<std::size_t>(c),
                         t.columns[static_cast<std::size_t>(columns[static_cast<std::size_t>(c)])].values[static_cast<std::size_t>(i * stride + s)]));
  return w;
}

/// The baseline of series: n windows whose every step of every channel is drawn independently from that channel's
/// values in `real` (its marginal): right per-step distributions, no dynamics.
/// @param real windows (N, C, T).
/// @param n how many.
/// @param rng the draws.
/// @throws shape_error when real is not (N, C, T) with N >= 1.
inline Tensor<float> marginal_windows(const Tensor<float>& real, Index n, Rng& rng) {
  if (real.rank() != 3 || real.batch() < 1) throw shape_error("marginal_windows(): expected windows (N, C, T), got " + real.shape().str());
  const Index c = real.dim(1), t = real.dim(2), count = real.batch() * t;
  Tensor<float> w(Shape{n, c, t});
  for (Index i = 0; i < n; ++i)
    for (Index ch = 0; ch < c; ++ch)
      for (Index s = 0; s < t; ++s) {
        const Index pick = static_cast<Index>(rng.below(static_cast<std::uint64_t>(count)));
        w[(i * c + ch) * t + s] = real[((pick / t) * c + ch) * t + pick % t];
      }
  return w;
}

/// Steps the series generator makes beyond each end of a window and then crops: about the reach of its
/// convolutions, so that no kept step sees their zero padding.
constexpr Index kSeriesMargin = 12;

/// The latent shape of series_generator(): a sequence of `latent`-dimensional noise vectors, one per 4 output steps
/// of the window and its margins, (latent, (length + 2 * kSeriesMargin) / 4).
/// @param latent noise dimensions per step.
/// @param length window length T, a multiple of 4.
/// @throws argument_error when length is not a positive multiple of 4.
inline Shape series_latent_shape(Index latent, Index length) {
  if (length < 4 || length % 4 != 0)
    throw argument_error("series_latent_shape(): the window length must be a positive multiple of 4, got " + std::to_string(length));
  return Shape{latent, (length + 2 * kSeriesMargin) / 4};
}

/// The generator of the series GAN, fully convolutional so that its windows are stationary: noise
/// (latent, L0 = (T + 2 margin) / 4) -> Conv1d(latent -> 64, k3 p1) -> BatchNorm -> ReLU -> Upsample(2, linear) ->
/// Conv1d(64 -> 32, k5 p2) -> BatchNorm -> ReLU -> Upsample(2, linear) -> Conv1d(32 -> C, k5 p2) -> Crop1d(margin, T)
/// -> Tanh, giving (C, T) windows in [-1, 1]; the latent shape is series_latent_shape(latent, T).
///
/// Why this shape: earlier versions mapped one noise vector through a Linear layer, then transposed convolutions or
/// resize-convolutions. Their windows matched the real ones' means, spreads and autocorrelations, yet a classifier
/// told 98% of them from real Seattle weather windows: their statistics depended on the step's position in the
/// window (the spread of temp_min's day-to-day change ran from 1.0 to 4.6 across positions, against 2.0 at every
/// position of the real windows), and the transposed convolutions' windows repeated every 4 steps. Noise per
/// position, resize-convolutions and cropping away the margins remove both; see docs/tabular.md.
/// @param latent noise dimensions per step.
/// @param channels series C.
/// @param length window length T, a multiple of 4.
/// @throws argument_error when length is not a positive multiple of 4.
inline Sequential<float> series_generator(Index latent, Index channels, Index length) {
  const Index l0 = series_latent_shape(latent, length)[1];
  Sequential<float> g;
  // BatchNorm takes (N, C) or (N, C, H, W): the sequences pass through it as (N, C, L, 1).
  g.emplace<Conv1d<float>>(ConvOptions(latent, 64, 3).with_padding(1)).emplace<Reshape<float>>(Shape{64, l0, 1});
  g.emplace<BatchNorm<float>>(64).emplace<Reshape<float>>(Shape{64, l0}).emplace<ReLU<float>>();
  g.emplace<Upsample<float>>(2, UpsampleMode::bilinear).emplace<Conv1d<float>>(ConvOptions(64, 32, 5).with_padding(2));
  g.emplace<Reshape<float>>(Shape{32, 2 * l0, 1}).emplace<BatchNorm<float>>(32).emplace<Reshape<float>>(Shape{32, 2 * l0}).emplace<ReLU<float>>();
  g.emplace<Upsample<float>>(2, UpsampleMode::bilinear).emplace<Conv1d<float>>(ConvOptions(32, channels, 5).with_padding(2));
  g.emplace<Crop1d<float>>(kSeriesMargin, length).emplace<Tanh<float>>();
  return g;
}

/// The critic of the series GAN: Conv1d(C -> 32, k4 s2 p1) -> LeakyReLU(0.2) -> Conv1d(32 -> 64, k4 s2 p1) ->
/// LeakyReLU(0.2) -> Flatten -> Linear(64 T/4 -> 1).
/// @param channels series C.
/// @param length window length T, a multiple of 4.
/// @throws argument_error when length is not a positive multiple of 4.
inline Sequential<float> series_discriminator(Index channels, Index length) {
  if (length < 4 || length % 4 != 0)
    throw argument_error("series_discriminator(): the window length must be a positive multiple of 4, got " + std::to_string(length));
  Sequential<float> d;
  d.emplace<Conv1d<float>>(ConvOptions(channels, 32, 4).with_stride(2).with_padding(1)).emplace<LeakyReLU<float>>(0.2f);
  d.emplace<Conv1d<float>>(ConvOptions(32, 64, 4).with_stride(2).with_padding(1)).emplace<LeakyReLU<float>>(0.2f);
  d.emplace<Flatten<float>>().emplace<Linear<float>>(64 * (length / 4), 1);
  return d;
}

}  // namespace ganpp
