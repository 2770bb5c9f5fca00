// SPDX-License-Identifier: MIT
// The mode-collapse benchmark: 2-d Gaussian mixtures (8 on a ring, 25 on a grid), small MLP GANs trained plain or
// with the stabilizers, and the standard measures of coverage and sample quality. Shared by ganpp-modes and its test.
#pragma once

#include <ganpp/ganpp.hpp>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace modes {

using ganpp::Index;
using ganpp::Tensor;

/// A mixture of equal isotropic Gaussians in the plane.
struct Mixture {
  std::string name;
  std::vector<std::array<double, 2>> centers;
  double stddev = 0.02;
  double extent = 1;  ///< half the side of the square the scatter picture shows
  Index batch = 256;  ///< the batch size both configurations use on it

  template <typename Scalar>
  void sample(ganpp::Rng& rng, Index n, Tensor<Scalar>& out) const {
    out.resize(ganpp::Shape{n, 2});
    for (Index i = 0; i < n; ++i) {
      const auto& c = centers[static_cast<std::size_t>(rng.below(centers.size()))];
      out[2 * i] = static_cast<Scalar>(c[0] + stddev * rng.normal());
      out[2 * i + 1] = static_cast<Scalar>(c[1] + stddev * rng.normal());
    }
  }
};

/// The settings of the unrolled-GAN (Metz et al. 2017), VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018)
/// papers: "ring8", 8 Gaussians evenly on a circle of radius 2; "grid25", 25 on a 5 x 5 grid with spacing 2
/// centred at the origin; standard deviation 0.02 each.
/// @throws ganpp::argument_error for another name.
inline Mixture make_mixture(const std::string& name) {
  Mixture m;
  m.name = name;
  m.stddev = 0.02;
  if (name == "ring8") {
    for (int k = 0; k < 8; ++k) m.centers.push_back({2 * std::cos(2 * M_PI * k / 8), 2 * std::sin(2 * M_PI * k / 8)});
    m.extent = 2.6;
  } else if (name == "grid25") {
    for (int i = -2; i <= 2; ++i)
      for (int j = -2; j <= 2; ++j) m.centers.push_back({2.0 * i, 2.0 * j});
    m.extent = 5.2;
    m.batch = 512;  // with 25 modes, 256 samples a batch are ~10 a mode: measured clearly worse
  } else {
    throw ganpp::argument_error("modes::make_mixture(): dataset must be ring8 or grid25, got '" + name + "'");
  }
  return m;
}

/// Everything that differs between the configurations.
struct Config {
  std::string name = "plain";
  ganpp::LossKind loss = ganpp::LossKind::non_saturating;
  Index latent = 16, hidden = 128;
  Index batch = 0;  ///< 0: the mixture's own (Mixture::batch)
  double g_lr = 2e-4, d_lr = 2e-4, beta1 = 0.5, beta2 = 0.999;
  int d_steps = 1;
  bool spectral_norm = false;      ///< on every Linear of D
  bool minibatch_stddev = false;   ///< before D's last hidden layer
  double r1_gamma = 0, gp_lambda = 0, real_label = 1, instance_noise = 0;
  double ema_decay = 0;            ///< > 0: sample from an EMA of G's weights
  double lr_final = 1;             ///< both learning rates fall linearly to this fraction of their start by the last step
};

/// "plain": non-saturating loss, Adam with betas 0.5 and 0.999 and a learning rate of 3e-3 falling linearly to 6e-5,
/// one D step per G step, batch 256 on ring8 and 512 on grid25, and no stabilizer. "stabilized": the same plus the combination measured to work
/// best on both mixtures (README, "Stability"): the R1 penalty (gamma 0.1), minibatch standard deviation in D, and
/// samples drawn from an EMA (decay 0.999) of G's weights. (Spectral normalization, the WGAN-GP penalty, the
/// relativistic loss, label smoothing and instance noise were measured too and did not help here.)
inline Config preset(const std::string& name) {
  Config c;
  c.name = name;
  c.g_lr = c.d_lr = 3e-3;
  c.lr_final = 0.02;
  if (name == "plain") return c;
  if (name == "stabilized") {
    c.r1_gamma = 0.1;
    c.minibatch_stddev = true;
    c.ema_decay = 0.999;
    return c;
  }
  throw ganpp::argument_error("modes::preset(): config must be plain or stabilized, got '" + name + "'");
}

