// gradcheck: compares the gradients autograd computes with central finite
// differences, in float64, entry by entry of the full Jacobian (as
// torch.autograd.gradcheck in its default, "slow" mode).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "descent/core/tensor.hpp"

namespace descent {

/// Tolerances of gradcheck, PyTorch's defaults: an entry passes when
/// |analytical − numerical| ≤ atol + rtol · |numerical|.
struct GradcheckOptions {
    double eps = 1e-6;   ///< finite-difference step: (f(x + eps) − f(x − eps)) / (2 eps)
    double atol = 1e-5;  ///< absolute tolerance
    double rtol = 1e-3;  ///< relative tolerance (of the numerical value)
};

/// The outcome of gradcheck: whether every Jacobian entry passed, and the worst one.
struct GradcheckResult {
    bool ok = true;
    /// Largest |analytical − numerical| over all entries checked.
    double max_abs_error = 0.0;
    /// Largest |analytical − numerical| / (atol + rtol · |numerical|); ≤ 1 means within tolerance.
    double max_error_ratio = 0.0;
    /// Where the worst entry is: input index, element of the input, element of the output (row-major).
    std::int64_t worst_input = -1, worst_input_element = -1, worst_output_element = -1;
    double worst_analytical = 0.0, worst_numerical = 0.0;
    /// Empty when ok; otherwise says which entry failed and by how much.
    std::string message;
    explicit operator bool() const { return ok; }
};

/// The function under test: inputs in, one tensor out (any shape, float64).
using GradcheckFunction = std::function<Tensor(const std::vector<Tensor>&)>;

/// Checks d fn / d inputs[i] for every input with requires_grad (those must be
/// float64 and must not overlap in memory, e.g. no expanded views; they may be
/// non-contiguous). Other inputs (indices, masks) are passed through unchanged.
/// The analytical Jacobian comes from one autograd::grad call per output element,
/// the numerical one from two evaluations of fn per input element. Never throws on
/// a mismatch: the result says what failed. Throws descent::Error on misuse (no
/// input requiring grad, a non-float64 input or output, fn throwing).
///
///     auto r = gradcheck([](const std::vector<Tensor>& x) { return x[0] * x[1]; },
///                        {a, b}, {.eps = 1e-6, .atol = 1e-5, .rtol = 1e-3});
///     if (!r) std::cerr << r.message;
GradcheckResult gradcheck(const GradcheckFunction& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

/// gradcheck that throws descent::Error with the result's message on a mismatch;
/// returns true otherwise (so it reads like torch.autograd.gradcheck).
bool gradcheck_or_throw(const GradcheckFunction& fn, const std::vector<Tensor>& inputs,
                        const GradcheckOptions& options = {});

}  // namespace descent
