// SPDX-License-Identifier: MIT
// Output folders and files of the examples: created up front, checked writable, written whole or not at all.
#pragma once

#include <ganpp/error.hpp>
#include <ganpp/io/atomic_file.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

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
  ganpp::write_file_atomically(path, [&](ganpp::AtomicFileSink& out) { out.write(text); }, "examples::write_file");
}

}  // namespace examples
