// General matrix multiply, row-major:
//   C[M×N] = alpha · op(A)[M×K] · op(B)[K×N] + beta · C
// op(X) is X or Xᵀ; lda/ldb/ldc are row strides (elements). beta == 0 means C
// is write-only (never read, so it may hold garbage or NaN).
// gemm_reference is the naive oracle; gemm picks the fastest kernel available.
#pragma once
#include <cstdint>

#include "cpu.hpp"

namespace descent::kernels {

template <class T>
void gemm_reference(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha,
                    const T* A, std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc);

/// Packed, cache-blocked GEMM on the widest instruction set this CPU runs
/// (AVX-512, AVX2 + FMA, or portable C++); small products take an unpacked path
/// and stay on one thread, large ones use the OpenMP threads (omp_get_max_threads).
template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* A,
          std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc);

/// Which path gemm_with takes: Auto chooses by shape as gemm does; the others force one (tests, benchmarks).
enum class GemmPath { Auto, Small, Packed };

/// gemm on a given instruction set and path; `isa` must be supported by this CPU (isa_supported).
template <class T>
void gemm_with(Isa isa, GemmPath path, bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
               T alpha, const T* A, std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C,
               std::int64_t ldc);

}  // namespace descent::kernels
