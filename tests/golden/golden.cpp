// Golden-file reader and comparison helpers shared by the golden tests.
// Values are written by scripts/make_goldens.py so that parsing a JSON number
// as double and casting it to the tensor's dtype gives PyTorch's value exactly.
#include "golden.hpp"

#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>

#include "descent/autograd/engine.hpp"

namespace golden {

json load(const std::string& family) {
    const std::string path = std::string(DESCENT_TEST_DATA) + "/golden/" + family + ".json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open golden file " + path);
    return json::parse(in);
}

DType dtype_from(const std::string& name) {
    if (name == "float32") return descent::kFloat32;
    if (name == "float64") return descent::kFloat64;
    if (name == "int64") return descent::kInt64;
    if (name == "bool") return descent::kBool;
    throw std::runtime_error("golden: unknown dtype " + name);
}

Tensor tensor_from(const json& t) {
    const DType dtype = dtype_from(t.at("dtype").get<std::string>());
    const auto shape = t.at("shape").get<descent::Shape>();
    const json& values = t.at("values");
    Tensor out = descent::make_tensor(shape, dtype);
    if (static_cast<std::int64_t>(values.size()) != out.numel())
        throw std::runtime_error("golden: " + std::to_string(values.size()) + " values for shape " +
                                 descent::shape_str(shape));
    descent::visit_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        T* p = out.data_ptr<T>();
        for (std::size_t i = 0; i < values.size(); ++i) {
            if constexpr (std::is_same_v<T, bool>)
                p[i] = values[i].get<int>() != 0;
            else if constexpr (std::is_same_v<T, std::int64_t>)
                p[i] = values[i].get<std::int64_t>();
            else
                p[i] = static_cast<T>(values[i].get<double>());  // exact: see the file comment
        }
    });
    return out;
}

Tensor input_from(const json& t) {
    Tensor x = tensor_from(t);
    if (t.contains("view")) {
        for (const json& v : t.at("view")) {
            const std::string kind = v.at(0).get<std::string>();
            if (kind == "transpose") {
                x = x.transpose(v.at(1).get<std::int64_t>(), v.at(2).get<std::int64_t>());
            } else if (kind == "permute") {
                x = x.permute(v.at(1).get<descent::Shape>());
            } else if (kind == "slice") {
                auto opt = [](const json& j) -> std::optional<std::int64_t> {
                    if (j.is_null()) return std::nullopt;
                    return j.get<std::int64_t>();
                };
                x = x.slice(v.at(1).get<std::int64_t>(), opt(v.at(2)), opt(v.at(3)), v.at(4).get<std::int64_t>());
            } else if (kind == "expand") {
                x = x.expand(v.at(1).get<descent::Shape>());
            } else {
                throw std::runtime_error("golden: unknown view op " + kind);
            }
        }
    }
    if (t.value("requires_grad", false)) x.requires_grad_(true);
    return x;
}

Tol effective(const Tol& tol, DType dtype, const std::vector<Tensor>& inputs) {
    double scale = 1.0;
    for (const Tensor& x : inputs)
        if (x.is_floating_point())
            for (double v : x.to_vector<double>()) scale = std::max(scale, std::abs(v));
    const double eps = dtype == descent::kFloat64 ? std::numeric_limits<double>::epsilon()
                                                  : std::numeric_limits<float>::epsilon();
    return {tol.rtol, tol.atol + tol.cancel * eps * scale, 0.0};
}

void Deviation::merge(const Deviation& other) {
    if (!other.error.empty() && error.empty()) error = other.error;
    if (other.ratio > ratio || (where.empty() && !other.where.empty())) {
        ratio = std::max(ratio, other.ratio);
        where = other.where;
    }
    abs_err = std::max(abs_err, other.abs_err);
    rel_err = std::max(rel_err, other.rel_err);
}

