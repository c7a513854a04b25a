// Run-time CPU feature detection for kernel dispatch (GCC's __builtin_cpu_supports,
// which also checks that the OS saves the wide registers).
#include "cpu.hpp"

namespace descent::kernels {

bool isa_supported(Isa isa) {
    switch (isa) {
        case Isa::Portable: return true;
#if defined(__x86_64__) || defined(__i386__)
        case Isa::Avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        case Isa::Avx512:
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
                   __builtin_cpu_supports("fma");
#else
        case Isa::Avx2:
        case Isa::Avx512: return false;
#endif
    }
    return false;
}

Isa best_isa() {
    static const Isa best = isa_supported(Isa::Avx512) ? Isa::Avx512
                            : isa_supported(Isa::Avx2) ? Isa::Avx2
                                                       : Isa::Portable;
    return best;
}

const char* isa_name(Isa isa) {
    switch (isa) {
        case Isa::Portable: return "portable";
        case Isa::Avx2: return "avx2";
        case Isa::Avx512: return "avx512";
    }
    return "?";
}

}  // namespace descent::kernels
