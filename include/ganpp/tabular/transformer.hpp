// SPDX-License-Identifier: MIT
/// @file
/// CTGAN's data transformation (Xu et al. 2019, "Modeling Tabular Data using Conditional GAN"): each continuous
/// column is normalised per mode of a Gaussian mixture fitted by EM, each categorical column is one-hot. A Table
/// becomes a (rows, width) tensor and back, exactly: decode(encode(t)) == t, value for value.
#pragma once

#include "../data/table.hpp"
#include "../layers/gumbel_softmax.hpp"
#include "../random.hpp"
#include "../tensor.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace ganpp {

/// A one-dimensional Gaussian mixture fitted by expectation-maximisation.
struct GaussianMixture1d {
  /// Mixing weights, summing to 1.
  std::vector<double> weights;
  /// Component means.
  std::vector<double> means;
  /// Component standard deviations (positive).
  std::vector<double> sds;

  /// Fits the mixture: EM for every number of modes from 1 to max_modes (from two starts: evenly spaced quantiles and
  /// farthest points; beyond 4000 values, on 4000 evenly spaced order statistics),
  /// the number with the lowest BIC kept; then modes lighter than min_weight are dropped and the weights renormalised. CTGAN uses a variational Bayesian mixture to the same end: few modes where the data has few.
  /// @param x the values (finite; at least one).
  /// @param max_modes the most modes (CTGAN: 10).
  /// @param min_weight modes lighter than this are dropped (CTGAN: 0.005).
  /// @param iterations EM iterations per fit.
  /// @throws argument_error for an empty x, a non-finite value or max_modes < 1.
  void fit(std::vector<double> x, int max_modes = 10, double min_weight = 0.005, int iterations = 100) {
    if (x.empty() || max_modes < 1) throw argument_error("GaussianMixture1d::fit(): need at least one value and one mode");
    for (double v : x)
      if (!std::isfinite(v)) throw argument_error("GaussianMixture1d::fit(): value " + std::to_string(v) + " is not finite");
    std::sort(x.begin(), x.end());
    if (x.size() > 4000) {  // the fit sees 4000 evenly spaced order statistics: the same distribution, less work
      std::vector<double> sub(4000);
      for (std::size_t i = 0; i < sub.size(); ++i) sub[i] = x[i * (x.size() - 1) / (sub.size() - 1)];
      x.swap(sub);
    }
    const double n = static_cast<double>(x.size());
    const double mean = std::accumulate(x.begin(), x.end(), 0.0) / n;
    double var = 0;
    for (double v : x) var += (v - mean) * (v - mean);
    const double sd = std::sqrt(var / n);
    // The floor keeps a mode on a repeated value (a spike of zeros) from collapsing to zero width.
    floor_ = sd > 0 ? 1e-3 * sd : 1.0;
    double best_bic = std::numeric_limits<double>::infinity();
    GaussianMixture1d best;
    const int most = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(max_modes), x.size()));
    for (int k = 1; k <= most; ++k) {
      // Two starts per k, the better likelihood kept: means at evenly spaced quantiles, and farthest-point means
      // (the median, then each time the value farthest from the means so far), which gives outliers a mode of their own.
      for (int start = 0; start < 2; ++start) {
        GaussianMixture1d m;
        m.floor_ = floor_;
        for (int j = 0; j < k; ++j) {
          double at = x[static_cast<std::size_t>((j + 0.5) / k * (n - 1))];
          if (start == 1) {
            at = x[x.size() / 2];
            double far = -1;
            for (std::size_t i = 0; j > 0 && i < x.size(); i += 1 + x.size() / 1000) {
              double near = std::numeric_limits<double>::infinity();
              for (double mu : m.means) near = std::min(near, std::abs(x[i] - mu));
              if (near > far) far = near, at = x[i];
            }
            for (double e : {x.front(), x.back()}) {  // the extremes too: the stride may skip them
              double near = std::numeric_limits<double>::infinity();
              for (double mu : m.means) near = std::min(near, std::abs(e - mu));
              if (j > 0 && near > far) far = near, at = e;
            }
          }
          m.means.push_back(at);
          m.sds.push_back(std::max(sd / k, floor_));
          m.weights.push_back(1.0 / k);
        }
        const double ll = m.em(x, iterations);
        const double bic = (3.0 * k - 1) * std::log(n) - 2 * ll;
        if (bic < best_bic) best_bic = bic, best = m;
      }
    }
    *this = best;
    // Modes under min_weight are dropped and the rest renormalised, without refitting (as CTGAN keeps only the
    // components its Bayesian mixture weighs above 0.005): a refit would stretch a kept mode over the dropped points.
    for (std::size_t j = weights.size(); j-- > 0;)
      if (weights[j] < min_weight && weights.size() > 1) {
        weights.erase(weights.begin() + static_cast<std::ptrdiff_t>(j));
        means.erase(means.begin() + static_cast<std::ptrdiff_t>(j));
        sds.erase(sds.begin() + static_cast<std::ptrdiff_t>(j));
      }
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    for (double& w : weights) w /= total;
  }

  /// The number of modes.
  Index modes() const { return static_cast<Index>(weights.size()); }

  /// The posterior probability of each mode given the value v.
  /// @param v a finite value.
  std::vector<double> posterior(double v) const {
    std::vector<double> p(weights.size());
    double top = -std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < p.size(); ++j) top = std::max(top, p[j] = log_component(j, v));
    double total = 0;
    for (double& q : p) total += q = std::exp(q - top);
    for (double& q : p) q /= total;
    return p;
  }

 private:
  double log_component(std::size_t j, double v) const {
    const double z = (v - means[j]) / sds[j];
    return std::log(weights[j]) - std::log(sds[j]) - 0.5 * z * z - 0.9189385332046727;
  }

  // EM on sorted x; returns the final log-likelihood.
  double em(const std::vector<double>& x, int iterations) {
    const std::size_t k = weights.size(), n = x.size();
    std::vector<double> resp(n * k);
    double ll = 0;
    for (int it = 0; it < iterations; ++it) {
      double new_ll = 0;
      for (std::size_t i = 0; i < n; ++i) {
        double top = -std::numeric_limits<double>::infinity();
        for (std::size_t j = 0; j < k; ++j) top = std::max(top, resp[i * k + j] = log_component(j, x[i]));
        double total = 0;
        for (std::size_t j = 0; j < k; ++j) total += resp[i * k + j] = std::exp(resp[i * k + j] - top);
        for (std::size_t j = 0; j < k; ++j) resp[i * k + j] /= total;
        new_ll += top + std::log(total);
      }
      for (std::size_t j = 0; j < k; ++j) {
        double w = 0, m = 0;
        for (std::size_t i = 0; i < n; ++i) w += resp[i * k + j], m += resp[i * k + j] * x[i];
        if (w < 1e-12) {  // an empty mode: keep it, weightless, to be dropped
          weights[j] = 1e-12;
          continue;
        }
        m /= w;
        double v = 0;
        for (std::size_t i = 0; i < n; ++i) v += resp[i * k + j] * (x[i] - m) * (x[i] - m);
        weights[j] = w / static_cast<double>(n);
        means[j] = m;
        sds[j] = std::max(std::sqrt(v / w), floor_);
      }
      const bool done = it > 0 && std::abs(new_ll - ll) < 1e-8 * std::max(1.0, std::abs(ll));
      ll = new_ll;
      if (done) break;
    }
    return ll;
  }

  double floor_ = 1.0;
};

