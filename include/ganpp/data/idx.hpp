// SPDX-License-Identifier: MIT
/// @file
/// IDX files (the MNIST format): validated reading of unsigned-byte arrays of rank 1..4 and atomic writing.
#pragma once

#include "../config.hpp"
#include "../error.hpp"
#include "../io/atomic_file.hpp"

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

namespace ganpp {

/// The contents of an IDX file: its dimensions (outermost first) and the row-major payload.
struct IdxData {
  /// Dimensions, outermost first: (count, rows, columns) for images, (count) for labels.
  std::vector<Index> dims;
  /// The unsigned-byte payload, row-major; its size is the product of dims.
  std::vector<std::uint8_t> values;
};

namespace detail {

/// IDX type byte of unsigned 8-bit elements, the only element type ganpp reads.
inline constexpr std::uint8_t kIdxTypeU8 = 0x08;

inline std::string idx_hex_byte(std::uint8_t b) {
  static const char* digits = "0123456789ABCDEF";
  std::string s = "0x";
  s += digits[b >> 4];
  s += digits[b & 0xF];
  return s;
}

inline std::string idx_dims_str(const std::vector<Index>& dims) {
  std::string s;
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? " x " : "") + std::to_string(dims[i]);
  return s;
}

/// Product of the dimensions, or false when it does not fit in `limit` (a hostile header can claim 2^128 elements).
inline bool idx_checked_product(const std::vector<Index>& dims, std::uint64_t limit, std::uint64_t& product) {
  std::uint64_t n = 1;
  for (Index d : dims) {
    const auto u = static_cast<std::uint64_t>(d);
    if (u != 0 && n > limit / u) return false;
    n *= u;
  }
  product = n;
  return true;
}

/// read_idx() for `caller`; when expected_rank is not 0, a file of another rank is rejected before its payload is
/// read, with `rank_meaning` (e.g. "an image file of rank 3 (count, height, width)") in the message.
inline IdxData read_idx_checked(const std::string& path, const char* caller, int expected_rank, const char* rank_meaning) {
  const std::string where = std::string(caller) + "(): '" + path + "'";
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) throw io_error(where + ": file does not exist");
  if (!std::filesystem::is_regular_file(status)) throw io_error(where + ": expected a regular file, found a directory or special file");

  errno = 0;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw io_error(where + ": cannot open for reading" + errno_reason(errno));
  const std::streamoff end = in.tellg();
  if (end < 0) throw io_error(where + ": cannot determine the file size");
  const auto file_size = static_cast<std::uint64_t>(end);
  in.seekg(0);

  unsigned char magic[4] = {0, 0, 0, 0};
  if (file_size < 4)
    throw io_error(where + ": file is " + std::to_string(file_size) + " bytes, shorter than the 4-byte IDX magic number");
  if (!in.read(reinterpret_cast<char*>(magic), 4)) throw io_error(where + ": read error in the IDX magic number");
  if (magic[0] != 0 || magic[1] != 0)
    throw io_error(where + ": not an IDX file: expected the magic number to start with bytes 0x00 0x00, found " +
                   detail::idx_hex_byte(magic[0]) + " " + detail::idx_hex_byte(magic[1]));
  if (magic[2] != detail::kIdxTypeU8)
    throw io_error(where + ": unsupported IDX element type " + detail::idx_hex_byte(magic[2]) +
                   ": expected 0x08 (unsigned byte)");
  const int rank = magic[3];
  if (rank < 1 || rank > 4) throw io_error(where + ": unsupported IDX rank " + std::to_string(rank) + ": expected 1 to 4");

