// SPDX-License-Identifier: MIT
/// @file
/// Embedding (class index -> learned vector) and LabelConcat (appends a label embedding to a layer's input).
#pragma once

#include "layer.hpp"

#include <cmath>

namespace ganpp {

/// Looks up a learned vector per class index. Input (N) or (N, 1) holding integral indices; output (N, dim).
/// Indices are not differentiable: backward returns zeros for them and accumulates the rows' gradients.
template <typename Scalar = float>
class Embedding : public Layer<Scalar> {
 public:
  /// Initialises the table from N(0, 1) with Rng(0), as PyTorch does; call reset_parameters() for another draw.
  /// @param num_classes number of rows of the table: indices run over [0, num_classes).
  /// @param dim length of each embedding vector.
  /// @throws argument_error when num_classes or dim is below 1.
  Embedding(Index num_classes, Index dim) : classes_(num_classes), dim_(dim), weight_(Shape{num_classes, dim}), weight_grad_(Shape{num_classes, dim}) {
    if (num_classes < 1 || dim < 1)
      throw argument_error("Embedding::Embedding(): num_classes and dim must be positive, got " + std::to_string(num_classes) + ", " + std::to_string(dim));
    Rng rng(0);
    reset_parameters(Init::torch_default, rng);
  }
  std::string name() const override { return "Embedding(" + std::to_string(classes_) + ", " + std::to_string(dim_) + ")"; }
  Shape output_shape(const Shape& in) const override {
    this->require((in.rank() == 1) || (in.rank() == 2 && in[1] == 1), in, [&] { return std::string("class indices of shape (N) or (N, 1)"); });
    return Shape{in[0], dim_};
  }
  /// Looks up the (N) or (N, 1) indices into a (N, dim) output.
  /// @throws shape_error for another input shape.
  /// @throws argument_error for an index that is not an integer in [0, num_classes).
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    output_.resize(output_shape(x.shape()));
    indices_.resize(static_cast<std::size_t>(x.size()));
    for (Index n = 0; n < x.size(); ++n) indices_[static_cast<std::size_t>(n)] = checked_index(x[n]);
    gather(output_);
    input_shape_ = x.shape();
    return output_;
  }
  /// Adds dy's rows to the looked-up rows' gradients (unless frozen); returns zeros of the input's shape.
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    this->check_grad(dy, output_.shape());
    if (!this->frozen_) scatter_add(dy.data(), dim_, 0);
    grad_input_.resize(input_shape_);
    grad_input_.set_zero();
    return grad_input_;
  }
  std::vector<Parameter<Scalar>> parameters() override { return {{"weight", &weight_, &weight_grad_}}; }
  /// PyTorch initialises embeddings from N(0, 1); dcgan uses N(0, 0.02) as for every weight.
  void reset_parameters(Init scheme, Rng& rng) override {
    if (scheme == Init::torch_default) rng.fill_normal(weight_, 0.0, 1.0);
    else init::weight(weight_, scheme, classes_, dim_, rng);
  }

  /// Number of classes (rows of the table).
  Index num_classes() const { return classes_; }
  /// Length of each embedding vector.
  Index dim() const { return dim_; }
  /// Validates a class index, naming this layer on failure.
  int checked_index(double v) const {
    if (!(v >= 0) || v >= static_cast<double>(classes_) || v != std::floor(v))
      throw argument_error(name() + "::forward(): class index must be an integer in [0, " + std::to_string(classes_) + "), got " + std::to_string(v));
    return static_cast<int>(v);
  }
  /// Sets the indices directly (LabelConcat feeds labels this way) and writes rows into out (N x dim, row-major).
  void lookup(const std::vector<int>& labels, Tensor<Scalar>& out) {
    indices_.resize(labels.size());
    for (std::size_t i = 0; i < labels.size(); ++i) indices_[i] = checked_index(labels[i]);
    out.resize(Shape{static_cast<Index>(labels.size()), dim_});
    gather(out);
  }
  /// Adds rows of grad (stride floats apart, starting at offset) to the looked-up classes' gradients.
  void scatter_add(const Scalar* grad, Index stride, Index offset) {
    for (std::size_t n = 0; n < indices_.size(); ++n) {
      Scalar* row = weight_grad_.data() + indices_[n] * dim_;
      const Scalar* g = grad + static_cast<Index>(n) * stride + offset;
      for (Index j = 0; j < dim_; ++j) row[j] += g[j];
    }
  }

 private:
  void gather(Tensor<Scalar>& out) const {
    for (std::size_t n = 0; n < indices_.size(); ++n)
      std::copy_n(weight_.data() + indices_[n] * dim_, dim_, out.data() + static_cast<Index>(n) * dim_);
  }

  Index classes_, dim_;
  Tensor<Scalar> weight_, weight_grad_;
  Tensor<Scalar> output_, grad_input_;
  std::vector<int> indices_;
  Shape input_shape_;
};