/// CTGAN's reversible transformation of a Table into rows of numbers.
///
/// Per column, in the table's order:
/// - numeric or date: alpha = (x - mu_k) / (4 sigma_k) (a tanh span), then the one-hot mode k (a softmax span), where k
///   is drawn from the mode posterior of x (as CTGAN does); with missing values, then a 2-way missing indicator
///   (present, missing) and the column mean stands in for x;
/// - categorical: the one-hot category, with one more category "missing" when the column has missing values;
/// - a column with one value (a constant numeric column, or one category), and no missing value, takes no space: it
///   is written back as that value. With missing values, only the indicator remains.
/// decode() clips a continuous value to the training range and rounds it to the column's decimals (dates: to the
/// second or the day), so that decode(encode(t)) gives back t's values exactly.
class DataTransformer {
 public:
  /// What the transformer keeps of one column.
  struct ColumnInfo {
    /// The column's name, kind and format (categories, decimals, date format); no values.
    TableColumn meta;
    /// Continuous: the mixture (empty when constant).
    GaussianMixture1d gmm;
    double min = 0;   ///< continuous: the training minimum of the present values
    double max = 0;   ///< continuous: the training maximum
    double mean = 0;  ///< continuous: the training mean (stands in for missing values)
    /// Whether the training column had missing values.
    bool has_missing = false;
    Index start = 0;  ///< first column of this column's encoding
    Index width = 0;  ///< its width (0 for a constant column without missing values)
    /// Categorical: the index among the conditional vector's discrete columns, or -1 (continuous, constant).
    Index discrete = -1;
  };

