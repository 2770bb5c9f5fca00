// SPDX-License-Identifier: MIT
// The training progress line: rewritten in place on a terminal, one line every few seconds into a log.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <string>

namespace examples {

/// "1h02m" or "3m07s".
inline std::string format_duration(double seconds) {
  char buf[32];
  const long t = static_cast<long>(seconds + 0.5);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, t / 60 % 60);
  else std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  return buf;
}

/// A status line on stdout: on a terminal every update overwrites it; in a pipe or log an update is printed at
/// most every `log_every` seconds (and always when forced), one per line.
class ProgressLine {
 public:
  explicit ProgressLine(double log_every = 5.0) : tty_(isatty(fileno(stdout)) != 0), log_every_(log_every) {}

  /// Prints the printf-style line if due (or `force`).
  __attribute__((format(printf, 3, 4))) void update(bool force, const char* format, ...) {
    const auto now = std::chrono::steady_clock::now();
    if (!tty_ && !force && std::chrono::duration<double>(now - last_).count() < log_every_) return;
    last_ = now;
    std::fputs(tty_ ? "\r" : "", stdout);
    va_list args;
    va_start(args, format);
    std::vprintf(format, args);
    va_end(args);
    std::fputs(tty_ ? "\033[K" : "\n", stdout);
    std::fflush(stdout);
    open_ = tty_;
  }

  /// Ends the line being rewritten, so that the next output starts on a line of its own.
  void break_line() {
    if (open_) std::fputs("\n", stdout);
    open_ = false;
  }

 private:
  bool tty_;
  double log_every_;
  bool open_ = false;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace examples
