// The loop every golden test shares: for each case of a family, build the inputs,
// call the op (or module, or loss) the dispatcher maps the case's name to, and
// compare outputs and gradients with PyTorch's. Unknown names fail the test.
#pragma once
#include <gtest/gtest.h>

#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "golden.hpp"

namespace golden {

/// op name -> the descent call on the case's inputs and config.
using OpFn = std::function<std::vector<Tensor>(const std::vector<Tensor>&, const json&)>;
using Dispatch = std::map<std::string, OpFn>;

/// Output and gradient tolerances for one op and dtype.
struct Tols {
    Tol out, grad;
};
using TolFn = std::function<Tols(const std::string& op, DType dtype)>;

/// Runs every case of tests/fixtures/golden/<family>.json; returns the op names seen.
inline std::set<std::string> run_family(const std::string& family, const Dispatch& dispatch, const TolFn& tols) {
    const json doc = load(family);
    Summary summary;
    std::map<std::string, Deviation> per_op;  // "op dtype" -> worst
    std::set<std::string> seen;
    EXPECT_FALSE(doc.at("cases").empty()) << family << ": no cases";
    for (const json& c : doc.at("cases")) {
        const std::string id = c.at("id").get<std::string>();
        const std::string op = c.at("op").get<std::string>();
        const std::string dtype = c.at("dtype").get<std::string>();
        seen.insert(op);
        const auto fn = dispatch.find(op);
        if (fn == dispatch.end()) {
            ADD_FAILURE() << family << ": no dispatcher entry for op '" << op << "' (case " << id << ")";
            continue;
        }
        Deviation d;
        try {
            CaseResult r;
            for (const json& in : c.at("inputs")) r.inputs.push_back(input_from(in));
            r.outputs = fn->second(r.inputs, c.at("config"));
            const Tols t = tols(op, dtype_from(dtype));
            const DType dt = dtype_from(dtype);
            d = check_case(c, r, effective(t.out, dt, r.inputs), effective(t.grad, dt, r.inputs));
        } catch (const std::exception& e) {
            d.error = std::string("threw: ") + e.what();
        }
        summary.add(dtype, d);
        per_op[op + " " + dtype].merge(d);
        EXPECT_TRUE(d.ok()) << id << ": " << (d.error.empty() ? d.where : d.error) << " (worst/tolerance "
                            << d.ratio << ", abs err " << d.abs_err << ")";
    }
    for (const auto& [key, d] : per_op)
        std::cout << "[golden]   " << key << ": abs " << d.abs_err << " rel " << d.rel_err << " ratio " << d.ratio
                  << "\n";
    summary.print(family);
    return seen;
}

}  // namespace golden
