// SPDX-License-Identifier: MIT
// Shared helpers of the libFuzzer targets: the readers take file names, so each input is written to a file first.
#pragma once

#include <ganpp/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace ganpp_fuzz {

/// A file of this process (one per fuzzer process, so parallel fuzzer jobs do not share it).
inline const std::string& scratch_path() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/ganpp-fuzz-" + std::to_string(::getpid()) + ".bin";
  }();
  return path;
}

/// Writes `size` bytes to scratch_path() and returns the path; the file is removed when the fuzzer exits.
inline const std::string& write_scratch(const std::uint8_t* data, std::size_t size) {
  const std::string& path = scratch_path();
  static const bool cleanup = std::atexit([] { std::remove(scratch_path().c_str()); }) == 0;
  (void)cleanup;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

/// Only ganpp::error may escape a reader; any other exception escapes the fuzzer and is reported as a crash.
template <typename F>
void expect_clean(F&& f) {
  try {
    f();
  } catch (const ganpp::error&) {
  }
}

/// Stops the fuzzer on a broken invariant (reported as a crash with the input that broke it).
inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "ganpp fuzz invariant broken: %s\n", what);
    std::abort();
  }
}

}  // namespace ganpp_fuzz
