// Helpers of the layer tests: reading the PyTorch goldens of
// tests/fixtures/layers/ (written by scripts/make_layer_goldens.py), comparing
// tensors with per-dtype tolerances, and keeping the worst deviation seen per
// op and dtype so the suite can print it.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "descent/descent.hpp"

namespace layer_test {

using descent::DType;
using descent::Shape;
using descent::Tensor;
using json = nlohmann::json;

/// The "cases" array of tests/fixtures/layers/<file>.
inline json load_cases(const std::string& file) {
    const std::string path = std::string(DESCENT_TEST_DATA) + "/layers/" + file;
    std::ifstream in(path);
    if (!in) throw std::runtime_error("missing golden file " + path + " (run scripts/make_layer_goldens.py)");
    return json::parse(in).at("cases");
}

/// A golden {"shape", "data"} as a tensor of `dtype`.
inline Tensor tensor_of(const json& j, DType dtype) {
    const Shape shape = j.at("shape").get<Shape>();
    if (dtype == descent::kInt64) return Tensor::from(j.at("data").get<std::vector<std::int64_t>>(), shape);
    return Tensor::from(j.at("data").get<std::vector<double>>(), shape, {.dtype = dtype});
}

inline descent::Size2 size2_of(const json& j) { return {j.at(0).get<std::int64_t>(), j.at(1).get<std::int64_t>()}; }

/// Tolerance of a golden comparison: |actual − expected| ≤ atol + rtol·|expected|.
struct Tol {
    double atol, rtol;
};

/// Worst |actual − expected| per "op dtype" key, printed at the end of the run.
inline std::map<std::string, std::pair<double, std::string>>& worst_deviations() {
    static std::map<std::string, std::pair<double, std::string>> worst;
    return worst;
}

/// Expects `actual` to match the golden `expected` within `tol`; records the deviation under `key`.
inline void expect_close(const Tensor& actual, const json& expected, Tol tol, const std::string& key,
                         const std::string& what) {
    ASSERT_TRUE(actual.defined()) << what << ": undefined";
    const Shape shape = expected.at("shape").get<Shape>();
    ASSERT_EQ(actual.shape(), shape) << what << ": shape " << descent::shape_str(actual.shape()) << " vs golden "
                                     << descent::shape_str(shape);
    const std::vector<double> a = actual.to_vector<double>();
    const std::vector<double> e = expected.at("data").get<std::vector<double>>();
    double worst = 0;
    std::size_t bad = 0, first_bad = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double d = std::abs(a[i] - e[i]);
        worst = std::max(worst, d);
        if (!(d <= tol.atol + tol.rtol * std::abs(e[i]))) {  // also catches NaN
            if (bad++ == 0) first_bad = i;
        }
    }
    EXPECT_EQ(bad, 0u) << what << ": " << bad << " of " << a.size() << " elements off; first at flat index "
                       << first_bad << ": " << a[first_bad] << " vs golden " << e[first_bad] << " (atol " << tol.atol
                       << ", rtol " << tol.rtol << ")";
    auto& [w, where] = worst_deviations()[key];
    if (worst >= w) w = worst, where = what;
}

/// Prints the worst deviations once, after all tests ran.
class DeviationReport : public ::testing::Environment {
public:
    void TearDown() override {
        std::printf("\nWorst |descent - PyTorch| per op and dtype:\n");
        for (const auto& [key, v] : worst_deviations())
            std::printf("  %-32s %.3g  (%s)\n", key.c_str(), v.first, v.second.c_str());
    }
};

inline const char* dtype_key(DType d) { return d == descent::kFloat32 ? "float32" : "float64"; }

}  // namespace layer_test
