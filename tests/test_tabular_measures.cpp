// SPDX-License-Identifier: MIT
// The measures of synthetic tables and series against hand-computed cases, and the two baselines.
#include <catch2/catch.hpp>
#include <ganpp/tabular/baselines.hpp>
#include <ganpp/tabular/measures.hpp>

#include <cmath>

using namespace ganpp;

namespace {

const double kMissingValue = std::numeric_limits<double>::quiet_NaN();

TableColumn column(const std::string& name, ColumnKind kind, std::vector<double> v, std::vector<std::string> cats = {}) {
  TableColumn c;
  c.name = name;
  c.kind = kind;
  c.values = std::move(v);
  c.categories = std::move(cats);
  return c;
}

// x ~ N(0, 1), y = r x + sqrt(1 - r^2) e, and a category "pos"/"neg" by the sign of x.
Table correlated(Index n, double r, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<double> x, y, c;
  for (Index i = 0; i < n; ++i) {
    const double a = rng.normal();
    x.push_back(a);
    y.push_back(r * a + std::sqrt(1 - r * r) * rng.normal());
    c.push_back(a > 0 ? 0 : 1);
  }
  Table t;
  t.columns = {column("x", ColumnKind::numeric, x), column("y", ColumnKind::numeric, y), column("c", ColumnKind::categorical, c, {"pos", "neg"})};
  return t;
}

}  // namespace

TEST_CASE("ks_statistic, total_variation, pearson and cramers_v against hand-computed values") {
  // CDF gaps at 1, 2, 3, 4: 1/3, 2/3 - 1/4, 1 - 2/4, 1 - 3/4: the largest is 1/2.
  CHECK(ks_statistic({1, 2, 3, kMissingValue}, {2, 3, 4, 5}) == Approx(0.5));
  CHECK(ks_statistic({1, 1, 2}, {1, 1, 2}) == 0.0);
  CHECK_THROWS_AS(ks_statistic({kMissingValue}, {1}), argument_error);
  // Frequencies (0, 1, missing): (1/2, 1/4, 1/4) against (1/4, 3/4, 0): (1/4 + 1/2 + 1/4) / 2.
  CHECK(total_variation({0, 0, 1, -1}, {0, 1, 1, 1}) == Approx(0.5));
  // sxy = 11, sxx = 5, syy = 26.
  CHECK(pearson({1, 2, 3, 4, kMissingValue}, {2, 4, 5, 9, 100}) == Approx(11 / std::sqrt(130.0)));
  CHECK(pearson({1, 1, 1}, {1, 2, 3}) == 0.0);
  // The table [[3, 1], [1, 3]]: chi^2 = 4 * 1^2 / 2 = 2, V = sqrt(2 / 8).
  CHECK(cramers_v({0, 0, 0, 0, 1, 1, 1, 1}, {0, 0, 0, 1, 1, 1, 1, 0}) == Approx(0.5));
  CHECK(cramers_v({0, 0, 1, 1}, {0, 0, 1, 1}) == Approx(1.0));
  CHECK(cramers_v({0, 0, 0}, {0, 1, 0}) == 0.0);
}

TEST_CASE("association_difference: the mean gap of the association matrices") {
  Table a, b;
  a.columns = {column("x", ColumnKind::numeric, {1, 2, 3, 4}), column("y", ColumnKind::numeric, {2, 4, 5, 9})};
  b.columns = {column("x", ColumnKind::numeric, {1, 2, 3, 4}), column("y", ColumnKind::numeric, {4, 3, 2, 1})};
  CHECK(association_difference(a, b) == Approx(11 / std::sqrt(130.0) + 1));  // r = 0.965 against r = -1
  CHECK(association_difference(a, a) == 0.0);
  // A mixed pair: the category is the upper half of x, perfectly associated (V = 1) in a, not at all in c.
  // 100 values: x cut into deciles of 10 values each; k the upper half (V = 1), or alternating (V = 0).
  Table m, c;
  std::vector<double> x, half, alternating;
  for (int i = 0; i < 100; ++i) x.push_back(i), half.push_back(i >= 50), alternating.push_back(i % 2);
  m.columns = {column("x", ColumnKind::numeric, x), column("k", ColumnKind::categorical, half, {"lo", "hi"})};
  CHECK(association_matrix(m)(0, 1) == Approx(1.0));
  c = m;
  c.columns[1].values = alternating;
  CHECK(association_matrix(c, &m)(0, 1) == Approx(0.0).margin(1e-12));
}

