// SPDX-License-Identifier: MIT
/// @file
/// Checkpoint: a versioned, checksummed file of named tensors and texts, saved atomically. Storing models and
/// optimizers in one is model_io.hpp's job.
#pragma once

#include "error.hpp"
#include "io/atomic_file.hpp"
#include "tensor.hpp"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace ganpp {

/// A set of named entries, each a tensor (float32 or float64) or a text, and its file format.
///
/// File layout, all integers little-endian:
///   "GANPPCKP" | u32 version | u64 payload bytes | u64 FNV-1a-64 of the payload | payload
///   payload = u32 entry count, then per entry: u8 kind (1 tensor, 2 text) | u32 name length | name |
///     tensor: u8 scalar bytes (4 or 8) | u8 rank | rank x u64 dims | values;  text: u64 length | bytes
/// Loading checks the magic, the version, the sizes against the real file size, the checksum and every
/// length against the bytes left, before allocating anything, and names the file in every error.
class Checkpoint {
 public:
  /// File format version that save() writes; load() reads versions 1 to kVersion.
  static constexpr std::uint32_t kVersion = 1;

  /// Stores a copy of t (shape and values) under name, replacing an entry of that name (which keeps its position).
  template <typename Scalar>
  void put(const std::string& name, const Tensor<Scalar>& t) {
    static_assert(sizeof(Scalar) == 4 || sizeof(Scalar) == 8, "Checkpoint stores float or double tensors");
    Entry e;
    e.scalar_bytes = sizeof(Scalar);
    e.shape = t.shape();
    e.bytes.resize(static_cast<std::size_t>(t.size()) * sizeof(Scalar));
    if (!e.bytes.empty()) std::memcpy(e.bytes.data(), t.data(), e.bytes.size());
    set(name, std::move(e));
  }
  /// Stores text under name, replacing an entry of that name (which keeps its position).
  void put_text(const std::string& name, const std::string& text) {
    Entry e;
    e.bytes.assign(text.begin(), text.end());
    set(name, std::move(e));
  }

  /// True when an entry (tensor or text) is stored under name.
  bool has(const std::string& name) const { return index_.count(name) != 0; }
  /// The entry names, in the order they were first stored (the order save() writes them).
  std::vector<std::string> names() const {
    std::vector<std::string> n;
    for (const auto& e : entries_) n.push_back(e.first);
    return n;
  }

  /// Copies a stored tensor into `out`, which must already have the expected shape; throws io_error naming the
  /// entry if it is missing, a text, of another scalar type or of another shape.
  template <typename Scalar>
  void get(const std::string& name, Tensor<Scalar>& out) const {
    const Entry& e = entry(name, "get");
    if (e.scalar_bytes == 0) throw io_error(where("get") + "entry " + name + " is a text, not a tensor");
    if (e.scalar_bytes != sizeof(Scalar))
      throw io_error(where("get") + "entry " + name + " holds " + type_name(e.scalar_bytes) + " values, expected " + type_name(sizeof(Scalar)));
    if (e.shape != out.shape()) throw io_error(where("get") + "entry " + name + " has shape " + e.shape.str() + ", expected " + out.shape().str());
    if (!e.bytes.empty()) std::memcpy(out.data(), e.bytes.data(), e.bytes.size());
  }
  /// A stored tensor as saved (any shape).
  template <typename Scalar>
  Tensor<Scalar> tensor(const std::string& name) const {
    const Entry& e = entry(name, "tensor");
    Tensor<Scalar> t(e.scalar_bytes ? e.shape : Shape{0});
    get(name, t);
    return t;
  }
  /// A stored text.
  /// @throws io_error naming the entry when it is missing or is a tensor.
  std::string text(const std::string& name) const {
    const Entry& e = entry(name, "text");
    if (e.scalar_bytes != 0) throw io_error(where("text") + "entry " + name + " is a tensor, not a text");
    return std::string(e.bytes.begin(), e.bytes.end());
  }

