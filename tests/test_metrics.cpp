// SPDX-License-Identifier: MIT
// Sample-quality metrics against closed forms and synthetic point clouds; softmax cross-entropy's gradient; AUROC.
#include <catch2/catch.hpp>
#include <ganpp/classification.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/metrics.hpp>

#include <Eigen/Dense>

#include <cmath>
#include <limits>
#include <vector>

using namespace ganpp;

namespace {

Eigen::MatrixXd normal_matrix(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  Rng rng(seed);
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = rng.normal();
  return m;
}

// A feature set whose sample mean is exactly `mean` and whose sample covariance (divided by n - 1) is exactly
// `cov`: whitened normal draws, coloured by cov's Cholesky factor. The closed forms then hold to rounding.
FeatureMatrix with_moments(const Eigen::RowVectorXd& mean, const Eigen::MatrixXd& cov, Eigen::Index n, std::uint64_t seed) {
  Eigen::MatrixXd x = normal_matrix(n, mean.size(), seed);
  x.rowwise() -= x.colwise().mean();
  const Eigen::MatrixXd sample_cov = x.transpose() * x / static_cast<double>(n - 1);
  const Eigen::MatrixXd white = Eigen::LLT<Eigen::MatrixXd>(sample_cov).matrixL().solve(x.transpose()).transpose();
  const Eigen::MatrixXd l = Eigen::LLT<Eigen::MatrixXd>(cov).matrixL();
  FeatureMatrix out = white * l.transpose();
  out.rowwise() += mean;
  return out;
}

Eigen::MatrixXd one_hot(const std::vector<int>& classes, Eigen::Index k) {
  Eigen::MatrixXd p = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(classes.size()), k);
  for (std::size_t i = 0; i < classes.size(); ++i) p(static_cast<Eigen::Index>(i), classes[i]) = 1.0;
  return p;
}

}  // namespace

TEST_CASE("frechet_distance: diagonal Gaussians match |mu_a - mu_b|^2 + sum (sqrt(a_i) - sqrt(b_i))^2", "[metrics]") {
  Eigen::RowVectorXd mu_a(3), mu_b(3);
  mu_a << 1.0, -2.0, 0.5;
  mu_b << 0.0, 1.0, 0.5;
  const Eigen::Vector3d var_a(4.0, 1.0, 0.25), var_b(1.0, 9.0, 0.25);
  const FeatureMatrix a = with_moments(mu_a, var_a.asDiagonal().toDenseMatrix(), 200, 1);
  const FeatureMatrix b = with_moments(mu_b, var_b.asDiagonal().toDenseMatrix(), 300, 2);
  const double expected = (mu_a - mu_b).squaredNorm() + (var_a.cwiseSqrt() - var_b.cwiseSqrt()).squaredNorm();  // 10 + 1 + 4
  CHECK(frechet_distance(a, b) == Approx(expected).epsilon(1e-9));
  CHECK(frechet_distance(b, a) == Approx(expected).epsilon(1e-9));
}

