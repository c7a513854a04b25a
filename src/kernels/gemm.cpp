// GEMM kernels. The reference is a plain triple loop in i-k-j order (the inner
// loop streams rows of B and C), used as the test oracle and the fallback.
#include "gemm.hpp"

#include <vector>

namespace descent::kernels {

template <class T>
void gemm_reference(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha,
                    const T* A, std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc) {
    for (std::int64_t i = 0; i < M; ++i) {
        T* c = C + i * ldc;
        if (beta == T(0))
            for (std::int64_t j = 0; j < N; ++j) c[j] = T(0);
        else if (beta != T(1))
            for (std::int64_t j = 0; j < N; ++j) c[j] *= beta;
        for (std::int64_t k = 0; k < K; ++k) {
            const T a = alpha * (trans_a ? A[k * lda + i] : A[i * lda + k]);
            if (trans_b)
                for (std::int64_t j = 0; j < N; ++j) c[j] += a * B[j * ldb + k];
            else {
                const T* b = B + k * ldb;
                for (std::int64_t j = 0; j < N; ++j) c[j] += a * b[j];
            }
        }
    }
}

template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* A,
          std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc) {
    gemm_reference(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template void gemm_reference<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float, const float*,
                                    std::int64_t, const float*, std::int64_t, float, float*, std::int64_t);
template void gemm_reference<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double, const double*,
                                     std::int64_t, const double*, std::int64_t, double, double*, std::int64_t);
template void gemm<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float, const float*, std::int64_t,
                          const float*, std::int64_t, float, float*, std::int64_t);
template void gemm<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double, const double*, std::int64_t,
                           const double*, std::int64_t, double, double*, std::int64_t);

}  // namespace descent::kernels
