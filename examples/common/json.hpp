// SPDX-License-Identifier: MIT
// The examples' JSON output: one line per result, built with nlohmann::json.
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>

namespace examples {

/// `v` rounded to `digits` decimals, so the JSON line shows what the measurement supports.
inline double rounded(double v, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(v * scale) / scale;
}

/// Prints `j` as one line on stdout, its keys in the order written.
inline void print_json(const nlohmann::ordered_json& j) {
  std::printf("%s\n", j.dump().c_str());
  std::fflush(stdout);
}

}  // namespace examples
