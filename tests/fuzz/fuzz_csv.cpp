// SPDX-License-Identifier: MIT
// libFuzzer target: read_csv() and to_table() on arbitrary files; a table it accepts must be rectangular, written
// back by write_csv() and read again to the same cells.
#include "fuzz_common.hpp"

#include <ganpp/data/csv.hpp>

using namespace ganpp_fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = write_scratch(data, size);
  ganpp::CsvOptions o;
  o.max_record_bytes = 1024;  // the limit itself is exercised; small, so that a long input hits it
  o.max_columns = 64;
  expect_clean([&] {
    const ganpp::RawTable raw = ganpp::read_csv(path, o);
    require(!raw.names.empty() && !raw.cells.empty(), "a header and at least one row");
    require(raw.cells.size() == raw.lines.size(), "one line number per row");
    for (std::size_t r = 0; r < raw.cells.size(); ++r) {
      require(raw.cells[r].size() == raw.names.size(), "every row as wide as the header");
      require(raw.lines[r] >= 2 && (r == 0 || raw.lines[r] > raw.lines[r - 1]), "rows start on increasing lines after the header");
    }
    const ganpp::Table t = ganpp::to_table(raw);
    require(t.rows() == static_cast<ganpp::Index>(raw.cells.size()), "the typed table keeps every row");
    // Written back and read again: the same cells (the writer quotes what needs it).
    const std::string again = path + ".again";
    ganpp::write_csv(again, raw);
    ganpp::CsvOptions big;
    const ganpp::RawTable back = ganpp::read_csv(again, big);
    std::remove(again.c_str());
    require(back.names == raw.names && back.cells == raw.cells, "write_csv then read_csv gives the same cells");
  });
  return 0;
}
