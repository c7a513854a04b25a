// Instruction sets the CPU kernels are compiled for, and which of them this
// CPU runs. Kernels are built for every set (per-function target attributes,
// never -march=native) and one is picked at run time from the CPU's features.
#pragma once

namespace descent::kernels {

enum class Isa { Portable, Avx2, Avx512 };

/// Whether this CPU (and its OS) can run code built for `isa`.
bool isa_supported(Isa isa);

/// The widest instruction set this CPU runs (AVX2 means AVX2 + FMA; AVX-512 means AVX-512F).
Isa best_isa();

/// "portable", "avx2", "avx512".
const char* isa_name(Isa isa);

}  // namespace descent::kernels