/// Conditions a network on class labels: embeds the labels given by set_labels() and appends the embedding to the
/// input, as extra features for (N, F) inputs or as extra constant channels for (N, C, H, W) inputs.
template <typename Scalar = float>
class LabelConcat : public Layer<Scalar> {
 public:
  /// @param num_classes number of classes the labels range over.
  /// @param embedding_dim features (or channels) appended to each sample.
  /// @throws argument_error when num_classes or embedding_dim is below 1.
  LabelConcat(Index num_classes, Index embedding_dim) : embedding_(num_classes, embedding_dim) {}
  std::string name() const override {
    return "LabelConcat(" + std::to_string(embedding_.num_classes()) + " classes, " + std::to_string(embedding_.dim()) + ")";
  }
  Shape output_shape(const Shape& in) const override {
    this->require(in.rank() == 2 || in.rank() == 4, in, [&] { return std::string("(N, F) or (N, C, H, W)"); });
    Shape out = in;
    out[1] += embedding_.dim();
    return out;
  }
  /// Keeps the pointer (not a copy): the labels must stay alive and hold one label per sample until forward().
  void set_labels(const std::vector<int>* labels) override { labels_ = labels; }

  /// Appends the labels' embeddings to x: (N, F) -> (N, F + embedding_dim), or (N, C, H, W) ->
  /// (N, C + embedding_dim, H, W) with each embedding value repeated over its channel.
  /// @throws shape_error when x is neither (N, F) nor (N, C, H, W).
  /// @throws argument_error when set_labels() gave no labels or not one per sample, or for a label out of range.
  const Tensor<Scalar>& forward(const Tensor<Scalar>& x) override {
    const Shape out_shape = output_shape(x.shape());
    if (labels_ == nullptr || static_cast<Index>(labels_->size()) != x.batch())
      throw argument_error(name() + "::forward(): needs one label per sample (" + std::to_string(x.batch()) + "), got " +
                           (labels_ ? std::to_string(labels_->size()) : std::string("none")));
    embedding_.lookup(*labels_, embedded_);
    output_.resize(out_shape);
    input_shape_ = x.shape();
    const Index n_batch = x.batch(), c_in = x.dim(1), e = embedding_.dim();
    const Index plane = x.rank() == 4 ? x.dim(2) * x.dim(3) : 1;
    for (Index n = 0; n < n_batch; ++n) {
      Scalar* out = output_.data() + n * (c_in + e) * plane;
      std::copy_n(x.data() + n * c_in * plane, c_in * plane, out);
      for (Index j = 0; j < e; ++j) std::fill_n(out + (c_in + j) * plane, plane, embedded_[n * e + j]);
    }
    return output_;
  }
  /// Returns the gradient of the input's part of the output and adds the embedding's part to the table's
  /// gradient (unless frozen).
  /// @throws shape_error when dy's shape differs from the last output's.
  const Tensor<Scalar>& backward(const Tensor<Scalar>& dy) override {
    this->check_grad(dy, output_.shape());
    grad_input_.resize(input_shape_);
    const Index n_batch = input_shape_[0], c_in = input_shape_[1], e = embedding_.dim();
    const Index plane = input_shape_.rank() == 4 ? input_shape_[2] * input_shape_[3] : 1;
    grad_embedded_.resize(Shape{n_batch, e});
    for (Index n = 0; n < n_batch; ++n) {
      const Scalar* g = dy.data() + n * (c_in + e) * plane;
      std::copy_n(g, c_in * plane, grad_input_.data() + n * c_in * plane);
      for (Index j = 0; j < e; ++j) {
        Scalar s = 0;
        for (Index p = 0; p < plane; ++p) s += g[(c_in + j) * plane + p];
        grad_embedded_[n * e + j] = s;
      }
    }
    if (!this->frozen_) embedding_.scatter_add(grad_embedded_.data(), e, 0);
    return grad_input_;
  }
  std::vector<Parameter<Scalar>> parameters() override {
    auto p = embedding_.parameters();
    p[0].name = "embedding.weight";
    return p;
  }
  void reset_parameters(Init scheme, Rng& rng) override { embedding_.reset_parameters(scheme, rng); }

 private:
  Embedding<Scalar> embedding_;
  const std::vector<int>* labels_ = nullptr;
  Tensor<Scalar> embedded_, grad_embedded_, output_, grad_input_;
  Shape input_shape_;
};

}  // namespace ganpp
