// GEMM driver templates over a vector-traits type V (one per instruction set):
//   C[M×N] = alpha · op(A) · op(B) + beta · C, row-major, as in gemm.hpp.
// Packed path (BLIS loop order): jc over NC columns → pc over KC depth (pack B panel, shared by the
// threads) → ic over MC rows (pack A block, per thread) → jr over NR → ir over MR: MR×NR register tile.
// Small path: B packed whole, A read in place, no threads; for shapes where packing would dominate.
//
// Include this file only inside an anonymous namespace, after the including file's
// `#pragma GCC target`, with <algorithm>, <cstdlib>, <cstring>, <new> and <omp.h> included
// before that pragma: every instruction set then gets its own internal copy of these templates
// (no two object files export one symbol compiled for different CPUs).
//
// V provides: T (float/double), reg, W (lanes), zero(), load(p) (aligned), loadu(p), bcast(p),
// set1(x), fma(a, b, c) = a·b + c, mul(a, b), storeu(p, r), load_part(p, n), store_part(p, r, n)
// (the first n < W lanes; other addresses are never touched).
// Blocking<V> provides MR, NV (NR = NV·W), KC, MC, NC for the packed path and MR1 (rows of the
// one-vector-wide tile the small path uses when N ≤ W).

// Scratch memory, kept per thread and grown on demand, so a steady state allocates nothing.
struct Scratch {
    void* p = nullptr;
    std::size_t cap = 0;
    Scratch() = default;
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    ~Scratch() { std::free(p); }
    template <class T>
    T* get(std::size_t n) {
        const std::size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
        if (bytes > cap) {
            std::free(p);
            p = nullptr;
            cap = 0;
            p = std::aligned_alloc(64, bytes);
            if (!p) throw std::bad_alloc();
            cap = bytes;
        }
        return static_cast<T*>(p);
    }
};
thread_local Scratch tl_pack_a, tl_pack_b;

template <class T>
using Args = descent::kernels::detail::GemmArgs<T>;

// One register tile: c[m×n] = alpha · Σ_k a(r, k) · b(k, :) + beta · c (c never read when beta == 0).
// b is a packed panel (NR = NV·W values per k, aligned). a(r, k) is a[k·MR + r] when kPackedA,
// else a[r·rs + k·cs] (then m == MR: callers pick the instantiation with exactly m rows).
// With few accumulators the k loop is split over KS independent sets to hide the FMA latency.
template <class V, int MR, int NV, bool kPackedA>
void tile(std::int64_t K, const typename V::T* __restrict a, std::int64_t rs, std::int64_t cs,
          const typename V::T* __restrict b, typename V::T* c, std::int64_t ldc, typename V::T alpha,
          typename V::T beta, int m, int n) {
    using T = typename V::T;
    using R = typename V::reg;
    constexpr int W = V::W, NR = NV * W;
    constexpr int KS = MR * NV >= 8 ? 1 : MR * NV >= 4 ? 2 : 4;
    R acc[KS][MR][NV];
#pragma GCC unroll 4
    for (int s = 0; s < KS; ++s)
#pragma GCC unroll 32
        for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) acc[s][r][v] = V::zero();
    const T* ap[MR];
#pragma GCC unroll 32
    for (int r = 0; r < MR; ++r) ap[r] = a + (kPackedA ? r : r * rs);
    const std::int64_t astep = kPackedA ? MR : cs;

    std::int64_t k = 0;
#pragma GCC unroll 4
    for (; k + KS <= K; k += KS) {
#pragma GCC unroll 4
        for (int s = 0; s < KS; ++s) {
            R bv[NV];
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) bv[v] = V::load(b + (k + s) * NR + v * W);
#pragma GCC unroll 32
            for (int r = 0; r < MR; ++r) {
                const R av = V::bcast(ap[r] + (k + s) * astep);
#pragma GCC unroll 4
                for (int v = 0; v < NV; ++v) acc[s][r][v] = V::fma(av, bv[v], acc[s][r][v]);
            }
        }
    }
    for (; k < K; ++k) {
        R bv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) bv[v] = V::load(b + k * NR + v * W);
