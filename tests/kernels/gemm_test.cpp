// The optimized GEMM (every instruction set this CPU runs, both paths, 1 and 2 threads)
// against gemm_reference on random shapes: odd sizes, tails of the register tile and of
// the cache blocks, K = 0 and 1, transposes, alpha/beta, padded leading dimensions.
#include <gtest/gtest.h>
#include <omp.h>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/gemm.hpp"

namespace dk = descent::kernels;

namespace {

struct Shape3 {
    std::int64_t M, N, K;
};

// Shapes around the tiles (6×16, 6×8, 12×32, 4×8), the blocks (KC 192/256, MC 72–240) and the
// N block (NC ≈ 4080), plus the book model's products ([1000,2]·[2,4] and its backward).
// With pad > 0 every leading dimension exceeds its row length.
const std::vector<Shape3> kShapes = {
    {1, 1, 1},     {1, 1, 7},     {3, 5, 1},      {6, 16, 8},    {7, 17, 9},     {13, 33, 5},   {5, 3, 300},
    {64, 64, 64},  {65, 47, 259}, {150, 70, 33},  {31, 129, 2},  {250, 37, 400}, {1000, 4, 2},  {1000, 1, 4},
    {4, 2, 1000},  {1, 4, 1000},  {12, 40, 17},   {25, 96, 193}, {3, 4100, 5},   {100, 1, 100}, {2, 300, 3},
    // The narrow path (N ≤ one vector, K ≤ 8) at and past its limits; in-place B with a partial panel.
    {9, 8, 8},     {9, 8, 9},     {33, 4, 8},     {17, 2, 3},    {7, 17, 1},     {2, 40, 2},    {5, 7, 64},
};

template <class T>
std::vector<T> random_vec(std::size_t n, std::mt19937& gen) {
    std::uniform_real_distribution<T> d(T(-1), T(1));
    std::vector<T> v(n);
    for (auto& x : v) x = d(gen);
    return v;
}

std::vector<dk::Isa> supported_isas() {
    std::vector<dk::Isa> out;
    for (dk::Isa isa : {dk::Isa::Portable, dk::Isa::Avx2, dk::Isa::Avx512})
        if (dk::isa_supported(isa)) out.push_back(isa);
    return out;
}

// Runs one product through gemm_with and the reference and compares every element of C,
// including the padding columns between N and ldc, which must stay untouched.
// c_pad: C's padding when it differs from A's and B's (-1: the same).
template <class T>
void check_one(dk::Isa isa, dk::GemmPath path, bool ta, bool tb, Shape3 s, T alpha, T beta, std::int64_t pad,
               std::mt19937& gen, std::int64_t c_pad = -1) {
    const auto [M, N, K] = s;
    const std::int64_t a_rows = ta ? K : M, a_cols = ta ? M : K;
    const std::int64_t b_rows = tb ? N : K, b_cols = tb ? K : N;
    const std::int64_t lda = a_cols + pad, ldb = b_cols + pad, ldc = N + (c_pad < 0 ? pad : c_pad);
    // A and B end at their last element (no padding after the last row), so that under
    // AddressSanitizer any read past the matrix is caught.
    auto extent = [](std::int64_t rows, std::int64_t cols, std::int64_t ld) {
        return static_cast<std::size_t>(std::max<std::int64_t>(rows > 0 && cols > 0 ? (rows - 1) * ld + cols : 0, 1));
    };
    const auto A = random_vec<T>(extent(a_rows, a_cols, lda), gen);
    const auto B = random_vec<T>(extent(b_rows, b_cols, ldb), gen);
    auto C0 = random_vec<T>(static_cast<std::size_t>(std::max<std::int64_t>(M * ldc, 1)), gen);
    if (beta == T(0))  // beta == 0 must never read C: NaN would leak into the result
        for (std::int64_t i = 0; i < M; ++i)
            for (std::int64_t j = 0; j < N; ++j) C0[i * ldc + j] = std::numeric_limits<T>::quiet_NaN();
    auto C = C0, R = C0;
    dk::gemm_with<T>(isa, path, ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
    dk::gemm_reference<T>(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, R.data(), ldc);

    // Both results are sums of K + 1 rounded products; each lies within γ = (K + 2)·eps of the exact
    // value relative to Σ|alpha·a·b| + |beta·c| (the standard dot-product error bound), so they
    // differ by at most twice that.
    const T eps = std::numeric_limits<T>::epsilon();
    const std::string where = std::string(dk::isa_name(isa)) + " path " + std::to_string(int(path)) +
                              " ta=" + std::to_string(ta) + " tb=" + std::to_string(tb) + " M=" + std::to_string(M) +
                              " N=" + std::to_string(N) + " K=" + std::to_string(K) + " pad=" + std::to_string(pad) +
                              " alpha=" + std::to_string(alpha) + " beta=" + std::to_string(beta);
    int failures = 0;
    for (std::int64_t i = 0; i < M && failures < 5; ++i) {
        for (std::int64_t j = 0; j < ldc && failures < 5; ++j) {
            const T got = C[i * ldc + j], want = R[i * ldc + j];
            if (j >= N) {  // padding: bit-identical to what was there before
                if (!(got == C0[i * ldc + j])) ++failures, ADD_FAILURE() << where << ": padding changed at " << i << "," << j;
                continue;
            }
            T mag = beta == T(0) ? T(0) : std::abs(beta * C0[i * ldc + j]);
            for (std::int64_t k = 0; k < K; ++k) {
                const T a = ta ? A[k * lda + i] : A[i * lda + k];
                const T b = tb ? B[j * ldb + k] : B[k * ldb + j];
                mag += std::abs(alpha * a * b);
            }
            const T tol = 2 * T(K + 2) * eps * mag + std::numeric_limits<T>::min();
            if (!(std::abs(got - want) <= tol))
                ++failures, ADD_FAILURE() << where << ": C(" << i << "," << j << ") = " << got << ", reference " << want
                                          << ", tolerance " << tol;
        }
    }
}

template <class T>
void check_all(int threads) {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    std::mt19937 gen(1234);
    for (dk::Isa isa : supported_isas())
        for (dk::GemmPath path : {dk::GemmPath::Auto, dk::GemmPath::Small, dk::GemmPath::Packed})
            for (const Shape3& s : kShapes)
                for (int t = 0; t < 4; ++t) {
                    const bool ta = t & 1, tb = t & 2;
                    check_one<T>(isa, path, ta, tb, s, T(1), T(0), 0, gen);
                    check_one<T>(isa, path, ta, tb, s, T(-1.5), T(1), 3, gen);
                    check_one<T>(isa, path, ta, tb, s, T(0.75), T(-0.5), 1, gen);
                }
    omp_set_num_threads(saved);
}

TEST(Gemm, InstructionSets) {
    // Reported so a log shows which kernels this machine could check; AVX-512 needs a CPU with it.
    for (dk::Isa isa : {dk::Isa::Portable, dk::Isa::Avx2, dk::Isa::Avx512})
        std::printf("[          ] %s: %s\n", dk::isa_name(isa), dk::isa_supported(isa) ? "tested" : "not supported here, skipped");
    EXPECT_TRUE(dk::isa_supported(dk::best_isa()));
}

TEST(Gemm, FloatMatchesReference) { check_all<float>(1); }
TEST(Gemm, DoubleMatchesReference) { check_all<double>(1); }

// One contiguous column of C from short rows of A (N = 1, K ≤ 8: W1's [1000, 4]·[4, 1]), which
// takes eight rows at a time: blocks of eight and the rows after them, A's last rows (where a full
// eight-value load would leave A), padded rows of A, alpha/beta, 1 and 2 threads.
TEST(Gemm, OneColumnFromShortRowsMatchesReference) {
    std::mt19937 gen(5);
    const int saved = omp_get_max_threads();
    for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        for (dk::Isa isa : supported_isas())
            for (std::int64_t M : {1, 7, 8, 9, 13, 64, 1000, 20001, 300007})
                for (std::int64_t K = 1; K <= 8; ++K)
                    for (int t = 0; t < 4; ++t) {
                        const bool ta = (t & 1) && K == 1, tb = t & 2;
                        check_one<float>(isa, dk::GemmPath::Auto, ta, tb, {M, 1, K}, 1.f, 0.f, 0, gen, 0);
                        check_one<float>(isa, dk::GemmPath::Auto, ta, tb, {M, 1, K}, -1.5f, 0.5f, 3, gen, 0);
                    }
    }
    omp_set_num_threads(saved);
}

TEST(Gemm, TwoThreadsMatchReference) {
    // Big enough to pass the per-thread grain; one shape splits M, one (a single row panel) splits N.
    std::mt19937 gen(99);
    const int saved = omp_get_max_threads();
    omp_set_num_threads(2);
    for (dk::Isa isa : supported_isas())
        for (Shape3 s : {Shape3{200, 300, 260}, Shape3{6, 2000, 300}, Shape3{301, 45, 517}})
            for (int t = 0; t < 4; ++t) {
                check_one<float>(isa, dk::GemmPath::Packed, t & 1, t & 2, s, 1.f, 0.f, 0, gen);
                check_one<double>(isa, dk::GemmPath::Auto, t & 1, t & 2, s, 2.0, 0.5, 2, gen);
            }
    omp_set_num_threads(saved);
}

// Called from inside someone else's parallel region, a GEMM runs on one thread and must not
// synchronize with the caller's team: here the two threads make different numbers of packed
// products with several depth blocks each. A barrier bound to the caller's team would leave them
// waiting for each other forever, so the region runs in a child process with an alarm.
[[noreturn]] void gemms_in_a_callers_region(dk::Isa isa) {
    alarm(60);
    bool all_close = true;
#pragma omp parallel num_threads(2) reduction(&& : all_close)
    {
        std::mt19937 gen(7 + omp_get_thread_num());
        const std::int64_t M = 50, N = 40, K = 700;  // K spans several depth blocks on every ISA
        const auto A = random_vec<float>(M * K, gen), B = random_vec<float>(K * N, gen);
        for (int rep = 0; rep <= 2 * omp_get_thread_num(); ++rep) {
            std::vector<float> C(M * N), R(M * N);
            dk::gemm_with<float>(isa, dk::GemmPath::Packed, false, false, M, N, K, 1.f, A.data(), K, B.data(), N, 0.f,
                                 C.data(), N);
            dk::gemm_reference<float>(false, false, M, N, K, 1.f, A.data(), K, B.data(), N, 0.f, R.data(), N);
            for (std::int64_t i = 0; i < M * N; ++i)
                all_close = all_close && std::abs(C[i] - R[i]) <= 1e-3f * (1.f + std::abs(R[i]));
        }
    }
    std::exit(all_close ? 0 : 1);
}

TEST(Gemm, InsideACallersParallelRegionEachThreadRunsItsOwn) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    for (dk::Isa isa : supported_isas())
        EXPECT_EXIT(gemms_in_a_callers_region(isa), ::testing::ExitedWithCode(0), "") << dk::isa_name(isa);
}

