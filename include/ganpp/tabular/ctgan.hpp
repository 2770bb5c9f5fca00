// SPDX-License-Identifier: MIT
/// @file
/// The CTGAN recipe (Xu et al. 2019): a conditional generator of residual FC-BN-ReLU blocks with a Gumbel-softmax
/// output, the conditional vector with training-by-sampling, a PacGAN discriminator (LeakyReLU, dropout) trained
/// with WGAN-GP. Works on the encoding of DataTransformer (ganpp/tabular/transformer.hpp).
#pragma once

#include "../checkpoint.hpp"
#include "../layers.hpp"
#include "../model_io.hpp"
#include "../models.hpp"
#include "../optim.hpp"
#include "../penalties.hpp"
#include "transformer.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ganpp {

/// The conditional vector of CTGAN and training-by-sampling: a discrete column chosen uniformly, one of its
/// categories by log-frequency (training) or frequency (generation), and real rows of that category.
class ConditionSampler {
 public:
  /// Indexes the rows of each category of each discrete column.
  /// @param t the fitted transformer.
  /// @param data the encoded training rows, (N, t.width()).
  /// @throws shape_error when data is not (N, t.width()) with N >= 1.
  template <typename Scalar>
  ConditionSampler(const DataTransformer& t, const Tensor<Scalar>& data) {
    if (data.shape().rank() != 2 || data.dim(1) != t.width() || data.dim(0) < 1)
      throw shape_error("ConditionSampler::ConditionSampler(): expected encoded rows (N, " + std::to_string(t.width()) + "), got " + data.shape().str());
    rows_ = data.dim(0);
    for (Index c : t.discrete_columns()) {
      const auto& info = t.columns()[static_cast<std::size_t>(c)];
      Column col;
      col.start = info.start;
      col.cond_start = width_;
      col.rows.resize(static_cast<std::size_t>(info.width));
      for (Index r = 0; r < rows_; ++r) {
        const Scalar* p = data.data() + r * data.dim(1) + info.start;
        Index best = 0;
        for (Index j = 1; j < info.width; ++j)
          if (p[j] > p[best]) best = j;
        col.rows[static_cast<std::size_t>(best)].push_back(r);
      }
      double log_total = 0, total = 0;
      for (const auto& rs : col.rows) log_total += std::log(static_cast<double>(rs.size()) + 1), total += static_cast<double>(rs.size());
      for (const auto& rs : col.rows) {
        col.log_freq.push_back(std::log(static_cast<double>(rs.size()) + 1) / log_total);
        col.freq.push_back(static_cast<double>(rs.size()) / total);
      }
      width_ += info.width;
      columns_.push_back(std::move(col));
    }
  }

  /// The width of the conditional vector (the discrete columns' one-hot widths summed); 0 without discrete columns.
  Index width() const { return width_; }
  /// The number of discrete columns.
  Index discrete_columns() const { return static_cast<Index>(columns_.size()); }
  /// The first column of discrete column d's span in the encoded row.
  /// @param d a discrete column index.
  Index span_start(Index d) const { return columns_[static_cast<std::size_t>(d)].start; }
  /// The number of categories (one-hot width) of discrete column d.
  /// @param d a discrete column index.
  Index categories(Index d) const { return static_cast<Index>(columns_[static_cast<std::size_t>(d)].rows.size()); }

  /// Draws n conditions: for each, a discrete column uniformly and a category by log-frequency (for training) or by
  /// frequency (for generation, the data's own mix). Without discrete columns, cond is (n, 0) and the lists are -1.
  /// @param n how many.
  /// @param rng the draws.
  /// @param log_frequency log-frequency (training) when true, frequency when false.
  /// @param cond the (n, width()) one-hot conditions.
  /// @param column the discrete column of each.
  /// @param category the category of each.
  template <typename Scalar>
  void sample(Index n, Rng& rng, bool log_frequency, Tensor<Scalar>& cond, std::vector<Index>& column, std::vector<Index>& category) const {
    cond.resize(Shape{n, width_});
    cond.set_zero();
    column.assign(static_cast<std::size_t>(n), -1);
    category.assign(static_cast<std::size_t>(n), -1);
    if (columns_.empty()) return;
    for (Index i = 0; i < n; ++i) {
      const Index d = static_cast<Index>(rng.below(columns_.size()));
      const Column& col = columns_[static_cast<std::size_t>(d)];
      const auto& p = log_frequency ? col.log_freq : col.freq;
      double u = rng.uniform(), acc = 0;
      Index k = static_cast<Index>(p.size()) - 1;
      for (std::size_t j = 0; j < p.size(); ++j)
        if ((acc += p[j]) > u) {
          k = static_cast<Index>(j);
          break;
        }
      column[static_cast<std::size_t>(i)] = d;
      category[static_cast<std::size_t>(i)] = k;
      cond[i * width_ + col.cond_start + k] = Scalar(1);
    }
  }

