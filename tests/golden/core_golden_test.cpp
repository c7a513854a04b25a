// The deterministic factories (arange, linspace, eye, full) compared with PyTorch 1.13
// goldens (tests/fixtures/golden/core_factories.json): lengths, dtypes and the rounding
// of each element, which PyTorch defines by a particular formula (linspace counts its
// second half back from `end`).
#include <gtest/gtest.h>

#include "golden.hpp"
#include "golden_runner.hpp"

namespace golden {
namespace {

namespace dc = descent;
using X = std::vector<Tensor>;
using V = std::vector<Tensor>;

dc::TensorOptions options(const json& c) {
    dc::TensorOptions o;
    if (c.contains("dtype") && !c.at("dtype").is_null()) o.dtype = dtype_from(c.at("dtype").get<std::string>());
    return o;
}

const Dispatch& factories() {
    static const Dispatch t = {
        {"arange",
         [](const X&, const json& c) -> V {
             return {Tensor::arange(c.at("start").get<double>(), c.at("end").get<double>(), c.at("step").get<double>(),
                                    options(c))};
         }},
        {"linspace",
         [](const X&, const json& c) -> V {
             return {Tensor::linspace(c.at("start").get<double>(), c.at("end").get<double>(),
                                      c.at("steps").get<std::int64_t>(), options(c))};
         }},
        {"eye", [](const X&, const json& c) -> V { return {Tensor::eye(c.at("n").get<std::int64_t>(), options(c))}; }},
        {"full",
         [](const X&, const json& c) -> V {
             return {Tensor::full(c.at("shape").get<dc::Shape>(), c.at("value").get<double>(), options(c))};
         }},
    };
    return t;
}

Tols tolerance(const std::string& op, DType dtype) {
    // linspace: PyTorch's AVX2 kernel evaluates start + step·i with a fused multiply-add (one
    // rounding fewer than the formula in plain arithmetic): up to 2 ulp of the result, and one
    // ulp of max(|start|, |end|) (≤ 10 in the goldens) where the result crosses zero.
    if (op == "linspace")
        return dtype == descent::kFloat64 ? Tols{Tol{4.5e-16, 2.5e-15}, {}} : Tols{Tol{2.4e-7, 1.2e-6}, {}};
    // arange, eye, full: one formula in double rounded once to the dtype, as PyTorch: bit-identical.
    return {Tol{0, 0}, Tol{0, 0}};
}

TEST(Golden, CoreFactories) {
    const auto seen = run_family("core_factories", factories(), tolerance);
    for (const auto& [name, _] : factories()) EXPECT_TRUE(seen.count(name)) << "no golden for factory " << name;
}

}  // namespace
}  // namespace golden
