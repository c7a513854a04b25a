// GEMM for AVX-512F (512-bit vectors, 32 registers): a 12×32 float / 12×16 double register
// tile (24 accumulators). Built with a target pragma, never -march, and only called when the
// CPU reports AVX-512F (see cpu.hpp). Blocking is chosen from cache sizes, not tuned on hardware.
#if defined(__x86_64__)
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

#include "gemm_isa.hpp"

#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")

namespace descent::kernels::detail {
namespace {

struct Avx512Float {
    using T = float;
    using reg = __m512;
    static constexpr int W = 16;
    static reg zero() { return _mm512_setzero_ps(); }
    static reg loadu(const T* p) { return _mm512_loadu_ps(p); }
    static reg bcast(const T* p) { return _mm512_set1_ps(*p); }
    static reg set1(T x) { return _mm512_set1_ps(x); }
    static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
    static reg mul(reg a, reg b) { return _mm512_mul_ps(a, b); }
    static reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
    static void storeu(T* p, reg r) { _mm512_storeu_ps(p, r); }
    static __mmask16 mask(int n) { return static_cast<__mmask16>((1u << n) - 1u); }
    static reg load_part(const T* p, int n) { return _mm512_maskz_loadu_ps(mask(n), p); }
    static void store_part(T* p, reg r, int n) { _mm512_mask_storeu_ps(p, mask(n), r); }
};

struct Avx512Double {
    using T = double;
    using reg = __m512d;
    static constexpr int W = 8;
    static reg zero() { return _mm512_setzero_pd(); }
    static reg loadu(const T* p) { return _mm512_loadu_pd(p); }
    static reg bcast(const T* p) { return _mm512_set1_pd(*p); }
    static reg set1(T x) { return _mm512_set1_pd(x); }
    static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_pd(a, b, c); }
    static reg mul(reg a, reg b) { return _mm512_mul_pd(a, b); }
    static reg add(reg a, reg b) { return _mm512_add_pd(a, b); }
    static void storeu(T* p, reg r) { _mm512_storeu_pd(p, r); }
    static __mmask8 mask(int n) { return static_cast<__mmask8>((1u << n) - 1u); }
    static reg load_part(const T* p, int n) { return _mm512_maskz_loadu_pd(mask(n), p); }
    static void store_part(T* p, reg r, int n) { _mm512_mask_storeu_pd(p, mask(n), r); }
};

template <class V>
struct Blocking;
// KC·NR·size (one B micro-panel, 24 KiB) fits a 32–48 KiB L1; MC·KC·size (180 KiB) a 1–2 MiB L2.
template <>
struct Blocking<Avx512Float> {
    static constexpr int MR = 12, NV = 2, MR1 = 24;
    static constexpr std::int64_t KC = 192, MC = 240, NC = 4064;
};
template <>
struct Blocking<Avx512Double> {
    static constexpr int MR = 12, NV = 2, MR1 = 24;
    static constexpr std::int64_t KC = 192, MC = 120, NC = 4064;
};

#include "gemm_impl.hpp"

}  // namespace

void gemm_avx512(const GemmArgs<float>& g, GemmPath path) { gemm_run<Avx512Float>(g, path); }
void gemm_avx512(const GemmArgs<double>& g, GemmPath path) { gemm_run<Avx512Double>(g, path); }

}  // namespace descent::kernels::detail

#pragma GCC pop_options
#endif
