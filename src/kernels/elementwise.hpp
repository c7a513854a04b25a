// Elementwise map kernels over broadcast, possibly non-contiguous operands.
// Shapes: out = broadcast(a, b); out[i] = f(a[i'], b[i'']) with i', i'' the
// broadcast positions. Contiguous rows and scalar operands take tight loops
// the compiler vectorizes.
#pragma once
#include <omp.h>

#include <algorithm>

#include "descent/core/tensor.hpp"
#include "strided.hpp"

namespace descent::kernels {

/// Elements below which a map stays on one thread: waking the OpenMP pool costs a few µs,
/// about what one core needs for this many elements of a memory-bound loop.
constexpr std::int64_t kParallelMapElements = std::int64_t{1} << 16;

/// Threads for a contiguous map over n elements (1 inside a parallel region).
inline int map_threads(std::int64_t n) {
    if (n < kParallelMapElements || omp_in_parallel()) return 1;
    return static_cast<int>(std::min<std::int64_t>(omp_get_max_threads(), n / kParallelMapElements));
}

/// body(begin, end) over [0, n) in one contiguous chunk per thread; chunks start at multiples
/// of 16 elements (a cache line of float32), so threads rarely share a line.
template <class Body>
void parallel_chunks(std::int64_t n, Body&& body) {
    const int nt = map_threads(n);
    if (nt <= 1) return body(std::int64_t{0}, n);
#pragma omp parallel num_threads(nt)
    {
        const std::int64_t t = omp_get_thread_num(), k = omp_get_num_threads();
        const std::int64_t begin = std::min(n, (n * t / k) / 16 * 16);
        const std::int64_t end = t + 1 == k ? n : std::min(n, (n * (t + 1) / k) / 16 * 16);
        body(begin, end);
    }
}

/// Strides that read `t` as if expanded to `out_shape` (0 on broadcast dims).
inline Shape broadcast_strides(const Tensor& t, const Shape& out_shape) {
    const std::size_t nd = out_shape.size(), td = t.shape().size();
    Shape s(nd, 0);
    for (std::size_t i = 0; i < td; ++i) {
        const std::size_t o = nd - td + i;
        s[o] = t.shape()[i] == 1 ? 0 : t.strides()[i];
    }
    return s;
}

template <class T>
const T* base_ptr(const Tensor& t) {
    return static_cast<const T*>(t.impl()->storage->data) + t.storage_offset();
}

/// out = f(a, b) with a, b of dtype T broadcast to out's shape; out is contiguous of dtype R
/// and may be a itself (same shape, contiguous), each element read before it is written.
template <class R, class T, class F>
void map_binary_into(Tensor& out, const Tensor& a, const Tensor& b, F f) {
    const Shape& out_shape = out.shape();
    const T* pa = base_ptr<T>(a);
    const T* pb = base_ptr<T>(b);
    R* po = out.data_ptr<R>();
    if (a.shape() == out_shape && b.shape() == out_shape && a.is_contiguous() && b.is_contiguous()) {
        parallel_chunks(out.numel(), [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) po[i] = f(pa[i], pb[i]);
        });
        return;
    }
    const Shape sa = broadcast_strides(a, out_shape), sb = broadcast_strides(b, out_shape);
    for_each_row<3>(out_shape, {&out.strides(), &sa, &sb}, [&](const RowSpec<3>& r) {
        R* o = po + r.offsets[0];
        const T* x = pa + r.offsets[1];
        const T* y = pb + r.offsets[2];
        const std::int64_t n = r.length, s1 = r.strides[1], s2 = r.strides[2];
        if (s1 == 1 && s2 == 1) {
            for (std::int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
        } else if (s1 == 1 && s2 == 0) {
            const T yv = *y;
            for (std::int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
        } else if (s1 == 0 && s2 == 1) {
            const T xv = *x;
            for (std::int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
        } else {
            for (std::int64_t i = 0; i < n; ++i) o[i] = f(x[i * s1], y[i * s2]);
        }
    });
}

/// out (new, contiguous, dtype R) = f(a, b) with a, b of dtype T broadcast to out_shape.
template <class R, class T, class F>
Tensor map_binary(const Tensor& a, const Tensor& b, const Shape& out_shape, F f) {
    Tensor out = make_tensor(out_shape, dtype_of<R>());
    map_binary_into<R, T>(out, a, b, f);
    return out;
}

/// `g` itself when a backward may write its result over it: contiguous, of dtype `dt` and
/// shape `shape`, and nothing else holds it or its storage (an incoming gradient the engine
/// handed over); undefined otherwise. Spares an allocation and the writes to fresh memory.
inline Tensor reusable_buffer(const Tensor& g, const Shape& shape, DType dt) {
    if (!g.defined() || g.impl_ptr().use_count() != 1 || g.impl()->storage.use_count() != 1) return Tensor();
    if (g.dtype() != dt || g.shape() != shape || !g.is_contiguous()) return Tensor();
    return g;
}

/// out (new, contiguous, dtype R, shape of x) = f(x) with x of dtype T.
template <class R, class T, class F>
Tensor map_unary(const Tensor& x, F f) {
    Tensor out = make_tensor(x.shape(), dtype_of<R>());
    const T* px = base_ptr<T>(x);
    R* po = out.data_ptr<R>();
    if (x.is_contiguous()) {
        parallel_chunks(out.numel(), [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) po[i] = f(px[i]);
        });
        return out;
    }
    for_each_row<2>(x.shape(), {&out.strides(), &x.strides()}, [&](const RowSpec<2>& r) {
        R* o = po + r.offsets[0];
        const T* in = px + r.offsets[1];
        const std::int64_t n = r.length, s = r.strides[1];
        if (s == 1)
            for (std::int64_t i = 0; i < n; ++i) o[i] = f(in[i]);
        else
            for (std::int64_t i = 0; i < n; ++i) o[i] = f(in[i * s]);
    });
    return out;
}

/// out = f(a, b, c) for three operands of dtype T broadcast to out_shape (used by where).
template <class R, class C, class T, class F>
Tensor map_ternary(const Tensor& c, const Tensor& a, const Tensor& b, const Shape& out_shape, F f) {
    Tensor out = make_tensor(out_shape, dtype_of<R>());
    const Shape sc = broadcast_strides(c, out_shape), sa = broadcast_strides(a, out_shape),
                sb = broadcast_strides(b, out_shape);
    const C* pc = base_ptr<C>(c);
    const T* pa = base_ptr<T>(a);
    const T* pb = base_ptr<T>(b);
    R* po = out.data_ptr<R>();
    for_each_row<4>(out_shape, {&out.strides(), &sc, &sa, &sb}, [&](const RowSpec<4>& r) {
        for (std::int64_t i = 0; i < r.length; ++i)
            po[r.offsets[0] + i] = f(pc[r.offsets[1] + i * r.strides[1]], pa[r.offsets[2] + i * r.strides[2]],
                                     pb[r.offsets[3] + i * r.strides[3]]);
    });
    return out;
}

}  // namespace descent::kernels
