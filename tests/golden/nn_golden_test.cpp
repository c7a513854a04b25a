// nn modules and losses compared with PyTorch 1.13 goldens (tests/fixtures/golden/nn_*.json,
// written by scripts/make_goldens.py). Modules load PyTorch's initial parameters
// (descent's init RNG differs), so outputs, input gradients and parameter gradients
// must all match; Dropout in training mode, whose mask is random, is checked for structure.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <set>

#include "golden.hpp"
#include "golden_runner.hpp"

namespace golden {
namespace {

namespace dc = descent;
namespace nn = descent::nn;
using X = std::vector<Tensor>;
using V = std::vector<Tensor>;

// ---- modules -----------------------------------------------------------------------------
using ModuleFactory = std::function<std::shared_ptr<nn::Module>(const json& config, DType dtype)>;

dc::Generator& dropout_generator() {
    static dc::Generator g(20240501);  // a fixed stream: the structural checks never flake
    return g;
}

const std::map<std::string, ModuleFactory>& module_factories() {
    static const std::map<std::string, ModuleFactory> table = {
        {"Linear",
         [](const json& c, DType dt) {
             return std::make_shared<nn::Linear>(c.at("in_features").get<std::int64_t>(),
                                                 c.at("out_features").get<std::int64_t>(),
                                                 nn::LinearOptions{.bias = c.value("bias", true), .dtype = dt});
         }},
        {"Identity", [](const json&, DType) { return std::make_shared<nn::Identity>(); }},
        {"Flatten",
         [](const json& c, DType) {
             return std::make_shared<nn::Flatten>(c.value("start_dim", std::int64_t{1}),
                                                  c.value("end_dim", std::int64_t{-1}));
         }},
        {"Dropout",
         [](const json& c, DType) { return std::make_shared<nn::Dropout>(c.at("p").get<double>(), &dropout_generator()); }},
        {"ReLU", [](const json&, DType) { return std::make_shared<nn::ReLU>(); }},
        {"LeakyReLU",
         [](const json& c, DType) { return std::make_shared<nn::LeakyReLU>(c.value("negative_slope", 0.01)); }},
        {"Sigmoid", [](const json&, DType) { return std::make_shared<nn::Sigmoid>(); }},
        {"Tanh", [](const json&, DType) { return std::make_shared<nn::Tanh>(); }},
        {"GELU",
         [](const json& c, DType) { return std::make_shared<nn::GELU>(nn::GELUOptions{.approximate = c.value("approximate", std::string("none"))}); }},
        {"Softmax", [](const json& c, DType) { return std::make_shared<nn::Softmax>(c.at("dim").get<std::int64_t>()); }},
        {"LogSoftmax",
         [](const json& c, DType) { return std::make_shared<nn::LogSoftmax>(c.at("dim").get<std::int64_t>()); }},
        {"Sequential",
         [](const json&, DType dt) {  // the generator's MLP: Linear(3, 4), ReLU, Linear(4, 2), Sigmoid
             return std::make_shared<nn::Sequential>(nn::Linear(3, 4, {.dtype = dt}), nn::ReLU(),
                                                     nn::Linear(4, 2, {.dtype = dt}), nn::Sigmoid());
         }},
    };
    return table;
}

// Dropout in training mode: every output is 0 or x / (1 - p), the input gradient is
// the upstream gradient through the same mask, and the kept fraction is near 1 - p.
Deviation check_dropout_structure(const json& c, const Tensor& x, const Tensor& y, const Tensor& g) {
    Deviation d;
    const double p = c.at("config").at("p").get<double>();
    const double scale = 1.0 / (1.0 - p);
    const auto xs = x.to_vector<double>(), ys = y.to_vector<double>(), gs = g.to_vector<double>();
    const auto dx = x.grad().defined() ? x.grad().to_vector<double>() : std::vector<double>(xs.size(), 0.0);
    const double eps = x.dtype() == dc::kFloat64 ? 1e-15 : 1e-6;  // x·(1/(1-p)) vs x/(1-p): one rounding
    std::size_t kept = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const bool keep = ys[i] != 0.0;  // inputs are randn draws, never exactly 0
        kept += keep;
        const double want_y = keep ? xs[i] * scale : 0.0, want_dx = keep ? gs[i] * scale : 0.0;
        if (std::abs(ys[i] - want_y) > eps * std::abs(want_y) || std::abs(dx[i] - want_dx) > eps * std::abs(want_dx)) {
            d.error = "element " + std::to_string(i) + ": y = " + std::to_string(ys[i]) + ", dx = " +
                      std::to_string(dx[i]) + " for x = " + std::to_string(xs[i]) + ", g = " + std::to_string(gs[i]);
            return d;
        }
    }
    // 500 Bernoulli draws: the kept fraction's std is ≤ 0.023, so ±0.1 is > 4 sigma (and the
    // generator is seeded, so the test is deterministic).
    const double frac = static_cast<double>(kept) / static_cast<double>(xs.size());
    if (std::abs(frac - (1.0 - p)) > 0.1)
        d.error = "kept fraction " + std::to_string(frac) + ", expected about " + std::to_string(1.0 - p);
    return d;
}

OpFn module_op(const std::string& name, const json& c, std::vector<std::pair<std::string, Tensor>>& params) {
    const auto f = module_factories().find(name);
    if (f == module_factories().end()) return nullptr;
    return [&params, &c, factory = f->second](const X& x, const json& config) -> V {
        const DType dt = dtype_from(c.at("dtype").get<std::string>());
        std::shared_ptr<nn::Module> m = factory(config, dt);
        dc::StateDict state;
        for (const auto& [pname, p] : c.at("params").items()) state.insert(pname, tensor_from(p));
        m->load_state_dict(state);  // strict: names and shapes must be PyTorch's
        m->train(c.at("train").get<bool>());
        params = m->named_parameters();
        return {(*m)(x[0])};
    };
}

// ---- losses ------------------------------------------------------------------------------
nn::Reduction reduction(const json& c) {
    const std::string r = c.at("reduction").get<std::string>();
    if (r == "none") return nn::Reduction::None;
    if (r == "mean") return nn::Reduction::Mean;
    if (r == "sum") return nn::Reduction::Sum;
    throw std::runtime_error("unknown reduction " + r);
}

// Extra inputs (weight, pos_weight) by the names the golden gives them.
Tensor extra(const X& x, const json& c, const std::string& name) {
    if (!c.contains("extra")) return Tensor();
    const auto names = c.at("extra").get<std::vector<std::string>>();
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == name) return x.at(i + 2);
    return Tensor();
}