#pragma GCC unroll 32
        for (int r = 0; r < MR; ++r) {
            const R av = V::bcast(ap[r] + k * astep);
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) acc[0][r][v] = V::fma(av, bv[v], acc[0][r][v]);
        }
    }
    if constexpr (KS > 1) {
#pragma GCC unroll 4
        for (int s = 1; s < KS; ++s)
#pragma GCC unroll 32
            for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
                for (int v = 0; v < NV; ++v) acc[0][r][v] = V::add(acc[0][r][v], acc[s][r][v]);
    }

    const R va = V::set1(alpha), vb = V::set1(beta);
    const bool scale = alpha != T(1), read_c = beta != T(0);
#pragma GCC unroll 32
    for (int r = 0; r < MR; ++r) {
        if (r >= m) break;
        T* cr = c + r * ldc;
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
            const int cols = n - v * W;
            if (cols <= 0) break;
            R x = scale ? V::mul(acc[0][r][v], va) : acc[0][r][v];
            if (cols >= W) {
                if (read_c) x = V::fma(vb, V::loadu(cr + v * W), x);
                V::storeu(cr + v * W, x);
            } else {
                if (read_c) x = V::fma(vb, V::load_part(cr + v * W, cols), x);
                V::store_part(cr + v * W, x, cols);
            }
        }
    }
}

// Packs rows [0, mc) × depth [0, kc) of A (A(i, k) = A[i·rs + k·cs]) into MR-row panels:
// panel p holds, for each k, the MR values A(p·MR + r, k); rows past mc are zero.
template <class T, int MR>
void pack_a(const T* A, std::int64_t rs, std::int64_t cs, std::int64_t mc, std::int64_t kc, T* __restrict dst) {
    for (std::int64_t i = 0; i < mc; i += MR, dst += MR * kc) {
        const std::int64_t mr = std::min<std::int64_t>(MR, mc - i);
        const T* src = A + i * rs;
        if (mr == MR && rs == 1) {
            for (std::int64_t k = 0; k < kc; ++k)
#pragma GCC unroll 32
                for (int r = 0; r < MR; ++r) dst[k * MR + r] = src[k * cs + r];
        } else if (mr == MR && cs == 1) {
            const T* row[MR];
#pragma GCC unroll 32
            for (int r = 0; r < MR; ++r) row[r] = src + r * rs;
            for (std::int64_t k = 0; k < kc; ++k)
#pragma GCC unroll 32
                for (int r = 0; r < MR; ++r) dst[k * MR + r] = row[r][k];
        } else {
            for (std::int64_t k = 0; k < kc; ++k)
                for (int r = 0; r < MR; ++r) dst[k * MR + r] = r < mr ? src[r * rs + k * cs] : T(0);
        }
    }
}

// Packs depth [0, kc) × columns [0, nr) of B (B(k, j) = B[k·rs + j·cs]) into one NR-column panel:
// for each k, the NR values B(k, j); columns past nr are zero.
template <class T, int NR>
void pack_b_panel(const T* B, std::int64_t rs, std::int64_t cs, std::int64_t nr, std::int64_t kc, T* __restrict dst) {
    if (nr == NR && cs == 1) {
        for (std::int64_t k = 0; k < kc; ++k) std::memcpy(dst + k * NR, B + k * rs, NR * sizeof(T));
    } else if (cs == 1) {
        for (std::int64_t k = 0; k < kc; ++k)
            for (int j = 0; j < NR; ++j) dst[k * NR + j] = j < nr ? B[k * rs + j] : T(0);
    } else {
        for (std::int64_t j = 0; j < NR; ++j) {
            if (j < nr) {
                const T* col = B + j * cs;
                for (std::int64_t k = 0; k < kc; ++k) dst[k * NR + j] = col[k * rs];
            } else {
                for (std::int64_t k = 0; k < kc; ++k) dst[k * NR + j] = T(0);
            }
        }
    }
}

// Splits `nt` threads into a tm × tn grid over (M panels, N panels) with the least work per thread;
// ties go to splitting M, whose threads share one packed B.
inline void thread_grid(int nt, std::int64_t m_panels, std::int64_t n_panels, int& tm, int& tn) {
    tm = nt, tn = 1;
    std::int64_t best = -1;
    for (int d = nt; d >= 1; --d) {
        if (nt % d) continue;
        const std::int64_t work = ((m_panels + d - 1) / d) * ((n_panels + nt / d - 1) / (nt / d));
        if (best < 0 || work < best) best = work, tm = d, tn = nt / d;
    }
}