TEST_CASE("frechet_distance: non-diagonal Gaussians match the closed forms", "[metrics]") {
  SECTION("2-d, non-commuting covariances: tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)) for a 2x2 M with positive eigenvalues") {
    Eigen::Matrix2d sa, sb;
    sa << 2.0, 0.8, 0.8, 1.0;
    sb << 0.5, -0.3, -0.3, 3.0;
    Eigen::RowVectorXd mu_a(2), mu_b(2);
    mu_a << 0.0, 1.0;
    mu_b << 2.0, -1.0;
    const FeatureMatrix a = with_moments(mu_a, sa, 150, 3), b = with_moments(mu_b, sb, 120, 4);
    const Eigen::Matrix2d m = sa * sb;
    const double tr_sqrt = std::sqrt(m.trace() + 2.0 * std::sqrt(m.determinant()));
    const double expected = (mu_a - mu_b).squaredNorm() + sa.trace() + sb.trace() - 2.0 * tr_sqrt;
    CHECK(frechet_distance(a, b) == Approx(expected).epsilon(1e-9));
  }
  SECTION("8-d, S_b = c^2 S_a: the distance is |mu_a - mu_b|^2 + (1 - c)^2 tr S_a") {
    const Eigen::MatrixXd r = normal_matrix(8, 8, 5);
    const Eigen::MatrixXd sa = r * r.transpose() / 8.0 + 0.1 * Eigen::MatrixXd::Identity(8, 8);
    const double c = 1.7;
    const Eigen::RowVectorXd mu_a = normal_matrix(1, 8, 6), mu_b = normal_matrix(1, 8, 7);
    const FeatureMatrix a = with_moments(mu_a, sa, 400, 8), b = with_moments(mu_b, c * c * sa, 500, 9);
    CHECK(frechet_distance(a, b) == Approx((mu_a - mu_b).squaredNorm() + (1 - c) * (1 - c) * sa.trace()).epsilon(1e-9));
  }
}

TEST_CASE("frechet_distance: identical sets give 0, a shift gives its squared length", "[metrics]") {
  const FeatureMatrix a = normal_matrix(500, 16, 10);
  CHECK(frechet_distance(a, a) == Approx(0.0).margin(1e-9));
  Eigen::RowVectorXd shift = Eigen::RowVectorXd::Zero(16);
  shift(3) = 2.0;
  shift(7) = -1.0;
  const FeatureMatrix b = a.rowwise() + shift;
  CHECK(frechet_distance(a, b) == Approx(5.0).epsilon(1e-9));
}

TEST_CASE("frechet_distance: near-singular and singular covariances stay finite and non-negative", "[metrics]") {
  // 10-d features that live on a 3-d subspace, plus a constant column and a column of 1e-9 noise.
  const Eigen::MatrixXd basis = normal_matrix(3, 10, 11);
  FeatureMatrix a = normal_matrix(200, 3, 12) * basis, b = normal_matrix(150, 3, 13) * basis;
  a.col(0).setConstant(1.0);
  b.col(0).setConstant(1.0);
  a.col(1) += 1e-9 * normal_matrix(200, 1, 14);
  const double same = frechet_distance(a, a), other = frechet_distance(a, b);
  CHECK(std::isfinite(same));
  CHECK(same >= 0.0);
  CHECK(same < 1e-6);
  CHECK(std::isfinite(other));
  CHECK(other >= 0.0);
  // Fewer samples than dimensions: a rank-deficient sample covariance.
  const FeatureMatrix few = normal_matrix(5, 64, 15);
  CHECK(std::isfinite(frechet_distance(few, few)));
  CHECK(frechet_distance(few, few) == Approx(0.0).margin(1e-6));
}

TEST_CASE("frechet_distance: rejects sets of different widths or too few rows", "[metrics]") {
  CHECK_THROWS_AS(frechet_distance(normal_matrix(10, 3, 1), normal_matrix(10, 4, 2)), argument_error);
  CHECK_THROWS_AS(frechet_distance(normal_matrix(1, 3, 1), normal_matrix(10, 3, 2)), argument_error);
}

TEST_CASE("inception_score: K for confident balanced predictions, 1 for one class or uniform predictions", "[metrics]") {
  std::vector<int> balanced, single(50, 3);
  for (int i = 0; i < 100; ++i) balanced.push_back(i % 10);
  CHECK(inception_score(one_hot(balanced, 10)) == Approx(10.0).epsilon(1e-12));
  CHECK(inception_score(one_hot(single, 10)) == Approx(1.0).epsilon(1e-12));
  CHECK(inception_score(Eigen::MatrixXd::Constant(40, 10, 0.1)) == Approx(1.0).epsilon(1e-12));
  // Half the rows sure of class 0, half split evenly over both: marginal (0.75, 0.25).
  Eigen::MatrixXd p(2, 2);
  p << 1.0, 0.0, 0.5, 0.5;
  const double kl = 0.5 * std::log(1 / 0.75) + 0.5 * (0.5 * std::log(0.5 / 0.75) + 0.5 * std::log(0.5 / 0.25));
  CHECK(inception_score(p) == Approx(std::exp(kl)).epsilon(1e-12));
  CHECK_THROWS_AS(inception_score(Eigen::MatrixXd::Constant(2, 2, -0.5)), argument_error);
}

