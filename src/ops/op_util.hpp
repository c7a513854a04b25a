// Helpers shared by the op implementations (private to src/ops/).
#pragma once
#include "../kernels/reduce.hpp"
#include "descent/core/tensor.hpp"
#include "descent/ops/reduction.hpp"
#include "descent/ops/shape.hpp"

namespace descent {

/// The gradient for an input of `shape` and `dtype`: broadcasting undone, dtype restored.
inline Tensor grad_for(const Tensor& g, const Shape& shape, DType dtype) {
    Tensor r = g.shape() == shape ? g : sum_to(g, shape);
    return r.dtype() == dtype ? r : to_dtype(r, dtype);
}

}  // namespace descent

namespace descent {
/// Marks the dims a reduction removes; an empty list means all dims.
kernels::DimMask reduced_dims(const Tensor& x, const Shape& dims, const char* op);
/// A reduction's output shape: reduced dims dropped, or kept as 1 with keepdim.
Shape reduced_shape(const Shape& shape, const kernels::DimMask& reduce, bool keepdim);
}  // namespace descent
