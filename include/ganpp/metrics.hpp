// SPDX-License-Identifier: MIT
/// @file
/// Sample-quality metrics: Frechet distance, Inception-style score, class coverage, k-NN precision/recall, the area
/// under the ROC curve for anomaly scores, and the image-fidelity metrics PSNR and SSIM.
#pragma once

#include "error.hpp"
#include "tensor.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace ganpp {

/// Feature vectors, one row per sample.
using FeatureMatrix = Eigen::MatrixXd;

namespace detail {
inline void check_features(const char* fn, const FeatureMatrix& a, const FeatureMatrix& b, Eigen::Index min_rows) {
  if (a.rows() < min_rows || b.rows() < min_rows || a.cols() != b.cols() || a.cols() < 1)
    throw argument_error(std::string(fn) + "(): need two feature sets with the same dimension and at least " + std::to_string(min_rows) +
                         " rows each, got " + std::to_string(a.rows()) + "x" + std::to_string(a.cols()) + " and " +
                         std::to_string(b.rows()) + "x" + std::to_string(b.cols()));
  // A NaN would not fail loudly here: it would come out as a NaN score or, through max/min clamps, as a plausible one.
  for (const FeatureMatrix* m : {&a, &b})
    if (!m->allFinite()) {
      Eigen::Index row = 0;
      while (m->row(row).allFinite()) ++row;
      throw argument_error(std::string(fn) + "(): the " + (m == &a ? "first" : "second") + " feature set has a non-finite value in row " +
                           std::to_string(row));
    }
}
}  // namespace detail

/// Frechet distance between Gaussians fitted to two feature sets (Heusel et al. 2017, "FID"):
/// |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)).
/// tr((S_a S_b)^(1/2)) is computed as the sum of square roots of the eigenvalues of the symmetric matrix
/// S_a^(1/2) S_b S_a^(1/2), which has the same spectrum, so near-singular covariances stay stable (tiny negative
/// eigenvalues from rounding are clamped to zero).
inline double frechet_distance(const FeatureMatrix& a, const FeatureMatrix& b) {
  detail::check_features("frechet_distance", a, b, 2);
  const Eigen::RowVectorXd mu_a = a.colwise().mean(), mu_b = b.colwise().mean();
  const Eigen::MatrixXd ca = a.rowwise() - mu_a, cb = b.rowwise() - mu_b;
  const Eigen::MatrixXd sa = ca.transpose() * ca / static_cast<double>(a.rows() - 1);
  const Eigen::MatrixXd sb = cb.transpose() * cb / static_cast<double>(b.rows() - 1);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> ea(sa);
  const Eigen::VectorXd roots = ea.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  const Eigen::MatrixXd sqrt_a = ea.eigenvectors() * roots.asDiagonal() * ea.eigenvectors().transpose();
  const Eigen::MatrixXd m = sqrt_a * sb * sqrt_a;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> em(0.5 * (m + m.transpose()), Eigen::EigenvaluesOnly);
  const double tr_sqrt = em.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
  return std::max(0.0, (mu_a - mu_b).squaredNorm() + sa.trace() + sb.trace() - 2.0 * tr_sqrt);
}

/// Inception-style score (Salimans et al. 2016) from class probabilities, one row per sample:
/// exp(E_x KL(p(y|x) || p(y))). 1 for a single repeated class or uniform predictions; K for confident,
/// evenly spread predictions over K classes.
/// Computed over all rows at once (no splits).
/// @throws argument_error for an empty matrix or a negative or non-finite probability.
inline double inception_score(const Eigen::MatrixXd& probs) {
  if (probs.rows() < 1 || probs.cols() < 1) throw argument_error("inception_score(): no probabilities");
  if (!probs.allFinite() || probs.minCoeff() < 0)
    throw argument_error("inception_score(): probabilities must be finite and non-negative (pass softmax outputs, not logits)");
  const Eigen::RowVectorXd marginal = probs.colwise().mean();
  double kl = 0;
  for (Eigen::Index i = 0; i < probs.rows(); ++i)
    for (Eigen::Index j = 0; j < probs.cols(); ++j) {
      const double p = probs(i, j);
      if (p > 0) kl += p * (std::log(p) - std::log(marginal(j)));
    }
  return std::exp(kl / static_cast<double>(probs.rows()));
}

