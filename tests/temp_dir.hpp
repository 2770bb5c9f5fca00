// SPDX-License-Identifier: MIT
// A uniquely named temporary folder, removed with everything in it when the test ends.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace test {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("ganpp-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" +
            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path / name).string(); }
};

}  // namespace test
