// SPDX-License-Identifier: MIT
// report.html: a self-contained page with the run's settings, best state, warnings, metric and loss curves (inline SVG)
// and sample grids (inline PNGs).
#pragma once

#include "output.hpp"
#include "progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
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

/// `text` with &, <, > and quotes escaped for HTML.
inline std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '\'') out += "&#39;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

/// About `count` round tick values (1, 2 or 5 times a power of ten) covering [lo, hi].
inline std::vector<double> nice_ticks(double lo, double hi, int count = 5) {
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / std::max(1, count), magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double r = raw / magnitude, step = (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * magnitude;
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

/// Round tick values for a logarithmic axis over [lo, hi] (0 < lo <= hi): 1, 2 and 5 times powers of ten, from the
/// largest such value <= lo to the smallest >= hi (1 and 10 times powers of ten when the range spans many decades).
inline std::vector<double> log_ticks(double lo, double hi) {
  const int k0 = static_cast<int>(std::floor(std::log10(lo))), k1 = static_cast<int>(std::ceil(std::log10(hi)));
  const std::vector<double> mantissas = k1 - k0 > 3 ? std::vector<double>{1} : std::vector<double>{1, 2, 5};
  std::vector<double> all;
  for (int k = k0; k <= k1; ++k)
    for (double m : mantissas) all.push_back(m * std::pow(10.0, k));
  std::vector<double> ticks;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const bool below = all[i] <= lo * (1 + 1e-9) && (i + 1 == all.size() || all[i + 1] > lo * (1 + 1e-9));
    const bool inside = all[i] > lo * (1 + 1e-9) && (ticks.empty() || ticks.back() < hi * (1 - 1e-9));
    if (below || inside) ticks.push_back(all[i]);
  }
  return ticks;
}

/// A centred moving average of the y values over `window` points (fewer at the ends); x unchanged.
inline std::vector<std::pair<double, double>> moving_average(const std::vector<std::pair<double, double>>& points, std::size_t window) {
  const std::size_t n = points.size(), half = window / 2;
  std::vector<double> prefix(n + 1, 0.0);
  for (std::size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + points[i].second;
  std::vector<std::pair<double, double>> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t a = i >= half ? i - half : 0, b = std::min(n, i + half + 1);
    out[i] = {points[i].first, (prefix[b] - prefix[a]) / static_cast<double>(b - a)};
  }
  return out;
}

/// One line of a chart.
struct ChartSeries {
  std::string name;                               ///< legend text
  std::string color;                              ///< CSS colour
  std::vector<std::pair<double, double>> points;  ///< (x, y), x increasing; non-finite y are skipped
  bool smooth = false;                            ///< draw the points faintly and a moving average over them
  bool markers = false;                           ///< a dot on every point (for a few evaluations)
};

/// A line chart as an inline SVG element: a title, axes with round ticks and labels, one line per series (a faint
/// raw trace with a moving average over it for noisy series), a legend, and an optional highlighted point. With
/// `log_y` (and every value positive) the y axis is logarithmic.
inline std::string svg_chart(const std::string& title, const std::string& x_label, const std::string& y_label, const std::vector<ChartSeries>& series,
                             const std::pair<double, double>* highlight = nullptr, const std::string& highlight_label = "", bool log_y = false) {
  const double w = 720, h = 290, left = 62, right = 14, top = 44, bottom = 44;
  char buf[256];
  std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='720' height='290' viewBox='0 0 720 290' font-family='sans-serif'>";
  svg += "<text x='62' y='18' font-size='14' font-weight='bold'>" + html_escape(title) + "</text>";
  double x0 = 1e300, x1 = -1e300, lo = 1e300, hi = -1e300;
  for (const auto& s : series)
    for (const auto& [x, y] : s.points)
      if (std::isfinite(y) && std::isfinite(x)) {
        x0 = std::min(x0, x), x1 = std::max(x1, x);
        lo = std::min(lo, y), hi = std::max(hi, y);
      }
  if (x0 > x1) return svg + "<text x='62' y='130'>nothing yet</text></svg>";
  if (!(x1 > x0)) x1 = x0 + 1;
  log_y = log_y && lo > 0;
  if (!(hi > lo)) {
    lo = log_y ? lo / 2 : lo - 0.5;
    hi = log_y ? hi * 2 : hi + 0.5;
  }
  const std::vector<double> yt = log_y ? log_ticks(lo, hi) : nice_ticks(lo, hi, 5), xt = nice_ticks(x0, x1, 8);
  lo = std::min(lo, yt.front()), hi = std::max(hi, yt.back());
  auto f = [&](double y) { return log_y ? std::log10(y) : y; };
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (w - left - right); };
  auto py = [&](double y) { return top + (f(hi) - f(y)) / (f(hi) - f(lo)) * (h - top - bottom); };
  for (double t : yt) {
    std::snprintf(buf, sizeof buf,
                  "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='#e4e4e4'/><text x='%.1f' y='%.1f' font-size='11' "
                  "text-anchor='end'>%g</text>",
                  left, w - right, py(t), py(t), left - 5, py(t) + 4, t);
    svg += buf;
  }
  for (double t : xt) {
    if (t < x0 - 1e-9 || t > x1 + 1e-9) continue;
    std::snprintf(buf, sizeof buf,
                  "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='#999'/><text x='%.1f' y='%.1f' font-size='11' "
                  "text-anchor='middle'>%g</text>",
                  px(t), px(t), h - bottom, h - bottom + 5, px(t), h - bottom + 18, t);
    svg += buf;
  }
  std::snprintf(buf, sizeof buf, "<rect x='%.0f' y='%.0f' width='%.0f' height='%.0f' fill='none' stroke='#999'/>", left, top, w - left - right,
                h - top - bottom);
  svg += buf;
  std::snprintf(buf, sizeof buf, "<text x='%.1f' y='%.1f' font-size='12' text-anchor='middle'>", left + (w - left - right) / 2, h - 6);
  svg += buf + html_escape(x_label) + "</text>";
  std::snprintf(buf, sizeof buf, "<text transform='translate(14 %.1f) rotate(-90)' font-size='12' text-anchor='middle'>",
                top + (h - top - bottom) / 2);
  svg += buf + html_escape(y_label) + "</text>";
  auto polyline = [&](const std::vector<std::pair<double, double>>& pts, const std::string& color, double width, double opacity) {
    std::snprintf(buf, sizeof buf, "<polyline fill='none' stroke-width='%.1f' stroke-opacity='%.2f' stroke='", width, opacity);
    std::string line = buf + color + "' points='";
    for (const auto& [x, y] : pts) {
      if (!std::isfinite(y)) continue;
      std::snprintf(buf, sizeof buf, "%.1f,%.1f ", px(x), py(y));
      line += buf;
    }
    return line + "'/>";
  };
  double legend_x = left;
  std::size_t smoothed_over = 0;
  for (const auto& s : series) {
    if (s.smooth && s.points.size() > 2) {
      // The raw trace, thinned to about 1500 points by keeping each bucket's lowest and highest value (the envelope
      // stays), then a moving average over about 1/40 of the run.
      const std::size_t bucket = std::max<std::size_t>(1, s.points.size() / 750);
      std::vector<std::pair<double, double>> raw;
      for (std::size_t i = 0; i < s.points.size(); i += bucket) {
        const std::size_t end = std::min(s.points.size(), i + bucket);
        auto mm = std::minmax_element(s.points.begin() + static_cast<long>(i), s.points.begin() + static_cast<long>(end),
                                      [](const auto& a, const auto& b) { return a.second < b.second; });
        const auto& first = mm.first < mm.second ? *mm.first : *mm.second;
        const auto& second = mm.first < mm.second ? *mm.second : *mm.first;
        raw.push_back(first);
        if (bucket > 1) raw.push_back(second);
      }
      svg += polyline(raw, s.color, 0.8, 0.3);
      smoothed_over = std::max<std::size_t>(5, s.points.size() / 40) | 1;
      const std::vector<std::pair<double, double>> avg = moving_average(s.points, smoothed_over);
      std::vector<std::pair<double, double>> thin;
      for (std::size_t i = 0; i < avg.size(); i += bucket) thin.push_back(avg[i]);
      thin.push_back(avg.back());
      svg += polyline(thin, s.color, 1.8, 1.0);
    } else {
      svg += polyline(s.points, s.color, 1.6, 1.0);
    }
    if (s.markers)
      for (const auto& [x, y] : s.points)
        if (std::isfinite(y)) {
          std::snprintf(buf, sizeof buf, "<circle cx='%.1f' cy='%.1f' r='2.5' fill='", px(x), py(y));
          svg += buf + s.color + "'/>";
        }
    std::snprintf(buf, sizeof buf, "<rect x='%.0f' y='29' width='14' height='3' fill='", legend_x);
    svg += buf + s.color + "'/>";
    std::snprintf(buf, sizeof buf, "<text x='%.0f' y='35' font-size='12'>", legend_x + 18);
    svg += buf + html_escape(s.name) + "</text>";
    legend_x += 40 + 7.0 * static_cast<double>(s.name.size());
  }
  if (smoothed_over > 0) {
    std::snprintf(buf, sizeof buf, "<text x='%.0f' y='35' font-size='11' fill='#666'>faint: every step; bold: moving average over %zu steps</text>",
                  legend_x + 10, smoothed_over);
    svg += buf;
  }
  if (highlight && std::isfinite(highlight->second)) {
    // The label sits above the point, kept inside the plot near either edge (a best at the last step is common).
    const double x = px(highlight->first);
    const char* anchor = x > w - right - 40 ? "end" : x < left + 40 ? "start" : "middle";
    std::snprintf(buf, sizeof buf,
                  "<circle cx='%.1f' cy='%.1f' r='6' fill='none' stroke='#2ca02c' stroke-width='2'/><text x='%.1f' y='%.1f' "
                  "font-size='11' fill='#2ca02c' text-anchor='%s'>",
                  x, py(highlight->second), x, py(highlight->second) - 10, anchor);
    svg += buf + html_escape(highlight_label) + "</text>";
  }
  return svg + "</svg>";
}