/// Classes the samples cover: a class counts when at least `min_share` of the samples (default 1/(4K)) are
/// predicted as it. Returns the count, and writes the histogram of predictions when asked.
inline int classes_covered(const Eigen::MatrixXd& probs, double min_share = -1, std::vector<int>* histogram = nullptr) {
  if (probs.rows() < 1 || probs.cols() < 1) throw argument_error("classes_covered(): no probabilities");
  const Eigen::Index k = probs.cols();
  if (min_share < 0) min_share = 1.0 / (4.0 * static_cast<double>(k));
  std::vector<int> h(static_cast<std::size_t>(k), 0);
  for (Eigen::Index i = 0; i < probs.rows(); ++i) {
    Eigen::Index best;
    probs.row(i).maxCoeff(&best);
    ++h[static_cast<std::size_t>(best)];
  }
  int covered = 0;
  for (int c : h) covered += static_cast<double>(c) >= min_share * static_cast<double>(probs.rows());
  if (histogram) *histogram = h;
  return covered;
}

/// Improved precision and recall (Kynkaanniemi et al. 2019): each set's manifold is the union of balls around
/// its points with radius the distance to the point's k-th nearest neighbour in the same set. Precision is the
/// share of generated samples inside the real manifold; recall the share of real samples inside the generated one.
struct PrecisionRecall {
  /// @var precision
  /// Share of generated samples inside the real manifold, in [0, 1]: how realistic the samples are.
  /// @var recall
  /// Share of real samples inside the generated manifold, in [0, 1]: how much of the data the generator covers.
  double precision = 0, recall = 0;
};

/// Improved precision and recall (see PrecisionRecall) of generated features against real ones.
/// Works in blocks of rows, so memory stays O(n) beyond the inputs; time is O(n^2 d).
/// @param real features of real samples, one row per sample.
/// @param generated features of generated samples, one row per sample, with real's number of columns.
/// @param k the neighbour that sets each ball's radius (3 in the paper); each set needs more than k rows.
/// @throws argument_error for k < 1, sets of different dimensions, or sets of k rows or fewer.
inline PrecisionRecall precision_recall(const FeatureMatrix& real, const FeatureMatrix& generated, int k = 3) {
  if (k < 1) throw argument_error("precision_recall(): k must be >= 1, got " + std::to_string(k));
  detail::check_features("precision_recall", real, generated, k + 1);
  constexpr Eigen::Index kBlock = 512;
  // Squared distances from rows [start, start + n) of x to every row of y: an n x y.rows() matrix.
  auto sq_dists = [](const FeatureMatrix& x, Eigen::Index start, Eigen::Index n, const FeatureMatrix& y, const Eigen::VectorXd& y_norms) {
    Eigen::MatrixXd d = -2.0 * x.middleRows(start, n) * y.transpose();
    d.colwise() += x.middleRows(start, n).rowwise().squaredNorm();
    d.rowwise() += y_norms.transpose();
    return d;
  };
  // Squared distance from each row to its k-th nearest neighbour in the same set (the row itself is the 0-th).
  auto radii = [&](const FeatureMatrix& x) {
    const Eigen::VectorXd norms = x.rowwise().squaredNorm();
    Eigen::VectorXd r(x.rows());
    std::vector<double> row(static_cast<std::size_t>(x.rows()));
    for (Eigen::Index start = 0; start < x.rows(); start += kBlock) {
      const Eigen::Index n = std::min(kBlock, x.rows() - start);
      const Eigen::MatrixXd d = sq_dists(x, start, n, x, norms);
      for (Eigen::Index i = 0; i < n; ++i) {
        for (Eigen::Index j = 0; j < x.rows(); ++j) row[static_cast<std::size_t>(j)] = d(i, j);
        row[static_cast<std::size_t>(start + i)] = 0.0;  // exactly zero to itself, whatever the rounding
        std::nth_element(row.begin(), row.begin() + k, row.end());
        r(start + i) = row[static_cast<std::size_t>(k)];
      }
    }
    return r;
  };
  // Share of the queries that fall inside at least one ball of the set.
  auto coverage = [&](const FeatureMatrix& set, const Eigen::VectorXd& set_radii, const FeatureMatrix& queries) {
    const Eigen::VectorXd norms = set.rowwise().squaredNorm();
    Eigen::Index inside = 0;
    for (Eigen::Index start = 0; start < queries.rows(); start += kBlock) {
      const Eigen::Index n = std::min(kBlock, queries.rows() - start);
      const Eigen::MatrixXd d = sq_dists(queries, start, n, set, norms);
      for (Eigen::Index i = 0; i < n; ++i) inside += (d.row(i).transpose().array() <= set_radii.array()).any() ? 1 : 0;
    }
    return static_cast<double>(inside) / static_cast<double>(queries.rows());
  };
  const Eigen::VectorXd real_r = radii(real), gen_r = radii(generated);
  return {coverage(real, real_r, generated), coverage(generated, gen_r, real)};
}

