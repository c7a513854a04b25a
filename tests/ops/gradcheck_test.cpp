// Runs gradcheck over every row of the op table (tests/ops/op_table.cpp), in
// contiguous and non-contiguous layouts, and fails when a public op declared in
// include/descent/ops/*.hpp is missing from the table.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "descent/descent.hpp"
#include "op_table.hpp"

using namespace descent;
using namespace descent::testing;

namespace {

struct Case {
    std::size_t row, index;
};

std::vector<Case> all_cases() {
    std::vector<Case> out;
    for (std::size_t r = 0; r < op_table().size(); ++r)
        for (std::size_t c = 0; c < op_table()[r].cases.size(); ++c) out.push_back({r, c});
    return out;
}

class OpGradcheck : public ::testing::TestWithParam<Case> {};

std::uint64_t seed_of(const Case& c) { return 1000 + 64 * c.row + c.index; }

TEST_P(OpGradcheck, MatchesFiniteDifferences) {
    const OpEntry& entry = op_table()[GetParam().row];
    const Inputs& specs = entry.cases[GetParam().index];
    for (Layout layout : {Layout::Contiguous, Layout::NonContiguous}) {
        const bool strided = layout == Layout::NonContiguous;
        const std::vector<Tensor> inputs = make_inputs(specs, layout, seed_of(GetParam()));
        const GradcheckResult r = gradcheck(entry.fn, inputs, entry.tol);
        EXPECT_TRUE(r.ok) << entry.name << (strided ? " (non-contiguous inputs): " : ": ") << r.message;
    }
}

// The strided kernels must compute what the contiguous ones do, bit for bit up to
// summation order (reductions may add in another order: 1e-12 relative).
TEST_P(OpGradcheck, NonContiguousInputsGiveTheSameOutput) {
    const OpEntry& entry = op_table()[GetParam().row];
    const Inputs& specs = entry.cases[GetParam().index];
    const Tensor a = entry.fn(make_inputs(specs, Layout::Contiguous, seed_of(GetParam())));
    const Tensor b = entry.fn(make_inputs(specs, Layout::NonContiguous, seed_of(GetParam())));
    EXPECT_EQ(a.shape(), b.shape());
    EXPECT_TRUE(allclose(a, b, 1e-12, 1e-12)) << entry.name << ": " << a << " vs " << b;
}

INSTANTIATE_TEST_SUITE_P(OpTable, OpGradcheck, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                             return case_name(info.param.row, info.param.index);
                         });

// ---- coverage: every public op is in the table ----------------------------------------------

// The repository root: DESCENT_SOURCE_DIR from CMake, else three levels above this file.
std::filesystem::path source_dir() {
#ifdef DESCENT_SOURCE_DIR
    return DESCENT_SOURCE_DIR;
#else
    return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
#endif
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Name → number of declarations of every function in include/descent/ops/*.hpp
// that returns a tensor (Tensor, std::vector<Tensor>, a struct of tensors such as
// ValuesIndices, ...). Operators (`operator+`) forward to named functions and are
// not listed. Each file's name is kept for the error message.
std::map<std::string, std::pair<int, std::string>> declared_ops() {
    const std::filesystem::path dir = source_dir() / "include" / "descent" / "ops";
    std::map<std::string, std::pair<int, std::string>> ops;
    std::vector<std::pair<std::string, std::string>> files;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".hpp") files.emplace_back(e.path().filename().string(), read_file(e.path()));
    // Structs holding tensors: functions returning them are ops too.
    std::set<std::string> tensor_structs;
    const std::regex struct_re(R"(struct\s+(\w+)\s*\{([^}]*)\})");
    for (const auto& [name, text] : files)
        for (std::sregex_iterator it(text.begin(), text.end(), struct_re), end; it != end; ++it)
            if ((*it)[2].str().find("Tensor ") != std::string::npos) tensor_structs.insert((*it)[1].str());
    // A declaration starts a line: [inline] <return type> <lower-case name>(
    const std::regex decl_re(R"(^\s*(?:\[\[\w+\]\]\s*)?(?:inline\s+)?(?:constexpr\s+)?([A-Za-z_][\w:<>,& ]*?)\s+([a-z_]\w*)\s*\()");
    for (const auto& [file, text] : files) {
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);) {
            if (auto c = line.find("//"); c != std::string::npos) line.erase(c);
            std::smatch m;
            if (!std::regex_search(line, m, decl_re)) continue;
            const std::string type = m[1].str();
            const bool returns_tensor = type.find("Tensor") != std::string::npos || tensor_structs.count(type) > 0;
            if (!returns_tensor || type.rfind("return", 0) == 0) continue;
            auto& [count, where] = ops[m[2].str()];
            ++count;
            where = file;
        }
    }
    return ops;
}

TEST(OpTable, EveryPublicOpIsInTheTableOrListedAsNonDifferentiable) {
    const auto declared = declared_ops();
    ASSERT_GT(declared.size(), 40u) << "the header scan of " << source_dir().string()
                                    << "/include/descent/ops found too few ops; is the source dir right?";
    std::map<std::string, int> rows;
    for (const auto& e : op_table()) ++rows[e.name];
    std::set<std::string> exempt;
    for (const auto& [name, why] : non_differentiable_ops()) exempt.insert(name);
    for (const auto& [name, info] : declared) {
        if (exempt.count(name)) continue;
        const auto& [count, file] = info;
        EXPECT_GT(rows[name], 0) << "op `" << name << "` (include/descent/ops/" << file
                                 << ") is missing from tests/ops/op_table.cpp: add a row, or list it in "
                                 << "non_differentiable_ops() with the reason";
        if (rows[name] > 0) {
            EXPECT_GE(rows[name], count) << "op `" << name << "` has " << count << " overloads in include/descent/ops/"
                                         << file << " but " << rows[name] << " rows in the op table: one row per "
                                         << "overload";
        }
    }
}

TEST(OpTable, EveryRowNamesAPublicOp) {
    const auto declared = declared_ops();
    for (const auto& e : op_table())
        EXPECT_TRUE(declared.count(e.name)) << "op table row `" << e.name << "` names no function of include/descent/ops";
    for (const auto& [name, why] : non_differentiable_ops())
        EXPECT_TRUE(declared.count(name)) << "non-differentiable `" << name << "` names no function of include/descent/ops";
}

TEST(OpTable, NonDefaultTolerancesGiveAReason) {
    const GradcheckOptions defaults;
    for (const auto& e : op_table()) {
        const bool custom = e.tol.eps != defaults.eps || e.tol.atol != defaults.atol || e.tol.rtol != defaults.rtol;
        EXPECT_TRUE(!custom || !e.reason.empty()) << e.name << ": tolerances differ from the defaults without a reason";
    }
}

TEST(OpTable, NonContiguousLayoutIsStrided) {
    // The generator must really produce strided views, or the layout variant tests nothing.
    const auto in = make_inputs({R({3, 4}), R({5}), I({2, 1}, 3)}, Layout::NonContiguous, 7);
    for (const auto& t : in) EXPECT_FALSE(t.is_contiguous()) << shape_str(t.shape()) << " " << shape_str(t.strides());
    const auto same = make_inputs({R({3, 4}), R({5}), I({2, 1}, 3)}, Layout::Contiguous, 7);
    for (std::size_t i = 0; i < in.size(); ++i) {
        EXPECT_TRUE(same[i].is_contiguous());
        EXPECT_EQ(in[i].to_vector<double>(), same[i].to_vector<double>());
    }
    EXPECT_TRUE(in[0].requires_grad() && in[0].is_leaf());
    EXPECT_FALSE(in[2].requires_grad());
}

}  // namespace
