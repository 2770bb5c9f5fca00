// SPDX-License-Identifier: MIT
/// @file
/// write_file_atomically(): the one way ganpp writes a file (checkpoints, IDX, PNG): a temporary file, flushed and
/// synced, renamed over the target, then the folder synced; a failure leaves the old target as it was.
#pragma once

#include "../error.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <unistd.h>
#endif

namespace ganpp {
namespace detail {
/// " (strerror(err))" after a failed file operation, or "" when the library left no reason (err 0).
inline std::string errno_reason(int err) { return err ? " (" + std::string(std::strerror(err)) + ")" : std::string(); }
}  // namespace detail

/// The open temporary file that write_file_atomically() hands to its writer.
class AtomicFileSink {
 public:
  /// Appends n bytes.
  /// @throws io_error naming the file when the write fails (disk full, I/O error).
  void write(const void* data, std::size_t n) {
    if (n == 0) return;
    errno = 0;
    if (std::fwrite(data, 1, n, file_) != n)
      throw io_error(caller_ + "(): writing " + std::to_string(n) + " bytes to '" + tmp_ + "' failed" + detail::errno_reason(errno) + " (disk full?); '" +
                     path_ + "' is unchanged");
    written_ += n;
  }
  /// Appends the bytes of a string.
  /// @throws io_error naming the file when the write fails.
  void write(const std::string& bytes) { write(bytes.data(), bytes.size()); }
  /// Bytes written so far.
  std::uint64_t bytes_written() const { return written_; }

 private:
  friend void write_file_atomically(const std::string&, const std::function<void(AtomicFileSink&)>&, const std::string&);
  AtomicFileSink(std::FILE* file, const std::string& caller, const std::string& tmp, const std::string& path)
      : file_(file), caller_(caller), tmp_(tmp), path_(path) {}

  std::FILE* file_;
  const std::string& caller_;
  const std::string& tmp_;
  const std::string& path_;
  std::uint64_t written_ = 0;
};

/// Writes a file atomically: `write` fills `path + ".tmp"` (in the target's folder), which is flushed, synced to
/// disk and renamed over `path`; then the folder is synced so that the rename itself survives a power cut (best
/// effort: not every file system can). A crash at any moment leaves either the old file or the new one, never a mix.
///
/// On any failure, including an exception thrown by `write`, the temporary file is removed and `path` is left as it
/// was. A temporary file left by a killed process is overwritten by the next write.
/// @param path the file to (re)place.
/// @param write called once with the open temporary file; may throw.
/// @param caller the public function named at the start of error messages ("Checkpoint::save").
/// @throws io_error naming the file when creating, writing, syncing, closing or renaming fails; whatever `write`
///         throws, unchanged.
inline void write_file_atomically(const std::string& path, const std::function<void(AtomicFileSink&)>& write, const std::string& caller) {
  const std::string tmp = path + ".tmp";
  errno = 0;
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f)
    throw io_error(caller + "(): cannot create '" + tmp + "' to write '" + path + "'" + detail::errno_reason(errno) +
                   ": expected an existing, writable directory");
  AtomicFileSink sink(f, caller, tmp, path);
  try {
    write(sink);
  } catch (...) {
    std::fclose(f);
    std::remove(tmp.c_str());
    throw;
  }
  errno = 0;
  bool ok = std::fflush(f) == 0;
#if defined(__unix__) || defined(__APPLE__)
  ok = ok && ::fsync(fileno(f)) == 0;
#endif
  const int err = errno;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) {
    const int e = err ? err : errno;
    std::remove(tmp.c_str());
    throw io_error(caller + "(): writing '" + tmp + "' failed" + detail::errno_reason(e) + " (disk full?); '" + path + "' is unchanged");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    throw io_error(caller + "(): cannot rename '" + tmp + "' to '" + path + "'" + detail::errno_reason(e) + "; '" + path + "' is unchanged");
  }
#if defined(__unix__) || defined(__APPLE__)
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const int dir_fd = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY);
  if (dir_fd >= 0) {
    (void)::fsync(dir_fd);
    ::close(dir_fd);
  }
#endif
}

/// Writes `bytes` to `path` atomically (see the overload above).
/// @throws io_error naming the file when writing fails; `path` is then unchanged.
inline void write_file_atomically(const std::string& path, const std::vector<std::uint8_t>& bytes, const std::string& caller = "write_file_atomically") {
  write_file_atomically(path, [&](AtomicFileSink& out) { out.write(bytes.data(), bytes.size()); }, caller);
}

}  // namespace ganpp
