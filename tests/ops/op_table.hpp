// The one table of differentiable ops (DESIGN principle 8): for each public op,
// its input generator (shapes, broadcast shapes, value domains), the call, and
// gradcheck tolerances with their reason. gradcheck_test.cpp runs gradcheck over
// every row in contiguous and non-contiguous layouts, and fails when a function
// declared in include/descent/ops/*.hpp is in neither this table nor the list of
// non-differentiable ops. Adding an op = adding one row in op_table.cpp.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "descent/autograd/gradcheck.hpp"
#include "descent/core/tensor.hpp"

namespace descent::testing {

/// Where an input's values come from.
enum class Domain {
    Real,      ///< float64, uniform in ±[0.1, 1] (away from the kinks of abs, relu, ... at 0); requires grad
    Positive,  ///< float64, uniform in [0.5, 2] (log, sqrt, pow bases); requires grad
    Index,     ///< int64, uniform in [0, high) (gather, index_select, ...); no grad
    Mask,      ///< bool, fair coin (where's condition); no grad
};

/// One input of a case.
struct In {
    Shape shape;
    Domain domain = Domain::Real;
    std::int64_t high = 0;  ///< Index: values lie in [0, high)
};
inline In R(Shape s) { return {std::move(s), Domain::Real}; }
inline In P(Shape s) { return {std::move(s), Domain::Positive}; }
inline In I(Shape s, std::int64_t high) { return {std::move(s), Domain::Index, high}; }
inline In M(Shape s) { return {std::move(s), Domain::Mask}; }

using Inputs = std::vector<In>;
using V = const std::vector<Tensor>&;
using OpFn = std::function<Tensor(V)>;

/// One row: a public op (one overload or argument pattern) and the cases it runs on.
struct OpEntry {
    std::string name;            ///< the function it covers, as declared in include/descent/ops/*.hpp
    std::vector<Inputs> cases;   ///< one input list per case (plain, broadcast, 0-dim, ...)
    OpFn fn;                     ///< the call under test: float64 inputs in, float64 out
    GradcheckOptions tol = {};   ///< PyTorch's gradcheck defaults unless `reason` says why not
    std::string reason = {};     ///< why the tolerances differ from the defaults
};

/// Every differentiable op, one row per overload or argument pattern.
const std::vector<OpEntry>& op_table();

/// Public functions returning tensors that have no gradient to check: name and why.
const std::vector<std::pair<std::string, std::string>>& non_differentiable_ops();

/// Memory layout of the generated inputs.
enum class Layout {
    Contiguous,
    NonContiguous,  ///< every input of ≥ 1 dim (and > 1 element) is a strided view: transposed or sliced
};

/// The inputs of a case: same values (from `seed`) in either layout; Real and
/// Positive inputs are leaves that require grad.
std::vector<Tensor> make_inputs(const Inputs& specs, Layout layout, std::uint64_t seed);

/// A name usable as a GoogleTest parameter name: row name, row index, case index.
std::string case_name(std::size_t row, std::size_t case_index);

}  // namespace descent::testing
