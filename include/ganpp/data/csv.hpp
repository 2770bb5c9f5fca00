// SPDX-License-Identifier: MIT
/// @file
/// CSV files (RFC 4180): a strict streaming reader into a RawTable and a writer. Fields are separated by commas,
/// records end with CRLF or LF, a field may be quoted ("...") and then hold commas, line breaks and doubled quotes.
/// The first record is the header. Anything else is an io_error naming the file, the line and the column (byte
/// offset in the line, from 1): a quote inside an unquoted field, text after a closing quote, an unterminated quote,
/// a bare CR, a control byte, a record with another number of fields than the header, an empty line, an empty or
/// duplicate column name, a record longer than CsvOptions::max_record_bytes, more than max_columns fields, an empty
/// file, a header without rows. An empty field (quoted or not) is a missing value.
///
/// ganpp has its own reader rather than libcsv: libcsv accepts malformed input unless CSV_STRICT is set, does not
/// report the line and column of an error, and would be the library's first compiled link dependency.
#pragma once

#include "../io/atomic_file.hpp"
#include "table.hpp"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace ganpp {

/// Limits of read_csv(): input beyond them is an io_error rather than unbounded memory.
struct CsvOptions {
  /// The longest record (all its fields, quotes and separators), in bytes; a 1 GB line stops here.
  std::size_t max_record_bytes = std::size_t(16) << 20;
  /// The most fields in a record.
  std::size_t max_columns = 4096;
  /// The most records, header included.
  std::size_t max_records = std::size_t(10) << 20;
};

namespace detail {

/// The state machine of read_csv(); fed byte by byte, so that it reads files of any size in constant chunks.
class CsvParser {
 public:
  CsvParser(std::string source, const CsvOptions& o) : o_(o) { raw_.source = std::move(source); }

  void feed(const char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) byte(static_cast<unsigned char>(p[i]));
  }

  RawTable finish() {
    if (state_ == State::quoted) fail(quote_line_, quote_col_, "unterminated quoted field (no closing quote before the end of the file)");
    if (state_ == State::after_cr) fail(line_, col_, "bare CR at the end of the file (a record ends with CRLF or LF)");
    if (state_ != State::field_start || !fields_.empty()) {
      end_field();
      end_record();
    }
    if (raw_.names.empty()) throw io_error("read_csv(): " + raw_.source + ": empty file (expected a header row)");
    if (raw_.cells.empty()) throw io_error("read_csv(): " + raw_.source + ":2: no data rows after the header");
    return std::move(raw_);
  }

 private:
  enum class State { field_start, unquoted, quoted, quote_in_quoted, after_cr };

  [[noreturn]] void fail(Index line, Index col, const std::string& what) const {
    throw io_error("read_csv(): " + raw_.source + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + what);
  }

  void byte(unsigned char c) {
    ++col_;
    if (++record_bytes_ > o_.max_record_bytes)
      fail(record_line_, 1, "record longer than " + std::to_string(o_.max_record_bytes) + " bytes (CsvOptions::max_record_bytes); is the file CSV?");
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') fail(line_, col_, "control byte " + std::to_string(c) + " (not text)");
    switch (state_) {
      case State::after_cr:
        if (c != '\n') fail(line_, col_ - 1, "bare CR (a record ends with CRLF or LF)");
        end_record();
        new_line();
        return;
      case State::field_start:
        field_line_ = line_, field_col_ = col_;
        if (c == '"') {
          state_ = State::quoted;
          quote_line_ = line_, quote_col_ = col_;
          return;
        }
        state_ = State::unquoted;
        [[fallthrough]];
      case State::unquoted:
        if (c == '"') fail(line_, col_, "quote inside an unquoted field (quote the whole field and double the quote)");
        if (c == ',') return end_field();
        if (c == '\r' || c == '\n') return end_of_line(c);
        field_ += static_cast<char>(c);
        return;
      case State::quoted:
        if (c == '"') {
          state_ = State::quote_in_quoted;
          return;
        }
        field_ += static_cast<char>(c);
        if (c == '\n') new_line();
        return;
      case State::quote_in_quoted:
        if (c == '"') {
          field_ += '"';
          state_ = State::quoted;
          return;
        }
        if (c == ',') return end_field();
        if (c == '\r' || c == '\n') return end_of_line(c);
        fail(line_, col_, "text after the closing quote of a field (a quote inside a quoted field is doubled: \"\")");
    }
  }

  void new_line() {
    ++line_;
    col_ = 0;
  }

  void end_of_line(unsigned char c) {
    end_field();
    if (c == '\r') {
      state_ = State::after_cr;
      return;
    }
    end_record();
    new_line();
  }

  void end_field() {
    if (fields_.size() >= o_.max_columns) fail(field_line_, field_col_, "more than " + std::to_string(o_.max_columns) + " fields in a record (CsvOptions::max_columns)");
    if (field_.empty())
      fields_.emplace_back(std::nullopt);
    else
      fields_.emplace_back(std::move(field_));
    field_.clear();
    state_ = State::field_start;
  }

