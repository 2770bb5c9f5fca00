// SPDX-License-Identifier: MIT
/// @file
/// Measures of synthetic tables and series against real ones: per-column Kolmogorov-Smirnov and total variation,
/// the difference of the association matrices (Pearson, Cramer's V), machine-learning efficacy (train on synthetic,
/// test on real, against train on real), the distance to the closest record, and TimeGAN's discriminative and
/// predictive scores for windows of series.
#pragma once

#include "../classification.hpp"
#include "../data/table.hpp"
#include "../detail/parallel.hpp"
#include "../layers.hpp"
#include "../optim.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <vector>

namespace ganpp {

/// The two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs of a and b. NaN values
/// (missing) are left out.
/// @param a one sample.
/// @param b the other.
/// @throws argument_error when either has no value.
inline double ks_statistic(std::vector<double> a, std::vector<double> b) {
  auto drop_nan = [](std::vector<double>& v) { v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end()); };
  drop_nan(a);
  drop_nan(b);
  if (a.empty() || b.empty()) throw argument_error("ks_statistic(): both samples need a value, got " + std::to_string(a.size()) + " and " + std::to_string(b.size()));
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::size_t i = 0, j = 0;
  double d = 0;
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
    d = std::max(d, std::abs(static_cast<double>(i) / na - static_cast<double>(j) / nb));
  }
  return d;
}

/// The total-variation distance between the category frequencies of two samples: half the sum of the absolute
/// differences. Codes are category indices; a negative code (missing) counts as a category of its own.
/// @param a codes of one sample.
/// @param b codes of the other.
/// @throws argument_error when either is empty.
inline double total_variation(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || b.empty()) throw argument_error("total_variation(): both samples need a value");
  std::map<long long, double> diff;
  for (double v : a) diff[v < 0 ? -1 : std::llround(v)] += 1.0 / static_cast<double>(a.size());
  for (double v : b) diff[v < 0 ? -1 : std::llround(v)] -= 1.0 / static_cast<double>(b.size());
  double s = 0;
  for (const auto& kv : diff) s += std::abs(kv.second);
  return s / 2;
}

/// Pearson's correlation of the pairs where both values are present; 0 when either side is constant or fewer than
/// two pairs remain.
/// @param x one variable.
/// @param y the other, of x's length.
inline double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  double n = 0, mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i)
    if (!std::isnan(x[i]) && !std::isnan(y[i])) n += 1, mx += x[i], my += y[i];
  if (n < 2) return 0;
  mx /= n, my /= n;
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i)
    if (!std::isnan(x[i]) && !std::isnan(y[i])) sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx), syy += (y[i] - my) * (y[i] - my);
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

/// Cramer's V of two categorical variables: sqrt(chi^2 / (n (min(r, c) - 1))) over the categories that occur;
/// 0 when either variable has one category. Codes are category indices, negative for missing (its own category).
/// @param x codes of one variable.
/// @param y codes of the other, of x's length.
inline double cramers_v(const std::vector<double>& x, const std::vector<double>& y) {
  std::map<long long, std::size_t> rx, ry;
  const std::size_t n = std::min(x.size(), y.size());
  std::vector<std::size_t> cx(n), cy(n);
  for (std::size_t i = 0; i < n; ++i) {
    cx[i] = rx.emplace(x[i] < 0 ? -1 : std::llround(x[i]), rx.size()).first->second;
    cy[i] = ry.emplace(y[i] < 0 ? -1 : std::llround(y[i]), ry.size()).first->second;
  }
  const std::size_t r = rx.size(), c = ry.size();
  if (r < 2 || c < 2) return 0;
  Eigen::MatrixXd obs = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c));
  for (std::size_t i = 0; i < n; ++i) obs(static_cast<Eigen::Index>(cx[i]), static_cast<Eigen::Index>(cy[i])) += 1;
  const Eigen::VectorXd row = obs.rowwise().sum(), col = obs.colwise().sum().transpose();
  double chi2 = 0;
  for (Eigen::Index i = 0; i < obs.rows(); ++i)
    for (Eigen::Index j = 0; j < obs.cols(); ++j) {
      const double e = row(i) * col(j) / static_cast<double>(n);
      chi2 += (obs(i, j) - e) * (obs(i, j) - e) / e;
    }
  return std::sqrt(chi2 / (static_cast<double>(n) * static_cast<double>(std::min(r, c) - 1)));
}