namespace detail {
// Checks scores and 0/1 labels for auroc() and average_precision(); returns the number of positives and sets
// `order` to the sample indices sorted by ascending score.
inline double check_scored_labels(const char* fn, const std::vector<double>& scores, const std::vector<int>& labels, std::vector<std::size_t>& order) {
  const std::string f(fn);
  if (scores.size() != labels.size())
    throw argument_error(f + "(): " + std::to_string(scores.size()) + " scores but " + std::to_string(labels.size()) + " labels");
  order.resize(scores.size());
  double positives = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (labels[i] != 0 && labels[i] != 1) throw argument_error(f + "(): label " + std::to_string(labels[i]) + " is not 0 or 1");
    if (!std::isfinite(scores[i])) throw argument_error(f + "(): score " + std::to_string(i) + " is not finite");
    order[i] = i;
    positives += labels[i];
  }
  if (positives == 0 || positives == static_cast<double>(scores.size()))
    throw argument_error(f + "(): need at least one positive and one negative");
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  return positives;
}
}  // namespace detail

/// Area under the ROC curve of scores meant to be higher for positives (anomalies) than for negatives: the
/// probability that a random positive scores above a random negative, ties counting one half (the Mann-Whitney U
/// statistic divided by n_pos * n_neg; Hanley & McNeil 1982). 1 separates perfectly, 0.5 is chance.
/// @param scores one score per sample, higher meaning more likely positive; must be finite.
/// @param labels 1 for a positive, 0 for a negative, one per score.
/// @throws argument_error for mismatched sizes, labels other than 0 and 1, a missing class or a non-finite score.
inline double auroc(const std::vector<double>& scores, const std::vector<int>& labels) {
  std::vector<std::size_t> order;
  const double positives = detail::check_scored_labels("auroc", scores, labels, order);
  const double negatives = static_cast<double>(scores.size()) - positives;
  // Sum of the positives' ranks (1-based), tied scores sharing their average rank.
  double rank_sum = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double average_rank = 0.5 * static_cast<double>(i + 1 + j);
    for (std::size_t t = i; t < j; ++t) rank_sum += labels[order[t]] ? average_rank : 0.0;
    i = j;
  }
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

/// Average precision, the area under the precision-recall curve as a step function: with the distinct scores t_1 >
/// t_2 > ... taken in turn as thresholds (a sample is called positive when its score is >= t_k), AP = sum_k (R_k -
/// R_{k-1}) P_k, where P_k and R_k are the precision and the recall at t_k and R_0 = 0. Tied scores form one
/// threshold, so their order does not matter (scikit-learn's average_precision_score computes the same). 1 ranks
/// every positive first; a random ranking gives about the share of positives.
/// @param scores one score per sample, higher meaning more likely positive; must be finite.
/// @param labels 1 for a positive, 0 for a negative, one per score.
/// @throws argument_error for mismatched sizes, labels other than 0 and 1, a missing class or a non-finite score.
inline double average_precision(const std::vector<double>& scores, const std::vector<int>& labels) {
  std::vector<std::size_t> order;
  const double positives = detail::check_scored_labels("average_precision", scores, labels, order);
  double tp = 0, called = 0, recall = 0, ap = 0;
  for (std::size_t j = order.size(); j > 0;) {  // descending score, one tied group at a time
    std::size_t i = j;
    while (i > 0 && scores[order[i - 1]] == scores[order[j - 1]]) --i;
    for (std::size_t t = i; t < j; ++t) tp += labels[order[t]];
    called += static_cast<double>(j - i);
    const double r = tp / positives;
    ap += (r - recall) * (tp / called);
    recall = r;
    j = i;
  }
  return ap;
}

