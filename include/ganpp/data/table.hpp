// SPDX-License-Identifier: MIT
/// @file
/// Tables of the user's data: RawTable (the cells as text, with the line each row starts on) and Table (typed
/// columns: numeric, categorical or date), with type inference that each column can override, and the way back
/// from a Table to text cells in the input's column order. The readers are in ganpp/data/csv.hpp and
/// ganpp/data/json_table.hpp.
#pragma once

#include "../config.hpp"
#include "../error.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ganpp {

/// The file format a table came from; the synthetic table is written back in the same one.
enum class TableFormat { csv, json };

/// A table as text: a header and rows of cells, each cell absent (missing) or a string.
struct RawTable {
  /// The file the table was read from, quoted in every error message.
  std::string source;
  /// The format of the file.
  TableFormat format = TableFormat::csv;
  /// Column names in the file's order; unique and non-empty.
  std::vector<std::string> names;
  /// cells[row][column]; std::nullopt marks a missing value (an empty CSV field, a JSON null or absent key).
  std::vector<std::vector<std::optional<std::string>>> cells;
  /// The 1-based line of the file on which each row starts (parallel to cells).
  std::vector<Index> lines;
  /// For JSON: whether each column held JSON numbers (written back as numbers); empty for CSV.
  std::vector<bool> json_numbers;
};

/// The type of a column of a Table.
enum class ColumnKind {
  numeric,      ///< finite decimal numbers
  categorical,  ///< any text, one category per distinct value
  date          ///< ISO 8601 dates YYYY-MM-DD, optionally with a time hh:mm or hh:mm:ss after 'T' or a space
};

/// The name of a kind, as accepted by parse_column_kind(): "numeric", "categorical" or "date".
inline const char* column_kind_name(ColumnKind k) {
  return k == ColumnKind::numeric ? "numeric" : k == ColumnKind::categorical ? "categorical" : "date";
}

/// The kind named `s` ("numeric", "categorical" or "date").
/// @param s the name.
/// @throws argument_error for any other name.
inline ColumnKind parse_column_kind(const std::string& s) {
  if (s == "numeric") return ColumnKind::numeric;
  if (s == "categorical") return ColumnKind::categorical;
  if (s == "date") return ColumnKind::date;
  throw argument_error("parse_column_kind(): unknown column type '" + s + "' (expected numeric, categorical or date)");
}

/// One typed column of a Table.
struct TableColumn {
  /// The column's name (its header).
  std::string name;
  /// Its type.
  ColumnKind kind = ColumnKind::numeric;
  /// numeric: the values; date: days since 1970-01-01 (a fraction for the time of day); categorical: the category
  /// index into `categories`. A missing value is NaN (numeric, date) or -1 (categorical).
  std::vector<double> values;
  /// categorical: the distinct values, in order of first appearance.
  std::vector<std::string> categories;
  /// numeric: the most digits after the decimal point in the file (values are written back with this many, and
  /// decoded values are rounded to it); -1 when a value used an exponent (written back with 17 significant digits).
  int decimals = 0;
  /// date: whether the values carry a time of day (written back as YYYY-MM-DDThh:mm:ss, else YYYY-MM-DD).
  bool has_time = false;
  /// date: the separator between date and time in the file ('T' or ' ').
  char time_separator = 'T';

  /// Whether row `r` is missing.
  /// @param r the row.
  bool missing(Index r) const {
    const double v = values[static_cast<std::size_t>(r)];
    return kind == ColumnKind::categorical ? v < 0 : std::isnan(v);
  }
  /// The number of missing values.
  Index missing_count() const {
    Index n = 0;
    for (Index r = 0; r < static_cast<Index>(values.size()); ++r) n += missing(r);
    return n;
  }
};

/// A typed table: columns of equal length, in the file's order.
struct Table {
  /// The file it was read from (for messages).
  std::string source;
  /// The format of that file.
  TableFormat format = TableFormat::csv;
  /// The columns.
  std::vector<TableColumn> columns;

  /// The number of rows (0 for a table without columns).
  Index rows() const { return columns.empty() ? 0 : static_cast<Index>(columns[0].values.size()); }
  /// The index of the column named `name`.
  /// @param name a column name.
  /// @throws argument_error naming the file and the columns it has when there is none.
  Index column_index(const std::string& name) const {
    for (std::size_t c = 0; c < columns.size(); ++c)
      if (columns[c].name == name) return static_cast<Index>(c);
    std::string have;
    for (const auto& c : columns) have += (have.empty() ? "'" : ", '") + c.name + "'";
    throw argument_error("Table::column_index(): " + source + " has no column '" + name + "' (its columns: " + have + ")");
  }
  /// A table with the same columns (names, kinds, categories, formats) and no rows.
  Table empty_like() const {
    Table t{source, format, columns};
    for (auto& c : t.columns) c.values.clear();
    return t;
  }
};

