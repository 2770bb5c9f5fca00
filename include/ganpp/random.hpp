// SPDX-License-Identifier: MIT
/// @file
/// Rng: a seeded generator whose draws are the same on every platform and whose state can be saved and restored.
#pragma once

#include "error.hpp"
#include "tensor.hpp"

#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace ganpp {

/// Seeded random generator (64-bit Mersenne Twister). Distributions are computed here rather than by
/// std::*_distribution, whose algorithms differ between standard libraries, so a seed means the same draws everywhere.
class Rng {
 public:
  /// A generator seeded with seed; equal seeds give equal draws on every platform.
  explicit Rng(std::uint64_t seed = 0) : engine_(seed) {}

  /// Restarts the generator from seed s, dropping any spare normal draw.
  void seed(std::uint64_t s) {
    engine_.seed(s);
    has_spare_ = false;
  }
  /// The next raw 64-bit draw of the engine.
  std::uint64_t next_u64() { return engine_(); }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * (1.0 / 9007199254740992.0); }
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n) {
    if (n == 0) throw argument_error("Rng::below(): n must be positive");
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;  // rejection removes modulo bias
    std::uint64_t x;
    do x = engine_();
    while (x >= limit);
    return x % n;
  }
  /// Standard normal by the Box-Muller transform.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1;
    do u1 = uniform();
    while (u1 <= 0.0);
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2.0 * M_PI * u2);
    has_spare_ = true;
    return r * std::cos(2.0 * M_PI * u2);
  }
  /// Normal with the given mean and standard deviation.
  double normal(double mean, double stddev) { return mean + stddev * normal(); }

  /// Fills every element of t with independent normal draws, in storage order.
  template <typename Scalar>
  void fill_normal(Tensor<Scalar>& t, double mean = 0.0, double stddev = 1.0) {
    for (Scalar& v : t) v = static_cast<Scalar>(normal(mean, stddev));
  }
  /// Fills every element of t with independent draws uniform in [lo, hi), in storage order.
  template <typename Scalar>
  void fill_uniform(Tensor<Scalar>& t, double lo, double hi) {
    for (Scalar& v : t) v = static_cast<Scalar>(uniform(lo, hi));
  }
  /// Fisher-Yates shuffle.
  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<std::size_t>(below(i))]);
  }

  /// The full generator state as text, for checkpoints.
  std::string state() const {
    std::ostringstream os;
    os << engine_ << ' ' << has_spare_ << ' ';
    os.precision(17);
    os << std::hexfloat << spare_;
    return os.str();
  }
  /// Restores a state written by state().
  /// @throws io_error for malformed text, trailing text, a spare value that is not a finite number, or a degenerate
  ///         (all-zero) generator, which would draw only zeros and make normal() loop forever; the generator is then
  ///         unchanged.
  void set_state(const std::string& s) {
    const std::string fn = "Rng::set_state(): ";
    std::istringstream is(s);
    std::mt19937_64 e;
    int spare_flag = -1;
    std::string spare_text, rest;
    is >> e >> spare_flag >> spare_text;
    if (!is || (spare_flag != 0 && spare_flag != 1))
      throw io_error(fn + "malformed generator state: expected 312 words, a position, a spare flag 0 or 1 and a hex float");
    if (is >> rest) throw io_error(fn + "malformed generator state: unexpected text '" + rest.substr(0, 20) + "' after the spare value");
    char* end = nullptr;
    const double spare = std::strtod(spare_text.c_str(), &end);
    if (end != spare_text.c_str() + spare_text.size() || !std::isfinite(spare))
      throw io_error(fn + "malformed generator state: spare value '" + spare_text.substr(0, 30) + "' is not a finite number");
    // A degenerate state (the top 33 bits of the oldest word and all 311 others zero; the low bits of the oldest
    // word are never used again) draws only zeros from its first regeneration of the 312 words on, which comes
    // within 312 draws: draws 313 to 624 all come from regenerated words, and are all zero exactly when degenerate.
    std::mt19937_64 probe = e;
    probe.discard(312);
    bool live = false;
    for (int i = 0; i < 312 && !live; ++i) live = probe() != 0;
    if (!live) throw io_error(fn + "degenerate generator state: it would draw only zeros (all words zero but unused low bits)");
    engine_ = e;
    has_spare_ = spare_flag == 1;
    spare_ = spare;
  }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace ganpp
