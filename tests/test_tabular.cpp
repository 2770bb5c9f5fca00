// SPDX-License-Identifier: MIT
// The CTGAN pieces: the Gaussian mixture, the exact encode/decode round trip, the Gumbel-softmax layer, the
// conditional vector with training-by-sampling, PacGAN packing, and a tiny table learned in seconds.
#include <catch2/catch.hpp>
#include <ganpp/tabular/ctgan.hpp>

#include "support.hpp"

#include <cmath>

using namespace ganpp;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

TableColumn numeric(const std::string& name, std::vector<double> v, int decimals) {
  TableColumn c;
  c.name = name;
  c.kind = ColumnKind::numeric;
  c.values = std::move(v);
  c.decimals = decimals;
  return c;
}

TableColumn categorical(const std::string& name, std::vector<double> codes, std::vector<std::string> cats) {
  TableColumn c;
  c.name = name;
  c.kind = ColumnKind::categorical;
  c.values = std::move(codes);
  c.categories = std::move(cats);
  return c;
}

bool same_values(const TableColumn& a, const TableColumn& b) {
  if (a.values.size() != b.values.size()) return false;
  for (std::size_t i = 0; i < a.values.size(); ++i)
    if (!(a.values[i] == b.values[i] || (std::isnan(a.values[i]) && std::isnan(b.values[i])))) return false;
  return true;
}

}  // namespace

TEST_CASE("GaussianMixture1d recovers three known modes and drops a tiny one") {
  Rng rng(3);
  std::vector<double> x;
  for (int i = 0; i < 600; ++i) x.push_back(rng.normal(-5, 0.5));
  for (int i = 0; i < 1500; ++i) x.push_back(rng.normal(0, 1));
  for (int i = 0; i < 900; ++i) x.push_back(rng.normal(6, 0.7));
  for (int i = 0; i < 6; ++i) x.push_back(100 + 0.01 * i);  // 0.2% of the data: a mode of its own, then dropped
  GaussianMixture1d g;
  g.fit(x);
  for (Index k = 0; k < g.modes(); ++k) UNSCOPED_INFO("mode " << g.means[static_cast<std::size_t>(k)] << " sd " << g.sds[static_cast<std::size_t>(k)] << " weight " << g.weights[static_cast<std::size_t>(k)]);
  REQUIRE(g.modes() == 3);
  const double want_mean[3] = {-5, 0, 6}, want_sd[3] = {0.5, 1, 0.7}, want_w[3] = {0.2, 0.5, 0.3};
  for (int j = 0; j < 3; ++j) {
    Index found = -1;
    for (Index k = 0; k < g.modes(); ++k)
      if (std::abs(g.means[static_cast<std::size_t>(k)] - want_mean[j]) < 0.2) found = k;
    INFO("mode near " << want_mean[j]);
    REQUIRE(found >= 0);
    CHECK(g.sds[static_cast<std::size_t>(found)] == Approx(want_sd[j]).epsilon(0.15));
    CHECK(g.weights[static_cast<std::size_t>(found)] == Approx(want_w[j]).margin(0.02));
  }
  const auto p = g.posterior(-5);
  CHECK(*std::max_element(p.begin(), p.end()) > 0.99);
}

