#!/usr/bin/env bash
# One command for the yardstick benchmarks (../shared/BENCHMARKS.md): builds descent in
# Release with the benchmarks (own build folder, build/bench), then runs every workload that is
# available for descent and for PyTorch (for W1 also LibTorch, its C++ API) at 1 thread and at
# all cores, and prints one table of ratios (ours / theirs). Missing parts print "not yet
# available" instead of failing.
#   bench/run.sh [--only W1,W2,W3,W4] [--reps 5] [--quick] [--w1-full-only] [--threads 1,2] [--limit-train N] [--micro]
#   (--micro: also the Google Benchmark microbenchmarks; --quick: 10 epochs for W1 batch 32 / batch 1)
# PyTorch gets its best thread setting: torch.set_num_threads(k), OMP_NUM_THREADS=k,
# OPENBLAS_NUM_THREADS=1; so does W1's LibTorch (C++) peer, with at::set_num_threads(k).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --bench
build=build/bench
micro=0
args=()
for a in "$@"; do
  if [[ $a == --micro ]]; then micro=1; else args+=("$a"); fi
done

# Inside this command only: the environment pins OpenBLAS to its Haswell kernels and a small L2
# size; the benchmark lets every library pick its own kernels for this CPU.
echo "note: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for this benchmark run only" \
     "(were: '${OPENBLAS_CORETYPE-}' and '${OPENBLAS_L2_SIZE-}')"
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DDESCENT_BUILD_BENCH=ON -DDESCENT_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target bench_all

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores;" \
     "$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f)$' | tr '\n' ' ')"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# torch.mm runs on whatever libblas.so.3 Debian's alternatives select: say which, since the
# reference (netlib) BLAS is ~100x slower than OpenBLAS and makes W4's PyTorch column meaningless.
echo "PyTorch's BLAS: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo unknown)"
if [[ $micro == 1 ]]; then
  "$build/bench/bench_kernels" --benchmark_min_time=0.1
fi
/usr/bin/python3 bench/harness.py --build "$build" "${args[@]}"