  /// Writes the checkpoint atomically (write_file_atomically(): PATH.tmp, flushed and synced, renamed over PATH), so
  /// a crash at any moment leaves either the old file or the new one, never a mix.
  /// @throws io_error naming the file when writing fails; PATH is then unchanged.
  void save(const std::string& path) const {
    std::string payload;
    put_u32(payload, static_cast<std::uint32_t>(entries_.size()));
    for (const auto& [name, e] : entries_) {
      payload.push_back(static_cast<char>(e.scalar_bytes ? 1 : 2));
      put_u32(payload, static_cast<std::uint32_t>(name.size()));
      payload += name;
      if (e.scalar_bytes) {
        payload.push_back(static_cast<char>(e.scalar_bytes));
        payload.push_back(static_cast<char>(e.shape.rank()));
        for (int i = 0; i < e.shape.rank(); ++i) put_u64(payload, static_cast<std::uint64_t>(e.shape[i]));
      } else {
        put_u64(payload, e.bytes.size());
      }
      payload.append(reinterpret_cast<const char*>(e.bytes.data()), e.bytes.size());
    }
    std::string header("GANPPCKP");
    put_u32(header, kVersion);
    put_u64(header, payload.size());
    put_u64(header, fnv1a(payload));

    write_file_atomically(
        path,
        [&](AtomicFileSink& out) {
          out.write(header);
          out.write(payload);
        },
        "Checkpoint::save");
  }

  /// Reads a file written by save(), validating it completely before returning.
  /// @throws io_error naming the file when it cannot be opened or read, is truncated, lacks the magic, has a version
  /// outside 1..kVersion, fails the checksum, or holds a malformed entry.
  static Checkpoint load(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw io_error("Checkpoint::load(): cannot open " + path);
    const std::streamoff size = in.tellg();
    constexpr std::size_t kHeader = 8 + 4 + 8 + 8;
    if (size < static_cast<std::streamoff>(kHeader))
      throw io_error("Checkpoint::load(): " + path + " is " + std::to_string(size) + " bytes, shorter than the " + std::to_string(kHeader) + "-byte header (truncated?)");
    in.seekg(0);
    std::string header(kHeader, '\0');
    in.read(&header[0], static_cast<std::streamsize>(kHeader));
    if (!in) throw io_error("Checkpoint::load(): cannot read the header of " + path);
    if (header.compare(0, 8, "GANPPCKP") != 0) throw io_error("Checkpoint::load(): " + path + " is not a ganpp checkpoint (bad magic)");
    Reader h{header, 8, path};
    const std::uint32_t version = h.u32();
    if (version > kVersion)
      throw io_error("Checkpoint::load(): " + path + " has format version " + std::to_string(version) + ", newer than this ganpp reads (" +
                     std::to_string(kVersion) + ")");
    if (version == 0) throw io_error("Checkpoint::load(): " + path + " has invalid format version 0");
    const std::uint64_t payload_size = h.u64(), checksum = h.u64();
    const std::uint64_t actual = static_cast<std::uint64_t>(size) - kHeader;
    if (payload_size != actual)
      throw io_error("Checkpoint::load(): " + path + " header announces " + std::to_string(payload_size) + " payload bytes, the file has " +
                     std::to_string(actual) + (payload_size > actual ? " (truncated)" : " (trailing bytes)"));
    std::string payload(static_cast<std::size_t>(actual), '\0');
    in.read(&payload[0], static_cast<std::streamsize>(actual));
    if (!in) throw io_error("Checkpoint::load(): cannot read " + path);
    if (fnv1a(payload) != checksum) throw io_error("Checkpoint::load(): " + path + " is corrupt (checksum mismatch)");

    Checkpoint c;
    c.path_ = path;
    Reader r{payload, 0, path};
    const std::uint32_t count = r.u32();
    for (std::uint32_t i = 0; i < count; ++i) {
      const std::uint8_t kind = r.u8();
      if (kind != 1 && kind != 2) r.fail("entry " + std::to_string(i) + " has unknown kind " + std::to_string(kind));
      const std::string name = r.bytes(r.u32());
      if (c.has(name)) r.fail("entry " + name + " appears twice");
      Entry e;
      std::uint64_t n_bytes;
      if (kind == 1) {
        e.scalar_bytes = r.u8();
        if (e.scalar_bytes != 4 && e.scalar_bytes != 8) r.fail("tensor " + name + " has scalar size " + std::to_string(e.scalar_bytes));
        const int rank = r.u8();
        if (rank > Shape::kMaxRank) r.fail("tensor " + name + " has rank " + std::to_string(rank));
        std::vector<Index> dims;
        std::uint64_t numel = 1;
        for (int d = 0; d < rank; ++d) {
          const std::uint64_t v = r.u64();
          // Each factor is bounded by the payload size, so the product cannot overflow unnoticed.
          if (v > payload.size() || (v && numel > payload.size() / v)) r.fail("tensor " + name + " has dimensions larger than the file");
          numel *= v;
          dims.push_back(static_cast<Index>(v));
        }
        e.shape = Shape(dims);
        n_bytes = numel * e.scalar_bytes;
      } else {
        n_bytes = r.u64();
      }
      const std::string data = r.bytes(n_bytes);
      e.bytes.assign(data.begin(), data.end());
      c.set(name, std::move(e));
    }
    if (r.pos != payload.size()) r.fail(std::to_string(payload.size() - r.pos) + " unexpected bytes after the last entry");
    return c;
  }

