// Sum-style reduction over a set of dims. Shapes: in [d0..dn-1] → out with the
// reduced dims kept as 1. Accumulates in double (int64 for integers) so float32
// sums do not drift with length, then converts once.
#pragma once
#include <vector>

#include "descent/core/tensor.hpp"
#include "strided.hpp"

namespace descent::kernels {

/// out[j] = Σ_{i ↦ j} in[i], out of shape `kept` (reduced dims = 1), dtype `out_dtype`.
template <class T>
Tensor sum_reduce(const Tensor& in, const std::vector<bool>& reduce, DType out_dtype) {
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

}  // namespace descent::kernels