/// The rows of a losses.csv (step,epoch,d_loss,g_loss,d_real,d_fake,seconds), malformed lines skipped.
inline std::vector<LossRow> read_loss_csv(const std::string& path) {
  std::vector<LossRow> rows;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    LossRow r;
    if (std::sscanf(line.c_str(), "%ld,%ld,%lf,%lf,%lf,%lf,%lf", &r.step, &r.epoch, &r.d_loss, &r.g_loss, &r.d_real, &r.d_fake, &r.seconds) == 7)
      rows.push_back(r);
  }
  return rows;
}

/// A chart of losses.csv-style rows over the step axis: each named LossRow field one series (drawn per step, faintly,
/// with a moving average over it), in the given colours, the y axis labelled `y_label`.
inline std::string svg_chart(const std::string& title, const std::vector<LossRow>& rows,
                             const std::vector<std::pair<std::string, double LossRow::*>>& fields, const std::vector<std::string>& colors,
                             const std::string& y_label = "value") {
  std::vector<ChartSeries> series;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    ChartSeries s{fields[i].first, colors.empty() ? "#333" : colors[i % colors.size()], {}, true, false};
    for (const auto& r : rows) s.points.push_back({static_cast<double>(r.step), r.*(fields[i].second)});
    series.push_back(std::move(s));
  }
  return svg_chart(title, "training step", y_label, series);
}

