// Google Benchmark microbenchmarks of the private kernels: GEMM (square, and the book
// model's skinny shapes) on every instruction set this CPU runs against the reference,
// and elementwise/reduction ops on contiguous and strided tensors.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "descent/descent.hpp"
#include "kernels/gemm.hpp"

namespace dk = descent::kernels;
using descent::Tensor;

namespace {

std::vector<float> random_floats(std::size_t n) {
    std::mt19937 gen(7);
    std::uniform_real_distribution<float> d(-1.f, 1.f);
    std::vector<float> v(n);
    for (auto& x : v) x = d(gen);
    return v;
}

// args: M, N, K, trans_b, isa (-1 = reference)
void BM_Gemm(benchmark::State& state) {
    const std::int64_t M = state.range(0), N = state.range(1), K = state.range(2);
    const bool tb = state.range(3) != 0;
    const int isa = static_cast<int>(state.range(4));
    if (isa >= 0 && !dk::isa_supported(static_cast<dk::Isa>(isa))) {
        state.SkipWithError("instruction set not supported on this CPU");
        return;
    }
    const auto A = random_floats(M * K), B = random_floats(K * N);
    std::vector<float> C(M * N);
    const std::int64_t ldb = tb ? K : N;
    for (auto _ : state) {
        if (isa < 0)
            dk::gemm_reference<float>(false, tb, M, N, K, 1.f, A.data(), K, B.data(), ldb, 0.f, C.data(), N);
        else
            dk::gemm_with<float>(static_cast<dk::Isa>(isa), dk::GemmPath::Auto, false, tb, M, N, K, 1.f, A.data(), K,
                                 B.data(), ldb, 0.f, C.data(), N);
        benchmark::DoNotOptimize(C.data());
        benchmark::ClobberMemory();
    }
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * M * N * K, benchmark::Counter::kIsIterationInvariantRate,
                                                   benchmark::Counter::kIs1000);
    state.SetLabel(isa < 0 ? "reference" : dk::isa_name(static_cast<dk::Isa>(isa)));
}

void GemmArgs(benchmark::internal::Benchmark* b) {
    for (int isa : {-1, 0, 1, 2}) {
        for (std::int64_t n : {64, 256, 512}) b->Args({n, n, n, 0, isa});
        // The book's model: forward [1000,2]·[4,2]ᵀ and [1000,4]·[1,4]ᵀ; backward gradients.
        b->Args({1000, 4, 2, 1, isa});
        b->Args({1000, 1, 4, 1, isa});
        b->Args({1000, 4, 1, 0, isa});
    }
}
BENCHMARK(BM_Gemm)->Apply(GemmArgs)->Unit(benchmark::kMicrosecond);

// Elementwise and reductions through the public ops (what a training step pays).
void BM_Add(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    const Tensor a = Tensor::randn({n, 64}), b = Tensor::randn({n, 64});
    for (auto _ : state) benchmark::DoNotOptimize(descent::add(a, b));
    state.SetBytesProcessed(state.iterations() * n * 64 * 3 * 4);
}
BENCHMARK(BM_Add)->Arg(16)->Arg(1024)->Arg(16384);

void BM_AddBroadcastRow(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    const Tensor a = Tensor::randn({n, 64}), b = Tensor::randn({64});
    for (auto _ : state) benchmark::DoNotOptimize(descent::add(a, b));
    state.SetBytesProcessed(state.iterations() * n * 64 * 2 * 4);
}
BENCHMARK(BM_AddBroadcastRow)->Arg(16)->Arg(1024)->Arg(16384);

void BM_ReluTransposed(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    const Tensor a = Tensor::randn({64, n}).t();
    for (auto _ : state) benchmark::DoNotOptimize(descent::relu(a));
    state.SetBytesProcessed(state.iterations() * n * 64 * 2 * 4);
}
BENCHMARK(BM_ReluTransposed)->Arg(1024)->Arg(16384);

void BM_Sigmoid(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    const Tensor a = Tensor::randn({n});
    for (auto _ : state) benchmark::DoNotOptimize(descent::sigmoid(a));
    state.SetBytesProcessed(state.iterations() * n * 2 * 4);
}
BENCHMARK(BM_Sigmoid)->Arg(1000)->Arg(1 << 20);

void BM_SumAll(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    const Tensor a = Tensor::randn({n});
    for (auto _ : state) benchmark::DoNotOptimize(descent::sum(a));
    state.SetBytesProcessed(state.iterations() * n * 4);
}
BENCHMARK(BM_SumAll)->Arg(1000)->Arg(1 << 20);

void BM_SumDim0(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    const Tensor a = Tensor::randn({n, 128});
    for (auto _ : state) benchmark::DoNotOptimize(descent::sum(a, {0}));
    state.SetBytesProcessed(state.iterations() * n * 128 * 4);
}
BENCHMARK(BM_SumDim0)->Arg(128)->Arg(8192);

}  // namespace
