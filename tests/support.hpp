// SPDX-License-Identifier: MIT
// What the test files share: random tensors, a temporary folder, file bytes, central differences, and the toy GAN.
#pragma once

#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace test {

/// A uniquely named temporary folder, removed with everything in it when the test ends.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() / ("ganpp-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" +
                                                     std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path / name).string(); }
};

/// 0, 1, 2, ... in the given shape: each element holds its own flat index, so an output says where every value
/// came from.
template <typename Scalar>
ganpp::Tensor<Scalar> iota(const ganpp::Shape& s) {
  ganpp::Tensor<Scalar> t(s);
  for (ganpp::Index i = 0; i < t.size(); ++i) t[i] = static_cast<Scalar>(i);
  return t;
}

/// The whole file as bytes (empty when it cannot be read).
inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Writes bytes to a file, replacing it; fails the test when the write fails.
inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}
inline void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  write_bytes(path, std::string(bytes.begin(), bytes.end()));
}

/// A tensor of N(0, sd^2) entries from its own seed.
template <typename Scalar = double>
ganpp::Tensor<Scalar> random_tensor(const ganpp::Shape& s, std::uint64_t seed, double sd = 1.0) {
  ganpp::Tensor<Scalar> t(s);
  ganpp::Rng rng(seed);
  rng.fill_normal(t, 0.0, sd);
  return t;
}

/// Gives every parameter of a layer N(0, sd^2) values, so that no gradient hides behind a zero or a one.
template <typename Scalar>
void randomize(ganpp::Layer<Scalar>& layer, std::uint64_t seed, double sd = 0.5) {
  ganpp::Rng rng(seed);
  for (auto& p : layer.parameters()) rng.fill_normal(*p.value, 0.0, sd);
}

/// Gradient check in double (central differences need it: float's rounding swamps a 1e-6 step) of a layer's input
/// and parameter gradients in train mode, with random parameters so that no gradient hides behind a zero or a one.
inline void require_gradients_match(ganpp::Layer<double>& layer, const ganpp::Shape& input_shape, double tol = 1e-6) {
  randomize(layer, 7);
  const ganpp::GradientCheckResult r = ganpp::check_layer_gradients(layer, random_tensor<double>(input_shape, 11));
  INFO(layer.name() << ": worst entry " << r.where << ", error " << r.max_error);
  REQUIRE(r.max_error < tol);
}

/// Central differences of a scalar function f() of one tensor entry.
template <typename Scalar, typename F>
double numeric_derivative(ganpp::Tensor<Scalar>& t, ganpp::Index i, F f, double h = 1e-6) {
  const Scalar saved = t[i];
  t[i] = static_cast<Scalar>(saved + h);
  const double up = f();
  t[i] = static_cast<Scalar>(saved - h);
  const double down = f();
  t[i] = saved;
  return (up - down) / (2 * h);
}

/// |a - b| relative to the larger of 1, |a| and |b|.
inline double rel_error(double a, double b) { return std::abs(a - b) / std::max({1.0, std::abs(a), std::abs(b)}); }

/// All values of a parameter list, concatenated.
template <typename Scalar>
std::vector<Scalar> flat(const std::vector<ganpp::Parameter<Scalar>>& params) {
  std::vector<Scalar> v;
  for (auto& p : params) v.insert(v.end(), p.value->begin(), p.value->end());
  return v;
}

/// The largest entry-wise change between two equally long vectors.
template <typename Scalar>
Scalar max_change(const std::vector<Scalar>& a, const std::vector<Scalar>& b) {
  Scalar m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

}  // namespace test

