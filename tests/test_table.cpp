// SPDX-License-Identifier: MIT
// The table readers: RFC 4180 CSV, JSON records, type inference and its overrides, missing values, the bad inputs.
#include <ganpp/data/csv.hpp>
#include <ganpp/data/json_table.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

using namespace ganpp;
using test::TempDir;
using test::read_bytes;
using test::write_bytes;

namespace {

RawTable csv_of(const TempDir& dir, const std::string& text, const CsvOptions& o = {}) {
  const std::string path = dir.file("t.csv");
  write_bytes(path, text);
  return read_csv(path, o);
}

std::string csv_error(const TempDir& dir, const std::string& text, const CsvOptions& o = {}) {
  return test::io_error_message([&] { csv_of(dir, text, o); });
}

}  // namespace

TEST_CASE("read_csv: quoting, embedded commas, quotes and newlines, CRLF, a missing last line end") {
  TempDir dir;
  const RawTable t = csv_of(dir, "name,note,n\r\n\"Smith, J\",\"said \"\"hi\"\"\",1\r\nx,\"two\nlines\",\r\n\"\",y,3");
  REQUIRE(t.names == std::vector<std::string>{"name", "note", "n"});
  REQUIRE(t.cells.size() == 3);
  CHECK(*t.cells[0][0] == "Smith, J");
  CHECK(*t.cells[0][1] == "said \"hi\"");
  CHECK(*t.cells[1][1] == "two\nlines");
  CHECK_FALSE(t.cells[1][2].has_value());  // empty field: missing
  CHECK_FALSE(t.cells[2][0].has_value());  // "" too
  CHECK(t.lines == std::vector<Index>{2, 3, 5});  // the quoted newline moves the third record to line 5
}

TEST_CASE("read_csv: a UTF-8 byte order mark is skipped and a trailing newline adds no row") {
  TempDir dir;
  const RawTable t = csv_of(dir, "\xEF\xBB\xBF" "a,b\n1,2\n");
  CHECK(t.names[0] == "a");
  CHECK(t.cells.size() == 1);
}

TEST_CASE("read_csv: every malformed input is an io_error naming the file, the line and the column") {
  TempDir dir;
  const std::string f = dir.file("t.csv");
  CHECK_THAT(csv_error(dir, ""), Catch::Contains(f) && Catch::Contains("empty file"));
  CHECK_THAT(csv_error(dir, "a,b\n"), Catch::Contains(f + ":2:") && Catch::Contains("no data rows"));
  CHECK_THAT(csv_error(dir, "a,b\n1,2\n3\n"), Catch::Contains(f + ":3:1:") && Catch::Contains("record has 1 fields, the header has 2"));
  CHECK_THAT(csv_error(dir, "a,b\n1,2,3\n"), Catch::Contains(f + ":2:1:") && Catch::Contains("3 fields"));
  CHECK_THAT(csv_error(dir, "a,b\n1,\"open\n2,3\n"), Catch::Contains(f + ":2:3:") && Catch::Contains("unterminated quoted field"));
  CHECK_THAT(csv_error(dir, "a,b\n1,x\"y\n"), Catch::Contains(f + ":2:4:") && Catch::Contains("quote inside an unquoted field"));
  CHECK_THAT(csv_error(dir, "a,b\n1,\"x\"y\n"), Catch::Contains(f + ":2:6:") && Catch::Contains("text after the closing quote"));
  CHECK_THAT(csv_error(dir, "a,b\n1,2\r3,4\n"), Catch::Contains(f + ":2:4:") && Catch::Contains("bare CR"));
  CHECK_THAT(csv_error(dir, "a,b\n1,2\n\n3,4\n"), Catch::Contains(f + ":3:1:") && Catch::Contains("empty line"));
  CHECK_THAT(csv_error(dir, "a,a\n1,2\n"), Catch::Contains(f + ":1:1:") && Catch::Contains("repeats the name 'a'"));
  CHECK_THAT(csv_error(dir, "a,\n1,2\n"), Catch::Contains("column 2 of the header has no name"));
  CHECK_THAT(csv_error(dir, std::string("a,b\n1,2\0,3\n", 11)), Catch::Contains(f + ":2:4:") && Catch::Contains("control byte 0"));
  CsvOptions narrow;
  narrow.max_columns = 2;
  CHECK_THAT(csv_error(dir, "a,b,c\n1,2,3\n", narrow), Catch::Contains(f + ":1:5:") && Catch::Contains("more than 2 fields"));
  CHECK_THAT(test::io_error_message([&] { read_csv(dir.file("absent.csv")); }), Catch::Contains("absent.csv: file does not exist"));
}

