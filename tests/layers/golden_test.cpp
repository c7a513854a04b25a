// Every layer against PyTorch 1.13 (goldens from scripts/make_layer_goldens.py):
// outputs, input gradients and parameter gradients for a fixed upstream gradient,
// BatchNorm's running statistics after each step, MaxPool2d's indices; in float64
// and float32. The inputs and expected values are float64 from PyTorch.
//
// Tolerances (|Δ| ≤ atol + rtol·|expected|):
//   float64: 1e-10. Only the summation order differs from PyTorch (worst seen ~1e-14),
//            so this is loose enough for any order and still catches a formula slip.
//   float32: 2e-5 atol, 1e-4 rtol. Inputs are rounded to float32 (2^-24 relative) and
//            sums of up to 75 products of O(1) values accumulate float32 rounding:
//            about √75 · 2^-24 · Σ|terms| ≈ 1e-6..1e-5 on these cases.
#include <gtest/gtest.h>

#include "layer_test_util.hpp"

using namespace descent;
using namespace layer_test;

namespace {

Tol tol_for(DType dtype) { return dtype == kFloat64 ? Tol{1e-10, 1e-10} : Tol{2e-5, 1e-4}; }

[[maybe_unused]] auto* const report = ::testing::AddGlobalTestEnvironment(new DeviationReport);

void set(Tensor param, const Tensor& value) {
    NoGradGuard no_grad;
    param.copy_(value);
}

// x from the golden, as a leaf that requires grad.
Tensor input_of(const json& c, DType dt) { return tensor_of(c.at("input"), dt).requires_grad_(); }

class Golden : public ::testing::TestWithParam<DType> {};

TEST_P(Golden, Conv2d) {
    const DType dt = GetParam();
    const std::string key = std::string("conv2d ") + dtype_key(dt);
    for (const json& c : load_cases("conv2d.json")) {
        const std::string name = c.at("name");
        const Tensor w = tensor_of(c.at("weight"), dt);
        const bool has_bias = c.contains("bias");
        const std::int64_t groups = c.at("groups");
        nn::Conv2d conv(w.size(1) * groups, w.size(0), size2_of(c.at("kernel")),
                        {.stride = size2_of(c.at("stride")), .padding = size2_of(c.at("padding")),
                         .dilation = size2_of(c.at("dilation")), .groups = groups, .bias = has_bias});
        conv.to(dt);
        set(conv.weight, w);
        if (has_bias) set(conv.bias, tensor_of(c.at("bias"), dt));
        Tensor x = input_of(c, dt);
        Tensor y = conv(x);
        y.backward(tensor_of(c.at("grad_output"), dt));
        expect_close(y, c.at("output"), tol_for(dt), key, name + " output");
        expect_close(x.grad(), c.at("grad_input"), tol_for(dt), key, name + " grad_input");
        expect_close(conv.weight.grad(), c.at("grad_weight"), tol_for(dt), key, name + " grad_weight");
        if (has_bias) expect_close(conv.bias.grad(), c.at("grad_bias"), tol_for(dt), key, name + " grad_bias");
    }
}

TEST_P(Golden, MaxPool2d) {
    const DType dt = GetParam();
    const std::string key = std::string("max_pool2d ") + dtype_key(dt);
    for (const json& c : load_cases("max_pool2d.json")) {
        const std::string name = c.at("name");
        const MaxPool2dArgs args{.stride = size2_of(c.at("stride")), .padding = size2_of(c.at("padding")),
                                 .dilation = size2_of(c.at("dilation")), .ceil_mode = c.at("ceil_mode")};
        nn::MaxPool2d pool(size2_of(c.at("kernel")), args);
        Tensor x = input_of(c, dt);
        Tensor y = pool(x);
        y.backward(tensor_of(c.at("grad_output"), dt));
        expect_close(y, c.at("output"), tol_for(dt), key, name + " output");
        expect_close(x.grad(), c.at("grad_input"), tol_for(dt), key, name + " grad_input");
        // The chosen elements, ties included (first maximum in row-major order), exactly.
        const ValuesIndices vi = max_pool2d_with_indices(x.detach(), size2_of(c.at("kernel")), args);
        EXPECT_EQ(vi.indices.dtype(), kInt64);
        EXPECT_EQ(vi.indices.shape(), c.at("indices").at("shape").get<Shape>()) << name;
        EXPECT_EQ(vi.indices.to_vector<std::int64_t>(), c.at("indices").at("data").get<std::vector<std::int64_t>>())
            << name;
    }
}

TEST_P(Golden, AvgPool2d) {
    const DType dt = GetParam();
    const std::string key = std::string("avg_pool2d ") + dtype_key(dt);
    for (const json& c : load_cases("avg_pool2d.json")) {
        const std::string name = c.at("name");
        AvgPool2dArgs args{.stride = size2_of(c.at("stride")), .padding = size2_of(c.at("padding")),
                           .ceil_mode = c.at("ceil_mode"), .count_include_pad = c.at("count_include_pad")};
        if (!c.at("divisor_override").is_null()) args.divisor_override = c.at("divisor_override").get<std::int64_t>();
        nn::AvgPool2d pool(size2_of(c.at("kernel")), args);
        Tensor x = input_of(c, dt);
        Tensor y = pool(x);
        y.backward(tensor_of(c.at("grad_output"), dt));
        expect_close(y, c.at("output"), tol_for(dt), key, name + " output");
        expect_close(x.grad(), c.at("grad_input"), tol_for(dt), key, name + " grad_input");
    }
}

TEST_P(Golden, AdaptiveAvgPool2d) {
    const DType dt = GetParam();
    const std::string key = std::string("adaptive_avg_pool2d ") + dtype_key(dt);
    for (const json& c : load_cases("adaptive_avg_pool2d.json")) {
        const std::string name = c.at("name");
        nn::AdaptiveAvgPool2d pool(size2_of(c.at("output_size")));
        Tensor x = input_of(c, dt);
        Tensor y = pool(x);
        y.backward(tensor_of(c.at("grad_output"), dt));
        expect_close(y, c.at("output"), tol_for(dt), key, name + " output");
        expect_close(x.grad(), c.at("grad_input"), tol_for(dt), key, name + " grad_input");
    }
}

// Each case is a sequence of train/eval steps on one module: outputs and gradients of
// every step, and the running statistics after it (they carry over to the next step).
TEST_P(Golden, BatchNorm) {
    const DType dt = GetParam();
    const std::string key = std::string("batch_norm ") + dtype_key(dt);
    for (const json& c : load_cases("batch_norm.json")) {
        const std::string name = c.at("name");
        nn::BatchNormOptions opts{.eps = c.at("eps"), .momentum = std::nullopt, .affine = c.at("affine"),
                              .track_running_stats = c.at("track_running_stats")};
        if (!c.at("momentum").is_null()) opts.momentum = c.at("momentum").get<double>();
        const std::int64_t features = c.at("num_features");
        std::unique_ptr<nn::BatchNormBase> bn;
        if (c.at("module") == "BatchNorm1d") bn = std::make_unique<nn::BatchNorm1d>(features, opts);
        else bn = std::make_unique<nn::BatchNorm2d>(features, opts);
        bn->to(dt);
        if (opts.affine) {
            set(bn->weight, tensor_of(c.at("weight"), dt));
            set(bn->bias, tensor_of(c.at("bias"), dt));
        }
        int step_no = 0;
        for (const json& s : c.at("steps")) {
            const std::string what = name + " step " + std::to_string(step_no++) + " (" + s.at("mode").get<std::string>() + ")";
            bn->train(s.at("mode") == "train");
            bn->zero_grad();
            Tensor x = input_of(s, dt);
            Tensor y = (*bn)(x);
            y.backward(tensor_of(s.at("grad_output"), dt));
            expect_close(y, s.at("output"), tol_for(dt), key, what + " output");
            expect_close(x.grad(), s.at("grad_input"), tol_for(dt), key, what + " grad_input");
            if (opts.affine) {
                expect_close(bn->weight.grad(), s.at("grad_weight"), tol_for(dt), key, what + " grad_weight");
                expect_close(bn->bias.grad(), s.at("grad_bias"), tol_for(dt), key, what + " grad_bias");
            }
            if (opts.track_running_stats) {
                expect_close(bn->running_mean, s.at("running_mean"), tol_for(dt), key, what + " running_mean");
                expect_close(bn->running_var, s.at("running_var"), tol_for(dt), key, what + " running_var");
                EXPECT_EQ(bn->num_batches_tracked.item<std::int64_t>(), s.at("num_batches_tracked").get<std::int64_t>())
                    << what;
            } else {
                EXPECT_FALSE(bn->running_mean.defined()) << what;
            }
        }
    }
}

TEST_P(Golden, LayerNorm) {
    const DType dt = GetParam();
    const std::string key = std::string("layer_norm ") + dtype_key(dt);
    for (const json& c : load_cases("layer_norm.json")) {
        const std::string name = c.at("name");
        const bool affine = c.at("elementwise_affine");
        nn::LayerNorm ln(c.at("normalized_shape").get<Shape>(), {.eps = c.at("eps"), .elementwise_affine = affine});
        ln.to(dt);
        if (affine) {
            set(ln.weight, tensor_of(c.at("weight"), dt));
            set(ln.bias, tensor_of(c.at("bias"), dt));
        }
        Tensor x = input_of(c, dt);
        Tensor y = ln(x);
        y.backward(tensor_of(c.at("grad_output"), dt));
        expect_close(y, c.at("output"), tol_for(dt), key, name + " output");
        expect_close(x.grad(), c.at("grad_input"), tol_for(dt), key, name + " grad_input");
        if (affine) {
            expect_close(ln.weight.grad(), c.at("grad_weight"), tol_for(dt), key, name + " grad_weight");
            expect_close(ln.bias.grad(), c.at("grad_bias"), tol_for(dt), key, name + " grad_bias");
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Layers, Golden, ::testing::Values(kFloat32, kFloat64),
                         [](const auto& info) { return std::string(dtype_key(info.param)); });

}  // namespace