namespace detail {

/// Parses a whole string as a finite decimal number (no leading/trailing space, no inf/nan, no hex).
/// Sets decimals to the digits after the point (-1 when there is an exponent).
inline bool parse_number(const std::string& s, double& value, int& decimals) {
  if (s.empty() || s.size() > 400) return false;
  std::size_t i = 0;
  if (s[i] == '+' || s[i] == '-') ++i;
  std::size_t digits = 0, frac = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++frac;
  }
  if (digits + frac == 0) return false;
  decimals = static_cast<int>(std::min<std::size_t>(frac, 17));
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exp_digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp_digits;
    if (exp_digits == 0) return false;
    decimals = -1;
  }
  if (i != s.size()) return false;
  errno = 0;
  char* end = nullptr;
  value = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(value);
}

/// Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian; Howard Hinnant's days_from_civil).
inline long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

/// The civil date of a day count from 1970-01-01 (the inverse of days_from_civil).
inline void civil_from_days(long long z, long long& y, unsigned& m, unsigned& d) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<long long>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

inline bool digits_at(const std::string& s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

/// Parses YYYY-MM-DD[(T| )hh:mm[:ss]] into days since 1970-01-01; sets has_time and the separator.
inline bool parse_date(const std::string& s, double& days, bool& has_time, char& separator) {
  int y, mo, d;
  if (s.size() < 10 || !digits_at(s, 0, 4, y) || s[4] != '-' || !digits_at(s, 5, 2, mo) || s[7] != '-' || !digits_at(s, 8, 2, d)) return false;
  static const int month_days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1]) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return false;
  int h = 0, mi = 0, sec = 0;
  has_time = false;
  if (s.size() > 10) {
    if ((s[10] != 'T' && s[10] != ' ') || !digits_at(s, 11, 2, h) || s.size() < 16 || s[13] != ':' || !digits_at(s, 14, 2, mi)) return false;
    if (s.size() == 19) {
      if (s[16] != ':' || !digits_at(s, 17, 2, sec)) return false;
    } else if (s.size() != 16) {
      return false;
    }
    if (h > 23 || mi > 59 || sec > 59) return false;
    has_time = true;
    separator = s[10];
  }
  days = static_cast<double>(days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) + (h * 3600 + mi * 60 + sec) / 86400.0;
  return true;
}

/// Formats days since 1970-01-01 as YYYY-MM-DD, with the time to the second when has_time.
inline std::string format_date(double days, bool has_time, char separator) {
  long long whole = static_cast<long long>(std::floor(days));
  long long secs = has_time ? std::llround((days - static_cast<double>(whole)) * 86400.0) : 0;
  if (secs >= 86400) ++whole, secs -= 86400;
  long long y;
  unsigned m, d;
  civil_from_days(whole, y, m, d);
  std::array<char, 64> buf{};
  if (has_time)
    std::snprintf(buf.data(), buf.size(), "%04lld-%02u-%02u%c%02lld:%02lld:%02lld", y, m, d, separator, secs / 3600, secs / 60 % 60, secs % 60);
  else
    std::snprintf(buf.data(), buf.size(), "%04lld-%02u-%02u", y, m, d);
  return std::string(buf.data());
}

/// Formats a number with `decimals` digits after the point (-1: 17 significant digits), without "-0".
inline std::string format_number(double v, int decimals) {
  std::array<char, 512> buf{};
  if (decimals < 0)
    std::snprintf(buf.data(), buf.size(), "%.17g", v);
  else
    std::snprintf(buf.data(), buf.size(), "%.*f", decimals, v);
  std::string s = buf.data();
  if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

/// Rounds v to `decimals` digits after the point (no-op for -1): the decoded value then equals the value parsed
/// from the text that format_number() writes.
inline double round_to_decimals(double v, int decimals) {
  if (decimals < 0 || !std::isfinite(v)) return v;
  const double scale = std::pow(10.0, decimals);
  const double r = std::round(v * scale);
  if (std::abs(r) > 9007199254740992.0) return v;  // beyond 2^53 the scaled value is already an integer
  return r / scale;
}

}  // namespace detail

/// Per-column type choices for to_table(): a column named here gets this type instead of the inferred one.
using ColumnKinds = std::map<std::string, ColumnKind>;

