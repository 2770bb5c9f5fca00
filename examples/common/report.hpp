// SPDX-License-Identifier: MIT
// report.html: a self-contained page with the run's sample grids (inline PNGs) and loss curves (inline SVG).
#pragma once

#include "output.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace examples {

/// One row of losses.csv.
struct LossRow {
  long step = 0, epoch = 0;
  double d_loss = 0, g_loss = 0, d_real = 0, d_fake = 0, seconds = 0;
};

inline std::string base64(const std::vector<std::uint8_t>& bytes) {
  static const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::uint32_t b0 = bytes[i], b1 = i + 1 < bytes.size() ? bytes[i + 1] : 0u, b2 = i + 2 < bytes.size() ? bytes[i + 2] : 0u;
    const std::uint32_t v = (b0 << 16) | (b1 << 8) | b2;
    out += digits[(v >> 18) & 63];
    out += digits[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? digits[(v >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? digits[v & 63] : '=';
  }
  return out;
}

/// A polyline chart of several series over the step axis, as an inline SVG element. Long runs are thinned to at
/// most ~1000 points per series by averaging, which also smooths the noisy per-step values.
inline std::string svg_chart(const std::string& title, const std::vector<LossRow>& rows,
                             const std::vector<std::pair<std::string, double LossRow::*>>& series, const std::vector<std::string>& colors) {
  const double w = 720, h = 260, left = 50, right = 10, top = 28, bottom = 30;
  std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='720' height='260' viewBox='0 0 720 260'>";
  svg += "<text x='" + std::to_string(static_cast<int>(left)) + "' y='18' font-size='14' font-family='sans-serif'>" + title + "</text>";
  if (rows.empty()) return svg + "<text x='60' y='130' font-family='sans-serif'>no steps yet</text></svg>";
  const std::size_t bucket = std::max<std::size_t>(1, rows.size() / 1000);
  double lo = 1e300, hi = -1e300;
  std::vector<std::vector<std::pair<double, double>>> pts(series.size());
  for (std::size_t s = 0; s < series.size(); ++s)
    for (std::size_t i = 0; i < rows.size(); i += bucket) {
      const std::size_t end = std::min(rows.size(), i + bucket);
      double sum = 0, step = 0;
      for (std::size_t j = i; j < end; ++j) {
        sum += rows[j].*(series[s].second);
        step += static_cast<double>(rows[j].step);
      }
      const double v = sum / static_cast<double>(end - i);
      if (!std::isfinite(v)) continue;
      pts[s].push_back({step / static_cast<double>(end - i), v});
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  if (!(hi > lo)) hi = lo + 1;
  const double x0 = static_cast<double>(rows.front().step), x1 = std::max(x0 + 1, static_cast<double>(rows.back().step));
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (w - left - right); };
  auto py = [&](double y) { return top + (hi - y) / (hi - lo) * (h - top - bottom); };
  char buf[160];
  svg += "<rect x='50' y='28' width='660' height='202' fill='none' stroke='#999'/>";
  for (int k = 0; k <= 4; ++k) {
    const double y = lo + (hi - lo) * k / 4.0;
    std::snprintf(buf, sizeof buf, "<text x='46' y='%.1f' font-size='10' text-anchor='end' font-family='sans-serif'>%.3g</text>", py(y) + 3, y);
    svg += buf;
  }
  std::snprintf(buf, sizeof buf, "<text x='50' y='248' font-size='10' font-family='sans-serif'>step %.0f</text>", x0);
  svg += buf;
  std::snprintf(buf, sizeof buf, "<text x='710' y='248' font-size='10' text-anchor='end' font-family='sans-serif'>step %.0f</text>", x1);
  svg += buf;
  for (std::size_t s = 0; s < series.size(); ++s) {
    svg += "<polyline fill='none' stroke-width='1.2' stroke='" + colors[s % colors.size()] + "' points='";
    for (const auto& [x, y] : pts[s]) {
      std::snprintf(buf, sizeof buf, "%.1f,%.1f ", px(x), py(y));
      svg += buf;
    }
    svg += "'/>";
    std::snprintf(buf, sizeof buf, "<text x='%d' y='18' font-size='12' fill='%s' font-family='sans-serif'>%s</text>",
                  static_cast<int>(300 + 110 * s), colors[s % colors.size()].c_str(), series[s].first.c_str());
    svg += buf;
  }
  return svg + "</svg>";
}

/// Opens losses.csv for writing with its header: fresh for a new run; for a resumed one the rows up to `keep_upto`
/// (the checkpoint's step) are kept. Throws ganpp::io_error naming the file when it cannot be written.
inline std::FILE* open_loss_csv(const std::string& path, bool resumed, long long keep_upto) {
  std::vector<std::string> keep;
  if (resumed) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line))
      if (std::atoll(line.c_str()) <= keep_upto) keep.push_back(line);
  }
  std::FILE* csv = std::fopen(path.c_str(), "w");
  if (!csv) throw ganpp::io_error("cannot write " + path);
  std::fprintf(csv, "step,epoch,d_loss,g_loss,d_real,d_fake,seconds\n");
  for (const auto& l : keep) std::fprintf(csv, "%s\n", l.c_str());
  return csv;
}

/// The rows of a losses.csv written by open_loss_csv() (malformed lines skipped).
inline std::vector<LossRow> read_loss_csv(const std::string& path) {
  std::vector<LossRow> rows;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    LossRow r;
    if (std::sscanf(line.c_str(), "%ld,%ld,%lf,%lf,%lf,%lf,%lf", &r.step, &r.epoch, &r.d_loss, &r.g_loss, &r.d_real, &r.d_fake, &r.seconds) == 7)
      rows.push_back(r);
  }
  return rows;
}

/// Writes report.html: the title, a summary paragraph, the loss charts and the sample grids (PNG files' bytes).
inline void write_report(const std::string& path, const std::string& title, const std::string& summary,
                         const std::vector<std::pair<std::string, std::vector<std::uint8_t>>>& grids, const std::vector<LossRow>& rows) {
  std::string html = "<!DOCTYPE html><html><head><meta charset='utf-8'><title>" + title +
                     "</title><style>body{font-family:sans-serif;margin:2em;max-width:60em}figure{display:inline-block;margin:.5em}"
                     "img{image-rendering:pixelated;width:232px}figcaption{text-align:center;font-size:.9em}</style></head><body>";
  html += "<h1>" + title + "</h1><p>" + summary + "</p><h2>Losses</h2>";
  const std::vector<std::string> colors{"#d62728", "#1f77b4"};
  html += svg_chart("Loss", rows, {{"D loss", &LossRow::d_loss}, {"G loss", &LossRow::g_loss}}, colors) + "<br>";
  html += svg_chart("Discriminator outputs", rows, {{"D(x)", &LossRow::d_real}, {"D(G(z))", &LossRow::d_fake}}, colors);
  html += "<h2>Samples from a fixed latent batch</h2>";
  for (const auto& [caption, png] : grids)
    html += "<figure><img alt='" + caption + "' src='data:image/png;base64," + base64(png) + "'><figcaption>" + caption + "</figcaption></figure>";
  html += "</body></html>\n";
  write_file(path, html);
}

}  // namespace examples
