// W4 (../shared/BENCHMARKS.md): C = A·B, float32, square n = 256, 1024, 2048, row-major,
// through descent's kernels::gemm, at 1 thread and at all cores; plus the FMA-peak probe.
// Prints one line per figure, `RESULT W4 <name> threads=<k> <value> <unit>`, for bench/run.sh.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fma_peak.hpp"
#include "kernels/gemm.hpp"

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Median GFLOP/s of `reps` timed runs after one warm-up; a run repeats the product until it lasts ≥ 50 ms.
double gemm_gflops(int n, int threads, int reps, double& spread) {
    omp_set_num_threads(threads);
    std::mt19937 gen(42);
    std::uniform_real_distribution<float> d(-1.f, 1.f);
    std::vector<float> A(std::size_t(n) * n), B(std::size_t(n) * n), C(std::size_t(n) * n);
    for (auto& x : A) x = d(gen);
    for (auto& x : B) x = d(gen);
    auto once = [&] {
        descent::kernels::gemm<float>(false, false, n, n, n, 1.f, A.data(), n, B.data(), n, 0.f, C.data(), n);
    };
    once();
    int inner = 1;
    for (;;) {
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < inner; ++i) once();
        if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > 0.05) break;
        inner *= 2;
    }
    std::vector<double> g;
    for (int r = 0; r < reps; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < inner; ++i) once();
        const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / inner;
        g.push_back(2.0 * n * n * n / dt * 1e-9);
    }
    std::sort(g.begin(), g.end());
    spread = (g.back() - g.front()) / g[g.size() / 2];
    return median(g);
}

}  // namespace

int main(int argc, char** argv) {
    int reps = 7;
    std::vector<int> sizes = {256, 1024, 2048};
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--reps" && i + 1 < argc) reps = std::max(5, std::atoi(argv[++i]));
        else if (a == "--sizes" && i + 1 < argc) {
            sizes.clear();
            for (std::string s = argv[++i]; !s.empty();) {
                const auto p = s.find(',');
                sizes.push_back(std::atoi(s.substr(0, p).c_str()));
                s = p == std::string::npos ? "" : s.substr(p + 1);
            }
        }
    }
    const int all = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::vector<int> thread_counts = {1};
    if (all > 1) thread_counts.push_back(all);
    std::printf("# gemm kernels: %s; FMA probe: %s\n", descent::kernels::isa_name(descent::kernels::best_isa()),
                descent_bench::peak_probe().isa);
    for (int t : thread_counts) {
        const double peak = descent_bench::fma_peak_gflops(t);
        std::printf("RESULT W4 fma_peak threads=%d %.1f GFLOP/s\n", t, peak);
        for (int n : sizes) {
            double spread = 0;
            const double g = gemm_gflops(n, t, reps, spread);
            std::printf("RESULT W4 sgemm_n%d threads=%d %.1f GFLOP/s (%.0f%% of peak, spread %.0f%%)\n", n, t, g,
                        100.0 * g / peak, 100.0 * spread);
            std::fflush(stdout);
        }
    }
}