 private:
  struct Entry {
    int scalar_bytes = 0;  // 0 for a text
    Shape shape;
    std::vector<unsigned char> bytes;
  };
  // Bounds-checked little-endian reader over an in-memory buffer.
  struct Reader {
    const std::string& buf;
    std::size_t pos;
    const std::string& path;
    [[noreturn]] void fail(const std::string& what) const { throw io_error("Checkpoint::load(): " + path + " is malformed: " + what); }
    std::uint64_t uint(int n) {
      if (buf.size() - pos < static_cast<std::size_t>(n)) fail("truncated at byte " + std::to_string(pos));
      std::uint64_t v = 0;
      for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(buf[pos + static_cast<std::size_t>(i)])) << (8 * i);
      pos += static_cast<std::size_t>(n);
      return v;
    }
    std::uint8_t u8() { return static_cast<std::uint8_t>(uint(1)); }
    std::uint32_t u32() { return static_cast<std::uint32_t>(uint(4)); }
    std::uint64_t u64() { return uint(8); }
    std::string bytes(std::uint64_t n) {
      if (n > buf.size() - pos) fail("an entry claims " + std::to_string(n) + " bytes but only " + std::to_string(buf.size() - pos) + " remain");
      std::string s = buf.substr(pos, static_cast<std::size_t>(n));
      pos += static_cast<std::size_t>(n);
      return s;
    }
  };

  void set(const std::string& name, Entry e) {
    auto it = index_.find(name);
    if (it != index_.end()) {
      entries_[it->second].second = std::move(e);
    } else {
      index_[name] = entries_.size();
      entries_.emplace_back(name, std::move(e));
    }
  }
  const Entry& entry(const std::string& name, const char* method) const {
    auto it = index_.find(name);
    if (it == index_.end()) throw io_error(where(method) + "no entry named " + name);
    return entries_[it->second].second;
  }
  /// "Checkpoint::METHOD(): PATH: " (no path for a checkpoint built in memory).
  std::string where(const char* method) const {
    return "Checkpoint::" + std::string(method) + "(): " + (path_.empty() ? std::string() : path_ + ": ");
  }
  static std::string type_name(std::size_t bytes) { return bytes == 4 ? "float32" : "float64"; }
  static void put_u32(std::string& s, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  static void put_u64(std::string& s, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  static std::uint64_t fnv1a(const std::string& s) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
  }

  std::vector<std::pair<std::string, Entry>> entries_;
  std::map<std::string, std::size_t> index_;
  std::string path_;
};

}  // namespace ganpp