TEST_CASE("classes_covered: counts the classes predicted for at least min_share of the samples", "[metrics]") {
  std::vector<int> classes;
  for (int i = 0; i < 97; ++i) classes.push_back(i % 4);  // 0..3, about 24 each
  classes.push_back(7);                                     // one stray prediction: 1% of the samples
  classes.push_back(7);
  classes.push_back(8);
  std::vector<int> histogram;
  CHECK(classes_covered(one_hot(classes, 10), -1, &histogram) == 4);  // default 1/(4K) = 2.5%
  CHECK(histogram == std::vector<int>{25, 24, 24, 24, 0, 0, 0, 2, 1, 0});
  CHECK(classes_covered(one_hot(classes, 10), 0.01) == 6);
  CHECK(classes_covered(one_hot(classes, 10), 0.0) == 10);
}

TEST_CASE("precision_recall: identical, disjoint and subset point clouds", "[metrics]") {
  const FeatureMatrix real = normal_matrix(400, 4, 20);
  SECTION("identical sets: 1 and 1") {
    const PrecisionRecall pr = precision_recall(real, real);
    CHECK(pr.precision == 1.0);
    CHECK(pr.recall == 1.0);
  }
  SECTION("another sample of the same distribution: both high") {
    const PrecisionRecall pr = precision_recall(real, normal_matrix(400, 4, 21));
    CHECK(pr.precision > 0.85);
    CHECK(pr.recall > 0.85);
  }
  SECTION("disjoint clouds: 0 and 0") {
    const FeatureMatrix far = normal_matrix(300, 4, 22).array() + 100.0;
    const PrecisionRecall pr = precision_recall(real, far);
    CHECK(pr.precision == 0.0);
    CHECK(pr.recall == 0.0);
  }
  SECTION("generated samples from one of two real blobs: high precision, low recall") {
    FeatureMatrix two_blobs = normal_matrix(400, 4, 23);
    two_blobs.topRows(200).array() += 20.0;
    const FeatureMatrix one_blob = normal_matrix(200, 4, 24);  // the blob around 0 only
    const PrecisionRecall pr = precision_recall(two_blobs, one_blob);
    CHECK(pr.precision > 0.85);
    CHECK(pr.recall < 0.55);
  }
  SECTION("a collapsed generator (one repeated point in the real cloud): precision 1, recall 0") {
    const FeatureMatrix collapsed = FeatureMatrix::Zero(100, 4);
    const PrecisionRecall pr = precision_recall(real, collapsed);
    CHECK(pr.precision == 1.0);
    CHECK(pr.recall == 0.0);
  }
  CHECK_THROWS_AS(precision_recall(real, real, 0), argument_error);
  CHECK_THROWS_AS(precision_recall(real, normal_matrix(3, 4, 25), 3), argument_error);
  CHECK_THROWS_AS(precision_recall(real, normal_matrix(30, 5, 25)), argument_error);
}