/// Seconds of training in each epoch, from losses.csv's rows (the last row of each epoch); a partial last epoch
/// counts too.
inline std::vector<std::pair<long, double>> epoch_seconds(const std::vector<LossRow>& rows) {
  std::vector<std::pair<long, double>> out;
  double before = 0;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (i + 1 == rows.size() || rows[i + 1].epoch != rows[i].epoch) {
      out.push_back({rows[i].epoch, rows[i].seconds - before});
      before = rows[i].seconds;
    }
  return out;
}

/// What report.html shows, top to bottom.
struct Report {
  std::string title;                                                     ///< page title and heading
  std::vector<std::pair<std::string, std::string>> config;               ///< the run's settings, as a table
  std::string summary;                                                   ///< a paragraph of HTML under the settings
  std::string best_caption;                                              ///< HTML describing the best state so far (empty: none)
  std::vector<std::uint8_t> best_png;                                    ///< the best state's grid (PNG bytes; may be empty)
  std::vector<std::string> warnings;                                     ///< collapse warnings, shown in a box
  std::vector<std::string> metric_charts;                                ///< inline SVG charts of the quality metrics
  std::string metrics_note;                                              ///< HTML under the metric charts
  std::vector<LossRow> losses;                                           ///< losses.csv's rows
  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> grids;  ///< (caption, PNG bytes) of the sample grids
};

