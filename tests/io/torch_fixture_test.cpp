// PyTorch → descent: files written by scripts/make_safetensors_fixture.py (a torch
// Sequential's state_dict and one tensor per dtype) load with the exact values
// torch recorded; saved again by descent, they are ready for the script's --check.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "descent/io/safetensors.hpp"

using namespace descent;
using namespace descent::io;

namespace {

nlohmann::json expected() {
    std::ifstream in(std::string(DESCENT_TEST_DATA) + "/io/torch_expected.json");
    return nlohmann::json::parse(in);
}

DType loads_as(const std::string& code) {
    if (code == "F32" || code == "F16" || code == "BF16") return kFloat32;
    if (code == "F64") return kFloat64;
    if (code == "BOOL") return kBool;
    return kInt64;
}

void check_file(const std::string& file) {
    const nlohmann::json want = expected().at(file);
    Metadata meta;
    StateDict sd = load_safetensors(std::string(DESCENT_TEST_DATA) + "/io/" + file, &meta);
    ASSERT_EQ(sd.size(), want.size());
    for (const auto& [name, info] : want.items()) {
        SCOPED_TRACE(file + ": " + name);
        const Tensor* t = sd.find(name);
        ASSERT_NE(t, nullptr);
        EXPECT_EQ(t->dtype(), loads_as(info.at("dtype").get<std::string>()));
        EXPECT_EQ(t->shape(), info.at("shape").get<Shape>());
        // Exact: torch's values were printed in full and every dtype here converts to double losslessly.
        if (t->is_floating_point()) {
            std::vector<double> values;  // the script writes infinities and NaN as strings
            for (const auto& v : info.at("values"))
                values.push_back(v.is_string() ? std::stod(v.get<std::string>()) : v.get<double>());
            const std::vector<double> got = t->to_vector<double>();
            ASSERT_EQ(got.size(), values.size());
            for (std::size_t i = 0; i < got.size(); ++i)
                if (!(std::isnan(got[i]) && std::isnan(values[i]))) {
                    EXPECT_EQ(got[i], values[i]) << "element " << i;
                }
        }
        else
            EXPECT_EQ(t->to_vector<std::int64_t>(), info.at("values").get<std::vector<std::int64_t>>());
    }
}

}  // namespace

TEST(TorchFixture, ModelStateDictLoadsWithTorchsNamesAndValues) {
    check_file("torch_model.safetensors");
    StateDict sd = load_safetensors(std::string(DESCENT_TEST_DATA) + "/io/torch_model.safetensors");
    EXPECT_TRUE(sd.contains("1.running_mean"));
    EXPECT_EQ(sd.at("1.num_batches_tracked").item<std::int64_t>(), 3);  // three forward passes in the script
}

TEST(TorchFixture, EveryDtypeLoads) { check_file("torch_dtypes.safetensors"); }

TEST(TorchFixture, SavedAgainForTorch) {
    // descent writes the torch model back; `make_safetensors_fixture.py --check <file>` loads it into torch.
    const std::string src = std::string(DESCENT_TEST_DATA) + "/io/torch_model.safetensors";
    const std::string dst = std::string(DESCENT_BINARY_DIR) + "/descent_saved_torch_model.safetensors";
    Metadata meta;
    StateDict sd = load_safetensors(src, &meta);
    EXPECT_EQ(meta, (Metadata{{"format", "pt"}}));
    save_safetensors(dst, sd, meta);
    StateDict back = load_safetensors(dst);
    for (const auto& [name, t] : sd) EXPECT_EQ(back.at(name).to_vector<double>(), t.to_vector<double>()) << name;
}