Deviation compare(const Tensor& got, const json& want, const Tol& tol, const std::string& what) {
    Deviation d;
    if (!got.defined()) {
        d.error = what + ": undefined, PyTorch has a tensor of shape " + want.at("shape").dump();
        return d;
    }
    const auto shape = want.at("shape").get<descent::Shape>();
    const std::string dtype = want.at("dtype").get<std::string>();
    if (got.shape() != shape || descent::dtype_name(got.dtype()) != dtype) {
        d.error = what + ": got " + descent::dtype_name(got.dtype()) + " " + descent::shape_str(got.shape()) +
                  ", PyTorch has " + dtype + " " + descent::shape_str(shape);
        return d;
    }
    if (!want.contains("values")) return d;  // structural case: shape and dtype only
    const std::vector<double> g = got.to_vector<double>();
    const json& w = want.at("values");
    const bool is_f32 = dtype == "float32";
    for (std::size_t i = 0; i < g.size(); ++i) {
        // The file holds the shortest decimal of a float32 value: round it back to that value.
        const double wi = is_f32 ? static_cast<double>(static_cast<float>(w[i].get<double>())) : w[i].get<double>();
        const double err = std::abs(g[i] - wi);
        const double bound = tol.atol + tol.rtol * std::abs(wi);
        double ratio = 0.0;
        if (err > 0.0 || std::isnan(g[i])) ratio = bound > 0.0 ? err / bound : std::numeric_limits<double>::infinity();
        if (std::isnan(g[i])) ratio = std::numeric_limits<double>::infinity();
        d.abs_err = std::max(d.abs_err, err);
        // Relative error only where the value is not the result of cancellation.
        if (std::abs(wi) > 1e-3) d.rel_err = std::max(d.rel_err, err / std::abs(wi));
        if (ratio > d.ratio || (d.where.empty() && i == 0)) {
            d.ratio = std::max(d.ratio, ratio);
            std::ostringstream s;
            s.precision(17);
            s << what << "[" << i << "]: got " << g[i] << ", want " << wi;
            d.where = s.str();
        }
    }
    return d;
}

void Summary::add(const std::string& dtype, const Deviation& d) {
    worst_[dtype].merge(d);
    ++count_[dtype];
}

void Summary::print(const std::string& family) const {
    for (const auto& [dtype, d] : worst_) {
        std::cout << "[golden] " << family << " " << dtype << ": " << count_.at(dtype)
                  << " cases, worst abs err " << d.abs_err << ", worst rel err (|want| > 1e-3) " << d.rel_err
                  << ", worst/tolerance " << d.ratio << "\n";
    }
}

std::vector<Tensor> grad_outputs(const json& c) {
    std::vector<Tensor> out;
    for (const json& g : c.at("grad_outputs")) out.push_back(g.is_null() ? Tensor() : tensor_from(g));
    return out;
}

namespace {

bool all_zero(const json& t) {
    for (const json& v : t.at("values"))
        if (v.get<double>() != 0.0) return false;
    return true;
}

// A gradient PyTorch leaves as None or as zeros may be undefined or zeros here.
Deviation compare_grad(const Tensor& got, const json& want, const Tol& tol, const std::string& what) {
    if (want.is_null()) {
        Deviation d;
        if (got.defined()) {
            for (double v : got.to_vector<double>())
                if (v != 0.0) {
                    d.error = what + ": PyTorch has no gradient here, descent has a non-zero one";
                    break;
                }
        }
        return d;
    }
    if (!got.defined() && want.contains("values") && all_zero(want)) return {};
    return compare(got, want, tol, what);
}

}  // namespace

Deviation check_case(const json& c, CaseResult& r, const Tol& out_tol, const Tol& grad_tol) {
    Deviation d;
    const json& outs = c.at("outputs");
    if (r.outputs.size() != outs.size()) {
        d.error = "descent returned " + std::to_string(r.outputs.size()) + " outputs, PyTorch " +
                  std::to_string(outs.size());
        return d;
    }
    for (std::size_t i = 0; i < outs.size(); ++i)
        d.merge(compare(r.outputs[i], outs[i], out_tol, "outputs[" + std::to_string(i) + "]"));

    // Backward with PyTorch's upstream gradients, through every output that has one.
    const std::vector<Tensor> gouts = grad_outputs(c);
    std::vector<Tensor> roots, seeds;
    for (std::size_t i = 0; i < gouts.size(); ++i) {
        if (!gouts[i].defined()) continue;
        if (!r.outputs[i].requires_grad()) {
            d.merge({.error = "outputs[" + std::to_string(i) + "] does not require grad, PyTorch's does"});
            continue;
        }
        roots.push_back(r.outputs[i]);
        seeds.push_back(gouts[i]);
    }
    if (!roots.empty()) descent::autograd::run_backward(roots, seeds, false);

    const json& grads = c.at("grads");
    for (std::size_t i = 0; i < grads.size() && i < r.inputs.size(); ++i) {
        if (!r.inputs[i].requires_grad()) continue;
        d.merge(compare_grad(r.inputs[i].grad(), grads[i], grad_tol, "grads[" + std::to_string(i) + "]"));
    }
    if (c.contains("param_grads")) {
        const json& pg = c.at("param_grads");
        for (const auto& [name, p] : r.params) {
            if (!pg.contains(name)) {
                d.merge({.error = "parameter " + name + " is not in PyTorch's module"});
                continue;
            }
            d.merge(compare_grad(p.grad(), pg.at(name), grad_tol, "param_grads[" + name + "]"));
        }
        if (pg.size() != r.params.size())
            d.merge({.error = "descent's module has " + std::to_string(r.params.size()) + " parameters, PyTorch's " +
                              std::to_string(pg.size())});
    }
    return d;
}

}  // namespace golden
