// GEMM entry points. The reference is a plain triple loop in i-k-j order (the inner
// loop streams rows of B and C), used as the test oracle; gemm dispatches to the
// packed kernels of the widest instruction set the CPU runs (gemm_impl.hpp).
#include "gemm.hpp"

#include "descent/core/error.hpp"
#include "gemm_isa.hpp"

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
void gemm_with(Isa isa, GemmPath path, bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
               T alpha, const T* A, std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C,
               std::int64_t ldc) {
    const detail::GemmArgs<T> g{trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc};
    switch (isa) {
#if defined(__x86_64__)
        case Isa::Avx512:
            DESCENT_CHECK(isa_supported(Isa::Avx512), "gemm: this CPU does not support AVX-512F");
            return detail::gemm_avx512(g, path);
        case Isa::Avx2:
            DESCENT_CHECK(isa_supported(Isa::Avx2), "gemm: this CPU does not support AVX2 + FMA");
            return detail::gemm_avx2(g, path);
#endif
        default: return detail::gemm_portable(g, path);
    }
}

template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* A,
          std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc) {
    gemm_with<T>(best_isa(), GemmPath::Auto, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

#define DESCENT_GEMM_INSTANTIATE(T)                                                                                \
    template void gemm_reference<T>(bool, bool, std::int64_t, std::int64_t, std::int64_t, T, const T*,            \
                                    std::int64_t, const T*, std::int64_t, T, T*, std::int64_t);                    \
    template void gemm<T>(bool, bool, std::int64_t, std::int64_t, std::int64_t, T, const T*, std::int64_t,         \
                          const T*, std::int64_t, T, T*, std::int64_t);                                            \
    template void gemm_with<T>(Isa, GemmPath, bool, bool, std::int64_t, std::int64_t, std::int64_t, T, const T*,   \
                               std::int64_t, const T*, std::int64_t, T, T*, std::int64_t);
DESCENT_GEMM_INSTANTIATE(float)
DESCENT_GEMM_INSTANTIATE(double)
#undef DESCENT_GEMM_INSTANTIATE

}  // namespace descent::kernels