TEST(Gemm, ZeroSizesTouchNothing) {
    std::vector<float> C(4, 7.f);
    const float A[1] = {1.f}, B[1] = {1.f};
    for (dk::Isa isa : supported_isas()) {
        dk::gemm_with<float>(isa, dk::GemmPath::Auto, false, false, 0, 2, 3, 1.f, A, 3, B, 2, 0.f, C.data(), 2);
        dk::gemm_with<float>(isa, dk::GemmPath::Auto, false, false, 2, 0, 3, 1.f, A, 3, B, 1, 0.f, C.data(), 2);
        for (float c : C) EXPECT_EQ(c, 7.f);
    }
}

TEST(Gemm, KZeroScalesByBeta) {
    for (dk::Isa isa : supported_isas()) {
        std::vector<double> C = {1, 2, std::numeric_limits<double>::quiet_NaN(), 4};
        dk::gemm_with<double>(isa, dk::GemmPath::Auto, false, false, 2, 2, 0, 1.0, nullptr, 1, nullptr, 2, 0.0, C.data(), 2);
        for (double c : C) EXPECT_EQ(c, 0.0);  // beta = 0 writes zeros, even over NaN
        C = {1, 2, 3, 4};
        dk::gemm_with<double>(isa, dk::GemmPath::Auto, false, false, 2, 2, 0, 1.0, nullptr, 1, nullptr, 2, 3.0, C.data(), 2);
        EXPECT_EQ(C, (std::vector<double>{3, 6, 9, 12}));
    }
}

}  // namespace
