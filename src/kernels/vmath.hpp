// Elementwise float32 math over arrays: y[i] = f(x[i]) for exp, log and log1p.
// On CPUs with AVX2 + FMA these run SLEEF's 1-ulp vector functions (8 lanes, the ones
// PyTorch's CPU kernels use); elsewhere the scalar libm. x and y may be the same array.
#pragma once
#include <cstdint>

namespace descent::kernels {

void vexp(const float* x, float* y, std::int64_t n);
void vlog(const float* x, float* y, std::int64_t n);
void vlog1p(const float* x, float* y, std::int64_t n);

/// Whether vexp/vlog/vlog1p run SLEEF's vector code on this CPU (else the scalar libm).
bool vmath_vectorized();

/// The scalar libm versions: the fallback, and the tests' oracle.
void vexp_reference(const float* x, float* y, std::int64_t n);
void vlog_reference(const float* x, float* y, std::int64_t n);
void vlog1p_reference(const float* x, float* y, std::int64_t n);

}  // namespace descent::kernels
