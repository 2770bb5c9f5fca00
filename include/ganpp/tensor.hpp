// SPDX-License-Identifier: MIT
/// @file
/// Tensor<Scalar>: a shape of rank 1..4 (N, C, H, W) over contiguous row-major storage, with Eigen maps for the math.
#pragma once

#include "config.hpp"
#include "error.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <vector>

namespace ganpp {

/// A tensor shape of rank 0..4. Dimension 0 is the batch; the rest are features or (C, H, W).
class Shape {
 public:
  /// Highest rank a Shape holds.
  static constexpr int kMaxRank = 4;

  /// The rank-0 shape: no dimensions, numel() 1.
  Shape() = default;
  /// A shape from its dimensions, batch first: `Shape{64, 1, 28, 28}`.
  /// @throws shape_error for more than kMaxRank dimensions or a negative one.
  Shape(std::initializer_list<Index> dims) {
    if (dims.size() > kMaxRank) throw shape_error("Shape::Shape(): rank " + std::to_string(dims.size()) + " exceeds 4");
    for (Index d : dims) push_back(d);
  }
  /// A shape from its dimensions, batch first.
  /// @throws shape_error for more than kMaxRank dimensions or a negative one.
  explicit Shape(const std::vector<Index>& dims) {
    if (dims.size() > kMaxRank) throw shape_error("Shape::Shape(): rank " + std::to_string(dims.size()) + " exceeds 4");
    for (Index d : dims) push_back(d);
  }

  /// Number of dimensions, 0..kMaxRank.
  int rank() const { return rank_; }
  /// Dimension i; i must be below rank() (not checked).
  Index operator[](int i) const { return dims_[static_cast<std::size_t>(i)]; }
  /// Dimension i, writable; i must be below rank() (not checked, and a negative value is not rejected).
  Index& operator[](int i) { return dims_[static_cast<std::size_t>(i)]; }

  /// Number of elements (1 for rank 0).
  Index numel() const {
    Index n = 1;
    for (int i = 0; i < rank_; ++i) n *= dims_[static_cast<std::size_t>(i)];
    return n;
  }
  /// Elements per batch item: the product of every dimension but the first.
  Index sample_size() const {
    Index n = 1;
    for (int i = 1; i < rank_; ++i) n *= dims_[static_cast<std::size_t>(i)];
    return n;
  }

  /// The same shape with dimension 0 replaced.
  Shape with_batch(Index n) const {
    Shape s = *this;
    if (s.rank_ == 0) throw shape_error("Shape::with_batch(): rank-0 shape has no batch dimension");
    s.dims_[0] = n;
    return s;
  }
  /// The dimensions after the batch, as a shape of rank - 1.
  Shape sample_shape() const {
    Shape s;
    for (int i = 1; i < rank_; ++i) s.push_back(dims_[static_cast<std::size_t>(i)]);
    return s;
  }
  /// A shape with a batch dimension put in front of this one.
  Shape batched(Index n) const {
    if (rank_ == kMaxRank) throw shape_error("Shape::batched(): " + str() + " already has rank 4");
    Shape s;
    s.push_back(n);
    for (int i = 0; i < rank_; ++i) s.push_back(dims_[static_cast<std::size_t>(i)]);
    return s;
  }

  /// True when both have the same rank and the same dimensions.
  bool operator==(const Shape& o) const {
    if (rank_ != o.rank_) return false;
    for (int i = 0; i < rank_; ++i)
      if (dims_[static_cast<std::size_t>(i)] != o.dims_[static_cast<std::size_t>(i)]) return false;
    return true;
  }
  /// True when the shapes differ in rank or in any dimension.
  bool operator!=(const Shape& o) const { return !(*this == o); }

  /// "(64, 1, 28, 28)".
  std::string str() const {
    std::string s = "(";
    for (int i = 0; i < rank_; ++i) s += (i ? ", " : "") + std::to_string(dims_[static_cast<std::size_t>(i)]);
    return s + (rank_ == 1 ? ",)" : ")");
  }

 private:
  void push_back(Index d) {
    if (d < 0) throw shape_error("Shape: negative dimension " + std::to_string(d));
    dims_[static_cast<std::size_t>(rank_++)] = d;
  }
  std::array<Index, kMaxRank> dims_{};
  int rank_ = 0;
};

/// Dense tensor with contiguous row-major (N, C, H, W) storage.
///
/// Resizing never shrinks the buffer, so a tensor reused from step to step allocates only the first time.
/// @tparam Scalar float or double.
template <typename Scalar = float>
class Tensor {
  static_assert(std::is_floating_point_v<Scalar>, "ganpp::Tensor needs a floating-point Scalar");

 public:
  /// Column-major matrix map; a row-major (N, F) tensor is the column-major F x N matrix: one column per sample.
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  /// Writable map of the storage as a column-major matrix (see Matrix).
  using MatrixMap = Eigen::Map<Matrix>;
  /// Read-only map of the storage as a column-major matrix.
  using ConstMatrixMap = Eigen::Map<const Matrix>;
  /// Writable map of the storage as a flat Eigen array, for element-wise math.
  using ArrayMap = Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>>;
  /// Read-only map of the storage as a flat Eigen array.
  using ConstArrayMap = Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, 1>>;