  const std::uint64_t header_size = 4 + 4 * static_cast<std::uint64_t>(rank);
  if (file_size < header_size)
    throw io_error(where + ": file is " + std::to_string(file_size) + " bytes, shorter than the " +
                   std::to_string(header_size) + "-byte header of a rank-" + std::to_string(rank) + " IDX file");
  IdxData out;
  out.dims.reserve(static_cast<std::size_t>(rank));
  for (int i = 0; i < rank; ++i) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) throw io_error(where + ": read error in the IDX dimensions");
    const std::uint32_t d = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
    out.dims.push_back(static_cast<Index>(d));
  }
  if (expected_rank != 0 && rank != expected_rank)
    throw io_error(where + ": expected " + rank_meaning + ", found rank " + std::to_string(rank) + " with dimensions " +
                   detail::idx_dims_str(out.dims));

  // Validate the claimed payload against the real size before allocating it.
  std::uint64_t payload = 0;
  if (!detail::idx_checked_product(out.dims, std::numeric_limits<std::uint64_t>::max() - header_size, payload))
    throw io_error(where + ": payload is truncated: dimensions " + detail::idx_dims_str(out.dims) +
                   " need more than 2^64 bytes, but the file has " + std::to_string(file_size) + " bytes");
  const std::uint64_t expected = header_size + payload;
  if (file_size < expected)
    throw io_error(where + ": payload is truncated: dimensions " + detail::idx_dims_str(out.dims) + " need " +
                   std::to_string(expected) + " bytes in total, but the file has " + std::to_string(file_size) + " bytes");
  if (file_size > expected)
    throw io_error(where + ": " + std::to_string(file_size - expected) + " trailing bytes after the payload: dimensions " +
                   detail::idx_dims_str(out.dims) + " need " + std::to_string(expected) + " bytes in total, but the file has " +
                   std::to_string(file_size) + " bytes");
  if (payload > std::numeric_limits<std::size_t>::max() || payload > static_cast<std::uint64_t>(std::numeric_limits<std::streamsize>::max()))
    throw io_error(where + ": payload of " + std::to_string(payload) + " bytes does not fit in memory on this platform");

  out.values.resize(static_cast<std::size_t>(payload));
  if (payload > 0 && !in.read(reinterpret_cast<char*>(out.values.data()), static_cast<std::streamsize>(payload)))
    throw io_error(where + ": read error in the payload: expected " + std::to_string(payload) + " bytes, read " +
                   std::to_string(in.gcount()) + " (was the file modified while reading?)");
  return out;
}

}  // namespace detail

/// Reads an IDX file of unsigned bytes (type 0x08) and rank 1..4.
///
/// The header is checked against the real file size before anything is allocated, so a corrupt or hostile
/// header cannot make this allocate more than the file holds.
/// @throws io_error naming `path` when the file is missing or unreadable, shorter than its header, not an IDX
///         file, of another element type or rank, truncated, or followed by trailing bytes.
inline IdxData read_idx(const std::string& path) { return detail::read_idx_checked(path, "read_idx", 0, ""); }

/// Reads an IDX image file: rank 3 (count, height, width) of unsigned bytes.
/// @throws io_error naming `path` for any read_idx() failure or another rank (checked before the payload is read).
inline IdxData read_idx_images(const std::string& path) {
  return detail::read_idx_checked(path, "read_idx_images", 3, "an image file of rank 3 (count, height, width)");
}

/// Reads an IDX label file: rank 1 (count) of unsigned bytes.
/// @throws io_error naming `path` for any read_idx() failure or another rank (checked before the payload is read).
inline IdxData read_idx_labels(const std::string& path) {
  return detail::read_idx_checked(path, "read_idx_labels", 1, "a label file of rank 1 (count)");
}

/// Writes an IDX file of unsigned bytes with the given dimensions (rank 1..4, each below 2^32).
///
/// Written atomically (write_file_atomically()), so a failed write never leaves a partial file at `path`.
/// @param path the file to write; replaced atomically if it exists.
/// @param dims the dimensions, outermost first.
/// @param values row-major payload of product(dims) bytes; may be null only when that product is 0.
/// @throws argument_error for a bad rank, dimension or null payload; io_error naming the path when writing fails.
inline void write_idx(const std::string& path, const std::vector<Index>& dims, const std::uint8_t* values) {
  const std::string fn = "write_idx(): ";
  if (dims.empty() || dims.size() > 4)
    throw argument_error(fn + "'" + path + "': expected rank 1 to 4, found rank " + std::to_string(dims.size()));
  for (Index d : dims)
    if (d < 0 || static_cast<std::uint64_t>(d) > std::numeric_limits<std::uint32_t>::max())
      throw argument_error(fn + "'" + path + "': expected dimensions in [0, 2^32), found " + detail::idx_dims_str(dims));
  std::uint64_t payload = 0;
  if (!detail::idx_checked_product(dims, static_cast<std::uint64_t>(std::numeric_limits<std::streamsize>::max()), payload))
    throw argument_error(fn + "'" + path + "': dimensions " + detail::idx_dims_str(dims) + " are too large to write");
  if (payload > 0 && values == nullptr)
    throw argument_error(fn + "'" + path + "': values is null but dimensions " + detail::idx_dims_str(dims) + " need " +
                         std::to_string(payload) + " bytes");

  // Magic (two zero bytes, the type, the rank), then each dimension as a big-endian u32.
  std::array<unsigned char, 4 + 4 * 4> header{0, 0, detail::kIdxTypeU8, static_cast<unsigned char>(dims.size())};
  std::size_t header_size = 4;
  for (Index d : dims) {
    const auto u = static_cast<std::uint32_t>(d);
    for (int shift = 24; shift >= 0; shift -= 8) header[header_size++] = static_cast<unsigned char>(u >> shift);
  }
  write_file_atomically(
      path,
      [&](AtomicFileSink& out) {
        out.write(header.data(), header_size);
        out.write(values, static_cast<std::size_t>(payload));
      },
      "write_idx");
}

}  // namespace ganpp
