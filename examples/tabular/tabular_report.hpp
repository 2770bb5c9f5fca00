// SPDX-License-Identifier: MIT
// report.html of ganpp-tabular: per-column histograms (real against synthetic) and the association matrices side by
// side as inline SVG, the loss curves, and the measures.
#pragma once

#include <ganpp/tabular/measures.hpp>

#include "common/output.hpp"
#include "common/report.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace examples {

/// Bars of two frequency lists (real in blue, synthetic in red) with labels under the first and last bar.
inline std::string svg_bars(const std::string& title, const std::vector<double>& real, const std::vector<double>& synth,
                            const std::vector<std::string>& labels) {
  const double w = 340, h = 180, left = 10, top = 24, bottom = 30;
  const std::size_t k = real.size();
  double hi = 1e-12;
  for (std::size_t i = 0; i < k; ++i) hi = std::max({hi, real[i], synth[i]});
  std::string svg =
      "<svg xmlns='http://www.w3.org/2000/svg' width='340' height='180' viewBox='0 0 340 180'><text x='10' y='16' font-size='12' "
      "font-family='sans-serif'>" +
      html_escape(title) + "</text>";
  const double bw = (w - 2 * left) / static_cast<double>(std::max<std::size_t>(k, 1));
  char buf[256];
  for (std::size_t i = 0; i < k; ++i) {
    for (int s = 0; s < 2; ++s) {
      const double v = (s ? synth[i] : real[i]) / hi * (h - top - bottom);
      std::snprintf(buf, sizeof buf, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s' fill-opacity='0.55'/>",
                    left + bw * static_cast<double>(i) + (s ? bw * 0.45 : 0), h - bottom - v, bw * 0.55, v, s ? "#d62728" : "#1f77b4");
      svg += buf;
    }
  }
  if (!labels.empty()) {
    svg += "<text x='10' y='168' font-size='10' font-family='sans-serif'>" + html_escape(labels.front().substr(0, 24)) + "</text>";
    svg += "<text x='330' y='168' font-size='10' text-anchor='end' font-family='sans-serif'>" + html_escape(labels.back().substr(0, 24)) + "</text>";
  }
  return svg + "</svg>";
}

