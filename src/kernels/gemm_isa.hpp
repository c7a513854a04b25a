// Private glue between the GEMM dispatcher (gemm.cpp) and the per-instruction-set
// translation units (gemm_portable.cpp, gemm_avx2.cpp, gemm_avx512.cpp).
#pragma once
#include <cstdint>

#include "gemm.hpp"

namespace descent::kernels::detail {

template <class T>
struct GemmArgs {
    bool trans_a, trans_b;
    std::int64_t M, N, K;
    T alpha;
    const T* A;
    std::int64_t lda;
    const T* B;
    std::int64_t ldb;
    T beta;
    T* C;
    std::int64_t ldc;
};

void gemm_portable(const GemmArgs<float>& g, GemmPath path);
void gemm_portable(const GemmArgs<double>& g, GemmPath path);
#if defined(__x86_64__)
void gemm_avx2(const GemmArgs<float>& g, GemmPath path);
void gemm_avx2(const GemmArgs<double>& g, GemmPath path);
void gemm_avx512(const GemmArgs<float>& g, GemmPath path);
void gemm_avx512(const GemmArgs<double>& g, GemmPath path);
#endif

}  // namespace descent::kernels::detail