  /// A training row of discrete column d's category k (uniformly among them), or any row when d is -1 or the
  /// category has no rows.
  /// @param d a discrete column index, or -1.
  /// @param k a category of it.
  /// @param rng the draw.
  Index sample_row(Index d, Index k, Rng& rng) const {
    if (d >= 0) {
      const auto& rs = columns_[static_cast<std::size_t>(d)].rows[static_cast<std::size_t>(k)];
      if (!rs.empty()) return rs[static_cast<std::size_t>(rng.below(rs.size()))];
    }
    return static_cast<Index>(rng.below(static_cast<std::uint64_t>(rows_)));
  }

 private:
  struct Column {
    Index start = 0, cond_start = 0;
    std::vector<std::vector<Index>> rows;  // per category
    std::vector<double> log_freq, freq;
  };
  std::vector<Column> columns_;
  Index width_ = 0, rows_ = 0;
};

/// Packs pac consecutive rows into one (PacGAN, Lin et al. 2018): (N, F) -> (N / pac, pac * F), a view of the
/// same row-major data.
/// @param x the rows.
/// @param pac rows per pack.
/// @param out the packed rows.
/// @throws shape_error when x is not (N, F) with N a multiple of pac.
template <typename Scalar>
void pack_rows(const Tensor<Scalar>& x, Index pac, Tensor<Scalar>& out) {
  if (x.shape().rank() != 2 || pac < 1 || x.dim(0) % pac != 0)
    throw shape_error("pack_rows(): expected (N, F) with N a multiple of pac " + std::to_string(pac) + ", got " + x.shape().str());
  out.resize(Shape{x.dim(0) / pac, pac * x.dim(1)});
  std::copy(x.data(), x.data() + x.size(), out.data());
}

/// CTGAN's hyper-parameters (the paper's defaults).
struct CtganOptions {
  Index embedding = 128;                            ///< noise dimensions
  std::vector<Index> generator_dims{256, 256};      ///< widths of the residual blocks
  std::vector<Index> discriminator_dims{256, 256};  ///< widths of the discriminator's hidden layers
  Index pac = 10;                                   ///< rows per discriminator sample (PacGAN)
  Index batch = 500;                                ///< rows per step; a multiple of pac
  double lr = 2e-4;                                 ///< Adam learning rate of both networks
  double beta1 = 0.5;                               ///< Adam beta1
  double beta2 = 0.9;                               ///< Adam beta2
  double gp_lambda = 10;                            ///< WGAN-GP weight
  Index d_steps = 1;                                ///< discriminator steps per generator step
  double tau = 0.2;                                 ///< Gumbel-softmax temperature
  double dropout = 0.5;                             ///< discriminator dropout
  std::uint64_t seed = 0;                           ///< initialisation and sampling seed
};

/// Losses of one CTGAN step.
struct CtganStats {
  double d_loss = 0;     ///< mean D(fake) - mean D(real), the critic's loss before the penalty
  double penalty = 0;    ///< the WGAN-GP penalty
  double g_loss = 0;     ///< -mean D(fake)
  double cond_loss = 0;  ///< cross-entropy of the generated conditioned column against the condition
};

