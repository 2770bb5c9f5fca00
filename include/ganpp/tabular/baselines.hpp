// SPDX-License-Identifier: MIT
/// @file
/// The baselines a tabular GAN must beat: every column sampled independently from its marginal, and a Gaussian
/// copula (the marginals joined by the correlation of their normal scores).
#pragma once

#include "../data/table.hpp"
#include "../random.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <vector>

namespace ganpp {

/// n rows, each column drawn independently from its empirical marginal (missing values included): every
/// association between columns is lost.
/// @param train the training rows (at least one).
/// @param n how many rows.
/// @param rng the draws.
/// @throws argument_error for an empty training table.
inline Table sample_marginals(const Table& train, Index n, Rng& rng) {
  if (train.rows() < 1) throw argument_error("sample_marginals(): the training table has no rows");
  Table t = train.empty_like();
  for (std::size_t c = 0; c < t.columns.size(); ++c)
    for (Index i = 0; i < n; ++i) t.columns[c].values.push_back(train.columns[c].values[static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(train.rows())))]);
  return t;
}

namespace detail {
/// The standard normal CDF.
inline double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
/// The standard normal quantile, by bisection on normal_cdf to 1e-13, for p in (0, 1).
inline double normal_quantile(double p) {
  double lo = -40, hi = 40;
  for (int i = 0; i < 100 && hi - lo > 1e-13; ++i) {
    const double mid = 0.5 * (lo + hi);
    (normal_cdf(mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}
}  // namespace detail

/// A Gaussian copula over a table: each column's values become normal scores through its empirical CDF
/// (categories: the midpoint of their frequency interval, missing a category of its own), the scores' correlation
/// matrix is estimated, and samples go back through the empirical quantiles. Numeric missing values are drawn
/// independently at the column's missing rate.
class GaussianCopula {
 public:
  /// Fits the marginals and the correlation.
  /// @param train the training rows (at least two).
  /// @throws argument_error for fewer than two rows.
  explicit GaussianCopula(const Table& train) : shape_(train.empty_like()) {
    const Index n = train.rows();
    if (n < 2) throw argument_error("GaussianCopula::GaussianCopula(): need at least two training rows");
    const auto k = static_cast<Eigen::Index>(train.columns.size());
    Eigen::MatrixXd z(n, k);
    for (Eigen::Index c = 0; c < k; ++c) {
      const TableColumn& col = train.columns[static_cast<std::size_t>(c)];
      Marginal m;
      if (col.kind == ColumnKind::categorical) {
        std::map<long long, double> count;
        for (double v : col.values) count[v < 0 ? -1 : std::llround(v)] += 1;
        std::vector<std::pair<double, long long>> by_freq;
        by_freq.reserve(count.size());
        for (const auto& kv : count) by_freq.emplace_back(-kv.second, kv.first);
        std::sort(by_freq.begin(), by_freq.end());
        double cum = 0;
        std::map<long long, double> mid;
        for (const auto& [neg, code] : by_freq) {
          const double p = -neg / static_cast<double>(n);
          m.codes.push_back(static_cast<double>(code));
          m.upper.push_back(cum + p);
          mid[code] = cum + p / 2;
          cum += p;
        }
        for (Index r = 0; r < n; ++r) {
          const double v = col.values[static_cast<std::size_t>(r)];
          z(r, c) = detail::normal_quantile(mid[v < 0 ? -1 : std::llround(v)]);
        }
      } else {
        for (double v : col.values)
          if (!std::isnan(v)) m.sorted.push_back(v);
        std::sort(m.sorted.begin(), m.sorted.end());
        m.missing_rate = 1.0 - static_cast<double>(m.sorted.size()) / static_cast<double>(n);
        const double np = static_cast<double>(m.sorted.size());
        for (Index r = 0; r < n; ++r) {
          const double v = col.values[static_cast<std::size_t>(r)];
          if (std::isnan(v) || m.sorted.empty()) {
            z(r, c) = 0;
            continue;
          }
          const double below = static_cast<double>(std::lower_bound(m.sorted.begin(), m.sorted.end(), v) - m.sorted.begin());
          const double equal = static_cast<double>(std::upper_bound(m.sorted.begin(), m.sorted.end(), v) - m.sorted.begin()) - below;
          z(r, c) = detail::normal_quantile((below + equal / 2) / np);
        }
      }
      marginals_.push_back(std::move(m));
    }
    const Eigen::MatrixXd centered = z.rowwise() - z.colwise().mean();
    Eigen::MatrixXd cov = centered.transpose() * centered / static_cast<double>(n - 1);
    Eigen::VectorXd sd = cov.diagonal().cwiseSqrt();
    for (Eigen::Index i = 0; i < k; ++i) sd(i) = sd(i) > 0 ? sd(i) : 1.0;
    Eigen::MatrixXd corr = sd.cwiseInverse().asDiagonal() * cov * sd.cwiseInverse().asDiagonal();
    for (int tries = 0;; ++tries) {  // a jitter of 1e-9, 1e-8, ... on the diagonal until the factorisation succeeds
      Eigen::LLT<Eigen::MatrixXd> llt(corr + std::pow(10.0, tries - 9) * Eigen::MatrixXd::Identity(k, k));
      if (llt.info() == Eigen::Success) {
        chol_ = llt.matrixL();
        break;
      }
    }
  }

  /// n rows drawn from the copula.
  /// @param n how many.
  /// @param rng the draws.
  Table sample(Index n, Rng& rng) const {
    Table t = shape_;
    const auto k = chol_.rows();
    Eigen::VectorXd e(k);
    for (auto& col : t.columns) col.values.resize(static_cast<std::size_t>(n));
    for (Index r = 0; r < n; ++r) {
      for (Eigen::Index i = 0; i < k; ++i) e(i) = rng.normal();
      const Eigen::VectorXd z = chol_ * e;
      for (Eigen::Index c = 0; c < k; ++c) {
        const Marginal& m = marginals_[static_cast<std::size_t>(c)];
        const double u = detail::normal_cdf(z(c));
        double& v = t.columns[static_cast<std::size_t>(c)].values[static_cast<std::size_t>(r)];
        if (t.columns[static_cast<std::size_t>(c)].kind == ColumnKind::categorical) {
          const auto at = static_cast<std::size_t>(std::lower_bound(m.upper.begin(), m.upper.end(), u) - m.upper.begin());
          v = m.codes[std::min(at, m.codes.size() - 1)];
        } else if (m.sorted.empty() || rng.uniform() < m.missing_rate) {
          v = std::numeric_limits<double>::quiet_NaN();
        } else {
          v = m.sorted[std::min(m.sorted.size() - 1, static_cast<std::size_t>(u * static_cast<double>(m.sorted.size())))];
        }
      }
    }
    return t;
  }

 private:
  struct Marginal {
    std::vector<double> sorted;          // numeric: the present values
    double missing_rate = 0;             // numeric: the share of missing values
    std::vector<double> codes, upper;    // categorical: codes by frequency and their cumulative upper bounds
  };
  Table shape_;
  std::vector<Marginal> marginals_;
  Eigen::MatrixXd chol_;
};

}  // namespace ganpp
