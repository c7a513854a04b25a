// GEMM driver templates over a vector-traits type V (one per instruction set):
//   C[M×N] = alpha · op(A) · op(B) + beta · C, row-major, as in gemm.hpp.
// Packed path (BLIS loop order): jc over NC columns → pc over KC depth (pack B panel, shared by the
// threads) → ic over MC rows (pack A block, per thread; a row-major A feeding few columns of C is
// read in place instead) → jr over NR → ir over MR: MR×NR register tile.
// Small path: B packed whole, A read in place, no threads; for shapes where packing would dominate.
//
// Include this file only inside an anonymous namespace, after the including file's
// `#pragma GCC target`, with <algorithm>, <cmath>, <cstdlib>, <cstring>, <new>, <type_traits> and <omp.h> included
// before that pragma: every instruction set then gets its own internal copy of these templates
// (no two object files export one symbol compiled for different CPUs).
//
// V provides: T (float/double), reg, W (lanes), zero(), loadu(p), bcast(p),
// set1(x), fma(a, b, c) = a·b + c, mul(a, b), storeu(p, r), load_part(p, n), store_part(p, r, n)
// (the first n < W lanes; other addresses are never touched).
// Blocking<V> provides MR, NV (NR = NV·W), KC, MC, NC for the packed path and MR1 (rows of the
// one-vector-wide tile the small path uses when N ≤ W), and optionally Narrow: a narrower
// vector type for the narrow path.

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
// b(k, :) is the NR = NV·W values at b + k·bs (a packed panel has bs = NR; a row-major B read in
// place has bs = ldb). a(r, k) is a[k·MR + r] when kPackedA, else a[r·rs + k·cs] (then m == MR:
// callers pick the instantiation with exactly m rows). The C rows are prefetched first: their
// cache lines (one ldc apart) are the tile's only accesses not streamed.
// With few accumulators the k loop is split over KS independent sets to hide the FMA latency.
template <class V, int MR, int NV, bool kPackedA>
void tile(std::int64_t K, const typename V::T* __restrict a, std::int64_t rs, std::int64_t cs,
          const typename V::T* __restrict b, std::int64_t bs, typename V::T* c, std::int64_t ldc,
          typename V::T alpha, typename V::T beta, int m, int n) {
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
    {
#pragma GCC unroll 32
        for (int r = 0; r < MR; ++r) {
            if (r >= m) break;
            __builtin_prefetch(c + r * ldc, 1, 3);
            __builtin_prefetch(c + r * ldc + NR - 1, 1, 3);
        }
    }

    std::int64_t k = 0;
#pragma GCC unroll 4
    for (; k + KS <= K; k += KS) {
#pragma GCC unroll 4
        for (int s = 0; s < KS; ++s) {
            R bv[NV];
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) bv[v] = V::loadu(b + (k + s) * bs + v * W);
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
        for (int v = 0; v < NV; ++v) bv[v] = V::loadu(b + k * bs + v * W);
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

// V::transpose8(reg (&)[8]), where a vector type has it (8 lanes): the packing routines then turn
// rows into columns eight at a time instead of one scalar at a time.
template <class V>
concept HasTranspose8 = V::W == 8 && requires(typename V::reg (&r)[8]) { V::transpose8(r); };

// Packs rows [0, mc) × depth [0, kc) of A (A(i, k) = A[i·rs + k·cs]) into MR-row panels:
// panel p holds, for each k, the MR values A(p·MR + r, k); rows past mc are zero.
template <class V, int MR>
void pack_a(const typename V::T* A, std::int64_t rs, std::int64_t cs, std::int64_t mc, std::int64_t kc,
            typename V::T* __restrict dst) {
    using T = typename V::T;
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
            std::int64_t k = 0;
            if constexpr (HasTranspose8<V> && MR <= 8) {
                // Eight k at a time: MR rows (and zero rows up to 8) transposed into eight columns
                // of MR values. Each full store spills 8 − MR lanes into the next column's slots,
                // which the next store overwrites; the eighth column is stored exactly.
                for (; k + 8 <= kc; k += 8) {
                    typename V::reg t[8];
#pragma GCC unroll 8
                    for (int r = 0; r < 8; ++r) t[r] = r < MR ? V::loadu(row[r] + k) : V::zero();
                    V::transpose8(t);
#pragma GCC unroll 8
                    for (int j = 0; j < 7; ++j) V::storeu(dst + (k + j) * MR, t[j]);
                    V::store_part(dst + (k + 7) * MR, t[7], MR);
                }
            }
            for (; k < kc; ++k)
#pragma GCC unroll 32
                for (int r = 0; r < MR; ++r) dst[k * MR + r] = row[r][k];
        } else {
            for (std::int64_t k = 0; k < kc; ++k)
                for (int r = 0; r < MR; ++r) dst[k * MR + r] = r < mr ? src[r * rs + k * cs] : T(0);
        }
    }
}