namespace toy {

/// Target: equal parts N(-2, 0.3^2) and N(+2, 0.3^2). Mean 0, standard deviation sqrt(4 + 0.09).
constexpr double kMode = 2.0, kSpread = 0.3;

/// Draws a batch from the target mixture.
template <typename Scalar>
void sample_mixture(ganpp::Rng& rng, ganpp::Index n, ganpp::Tensor<Scalar>& out) {
  out.resize(ganpp::Shape{n, 1});
  for (ganpp::Index i = 0; i < n; ++i) out[i] = static_cast<Scalar>((rng.uniform() < 0.5 ? -kMode : kMode) + kSpread * rng.normal());
}

template <typename Scalar>
ganpp::Sequential<Scalar> mlp(ganpp::Index in, ganpp::Index hidden, ganpp::Index out) {
  ganpp::Sequential<Scalar> net;
  net.template emplace<ganpp::Linear<Scalar>>(in, hidden)
      .template emplace<ganpp::LeakyReLU<Scalar>>(Scalar(0.2))
      .template emplace<ganpp::Linear<Scalar>>(hidden, hidden)
      .template emplace<ganpp::LeakyReLU<Scalar>>(Scalar(0.2))
      .template emplace<ganpp::Linear<Scalar>>(hidden, out);
  return net;
}

/// Statistics of generated samples: mean, standard deviation, and the share within 3 spreads of either mode
/// (and of each mode separately).
struct Stats {
  double mean = 0, stddev = 0, near_modes = 0, near_left = 0, near_right = 0;
};

template <typename Scalar>
Stats stats(const ganpp::Tensor<Scalar>& x) {
  Stats s;
  const double n = static_cast<double>(x.size());
  for (Scalar v : x) s.mean += v / n;
  for (Scalar v : x) {
    s.stddev += (v - s.mean) * (v - s.mean) / n;
    const bool left = std::abs(v + kMode) < 3 * kSpread, right = std::abs(v - kMode) < 3 * kSpread;
    s.near_left += left / n;
    s.near_right += right / n;
  }
  s.stddev = std::sqrt(s.stddev);
  s.near_modes = s.near_left + s.near_right;
  return s;
}

/// A GAN for the mixture: by default MLPs with 32 hidden units (latent 4), Adam(lr, 0.5, 0.999) for each network,
/// initial weights from seeds init_seed (G) and init_seed + 1 (D).
struct Gan {
  ganpp::Generator<float> g;
  ganpp::Discriminator<float> d;
  ganpp::Adam<float> g_opt, d_opt;
  ganpp::GanTrainer<float> trainer;

  explicit Gan(ganpp::TrainerOptions o = {}, double g_lr = 1e-3, double d_lr = 1e-3)
      : Gan(mlp<float>(4, 32, 1), mlp<float>(1, 32, 1), o, g_lr, d_lr) {}
  Gan(ganpp::Sequential<float> g_net, ganpp::Sequential<float> d_net, ganpp::TrainerOptions o = {}, double g_lr = 1e-3, double d_lr = 1e-3,
      std::uint64_t init_seed = 1)
      : g(std::move(g_net), ganpp::Shape{4}), d(std::move(d_net), ganpp::Shape{1}), g_opt(g.parameters(), {g_lr, 0.5, 0.999}),
        d_opt(d.parameters(), {d_lr, 0.5, 0.999}), trainer(g, d, g_opt, d_opt, o) {
    g.reset_parameters(ganpp::Init::torch_default, init_seed);
    d.reset_parameters(ganpp::Init::torch_default, init_seed + 1);
  }

  /// Trains for `steps` steps on fresh batches from the mixture (data drawn from its own seed); returns every
  /// step's stats.
  std::vector<ganpp::StepStats> run(int steps, ganpp::Index batch = 128, std::uint64_t data_seed = 3) {
    ganpp::Rng data(data_seed);
    ganpp::Tensor<float> real;
    std::vector<ganpp::StepStats> out;
    for (int i = 0; i < steps; ++i) {
      sample_mixture(data, batch, real);
      out.push_back(trainer.step(real));
    }
    return out;
  }

  /// n samples of the generator in eval mode.
  ganpp::Tensor<float> generate(ganpp::Index n, std::uint64_t seed) {
    ganpp::Rng rng(seed);
    ganpp::Tensor<float> z, x;
    g.sample_latent(n, rng, z);
    g.eval();
    x.assign(g.forward(z));
    g.train();
    return x;
  }
};

}  // namespace toy

namespace test {

/// The message of the io_error that f throws; fails the test for no exception or another type.
template <typename F>
std::string io_error_message(F&& f) {
  try {
    f();
  } catch (const ganpp::io_error& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL("expected ganpp::io_error, got another exception: " << e.what());
  }
  FAIL("expected ganpp::io_error, nothing was thrown");
  return {};
}

}  // namespace test
