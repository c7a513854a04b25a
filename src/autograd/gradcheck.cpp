// gradcheck: the full Jacobian from autograd (one backward per output element,
// graph retained) against central finite differences (two forwards per input
// element), compared entry by entry in float64.
#include "descent/autograd/gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "descent/autograd/engine.hpp"
#include "descent/autograd/grad_mode.hpp"
#include "descent/ops/shape.hpp"

namespace descent {
namespace {

// Storage offsets (from the data pointer) of every element of t, in row-major order.
std::vector<std::int64_t> element_offsets(const Tensor& t) {
    std::vector<std::int64_t> out(static_cast<std::size_t>(t.numel()));
    const Shape& shape = t.shape();
    const Shape& strides = t.strides();
    std::vector<std::int64_t> idx(shape.size(), 0);
    for (std::size_t k = 0; k < out.size(); ++k) {
        std::int64_t off = 0;
        for (std::size_t d = 0; d < shape.size(); ++d) off += idx[d] * strides[d];
        out[k] = off;
        for (std::size_t d = shape.size(); d-- > 0;) {
            if (++idx[d] < shape[d]) break;
            idx[d] = 0;
        }
    }
    return out;
}

// An input whose elements alias one another cannot be perturbed one at a time.
bool overlaps(const Tensor& t) {
    for (std::int64_t d = 0; d < t.dim(); ++d)
        if (t.size(d) > 1 && t.stride(d) == 0) return true;
    return false;
}

Tensor evaluate(const GradcheckFunction& fn, const std::vector<Tensor>& inputs) {
    Tensor out = fn(inputs);
    DESCENT_CHECK(out.defined(), "gradcheck: the function returned an undefined tensor");
    DESCENT_CHECK(out.dtype() == kFloat64, "gradcheck: the function must return float64 (finite differences in ",
                  "float32 are too coarse), got ", dtype_name(out.dtype()));
    return out;
}

std::string fmt(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

}  // namespace

GradcheckResult gradcheck(const GradcheckFunction& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options) {
    DESCENT_CHECK(options.eps > 0, "gradcheck: eps must be positive, got ", options.eps);
    std::vector<std::size_t> diff;  // inputs that require grad
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        DESCENT_CHECK(inputs[i].defined(), "gradcheck: input ", i, " is undefined");
        if (!inputs[i].requires_grad()) continue;
        DESCENT_CHECK(inputs[i].dtype() == kFloat64, "gradcheck: input ", i, " requires grad but is ",
                      dtype_name(inputs[i].dtype()), "; finite differences need float64");
        DESCENT_CHECK(inputs[i].is_leaf(), "gradcheck: input ", i, " requires grad but is not a leaf; pass ",
                      "x.detach().requires_grad_()");
        DESCENT_CHECK(!overlaps(inputs[i]), "gradcheck: input ", i, " of shape ", shape_str(inputs[i].shape()),
                      " and strides ", shape_str(inputs[i].strides()),
                      " has elements sharing memory (an expanded view); pass a copy");
        diff.push_back(i);
    }
    DESCENT_CHECK(!diff.empty(), "gradcheck: no input requires grad");

    // Analytical Jacobian: row j of d out / d input = grad of out[j].
    EnableGradGuard enable;
    const Tensor out = evaluate(fn, inputs);
    const std::int64_t n_out = out.numel();
    std::vector<Tensor> grad_inputs;
    for (auto i : diff) grad_inputs.push_back(inputs[i]);
    // analytical[k][j * n_in + e]: input k, output element j, input element e.
    std::vector<std::vector<double>> analytical(diff.size());
    for (std::size_t k = 0; k < diff.size(); ++k)
        analytical[k].assign(static_cast<std::size_t>(n_out * inputs[diff[k]].numel()), 0.0);
    GradcheckResult result;
    if (n_out > 0 && out.requires_grad()) {
        for (std::int64_t j = 0; j < n_out; ++j) {
            Tensor seed = Tensor::zeros(out.shape(), {.dtype = kFloat64});
            seed.data_ptr<double>()[j] = 1.0;
            const std::vector<Tensor> grads = autograd::grad({out}, grad_inputs, {seed}, /*retain_graph=*/true);
            for (std::size_t k = 0; k < diff.size(); ++k) {
                if (!grads[k].defined()) continue;  // out does not depend on this input: zeros
                const Tensor& x = inputs[diff[k]];
                if (grads[k].shape() != x.shape() || grads[k].dtype() != x.dtype()) {
                    result.ok = false;
                    result.worst_input = static_cast<std::int64_t>(diff[k]);
                    result.message = "gradcheck: the gradient of input " + std::to_string(diff[k]) + " has shape " +
                                     shape_str(grads[k].shape()) + " and dtype " + dtype_name(grads[k].dtype()) +
                                     " but the input has shape " + shape_str(x.shape()) + " and dtype " +
                                     dtype_name(x.dtype());
                    return result;
                }
                const std::vector<double> g = grads[k].to_vector<double>();
                std::copy(g.begin(), g.end(), analytical[k].begin() + j * x.numel());
            }
        }
    }