template <class V>
void gemm_packed(const Args<typename V::T>& g, int nt) {
    using T = typename V::T;
    using Bk = Blocking<V>;
    constexpr int MR = Bk::MR, NV = Bk::NV, NR = NV * V::W;
    constexpr std::int64_t KC = Bk::KC, MC = Bk::MC, NC = Bk::NC;
    static_assert(MC % MR == 0 && NC % NR == 0);
    const std::int64_t M = g.M, N = g.N, K = g.K;
    const std::int64_t a_rs = g.trans_a ? 1 : g.lda, a_cs = g.trans_a ? g.lda : 1;
    const std::int64_t b_rs = g.trans_b ? 1 : g.ldb, b_cs = g.trans_b ? g.ldb : 1;
    const std::int64_t kc_max = std::min(KC, K);
    const std::int64_t nc_max = std::min(NC, (N + NR - 1) / NR * NR);
    T* const bbuf = tl_pack_b.get<T>(static_cast<std::size_t>(kc_max * nc_max));
    const std::int64_t m_panels = (M + MR - 1) / MR;

    auto body = [&](int tid, int nthreads) {
        int tm, tn;
        thread_grid(nthreads, m_panels, (std::min(N, NC) + NR - 1) / NR, tm, tn);
        const int ti = tid / tn, tj = tid % tn;
        const std::int64_t m0 = ti * m_panels / tm * MR;
        const std::int64_t m1 = std::min(M, (ti + 1) * m_panels / tm * MR);
        const std::int64_t mc_max = std::min(MC, std::max<std::int64_t>(m1 - m0, 0) + MR - 1) / MR * MR;
        T* const abuf = m1 > m0 ? tl_pack_a.get<T>(static_cast<std::size_t>(mc_max * kc_max)) : nullptr;
        for (std::int64_t jc = 0; jc < N; jc += NC) {
            const std::int64_t nc = std::min(NC, N - jc);
            const std::int64_t np = (nc + NR - 1) / NR;
            for (std::int64_t pc = 0; pc < K; pc += KC) {
                const std::int64_t kc = std::min(KC, K - pc);
                for (std::int64_t q = tid * np / nthreads; q < (tid + 1) * np / nthreads; ++q)
                    pack_b_panel<T, NR>(g.B + pc * b_rs + (jc + q * NR) * b_cs, b_rs, b_cs,
                                        std::min<std::int64_t>(NR, nc - q * NR), kc, bbuf + q * NR * kc);
#pragma omp barrier
                const T beta = pc == 0 ? g.beta : T(1);
                const std::int64_t q0 = tj * np / tn, q1 = (tj + 1) * np / tn;
                for (std::int64_t ic = m0; ic < m1; ic += mc_max) {
                    const std::int64_t mc = std::min(mc_max, m1 - ic);
                    pack_a<T, MR>(g.A + ic * a_rs + pc * a_cs, a_rs, a_cs, mc, kc, abuf);
                    for (std::int64_t q = q0; q < q1; ++q) {
                        const int nr = static_cast<int>(std::min<std::int64_t>(NR, nc - q * NR));
                        const T* bp = bbuf + q * NR * kc;
                        T* cq = g.C + ic * g.ldc + jc + q * NR;
                        for (std::int64_t ip = 0; ip < mc; ip += MR)
                            tile<V, MR, NV, true>(kc, abuf + ip * kc, 0, 0, bp, cq + ip * g.ldc, g.ldc, g.alpha, beta,
                                                  static_cast<int>(std::min<std::int64_t>(MR, mc - ip)), nr);
                    }
                }
#pragma omp barrier
            }
        }
    };
    if (nt <= 1) {
        body(0, 1);
    } else {
#pragma omp parallel num_threads(nt)
        body(omp_get_thread_num(), omp_get_num_threads());
    }
}

