// Reading PyTorch golden files (written by scripts/make_goldens.py) and comparing
// descent's results with them. A golden case holds inputs (base values plus view
// ops), a config, PyTorch's outputs, the upstream gradients and input gradients.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "descent/descent.hpp"

namespace golden {

using json = nlohmann::json;
using descent::DType;
using descent::Tensor;

/// Pass when |got - want| <= atol + rtol * |want| + cancel * eps * scale for every element,
/// where eps is the dtype's machine epsilon and scale = max(1, max |input|): `cancel` is for
/// ops that subtract values of the input's size (x - max, x - mean), where one rounding of
/// the large value, eps * |x|, shows up as an absolute error in the small result.
struct Tol {
    double rtol = 0.0;
    double atol = 0.0;
    double cancel = 0.0;
};

/// tol with its cancellation term folded into atol for this case's inputs.
Tol effective(const Tol& tol, DType dtype, const std::vector<Tensor>& inputs);

/// The parsed golden file tests/fixtures/golden/<family>.json.
json load(const std::string& family);

DType dtype_from(const std::string& name);
/// A fresh contiguous tensor from {dtype, shape, values}.
Tensor tensor_from(const json& t);
/// An input: the base tensor with the case's view ops applied, marked
/// requires_grad when the golden says so (a non-contiguous or stride-0 leaf).
Tensor input_from(const json& t);

/// Worst deviation found in one comparison, in units of the tolerance (ratio <= 1 passes).
struct Deviation {
    double ratio = 0.0;    // max |got - want| / (atol + rtol |want|)
    double abs_err = 0.0;  // max |got - want|
    double rel_err = 0.0;  // max |got - want| / |want| over elements with want != 0
    std::string where;     // "grads[1][7]: got 0.5 want 0.25", for the worst element
    std::string error;     // non-empty: shape, dtype or definedness mismatch
    void merge(const Deviation& other);
    bool ok() const { return error.empty() && ratio <= 1.0; }
};

/// Compares got with the golden tensor `want` ({dtype, shape, values}); `what` names it in messages.
Deviation compare(const Tensor& got, const json& want, const Tol& tol, const std::string& what);

/// Per family and dtype, the worst deviations over all cases (printed at the end of a test).
class Summary {
public:
    void add(const std::string& dtype, const Deviation& d);
    void print(const std::string& family) const;

private:
    std::map<std::string, Deviation> worst_;
    std::map<std::string, int> count_;
};

/// Runs a case's outputs through backward with the golden upstream gradients
/// and compares outputs, input gradients and (named) parameter gradients.
struct CaseResult {
    std::vector<Tensor> outputs;
    std::vector<Tensor> inputs;
    std::vector<std::pair<std::string, Tensor>> params;
};
Deviation check_case(const json& c, CaseResult& r, const Tol& out_tol, const Tol& grad_tol);

/// The upstream gradients of the case (undefined where the golden has none).
std::vector<Tensor> grad_outputs(const json& c);

}  // namespace golden