/// The loss charts of losses.csv's rows: D and G losses, D(x) and D(G(z)), each a raw trace with a moving average.
inline std::string loss_charts(const std::vector<LossRow>& rows) {
  const std::vector<std::string> colors{"#d62728", "#1f77b4"};
  return svg_chart("Losses", rows, {{"D loss", &LossRow::d_loss}, {"G loss", &LossRow::g_loss}}, colors, "loss") + "<br>" +
         svg_chart("Discriminator outputs", rows, {{"D(x)", &LossRow::d_real}, {"D(G(z))", &LossRow::d_fake}}, colors, "mean sigmoid of D");
}

/// Writes report.html: title, settings, time per epoch, the best state and its grid, warnings, metric charts,
/// loss charts and sample grids. Self-contained (inline SVG and PNG), written atomically.
inline void write_report(const std::string& path, const Report& r) {
  std::string html = "<!DOCTYPE html><html><head><meta charset='utf-8'><title>" + html_escape(r.title) +
                     "</title><style>body{font-family:sans-serif;margin:1.5em 2em;max-width:62em}figure{display:inline-block;margin:.5em}"
                     "img{image-rendering:pixelated;width:232px}figcaption{text-align:center;font-size:.9em}"
                     "table{border-collapse:collapse;font-size:.9em}td,th{padding:2px 10px;border-bottom:1px solid #ddd;text-align:left}"
                     ".top{display:flex;gap:2em;align-items:flex-start}.warn{background:#fff3cd;border:1px solid #e0b000;padding:.5em 1em}"
                     "</style></head><body>";
  html += "<h1>" + html_escape(r.title) + "</h1><div class='top'><div><table>";
  for (const auto& [k, v] : r.config) html += "<tr><th>" + html_escape(k) + "</th><td>" + html_escape(v) + "</td></tr>";
  const auto epochs = epoch_seconds(r.losses);
  if (!epochs.empty()) {
    html += "<tr><th>time per epoch</th><td>";
    for (std::size_t i = 0; i < epochs.size(); ++i)
      html += (i ? ", " : "") + std::to_string(epochs[i].first) + ": " + format_duration(epochs[i].second);
    html += "</td></tr>";
  }
  html += "</table><p>" + r.summary + "</p></div>";
  if (!r.best_caption.empty()) {
    html += "<figure>";
    if (!r.best_png.empty()) html += "<img alt='best state' src='data:image/png;base64," + base64(r.best_png) + "'>";
    html += "<figcaption>" + r.best_caption + "</figcaption></figure>";
  }
  html += "</div>";
  if (!r.warnings.empty()) {
    html += "<div class='warn'><b>Warnings</b><ul>";
    for (const auto& w : r.warnings) html += "<li>" + html_escape(w) + "</li>";
    html += "</ul></div>";
  }
  if (!r.metric_charts.empty()) {
    html += "<h2>Sample quality</h2>";
    for (const auto& c : r.metric_charts) html += c + "<br>";
    html += r.metrics_note;
  }
  html += "<h2>Losses</h2>" + loss_charts(r.losses);
  html += "<h2>Samples from a fixed latent batch</h2>";
  for (const auto& [caption, png] : r.grids)
    html += "<figure><img alt='" + html_escape(caption) + "' src='data:image/png;base64," + base64(png) + "'><figcaption>" + html_escape(caption) +
            "</figcaption></figure>";
  html += "</body></html>\n";
  write_file(path, html);
}

/// Writes a report with only a title, a summary, the loss charts and the grids.
inline void write_report(const std::string& path, const std::string& title, const std::string& summary,
                         const std::vector<std::pair<std::string, std::vector<std::uint8_t>>>& grids, const std::vector<LossRow>& rows) {
  Report r;
  r.title = title;
  r.summary = summary;
  r.grids = grids;
  r.losses = rows;
  write_report(path, r);
}

}  // namespace examples
