// Views (sharing storage), copies, joins and indexing. Each view op records a
// backward that maps the gradient back to the source's geometry.
// Implemented in src/ops/shape.cpp and src/ops/indexing.cpp.
#pragma once
#include <optional>
#include <vector>

#include "descent/core/tensor.hpp"

namespace descent {

/// Shape `shape` after broadcasting a and b (NumPy rules); `op` names the caller in the error.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

Tensor view(const Tensor& x, const Shape& shape);  // one dim may be -1
Tensor reshape(const Tensor& x, const Shape& shape);
Tensor flatten(const Tensor& x, std::int64_t start_dim = 0, std::int64_t end_dim = -1);
Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1);
Tensor permute(const Tensor& x, const Shape& dims);
Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length);
Tensor slice(const Tensor& x, std::int64_t dim, std::optional<std::int64_t> start,
             std::optional<std::int64_t> end, std::int64_t step = 1);
Tensor select(const Tensor& x, std::int64_t dim, std::int64_t index);
Tensor squeeze(const Tensor& x);
Tensor squeeze(const Tensor& x, std::int64_t dim);
Tensor unsqueeze(const Tensor& x, std::int64_t dim);
Tensor expand(const Tensor& x, const Shape& shape);  // -1 keeps a dim
Tensor contiguous(const Tensor& x);
Tensor clone(const Tensor& x);
Tensor to_dtype(const Tensor& x, DType dtype);

/// Joins tensors along an existing dim (sizes must match elsewhere; dtypes promote).
/// As PyTorch, 1-D empty tensors are skipped whatever the other shapes.
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
/// Joins equal-shaped tensors along a new dim.
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
/// Views of `split_size` along dim (the last may be smaller), as torch.split.
std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, std::int64_t dim = 0);
/// Views with the given sizes along dim (they must sum to the dim's size).
std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes, std::int64_t dim = 0);
/// Views of ceil(size / chunks) along dim, as torch.chunk (may give fewer than `chunks`).
std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t dim = 0);

// Indexing: indices are int64 and must lie in [0, size of the indexed dim);
// an index out of range is an Error naming the index, the dim and its size.
/// Slices (along dim) picked by a 0-D or 1-D int64 index, as torch.index_select.
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);
/// out[i][j] = x[i][index[i][j]] (dim = 1), as torch.gather; out has index's shape.
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index);
/// A copy of x with src added at index along dim, as torch.scatter_add
/// (out[i][index[i][j]] += src[i][j] for dim = 1); differentiable in x and src.
Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src);
/// One-hot encoding of int64 class indices: shape [..., num_classes] (-1 infers max + 1),
/// float32 unless dtype given (torch returns int64). Not differentiable.
Tensor one_hot(const Tensor& indices, std::int64_t num_classes = -1, DType dtype = kFloat32);

}  // namespace descent