/// Coverage and quality of a set of samples, as VEEGAN and PacGAN report them: each sample belongs to its nearest
/// mode; it is high-quality when within 3 standard deviations of it; a mode is covered when at least cover_min
/// samples are high-quality samples of it.
struct Evaluation {
  int modes_covered = 0, modes_total = 0;
  double high_quality = 0;      ///< share of samples within 3 standard deviations of their nearest mode
  std::vector<int> per_mode;    ///< high-quality samples per mode
};

template <typename Scalar>
Evaluation evaluate(const Mixture& m, const Tensor<Scalar>& x, int cover_min) {
  Evaluation e;
  e.modes_total = static_cast<int>(m.centers.size());
  e.per_mode.assign(m.centers.size(), 0);
  const Index n = x.batch();
  Index good = 0;
  for (Index i = 0; i < n; ++i) {
    double best = 1e300;
    std::size_t nearest = 0;
    for (std::size_t k = 0; k < m.centers.size(); ++k) {
      const double dx = static_cast<double>(x[2 * i]) - m.centers[k][0], dy = static_cast<double>(x[2 * i + 1]) - m.centers[k][1];
      const double d2 = dx * dx + dy * dy;
      if (d2 < best) {
        best = d2;
        nearest = k;
      }
    }
    if (std::sqrt(best) <= 3 * m.stddev) {
      ++good;
      ++e.per_mode[nearest];
    }
  }
  for (int c : e.per_mode) e.modes_covered += c >= cover_min;
  e.high_quality = static_cast<double>(good) / static_cast<double>(n);
  return e;
}

struct Result {
  Evaluation eval;
  Tensor<float> samples;
  double seconds = 0;
  double d_loss = 0, g_loss = 0;
};

namespace detail {
inline void add_linear(ganpp::Sequential<float>& net, Index in, Index out, bool sn, std::uint64_t seed) {
  if (sn)
    net.add(ganpp::spectral_norm<float>(std::make_unique<ganpp::Linear<float>>(in, out), seed));
  else
    net.emplace<ganpp::Linear<float>>(in, out);
}
}  // namespace detail