  /// A tensor without storage and with a rank-0 shape (whose size() reports 1); give it a shape with resize() or
  /// assign() before use.
  Tensor() = default;
  /// A tensor of the given shape with every element set to fill.
  explicit Tensor(const Shape& shape, Scalar fill = Scalar(0)) : shape_(shape), data_(static_cast<std::size_t>(shape.numel()), fill) {}
  /// A tensor of the given shape holding values in row-major order.
  /// @throws shape_error when values.size() differs from shape.numel().
  Tensor(const Shape& shape, const std::vector<Scalar>& values) : shape_(shape), data_(values.begin(), values.end()) {
    if (static_cast<Index>(data_.size()) != shape_.numel())
      throw shape_error("Tensor::Tensor(): " + std::to_string(data_.size()) + " values do not fill shape " + shape_.str());
  }

  /// The shape; the reference stays valid while the tensor lives, and changes with resize() and reshape().
  const Shape& shape() const { return shape_; }
  /// Number of dimensions (shape().rank()).
  int rank() const { return shape_.rank(); }
  /// Dimension i of the shape; i must be below rank() (not checked).
  Index dim(int i) const { return shape_[i]; }
  /// Number of elements (shape().numel()).
  Index size() const { return shape_.numel(); }
  /// Batch size (dimension 0).
  Index batch() const { return shape_.rank() ? shape_[0] : 1; }
  /// True when size() is 0, i.e. a dimension is 0. Not for a default-constructed tensor: its rank-0 shape reports
  /// size() 1 although it has no storage.
  bool empty() const { return size() == 0; }

  /// Pointer to the first element of the contiguous storage; invalidated when resize() grows the tensor.
  Scalar* data() { return data_.data(); }
  /// Read-only pointer to the first element; invalidated when resize() grows the tensor.
  const Scalar* data() const { return data_.data(); }
  /// Element i in row-major order; i must be below size() (not checked).
  Scalar& operator[](Index i) { return data_[static_cast<std::size_t>(i)]; }
  /// Element i in row-major order; i must be below size() (not checked).
  Scalar operator[](Index i) const { return data_[static_cast<std::size_t>(i)]; }
  /// Iterator to the first element, for range-for and standard algorithms.
  Scalar* begin() { return data_.data(); }
  /// Iterator one past the last element.
  Scalar* end() { return data_.data() + size(); }
  /// Read-only iterator to the first element.
  const Scalar* begin() const { return data_.data(); }
  /// Read-only iterator one past the last element.
  const Scalar* end() const { return data_.data() + size(); }

  /// Element (n, c, h, w) of a rank-4 tensor.
  Scalar& at(Index n, Index c, Index h, Index w) { return data_[static_cast<std::size_t>(((n * shape_[1] + c) * shape_[2] + h) * shape_[3] + w)]; }
  /// Element (n, c, h, w) of a rank-4 tensor; indices are not checked.
  Scalar at(Index n, Index c, Index h, Index w) const { return data_[static_cast<std::size_t>(((n * shape_[1] + c) * shape_[2] + h) * shape_[3] + w)]; }

  /// Gives the tensor a new shape; reuses the buffer, allocating only when it must grow. Contents are unspecified.
  void resize(const Shape& shape) {
    shape_ = shape;
    data_.resize(static_cast<std::size_t>(shape.numel()));
  }
  /// Reinterprets the same elements under another shape with the same element count.
  /// @throws shape_error when shape.numel() differs from size().
  void reshape(const Shape& shape) {
    if (shape.numel() != shape_.numel())
      throw shape_error("Tensor::reshape(): cannot view " + shape_.str() + " as " + shape.str());
    shape_ = shape;
  }
  /// Sets every element to v.
  void fill(Scalar v) { std::fill(data_.begin(), data_.end(), v); }
  /// Sets every element to zero.
  void set_zero() { fill(Scalar(0)); }
  /// Copies shape and values, reusing this tensor's buffer.
  void assign(const Tensor& other) {
    resize(other.shape_);
    std::copy(other.data_.begin(), other.data_.end(), data_.begin());
  }

  /// Flat view of every element.
  ArrayMap array() { return ArrayMap(data(), size()); }
  /// Read-only flat view of every element.
  ConstArrayMap array() const { return ConstArrayMap(data(), size()); }
  /// The tensor as a column-major (sample_size x batch) matrix: column n is sample n.
  MatrixMap matrix() { return MatrixMap(data(), per_sample(), batch()); }
  /// Read-only (sample_size x batch) view: column n is sample n.
  ConstMatrixMap matrix() const { return ConstMatrixMap(data(), per_sample(), batch()); }
  /// The tensor as a column-major rows x cols matrix of the same elements.
  /// @throws shape_error when rows * cols differs from size().
  MatrixMap matrix(Index rows, Index cols) {
    check_view(rows, cols);
    return MatrixMap(data(), rows, cols);
  }
  /// Read-only rows x cols view of the same elements.
  /// @throws shape_error when rows * cols differs from size().
  ConstMatrixMap matrix(Index rows, Index cols) const {
    check_view(rows, cols);
    return ConstMatrixMap(data(), rows, cols);
  }

  /// True when every element is finite.
  bool all_finite() const { return array().isFinite().all(); }

 private:
  Index per_sample() const { return shape_.sample_size(); }
  void check_view(Index rows, Index cols) const {
    if (rows * cols != size())
      throw shape_error("Tensor::matrix(): cannot view " + shape_.str() + " as " + std::to_string(rows) + " x " + std::to_string(cols));
  }

  Shape shape_;
  // Aligned to Eigen's widest packet (64 bytes with AVX-512): Eigen's vectorised loops over an unaligned map peel
  // to the first aligned element, so storage at an address that varies from run to run (malloc guarantees 16
  // bytes) would change the summation order, and with it the rounding, breaking bit-for-bit reproducibility.
  std::vector<Scalar, Eigen::aligned_allocator<Scalar>> data_;
};

}  // namespace ganpp
