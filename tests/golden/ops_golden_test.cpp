// Every op of descent compared with PyTorch 1.13 goldens (tests/fixtures/golden/ops_*.json,
// written by scripts/make_goldens.py): outputs, and input gradients for PyTorch's
// upstream gradient. A case whose op the dispatcher does not know fails the test.
#include <gtest/gtest.h>

#include <set>

#include "golden.hpp"
#include "golden_runner.hpp"
#include "ops/op_table.hpp"

namespace golden {
namespace {

namespace dc = descent;
using X = std::vector<Tensor>;
using V = std::vector<Tensor>;

std::optional<double> opt_double(const json& c, const char* key) {
    if (!c.contains(key) || c.at(key).is_null()) return std::nullopt;
    return c.at(key).get<double>();
}
std::optional<std::int64_t> opt_int(const json& c, const char* key) {
    if (!c.contains(key) || c.at(key).is_null()) return std::nullopt;
    return c.at(key).get<std::int64_t>();
}
dc::Shape dims(const json& c) { return c.at("dims").get<dc::Shape>(); }
// A height/width pair given as [h, w] (or absent: `fallback` for both).
dc::Size2 size2(const json& c, const char* key, std::int64_t fallback) {
    if (!c.contains(key) || c.at(key).is_null()) return dc::Size2(fallback);
    const auto v = c.at(key).get<std::vector<std::int64_t>>();
    return dc::Size2(v.at(0), v.at(1));
}
dc::MaxPool2dArgs max_pool_args(const json& c) {
    return {.stride = size2(c, "stride", 0), .padding = size2(c, "padding", 0), .dilation = size2(c, "dilation", 1),
            .ceil_mode = c.value("ceil_mode", false)};
}
// The input the golden names `name` (config "inputs" lists the names in order), or undefined.
Tensor named(const X& x, const json& c, const std::string& name) {
    const auto names = c.at("inputs").get<std::vector<std::string>>();
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == name) return x.at(i);
    return Tensor();
}

const Dispatch& ops() {
    static const Dispatch table = [] {
        Dispatch t;
        // ---- elementwise --------------------------------------------------------------
        t["add"] = [](const X& x, const json& c) -> V {
            return {c.contains("alpha") ? dc::add(x[0], x[1], c.at("alpha").get<double>()) : dc::add(x[0], x[1])};
        };
        t["sub"] = [](const X& x, const json&) -> V { return {x[0] - x[1]}; };
        t["mul"] = [](const X& x, const json&) -> V { return {x[0] * x[1]}; };
        t["div"] = [](const X& x, const json&) -> V { return {x[0] / x[1]}; };
        t["maximum"] = [](const X& x, const json&) -> V { return {dc::maximum(x[0], x[1])}; };
        t["minimum"] = [](const X& x, const json&) -> V { return {dc::minimum(x[0], x[1])}; };
        t["add_scalar"] = [](const X& x, const json& c) -> V { return {x[0] + c.at("scalar").get<double>()}; };
        t["sub_scalar"] = [](const X& x, const json& c) -> V { return {x[0] - c.at("scalar").get<double>()}; };
        t["rsub_scalar"] = [](const X& x, const json& c) -> V { return {c.at("scalar").get<double>() - x[0]}; };
        t["mul_scalar"] = [](const X& x, const json& c) -> V { return {x[0] * c.at("scalar").get<double>()}; };
        t["div_scalar"] = [](const X& x, const json& c) -> V { return {x[0] / c.at("scalar").get<double>()}; };
        t["rdiv_scalar"] = [](const X& x, const json& c) -> V { return {c.at("scalar").get<double>() / x[0]}; };
        t["pow"] = [](const X& x, const json&) -> V { return {dc::pow(x[0], x[1])}; };
        t["pow_scalar"] = [](const X& x, const json& c) -> V { return {dc::pow(x[0], c.at("exponent").get<double>())}; };
        t["neg"] = [](const X& x, const json&) -> V { return {-x[0]}; };
        t["exp"] = [](const X& x, const json&) -> V { return {dc::exp(x[0])}; };
        t["log"] = [](const X& x, const json&) -> V { return {dc::log(x[0])}; };
        t["sqrt"] = [](const X& x, const json&) -> V { return {dc::sqrt(x[0])}; };
        t["abs"] = [](const X& x, const json&) -> V { return {dc::abs(x[0])}; };
        t["sign"] = [](const X& x, const json&) -> V { return {dc::sign(x[0])}; };
        t["round"] = [](const X& x, const json&) -> V { return {dc::round(x[0])}; };
        t["square"] = [](const X& x, const json&) -> V { return {dc::square(x[0])}; };
        t["clamp"] = [](const X& x, const json& c) -> V {
            return {dc::clamp(x[0], opt_double(c, "min"), opt_double(c, "max"))};
        };
        t["relu"] = [](const X& x, const json&) -> V { return {dc::relu(x[0])}; };
        t["leaky_relu"] = [](const X& x, const json& c) -> V {
            return {c.contains("negative_slope") ? dc::leaky_relu(x[0], c.at("negative_slope").get<double>())
                                                 : dc::leaky_relu(x[0])};
        };
        t["sigmoid"] = [](const X& x, const json&) -> V { return {dc::sigmoid(x[0])}; };
        t["tanh"] = [](const X& x, const json&) -> V { return {dc::tanh(x[0])}; };
        t["gelu"] = [](const X& x, const json& c) -> V {
            return {c.contains("approximate") ? dc::gelu(x[0], c.at("approximate").get<std::string>()) : dc::gelu(x[0])};
        };
        t["where"] = [](const X& x, const json&) -> V { return {dc::where(x[0], x[1], x[2])}; };
        t["eq"] = [](const X& x, const json&) -> V { return {x[0] == x[1]}; };
        t["ne"] = [](const X& x, const json&) -> V { return {x[0] != x[1]}; };
        t["lt"] = [](const X& x, const json&) -> V { return {x[0] < x[1]}; };
        t["le"] = [](const X& x, const json&) -> V { return {x[0] <= x[1]}; };
        t["gt"] = [](const X& x, const json&) -> V { return {x[0] > x[1]}; };
        t["ge"] = [](const X& x, const json&) -> V { return {x[0] >= x[1]}; };
        t["eq_scalar"] = [](const X& x, const json& c) -> V { return {dc::eq(x[0], c.at("scalar").get<double>())}; };
        t["ne_scalar"] = [](const X& x, const json& c) -> V { return {dc::ne(x[0], c.at("scalar").get<double>())}; };
        t["lt_scalar"] = [](const X& x, const json& c) -> V { return {dc::lt(x[0], c.at("scalar").get<double>())}; };
        t["le_scalar"] = [](const X& x, const json& c) -> V { return {dc::le(x[0], c.at("scalar").get<double>())}; };
        t["gt_scalar"] = [](const X& x, const json& c) -> V { return {dc::gt(x[0], c.at("scalar").get<double>())}; };
        t["ge_scalar"] = [](const X& x, const json& c) -> V { return {dc::ge(x[0], c.at("scalar").get<double>())}; };
        t["logical_not"] = [](const X& x, const json&) -> V { return {dc::logical_not(x[0])}; };

        // ---- reductions and softmax ------------------------------------------------------
        t["sum"] = [](const X& x, const json& c) -> V {
            return {c.contains("dims") ? dc::sum(x[0], dims(c), c.value("keepdim", false)) : dc::sum(x[0])};
        };
        t["mean"] = [](const X& x, const json& c) -> V {
            return {c.contains("dims") ? dc::mean(x[0], dims(c), c.value("keepdim", false)) : dc::mean(x[0])};
        };
        t["var"] = [](const X& x, const json& c) -> V {
            const auto corr = c.at("correction").get<std::int64_t>();
            return {c.contains("dims") ? dc::var(x[0], dims(c), corr, c.value("keepdim", false)) : dc::var(x[0], corr)};
        };
        t["std"] = [](const X& x, const json& c) -> V {
            const auto corr = c.at("correction").get<std::int64_t>();
            return {c.contains("dims") ? dc::std(x[0], dims(c), corr, c.value("keepdim", false)) : dc::std(x[0], corr)};
        };
        t["logsumexp"] = [](const X& x, const json& c) -> V {
            return {dc::logsumexp(x[0], dims(c), c.value("keepdim", false))};
        };
        t["max"] = [](const X& x, const json&) -> V { return {dc::max(x[0])}; };
        t["min"] = [](const X& x, const json&) -> V { return {dc::min(x[0])}; };
        t["max_dim"] = [](const X& x, const json& c) -> V {
            auto r = dc::max(x[0], c.at("dim").get<std::int64_t>(), c.value("keepdim", false));
            return {r.values, r.indices};
        };
        t["min_dim"] = [](const X& x, const json& c) -> V {
            auto r = dc::min(x[0], c.at("dim").get<std::int64_t>(), c.value("keepdim", false));
            return {r.values, r.indices};
        };
        t["argmax"] = [](const X& x, const json& c) -> V {
            return {c.contains("dim") ? dc::argmax(x[0], c.at("dim").get<std::int64_t>(), c.value("keepdim", false))
                                      : dc::argmax(x[0])};
        };
        t["argmin"] = [](const X& x, const json& c) -> V {
            return {c.contains("dim") ? dc::argmin(x[0], c.at("dim").get<std::int64_t>(), c.value("keepdim", false))
                                      : dc::argmin(x[0])};
        };
        t["softmax"] = [](const X& x, const json& c) -> V { return {dc::softmax(x[0], c.at("dim").get<std::int64_t>())}; };
        t["log_softmax"] = [](const X& x, const json& c) -> V {
            return {dc::log_softmax(x[0], c.at("dim").get<std::int64_t>())};
        };
        t["sum_to"] = [](const X& x, const json& c) -> V { return {dc::sum_to(x[0], c.at("shape").get<dc::Shape>())}; };

        // ---- views, copies, joins, indexing ------------------------------------------------
        t["view"] = [](const X& x, const json& c) -> V { return {dc::view(x[0], c.at("shape").get<dc::Shape>())}; };
        t["reshape"] = [](const X& x, const json& c) -> V {
            return {dc::reshape(x[0], c.at("shape").get<dc::Shape>())};
        };
        t["flatten"] = [](const X& x, const json& c) -> V {
            return {dc::flatten(x[0], c.value("start_dim", std::int64_t{0}), c.value("end_dim", std::int64_t{-1}))};
        };
        t["transpose"] = [](const X& x, const json& c) -> V {
            return {dc::transpose(x[0], c.at("dim0").get<std::int64_t>(), c.at("dim1").get<std::int64_t>())};
        };
        t["permute"] = [](const X& x, const json& c) -> V { return {dc::permute(x[0], c.at("dims").get<dc::Shape>())}; };
        t["narrow"] = [](const X& x, const json& c) -> V {
            return {dc::narrow(x[0], c.at("dim").get<std::int64_t>(), c.at("start").get<std::int64_t>(),
                               c.at("length").get<std::int64_t>())};
        };
        t["slice"] = [](const X& x, const json& c) -> V {
            return {dc::slice(x[0], c.at("dim").get<std::int64_t>(), opt_int(c, "start"), opt_int(c, "end"),
                              c.value("step", std::int64_t{1}))};
        };
        t["select"] = [](const X& x, const json& c) -> V {
            return {dc::select(x[0], c.at("dim").get<std::int64_t>(), c.at("index").get<std::int64_t>())};
        };
        t["squeeze"] = [](const X& x, const json& c) -> V {
            return {c.contains("dim") ? dc::squeeze(x[0], c.at("dim").get<std::int64_t>()) : dc::squeeze(x[0])};
        };
        t["unsqueeze"] = [](const X& x, const json& c) -> V {
            return {dc::unsqueeze(x[0], c.at("dim").get<std::int64_t>())};
        };
        t["expand"] = [](const X& x, const json& c) -> V { return {dc::expand(x[0], c.at("shape").get<dc::Shape>())}; };
        t["contiguous"] = [](const X& x, const json&) -> V { return {dc::contiguous(x[0])}; };
        t["clone"] = [](const X& x, const json&) -> V { return {dc::clone(x[0])}; };
        t["to_dtype"] = [](const X& x, const json& c) -> V {
            return {dc::to_dtype(x[0], dtype_from(c.at("dtype").get<std::string>()))};
        };
        t["cat"] = [](const X& x, const json& c) -> V { return {dc::cat(x, c.at("dim").get<std::int64_t>())}; };
        t["stack"] = [](const X& x, const json& c) -> V { return {dc::stack(x, c.at("dim").get<std::int64_t>())}; };
        t["split"] = [](const X& x, const json& c) -> V {
            const auto dim = c.at("dim").get<std::int64_t>();
            if (c.contains("split_size")) return dc::split(x[0], c.at("split_size").get<std::int64_t>(), dim);
            return dc::split(x[0], c.at("sizes").get<std::vector<std::int64_t>>(), dim);
        };
        t["chunk"] = [](const X& x, const json& c) -> V {
            return dc::chunk(x[0], c.at("chunks").get<std::int64_t>(), c.at("dim").get<std::int64_t>());
        };
        t["index_select"] = [](const X& x, const json& c) -> V {
            return {dc::index_select(x[0], c.at("dim").get<std::int64_t>(), x[1])};
        };
        t["gather"] = [](const X& x, const json& c) -> V { return {dc::gather(x[0], c.at("dim").get<std::int64_t>(), x[1])}; };
        t["scatter_add"] = [](const X& x, const json& c) -> V {
            return {dc::scatter_add(x[0], c.at("dim").get<std::int64_t>(), x[1], x[2])};
        };
        // torch's one_hot returns int64; descent's default is float32, so the golden asks for int64.
        t["one_hot"] = [](const X& x, const json& c) -> V {
            return {dc::one_hot(x[0], c.at("num_classes").get<std::int64_t>(), dc::kInt64)};
        };

        // ---- matmul and linear ----------------------------------------------------------
        t["matmul"] = [](const X& x, const json&) -> V { return {dc::matmul(x[0], x[1])}; };
        t["mm"] = [](const X& x, const json&) -> V { return {dc::mm(x[0], x[1])}; };
        t["linear"] = [](const X& x, const json&) -> V {
            return {x.size() > 2 ? dc::linear(x[0], x[1], x[2]) : dc::linear(x[0], x[1])};
        };

        // ---- convolution, pooling, normalization -----------------------------------------
        t["conv2d"] = [](const X& x, const json& c) -> V {
            const dc::Conv2dArgs args{.stride = size2(c, "stride", 1), .padding = size2(c, "padding", 0),
                                      .dilation = size2(c, "dilation", 1), .groups = c.value("groups", std::int64_t{1})};
            return {dc::conv2d(x[0], x[1], x.size() > 2 ? x[2] : Tensor(), args)};
        };
        t["max_pool2d"] = [](const X& x, const json& c) -> V {
            return {dc::max_pool2d(x[0], size2(c, "kernel", 0), max_pool_args(c))};
        };
        t["conv2d_max_pool2d"] = [](const X& x, const json& c) -> V {
            const dc::Conv2dArgs args{.stride = size2(c, "stride", 1), .padding = size2(c, "padding", 0),
                                      .dilation = size2(c, "dilation", 1), .groups = c.value("groups", std::int64_t{1})};
            const json& pool = c.at("pool");
            return {dc::conv2d_max_pool2d(x[0], x[1], x.size() > 2 ? x[2] : Tensor(), args, size2(pool, "kernel", 0),
                                          max_pool_args(pool), c.value("relu", false))};
        };
        t["max_pool2d_with_indices"] = [](const X& x, const json& c) -> V {
            auto r = dc::max_pool2d_with_indices(x[0], size2(c, "kernel", 0), max_pool_args(c));
            return {r.values, r.indices};
        };
        t["avg_pool2d"] = [](const X& x, const json& c) -> V {
            dc::AvgPool2dArgs args{.stride = size2(c, "stride", 0), .padding = size2(c, "padding", 0),
                                   .ceil_mode = c.value("ceil_mode", false),
                                   .count_include_pad = c.value("count_include_pad", true)};
            if (c.contains("divisor_override")) args.divisor_override = c.at("divisor_override").get<std::int64_t>();
            return {dc::avg_pool2d(x[0], size2(c, "kernel", 0), args)};
        };
        t["adaptive_avg_pool2d"] = [](const X& x, const json& c) -> V {
            return {dc::adaptive_avg_pool2d(x[0], size2(c, "output_size", 0))};
        };
        t["batch_norm"] = [](const X& x, const json& c) -> V {
            const Tensor rm = named(x, c, "running_mean"), rv = named(x, c, "running_var");
            V out = {dc::batch_norm(named(x, c, "input"), rm, rv, named(x, c, "weight"), named(x, c, "bias"),
                                    c.at("training").get<bool>(), c.value("momentum", 0.1), c.value("eps", 1e-5))};
            // The running statistics are updated in place; PyTorch's new values are outputs.
            for (const Tensor& s : {rm, rv})
                if (s.defined()) out.push_back(s);
            return out;
        };
        t["layer_norm"] = [](const X& x, const json& c) -> V {
            return {dc::layer_norm(named(x, c, "input"), c.at("normalized_shape").get<dc::Shape>(), named(x, c, "weight"),
                                   named(x, c, "bias"), c.value("eps", 1e-5))};
        };
        t["dropout2d"] = [](const X& x, const json& c) -> V {
            return {dc::dropout2d(x[0], c.at("p").get<double>(), c.at("training").get<bool>())};
        };
        return t;
    }();
    return table;
}

// ---- tolerances ------------------------------------------------------------------------
// {rtol, atol, cancel} for outputs and gradients, per dtype; see Tol in golden.hpp.
// float32 eps is 1.2e-7, float64 eps 2.2e-16.
struct OpTol {
    Tol f32_out, f32_grad, f64_out, f64_grad;
};

// Values moved, never computed (views, copies, selections, comparisons, sign flips):
// bit-identical to PyTorch.
constexpr Tol kExact{0, 0};
// One or two roundings differ from PyTorch's order of operations (x·(1/c) against x/c, a
// fused multiply-add, a two-term gradient sum): a few ulp, plus an absolute floor for
// results that cancel to near zero.
constexpr Tol kUlp32{1e-6, 1e-7}, kUlp64{4e-15, 1e-16};
// Transcendentals: glibc's libm against PyTorch's vectorized SLEEF kernels, each within
// about 1 ulp, and their gradients, which chain two or three such values.
constexpr Tol kLibm32{4e-6, 1e-7}, kLibm64{1e-14, 1e-16};
// gelu: x·½(1 + erf(x/√2)) cancels for x < 0 (1 + erf → 0), in PyTorch as here, so its
// absolute error is a few eps·|x|.
constexpr Tol kGelu32{4e-6, 1e-7, 4}, kGelu64{1e-14, 1e-16, 4};
// Sums of n terms (reductions, gradients of broadcasts and matmul): the order of the
// additions differs (pairwise/blocked against PyTorch's vectorized cascade), giving
// errors up to ~n·eps relative to Σ|terms|, so the absolute floor matters where terms cancel.
constexpr Tol kSum32{1e-5, 2e-6}, kSum64{1e-13, 4e-15};
// Softmax family, logsumexp, var/std: a sum as above plus x − max (x − mean), whose
// rounding is eps·|x| absolute (cancel = 4 ulp of the largest input).
constexpr Tol kShift32{1e-5, 2e-6, 4}, kShift64{1e-13, 4e-15, 4};

OpTol tolerance(const std::string& op) {
    static const std::set<std::string> exact = {
        "view", "reshape", "flatten", "transpose", "permute", "narrow", "slice", "select", "squeeze", "unsqueeze",
        "contiguous", "clone", "cat", "stack", "split", "chunk", "one_hot", "eq", "ne", "lt", "le", "gt", "ge",
        "eq_scalar", "ne_scalar", "lt_scalar", "le_scalar", "gt_scalar", "ge_scalar", "logical_not", "neg", "abs",
        "sign", "round", "relu", "leaky_relu", "clamp", "argmax", "argmin", "to_dtype", "add_scalar", "sub_scalar",
        "rsub_scalar"};
    if (exact.count(op)) return {kExact, kExact, kExact, kExact};
    // Forward exact; the gradient is a copy (or, with index duplicates and broadcasts, a sum).
    static const std::set<std::string> exact_sum_grad = {
        "where", "maximum", "minimum", "max_dim", "min_dim", "max", "min", "gather", "index_select",
        "scatter_add", "expand"};
    if (exact_sum_grad.count(op)) return {kExact, kSum32, kExact, kSum64};
    static const std::set<std::string> ulp = {"add", "sub", "mul", "div", "mul_scalar", "div_scalar",
                                              "rdiv_scalar", "square", "sqrt", "pow_scalar"};
    if (ulp.count(op)) return {kUlp32, kSum32, kUlp64, kSum64};  // gradients of broadcasts are sums
    if (op == "gelu") return {kGelu32, kSum32, kGelu64, kSum64};
    static const std::set<std::string> libm = {"exp", "log", "sigmoid", "tanh", "pow"};
    if (libm.count(op)) return {kLibm32, kSum32, kLibm64, kSum64};
    static const std::set<std::string> shift = {"softmax", "log_softmax", "logsumexp", "var", "std"};
    if (shift.count(op)) return {kShift32, kShift32, kShift64, kShift64};
    if (op == "max_pool2d" || op == "max_pool2d_with_indices" || op == "dropout2d")
        return {kExact, kSum32, kExact, kSum64};  // picks or scales values; gradients of overlapping windows sum
    if (op == "batch_norm" || op == "layer_norm") return {kShift32, kShift32, kShift64, kShift64};  // x − mean, 1/√var
    static const std::set<std::string> sums = {"sum", "mean", "sum_to", "matmul", "mm", "linear", "conv2d", "conv2d_max_pool2d",
                                               "avg_pool2d", "adaptive_avg_pool2d"};
    if (sums.count(op)) return {kSum32, kSum32, kSum64, kSum64};
    throw std::runtime_error("no tolerance set for op " + op);
}

Tols tols_for(const std::string& op, DType dtype) {
    const OpTol t = tolerance(op);
    return dtype == descent::kFloat64 ? Tols{t.f64_out, t.f64_grad} : Tols{t.f32_out, t.f32_grad};
}

const std::vector<std::string> kFamilies = {"ops_elementwise", "ops_reduction", "ops_shape", "ops_linalg", "ops_cnn"};

TEST(Golden, OpsElementwise) { run_family("ops_elementwise", ops(), tols_for); }
TEST(Golden, OpsReduction) { run_family("ops_reduction", ops(), tols_for); }
TEST(Golden, OpsShape) { run_family("ops_shape", ops(), tols_for); }
TEST(Golden, OpsLinalg) { run_family("ops_linalg", ops(), tols_for); }
TEST(Golden, OpsCnn) { run_family("ops_cnn", ops(), tols_for); }

// The public function a golden op name exercises ("rsub_scalar" is sub(double, Tensor), ...).
std::string function_of(const std::string& op) {
    static const std::map<std::string, std::string> renamed = {
        {"rsub_scalar", "sub"}, {"rdiv_scalar", "div"}, {"pow_scalar", "pow"}, {"max_dim", "max"}, {"min_dim", "min"}};
    if (auto it = renamed.find(op); it != renamed.end()) return it->second;
    const std::string suffix = "_scalar";
    if (op.size() > suffix.size() && op.ends_with(suffix)) return op.substr(0, op.size() - suffix.size());
    return op;
}

std::set<std::string> golden_ops() {
    std::set<std::string> seen;
    for (const auto& family : kFamilies) {
        const json doc = load(family);
        for (const json& c : doc.at("cases")) seen.insert(c.at("op").get<std::string>());
    }
    return seen;
}

// Every entry of the dispatcher has cases, and every function of the op table that the
// gradcheck test runs (tests/ops/op_table.cpp), differentiable or not, has a golden.
TEST(Golden, EveryOpHasACase) {
    const std::set<std::string> seen = golden_ops();
    for (const auto& [name, _] : ops()) EXPECT_TRUE(seen.count(name)) << "dispatcher entry " << name << " has no golden";
    std::set<std::string> functions;
    for (const auto& op : seen) functions.insert(function_of(op));
    std::set<std::string> missing;
    for (const auto& row : descent::testing::op_table())
        if (!functions.count(row.name)) missing.insert(row.name);
    for (const auto& [name, why] : descent::testing::non_differentiable_ops())
        if (!functions.count(name)) missing.insert(name);
    for (const auto& name : missing) ADD_FAILURE() << "op " << name << " of tests/ops/op_table.cpp has no golden case";
}

}  // namespace
}  // namespace golden
