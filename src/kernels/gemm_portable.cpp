// Portable GEMM: the same packed driver on GCC vector extensions (128-bit, SSE2 on x86-64),
// for CPUs without AVX2 + FMA. 4×8 float / 4×4 double register tile.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

#include "gemm_isa.hpp"

namespace descent::kernels::detail {
namespace {

template <class Scalar>
struct Portable {
    using T = Scalar;
    typedef Scalar reg __attribute__((vector_size(16)));
    static constexpr int W = 16 / sizeof(Scalar);
    static reg zero() { return reg{}; }
    static reg loadu(const T* p) {
        reg r;
        std::memcpy(&r, p, sizeof r);
        return r;
    }
    static reg bcast(const T* p) { return reg{} + *p; }
    static reg set1(T x) { return reg{} + x; }
    static reg fma(reg a, reg b, reg c) { return a * b + c; }
    static reg mul(reg a, reg b) { return a * b; }
    static reg add(reg a, reg b) { return a + b; }
    static void storeu(T* p, reg r) { std::memcpy(p, &r, sizeof r); }
    static reg load_part(const T* p, int n) {
        reg r{};
        for (int i = 0; i < n; ++i) r[i] = p[i];
        return r;
    }
    static void store_part(T* p, reg r, int n) {
        for (int i = 0; i < n; ++i) p[i] = r[i];
    }
};

template <class V>
struct Blocking;
template <>
struct Blocking<Portable<float>> {
    static constexpr int MR = 4, NV = 2, MR1 = 8;
    static constexpr std::int64_t KC = 256, MC = 128, NC = 4096;
};
template <>
struct Blocking<Portable<double>> {
    static constexpr int MR = 4, NV = 2, MR1 = 8;
    static constexpr std::int64_t KC = 256, MC = 64, NC = 4096;
};

#include "gemm_impl.hpp"

}  // namespace

void gemm_portable(const GemmArgs<float>& g, GemmPath path) { gemm_run<Portable<float>>(g, path); }
void gemm_portable(const GemmArgs<double>& g, GemmPath path) { gemm_run<Portable<double>>(g, path); }

}  // namespace descent::kernels::detail
