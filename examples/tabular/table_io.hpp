// SPDX-License-Identifier: MIT
// What ganpp-tabular and ganpp-timeseries share: reading the user's table (CSV or JSON by extension) with --types and
// --columns, writing a table back in the input's format, and the loss rows kept in the checkpoint for --resume.
#pragma once

#include <ganpp/data/csv.hpp>
#include <ganpp/config.hpp>
#include <ganpp/data/json_table.hpp>

#include "common/cli.hpp"
#include "common/report.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace examples {

/// The items of a comma-separated list, empty ones dropped.
inline std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, ','))
    if (!cur.empty()) out.push_back(cur);
  return out;
}

/// Whether a path names a JSON table (by its extension), else CSV.
inline bool is_json_path(const std::string& path) { return std::filesystem::path(path).extension() == ".json"; }

/// Reads --data with the --types overrides (NAME=TYPE,...) and keeps the --columns (in the file's order; all when empty).
inline ganpp::Table read_user_table(const std::string& data, const std::string& types, const std::string& columns) {
  const ganpp::RawTable raw = is_json_path(data) ? ganpp::read_json_table(data) : ganpp::read_csv(data);
  ganpp::ColumnKinds kinds;
  for (const std::string& item : split_list(types)) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) throw UsageError("--types: expected NAME=TYPE, got '" + item + "'");
    try {
      kinds[item.substr(0, eq)] = ganpp::parse_column_kind(item.substr(eq + 1));
    } catch (const ganpp::argument_error& e) {
      throw UsageError(std::string("--types: ") + e.what());
    }
  }
  ganpp::Table all = ganpp::to_table(raw, kinds);
  if (columns.empty()) return all;
  const std::vector<std::string> keep = split_list(columns);
  for (const std::string& k : keep) all.column_index(k);  // throws for a column the file lacks
  ganpp::Table sel = all;
  sel.columns.clear();
  for (const ganpp::TableColumn& c : all.columns)
    if (std::find(keep.begin(), keep.end(), c.name) != keep.end()) sel.columns.push_back(c);
  return sel;
}

/// Writes a table as CSV or JSON records (as the input was) and returns the path: OUT/<stem>.csv or .json.
inline std::string write_user_table(const ganpp::Table& t, bool json, const std::string& out, const std::string& stem) {
  const std::string path = (std::filesystem::path(out) / (stem + (json ? ".json" : ".csv"))).string();
  if (json) ganpp::write_json_table(path, ganpp::to_raw(t));
  else ganpp::write_csv(path, ganpp::to_raw(t));
  return path;
}

/// The options both programs take: --data, --columns, --types, --out, --resume, --threads, --seed, --json.
struct TableOptions {
  std::string data, columns, types, out;
  bool resume = false, json = false;
  int threads = 1;
  std::uint64_t seed = 0;

  /// Declares the options on app; `columns_help` and `seed_help` say what they mean for this program.
  void add_to(CLI::App& app, const std::string& columns_help, const std::string& seed_help) {
    app.add_option("--data", data, "the table: a .csv file (RFC 4180, header row) or a .json array of records (required)");
    app.add_option("--columns", columns, columns_help);
    app.add_option("--types", types, "per-column types overriding the inference: NAME=numeric|categorical|date,...");
    app.add_option("--out", out, "output folder");
    app.add_flag("--resume", resume, "continue from OUT/checkpoint.ganpp");
    app.add_option("--threads", threads, "threads (default 1: the networks are small; more threads cost more than they save)")
        ->check(integer_at_least(1, 1024));
    add_seed_option(app, seed, seed_help);
    add_json_flag(app, json);
  }
  /// After parsing: checks --data, sets the threads, reads the table.
  ganpp::Table read() const {
    if (data.empty()) throw UsageError("--data is required");
    ganpp::set_num_threads(threads);
    return read_user_table(data, types, columns);
  }
};

/// Loss rows as text lines (for the checkpoint) and back.
inline std::string losses_to_text(const std::vector<LossRow>& rows) {
  std::ostringstream lines;
  lines.precision(9);
  for (const auto& r : rows) lines << r.step << ' ' << r.epoch << ' ' << r.d_loss << ' ' << r.g_loss << ' ' << r.d_real << ' ' << r.d_fake << '\n';
  return lines.str();
}
/// The rows of losses_to_text().
inline std::vector<LossRow> losses_from_text(const std::string& text) {
  std::vector<LossRow> rows;
  std::istringstream in(text);
  LossRow r;
  while (in >> r.step >> r.epoch >> r.d_loss >> r.g_loss >> r.d_real >> r.d_fake) rows.push_back(r);
  return rows;
}

}  // namespace examples
