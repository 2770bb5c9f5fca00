// SPDX-License-Identifier: MIT
/// @file
/// JSON arrays of records ([{"a": 1, "b": "x"}, ...]) read into a RawTable and written back, with nlohmann/json
/// (Debian: nlohmann-json3-dev; link nlohmann_json::nlohmann_json). The columns are the keys in order of first
/// appearance; null, an absent key or an empty string is a missing value; numbers keep their text; true/false are
/// categories. Errors name the file, the line and the column (or the key).
#pragma once

#include "../io/atomic_file.hpp"
#include "table.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace ganpp {

namespace detail {

/// The 1-based line and column of byte `offset` in `text`.
inline void json_line_col(const std::string& text, std::size_t offset, Index& line, Index& col) {
  line = 1, col = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n')
      ++line, col = 1;
    else
      ++col;
  }
}

/// The line on which each element of the top-level array starts (text must be valid JSON whose top level is an array).
inline std::vector<Index> json_element_lines(const std::string& text) {
  std::vector<Index> lines;
  Index line = 1;
  int depth = 0;
  bool in_string = false, escaped = false, expect_element = false;
  for (char c : text) {
    if (c == '\n') ++line;
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    const bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
    if (depth == 1 && expect_element && !space && c != ']') {
      lines.push_back(line);
      expect_element = false;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth == 1) expect_element = true;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',' && depth == 1) {
      expect_element = true;
    }
  }
  return lines;
}

}  // namespace detail

/// Reads a JSON file holding an array of objects (records) into text cells.
/// @param path the file.
/// @param max_bytes the largest file accepted.
/// @return the cells; the columns in order of first appearance, each row with the line its record starts on.
/// @throws io_error "read_json_table(): FILE:LINE:COLUMN: what" for a JSON syntax error, and "FILE:LINE: ..." naming
///   the record and key for a top level that is not an array, a record that is not an object, a value that is an
///   array or object; also for an empty array, a file larger than max_bytes or one that cannot be read.
inline RawTable read_json_table(const std::string& path, std::size_t max_bytes = std::size_t(256) << 20) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) throw io_error("read_json_table(): " + path + ": file does not exist");
  if (std::filesystem::is_directory(status)) throw io_error("read_json_table(): " + path + ": is a directory, expected a JSON file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw io_error("read_json_table(): " + path + ": cannot determine the file size");
  if (size > max_bytes) throw io_error("read_json_table(): " + path + ": file of " + std::to_string(size) + " bytes is larger than the limit of " + std::to_string(max_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error("read_json_table(): " + path + ": cannot open for reading" + detail::errno_reason(errno));
  const std::string text(std::istreambuf_iterator<char>(in), {});
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) throw io_error("read_json_table(): " + path + ": empty file (expected an array of records)");
  nlohmann::ordered_json doc;
  try {
    doc = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    Index line, col;
    detail::json_line_col(text, e.byte > 0 ? e.byte - 1 : 0, line, col);
    std::string what = e.what();
    const auto colon = what.find("syntax error");
    throw io_error("read_json_table(): " + path + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + (colon == std::string::npos ? what : what.substr(colon)));
  }
  if (!doc.is_array()) throw io_error("read_json_table(): " + path + ":1: expected an array of records at the top level, found " + std::string(doc.type_name()));
  if (doc.empty()) throw io_error("read_json_table(): " + path + ":1: the array holds no records");
  RawTable raw;
  raw.source = path;
  raw.format = TableFormat::json;
  raw.lines = detail::json_element_lines(text);
  if (raw.lines.size() != doc.size()) raw.lines.assign(doc.size(), 1);  // cannot happen for valid JSON; keep messages safe
  std::map<std::string, std::size_t> index;
  for (std::size_t r = 0; r < doc.size(); ++r) {
    const auto& rec = doc[r];
    const std::string where = path + ":" + std::to_string(raw.lines[r]) + ": record " + std::to_string(r + 1);
    if (!rec.is_object()) throw io_error("read_json_table(): " + where + " is " + std::string(rec.type_name()) + ", expected an object");
    for (const auto& [key, value] : rec.items()) {
      if (key.empty()) throw io_error("read_json_table(): " + where + ": a key is empty");
      auto it = index.find(key);
      if (it == index.end()) {
        it = index.emplace(key, raw.names.size()).first;
        raw.names.push_back(key);
        raw.json_numbers.push_back(true);
        for (auto& row : raw.cells) row.emplace_back(std::nullopt);
      }
      if (raw.cells.size() == r) raw.cells.emplace_back(raw.names.size());
      auto& row = raw.cells[r];
      row.resize(raw.names.size());
      std::optional<std::string> cell;
      if (value.is_number()) {
        cell = value.dump();
      } else if (value.is_string()) {
        if (!value.get_ref<const std::string&>().empty()) cell = value.get<std::string>();
        raw.json_numbers[it->second] = false;
      } else if (value.is_boolean()) {
        cell = value.get<bool>() ? "true" : "false";
        raw.json_numbers[it->second] = false;
      } else if (!value.is_null()) {
        throw io_error("read_json_table(): " + where + ", column '" + key + "': value is " + std::string(value.type_name()) + ", expected a number, string, boolean or null");
      }
      row[it->second] = std::move(cell);
    }
    if (raw.cells.size() == r) raw.cells.emplace_back(raw.names.size());
    raw.cells[r].resize(raw.names.size());
  }
  return raw;
}

/// Writes cells as a JSON array of records (keys in column order; columns flagged in raw.json_numbers, or all when
/// it is empty and the text is a number, as JSON numbers; missing cells as null), atomically.
/// @param path the file to write.
/// @param raw the cells.
/// @throws io_error when the file cannot be written.
inline void write_json_table(const std::string& path, const RawTable& raw) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::array();
  for (const auto& row : raw.cells) {
    nlohmann::ordered_json rec = nlohmann::ordered_json::object();
    for (std::size_t c = 0; c < raw.names.size(); ++c) {
      const auto& cell = c < row.size() ? row[c] : std::optional<std::string>();
      double v;
      int decimals;
      if (!cell) {
        rec[raw.names[c]] = nullptr;
      } else if ((raw.json_numbers.empty() || raw.json_numbers[c]) && detail::parse_number(*cell, v, decimals)) {
        if (decimals == 0 && std::abs(v) < 9e15)
          rec[raw.names[c]] = static_cast<std::int64_t>(v);
        else
          rec[raw.names[c]] = v;
      } else {
        rec[raw.names[c]] = *cell;
      }
    }
    doc.push_back(std::move(rec));
  }
  const std::string text = doc.dump(2) + "\n";
  write_file_atomically(path, [&](AtomicFileSink& out) { out.write(text); }, "write_json_table");
}

}  // namespace ganpp