TEST_CASE("distance_to_closest: 0 for a copy, the standardised distance otherwise") {
  Table train, rows;
  train.columns = {column("x", ColumnKind::numeric, {0, 3}), column("c", ColumnKind::categorical, {0, 1}, {"a", "b"})};
  rows.columns = {column("x", ColumnKind::numeric, {0, 1.5, kMissingValue}), column("c", ColumnKind::categorical, {0, 0, 0}, {"a", "b"})};
  const RowSpace space(train);  // x: mean 1.5, sd 1.5
  const auto d = distance_to_closest(rows, train, space);
  CHECK(d[0] == 0.0);
  CHECK(d[1] == Approx(1.0));
  CHECK(d[2] == Approx(std::sqrt(2.0)));  // (0, missing) against (-1, present): sqrt(1 + 1)
  CHECK(quantile({4, 1, 3, 2}, 0.5) == Approx(2.5));
}

TEST_CASE("efficacy_accuracy: a learnable target is learned from real rows, not from rows with shuffled labels") {
  set_num_threads(1);  // tiny networks: threads cost more than they save
  const Table train = correlated(400, 0.0, 1), test = correlated(200, 0.0, 2);
  ClassifierOptions o;
  o.epochs = 10;
  CHECK(efficacy_accuracy(train, test, train, 2, o) > 0.9);  // c is the sign of x
  Table shuffled = train;
  Rng rng(3);
  rng.shuffle(shuffled.columns[2].values);
  CHECK(efficacy_accuracy(shuffled, test, train, 2, o) < 0.75);
  CHECK_THROWS_AS(efficacy_accuracy(train, test, train, 0, o), argument_error);
}

TEST_CASE("sample_marginals keeps each column and loses the correlation; the Gaussian copula keeps both") {
  const Table real = correlated(2000, 0.9, 4);
  Rng rng(5);
  const Table marg = sample_marginals(real, 2000, rng);
  const GaussianCopula copula(real);
  const Table cop = copula.sample(2000, rng);
  for (const Table* t : {&marg, &cop})
    for (const ColumnScore& s : column_scores(real, *t)) CHECK(s.score < 0.06);
  CHECK(std::abs(pearson(marg.columns[0].values, marg.columns[1].values)) < 0.1);
  CHECK(pearson(cop.columns[0].values, cop.columns[1].values) == Approx(0.9).margin(0.05));
  CHECK(association_difference(real, cop) < association_difference(real, marg) / 3);
  CHECK(detail::normal_quantile(0.975) == Approx(1.959964).epsilon(1e-6));
}

TEST_CASE("discriminative_score and predictive_score: 0-ish for the same distribution, large for different ones") {
  set_num_threads(1);
  Rng rng(6);
  auto windows = [&](Index n, bool sine) {
    Tensor<float> w(Shape{n, 1, 12});
    for (Index i = 0; i < n; ++i) {
      const double phase = rng.uniform(0, 6.283);
      for (Index t = 0; t < 12; ++t) w[i * 12 + t] = static_cast<float>(sine ? std::sin(phase + 0.5 * static_cast<double>(t)) : rng.normal(0, 0.7));
    }
    return w;
  };
  const Tensor<float> a = windows(300, true), b = windows(300, true), noise = windows(300, false);
  ClassifierOptions o;
  o.epochs = 15;
  CHECK(discriminative_score(a, b, o) < 0.15);
  CHECK(discriminative_score(a, noise, o) > 0.35);
  const double same = predictive_score(b, a, o), other = predictive_score(noise, a, o);
  INFO("MAE trained on sines " << same << ", on noise " << other);
  CHECK(same < 0.15);
  CHECK(other > 2 * same);
}