/// The histogram of a column of both tables: 20 bins over their common range (numeric, date), or the 20 most frequent
/// categories of the real table (categorical); missing values are left out.
inline std::string column_histogram(const ganpp::TableColumn& real, const ganpp::TableColumn& synth) {
  std::vector<double> a, b;
  std::vector<std::string> labels;
  if (real.kind == ganpp::ColumnKind::categorical) {
    std::map<long long, double> count;
    for (double v : real.values) count[v < 0 ? -1 : std::llround(v)] += 1;
    std::vector<std::pair<double, long long>> top;
    for (const auto& kv : count) top.push_back({-kv.second, kv.first});
    std::sort(top.begin(), top.end());
    if (top.size() > 20) top.resize(20);
    for (const auto& [neg, code] : top) {
      double sa = 0, sb = 0;
      for (double v : real.values) sa += (v < 0 ? -1 : std::llround(v)) == code;
      for (double v : synth.values) sb += (v < 0 ? -1 : std::llround(v)) == code;
      a.push_back(sa / static_cast<double>(real.values.size()));
      b.push_back(sb / static_cast<double>(std::max<std::size_t>(1, synth.values.size())));
      labels.push_back(code < 0 ? "(missing)" : real.categories[static_cast<std::size_t>(code)]);
    }
  } else {
    double lo = 1e300, hi = -1e300;
    for (const auto* col : {&real, &synth})
      for (double v : col->values)
        if (!std::isnan(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    if (!(hi > lo)) hi = lo + 1;
    a.assign(20, 0);
    b.assign(20, 0);
    auto fill = [&](const ganpp::TableColumn& col, std::vector<double>& bins) {
      double n = 0;
      for (double v : col.values)
        if (!std::isnan(v)) bins[std::min<std::size_t>(19, static_cast<std::size_t>((v - lo) / (hi - lo) * 20))] += 1, n += 1;
      for (double& x : bins) x /= std::max(1.0, n);
    };
    fill(real, a);
    fill(synth, b);
    labels = {ganpp::detail::format_number(lo, 2), ganpp::detail::format_number(hi, 2)};
  }
  return svg_bars(real.name, a, b, labels);
}

/// An association matrix as a heat map (0 white, 1 dark blue, negative red).
inline std::string svg_matrix(const std::string& title, const Eigen::MatrixXd& m, const std::vector<std::string>& names) {
  const int k = static_cast<int>(m.rows()), cell = std::max(8, std::min(28, 360 / std::max(1, k))), size = 120 + cell * k;
  std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(size) + "' height='" + std::to_string(size) +
                    "'><text x='4' y='14' font-size='12' font-family='sans-serif'>" + html_escape(title) + "</text>";
  char buf[256];
  for (int i = 0; i < k; ++i) {
    std::snprintf(buf, sizeof buf, "<text x='116' y='%d' font-size='9' text-anchor='end' font-family='sans-serif'>", 120 + cell * i + cell / 2 + 3);
    svg += buf + html_escape(names[static_cast<std::size_t>(i)].substr(0, 20)) + "</text>";
    for (int j = 0; j < k; ++j) {
      const double v = std::max(-1.0, std::min(1.0, m(i, j)));
      const int r = v < 0 ? 255 : static_cast<int>(255 * (1 - v)), g = static_cast<int>(255 * (1 - std::abs(v))),
                b = v < 0 ? static_cast<int>(255 * (1 + v)) : 255;
      std::snprintf(buf, sizeof buf, "<rect x='%d' y='%d' width='%d' height='%d' fill='rgb(%d,%d,%d)'><title>%.3f</title></rect>", 120 + cell * j,
                    120 + cell * i, cell, cell, r, g, b, m(i, j));
      svg += buf;
    }
  }
  return svg + "</svg>";
}

/// Writes report.html for ganpp-tabular.
inline void write_tabular_report(const std::string& path, const std::string& data, const ganpp::Table& real, const ganpp::Table& synth,
                                 const std::vector<LossRow>& losses, const std::string& measures_json) {
  std::string html = "<!DOCTYPE html><html><head><meta charset='utf-8'><title>ganpp-tabular: " + html_escape(data) +
                     "</title><style>body{font-family:sans-serif;margin:2em;max-width:76em}svg{margin:.3em;vertical-align:top}</style></head><body>";
  html += "<h1>ganpp-tabular: " + html_escape(data) + "</h1><p>Held-out real rows (blue) against CTGAN rows (red).</p><h2>Measures</h2><pre>" +
          html_escape(measures_json) + "</pre>";
  html += "<h2>Columns</h2>";
  for (std::size_t c = 0; c < real.columns.size(); ++c) html += column_histogram(real.columns[c], synth.columns[c]);
  std::vector<std::string> names;
  for (const auto& c : real.columns) names.push_back(c.name);
  html += "<h2>Associations (Pearson, Cramer's V)</h2>" + svg_matrix("real", ganpp::association_matrix(real), names) +
          svg_matrix("CTGAN", ganpp::association_matrix(synth, &real), names);
  html += "<h2>Losses</h2>" + svg_chart("critic (with penalty) and generator (with conditional loss)", losses,
                                        {{"critic", &LossRow::d_loss}, {"generator", &LossRow::g_loss}}, {"#d62728", "#1f77b4"});
  html += svg_chart("penalty and conditional loss", losses, {{"gradient penalty", &LossRow::d_real}, {"conditional CE", &LossRow::d_fake}},
                    {"#2ca02c", "#9467bd"});
  html += "</body></html>\n";
  write_file(path, html);
}

}  // namespace examples