  void end_record() {
    const bool blank = fields_.size() == 1 && !fields_[0] && record_bytes_ <= 2;
    if (raw_.names.empty()) {
      if (blank) fail(record_line_, 1, "empty header line (expected the column names)");
      for (std::size_t c = 0; c < fields_.size(); ++c) {
        if (!fields_[c]) fail(record_line_, 1, "column " + std::to_string(c + 1) + " of the header has no name");
        for (std::size_t k = 0; k < c; ++k)
          if (*fields_[k] == *fields_[c]) fail(record_line_, 1, "column " + std::to_string(c + 1) + " repeats the name '" + *fields_[c] + "' of column " + std::to_string(k + 1));
        raw_.names.push_back(*fields_[c]);
      }
    } else {
      if (blank) fail(record_line_, 1, "empty line (every record has " + std::to_string(raw_.names.size()) + " fields)");
      if (fields_.size() != raw_.names.size())
        fail(record_line_, 1, "record has " + std::to_string(fields_.size()) + " fields, the header has " + std::to_string(raw_.names.size()));
      if (raw_.cells.size() + 1 >= o_.max_records) fail(record_line_, 1, "more than " + std::to_string(o_.max_records) + " records (CsvOptions::max_records)");
      raw_.cells.push_back(std::move(fields_));
      raw_.lines.push_back(record_line_);
    }
    fields_.clear();
    record_bytes_ = 0;
    record_line_ = line_ + 1;
    state_ = State::field_start;
  }

  CsvOptions o_;
  RawTable raw_;
  State state_ = State::field_start;
  std::string field_;
  std::vector<std::optional<std::string>> fields_;
  Index line_ = 1, col_ = 0, record_line_ = 1, field_line_ = 1, field_col_ = 1, quote_line_ = 1, quote_col_ = 1;
  std::size_t record_bytes_ = 0;
};

/// A field as RFC 4180 text: quoted when it holds a comma, quote, CR or LF, has leading/trailing space, or starts
/// with the byte 0xEF (the first field of a file would otherwise read as a byte order mark).
inline std::string csv_field(const std::string& s) {
  const bool quote = s.find_first_of(",\"\r\n") != std::string::npos ||
                     (!s.empty() && (s.front() == ' ' || s.back() == ' ' || static_cast<unsigned char>(s.front()) == 0xEF));
  if (!quote) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

}  // namespace detail

/// Reads a CSV file (RFC 4180, first record the header) into text cells.
/// @param path the file.
/// @param options the limits on record length, fields and records.
/// @return the cells, each row with the line it starts on; empty fields are missing.
/// @throws io_error "read_csv(): FILE:LINE:COLUMN: what" for anything malformed (see the file comment), or when the
///   file cannot be opened.
inline RawTable read_csv(const std::string& path, const CsvOptions& options = {}) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) throw io_error("read_csv(): " + path + ": file does not exist");
  if (std::filesystem::is_directory(status)) throw io_error("read_csv(): " + path + ": is a directory, expected a CSV file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error("read_csv(): " + path + ": cannot open for reading" + detail::errno_reason(errno));
  detail::CsvParser parser(path, options);
  std::vector<char> buf(1 << 16);
  for (bool first = true; in; first = false) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    const bool bom = first && n >= 3 && std::memcmp(buf.data(), "\xEF\xBB\xBF", 3) == 0;  // a UTF-8 byte order mark is skipped
    parser.feed(buf.data() + (bom ? 3 : 0), n - (bom ? 3 : 0));
  }
  if (in.bad()) throw io_error("read_csv(): " + path + ": read error" + detail::errno_reason(errno));
  RawTable raw = parser.finish();
  raw.format = TableFormat::csv;
  return raw;
}

/// Writes cells as a CSV file (header first, LF line ends, fields quoted only where needed; a missing cell is an
/// empty field), atomically.
/// @param path the file to write.
/// @param raw the cells.
/// @throws io_error when the file cannot be written.
inline void write_csv(const std::string& path, const RawTable& raw) {
  write_file_atomically(path, [&](AtomicFileSink& out) {
    std::string line;
    for (std::size_t c = 0; c < raw.names.size(); ++c) line += (c ? "," : "") + detail::csv_field(raw.names[c]);
    out.write(line + "\n");
    for (const auto& row : raw.cells) {
      line.clear();
      for (std::size_t c = 0; c < row.size(); ++c) {
        if (c) line += ',';
        if (row[c]) line += row[c]->empty() ? std::string("\"\"") : detail::csv_field(*row[c]);
      }
      if (line.empty()) line = "\"\"";  // one missing cell in a one-column table: "" rather than an empty line
      out.write(line + "\n");
    }
  }, "write_csv");
}

}  // namespace ganpp