TEST_CASE("precision_recall: the block-wise computation matches a direct one across block boundaries", "[metrics]") {
  const FeatureMatrix real = normal_matrix(1100, 3, 30), gen = normal_matrix(700, 3, 31).array() * 1.5;
  const int k = 5;
  auto direct_radii = [&](const FeatureMatrix& x) {
    std::vector<double> r;
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      std::vector<double> d;
      for (Eigen::Index j = 0; j < x.rows(); ++j) d.push_back((x.row(i) - x.row(j)).squaredNorm());
      std::sort(d.begin(), d.end());
      r.push_back(d[static_cast<std::size_t>(k)]);
    }
    return r;
  };
  auto share_inside = [](const FeatureMatrix& set, const std::vector<double>& radii, const FeatureMatrix& q) {
    int inside = 0;
    for (Eigen::Index i = 0; i < q.rows(); ++i) {
      bool in = false;
      for (Eigen::Index j = 0; j < set.rows() && !in; ++j) in = (q.row(i) - set.row(j)).squaredNorm() <= radii[static_cast<std::size_t>(j)];
      inside += in;
    }
    return static_cast<double>(inside) / static_cast<double>(q.rows());
  };
  const PrecisionRecall pr = precision_recall(real, gen, k);
  // Distances through the |x|^2 - 2 x.y + |y|^2 expansion may round differently on the ball's edge: allow 1 point.
  CHECK(pr.precision == Approx(share_inside(real, direct_radii(real), gen)).margin(1.5 / 700));
  CHECK(pr.recall == Approx(share_inside(gen, direct_radii(gen), real)).margin(1.5 / 1100));
}

TEST_CASE("softmax_cross_entropy: matches central differences in double, and stays finite for huge logits", "[metrics][loss]") {
  Tensor<double> logits(Shape{5, 7}), grad, grad_unused;
  Rng rng(40);
  rng.fill_normal(logits, 0.0, 2.0);
  const std::vector<int> labels{0, 6, 3, 3, 1};
  const double loss = softmax_cross_entropy(logits, labels, grad);
  CHECK(std::isfinite(loss));
  const double h = 1e-6;
  for (Index i = 0; i < logits.size(); ++i) {
    const double keep = logits[i];
    logits[i] = keep + h;
    const double up = softmax_cross_entropy(logits, labels, grad_unused);
    logits[i] = keep - h;
    const double down = softmax_cross_entropy(logits, labels, grad_unused);
    logits[i] = keep;
    CHECK(grad[i] == Approx((up - down) / (2 * h)).margin(1e-8));
  }
  // Gradient rows sum to zero; softmax rows sum to one.
  Tensor<double> probs;
  softmax(logits, probs);
  for (Index n = 0; n < 5; ++n) {
    double g = 0, p = 0;
    for (Index k = 0; k < 7; ++k) {
      g += grad[n * 7 + k];
      p += probs[n * 7 + k];
    }
    CHECK(g == Approx(0.0).margin(1e-12));
    CHECK(p == Approx(1.0).epsilon(1e-12));
  }
  Tensor<float> huge(Shape{2, 3}, std::vector<float>{1000.f, -1000.f, 0.f, 50.f, 50.f, 50.f}), g;
  const float l = softmax_cross_entropy(huge, {1, 2}, g);
  CHECK(l == Approx((2000.0 + std::log(3.0)) / 2).epsilon(1e-6));
  CHECK(g.all_finite());
}

TEST_CASE("softmax_cross_entropy: rejects labels out of range and mismatched counts", "[metrics][loss]") {
  Tensor<float> logits(Shape{2, 3}), grad;
  CHECK_THROWS_AS(softmax_cross_entropy(logits, {0, 3}, grad), argument_error);
  CHECK_THROWS_AS(softmax_cross_entropy(logits, {0}, grad), shape_error);
  CHECK_THROWS_AS(softmax_cross_entropy(Tensor<float>(Shape{6}), {0, 1, 2, 0, 1, 2}, grad), shape_error);
}