namespace detail {
template <typename Scalar>
void check_image_pair(const char* fn, const Tensor<Scalar>& a, const Tensor<Scalar>& b, double data_range) {
  if (a.shape() != b.shape() || a.rank() < 2 || a.empty())
    throw shape_error(std::string(fn) + "(): expected two non-empty batches of images of the same shape, got " + a.shape().str() + " and " +
                      b.shape().str());
  if (!(data_range > 0) || !std::isfinite(data_range))
    throw argument_error(std::string(fn) + "(): data_range must be positive and finite, got " + std::to_string(data_range));
}
}  // namespace detail

/// Peak signal-to-noise ratio in decibels, 10 log10(L^2 / MSE), computed per image (the MSE over its channels and
/// pixels) and then averaged over the batch, as super-resolution papers report a test set's mean PSNR. An image
/// identical to its reference has PSNR +infinity, and then so has the mean.
/// @tparam Scalar float or double; the arithmetic is done in double.
/// @param a a batch of images, (N, C, H, W) or any shape with the batch first.
/// @param b the reference images, of a's shape.
/// @param data_range L, the distance between the smallest and the largest possible value: 2 for images in [-1, 1],
///        1 for [0, 1], 255 for 8-bit images.
/// @throws shape_error for different or unbatched shapes (the message prints both); argument_error for L <= 0.
template <typename Scalar>
double psnr(const Tensor<Scalar>& a, const Tensor<Scalar>& b, double data_range) {
  detail::check_image_pair("psnr", a, b, data_range);
  const Index n = a.batch(), per_image = a.shape().sample_size();
  double total = 0;
  for (Index i = 0; i < n; ++i) {
    double sq = 0;
    for (Index j = i * per_image; j < (i + 1) * per_image; ++j) {
      const double d = static_cast<double>(a[j]) - static_cast<double>(b[j]);
      sq += d * d;
    }
    const double mse = sq / static_cast<double>(per_image);
    if (mse == 0) return std::numeric_limits<double>::infinity();  // an identical image: so is the mean
    total += 10.0 * std::log10(data_range * data_range / mse);
  }
  return total / static_cast<double>(n);
}

/// Options of ssim(); the defaults are Wang et al.'s.
struct SsimOptions {
  double k1 = 0.01;    ///< C1 = (k1 L)^2 stabilises the luminance term
  double k2 = 0.03;    ///< C2 = (k2 L)^2 stabilises the contrast-structure term
  double sigma = 1.5;  ///< standard deviation of the Gaussian window
  Index window = 11;   ///< side of the square window (odd)
};