TEST_CASE("DataTransformer: decode(encode(t)) == t exactly, with missing values, dates, constant and one-category columns") {
  Rng rng(5);
  Table t;
  t.source = "test";
  std::vector<double> a, b, d, k, cat, cat_missing, one;
  for (int i = 0; i < 400; ++i) {
    a.push_back(detail::round_to_decimals(i % 3 == 0 ? rng.normal(-20, 2) : rng.normal(40, 5), 2));
    b.push_back(i % 7 == 0 ? kNaN : detail::round_to_decimals(std::exp(rng.normal(3, 1.5)), 1));  // heavy tail, missing
    d.push_back(18000 + static_cast<double>(rng.below(2000)) + (i % 2 ? (static_cast<double>(rng.below(86400))) / 86400.0 : 0.0));
    k.push_back(i % 5 == 0 ? kNaN : 7);  // constant with missing values
    cat.push_back(static_cast<double>(rng.below(4)));
    cat_missing.push_back(i % 9 == 0 ? -1 : static_cast<double>(rng.below(2)));
    one.push_back(0);
  }
  // Dates with a time are stored as the parser stores them: whole days plus whole seconds / 86400.
  for (double& v : d) v = std::floor(v) + std::round((v - std::floor(v)) * 86400) / 86400;
  t.columns.push_back(numeric("a", a, 2));
  t.columns.push_back(numeric("b", b, 1));
  TableColumn date = numeric("d", d, 0);
  date.kind = ColumnKind::date;
  date.has_time = true;
  t.columns.push_back(date);
  t.columns.push_back(numeric("k", k, 0));
  t.columns.push_back(numeric("const", std::vector<double>(400, 2.5), 1));
  t.columns.push_back(categorical("c", cat, {"w", "x", "y", "z"}));
  t.columns.push_back(categorical("cm", cat_missing, {"yes", "no"}));
  t.columns.push_back(categorical("one", one, {"only"}));
  DataTransformer tr;
  tr.fit(t);
  // a: 1 + modes; b: 1 + modes + 2; d: 1 + modes; k: 2 (indicator); const: 0; c: 4; cm: 3; one: 0.
  const auto& cols = tr.columns();
  CHECK(cols[0].gmm.modes() >= 2);
  CHECK(cols[3].width == 2);
  CHECK(cols[4].width == 0);
  CHECK(cols[6].width == 3);
  CHECK(cols[7].width == 0);
  CHECK(tr.discrete_columns() == std::vector<Index>{5, 6});
  Index covered = 0;
  for (const auto& s : tr.spans()) {
    CHECK(s.start == covered);
    covered += s.width;
  }
  CHECK(covered == tr.width());
  for (std::uint64_t seed : {1u, 2u}) {
    Rng r(seed);
    Tensor<double> x;
    tr.encode(t, r, x);
    const Table back = tr.decode(x);
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      INFO("column " << t.columns[c].name);
      CHECK(same_values(back.columns[c], t.columns[c]));
    }
  }
  Table other = t;
  other.columns[0].name = "renamed";
  Rng r(1);
  Tensor<double> x;
  CHECK_THROWS_AS(tr.encode(other, r, x), argument_error);
  CHECK_THROWS_AS(tr.decode(Tensor<double>(Shape{3, tr.width() + 1})), shape_error);
}

TEST_CASE("gradient check: GumbelSoftmax (soft sample, frozen noise); the hard forward is straight-through") {
  const std::vector<OutputSpan> spans{{0, 1, SpanKind::tanh}, {1, 3, SpanKind::softmax}, {5, 2, SpanKind::softmax}};
  GumbelSoftmax<double> soft(spans, 0.7, false, 9);
  soft.freeze_noise(true);
  test::require_gradients_match(soft, Shape{4, 8});

  GumbelSoftmax<double> hard(spans, 0.2, true, 9), soft2(spans, 0.2, false, 9);
  const Tensor<double> x = test::random_tensor<double>(Shape{5, 8}, 4);
  const Tensor<double> yh = hard.forward(x);
  const Tensor<double> ys = soft2.forward(x);  // the same seed: the same noise
  const Tensor<double> dy = test::random_tensor<double>(Shape{5, 8}, 6);
  const Tensor<double> gh = hard.backward(dy);
  const Tensor<double> gs = soft2.backward(dy);
  for (Index i = 0; i < gh.size(); ++i) CHECK(gh[i] == Approx(gs[i]));
  for (Index r = 0; r < 5; ++r) {
    CHECK(yh[r * 8 + 1] + yh[r * 8 + 2] + yh[r * 8 + 3] == 1.0);
    CHECK(yh[r * 8 + 4] == x[r * 8 + 4]);  // in no span: passed through
    for (Index j = 1; j < 4; ++j) CHECK((yh[r * 8 + j] == 1.0) == (ys[r * 8 + j] >= std::max({ys[r * 8 + 1], ys[r * 8 + 2], ys[r * 8 + 3]})));
  }
  CHECK_THROWS_AS(GumbelSoftmax<float>(spans, 0.0), argument_error);
  CHECK_THROWS_AS(GumbelSoftmax<float>({{0, 2, SpanKind::tanh}}), argument_error);
}

TEST_CASE("GumbelSoftmax: hard samples follow softmax(logits) (the Gumbel-max trick)") {
  GumbelSoftmax<double> g({{0, 3, SpanKind::softmax}}, 0.2, true, 1);
  Tensor<double> x(Shape{20000, 3});
  for (Index r = 0; r < 20000; ++r) x[r * 3] = 0, x[r * 3 + 1] = std::log(2.0), x[r * 3 + 2] = std::log(3.0);
  const Tensor<double>& y = g.forward(x);
  double count[3] = {0, 0, 0};
  for (Index r = 0; r < 20000; ++r)
    for (int j = 0; j < 3; ++j) count[j] += y[r * 3 + j];
  CHECK(count[0] / 20000 == Approx(1.0 / 6).margin(0.015));
  CHECK(count[1] / 20000 == Approx(2.0 / 6).margin(0.015));
  CHECK(count[2] / 20000 == Approx(3.0 / 6).margin(0.015));
}