// Packs depth [0, kc) × columns [0, nr) of B (B(k, j) = B[k·rs + j·cs]) into one NR-column panel
// (NR = NV·W): for each k, the NR values B(k, j); columns past nr are zero.
template <class V, int NV>
void pack_b_panel(const typename V::T* B, std::int64_t rs, std::int64_t cs, std::int64_t nr, std::int64_t kc,
                  typename V::T* __restrict dst) {
    using T = typename V::T;
    constexpr int W = V::W, NR = NV * W;
    if (cs == 1) {
        for (std::int64_t k = 0; k < kc; ++k) {
            const T* src = B + k * rs;
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) {
                const std::int64_t cols = nr - v * W;
                V::storeu(dst + k * NR + v * W, cols >= W  ? V::loadu(src + v * W)
                                                : cols > 0 ? V::load_part(src + v * W, static_cast<int>(cols))
                                                           : V::zero());
            }
        }
    } else {
        std::int64_t k0 = 0;
        if constexpr (HasTranspose8<V>) {
            if (rs == 1) {
                // A transposed B (B(k, j) = B[k + j·cs]): eight columns × eight k transposed at once.
                for (; k0 + 8 <= kc; k0 += 8)
#pragma GCC unroll 4
                    for (int v = 0; v < NV; ++v) {
                        typename V::reg t[8];
#pragma GCC unroll 8
                        for (int j = 0; j < 8; ++j)
                            t[j] = v * W + j < nr ? V::loadu(B + (v * W + j) * cs + k0) : V::zero();
                        V::transpose8(t);
#pragma GCC unroll 8
                        for (int k = 0; k < 8; ++k) V::storeu(dst + (k0 + k) * NR + v * W, t[k]);
                    }
            }
        }
        for (std::int64_t j = 0; j < NR; ++j) {
            if (j < nr) {
                const T* col = B + j * cs;
                for (std::int64_t k = k0; k < kc; ++k) dst[k * NR + j] = col[k * rs];
            } else {
                for (std::int64_t k = k0; k < kc; ++k) dst[k * NR + j] = T(0);
            }
        }
    }
}

