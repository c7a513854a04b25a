// Sum-style reduction over a set of dims. Shapes: in [d0..dn-1] → out with the
// reduced dims kept as 1. Accumulates in double (int64 for integers) so float32
// sums do not drift with length, then converts once.
// sum_reduce takes tight loops for a contiguous input whose reduced dims are all leading
// (e.g. a bias gradient, [N, C] → [C]) or all trailing (row sums, the full sum);
// sum_reduce_reference is the generic strided loop, the fallback and the test oracle.
#pragma once
#include <vector>

#include "descent/core/tensor.hpp"
#include "strided.hpp"

namespace descent::kernels {

/// Which dims a reduction removes, one flag per dim; inline up to 6 dims, as a Shape.
using DimMask = SmallVector<bool, 6>;

/// out[j] = Σ_{i ↦ j} in[i], out of shape `kept` (reduced dims = 1), dtype `out_dtype`.
template <class T>
Tensor sum_reduce_reference(const Tensor& in, const DimMask& reduce, DType out_dtype) {
    Shape kept = in.shape();
    for (std::size_t d = 0; d < kept.size(); ++d)
        if (reduce[d]) kept[d] = 1;
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;
    std::vector<Acc> acc(static_cast<std::size_t>(shape_numel(kept)), Acc(0));
    Shape acc_strides = contiguous_strides(kept);
    for (std::size_t d = 0; d < kept.size(); ++d)
        if (reduce[d]) acc_strides[d] = 0;
    const T* p = static_cast<const T*>(in.impl()->storage->data) + in.storage_offset();
    for_each_row<2>(in.shape(), {&acc_strides, &in.strides()}, [&](const RowSpec<2>& r) {
        Acc* a = acc.data() + r.offsets[0];
        const T* x = p + r.offsets[1];
        const std::int64_t n = r.length, sa = r.strides[0], sx = r.strides[1];
        if (sa == 0) {
            Acc s = 0;
            if (sx == 1)
                for (std::int64_t i = 0; i < n; ++i) s += static_cast<Acc>(x[i]);
            else
                for (std::int64_t i = 0; i < n; ++i) s += static_cast<Acc>(x[i * sx]);
            *a += s;
        } else {
            for (std::int64_t i = 0; i < n; ++i) a[i * sa] += static_cast<Acc>(x[i * sx]);
        }
    });
    Tensor out = make_tensor(kept, out_dtype);
    visit_dtype(out_dtype, [&](auto tag) {
        using R = decltype(tag);
        R* o = out.data_ptr<R>();
        for (std::size_t i = 0; i < acc.size(); ++i) o[i] = static_cast<R>(acc[i]);
    });
    return out;
}

namespace detail {
// Σ x[0..n) in Acc with eight independent partial sums: the compiler vectorizes them (no
// reassociation of one running sum is needed), and the additions overlap.
template <class Acc, class T>
Acc sum_contiguous(const T* x, std::int64_t n) {
    Acc s[8] = {};
    std::int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; ++j) s[j] += static_cast<Acc>(x[i + j]);
    for (; i < n; ++i) s[0] += static_cast<Acc>(x[i]);
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

// Column sums of a row-major [rows, K] block with K fixed: out[j] = Σ_r x[r·K + j]. Kept in
// registers as R independent partial sums per column (R·K ≈ 16 accumulators), so no addition
// waits on the previous one and no accumulator goes through memory (a bias gradient [N, 4]).
template <int K, class Acc, class T>
void column_sums_fixed(const T* x, std::int64_t rows, Acc* out) {
    constexpr int R = K >= 16 ? 1 : 16 / K;
    Acc s[R][K] = {};
    std::int64_t r = 0;
    for (; r + R <= rows; r += R)
        for (int u = 0; u < R; ++u)
            for (int j = 0; j < K; ++j) s[u][j] += static_cast<Acc>(x[(r + u) * K + j]);
    for (; r < rows; ++r)
        for (int j = 0; j < K; ++j) s[0][j] += static_cast<Acc>(x[r * K + j]);
    for (int w = 1; w < R; w *= 2)  // pairwise: (s0 + s1) + (s2 + s3) ...
        for (int u = 0; u + w < R; u += 2 * w)
            for (int j = 0; j < K; ++j) s[u][j] += s[u + w][j];
    for (int j = 0; j < K; ++j) out[j] = s[0][j];
}

// column_sums_fixed<K> for K = 1..16 chosen at run time; false for wider K.
template <class Acc, class T>
bool column_sums_small(const T* x, std::int64_t rows, std::int64_t k, Acc* out) {
    switch (k) {
#define DESCENT_COLUMN_SUMS_CASE(K) \
    case K: column_sums_fixed<K>(x, rows, out); return true;
        DESCENT_COLUMN_SUMS_CASE(1) DESCENT_COLUMN_SUMS_CASE(2) DESCENT_COLUMN_SUMS_CASE(3)
        DESCENT_COLUMN_SUMS_CASE(4) DESCENT_COLUMN_SUMS_CASE(5) DESCENT_COLUMN_SUMS_CASE(6)
        DESCENT_COLUMN_SUMS_CASE(7) DESCENT_COLUMN_SUMS_CASE(8) DESCENT_COLUMN_SUMS_CASE(9)
        DESCENT_COLUMN_SUMS_CASE(10) DESCENT_COLUMN_SUMS_CASE(11) DESCENT_COLUMN_SUMS_CASE(12)
        DESCENT_COLUMN_SUMS_CASE(13) DESCENT_COLUMN_SUMS_CASE(14) DESCENT_COLUMN_SUMS_CASE(15)
        DESCENT_COLUMN_SUMS_CASE(16)
#undef DESCENT_COLUMN_SUMS_CASE
        default: return false;
    }
}
}  // namespace detail

/// As sum_reduce_reference, with tight loops for contiguous inputs reduced over leading or trailing dims.
template <class T>
Tensor sum_reduce(const Tensor& in, const DimMask& reduce, DType out_dtype) {
    const Shape& shape = in.shape();
    const std::size_t nd = shape.size();
    std::int64_t numel = 1;
    for (auto d : shape) numel *= d;
    if (!in.is_contiguous() || numel == 0) return sum_reduce_reference<T>(in, reduce, out_dtype);
    // The reduced dims (ignoring size-1 dims) must all lead or all trail the kept ones.
    bool prefix = true, suffix = true;
    {
        bool seen_kept = false;
        for (std::size_t d = 0; d < nd; ++d) {
            if (shape[d] == 1) continue;
            if (!reduce[d]) seen_kept = true;
            else if (seen_kept) prefix = false;
        }
        bool seen_reduced = false;
        for (std::size_t d = 0; d < nd; ++d) {
            if (shape[d] == 1) continue;
            if (reduce[d]) seen_reduced = true;
            else if (seen_reduced) suffix = false;
        }
    }
    if (!prefix && !suffix) return sum_reduce_reference<T>(in, reduce, out_dtype);
    Shape kept = shape;
    std::int64_t reduced = 1;
    for (std::size_t d = 0; d < nd; ++d)
        if (reduce[d]) reduced *= kept[d], kept[d] = 1;
    const std::int64_t outer = numel / reduced;  // elements of the result
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;
    const T* p = static_cast<const T*>(in.impl()->storage->data) + in.storage_offset();
    Tensor out = make_tensor(kept, out_dtype);
    visit_dtype(out_dtype, [&](auto tag) {
        using R = decltype(tag);
        R* o = out.data_ptr<R>();
        if (suffix) {  // out[r] = Σ_j in[r·reduced + j]
            for (std::int64_t r = 0; r < outer; ++r)
                o[r] = static_cast<R>(detail::sum_contiguous<Acc>(p + r * reduced, reduced));
        } else if (Acc small[16]; detail::column_sums_small(p, reduced, outer, small)) {  // prefix, outer <= 16
            for (std::int64_t j = 0; j < outer; ++j) o[j] = static_cast<R>(small[j]);
        } else {  // prefix: out[j] = Σ_r in[r·outer + j]
            // Scratch from the tensor cache: a bias gradient per step goes to the heap for none of it.
            Tensor acc_tensor = Tensor::zeros({outer}, {.dtype = dtype_of<Acc>()});
            Acc* acc = acc_tensor.data_ptr<Acc>();
            for (std::int64_t r = 0; r < reduced; ++r) {
                const T* x = p + r * outer;
                for (std::int64_t j = 0; j < outer; ++j) acc[j] += static_cast<Acc>(x[j]);
            }
            for (std::int64_t j = 0; j < outer; ++j) o[j] = static_cast<R>(acc[j]);
        }
    });
    return out;
}

}  // namespace descent::kernels