/// A CTGAN: generator, discriminator, their Adam optimizers, the condition sampler and the training data.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class Ctgan {
 public:
  /// Builds the networks for the transformer's encoding and takes the encoded training rows (their alpha values
  /// clipped to [-0.99, 0.99], as CTGAN does).
  /// @param transformer the fitted transformer (kept by reference: it must outlive the Ctgan).
  /// @param data the encoded training rows (N, transformer.width()).
  /// @param o the options.
  /// @throws argument_error when batch is not a positive multiple of pac or a width is not positive.
  /// @throws shape_error when data does not match the transformer.
  Ctgan(const DataTransformer& transformer, Tensor<Scalar> data, const CtganOptions& o = {})
      : t_(transformer), data_(std::move(data)), sampler_(transformer, data_), o_(o), gen_(build_generator(transformer, sampler_.width(), o), Shape{o.embedding + sampler_.width()}),
        act_(transformer.spans(), o.tau, true, o.seed + 1), dis_(build_discriminator(transformer.width() + sampler_.width(), o), Shape{o.pac * (transformer.width() + sampler_.width())}),
        g_opt_(gen_.parameters(), {o.lr, o.beta1, o.beta2}), d_opt_(dis_.parameters(), {o.lr, o.beta1, o.beta2}), rng_(o.seed + 2) {
    if (o.pac < 1 || o.batch < o.pac || o.batch % o.pac != 0)
      throw argument_error("Ctgan::Ctgan(): batch " + std::to_string(o.batch) + " must be a positive multiple of pac " + std::to_string(o.pac));
    gen_.reset_parameters(Init::torch_default, o.seed);
    dis_.reset_parameters(Init::torch_default, o.seed + 3);
    // As CTGAN: the training rows' alpha clipped to the generator's tanh range, so that a far outlier (alpha 100 in
    // a narrow mode) cannot hand the critic a difference the generator can never close.
    const Index w = transformer.width();
    for (const OutputSpan& s : transformer.spans())
      if (s.kind == SpanKind::tanh)
        for (Index r = 0; r < data_.dim(0); ++r) data_[r * w + s.start] = std::clamp(data_[r * w + s.start], Scalar(-0.99), Scalar(0.99));
  }

  /// One training step: d_steps critic updates (WGAN loss plus gradient penalty on packed rows), then one generator
  /// update (WGAN loss plus the conditional cross-entropy).
  /// @return the losses.
  /// @throws divergence_error when a loss is not finite.
  CtganStats step() {
    CtganStats s;
    const Index n = o_.batch, w = t_.width(), cw = sampler_.width(), in_w = w + cw;
    gen_.train();
    dis_.train();
    for (Index k = 0; k < o_.d_steps; ++k) {
      generate(n, true);
      // The real rows: a shuffled copy of the conditions, each with a training row of its category.
      std::vector<Index> perm(static_cast<std::size_t>(n));
      for (Index i = 0; i < n; ++i) perm[static_cast<std::size_t>(i)] = i;
      rng_.shuffle(perm);
      joined_real_.resize(Shape{n, in_w});
      joined_fake_.resize(Shape{n, in_w});
      for (Index i = 0; i < n; ++i) {
        const Index p = perm[static_cast<std::size_t>(i)];
        const Index row = sampler_.sample_row(column_[static_cast<std::size_t>(p)], category_[static_cast<std::size_t>(p)], rng_);
        std::copy_n(data_.data() + row * w, w, joined_real_.data() + i * in_w);
        std::copy_n(cond_.data() + p * cw, cw, joined_real_.data() + i * in_w + w);
        std::copy_n(fake_->data() + i * w, w, joined_fake_.data() + i * in_w);
        std::copy_n(cond_.data() + i * cw, cw, joined_fake_.data() + i * in_w + w);
      }
      pack_rows(joined_real_, o_.pac, packed_real_);
      pack_rows(joined_fake_, o_.pac, packed_fake_);
      const Index m = packed_real_.dim(0);
      dis_.set_frozen(false);
      dis_.set_input_grad(false);
      d_opt_.zero_grad();
      grad_.resize(Shape{m, 1});
      const Tensor<Scalar>& yf = dis_.forward(packed_fake_);
      const double fake_mean = yf.matrix().mean();
      grad_.fill(Scalar(1) / static_cast<Scalar>(m));
      dis_.backward(grad_);
      const Tensor<Scalar>& yr = dis_.forward(packed_real_);
      const double real_mean = yr.matrix().mean();
      grad_.fill(Scalar(-1) / static_cast<Scalar>(m));
      dis_.backward(grad_);
      dis_.set_input_grad(true);
      s.penalty = penalty_.wgan_gp(dis_.net(), packed_real_, packed_fake_, o_.gp_lambda, rng_);
      s.d_loss = fake_mean - real_mean;
      if (!std::isfinite(s.d_loss) || !std::isfinite(s.penalty)) throw divergence_error("Ctgan::step(): critic loss is not finite");
      if (!d_opt_.step()) throw divergence_error("Ctgan::step(): a discriminator parameter is not finite");
    }
    // Generator step.
    generate(n, true);
    joined_fake_.resize(Shape{n, in_w});
    for (Index i = 0; i < n; ++i) {
      std::copy_n(fake_->data() + i * w, w, joined_fake_.data() + i * in_w);
      std::copy_n(cond_.data() + i * cw, cw, joined_fake_.data() + i * in_w + w);
    }
    pack_rows(joined_fake_, o_.pac, packed_fake_);
    const Index m = packed_fake_.dim(0);
    dis_.set_frozen(true);
    dis_.set_input_grad(true);
    const Tensor<Scalar>& y = dis_.forward(packed_fake_);
    s.g_loss = -y.matrix().mean();
    grad_.resize(Shape{m, 1});
    grad_.fill(Scalar(-1) / static_cast<Scalar>(m));
    const Tensor<Scalar>& dpacked = dis_.backward(grad_);
    dis_.set_frozen(false);
    dfake_.resize(Shape{n, w});
    for (Index i = 0; i < n; ++i) std::copy_n(dpacked.data() + i * in_w, w, dfake_.data() + i * w);
    g_opt_.zero_grad();
    dlogits_ = act_.backward(dfake_);
    s.cond_loss = add_condition_loss(dlogits_);
    gen_.backward(dlogits_);
    if (!std::isfinite(s.g_loss) || !std::isfinite(s.cond_loss)) throw divergence_error("Ctgan::step(): generator loss is not finite");
    if (!g_opt_.step()) throw divergence_error("Ctgan::step(): a generator parameter is not finite");
    return s;
  }

  /// Generates n encoded rows in eval mode (BatchNorm's running statistics), conditions drawn by the data's
  /// category frequencies, as CTGAN samples.
  /// @param n how many rows.
  /// @param out the (n, width) rows, one-hot spans hard.
  void sample_encoded(Index n, Tensor<Scalar>& out) {
    gen_.eval();
    out.resize(Shape{n, t_.width()});
    for (Index done = 0; done < n;) {
      const Index b = std::min(o_.batch, n - done);
      generate(b, false);
      std::copy_n(fake_->data(), b * t_.width(), out.data() + done * t_.width());
      done += b;
    }
    gen_.train();
  }

  /// Generates n rows of the table.
  /// @param n how many rows.
  Table sample(Index n) {
    Tensor<Scalar> x;
    sample_encoded(n, x);
    return t_.decode(x);
  }

  /// Stores both networks, both optimizers and the random state under prefix.
  /// @param c the checkpoint.
  /// @param prefix the entries' prefix.
  void save(Checkpoint& c, const std::string& prefix = "ctgan") {
    save_model(c, prefix + ".g", gen_);
    save_model(c, prefix + ".d", dis_);
    save_optimizer(c, prefix + ".g_opt", g_opt_);
    save_optimizer(c, prefix + ".d_opt", d_opt_);
    c.put_text(prefix + ".rng", rng_.state());
    c.put_text(prefix + ".act_rng", act_.rng_state());
  }
  /// Restores what save() stored.
  /// @param c the checkpoint.
  /// @param prefix the entries' prefix.
  /// @throws io_error or shape_error when an entry is missing or of another shape (another table or options).
  void load(const Checkpoint& c, const std::string& prefix = "ctgan") {
    load_model(c, prefix + ".g", gen_);
    load_model(c, prefix + ".d", dis_);
    load_optimizer(c, prefix + ".g_opt", g_opt_);
    load_optimizer(c, prefix + ".d_opt", d_opt_);
    rng_.set_state(c.text(prefix + ".rng"));
    act_.set_rng_state(c.text(prefix + ".act_rng"));
  }

  /// The generator (input: noise then the conditional vector; output: logits before the activation).
  Generator<Scalar>& generator() { return gen_; }
  /// The discriminator (input: pac packed rows, each the encoded row then its conditional vector).
  Discriminator<Scalar>& discriminator() { return dis_; }
  /// The condition sampler.
  const ConditionSampler& sampler() const { return sampler_; }

 private:
  static Sequential<Scalar> build_generator(const DataTransformer& t, Index cond, const CtganOptions& o) {
    if (o.embedding < 1 || t.width() < 1) throw argument_error("Ctgan::Ctgan(): the noise and the encoded row need a positive width (a table of constant columns only?)");
    Sequential<Scalar> net;
    Index in = o.embedding + cond;
    for (Index d : o.generator_dims) {
      auto block = std::make_unique<Sequential<Scalar>>();
      block->template emplace<Linear<Scalar>>(in, d).template emplace<BatchNorm<Scalar>>(d).template emplace<ReLU<Scalar>>();
      net.template emplace<SkipConcat<Scalar>>(std::move(block));  // CTGAN's Residual: concat([x, relu(bn(fc(x)))])
      in += d;
    }
    net.template emplace<Linear<Scalar>>(in, t.width());
    return net;
  }

  static Sequential<Scalar> build_discriminator(Index width, const CtganOptions& o) {
    Sequential<Scalar> net;
    Index in = o.pac * width;
    std::uint64_t seed = o.seed + 10;
    for (Index d : o.discriminator_dims) {
      net.template emplace<Linear<Scalar>>(in, d).template emplace<LeakyReLU<Scalar>>(Scalar(0.2)).template emplace<Dropout<Scalar>>(o.dropout, seed++);
      in = d;
    }
    net.template emplace<Linear<Scalar>>(in, 1);
    return net;
  }

  // Noise and conditions in, activated rows in fake_ (logits in the generator's output).
  void generate(Index n, bool training) {
    sampler_.sample(n, rng_, training, cond_, column_, category_);
    const Index e = o_.embedding, cw = sampler_.width();
    input_.resize(Shape{n, e + cw});
    for (Index i = 0; i < n; ++i) {
      for (Index j = 0; j < e; ++j) input_[i * (e + cw) + j] = static_cast<Scalar>(rng_.normal());
      std::copy_n(cond_.data() + i * cw, cw, input_.data() + i * (e + cw) + e);
    }
    logits_ = &gen_.forward(input_);
    fake_ = &act_.forward(*logits_);
  }

  // Adds the gradient of the conditional cross-entropy (mean over rows) to dlogits; returns the loss.
  double add_condition_loss(Tensor<Scalar>& dlogits) const {
    if (sampler_.discrete_columns() == 0) return 0;
    const Index n = dlogits.dim(0), w = dlogits.dim(1);
    double loss = 0;
    for (Index i = 0; i < n; ++i) {
      const Index d = column_[static_cast<std::size_t>(i)], k = category_[static_cast<std::size_t>(i)];
      const Index start = sampler_.span_start(d), width = sampler_.categories(d);
      const Scalar* z = logits_->data() + i * w + start;
      double top = z[0];
      for (Index j = 1; j < width; ++j) top = std::max(top, static_cast<double>(z[j]));
      double total = 0;
      for (Index j = 0; j < width; ++j) total += std::exp(z[j] - top);
      loss += std::log(total) + top - z[k];
      for (Index j = 0; j < width; ++j)
        dlogits[i * w + start + j] += static_cast<Scalar>((std::exp(z[j] - top) / total - (j == k ? 1.0 : 0.0)) / static_cast<double>(n));
    }
    return loss / static_cast<double>(n);
  }

  const DataTransformer& t_;
  Tensor<Scalar> data_;
  ConditionSampler sampler_;
  CtganOptions o_;
  Generator<Scalar> gen_;
  GumbelSoftmax<Scalar> act_;
  Discriminator<Scalar> dis_;
  Adam<Scalar> g_opt_, d_opt_;
  Rng rng_;
  GradientPenalty<Scalar> penalty_;
  Tensor<Scalar> input_, cond_, joined_real_, joined_fake_, packed_real_, packed_fake_, grad_, dfake_, dlogits_;
  const Tensor<Scalar>* logits_ = nullptr;
  const Tensor<Scalar>* fake_ = nullptr;
  std::vector<Index> column_, category_;
};

}  // namespace ganpp