// Packs panels [q0, q1) of depth [0, kc) × columns [0, nc) of B, panel q at dst + q·NR·kc. A row-major
// B is read row by row (one sequential stream, which the hardware prefetcher follows) and each row
// is scattered over the panels; a transposed B is packed panel by panel.
template <class V, int NV>
void pack_b_panels(const typename V::T* B, std::int64_t rs, std::int64_t cs, std::int64_t nc, std::int64_t kc,
                   std::int64_t q0, std::int64_t q1, typename V::T* __restrict dst) {
    using T = typename V::T;
    constexpr int W = V::W, NR = NV * W;
    const std::int64_t full_end = std::min(q1, nc / NR);  // panels [q0, full_end) have NR columns
    if (cs == 1 && full_end > q0) {
        for (std::int64_t k = 0; k < kc; ++k) {
            const T* src = B + k * rs;
            for (std::int64_t q = q0; q < full_end; ++q)
#pragma GCC unroll 4
                for (int v = 0; v < NV; ++v) V::storeu(dst + q * NR * kc + k * NR + v * W, V::loadu(src + q * NR + v * W));
        }
        q0 = full_end;
    }
    for (std::int64_t q = q0; q < q1; ++q)
        pack_b_panel<V, NV>(B + q * NR * cs, rs, cs, std::min<std::int64_t>(NR, nc - q * NR), kc, dst + q * NR * kc);
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

// Unpacked-A tiles need the row count at compile time: picks tile<V, m, NV, false> for m in [1, MR].
template <class V, int NV, int MR>
void tile_rows(int m, std::int64_t K, const typename V::T* a, std::int64_t rs, std::int64_t cs,
               const typename V::T* b, std::int64_t bs, typename V::T* c, std::int64_t ldc, typename V::T alpha,
               typename V::T beta, int n) {
    if constexpr (MR >= 1) {
        if (m == MR) return tile<V, MR, NV, false>(K, a, rs, cs, b, bs, c, ldc, alpha, beta, MR, n);
        tile_rows<V, NV, MR - 1>(m, K, a, rs, cs, b, bs, c, ldc, alpha, beta, n);
    }
}

// Products with at most this many columns read a row-major A in place in the packed path: A is
// reused by only N / NR panels, too few to repay packing it (interleaved A/B runs, 1 thread: +5 to
// +18 % on W2/W3's 128×256×784, 128×128×3136, 64×196×288 and 64×288×196; −3 to −7 % at 1024³).
constexpr std::int64_t kAInPlaceMaxN = 256;

// A barrier for the team this GEMM started, and nothing on one thread: there an `omp barrier` would
// bind to the caller's team when the caller is inside a parallel region, and its threads, each in
// its own GEMM (or none), would wait at barriers the others never reach.
inline void team_barrier(int nthreads) {
    if (nthreads > 1) {
#pragma omp barrier
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
    // Depth blocks of equal size: K = 288 as two blocks of 144 rather than 256 + 32, whose thin
    // second pass would read and write all of C for little work.
    const std::int64_t kc_max = (K + (K + KC - 1) / KC - 1) / ((K + KC - 1) / KC);
    const std::int64_t nc_max = std::min(NC, (N + NR - 1) / NR * NR);
    // On one thread with all of M in one block, each B panel serves one pass of tiles: it is packed
    // right before them into a buffer that stays in L1, not with all the others first (which, for
    // a wide B, writes the packed copy out to L3 and reads it back).
    const bool b_on_demand = nt <= 1 && M <= MC;
    T* const bbuf = tl_pack_b.get<T>(static_cast<std::size_t>(kc_max * (b_on_demand ? NR : nc_max)));
    const std::int64_t m_panels = (M + MR - 1) / MR;
    // Rows 4 KiB apart would all map to one L1 set: such an A is packed whatever N is.
    const bool a_in_place = a_cs == 1 && N <= kAInPlaceMaxN && (g.lda * sizeof(T)) % 4096 != 0;

    auto body = [&](int tid, int nthreads) {
        int tm, tn;
        thread_grid(nthreads, m_panels, (std::min(N, NC) + NR - 1) / NR, tm, tn);
        const int ti = tid / tn, tj = tid % tn;
        const std::int64_t m0 = ti * m_panels / tm * MR;
        const std::int64_t m1 = std::min(M, (ti + 1) * m_panels / tm * MR);
        const std::int64_t mc_max = std::min(MC, std::max<std::int64_t>(m1 - m0, 0) + MR - 1) / MR * MR;
        T* const abuf = m1 > m0 && !a_in_place ? tl_pack_a.get<T>(static_cast<std::size_t>(mc_max * kc_max)) : nullptr;
        for (std::int64_t jc = 0; jc < N; jc += NC) {
            const std::int64_t nc = std::min(NC, N - jc);
            const std::int64_t np = (nc + NR - 1) / NR;
            for (std::int64_t pc = 0; pc < K; pc += kc_max) {
                const std::int64_t kc = std::min(kc_max, K - pc);
                if (!b_on_demand)
                    pack_b_panels<V, NV>(g.B + pc * b_rs + jc * b_cs, b_rs, b_cs, nc, kc, tid * np / nthreads,
                                         (tid + 1) * np / nthreads, bbuf);
                team_barrier(nthreads);
                const T beta = pc == 0 ? g.beta : T(1);
                const std::int64_t q0 = tj * np / tn, q1 = (tj + 1) * np / tn;
                for (std::int64_t ic = m0; ic < m1; ic += mc_max) {
                    const std::int64_t mc = std::min(mc_max, m1 - ic);
                    if (!a_in_place) pack_a<V, MR>(g.A + ic * a_rs + pc * a_cs, a_rs, a_cs, mc, kc, abuf);
                    for (std::int64_t q = q0; q < q1; ++q) {
                        const int nr = static_cast<int>(std::min<std::int64_t>(NR, nc - q * NR));
                        if (b_on_demand)
                            pack_b_panel<V, NV>(g.B + pc * b_rs + (jc + q * NR) * b_cs, b_rs, b_cs, nr, kc, bbuf);
                        const T* bp = b_on_demand ? bbuf : bbuf + q * NR * kc;
                        T* cq = g.C + ic * g.ldc + jc + q * NR;
                        for (std::int64_t ip = 0; ip < mc; ip += MR) {
                            const int m = static_cast<int>(std::min<std::int64_t>(MR, mc - ip));
                            if (a_in_place)
                                tile_rows<V, NV, MR>(m, kc, g.A + (ic + ip) * a_rs + pc, a_rs, 1, bp, NR, cq + ip * g.ldc,
                                                     g.ldc, g.alpha, beta, nr);
                            else
                                tile<V, MR, NV, true>(kc, abuf + ip * kc, 0, 0, bp, NR, cq + ip * g.ldc, g.ldc, g.alpha,
                                                      beta, m, nr);
                        }
                    }
                }
                team_barrier(nthreads);
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

// Small path: A is read in place, and so is a row-major B: its rows are loaded NR values at a
// time, and a partial last panel reads past column N into the next row (lanes that are never
// stored). Only the last rows of that panel, where such a load would leave the matrix, are
// packed; they get a second pass over the tile. A transposed B is packed whole.
template <class V, int NV, int MR>
void gemm_small_nv(const Args<typename V::T>& g, int nt) {
    using T = typename V::T;
    constexpr int NR = NV * V::W;
    const std::int64_t M = g.M, N = g.N, K = g.K;
    const std::int64_t a_rs = g.trans_a ? 1 : g.lda, a_cs = g.trans_a ? g.lda : 1;
    const std::int64_t b_rs = g.trans_b ? 1 : g.ldb, b_cs = g.trans_b ? g.ldb : 1;
    const std::int64_t np = (N + NR - 1) / NR;
    const bool direct = b_cs == 1;
    // Rows [0, k_direct) of the last panel are read in place: their loads end inside B.
    const std::int64_t last_end = (np - 1) * NR + NR;  // column just past the last panel's loads
    std::int64_t k_direct = 0;
    if (direct) {
        const std::int64_t room = (K - 1) * b_rs + N - last_end;  // k·ldb must not exceed this
        k_direct = room < 0 ? 0 : std::min(K, room / std::max<std::int64_t>(b_rs, 1) + 1);
    }
    const std::int64_t packed_rows = direct ? K - k_direct : K;
    const std::int64_t packed_panels = direct ? (packed_rows ? 1 : 0) : np;
    T* const bbuf = packed_panels ? tl_pack_b.get<T>(static_cast<std::size_t>(packed_panels * NR * packed_rows))
                                  : nullptr;
    if (direct) {
        if (packed_rows)
            pack_b_panel<V, NV>(g.B + k_direct * b_rs + (np - 1) * NR, b_rs, 1, N - (np - 1) * NR, packed_rows, bbuf);
    } else {
        for (std::int64_t q = 0; q < np; ++q)
            pack_b_panel<V, NV>(g.B + q * NR * b_cs, b_rs, b_cs, std::min<std::int64_t>(NR, N - q * NR), K,
                                bbuf + q * NR * K);
    }
    const std::int64_t m_blocks = (M + MR - 1) / MR;
    auto rows = [&](std::int64_t blk) {
        const std::int64_t i = blk * MR;
        const int m = static_cast<int>(std::min<std::int64_t>(MR, M - i));
        const T* a = g.A + i * a_rs;
        for (std::int64_t q = 0; q < np; ++q) {
            T* c = g.C + i * g.ldc + q * NR;
            const int n = static_cast<int>(std::min<std::int64_t>(NR, N - q * NR));
            if (!direct) {
                tile_rows<V, NV, MR>(m, K, a, a_rs, a_cs, bbuf + q * NR * K, NR, c, g.ldc, g.alpha, g.beta, n);
            } else if (q < np - 1 || k_direct == K) {
                tile_rows<V, NV, MR>(m, K, a, a_rs, a_cs, g.B + q * NR, b_rs, c, g.ldc, g.alpha, g.beta, n);
            } else {
                if (k_direct)
                    tile_rows<V, NV, MR>(m, k_direct, a, a_rs, a_cs, g.B + q * NR, b_rs, c, g.ldc, g.alpha, g.beta, n);
                tile_rows<V, NV, MR>(m, packed_rows, a + k_direct * a_cs, a_rs, a_cs, bbuf, NR, c, g.ldc, g.alpha,
                                     k_direct ? T(1) : g.beta, n);
            }
        }
    };
    if (nt <= 1) {
        for (std::int64_t blk = 0; blk < m_blocks; ++blk) rows(blk);
    } else {
#pragma omp parallel for num_threads(nt) schedule(static)
        for (std::int64_t blk = 0; blk < m_blocks; ++blk) rows(blk);
    }
}

// Narrow, shallow products (N ≤ W, K ≤ 8, e.g. [1000, 2]·[2, 4]): one vector per row of C, and
// the K rows of B held in registers, so each row costs K broadcasts, K FMAs and one store.
template <class V, int KK, bool kUnitA, bool kPlain>
void narrow_rows(const Args<typename V::T>& g, std::int64_t i0, std::int64_t i1, const typename V::T* bp) {
    using T = typename V::T;
    using R = typename V::reg;
    constexpr int W = V::W;
    R b[KK];
#pragma GCC unroll 8
    for (int k = 0; k < KK; ++k) b[k] = V::loadu(bp + k * W);
    // Locals, not g's fields: stores through C could otherwise alias them and force reloads.
    const T* const A = g.A;
    T* const C = g.C;
    const std::int64_t ldc = g.ldc, a_rs = g.trans_a ? 1 : g.lda, a_cs = kUnitA ? 1 : (g.trans_a ? g.lda : 1);
    const R va = V::set1(g.alpha), vb = V::set1(g.beta);
    const bool read_c = g.beta != T(0);
    const int n = static_cast<int>(g.N);
    // Inlined by force: GCC otherwise keeps this body out of line and pays a call per row.
    auto row = [&](std::int64_t i) __attribute__((always_inline)) {
        const T* a = A + i * a_rs;
        R acc = V::mul(V::bcast(a), b[0]);
#pragma GCC unroll 8
        for (int k = 1; k < KK; ++k) acc = V::fma(V::bcast(a + k * a_cs), b[k], acc);
        T* c = C + i * ldc;
        if constexpr (!kPlain) {
            acc = V::mul(acc, va);
            if (read_c) acc = V::fma(vb, n == W ? V::loadu(c) : V::load_part(c, n), acc);
        }
        if (n == W)
            V::storeu(c, acc);
        else
            V::store_part(c, acc, n);
    };
    std::int64_t i = i0;
    for (; i + 2 <= i1; i += 2) row(i), row(i + 1);
    if (i < i1) row(i);
}

template <class V, int KK>
void narrow_dispatch(int k, bool unit_a, const Args<typename V::T>& g, std::int64_t i0, std::int64_t i1,
                     const typename V::T* bp) {
    using T = typename V::T;
    if constexpr (KK >= 1) {
        if (k == KK) {
            const bool plain = g.alpha == T(1) && g.beta == T(0);
            if (unit_a)
                return plain ? narrow_rows<V, KK, true, true>(g, i0, i1, bp) : narrow_rows<V, KK, true, false>(g, i0, i1, bp);
            return plain ? narrow_rows<V, KK, false, true>(g, i0, i1, bp) : narrow_rows<V, KK, false, false>(g, i0, i1, bp);
        }
        narrow_dispatch<V, KK - 1>(k, unit_a, g, i0, i1, bp);
    }
}

constexpr int kNarrowMaxK = 8;

template <class V>
void gemm_narrow(const Args<typename V::T>& g, int nt) {
    using T = typename V::T;
    T* const bp = tl_pack_b.get<T>(static_cast<std::size_t>(g.K * V::W));
    pack_b_panel<V, 1>(g.B, g.trans_b ? 1 : g.ldb, g.trans_b ? g.ldb : 1, g.N, g.K, bp);
    const int k = static_cast<int>(g.K);
    const bool unit_a = g.trans_a ? g.lda == 1 || g.K == 1 : true;
    if (nt <= 1) {
        narrow_dispatch<V, kNarrowMaxK>(k, unit_a, g, 0, g.M, bp);
    } else {
#pragma omp parallel num_threads(nt)
        {
            const std::int64_t t = omp_get_thread_num(), T_ = omp_get_num_threads();
            narrow_dispatch<V, kNarrowMaxK>(k, unit_a, g, t * g.M / T_, (t + 1) * g.M / T_, bp);
        }
    }
}

// Blocking<V>::Narrow, where given, is a narrower vector type for the narrow path: with
// N ≤ its width a row of C is one full store rather than a partial one.
template <class V, class = void>
struct NarrowOf {
    using type = V;
};
template <class V>
struct NarrowOf<V, std::void_t<typename Blocking<V>::Narrow>> {
    using type = typename Blocking<V>::Narrow;
};

// One contiguous column of C from rows of A that hold their K ≤ 8 values side by side, e.g. W1's
// [1000, 4]·[4, 1]: eight rows at a time are loaded, transposed into K columns of eight and
// combined with the K weights, so eight results come from independent FMAs in one vector. (The
// narrow path spends a vector per row, one lane of it used, on a chain of K dependent FMAs.)
template <class V>
void gemv_short_rows(const Args<typename V::T>& g, std::int64_t i0, std::int64_t i1) {
    using T = typename V::T;
    using R = typename V::reg;
    const int K = static_cast<int>(g.K);
    const std::int64_t a_rs = g.trans_a ? 1 : g.lda, b_rs = g.trans_b ? 1 : g.ldb;
    const T* const A = g.A;
    T* const C = g.C;
    const bool plain = g.alpha == T(1) && g.beta == T(0), read_c = g.beta != T(0);
    const R va = V::set1(g.alpha), vb = V::set1(g.beta);
    R w[8];
    T ws[8];
    for (int k = 0; k < K; ++k) ws[k] = g.B[k * b_rs], w[k] = V::set1(ws[k]);
    // Full 8-value row loads while they stay inside A (the rows' last value is A[(M-1)·a_rs + K-1]).
    const std::int64_t a_end = (g.M - 1) * a_rs + K;
    std::int64_t i = i0;
    for (; i + 8 <= i1; i += 8) {
        R t[8];
        const bool full = (i + 7) * a_rs + 8 <= a_end;
#pragma GCC unroll 8
        for (int r = 0; r < 8; ++r) t[r] = full ? V::loadu(A + (i + r) * a_rs) : V::load_part(A + (i + r) * a_rs, K);
        V::transpose8(t);
        R acc = V::mul(t[0], w[0]);
        for (int k = 1; k < K; ++k) acc = V::fma(t[k], w[k], acc);
        if (!plain) {
            acc = V::mul(acc, va);
            if (read_c) acc = V::fma(vb, V::loadu(C + i), acc);
        }
        V::storeu(C + i, acc);
    }
    for (; i < i1; ++i) {  // the last rows, in the same order of operations
        const T* a = A + i * a_rs;
        T acc = a[0] * ws[0];
        for (int k = 1; k < K; ++k) acc = std::fma(a[k], ws[k], acc);
        if (!plain) {
            acc *= g.alpha;
            if (read_c) acc = std::fma(g.beta, C[i], acc);
        }
        C[i] = acc;
    }
}

template <class V>
void gemm_small(const Args<typename V::T>& g, int nt) {
    using Bk = Blocking<V>;
    using Half = typename NarrowOf<V>::type;
    if constexpr (HasTranspose8<V>) {
        // A column of C (N = 1, ldc = 1) from short rows of A (K ≤ 8 values side by side).
        if (g.N == 1 && g.ldc == 1 && g.K <= 8 && (!g.trans_a || g.K == 1)) {
            if (nt <= 1) return gemv_short_rows<V>(g, 0, g.M);
#pragma omp parallel num_threads(nt)
            {
                const std::int64_t t = omp_get_thread_num(), T_ = omp_get_num_threads();
                gemv_short_rows<V>(g, t * g.M / T_ / 8 * 8, t + 1 == T_ ? g.M : (t + 1) * g.M / T_ / 8 * 8);
            }
            return;
        }
    }
    if (g.N <= Half::W && g.K <= kNarrowMaxK)
        gemm_narrow<Half>(g, nt);
    else if (g.N <= V::W && g.K <= kNarrowMaxK)
        gemm_narrow<V>(g, nt);
    else if (g.N <= V::W)
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