TEST_CASE("ConditionSampler: log-frequency for training, frequency for generation, rows of the drawn category") {
  Table t;
  std::vector<double> c(100);
  for (int i = 0; i < 100; ++i) c[static_cast<std::size_t>(i)] = i < 90 ? 0 : 1;
  t.columns.push_back(categorical("c", c, {"common", "rare"}));
  DataTransformer tr;
  tr.fit(t);
  Rng rng(2);
  Tensor<double> x;
  tr.encode(t, rng, x);
  const ConditionSampler s(tr, x);
  REQUIRE(s.width() == 2);
  Tensor<double> cond;
  std::vector<Index> col, cat;
  s.sample(20000, rng, true, cond, col, cat);
  double rare = 0;
  for (Index i = 0; i < 20000; ++i) {
    rare += cat[static_cast<std::size_t>(i)] == 1;
    CHECK(cond[i * 2 + cat[static_cast<std::size_t>(i)]] == 1.0);
  }
  CHECK(rare / 20000 == Approx(std::log(11.0) / (std::log(11.0) + std::log(91.0))).margin(0.015));
  s.sample(20000, rng, false, cond, col, cat);
  rare = 0;
  for (Index i = 0; i < 20000; ++i) rare += cat[static_cast<std::size_t>(i)] == 1;
  CHECK(rare / 20000 == Approx(0.1).margin(0.01));
  for (int i = 0; i < 50; ++i) CHECK(s.sample_row(0, 1, rng) >= 90);
}

TEST_CASE("pack_rows: PacGAN's packing is a row-major view") {
  Tensor<float> x(Shape{6, 2});
  for (Index i = 0; i < 12; ++i) x[i] = static_cast<float>(i);
  Tensor<float> p;
  pack_rows(x, 3, p);
  CHECK(p.shape() == Shape{2, 6});
  CHECK(p[6] == 6.0f);
  CHECK_THROWS_AS(pack_rows(x, 4, p), shape_error);
}

TEST_CASE("Ctgan learns a tiny table in seconds: the category mix and the value per category") {
  // Two columns: a category (70% "a", 30% "b") and x ~ N(-3, 0.5) for "a", N(+3, 0.5) for "b".
  Rng rng(11);
  Table t;
  std::vector<double> c, x;
  for (int i = 0; i < 500; ++i) {
    const bool b = rng.uniform() < 0.3;
    c.push_back(b);
    x.push_back(detail::round_to_decimals(rng.normal(b ? 3 : -3, 0.5), 2));
  }
  t.columns.push_back(categorical("c", c, {"a", "b"}));
  t.columns.push_back(numeric("x", x, 2));
  DataTransformer tr;
  tr.fit(t);
  Tensor<float> enc;
  tr.encode(t, rng, enc);
  CtganOptions o;
  o.embedding = 16;
  o.generator_dims = {64, 64};
  o.discriminator_dims = {64, 64};
  o.batch = 100;
  o.lr = 1e-3;
  set_num_threads(1);  // tiny networks: threads cost more than they save
  Ctgan<float> gan(tr, enc, o);
  for (int step = 0; step < 800; ++step) gan.step();
  const Table s = gan.sample(1000);
  double b_share = 0, mean_a = 0, mean_b = 0, na = 0, nb = 0;
  for (Index r = 0; r < 1000; ++r) {
    const bool b = s.columns[0].values[static_cast<std::size_t>(r)] == 1;
    const double v = s.columns[1].values[static_cast<std::size_t>(r)];
    b_share += b;
    (b ? mean_b : mean_a) += v;
    (b ? nb : na) += 1;
  }
  INFO("share of b " << b_share / 1000 << ", mean x | a " << mean_a / na << ", mean x | b " << mean_b / nb);
  CHECK(b_share / 1000 == Approx(0.3).margin(0.1));
  CHECK(mean_a / na < -1.5);
  CHECK(mean_b / nb > 1.5);
}

TEST_CASE("Ctgan: checkpoint round trip gives the same next step") {
  Table t;
  Rng rng(1);
  std::vector<double> c, x;
  for (int i = 0; i < 40; ++i) c.push_back(static_cast<double>(i % 2)), x.push_back(detail::round_to_decimals(rng.normal(), 2));
  t.columns.push_back(categorical("c", c, {"a", "b"}));
  t.columns.push_back(numeric("x", x, 2));
  DataTransformer tr;
  tr.fit(t);
  Tensor<double> enc;
  tr.encode(t, rng, enc);
  CtganOptions o;
  o.embedding = 4;
  o.generator_dims = {8};
  o.discriminator_dims = {8};
  o.batch = 20;
  Ctgan<double> a(tr, enc, o), b(tr, enc, o);
  a.step();
  Checkpoint ck;
  a.save(ck);
  b.load(ck);
  const CtganStats sa = a.step(), sb = b.step();
  CHECK(sa.d_loss == sb.d_loss);
  CHECK(sa.g_loss == sb.g_loss);
  CHECK_THROWS_AS(Ctgan<double>(tr, enc, [] { CtganOptions bad; bad.batch = 25; return bad; }()), argument_error);
}
