// SPDX-License-Identifier: MIT
/// @file
/// Sample-quality metrics: Frechet distance, Inception-style score, class coverage, k-NN precision/recall, and the
/// area under the ROC curve for anomaly scores.
#pragma once

#include "error.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
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

/// Area under the ROC curve of scores meant to be higher for positives (anomalies) than for negatives: the
/// probability that a random positive scores above a random negative, ties counting one half (the Mann-Whitney U
/// statistic divided by n_pos * n_neg; Hanley & McNeil 1982). 1 separates perfectly, 0.5 is chance.
/// @param scores one score per sample, higher meaning more likely positive; must be finite.
/// @param labels 1 for a positive, 0 for a negative, one per score.
/// @throws argument_error for mismatched sizes, labels other than 0 and 1, a missing class or a non-finite score.
inline double auroc(const std::vector<double>& scores, const std::vector<int>& labels) {
  if (scores.size() != labels.size())
    throw argument_error("auroc(): " + std::to_string(scores.size()) + " scores but " + std::to_string(labels.size()) + " labels");
  std::vector<std::size_t> order(scores.size());
  double positives = 0, negatives = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (labels[i] != 0 && labels[i] != 1) throw argument_error("auroc(): label " + std::to_string(labels[i]) + " is not 0 or 1");
    if (!std::isfinite(scores[i])) throw argument_error("auroc(): score " + std::to_string(i) + " is not finite");
    order[i] = i;
    (labels[i] ? positives : negatives) += 1;
  }
  if (positives == 0 || negatives == 0) throw argument_error("auroc(): need at least one positive and one negative");
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
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

}  // namespace ganpp