TEST_CASE("auroc: perfect, reversed, tied and a hand-computed case", "[metrics]") {
  CHECK(auroc({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}) == 1.0);
  CHECK(auroc({0.1, 0.2, 0.8, 0.9}, {1, 1, 0, 0}) == 0.0);
  CHECK(auroc({0.5, 0.5, 0.5, 0.5}, {0, 1, 0, 1}) == 0.5);
  // Pairs (positive, negative): (0.35, 0.1) yes, (0.35, 0.4) no, (0.8, 0.1) yes, (0.8, 0.4) yes: 3/4.
  CHECK(auroc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}) == Approx(0.75));
  // A positive tied with a negative counts one half: pairs (0.4, 0.1) 1, (0.4, 0.4) 1/2, (0.8, 0.1) 1, (0.8, 0.4) 1.
  CHECK(auroc({0.1, 0.4, 0.4, 0.8}, {0, 0, 1, 1}) == Approx(3.5 / 4));
  CHECK_THROWS_AS(auroc({0.1, 0.2}, {0, 0}), argument_error);
  CHECK_THROWS_AS(auroc({0.1, 0.2}, {0, 2}), argument_error);
  CHECK_THROWS_AS(auroc({0.1}, {0, 1}), argument_error);
  CHECK_THROWS_AS(auroc({0.1, std::nan("")}, {0, 1}), argument_error);
}

TEST_CASE("average_precision: perfect, reversed, tied and hand-computed cases", "[metrics]") {
  CHECK(average_precision({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}) == 1.0);
  // Descending: 0.9 (1) P 1 R 1/2; 0.8 (0) R unchanged; 0.7 (1) P 2/3 R 1. AP = 1/2 * 1 + 1/2 * 2/3.
  CHECK(average_precision({0.9, 0.8, 0.7, 0.6}, {1, 0, 1, 0}) == Approx(0.5 + 1.0 / 3));
  // Reversed: 0.9 and 0.8 negatives (R 0); 0.2 (1) P 1/3 R 1/2; 0.1 (1) P 1/2 R 1. AP = 1/6 + 1/4.
  CHECK(average_precision({0.1, 0.2, 0.8, 0.9}, {1, 1, 0, 0}) == Approx(5.0 / 12));
  // A tie is one threshold: 0.9 (0) R 0; the pair at 0.5 (one positive, one negative) P 1/3 R 1/2; 0.1 (1) P 1/2 R 1.
  // Whichever of the tied pair comes first in the input, AP = 1/6 + 1/4.
  CHECK(average_precision({0.9, 0.5, 0.5, 0.1}, {0, 1, 0, 1}) == Approx(5.0 / 12));
  CHECK(average_precision({0.9, 0.5, 0.5, 0.1}, {0, 0, 1, 1}) == Approx(5.0 / 12));
  // Every score tied: one threshold calling everything positive, P = share of positives, R = 1.
  CHECK(average_precision({0.5, 0.5, 0.5, 0.5, 0.5}, {0, 1, 0, 1, 0}) == Approx(0.4));
  // A positive tied with the top negative: 0.9 (1) P 1 R 1/3; 0.6 pair (1, 0) P 2/3 R 2/3; 0.2 (0) R same; 0.1 (1) P 3/5 R 1.
  CHECK(average_precision({0.6, 0.9, 0.1, 0.6, 0.2}, {0, 1, 1, 1, 0}) == Approx(1.0 / 3 + 2.0 / 9 + 1.0 / 5));
  CHECK_THROWS_AS(average_precision({0.1, 0.2}, {1, 1}), argument_error);
  CHECK_THROWS_AS(average_precision({0.1, 0.2}, {0, 3}), argument_error);
  CHECK_THROWS_AS(average_precision({0.1}, {0, 1}), argument_error);
  CHECK_THROWS_WITH(average_precision({0.1, std::nan("")}, {0, 1}), Catch::StartsWith("average_precision(): score 1"));
}

TEST_CASE("frechet_distance and precision_recall reject non-finite features, naming the set and the row", "[metrics]") {
  const FeatureMatrix good = normal_matrix(20, 4, 21);
  FeatureMatrix bad = good;
  bad(7, 2) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(frechet_distance(good, bad), Catch::Contains("second feature set") && Catch::Contains("row 7"));
  bad(7, 2) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(frechet_distance(bad, good), Catch::Contains("first feature set") && Catch::Contains("row 7"));
  CHECK_THROWS_AS(precision_recall(good, bad, 3), argument_error);
}
