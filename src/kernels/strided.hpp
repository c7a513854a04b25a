// Iteration over N operands that share one logical shape but have their own
// strides (0 for a broadcast dim). Dims are coalesced first, so contiguous
// operands become one long row and the row body vectorizes.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "descent/core/tensor.hpp"

namespace descent::kernels {

template <std::size_t N>
struct RowSpec {
    std::array<std::int64_t, N> offsets;  // element offset of the row's first element, per operand
    std::array<std::int64_t, N> strides;  // element stride along the row, per operand
    std::int64_t length;
};

/// Calls `row(RowSpec<N>)` once per innermost row of `shape`.
template <std::size_t N, class RowFn>
void for_each_row(const Shape& shape, const std::array<const Shape*, N>& strides, RowFn&& row) {
    // Drop size-1 dims, then merge dim i into i+1 where every operand allows it. Shapes, so
    // the bookkeeping stays inline (no heap allocation per call).
    Shape sizes;
    std::array<Shape, N> st;
    for (std::size_t d = 0; d < shape.size(); ++d) {
        if (shape[d] == 0) return;
        if (shape[d] == 1) continue;
        const bool can_merge = !sizes.empty() && [&] {
            for (std::size_t k = 0; k < N; ++k)
                if (st[k].back() != (*strides[k])[d] * shape[d]) return false;
            return true;
        }();
        if (can_merge) {
            sizes.back() *= shape[d];
            for (std::size_t k = 0; k < N; ++k) st[k].back() = (*strides[k])[d];
        } else {
            sizes.push_back(shape[d]);
            for (std::size_t k = 0; k < N; ++k) st[k].push_back((*strides[k])[d]);
        }
    }
    RowSpec<N> spec{};
    if (sizes.empty()) {
        spec.length = 1;
        row(spec);
        return;
    }
    const std::size_t nd = sizes.size();
    spec.length = sizes[nd - 1];
    for (std::size_t k = 0; k < N; ++k) spec.strides[k] = st[k][nd - 1];
    Shape index(nd - 1, 0);
    while (true) {
        row(spec);
        std::size_t d = nd - 1;
        while (d > 0) {
            --d;
            if (++index[d] < sizes[d]) {
                for (std::size_t k = 0; k < N; ++k) spec.offsets[k] += st[k][d];
                break;
            }
            for (std::size_t k = 0; k < N; ++k) spec.offsets[k] -= st[k][d] * (sizes[d] - 1);
            index[d] = 0;
            if (d == 0) return;
        }
        if (nd == 1) return;
    }
}

}  // namespace descent::kernels