/// The fidelity of one column: KS statistic (numeric, date) or total variation (categorical).
struct ColumnScore {
  std::string name;  ///< the column
  ColumnKind kind;   ///< its type
  double score;      ///< KS or TVD, in [0, 1]; lower is closer
};

/// KS (numeric, date) or TVD (categorical) per column of two tables with the same columns.
/// @param real the real table.
/// @param synth the synthetic one.
/// @throws argument_error when the columns differ.
inline std::vector<ColumnScore> column_scores(const Table& real, const Table& synth) {
  if (real.columns.size() != synth.columns.size()) throw argument_error("column_scores(): the tables have different columns");
  std::vector<ColumnScore> out;
  for (std::size_t c = 0; c < real.columns.size(); ++c) {
    const TableColumn& a = real.columns[c];
    const TableColumn& b = synth.columns[c];
    if (a.name != b.name || a.kind != b.kind) throw argument_error("column_scores(): column " + std::to_string(c + 1) + " is '" + a.name + "' in one table and '" + b.name + "' in the other");
    double s;
    if (a.kind == ColumnKind::categorical) {
      s = total_variation(a.values, b.values);
    } else {
      const bool a_any = a.missing_count() < static_cast<Index>(a.values.size()), b_any = b.missing_count() < static_cast<Index>(b.values.size());
      s = a_any && b_any ? ks_statistic(a.values, b.values) : (a_any == b_any ? 0.0 : 1.0);
    }
    out.push_back({a.name, a.kind, s});
  }
  return out;
}

namespace detail {
/// A numeric column as decile codes of the reference column (missing: -1), for Cramer's V against a category.
inline std::vector<double> decile_codes(const TableColumn& col, const TableColumn& reference) {
  std::vector<double> ref;
  for (double v : reference.values)
    if (!std::isnan(v)) ref.push_back(v);
  std::sort(ref.begin(), ref.end());
  std::vector<double> edges;
  for (int q = 1; q < 10 && !ref.empty(); ++q) edges.push_back(ref[static_cast<std::size_t>(q * (ref.size() - 1) / 10)]);
  std::vector<double> out;
  for (double v : col.values) out.push_back(std::isnan(v) ? -1.0 : static_cast<double>(std::lower_bound(edges.begin(), edges.end(), v) - edges.begin()));
  return out;
}
}  // namespace detail

/// The association matrix of a table: Pearson's correlation for two numeric (or date) columns, Cramer's V for two
/// categorical ones, and for a mixed pair Cramer's V with the numeric column cut at the deciles of `reference`'s
/// column (so that two tables are binned alike). The diagonal is 1.
/// @param t the table.
/// @param reference the table whose deciles bin the numeric columns (the real table; t itself when omitted).
inline Eigen::MatrixXd association_matrix(const Table& t, const Table* reference = nullptr) {
  const Table& ref = reference ? *reference : t;
  const auto k = static_cast<Eigen::Index>(t.columns.size());
  Eigen::MatrixXd m = Eigen::MatrixXd::Identity(k, k);
  for (Eigen::Index i = 0; i < k; ++i)
    for (Eigen::Index j = i + 1; j < k; ++j) {
      const TableColumn& a = t.columns[static_cast<std::size_t>(i)];
      const TableColumn& b = t.columns[static_cast<std::size_t>(j)];
      const bool na = a.kind != ColumnKind::categorical, nb = b.kind != ColumnKind::categorical;
      double v;
      if (na && nb)
        v = pearson(a.values, b.values);
      else
        v = cramers_v(na ? detail::decile_codes(a, ref.columns[static_cast<std::size_t>(i)]) : a.values,
                      nb ? detail::decile_codes(b, ref.columns[static_cast<std::size_t>(j)]) : b.values);
      m(i, j) = m(j, i) = v;
    }
  return m;
}

/// The mean absolute difference of the association matrices of real and synthetic over the pairs of columns.
/// @param real the real table.
/// @param synth the synthetic table, with real's columns.
/// @throws argument_error for tables of other column counts.
inline double association_difference(const Table& real, const Table& synth) {
  if (real.columns.size() != synth.columns.size()) throw argument_error("association_difference(): the tables have different columns");
  const Eigen::MatrixXd a = association_matrix(real), b = association_matrix(synth, &real);
  const auto k = a.rows();
  if (k < 2) return 0;
  return (a - b).cwiseAbs().sum() / static_cast<double>(k * (k - 1));
}

