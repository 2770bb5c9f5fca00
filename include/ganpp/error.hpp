// SPDX-License-Identifier: MIT
/// @file
/// Exception types: every caller mistake throws a ganpp::error whose message starts with "Class::method(): ".
#pragma once

#include <stdexcept>
#include <string>

namespace ganpp {

/// Base of every exception ganpp throws for a caller mistake or bad input.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Tensor shapes that do not fit together; the message names the layer and both shapes.
class shape_error : public error {
 public:
  using error::error;
};

/// An argument outside its valid range (negative size, unknown option, ...).
class argument_error : public error {
 public:
  using error::error;
};

/// A file that cannot be read or written, or whose contents are malformed; the message names the file.
class io_error : public error {
 public:
  using error::error;
};

/// Training produced a non-finite loss, gradient or parameter.
class divergence_error : public error {
 public:
  using error::error;
};

}  // namespace ganpp