TEST_CASE("read_csv: a line longer than max_record_bytes stops there with an error (a 1 GB line never fills memory)") {
  TempDir dir;
  CsvOptions small;
  small.max_record_bytes = 100;
  CHECK_THAT(csv_error(dir, "a,b\n1," + std::string(200, 'x') + "\n", small), Catch::Contains(":2:1:") && Catch::Contains("record longer than 100 bytes"));
  // The default limit, 16 MiB, with a 17 MiB line (no newline): the reader stops at the limit.
  CHECK_THAT(csv_error(dir, "a\n" + std::string(17u << 20, 'x')), Catch::Contains(":2:1:") && Catch::Contains("record longer than 16777216 bytes"));
}

TEST_CASE("to_table: infers numeric, date and categorical columns; missing values stay missing") {
  TempDir dir;
  const Table t = to_table(csv_of(dir, "x,d,c,m\n1.5,2020-02-29,a,\n-2,2021-01-01,b,\n3e2,1970-01-02T12:00:00,a,\n"));
  REQUIRE(t.columns.size() == 4);
  CHECK(t.columns[0].kind == ColumnKind::numeric);
  CHECK(t.columns[0].values == std::vector<double>{1.5, -2, 300});
  CHECK(t.columns[0].decimals == -1);  // an exponent: written back with 17 digits
  CHECK(t.columns[1].kind == ColumnKind::date);
  CHECK(t.columns[1].has_time);
  CHECK(t.columns[1].values[2] == Approx(1.5));
  CHECK(t.columns[1].values[0] == 18321);  // 2020-02-29 is day 18321 of the Unix epoch
  CHECK(t.columns[2].kind == ColumnKind::categorical);
  CHECK(t.columns[2].categories == std::vector<std::string>{"a", "b"});
  CHECK(t.columns[2].values == std::vector<double>{0, 1, 0});
  CHECK(t.columns[3].kind == ColumnKind::categorical);  // no value at all
  CHECK(t.columns[3].missing_count() == 3);
}

TEST_CASE("to_table: not-quite numbers and dates are categorical; per-column overrides win") {
  TempDir dir;
  const RawTable raw = csv_of(dir, "a,b,c,d\n1,2020-13-01,inf, 1\n2,2020-01-01,1,2\n");
  Table t = to_table(raw);
  CHECK(t.columns[0].kind == ColumnKind::numeric);
  CHECK(t.columns[1].kind == ColumnKind::categorical);  // month 13
  CHECK(t.columns[2].kind == ColumnKind::categorical);  // inf is not a finite number
  CHECK(t.columns[3].kind == ColumnKind::categorical);  // a leading space
  t = to_table(raw, {{"a", ColumnKind::categorical}});
  CHECK(t.columns[0].kind == ColumnKind::categorical);
  CHECK(t.columns[0].categories == std::vector<std::string>{"1", "2"});
  const std::string f = dir.file("t.csv");
  CHECK_THAT(test::io_error_message([&] { to_table(raw, {{"c", ColumnKind::numeric}}); }),
             Catch::Contains(f + ":2: column 'c' (number 3): 'inf' is not a number"));
  CHECK_THAT(test::io_error_message([&] { to_table(raw, {{"b", ColumnKind::date}}); }), Catch::Contains(f + ":2: column 'b' (number 2): '2020-13-01' is not a date"));
  CHECK_THROWS_AS(to_table(raw, {{"zz", ColumnKind::numeric}}), argument_error);
  CHECK(parse_column_kind("date") == ColumnKind::date);
  CHECK_THROWS_AS(parse_column_kind("text"), argument_error);
}