/// Rows of a table as points: numeric and date columns standardised by a reference table's mean and standard
/// deviation (missing: 0 plus an indicator), categorical columns one-hot (missing: a category of its own).
/// Distance 0 means identical rows.
class RowSpace {
 public:
  /// Fits the standardisation on a table.
  /// @param t the reference table (the real training rows).
  /// @param skip a column left out (the efficacy target), or -1.
  explicit RowSpace(const Table& t, Index skip = -1) : skip_(skip) {
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      const TableColumn& col = t.columns[c];
      Feature f;
      if (col.kind == ColumnKind::categorical) {
        f.categories = static_cast<Index>(col.categories.size());
      } else {
        double n = 0, m = 0, s = 0;
        for (double v : col.values)
          if (!std::isnan(v)) n += 1, m += v;
        m = n > 0 ? m / n : 0;
        for (double v : col.values)
          if (!std::isnan(v)) s += (v - m) * (v - m);
        f.mean = m;
        f.sd = n > 1 && s > 0 ? std::sqrt(s / n) : 1.0;
      }
      features_.push_back(f);
      if (static_cast<Index>(c) != skip_) width_ += col.kind == ColumnKind::categorical ? f.categories + 1 : 2;
    }
  }
  /// The number of coordinates.
  Index width() const { return width_; }
  /// The points of a table with the reference's columns, one row each ((rows, width()) row-major).
  /// @param t the table.
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> embed(const Table& t) const {
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> x = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>::Zero(t.rows(), width_);
    Index at = 0;
    for (std::size_t c = 0; c < t.columns.size() && c < features_.size(); ++c) {
      if (static_cast<Index>(c) == skip_) continue;
      const Feature& f = features_[c];
      const TableColumn& col = t.columns[c];
      for (Index r = 0; r < t.rows(); ++r) {
        const double v = col.values[static_cast<std::size_t>(r)];
        if (col.kind == ColumnKind::categorical) {
          const Index k = v < 0 || v >= static_cast<double>(f.categories) ? f.categories : static_cast<Index>(v);
          x(r, at + k) = 1;
        } else if (std::isnan(v)) {
          x(r, at + 1) = 1;
        } else {
          x(r, at) = (v - f.mean) / f.sd;
        }
      }
      at += col.kind == ColumnKind::categorical ? f.categories + 1 : 2;
    }
    return x;
  }

 private:
  struct Feature {
    double mean = 0, sd = 1;
    Index categories = 0;
  };
  std::vector<Feature> features_;
  Index skip_;
  Index width_ = 0;
};

/// For each row of `rows`, the Euclidean distance (in `space`) to its closest row of `train`. 0 means a copy.
/// @param rows the rows to check (synthetic, or held-out real rows for the baseline).
/// @param train the training rows.
/// @param space the row space (fitted on train).
inline std::vector<double> distance_to_closest(const Table& rows, const Table& train, const RowSpace& space) {
  const auto a = space.embed(rows), b = space.embed(train);
  std::vector<double> out(static_cast<std::size_t>(a.rows()));
  detail::parallel_for(a.rows(), a.rows() * b.rows() > 100000, [&](Index i) {
    double best = std::numeric_limits<double>::infinity();
    for (Eigen::Index j = 0; j < b.rows() && best > 0; ++j) best = std::min(best, (a.row(i) - b.row(j)).squaredNorm());
    out[static_cast<std::size_t>(i)] = std::sqrt(best);
  });
  return out;
}