  /// Fits the mixtures and lays out the encoding.
  /// @param t the training table (at least one row).
  /// @param max_modes the most modes per continuous column.
  /// @throws argument_error for a table without rows.
  void fit(const Table& t, int max_modes = 10) {
    if (t.rows() < 1) throw argument_error("DataTransformer::fit(): " + t.source + " has no rows");
    columns_.clear();
    spans_.clear();
    discrete_.clear();
    source_ = t.source;
    format_ = t.format;
    Index at = 0;
    for (const TableColumn& c : t.columns) {
      ColumnInfo info;
      info.meta = c;
      info.meta.values.clear();
      info.has_missing = c.missing_count() > 0;
      info.start = at;
      if (c.kind == ColumnKind::categorical) {
        const Index k = static_cast<Index>(c.categories.size()) + (info.has_missing ? 1 : 0);
        if (k > 1) {
          spans_.push_back({at, k, SpanKind::softmax});
          info.discrete = static_cast<Index>(discrete_.size());
          discrete_.push_back(static_cast<Index>(columns_.size()));
          at += k;
        }
      } else {
        std::vector<double> present;
        for (double v : c.values)
          if (!std::isnan(v)) present.push_back(v);
        if (!present.empty()) {
          info.min = *std::min_element(present.begin(), present.end());
          info.max = *std::max_element(present.begin(), present.end());
          info.mean = std::accumulate(present.begin(), present.end(), 0.0) / static_cast<double>(present.size());
        }
        if (info.max > info.min) {
          info.gmm.fit(present, max_modes);
          spans_.push_back({at, 1, SpanKind::tanh});
          spans_.push_back({at + 1, info.gmm.modes(), SpanKind::softmax});
          at += 1 + info.gmm.modes();
        }
        if (info.has_missing && !present.empty()) {
          spans_.push_back({at, 2, SpanKind::softmax});
          at += 2;
        }
      }
      info.width = at - info.start;
      columns_.push_back(std::move(info));
    }
    width_ = at;
  }

  /// The width of an encoded row.
  Index width() const { return width_; }
  /// The spans of an encoded row, in order; they tile [0, width()).
  const std::vector<OutputSpan>& spans() const { return spans_; }
  /// The columns, in the table's order.
  const std::vector<ColumnInfo>& columns() const { return columns_; }
  /// The table indices of the discrete (categorical, non-constant) columns: those the conditional vector picks from.
  const std::vector<Index>& discrete_columns() const { return discrete_; }