/// Trains a GAN of the configuration on the mixture for `steps` steps and evaluates `samples` generated points.
inline Result run(const Mixture& m, const Config& c, std::int64_t steps, std::uint64_t seed, Index samples = 2500, int cover_min = 20) {
  using namespace ganpp;
  const auto start = std::chrono::steady_clock::now();
  Sequential<float> gnet;
  gnet.emplace<Linear<float>>(c.latent, c.hidden).emplace<ReLU<float>>();
  gnet.emplace<Linear<float>>(c.hidden, c.hidden).emplace<ReLU<float>>();
  gnet.emplace<Linear<float>>(c.hidden, 2);
  Sequential<float> dnet;
  detail::add_linear(dnet, 2, c.hidden, c.spectral_norm, seed + 11);
  dnet.emplace<LeakyReLU<float>>(0.2f);
  Index width = c.hidden;
  if (c.minibatch_stddev) {
    dnet.emplace<MinibatchStdDev<float>>();
    ++width;
  }
  detail::add_linear(dnet, width, c.hidden, c.spectral_norm, seed + 12);
  dnet.emplace<LeakyReLU<float>>(0.2f);
  detail::add_linear(dnet, c.hidden, 1, c.spectral_norm, seed + 13);
  Generator<float> g(std::move(gnet), Shape{c.latent});
  Discriminator<float> d(std::move(dnet), Shape{2});
  g.reset_parameters(Init::torch_default, seed * 2 + 1);
  d.reset_parameters(Init::torch_default, seed * 2 + 2);
  Adam<float> g_opt(g.parameters(), {c.g_lr, c.beta1, c.beta2});
  Adam<float> d_opt(d.parameters(), {c.d_lr, c.beta1, c.beta2});
  TrainerOptions o;
  o.loss = c.loss;
  o.d_steps = c.d_steps;
  o.seed = seed * 2 + 3;
  o.r1_gamma = c.r1_gamma;
  o.gp_lambda = c.gp_lambda;
  o.real_label = c.real_label;
  o.instance_noise = c.instance_noise;
  o.instance_noise_steps = steps / 2;
  GanTrainer<float> trainer(g, d, g_opt, d_opt, o);
  std::unique_ptr<ExponentialMovingAverage<float>> ema;
  if (c.ema_decay > 0) {
    ema = std::make_unique<ExponentialMovingAverage<float>>(g.parameters(), c.ema_decay);
    trainer.set_ema(ema.get());
  }

  Rng data(seed * 2 + 4);
  Tensor<float> real;
  Result r;
  for (std::int64_t s = 0; s < steps; ++s) {
    if (c.lr_final != 1) {
      const double f = 1 - (1 - c.lr_final) * static_cast<double>(s) / static_cast<double>(steps);
      g_opt.set_learning_rate(c.g_lr * f);
      d_opt.set_learning_rate(c.d_lr * f);
    }
    m.sample(data, c.batch > 0 ? c.batch : m.batch, real);
    const StepStats st = trainer.step(real);
    r.d_loss = st.d_loss;
    r.g_loss = st.g_loss;
  }

  if (ema) ema->swap();
  Rng latent(seed * 2 + 5);
  Tensor<float> z;
  g.sample_latent(samples, latent, z);
  g.eval();
  r.samples.assign(g.forward(z));
  if (ema) ema->swap();
  r.eval = evaluate(m, r.samples, cover_min);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

/// A scatter picture: the modes as red rings of radius 3 standard deviations (at least 2 pixels), the samples as
/// dark blue dots, on white; size x size RGB pixels.
inline std::vector<std::uint8_t> scatter_pixels(const Mixture& m, const Tensor<float>& x, int size) {
  std::vector<std::uint8_t> px(static_cast<std::size_t>(size) * static_cast<std::size_t>(size) * 3, 255);
  const double scale = size / (2 * m.extent);
  auto put = [&](int col, int row, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
    if (col < 0 || row < 0 || col >= size || row >= size) return;
    const std::size_t k = (static_cast<std::size_t>(row) * static_cast<std::size_t>(size) + static_cast<std::size_t>(col)) * 3;
    px[k] = r;
    px[k + 1] = g;
    px[k + 2] = b;
  };
  auto to_px = [&](double v) { return (v + m.extent) * scale; };
  for (Index i = 0; i < x.batch(); ++i) {
    const int col = static_cast<int>(std::lround(to_px(x[2 * i]))), row = static_cast<int>(std::lround(size - to_px(x[2 * i + 1])));
    for (int dr = 0; dr <= 1; ++dr)
      for (int dc = 0; dc <= 1; ++dc) put(col + dc, row + dr, 20, 40, 140);
  }
  // The rings last, so that they stay visible under dense clusters.
  const double ring = std::max(2.0, 3 * m.stddev * scale);
  for (const auto& c : m.centers)
    for (int a = 0; a < 360; ++a) {
      const double t = a * M_PI / 180;
      put(static_cast<int>(std::lround(to_px(c[0]) + ring * std::cos(t))), static_cast<int>(std::lround(size - to_px(c[1]) + ring * std::sin(t))), 220, 40,
          40);
    }
  return px;
}

}  // namespace modes