    // Numerical Jacobian, one input element at a time, written straight into the
    // input's storage (and restored exactly) so non-contiguous inputs keep their layout.
    NoGradGuard no_grad;
    const double eps = options.eps;
    for (std::size_t k = 0; k < diff.size(); ++k) {
        const Tensor& x = inputs[diff[k]];
        double* base = x.data_ptr<double>();
        const std::vector<std::int64_t> offsets = element_offsets(x);
        const std::int64_t n_in = x.numel();
        for (std::int64_t e = 0; e < n_in; ++e) {
            double& slot = base[offsets[static_cast<std::size_t>(e)]];
            const double original = slot;
            slot = original + eps;
            const std::vector<double> plus = evaluate(fn, inputs).to_vector<double>();
            slot = original - eps;
            const std::vector<double> minus = evaluate(fn, inputs).to_vector<double>();
            slot = original;
            DESCENT_CHECK(static_cast<std::int64_t>(plus.size()) == n_out && minus.size() == plus.size(),
                          "gradcheck: the function's output changed size under perturbation");
            for (std::int64_t j = 0; j < n_out; ++j) {
                const double numerical = (plus[static_cast<std::size_t>(j)] - minus[static_cast<std::size_t>(j)]) / (2 * eps);
                const double a = analytical[k][static_cast<std::size_t>(j * n_in + e)];
                const double err = std::abs(a - numerical);
                // NaN counts as the worst possible entry.
                const double ratio = err / (options.atol + options.rtol * std::abs(numerical));
                const double r = std::isnan(ratio) ? INFINITY : ratio;
                result.max_abs_error = std::max(result.max_abs_error, std::isnan(err) ? INFINITY : err);
                if (r > result.max_error_ratio || result.worst_input < 0) {
                    result.max_error_ratio = r;
                    result.worst_input = static_cast<std::int64_t>(diff[k]);
                    result.worst_input_element = e;
                    result.worst_output_element = j;
                    result.worst_analytical = a;
                    result.worst_numerical = numerical;
                }
                if (!(r <= 1.0)) result.ok = false;
            }
        }
    }
    if (!result.ok) {
        std::ostringstream m;
        m << "gradcheck: Jacobian mismatch for input " << result.worst_input << " (shape "
          << shape_str(inputs[static_cast<std::size_t>(result.worst_input)].shape()) << "), element "
          << result.worst_input_element << ", output element " << result.worst_output_element << " (output shape "
          << shape_str(out.shape()) << "): analytical " << fmt(result.worst_analytical) << ", numerical "
          << fmt(result.worst_numerical) << ", |difference| " << fmt(std::abs(result.worst_analytical - result.worst_numerical))
          << " > atol " << fmt(options.atol) << " + rtol " << fmt(options.rtol) << " * |numerical|";
        result.message = m.str();
    }
    return result;
}

bool gradcheck_or_throw(const GradcheckFunction& fn, const std::vector<Tensor>& inputs,
                        const GradcheckOptions& options) {
    const GradcheckResult r = gradcheck(fn, inputs, options);
    DESCENT_CHECK(r.ok, r.message);
    return true;
}

}  // namespace descent