  /// Encodes a table with the fitted columns.
  /// @param t a table with the fitted table's columns (names and kinds); categories must be known ones.
  /// @param rng draws each continuous value's mode from its posterior.
  /// @param out the (rows, width()) encoding.
  /// @throws argument_error when t's columns differ from the fitted ones or hold an unknown category.
  template <typename Scalar>
  void encode(const Table& t, Rng& rng, Tensor<Scalar>& out) const {
    check_columns(t, "encode");
    const Index n = t.rows();
    out.resize(Shape{n, width_});
    out.set_zero();
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      const ColumnInfo& info = columns_[c];
      const TableColumn& col = t.columns[c];
      for (Index r = 0; r < n; ++r) {
        Scalar* row = out.data() + r * width_ + info.start;
        const double v = col.values[static_cast<std::size_t>(r)];
        if (col.kind == ColumnKind::categorical) {
          if (info.width == 0) continue;
          const Index k = v < 0 ? static_cast<Index>(info.meta.categories.size()) : static_cast<Index>(v);
          if (k >= info.width || (v < 0 && !info.has_missing))
            throw argument_error("DataTransformer::encode(): column '" + info.meta.name + "' row " + std::to_string(r) + " holds a category the fitted table did not have");
          row[k] = Scalar(1);
          continue;
        }
        const bool missing = std::isnan(v);
        if (missing && !info.has_missing)
          throw argument_error("DataTransformer::encode(): column '" + info.meta.name + "' row " + std::to_string(r) + " is missing; the fitted column had no missing values");
        Index used = 0;
        if (info.max > info.min) {
          const double x = missing ? info.mean : v;
          const std::vector<double> p = info.gmm.posterior(x);
          double u = rng.uniform(), acc = 0;
          std::size_t mode = p.size() - 1;
          for (std::size_t j = 0; j < p.size(); ++j)
            if ((acc += p[j]) > u) {
              mode = j;
              break;
            }
          row[0] = static_cast<Scalar>((x - info.gmm.means[mode]) / (4 * info.gmm.sds[mode]));
          row[1 + mode] = Scalar(1);
          used = 1 + info.gmm.modes();
        }
        if (info.has_missing && info.width > used) row[used + (missing ? 1 : 0)] = Scalar(1);
      }
    }
  }

  /// Decodes rows (generated ones: one-hot spans are read by their largest entry) into a table with the fitted columns.
  /// @param x a (rows, width()) tensor.
  /// @return the table, in the fitted column order and formats.
  /// @throws shape_error when x is not (rows, width()).
  template <typename Scalar>
  Table decode(const Tensor<Scalar>& x) const {
    if (x.shape().rank() != 2 || x.dim(1) != width_)
      throw shape_error("DataTransformer::decode(): expected (N, " + std::to_string(width_) + "), got " + x.shape().str());
    Table t;
    t.source = source_;
    t.format = format_;
    const Index n = x.dim(0);
    for (const ColumnInfo& info : columns_) {
      TableColumn col = info.meta;
      col.values.assign(static_cast<std::size_t>(n), 0.0);
      for (Index r = 0; r < n; ++r) {
        const Scalar* row = x.data() + r * width_ + info.start;
        double& v = col.values[static_cast<std::size_t>(r)];
        if (col.kind == ColumnKind::categorical) {
          if (info.width == 0) {
            v = info.has_missing ? -1 : 0;
            continue;
          }
          const Index k = argmax(row, info.width);
          v = k == static_cast<Index>(info.meta.categories.size()) ? -1.0 : static_cast<double>(k);
          continue;
        }
        Index used = 0;
        v = info.min;
        if (info.max > info.min) {
          const Index mode = argmax(row + 1, info.gmm.modes());
          const double raw = static_cast<double>(row[0]) * 4 * info.gmm.sds[static_cast<std::size_t>(mode)] + info.gmm.means[static_cast<std::size_t>(mode)];
          v = round_value(info, std::clamp(raw, info.min, info.max));
          used = 1 + info.gmm.modes();
        }
        if (info.has_missing && (info.width == used || row[used + 1] > row[used])) v = std::numeric_limits<double>::quiet_NaN();
      }
      t.columns.push_back(std::move(col));
    }
    return t;
  }

 private:
  template <typename Scalar>
  static Index argmax(const Scalar* p, Index n) {
    Index best = 0;
    for (Index i = 1; i < n; ++i)
      if (p[i] > p[best]) best = i;
    return best;
  }

  static double round_value(const ColumnInfo& info, double v) {
    if (info.meta.kind == ColumnKind::numeric) return detail::round_to_decimals(v, info.meta.decimals);
    // Dates: whole days, or days plus whole seconds, computed as the parser does.
    const double whole = std::floor(v);
    if (!info.meta.has_time) return std::round(v);
    const double secs = std::round((v - whole) * 86400.0);
    return whole + secs / 86400.0;
  }

  void check_columns(const Table& t, const char* method) const {
    bool ok = t.columns.size() == columns_.size();
    for (std::size_t c = 0; ok && c < columns_.size(); ++c) ok = t.columns[c].name == columns_[c].meta.name && t.columns[c].kind == columns_[c].meta.kind;
    if (!ok) throw argument_error(std::string("DataTransformer::") + method + "(): " + t.source + " does not have the columns (names and types) of the fitted table " + source_);
  }

  std::vector<ColumnInfo> columns_;
  std::vector<OutputSpan> spans_;
  std::vector<Index> discrete_;
  Index width_ = 0;
  std::string source_;
  TableFormat format_ = TableFormat::csv;
};

}  // namespace ganpp