/// Structural similarity (Wang, Bovik, Sheikh & Simoncelli 2004, "Image quality assessment: from error visibility to
/// structural similarity"), with the paper's 11x11 Gaussian window of standard deviation 1.5, normalised to sum 1:
/// at each window position, with local Gaussian-weighted means mu, variances s^2 and covariance s_ab,
/// SSIM = (2 mu_a mu_b + C1)(2 s_ab + C2) / ((mu_a^2 + mu_b^2 + C1)(s_a^2 + s_b^2 + C2)).
/// Conventions, those of the authors' MATLAB code and of scikit-image's structural_similarity with
/// gaussian_weights=True, use_sample_covariance=False: only 'valid' windows (entirely inside the image, no padding),
/// weighted (not sample) variances, each channel on its own. The result is the mean over window positions, channels
/// and images: 1 for identical images.
/// @tparam Scalar float or double; the arithmetic is done in double.
/// @param a a batch of images (N, C, H, W), H and W at least the window side (11).
/// @param b the reference images, of a's shape.
/// @param data_range L, as for psnr(): 2 for images in [-1, 1], 255 for 8-bit images.
/// @param options the window and constants; the defaults are the paper's.
/// @throws shape_error for different shapes, a rank other than 4 or images smaller than the window (the message prints
///         both shapes); argument_error for L <= 0 or bad options.
template <typename Scalar>
double ssim(const Tensor<Scalar>& a, const Tensor<Scalar>& b, double data_range, const SsimOptions& options = {}) {
  detail::check_image_pair("ssim", a, b, data_range);
  const Index win = options.window;
  if (win < 1 || win % 2 == 0 || !(options.sigma > 0) || !(options.k1 > 0) || !(options.k2 > 0))
    throw argument_error("ssim(): the window must have an odd positive side and sigma, k1, k2 must be positive, got window " + std::to_string(win) +
                         ", sigma " + std::to_string(options.sigma));
  if (a.rank() != 4 || a.dim(2) < win || a.dim(3) < win)
    throw shape_error("ssim(): expected images (N, C, H, W) with H, W >= " + std::to_string(win) + ", got " + a.shape().str() + " and " +
                      b.shape().str());
  // The 2-d Gaussian window is the outer product of this normalised 1-d one, so filtering is separable.
  std::vector<double> g(static_cast<std::size_t>(win));
  double g_sum = 0;
  const Index half = win / 2;
  for (Index i = 0; i < win; ++i) {
    const double d = static_cast<double>(i - half);
    g[static_cast<std::size_t>(i)] = std::exp(-d * d / (2 * options.sigma * options.sigma));
    g_sum += g[static_cast<std::size_t>(i)];
  }
  for (double& v : g) v /= g_sum;
  const double c1 = (options.k1 * data_range) * (options.k1 * data_range), c2 = (options.k2 * data_range) * (options.k2 * data_range);
  const Index h = a.dim(2), w = a.dim(3), out_h = h - win + 1, out_w = w - win + 1;
  // Per plane: the five maps a, b, a^2, b^2, ab filtered along rows (h x out_w), then along columns (out_h x out_w).
  std::array<Eigen::MatrixXd, 5> rows, filtered;
  for (auto& m : rows) m.resize(h, out_w);
  for (auto& m : filtered) m.resize(out_h, out_w);
  double total = 0;
  for (Index plane = 0; plane < a.dim(0) * a.dim(1); ++plane) {
    const Scalar* pa = a.data() + plane * h * w;
    const Scalar* pb = b.data() + plane * h * w;
    for (Index y = 0; y < h; ++y)
      for (Index x = 0; x < out_w; ++x) {
        std::array<double, 5> s{};
        for (Index k = 0; k < win; ++k) {
          const double va = static_cast<double>(pa[y * w + x + k]), vb = static_cast<double>(pb[y * w + x + k]);
          const double gk = g[static_cast<std::size_t>(k)];
          s[0] += gk * va;
          s[1] += gk * vb;
          s[2] += gk * va * va;
          s[3] += gk * vb * vb;
          s[4] += gk * va * vb;
        }
        for (std::size_t m = 0; m < 5; ++m) rows[m](y, x) = s[m];
      }
    for (std::size_t m = 0; m < 5; ++m) {
      filtered[m] = g[0] * rows[m].topRows(out_h);
      for (Index k = 1; k < win; ++k) filtered[m] += g[static_cast<std::size_t>(k)] * rows[m].middleRows(k, out_h);
    }
    for (Index y = 0; y < out_h; ++y)
      for (Index x = 0; x < out_w; ++x) {
        const double mu_a = filtered[0](y, x), mu_b = filtered[1](y, x);
        const double var_a = filtered[2](y, x) - mu_a * mu_a, var_b = filtered[3](y, x) - mu_b * mu_b, cov = filtered[4](y, x) - mu_a * mu_b;
        total += (2 * mu_a * mu_b + c1) * (2 * cov + c2) / ((mu_a * mu_a + mu_b * mu_b + c1) * (var_a + var_b + c2));
      }
  }
  return total / static_cast<double>(a.dim(0) * a.dim(1) * out_h * out_w);
}

}  // namespace ganpp