/// The typed table of a RawTable. Each column's type is `kinds[name]` when given, else inferred: numeric when every
/// present cell is a finite decimal number, date when every present cell is an ISO date, else categorical (a
/// column with no present cell is categorical). Missing cells stay missing (NaN, or category -1).
/// @param raw the cells.
/// @param kinds types that override the inference, by column name.
/// @throws argument_error when `kinds` names a column the table lacks.
/// @throws io_error "FILE:LINE: column 'NAME' (number C): 'TEXT' is not a number" (or not a date) when a column
///   declared numeric or date holds a cell that is not.
inline Table to_table(const RawTable& raw, const ColumnKinds& kinds = {}) {
  for (const auto& [name, kind] : kinds) {
    (void)kind;
    if (std::find(raw.names.begin(), raw.names.end(), name) == raw.names.end())
      throw argument_error("to_table(): a type is given for column '" + name + "', which " + raw.source + " does not have");
  }
  Table t;
  t.source = raw.source;
  t.format = raw.format;
  const std::size_t rows = raw.cells.size();
  for (std::size_t c = 0; c < raw.names.size(); ++c) {
    TableColumn col;
    col.name = raw.names[c];
    auto where = [&](std::size_t r) {
      return raw.source + ":" + std::to_string(raw.lines[r]) + ": column '" + col.name + "' (number " + std::to_string(c + 1) + ")";
    };
    const auto given = kinds.find(col.name);
    bool numeric = true, date = true, any = false;
    if (given == kinds.end()) {
      for (std::size_t r = 0; r < rows && (numeric || date); ++r) {
        const auto& cell = raw.cells[r][c];
        if (!cell) continue;
        any = true;
        double v;
        int dec;
        bool ht;
        char sep;
        if (numeric && !detail::parse_number(*cell, v, dec)) numeric = false;
        if (date && !detail::parse_date(*cell, v, ht, sep)) date = false;
      }
      col.kind = !any ? ColumnKind::categorical : numeric ? ColumnKind::numeric : date ? ColumnKind::date : ColumnKind::categorical;
    } else {
      col.kind = given->second;
    }
    col.values.resize(rows);
    std::map<std::string, int> index;
    for (std::size_t r = 0; r < rows; ++r) {
      const auto& cell = raw.cells[r][c];
      if (col.kind == ColumnKind::categorical) {
        if (!cell) {
          col.values[r] = -1;
          continue;
        }
        auto it = index.find(*cell);
        if (it == index.end()) {
          it = index.emplace(*cell, static_cast<int>(col.categories.size())).first;
          col.categories.push_back(*cell);
        }
        col.values[r] = it->second;
        continue;
      }
      if (!cell) {
        col.values[r] = std::numeric_limits<double>::quiet_NaN();
        continue;
      }
      if (col.kind == ColumnKind::numeric) {
        int dec = 0;
        if (!detail::parse_number(*cell, col.values[r], dec))
          throw io_error("to_table(): " + where(r) + ": '" + cell->substr(0, 60) + "' is not a number (the column is numeric)");
        col.decimals = col.decimals < 0 || dec < 0 ? -1 : std::max(col.decimals, dec);
      } else {
        bool ht = false;
        char sep = 'T';
        if (!detail::parse_date(*cell, col.values[r], ht, sep))
          throw io_error("to_table(): " + where(r) + ": '" + cell->substr(0, 60) + "' is not a date YYYY-MM-DD[Thh:mm[:ss]] (the column is a date)");
        if (ht) col.has_time = true, col.time_separator = sep;
      }
    }
    t.columns.push_back(std::move(col));
  }
  return t;
}

/// The cells of a Table as text, in its column order: numbers with the column's decimals, dates in ISO form,
/// categories by name, missing values absent. Lines are numbered from 2 (after a header line).
/// @param t the table.
/// @throws argument_error for a category index outside the column's categories.
inline RawTable to_raw(const Table& t) {
  RawTable raw;
  raw.source = t.source;
  raw.format = t.format;
  const std::size_t rows = static_cast<std::size_t>(t.rows());
  raw.cells.assign(rows, std::vector<std::optional<std::string>>(t.columns.size()));
  for (std::size_t r = 0; r < rows; ++r) raw.lines.push_back(static_cast<Index>(r) + 2);
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    const TableColumn& col = t.columns[c];
    raw.names.push_back(col.name);
    raw.json_numbers.push_back(col.kind == ColumnKind::numeric);
    if (col.values.size() != rows)
      throw argument_error("to_raw(): column '" + col.name + "' has " + std::to_string(col.values.size()) + " values, the first column " + std::to_string(rows));
    for (std::size_t r = 0; r < rows; ++r) {
      if (col.missing(static_cast<Index>(r))) continue;
      const double v = col.values[r];
      if (col.kind == ColumnKind::categorical) {
        if (v >= static_cast<double>(col.categories.size()) || v != std::floor(v))
          throw argument_error("to_raw(): column '" + col.name + "' row " + std::to_string(r) + ": category " + detail::format_number(v, -1) + " outside 0.." + std::to_string(col.categories.size() - 1));
        raw.cells[r][c] = col.categories[static_cast<std::size_t>(v)];
      } else if (col.kind == ColumnKind::numeric) {
        raw.cells[r][c] = detail::format_number(v, col.decimals);
      } else {
        raw.cells[r][c] = detail::format_date(v, col.has_time, col.time_separator);
      }
    }
  }
  return raw;
}

}  // namespace ganpp
