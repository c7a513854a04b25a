// General matrix multiply, row-major:
//   C[M×N] = alpha · op(A)[M×K] · op(B)[K×N] + beta · C
// op(X) is X or Xᵀ; lda/ldb/ldc are row strides (elements). beta == 0 means C
// is write-only (never read, so it may hold garbage or NaN).
// gemm_reference is the naive oracle; gemm picks the fastest kernel available.
#pragma once
#include <cstdint>

namespace descent::kernels {

template <class T>
void gemm_reference(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha,
                    const T* A, std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc);

template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* A,
          std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc);

}  // namespace descent::kernels