/// The q-quantile (0..1) of values (linear interpolation between order statistics).
/// @param v the values (not empty).
/// @param q the quantile.
/// @throws argument_error for an empty v.
inline double quantile(std::vector<double> v, double q) {
  if (v.empty()) throw argument_error("quantile(): no values");
  std::sort(v.begin(), v.end());
  const double at = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(at));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (at - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

/// The classifier of the efficacy and discriminative scores: an MLP (two hidden ReLU layers) trained with Adam on
/// softmax cross-entropy.
struct ClassifierOptions {
  Index hidden = 64;       ///< hidden width
  Index epochs = 30;       ///< passes over the training rows
  Index batch = 64;        ///< rows per step
  double lr = 1e-3;        ///< Adam learning rate
  std::uint64_t seed = 0;  ///< initialisation and shuffling
};

namespace detail {
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

inline Sequential<float> mlp(Index in, Index hidden, Index out, std::uint64_t seed) {
  Sequential<float> net;
  net.emplace<Linear<float>>(in, hidden).emplace<ReLU<float>>().emplace<Linear<float>>(hidden, hidden).emplace<ReLU<float>>().emplace<Linear<float>>(hidden, out);
  Rng rng(seed);
  net.reset_parameters(Init::torch_default, rng);
  return net;
}

/// Trains a classifier on (x, y) and returns the accuracy on (tx, ty).
inline double train_and_test_classifier(const RowMatrix& x, const std::vector<int>& y, const RowMatrix& tx, const std::vector<int>& ty, Index classes, const ClassifierOptions& o) {
  Sequential<float> net = mlp(x.cols(), o.hidden, classes, o.seed);
  Adam<float> opt(net.parameters(), {o.lr, 0.9, 0.999});
  Rng rng(o.seed + 1);
  std::vector<Index> order(static_cast<std::size_t>(x.rows()));
  std::iota(order.begin(), order.end(), Index(0));
  Tensor<float> batch, grad;
  std::vector<int> labels;
  for (Index e = 0; e < o.epochs; ++e) {
    rng.shuffle(order);
    for (Index s = 0; s < x.rows(); s += o.batch) {
      const Index b = std::min(o.batch, x.rows() - s);
      batch.resize(Shape{b, x.cols()});
      labels.resize(static_cast<std::size_t>(b));
      for (Index i = 0; i < b; ++i) {
        const Index r = order[static_cast<std::size_t>(s + i)];
        for (Index j = 0; j < x.cols(); ++j) batch[i * x.cols() + j] = static_cast<float>(x(r, j));
        labels[static_cast<std::size_t>(i)] = y[static_cast<std::size_t>(r)];
      }
      opt.zero_grad();
      softmax_cross_entropy(net.forward(batch), labels, grad);
      net.backward(grad);
      opt.step();
    }
  }
  net.eval();
  Tensor<float> test(Shape{tx.rows(), tx.cols()});
  for (Index r = 0; r < tx.rows(); ++r)
    for (Index j = 0; j < tx.cols(); ++j) test[r * tx.cols() + j] = static_cast<float>(tx(r, j));
  const Tensor<float>& logits = net.forward(test);
  Index right = 0;
  for (Index r = 0; r < tx.rows(); ++r) {
    Index best = 0;
    for (Index k = 1; k < classes; ++k)
      if (logits[r * classes + k] > logits[r * classes + best]) best = k;
    right += best == ty[static_cast<std::size_t>(r)];
  }
  return static_cast<double>(right) / static_cast<double>(tx.rows());
}
}  // namespace detail

/// Machine-learning efficacy: the accuracy on `test` of a classifier of the categorical column `target` trained on
/// `train` (synthetic rows for TSTR, real rows for TRTR). The features are the other columns in the RowSpace of
/// `reference` (the real training rows), so that both runs see the same encoding; a missing target is a class.
/// @param train the rows to train on.
/// @param test the held-out real rows.
/// @param reference the real training rows (fixes the encoding).
/// @param target the index of the target column; it must be categorical.
/// @param o the classifier's options.
/// @throws argument_error for a non-categorical target or empty tables.
inline double efficacy_accuracy(const Table& train, const Table& test, const Table& reference, Index target, const ClassifierOptions& o = {}) {
  if (target < 0 || target >= static_cast<Index>(reference.columns.size()) || reference.columns[static_cast<std::size_t>(target)].kind != ColumnKind::categorical)
    throw argument_error("efficacy_accuracy(): the target must be a categorical column");
  if (train.rows() < 1 || test.rows() < 1) throw argument_error("efficacy_accuracy(): empty training or test rows");
  const RowSpace space(reference, target);
  const Index classes = static_cast<Index>(reference.columns[static_cast<std::size_t>(target)].categories.size()) + 1;
  auto labels = [&](const Table& t) {
    std::vector<int> y;
    for (double v : t.columns[static_cast<std::size_t>(target)].values) y.push_back(v < 0 || v >= static_cast<double>(classes - 1) ? static_cast<int>(classes - 1) : static_cast<int>(v));
    return y;
  };
  return detail::train_and_test_classifier(space.embed(train), labels(train), space.embed(test), labels(test), classes, o);
}

/// TimeGAN's discriminative score: |accuracy - 0.5| of a post-hoc classifier of real against synthetic windows
/// (trained on 80% of each, tested on the other 20%); 0 when they cannot be told apart, 0.5 when always.
/// @param real real windows, (N, C, T) or (N, F).
/// @param synth synthetic windows, of real's per-sample shape.
/// @param o the classifier's options.
/// @throws shape_error when the per-sample shapes differ or either has fewer than 5 windows.
inline double discriminative_score(const Tensor<float>& real, const Tensor<float>& synth, const ClassifierOptions& o = {}) {
  if (real.shape().sample_shape() != synth.shape().sample_shape() || real.batch() < 5 || synth.batch() < 5)
    throw shape_error("discriminative_score(): expected at least 5 windows of the same shape each, got " + real.shape().str() + " and " + synth.shape().str());
  const Index f = real.shape().sample_size();
  const Index train_real = real.batch() * 4 / 5, train_synth = synth.batch() * 4 / 5;
  detail::RowMatrix x(train_real + train_synth, f), tx(real.batch() - train_real + synth.batch() - train_synth, f);
  std::vector<int> y, ty;
  Index xi = 0, ti = 0;
  auto put = [&](const Tensor<float>& t, Index n_train, int label) {
    for (Index r = 0; r < t.batch(); ++r) {
      auto& m = r < n_train ? x : tx;
      Index& at = r < n_train ? xi : ti;
      for (Index j = 0; j < f; ++j) m(at, j) = t[r * f + j];
      ++at;
      (r < n_train ? y : ty).push_back(label);
    }
  };
  put(real, train_real, 1);
  put(synth, train_synth, 0);
  return std::abs(detail::train_and_test_classifier(x, y, tx, ty, 2, o) - 0.5);
}

/// TimeGAN's predictive score, in a feed-forward form: a regressor (the classifier's MLP with a linear output) from
/// the first T - 1 steps of a window to its last step is trained on synthetic windows; its mean absolute error on the
/// real windows. Lower is better; train-on-real gives the reference.
/// @param train windows to train on, (N, C, T).
/// @param test real windows, (M, C, T).
/// @param o the regressor's options (hidden width, epochs, batch, learning rate, seed).
/// @throws shape_error when the windows are not (N, C, T) with T >= 2 and matching C and T.
inline double predictive_score(const Tensor<float>& train, const Tensor<float>& test, const ClassifierOptions& o = {}) {
  if (train.rank() != 3 || test.rank() != 3 || train.shape().sample_shape() != test.shape().sample_shape() || train.dim(2) < 2 || train.batch() < 1 || test.batch() < 1)
    throw shape_error("predictive_score(): expected windows (N, C, T) with T >= 2 of the same C and T, got " + train.shape().str() + " and " + test.shape().str());
  const Index c = train.dim(1), t = train.dim(2), in = c * (t - 1);
  Sequential<float> net = detail::mlp(in, o.hidden, c, o.seed);
  Adam<float> opt(net.parameters(), {o.lr, 0.9, 0.999});
  Rng rng(o.seed + 1);
  auto split = [&](const Tensor<float>& w, const std::vector<Index>& rows, Tensor<float>& x, Tensor<float>& y) {
    const Index n = static_cast<Index>(rows.size());
    x.resize(Shape{n, in});
    y.resize(Shape{n, c});
    for (Index i = 0; i < n; ++i)
      for (Index ch = 0; ch < c; ++ch) {
        const float* s = w.data() + (rows[static_cast<std::size_t>(i)] * c + ch) * t;
        std::copy_n(s, t - 1, x.data() + i * in + ch * (t - 1));
        y[i * c + ch] = s[t - 1];
      }
  };
  std::vector<Index> order(static_cast<std::size_t>(train.batch()));
  std::iota(order.begin(), order.end(), Index(0));
  Tensor<float> x, y, grad;
  for (Index e = 0; e < o.epochs; ++e) {
    rng.shuffle(order);
    for (Index s = 0; s < train.batch(); s += o.batch) {
      const std::vector<Index> rows(order.begin() + s, order.begin() + std::min(train.batch(), s + o.batch));
      split(train, rows, x, y);
      opt.zero_grad();
      const Tensor<float>& p = net.forward(x);
      grad.resize(p.shape());
      for (Index i = 0; i < p.size(); ++i) grad[i] = (p[i] > y[i] ? 1.0f : p[i] < y[i] ? -1.0f : 0.0f) / static_cast<float>(p.size());  // L1
      net.backward(grad);
      opt.step();
    }
  }
  net.eval();
  std::vector<Index> all(static_cast<std::size_t>(test.batch()));
  std::iota(all.begin(), all.end(), Index(0));
  split(test, all, x, y);
  const Tensor<float>& p = net.forward(x);
  double err = 0;
  for (Index i = 0; i < p.size(); ++i) err += std::abs(static_cast<double>(p[i]) - y[i]);
  return err / static_cast<double>(p.size());
}

}  // namespace ganpp
