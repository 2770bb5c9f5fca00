// SPDX-License-Identifier: MIT
// Output folders and files of the examples: created up front, checked writable, written whole or not at all.
#pragma once

#include <ganpp/error.hpp>
#include <ganpp/io/atomic_file.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace examples {

/// Creates `dir` (and its parents) and checks that a file can be written in it.
/// @throws ganpp::io_error "cannot write to output folder DIR" otherwise.
inline void make_output_folder(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string probe = (std::filesystem::path(dir) / ".write-test").string();
  if (std::FILE* f = std::fopen(probe.c_str(), "w")) {
    std::fclose(f);
    std::remove(probe.c_str());
    return;
  }
  throw ganpp::io_error("cannot write to output folder " + dir + (ec ? ": " + ec.message() : std::string()));
}

/// Creates the folder that will hold `file`, if it names one.
inline void make_parent_folder(const std::string& file) {
  const std::filesystem::path parent = std::filesystem::path(file).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
}

/// Writes `text` to `path` atomically (ganpp::write_file_atomically), so a reader never sees half a file.
/// @throws ganpp::io_error naming the file.
inline void write_file(const std::string& path, const std::string& text) {
  ganpp::write_file_atomically(
      path, [&](ganpp::AtomicFileSink& out) { out.write(text); }, "examples::write_file");
}

/// Opens a per-step CSV log for writing, with `header` as its first line. For a resumed run (`resumed_at` >= 0) the
/// rows of the existing file whose first field (the step) is at most `resumed_at` are kept, so that the log matches
/// the checkpoint; a fresh run (`resumed_at` < 0) starts an empty file.
/// @throws ganpp::io_error naming the file when it cannot be written.
inline std::FILE* open_csv(const std::string& path, const std::string& header, long long resumed_at) {
  std::vector<std::string> keep;
  if (resumed_at >= 0) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line))
      if (std::atoll(line.c_str()) <= resumed_at) keep.push_back(line);
  }
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw ganpp::io_error("cannot write " + path);
  std::fprintf(f, "%s\n", header.c_str());
  for (const auto& l : keep) std::fprintf(f, "%s\n", l.c_str());
  return f;
}

}  // namespace examples
