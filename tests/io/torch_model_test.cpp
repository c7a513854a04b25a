// A model round trip through PyTorch: the state_dict torch saved
// (scripts/make_safetensors_fixture.py) loads strictly into the same architecture
// built here and reproduces torch's eval-mode output; saved by descent, it loads
// back unchanged (and into torch with the script's --check).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "descent/io/safetensors.hpp"
#include "descent/nn.hpp"
#include "descent/nn/normalization.hpp"
#include "descent/ops.hpp"

using namespace descent;

namespace {
std::vector<float> floats(const nlohmann::json& j) {
    std::vector<float> v;
    for (const auto& x : j.at("values")) v.push_back(static_cast<float>(x.get<double>()));
    return v;
}
}  // namespace

TEST(TorchModel, LoadsTorchsStateDictAndReproducesItsOutput) {
    std::ifstream in(std::string(DESCENT_TEST_DATA) + "/io/torch_expected.json");
    const nlohmann::json want = nlohmann::json::parse(in).at("forward");

    nn::Sequential model(nn::Linear(4, 8), nn::BatchNorm1d(8), nn::ReLU(), nn::Linear(8, 3));
    model.load_state_dict(io::load_safetensors(std::string(DESCENT_TEST_DATA) + "/io/torch_model.safetensors"));
    model.eval();
    Tensor x = Tensor::from(floats(want.at("input")), {2, 4});
    Tensor y = model(x);
    // float32 through two matmuls and a batch norm: sums of ≤ 8 products in another order than
    // torch's differ by a few ulps of values ~0.1–1, so 1e-6 absolute + 1e-5 relative is ample.
    EXPECT_TRUE(allclose(y, Tensor::from(floats(want.at("output")), {2, 3}), 1e-5, 1e-6)) << y;

    // descent → file → descent: the same parameters and buffers, names unchanged.
    const std::string path = std::string(DESCENT_BINARY_DIR) + "/descent_model_roundtrip.safetensors";
    io::save_safetensors(path, model.state_dict());
    nn::Sequential again(nn::Linear(4, 8), nn::BatchNorm1d(8), nn::ReLU(), nn::Linear(8, 3));
    again.load_state_dict(io::load_safetensors(path));
    again.eval();
    EXPECT_EQ(again(x).to_vector<float>(), y.to_vector<float>());
    std::filesystem::remove(path);
}

TEST(TorchModel, MismatchedModelIsAClearError) {
    nn::Sequential wrong(nn::Linear(4, 16), nn::BatchNorm1d(16), nn::ReLU(), nn::Linear(16, 3));
    try {
        wrong.load_state_dict(io::load_safetensors(std::string(DESCENT_TEST_DATA) + "/io/torch_model.safetensors"));
        FAIL() << "a [16, 4] weight accepted [8, 4] values";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("0.weight"), std::string::npos) << e.what();
    }
}