// Unpacked-A tiles need the row count at compile time: picks tile<V, m, NV, false> for m in [1, MR].
template <class V, int NV, int MR>
void tile_rows(int m, std::int64_t K, const typename V::T* a, std::int64_t rs, std::int64_t cs,
               const typename V::T* b, typename V::T* c, std::int64_t ldc, typename V::T alpha, typename V::T beta,
               int n) {
    if constexpr (MR >= 1) {
        if (m == MR) return tile<V, MR, NV, false>(K, a, rs, cs, b, c, ldc, alpha, beta, MR, n);
        tile_rows<V, NV, MR - 1>(m, K, a, rs, cs, b, c, ldc, alpha, beta, n);
    }
}

template <class V, int NV, int MR>
void gemm_small_nv(const Args<typename V::T>& g, int nt) {
    using T = typename V::T;
    constexpr int NR = NV * V::W;
    const std::int64_t M = g.M, N = g.N, K = g.K;
    const std::int64_t a_rs = g.trans_a ? 1 : g.lda, a_cs = g.trans_a ? g.lda : 1;
    const std::int64_t b_rs = g.trans_b ? 1 : g.ldb, b_cs = g.trans_b ? g.ldb : 1;
    const std::int64_t np = (N + NR - 1) / NR;
    T* const bbuf = tl_pack_b.get<T>(static_cast<std::size_t>(np * NR * K));
    for (std::int64_t q = 0; q < np; ++q)
        pack_b_panel<T, NR>(g.B + q * NR * b_cs, b_rs, b_cs, std::min<std::int64_t>(NR, N - q * NR), K,
                            bbuf + q * NR * K);
    const std::int64_t m_blocks = (M + MR - 1) / MR;
    auto rows = [&](std::int64_t blk) {
        const std::int64_t i = blk * MR;
        const int m = static_cast<int>(std::min<std::int64_t>(MR, M - i));
        for (std::int64_t q = 0; q < np; ++q)
            tile_rows<V, NV, MR>(m, K, g.A + i * a_rs, a_rs, a_cs, bbuf + q * NR * K, g.C + i * g.ldc + q * NR, g.ldc,
                                 g.alpha, g.beta, static_cast<int>(std::min<std::int64_t>(NR, N - q * NR)));
    };
    if (nt <= 1) {
        for (std::int64_t blk = 0; blk < m_blocks; ++blk) rows(blk);
    } else {
#pragma omp parallel for num_threads(nt) schedule(static)
        for (std::int64_t blk = 0; blk < m_blocks; ++blk) rows(blk);
    }
}

template <class V>
void gemm_small(const Args<typename V::T>& g, int nt) {
    using Bk = Blocking<V>;
    if (g.N <= V::W)
        gemm_small_nv<V, 1, Bk::MR1>(g, nt);
    else
        gemm_small_nv<V, Bk::NV, Bk::MR>(g, nt);
}

// Work below which a product stays on one thread: an OpenMP fork/join costs a few µs,
// about what one core needs for this many flops.
constexpr double kFlopsPerThread = 2.0 * 96 * 96 * 96;

template <class V>
void gemm_run(const Args<typename V::T>& g, descent::kernels::GemmPath path) {
    using T = typename V::T;
    using Bk = Blocking<V>;
    if (g.M <= 0 || g.N <= 0) return;
    if (g.K <= 0) {
        for (std::int64_t i = 0; i < g.M; ++i) {
            T* c = g.C + i * g.ldc;
            for (std::int64_t j = 0; j < g.N; ++j) c[j] = g.beta == T(0) ? T(0) : g.beta * c[j];
        }
        return;
    }
    const double flops = 2.0 * static_cast<double>(g.M) * static_cast<double>(g.N) * static_cast<double>(g.K);
    int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
    nt = static_cast<int>(std::max(1.0, std::min<double>(nt, flops / kFlopsPerThread)));
    constexpr int NR = Bk::NV * V::W;
    // Packing pays off when each packed value is reused often: A across N / NR panels,
    // B across M / MR tiles. Narrow products (one panel) or shallow ones read A in place.
    bool small = g.N <= NR || g.K <= 4 || static_cast<double>(g.M) * g.N * g.K <= 32.0 * 32 * 32;
    if (path == descent::kernels::GemmPath::Small) small = true;
    if (path == descent::kernels::GemmPath::Packed) small = false;
    if (small)
        gemm_small<V>(g, std::min<std::int64_t>(nt, (g.M + Bk::MR - 1) / Bk::MR));
    else
        gemm_packed<V>(g, nt);
}
