// Vectorized exp / log / log1p over float32 arrays (see vmath.hpp). SLEEF's AVX2 entry
// points are called directly, behind our own CPU check (cpu.hpp), and built under a target
// pragma as the AVX2 GEMM is: the library itself is compiled for the baseline x86-64.
#include "vmath.hpp"

#include <cmath>

#include "cpu.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include <sleef.h>

// sleef.h declares its 256-bit entry points only under __AVX__ (code built with -mavx), which a
// target pragma does not define; these are its declarations of the three we call.
extern "C" {
__m256 Sleef_expf8_u10avx2(__m256);
__m256 Sleef_logf8_u10avx2(__m256);
__m256 Sleef_log1pf8_u10avx2(__m256);
}

namespace descent::kernels {
namespace {

// y[0..n) = F(x[0..n)) eight lanes at a time; the tail through masked loads and stores, so
// nothing past n is read or written.
template <__m256 (*F)(__m256)>
void map8(const float* x, float* y, std::int64_t n) {
    std::int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, F(_mm256_loadu_ps(x + i)));
    if (i < n) {
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - i)), lane);
        _mm256_maskstore_ps(y + i, mask, F(_mm256_maskload_ps(x + i, mask)));
    }
}

}  // namespace

void vexp_avx2(const float* x, float* y, std::int64_t n) { map8<Sleef_expf8_u10avx2>(x, y, n); }
void vlog_avx2(const float* x, float* y, std::int64_t n) { map8<Sleef_logf8_u10avx2>(x, y, n); }
void vlog1p_avx2(const float* x, float* y, std::int64_t n) { map8<Sleef_log1pf8_u10avx2>(x, y, n); }

}  // namespace descent::kernels
#pragma GCC pop_options
#endif

namespace descent::kernels {

void vexp_reference(const float* x, float* y, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
}
void vlog_reference(const float* x, float* y, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) y[i] = std::log(x[i]);
}
void vlog1p_reference(const float* x, float* y, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) y[i] = std::log1p(x[i]);
}

bool vmath_vectorized() {
#if defined(__x86_64__)
    static const bool avx2 = isa_supported(Isa::Avx2);
    return avx2;
#else
    return false;
#endif
}

void vexp(const float* x, float* y, std::int64_t n) {
#if defined(__x86_64__)
    if (vmath_vectorized()) return vexp_avx2(x, y, n);
#endif
    vexp_reference(x, y, n);
}
void vlog(const float* x, float* y, std::int64_t n) {
#if defined(__x86_64__)
    if (vmath_vectorized()) return vlog_avx2(x, y, n);
#endif
    vlog_reference(x, y, n);
}
void vlog1p(const float* x, float* y, std::int64_t n) {
#if defined(__x86_64__)
    if (vmath_vectorized()) return vlog1p_avx2(x, y, n);
#endif
    vlog1p_reference(x, y, n);
}

}  // namespace descent::kernels
