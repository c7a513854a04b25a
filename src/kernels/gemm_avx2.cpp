// GEMM for AVX2 + FMA (256-bit vectors, 16 registers): a 6×16 float / 6×8 double register
// tile (12 accumulators + 2 B vectors + 1 broadcast). Built with a target pragma, never
// -march, and only called when the CPU reports AVX2 and FMA (see cpu.hpp).
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
#pragma GCC target("avx2,fma")

namespace descent::kernels::detail {
namespace {

struct Avx2Float {
    using T = float;
    using reg = __m256;
    static constexpr int W = 8;
    static reg zero() { return _mm256_setzero_ps(); }
    static reg loadu(const T* p) { return _mm256_loadu_ps(p); }
    static reg bcast(const T* p) { return _mm256_broadcast_ss(p); }
    static reg set1(T x) { return _mm256_set1_ps(x); }
    static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
    static reg mul(reg a, reg b) { return _mm256_mul_ps(a, b); }
    static reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
    static void storeu(T* p, reg r) { _mm256_storeu_ps(p, r); }
    static __m256i mask(int n) {  // first n lanes set
        alignas(32) static const std::int32_t bits[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
        return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bits + 8 - n));
    }
    static reg load_part(const T* p, int n) { return _mm256_maskload_ps(p, mask(n)); }
    // r[i][j] ↔ r[j][i]: the packing routines turn eight rows into eight columns with it.
    static void transpose8(reg (&r)[8]) {
        const reg t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
        const reg t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
        const reg t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
        const reg t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
        const reg s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
        const reg s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
        const reg s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
        const reg s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
        r[0] = _mm256_permute2f128_ps(s0, s4, 0x20), r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
        r[2] = _mm256_permute2f128_ps(s2, s6, 0x20), r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
        r[4] = _mm256_permute2f128_ps(s0, s4, 0x31), r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
        r[6] = _mm256_permute2f128_ps(s2, s6, 0x31), r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
    }
    // AMD cores run vmaskmovps stores in microcode (tens of cycles): store by halves instead.
    static void store_part(T* p, reg r, int n) {
        __m128 x = _mm256_castps256_ps128(r);
        if (n & 4) {
            _mm_storeu_ps(p, x);
            p += 4;
            x = _mm256_extractf128_ps(r, 1);
        }
        if (n & 2) {
            _mm_storel_pi(reinterpret_cast<__m64*>(p), x);
            p += 2;
            x = _mm_movehl_ps(x, x);
        }
        if (n & 1) _mm_store_ss(p, x);
    }
};

struct Avx2Double {
    using T = double;
    using reg = __m256d;
    static constexpr int W = 4;
    static reg zero() { return _mm256_setzero_pd(); }
    static reg loadu(const T* p) { return _mm256_loadu_pd(p); }
    static reg bcast(const T* p) { return _mm256_broadcast_sd(p); }
    static reg set1(T x) { return _mm256_set1_pd(x); }
    static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_pd(a, b, c); }
    static reg mul(reg a, reg b) { return _mm256_mul_pd(a, b); }
    static reg add(reg a, reg b) { return _mm256_add_pd(a, b); }
    static void storeu(T* p, reg r) { _mm256_storeu_pd(p, r); }
    static __m256i mask(int n) {
        alignas(32) static const std::int64_t bits[8] = {-1, -1, -1, -1, 0, 0, 0, 0};
        return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bits + 4 - n));
    }
    static reg load_part(const T* p, int n) { return _mm256_maskload_pd(p, mask(n)); }
    static void store_part(T* p, reg r, int n) {
        __m128d x = _mm256_castpd256_pd128(r);
        if (n & 2) {
            _mm_storeu_pd(p, x);
            p += 2;
            x = _mm256_extractf128_pd(r, 1);
        }
        if (n & 1) _mm_store_sd(p, x);
    }
};

// 128-bit halves for the narrow path (N ≤ 4 floats / 2 doubles): a full-width row store
// instead of a partial one. Same AVX2 + FMA target (VEX-encoded SSE with FMA).
struct Avx2Float128 {
    using T = float;
    using reg = __m128;
    static constexpr int W = 4;
    static reg zero() { return _mm_setzero_ps(); }
    static reg loadu(const T* p) { return _mm_loadu_ps(p); }
    static reg bcast(const T* p) { return _mm_broadcast_ss(p); }
    static reg set1(T x) { return _mm_set1_ps(x); }
    static reg fma(reg a, reg b, reg c) { return _mm_fmadd_ps(a, b, c); }
    static reg mul(reg a, reg b) { return _mm_mul_ps(a, b); }
    static reg add(reg a, reg b) { return _mm_add_ps(a, b); }
    static void storeu(T* p, reg r) { _mm_storeu_ps(p, r); }
    static reg load_part(const T* p, int n) {  // n in [1, 3]; lanes past n are zero
        if (n == 1) return _mm_load_ss(p);
        // _mm_loadu_si64 reads 8 bytes at any alignment (p is only float-aligned).
        const __m128 lo = _mm_castsi128_ps(_mm_loadu_si64(p));
        return n == 2 ? lo : _mm_movelh_ps(lo, _mm_load_ss(p + 2));
    }
    static void store_part(T* p, reg r, int n) {
        if (n & 2) {
            _mm_storel_pi(reinterpret_cast<__m64*>(p), r);
            p += 2;
            r = _mm_movehl_ps(r, r);
        }
        if (n & 1) _mm_store_ss(p, r);
    }
};

struct Avx2Double128 {
    using T = double;
    using reg = __m128d;
    static constexpr int W = 2;
    static reg zero() { return _mm_setzero_pd(); }
    static reg loadu(const T* p) { return _mm_loadu_pd(p); }
    static reg bcast(const T* p) { return _mm_loaddup_pd(p); }
    static reg set1(T x) { return _mm_set1_pd(x); }
    static reg fma(reg a, reg b, reg c) { return _mm_fmadd_pd(a, b, c); }
    static reg mul(reg a, reg b) { return _mm_mul_pd(a, b); }
    static reg add(reg a, reg b) { return _mm_add_pd(a, b); }
    static void storeu(T* p, reg r) { _mm_storeu_pd(p, r); }
    static reg load_part(const T* p, int) { return _mm_load_sd(p); }  // n == 1
    static void store_part(T* p, reg r, int) { _mm_store_sd(p, r); }
};

template <class V>
struct Blocking;
template <>
struct Blocking<Avx2Float128> {};
template <>
struct Blocking<Avx2Double128> {};
// KC·NR·size (one B micro-panel) stays in the 32 KiB L1; MC·KC·size (one A block) in half of L2.
template <>
struct Blocking<Avx2Float> {
    static constexpr int MR = 6, NV = 2, MR1 = 12;
    static constexpr std::int64_t KC = 256, MC = 144, NC = 4080;
    using Narrow = Avx2Float128;
};
template <>
struct Blocking<Avx2Double> {
    static constexpr int MR = 6, NV = 2, MR1 = 12;
    static constexpr std::int64_t KC = 256, MC = 72, NC = 4080;
    using Narrow = Avx2Double128;
};

#include "gemm_impl.hpp"

}  // namespace

void gemm_avx2(const GemmArgs<float>& g, GemmPath path) { gemm_run<Avx2Float>(g, path); }
void gemm_avx2(const GemmArgs<double>& g, GemmPath path) { gemm_run<Avx2Double>(g, path); }

}  // namespace descent::kernels::detail

#pragma GCC pop_options
#endif