const Dispatch& losses() {
    static const Dispatch t = [] {
        Dispatch t;
        t["MSELoss"] = [](const X& x, const json& c) -> V {
            return {nn::MSELoss({.reduction = reduction(c)})(x[0], x[1])};
        };
        t["L1Loss"] = [](const X& x, const json& c) -> V {
            return {nn::L1Loss({.reduction = reduction(c)})(x[0], x[1])};
        };
        t["HuberLoss"] = [](const X& x, const json& c) -> V {
            return {nn::HuberLoss({.reduction = reduction(c), .delta = c.value("delta", 1.0)})(x[0], x[1])};
        };
        t["SmoothL1Loss"] = [](const X& x, const json& c) -> V {
            return {nn::SmoothL1Loss({.reduction = reduction(c), .beta = c.value("beta", 1.0)})(x[0], x[1])};
        };
        t["BCELoss"] = [](const X& x, const json& c) -> V {
            return {nn::BCELoss({.weight = extra(x, c, "weight"), .reduction = reduction(c)})(x[0], x[1])};
        };
        t["BCEWithLogitsLoss"] = [](const X& x, const json& c) -> V {
            return {nn::BCEWithLogitsLoss({.weight = extra(x, c, "weight"),
                                           .reduction = reduction(c),
                                           .pos_weight = extra(x, c, "pos_weight")})(x[0], x[1])};
        };
        t["CrossEntropyLoss"] = [](const X& x, const json& c) -> V {
            return {nn::CrossEntropyLoss({.weight = extra(x, c, "weight"),
                                          .ignore_index = c.value("ignore_index", std::int64_t{-100}),
                                          .reduction = reduction(c),
                                          .label_smoothing = c.value("label_smoothing", 0.0)})(x[0], x[1])};
        };
        t["NLLLoss"] = [](const X& x, const json& c) -> V {
            const nn::NLLLoss loss({.weight = extra(x, c, "weight"),
                                    .ignore_index = c.value("ignore_index", std::int64_t{-100}),
                                    .reduction = reduction(c)});
            return {loss(c.value("input_log_softmax", false) ? dc::log_softmax(x[0], 1) : x[0], x[1])};
        };
        return t;
    }();
    return t;
}