TEST_CASE("to_raw and write_csv give the same table back, column order and missing values included") {
  TempDir dir;
  const std::string text = "b,a,when\n0.25,\"x, y\",2001-02-03\n,z,\n10.5,,1999-12-31\n";
  const Table t = to_table(csv_of(dir, text));
  write_csv(dir.file("out.csv"), to_raw(t));
  CHECK(read_bytes(dir.file("out.csv")) == "b,a,when\n0.25,\"x, y\",2001-02-03\n,z,\n10.50,,1999-12-31\n");
  const Table back = to_table(read_csv(dir.file("out.csv")));
  for (std::size_t c = 0; c < 3; ++c) {
    CHECK(back.columns[c].name == t.columns[c].name);
    CHECK(back.columns[c].kind == t.columns[c].kind);
    for (Index r = 0; r < 3; ++r) {
      CHECK(back.columns[c].missing(r) == t.columns[c].missing(r));
      if (!t.columns[c].missing(r)) CHECK(back.columns[c].values[static_cast<std::size_t>(r)] == t.columns[c].values[static_cast<std::size_t>(r)]);
    }
  }
}

TEST_CASE("read_json_table: records, nulls and absent keys are missing, numbers keep their text; written back as JSON") {
  TempDir dir;
  const std::string path = dir.file("t.json");
  write_bytes(path, "[\n  {\"s\": \"A\", \"x\": 39.1, \"n\": 3750},\n  {\"s\": null, \"x\": 18},\n  {\"x\": -1.5, \"n\": 1, \"b\": true}\n]\n");
  const RawTable raw = read_json_table(path);
  REQUIRE(raw.names == std::vector<std::string>{"s", "x", "n", "b"});
  CHECK(raw.lines == std::vector<Index>{2, 3, 4});
  CHECK(*raw.cells[0][1] == "39.1");
  CHECK_FALSE(raw.cells[1][0].has_value());
  CHECK_FALSE(raw.cells[1][2].has_value());
  CHECK(*raw.cells[2][3] == "true");
  const Table t = to_table(raw);
  CHECK(t.columns[1].kind == ColumnKind::numeric);
  CHECK(t.columns[1].decimals == 1);
  CHECK(t.columns[3].kind == ColumnKind::categorical);
  write_json_table(dir.file("out.json"), to_raw(t));
  const RawTable back = read_json_table(dir.file("out.json"));
  CHECK(back.names == raw.names);
  CHECK(*back.cells[0][1] == "39.1");
  CHECK(*back.cells[1][1] == "18.0");  // written with the column's one decimal, still the number 18
  CHECK(*back.cells[0][2] == "3750");
  CHECK_FALSE(back.cells[1][0].has_value());
}

TEST_CASE("read_json_table: errors name the file, the line and the column or key") {
  TempDir dir;
  const std::string path = dir.file("t.json");
  auto err = [&](const std::string& text) {
    write_bytes(path, text);
    return test::io_error_message([&] { read_json_table(path); });
  };
  CHECK_THAT(err(""), Catch::Contains(path + ": empty file"));
  CHECK_THAT(err("[\n{\"a\": 1},\n{\"a\": }\n]"), Catch::Contains(path + ":3:7:") && Catch::Contains("syntax error"));
  CHECK_THAT(err("{\"a\": 1}"), Catch::Contains(path + ":1: expected an array of records"));
  CHECK_THAT(err("[]"), Catch::Contains("holds no records"));
  CHECK_THAT(err("[\n{\"a\": 1},\n 5\n]"), Catch::Contains(path + ":3: record 2 is number"));
  CHECK_THAT(err("[\n{\"a\": 1},\n{\"a\": [1]}\n]"), Catch::Contains(path + ":3: record 2, column 'a': value is array"));
}

TEST_CASE("to_table: a constant column and a one-category column are read as such") {
  TempDir dir;
  const Table t = to_table(csv_of(dir, "k,c\n5,x\n5,x\n"));
  CHECK(t.columns[0].kind == ColumnKind::numeric);
  CHECK(t.columns[0].values == std::vector<double>{5, 5});
  CHECK(t.columns[1].categories.size() == 1);
}