// ---- tolerances --------------------------------------------------------------------------
// See Tol in golden.hpp; float32 eps is 1.2e-7, float64 eps 2.2e-16.
// Parameter-free modules that move values (Identity, Flatten, ReLU, LeakyReLU, Dropout):
// bit-identical to PyTorch.
constexpr Tol kExact{0, 0};
// Linear and Sequential: dot products whose summation order differs from PyTorch's GEMM
// (up to ~n·eps relative to Σ|terms|), and parameter gradients that sum over the batch.
constexpr Tol kSum32{1e-5, 2e-6}, kSum64{1e-13, 4e-15};
// Sigmoid, Tanh, GELU: libm against PyTorch's vectorized SLEEF, about 1 ulp each, and GELU's
// 1 + erf(x/√2) cancellation for x < 0 (a few eps·|x| absolute).
constexpr Tol kLibm32{4e-6, 1e-7, 4}, kLibm64{1e-14, 1e-16, 4};
// Softmax, LogSoftmax and every loss: exp/log (as above), a sum or mean over the batch, and
// x − max cancellation for large logits (4 eps of the largest input, absolute).
constexpr Tol kLoss32{1e-5, 2e-6, 4}, kLoss64{1e-13, 4e-15, 4};

Tols tols_for(const std::string& op, DType dtype) {
    const bool f64 = dtype == dc::kFloat64;
    static const std::set<std::string> exact = {"Identity", "Flatten", "ReLU", "LeakyReLU", "Dropout"};
    if (exact.count(op)) return {kExact, kExact};
    if (op == "Linear" || op == "Sequential") return f64 ? Tols{kSum64, kSum64} : Tols{kSum32, kSum32};
    if (op == "Sigmoid" || op == "Tanh" || op == "GELU") return f64 ? Tols{kLibm64, kSum64} : Tols{kLibm32, kSum32};
    return f64 ? Tols{kLoss64, kLoss64} : Tols{kLoss32, kLoss32};
}

TEST(Golden, NnModules) {
    const json doc = load("nn_modules");
    Summary summary;
    std::map<std::string, Deviation> per_op;
    for (const json& c : doc.at("cases")) {
        const std::string id = c.at("id").get<std::string>(), op = c.at("op").get<std::string>();
        const DType dt = dtype_from(c.at("dtype").get<std::string>());
        std::vector<std::pair<std::string, Tensor>> params;
        const OpFn fn = module_op(op, c, params);
        if (!fn) {
            ADD_FAILURE() << "nn_modules: no factory for module '" << op << "' (case " << id << ")";
            continue;
        }
        Deviation d;
        try {
            CaseResult r;
            for (const json& in : c.at("inputs")) r.inputs.push_back(input_from(in));
            r.outputs = fn(r.inputs, c.at("config"));
            r.params = params;
            if (c.value("structural", false)) {
                const Tensor g = grad_outputs(c).at(0);
                d = check_case(c, r, {}, {});  // shapes and dtypes; runs backward
                d.merge(check_dropout_structure(c, r.inputs[0], r.outputs[0], g));
            } else {
                const Tols t = tols_for(op, dt);
                d = check_case(c, r, effective(t.out, dt, r.inputs), effective(t.grad, dt, r.inputs));
            }
        } catch (const std::exception& e) {
            d.error = std::string("threw: ") + e.what();
        }
        summary.add(c.at("dtype").get<std::string>(), d);
        per_op[op + " " + c.at("dtype").get<std::string>()].merge(d);
        EXPECT_TRUE(d.ok()) << id << ": " << (d.error.empty() ? d.where : d.error) << " (worst/tolerance " << d.ratio
                            << ", abs err " << d.abs_err << ")";
    }
    for (const auto& [key, d] : per_op)
        std::cout << "[golden]   " << key << ": abs " << d.abs_err << " rel " << d.rel_err << " ratio " << d.ratio
                  << "\n";
    summary.print("nn_modules");
}

TEST(Golden, NnLosses) { run_family("nn_losses", losses(), tols_for); }

// Every module and loss of issue 2 has golden cases (so none is silently untested).
TEST(Golden, EveryModuleAndLossHasACase) {
    std::set<std::string> modules, losses_seen;
    const json module_doc = load("nn_modules"), loss_doc = load("nn_losses");
    for (const json& c : module_doc.at("cases")) modules.insert(c.at("op").get<std::string>());
    for (const json& c : loss_doc.at("cases")) losses_seen.insert(c.at("op").get<std::string>());
    for (const auto& [name, _] : module_factories()) EXPECT_TRUE(modules.count(name)) << "no golden for module " << name;
    for (const auto& [name, _] : losses()) EXPECT_TRUE(losses_seen.count(name)) << "no golden for loss " << name;
}

}  // namespace
}  // namespace golden
