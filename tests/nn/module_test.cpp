// nn::Module: the registry and everything derived from it (names, state dicts,
// train/eval, zero_grad) and the printout, checked against PyTorch's strings.
#include <gtest/gtest.h>

#include "descent/autograd/node.hpp"
#include "descent/descent.hpp"
#include "nn_test_util.hpp"

namespace descent {
namespace {
using nn_test::error_of;

// A user-defined module in the style of the design doc (children as member references).
struct Net : nn::Module {
    nn::Linear& fc1 = register_module("fc1", nn::Linear(3, 4));
    nn::Sequential& body = register_module("body", nn::Sequential(nn::ReLU(), nn::Linear(4, 2, {.bias = false})));
    Tensor scale = register_parameter("scale", Tensor::ones({2}));
    Tensor running = register_buffer("running", Tensor::zeros({2}));
    Tensor scratch = register_buffer("scratch", Tensor::zeros({1}), /*persistent=*/false);
    Tensor forward(const Tensor& x) override { return mul(body(fc1(x)), scale); }
};

std::vector<std::string> names_of(const std::vector<std::pair<std::string, Tensor>>& named) {
    std::vector<std::string> out;
    for (const auto& [n, t] : named) out.push_back(n);
    return out;
}

TEST(Module, NamedParametersUseDottedNamesInRegistrationOrder) {
    Net net;
    // Own parameters first, then each child's, as PyTorch's named_parameters.
    EXPECT_EQ(names_of(net.named_parameters()),
              (std::vector<std::string>{"scale", "fc1.weight", "fc1.bias", "body.1.weight"}));
    EXPECT_EQ(names_of(net.named_parameters(/*recurse=*/false)), (std::vector<std::string>{"scale"}));
    EXPECT_EQ(net.parameters().size(), 4u);
    EXPECT_TRUE(net.parameters()[1].is_same(net.fc1.weight));
    for (const Tensor& p : net.parameters()) EXPECT_TRUE(p.requires_grad());
    EXPECT_EQ(names_of(net.named_buffers()), (std::vector<std::string>{"running", "scratch"}));
    EXPECT_FALSE(net.running.requires_grad());
}

TEST(Module, SequentialNamesChildrenByIndex) {
    auto model = nn::Sequential(nn::Linear(2, 4), nn::ReLU(), nn::Linear(4, 1), nn::Sigmoid());
    EXPECT_EQ(names_of(model.named_parameters()),
              (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
    EXPECT_EQ(model.size(), 4u);
    EXPECT_EQ(model[1].name(), "ReLU");
    EXPECT_EQ(model.at<nn::Linear>(2).in_features, 4);
    EXPECT_NE(error_of([&] { model.at<nn::Linear>(1); }).find("module 1 is a ReLU"), std::string::npos);
    EXPECT_NE(error_of([&] { model[4]; }).find("index 4 is out of range for 4 modules"), std::string::npos);
    const Tensor y = model(Tensor::ones({5, 2}));
    EXPECT_EQ(y.shape(), (Shape{5, 1}));
}

TEST(Module, ChildrenAndNamedModules) {
    Net net;
    const auto children = net.named_children();
    ASSERT_EQ(children.size(), 2u);
    EXPECT_EQ(children[0].first, "fc1");
    EXPECT_EQ(children[1].first, "body");
    EXPECT_EQ(children[0].second.get(), &net.fc1);
    EXPECT_EQ(net.children().size(), 2u);
    std::vector<std::string> names;
    for (const auto& [n, m] : net.named_modules()) names.push_back(n + ":" + m->name());
    EXPECT_EQ(names, (std::vector<std::string>{":Net", "fc1:Linear", "body:Sequential", "body.0:ReLU",
                                               "body.1:Linear"}));
}

TEST(Module, SharedChildIsListedOnceLikePyTorch) {
    nn::Sequential model;
    auto shared = std::make_shared<nn::Linear>(2, 2);
    model.push_back(shared);
    model.push_back(shared);
    // named_parameters and named_modules skip a tensor/module already seen; state_dict keeps both names.
    EXPECT_EQ(names_of(model.named_parameters()), (std::vector<std::string>{"0.weight", "0.bias"}));
    EXPECT_EQ(model.named_modules().size(), 2u);
    EXPECT_EQ(model.state_dict().size(), 4u);
}

TEST(Module, RegisteringADuplicateOrDottedNameIsAnError) {
    struct Bad : nn::Module {
        Tensor forward(const Tensor& x) override { return x; }
        void twice() {
            register_parameter("w", Tensor::ones({1}));
            register_buffer("w", Tensor::ones({1}));
        }
        void dotted() { register_parameter("a.b", Tensor::ones({1})); }
    };
    Bad bad;
    EXPECT_NE(error_of([&] { bad.twice(); }).find("\"w\" is already registered"), std::string::npos);
    EXPECT_NE(error_of([&] { bad.dotted(); }).find("invalid attribute name \"a.b\""), std::string::npos);
}

TEST(Module, DefaultNameIsTheUnqualifiedClassName) {
    Net net;
    EXPECT_EQ(net.name(), "Net");
}

TEST(Module, TrainAndEvalRecurse) {
    Net net;
    EXPECT_TRUE(net.is_training());
    net.eval();
    for (const auto& [n, m] : net.named_modules()) EXPECT_FALSE(m->is_training()) << n;
    net.train();
    for (const auto& [n, m] : net.named_modules()) EXPECT_TRUE(m->is_training()) << n;
}

TEST(Module, ZeroGradClearsOrZeroes) {
    nn::Linear layer(3, 2);
    sum(layer(Tensor::ones({4, 3}))).backward();
    ASSERT_TRUE(layer.weight.grad().defined());
    layer.zero_grad(/*set_to_none=*/false);
    ASSERT_TRUE(layer.weight.grad().defined());
    for (double g : layer.weight.grad().to_vector<double>()) EXPECT_EQ(g, 0.0);
    for (double g : layer.bias.grad().to_vector<double>()) EXPECT_EQ(g, 0.0);
    sum(layer(Tensor::ones({4, 3}))).backward();
    layer.zero_grad();
    EXPECT_FALSE(layer.weight.grad().defined());
    EXPECT_FALSE(layer.bias.grad().defined());
}

TEST(Module, StateDictHoldsParametersAndPersistentBuffersInPyTorchOrder) {
    Net net;
    std::vector<std::string> keys;
    for (const auto& [n, t] : net.state_dict()) keys.push_back(n);
    // PyTorch: own parameters, own persistent buffers, then each child's entries.
    EXPECT_EQ(keys, (std::vector<std::string>{"scale", "running", "fc1.weight", "fc1.bias", "body.1.weight"}));
    EXPECT_TRUE(net.state_dict().at("fc1.weight").is_same(net.fc1.weight));
}

TEST(Module, StateDictRoundTripCopiesValuesAndKeepsHandles) {
    manual_seed(1);
    Net source;
    Net target;
    const Tensor weight_handle = target.fc1.weight;
    ASSERT_FALSE(allclose(source.fc1.weight, target.fc1.weight));
    {
        NoGradGuard guard;
        Tensor running = source.running;
        running.fill_(7.0);
    }
    target.load_state_dict(source.state_dict());
    for (const auto& [n, t] : source.state_dict()) EXPECT_TRUE(allclose(t, target.state_dict().at(n))) << n;
    EXPECT_TRUE(weight_handle.is_same(target.fc1.weight));  // loaded in place
    EXPECT_FALSE(target.fc1.weight.is_same(source.fc1.weight));  // copied, not shared
    EXPECT_TRUE(target.fc1.weight.requires_grad());
    const Tensor x = Tensor::randn({2, 3});
    EXPECT_TRUE(allclose(source(x), target(x)));
}

TEST(Module, LoadStateDictConvertsBetweenFloatingTypes) {
    nn::Linear a(2, 3, {.dtype = kFloat64});
    nn::Linear b(2, 3);
    b.load_state_dict(a.state_dict());
    EXPECT_EQ(b.weight.dtype(), kFloat32);
    EXPECT_TRUE(allclose(b.weight.to(kFloat64), a.weight, 1e-6, 1e-7));  // float32 rounding of the values
}

TEST(Module, LoadStateDictReportsMissingKeys) {
    nn::Linear layer(2, 3);
    StateDict state;
    state.insert("weight", Tensor::zeros({3, 2}));
    const std::string msg = error_of([&] { layer.load_state_dict(state); });
    EXPECT_NE(msg.find("error(s) in loading state_dict for Linear"), std::string::npos) << msg;
    EXPECT_NE(msg.find("Missing key(s) in state_dict: \"bias\""), std::string::npos) << msg;
    // Nothing is copied when loading fails.
    EXPECT_FALSE(allclose(layer.weight, Tensor::zeros({3, 2})));
    // Non-strict loading takes what is there.
    layer.load_state_dict(state, /*strict=*/false);
    EXPECT_TRUE(allclose(layer.weight, Tensor::zeros({3, 2})));
}

TEST(Module, LoadStateDictReportsUnexpectedKeys) {
    nn::Linear layer(2, 3);
    StateDict state = layer.state_dict();
    state.insert("extra.weight", Tensor::zeros({1}));
    const std::string msg = error_of([&] { layer.load_state_dict(state); });
    EXPECT_NE(msg.find("Unexpected key(s) in state_dict: \"extra.weight\""), std::string::npos) << msg;
    EXPECT_EQ(msg.find("Missing"), std::string::npos) << msg;
    EXPECT_NO_THROW(layer.load_state_dict(state, /*strict=*/false));
}

TEST(Module, LoadStateDictReportsShapeMismatchWithBothShapes) {
    auto model = nn::Sequential(nn::Linear(2, 4), nn::ReLU());
    StateDict state = model.state_dict();
    state.insert("0.weight", Tensor::zeros({3, 2}));
    for (bool strict : {true, false}) {
        const std::string msg = error_of([&] { model.load_state_dict(state, strict); });
        EXPECT_NE(msg.find("size mismatch for \"0.weight\": copying a param with shape [3, 2] from checkpoint, "
                           "the shape in current model is [4, 2]"),
                  std::string::npos)
            << msg;
    }
}

TEST(Module, LoadStateDictReportsDtypeMismatch) {
    nn::Linear layer(2, 3);
    StateDict state = layer.state_dict();
    state.insert("bias", Tensor::zeros({3}, {.dtype = kInt64}));
    const std::string msg = error_of([&] { layer.load_state_dict(state); });
    EXPECT_NE(msg.find("dtype mismatch for \"bias\""), std::string::npos) << msg;
    EXPECT_NE(msg.find("int64"), std::string::npos) << msg;
}

TEST(Module, LoadStateDictListsEveryProblemAtOnce) {
    nn::Linear layer(2, 3);
    StateDict state;
    state.insert("weight", Tensor::zeros({1, 1}));
    state.insert("junk", Tensor::zeros({1}));
    const std::string msg = error_of([&] { layer.load_state_dict(state); });
    EXPECT_NE(msg.find("Missing key(s) in state_dict: \"bias\""), std::string::npos) << msg;
    EXPECT_NE(msg.find("Unexpected key(s) in state_dict: \"junk\""), std::string::npos) << msg;
    EXPECT_NE(msg.find("size mismatch for \"weight\""), std::string::npos) << msg;
}

TEST(Module, ToConvertsEveryParameterInPlace) {
    Net net;
    const Tensor handle = net.fc1.weight;
    net.to(kFloat64);
    for (const Tensor& p : net.parameters()) EXPECT_EQ(p.dtype(), kFloat64);
    for (const Tensor& b : net.buffers()) EXPECT_EQ(b.dtype(), kFloat64);
    EXPECT_EQ(handle.dtype(), kFloat64);
    EXPECT_TRUE(net.fc1.weight.requires_grad());
    EXPECT_EQ(net(Tensor::ones({1, 3}, {.dtype = kFloat64})).dtype(), kFloat64);
}

TEST(Module, MovedModulesKeepTheirChildrenAndParameters) {
    Net net;
    const Tensor w = net.fc1.weight;
    Net moved = std::move(net);
    EXPECT_TRUE(moved.fc1.weight.is_same(w));
    EXPECT_TRUE(moved.named_parameters()[1].second.is_same(w));
    EXPECT_EQ(moved(Tensor::ones({1, 3})).shape(), (Shape{1, 2}));
    auto model = nn::Sequential(nn::Linear(2, 2));
    auto other = std::move(model);
    EXPECT_EQ(other(Tensor::ones({1, 2})).shape(), (Shape{1, 2}));
}

TEST(Module, ApplyVisitsEveryModule) {
    Net net;
    std::vector<std::string> seen;
    net.apply([&](nn::Module& m) { seen.push_back(m.name()); });
    // Children first, then the module itself (PyTorch's apply order).
    EXPECT_EQ(seen, (std::vector<std::string>{"Linear", "ReLU", "Linear", "Sequential", "Net"}));
}

// ---- printout: the strings are what torch 1.13's print(model) shows for the same model ----------
TEST(Printout, SequentialOfEveryLayerMatchesPyTorch) {
    auto model = nn::Sequential(nn::Linear(2, 4), nn::ReLU(),
                                nn::Sequential(nn::Linear(4, 4, {.bias = false}), nn::LeakyReLU(0.2)),
                                nn::Dropout(0.25), nn::GELU(), nn::GELU("tanh"), nn::Softmax(1), nn::LogSoftmax(-1),
                                nn::Flatten(), nn::Identity(), nn::Sigmoid(), nn::Tanh(), nn::LeakyReLU(),
                                nn::Dropout());
    // torch: nn.Sequential(nn.Linear(2,4), nn.ReLU(), nn.Sequential(nn.Linear(4,4,bias=False),
    //        nn.LeakyReLU(0.2)), nn.Dropout(0.25), nn.GELU(), nn.GELU('tanh'), nn.Softmax(dim=1),
    //        nn.LogSoftmax(dim=-1), nn.Flatten(), nn.Identity(), nn.Sigmoid(), nn.Tanh(),
    //        nn.LeakyReLU(), nn.Dropout())
    const std::string expected =
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=4, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Linear(in_features=4, out_features=4, bias=False)\n"
        "    (1): LeakyReLU(negative_slope=0.2)\n"
        "  )\n"
        "  (3): Dropout(p=0.25, inplace=False)\n"
        "  (4): GELU(approximate='none')\n"
        "  (5): GELU(approximate='tanh')\n"
        "  (6): Softmax(dim=1)\n"
        "  (7): LogSoftmax(dim=-1)\n"
        "  (8): Flatten(start_dim=1, end_dim=-1)\n"
        "  (9): Identity()\n"
        "  (10): Sigmoid()\n"
        "  (11): Tanh()\n"
        "  (12): LeakyReLU(negative_slope=0.01)\n"
        "  (13): Dropout(p=0.5, inplace=False)\n"
        ")";
    EXPECT_EQ(model.to_string(), expected);
    std::ostringstream stream;
    stream << model;
    EXPECT_EQ(stream.str(), expected);
}

TEST(Printout, ExtraReprBesideChildrenGoesOnItsOwnLine) {
    struct Custom : nn::Module {
        nn::Linear& fc1 = register_module("fc1", nn::Linear(3, 2));
        nn::Sequential& body = register_module("body", nn::Sequential(nn::ReLU()));
        Tensor forward(const Tensor& x) override { return x; }
        std::string name() const override { return "Net"; }
        std::string extra_repr() const override { return "hello=1"; }
    };
    // torch: a Net with fc1 = Linear(3, 2), body = Sequential(ReLU()) and extra_repr 'hello=1'.
    EXPECT_EQ(Custom().to_string(),
              "Net(\n"
              "  hello=1\n"
              "  (fc1): Linear(in_features=3, out_features=2, bias=True)\n"
              "  (body): Sequential(\n"
              "    (0): ReLU()\n"
              "  )\n"
              ")");
    EXPECT_EQ(nn::Sequential().to_string(), "Sequential()");
}

TEST(Printout, MultiLineExtraReprIsIndented) {
    struct Two : nn::Module {
        Tensor forward(const Tensor& x) override { return x; }
        std::string name() const override { return "Two"; }
        std::string extra_repr() const override { return "a=1\nb=2"; }
    };
    EXPECT_EQ(Two().to_string(), "Two(\n  a=1\n  b=2\n)");
}

TEST(Printout, LossesPrintTheirName) {
    EXPECT_EQ(nn::CrossEntropyLoss().to_string(), "CrossEntropyLoss()");
    EXPECT_EQ(nn::BCELoss().to_string(), "BCELoss()");
}

TEST(Printout, ReprFloatMatchesPython) {
    // Python: repr(x) for each value.
    EXPECT_EQ(nn::repr_float(0.5), "0.5");
    EXPECT_EQ(nn::repr_float(1.0), "1.0");
    EXPECT_EQ(nn::repr_float(0.01), "0.01");
    EXPECT_EQ(nn::repr_float(1e-5), "1e-05");
    EXPECT_EQ(nn::repr_float(0.0001), "0.0001");
    EXPECT_EQ(nn::repr_float(1.5e-7), "1.5e-07");
    EXPECT_EQ(nn::repr_float(1e15), "1000000000000000.0");
    EXPECT_EQ(nn::repr_float(1e16), "1e+16");
    EXPECT_EQ(nn::repr_float(123456789.0), "123456789.0");
    EXPECT_EQ(nn::repr_float(-0.0), "-0.0");
    EXPECT_EQ(nn::repr_float(-2.75), "-2.75");
    EXPECT_EQ(nn::repr_float(0.1), "0.1");
    EXPECT_EQ(nn::repr_float(1.0 / 3.0), "0.3333333333333333");
    EXPECT_EQ(nn::repr_bool(true), "True");
    EXPECT_EQ(nn::repr_tuple({3, 3}), "(3, 3)");
    EXPECT_EQ(nn::repr_tuple({3}), "(3,)");
}

}  // namespace
}  // namespace descent

namespace descent {
namespace {

// Sequential runs ReLU → MaxPool2d as MaxPool2d → ReLU (fewer values through the ReLU). That
// must not be observable: the same output and the same input gradient, bit for bit, as the
// literal order, on windows with ties, all-negative and all-zero windows, and NaN.
void expect_same_as_relu_then_pool(Size2 kernel, const MaxPool2dArgs& options) {
    Generator g(7);
    Tensor base = Tensor::randn({2, 3, 7, 8}, {.dtype = kFloat64, .generator = &g});
    double* v = base.data_ptr<double>();
    v[0] = v[1] = v[8] = v[9] = -1.5;            // a window of equal negatives
    v[2] = v[3] = v[10] = v[11] = 0.0;           // a window of zeros
    v[4] = 2.0, v[5] = 2.0, v[12] = 1.0;         // a positive tie
    v[60] = std::nan("");                        // a NaN
    v[70] = -0.0;

    Tensor x1 = base.clone().requires_grad_(true);
    nn::Sequential seq(nn::ReLU(), nn::MaxPool2d(kernel, options));
    Tensor y1 = seq(x1);

    Tensor x2 = base.clone().requires_grad_(true);
    Tensor y2 = max_pool2d(relu(x2), kernel, options);

    ASSERT_EQ(y1.shape(), y2.shape());
    // The reordering did happen (pooling first, the ReLU last), so the comparison below tests it.
    EXPECT_EQ(y1.grad_fn()->name(), "ReluBackward0");
    EXPECT_EQ(y2.grad_fn()->name(), "MaxPool2DWithIndicesBackward0");
    const Tensor upstream = Tensor::randn(y1.shape(), {.dtype = kFloat64, .generator = &g});
    (y1 * upstream).sum().backward();
    (y2 * upstream).sum().backward();
    const double* a = y1.data_ptr<double>();
    const double* b = y2.data_ptr<double>();
    for (std::int64_t i = 0; i < y1.numel(); ++i) {
        if (std::isnan(b[i])) {
            EXPECT_TRUE(std::isnan(a[i])) << "output " << i;
        } else {
            EXPECT_EQ(a[i], b[i]) << "output " << i;
            EXPECT_EQ(std::signbit(a[i]), std::signbit(b[i])) << "output " << i;
        }
    }
    const double* ga = x1.grad().data_ptr<double>();
    const double* gb = x2.grad().data_ptr<double>();
    std::int64_t nonzero = 0;
    for (std::int64_t i = 0; i < base.numel(); ++i) {
        EXPECT_EQ(ga[i], gb[i]) << "input gradient " << i;
        nonzero += gb[i] != 0;
    }
    EXPECT_GT(nonzero, 0);
}

TEST(Sequential, ReluThenMaxPoolMatchesTheLiteralOrder2x2) { expect_same_as_relu_then_pool(2, {}); }

TEST(Sequential, ReluThenMaxPoolMatchesTheLiteralOrderOverlappingPadded) {
    expect_same_as_relu_then_pool(3, {.stride = 2, .padding = 1, .ceil_mode = true});
}

// Sequential runs Conv2d → [ReLU →] MaxPool2d as one op, conv2d_max_pool2d, sample by sample
// (the ReLU, reordered after the pooling, in the same pass).
// That must not be observable either: the output and the gradients of the input, the weight and
// the bias equal those of the modules run one by one, bit for bit, in float32 as W3 runs it, on
// an odd batch (at 2 threads, W3-sized work is split unevenly over them), with tied and NaN inputs.
void expect_same_as_conv_then_pool(bool with_relu, std::int64_t batch, std::int64_t width,
                                   const nn::Conv2dOptions& conv_options, Size2 pool_kernel) {
    Generator g(11);
    Tensor base = Tensor::randn({batch, 3, 14, width}, {.generator = &g});
    float* v = base.data_ptr<float>();
    v[0] = v[1] = v[9] = v[10] = 0.5f;  // equal inputs: ties in the convolution's output
    v[200] = std::nanf("");

    nn::Sequential fused = with_relu ? nn::Sequential(nn::Conv2d(3, 8, 3, conv_options), nn::ReLU(), nn::MaxPool2d(pool_kernel))
                                     : nn::Sequential(nn::Conv2d(3, 8, 3, conv_options), nn::MaxPool2d(pool_kernel));
    auto& conv = dynamic_cast<nn::Conv2d&>(fused[0]);
    Tensor x1 = base.clone().requires_grad_(true);
    Tensor y1 = fused(x1);

    // The same parameters, the modules one by one.
    Tensor w2 = conv.weight.detach().clone().requires_grad_(true);
    Tensor b2 = conv.options.bias ? conv.bias.detach().clone().requires_grad_(true) : Tensor();
    Tensor x2 = base.clone().requires_grad_(true);
    Tensor c2 = conv2d(x2, w2, b2,
                       {.stride = conv_options.stride, .padding = conv_options.padding,
                        .dilation = conv_options.dilation, .groups = conv_options.groups});
    Tensor y2 = max_pool2d(with_relu ? relu(c2) : c2, pool_kernel);

    ASSERT_EQ(y1.shape(), y2.shape());
    // The fusion did happen, so the comparison below tests it.
    EXPECT_EQ(y1.grad_fn()->name(), with_relu ? "ConvolutionMaxPool2DReluBackward" : "ConvolutionMaxPool2DBackward");
    const Tensor upstream = Tensor::randn(y1.shape(), {.generator = &g});
    (y1 * upstream).sum().backward();
    (y2 * upstream).sum().backward();
    auto expect_bits = [](const Tensor& a, const Tensor& b, const char* what) {
        ASSERT_EQ(a.shape(), b.shape()) << what;
        const float* pa = a.data_ptr<float>();
        const float* pb = b.data_ptr<float>();
        std::int64_t nonzero = 0;
        for (std::int64_t i = 0; i < a.numel(); ++i) {
            if (std::isnan(pb[i])) {
                EXPECT_TRUE(std::isnan(pa[i])) << what << " " << i;
            } else {
                EXPECT_EQ(pa[i], pb[i]) << what << " " << i;
            }
            nonzero += pb[i] != 0;
        }
        EXPECT_GT(nonzero, 0) << what;
    };
    expect_bits(y1, y2, "output");
    expect_bits(x1.grad(), x2.grad(), "input gradient");
    expect_bits(conv.weight.grad(), w2.grad(), "weight gradient");
    if (conv.options.bias) expect_bits(conv.bias.grad(), b2.grad(), "bias gradient");
}

// float32 2×2 pooling records each window's winning tap in a byte: rows of 10 windows (full blocks
// of 8, the last one overlapping) with an odd width left over, and rows of 5 (window by window).
TEST(Sequential, ConvReluMaxPoolMatchesTheModulesOneByOne) {
    expect_same_as_conv_then_pool(true, 5, 21, {.padding = 1}, 2);
}

TEST(Sequential, ConvMaxPoolMatchesTheModulesOneByOne) {
    expect_same_as_conv_then_pool(false, 3, 13, {.stride = {1, 2}, .bias = false}, {2, 1});
}

TEST(Sequential, ConvMaxPoolOnOneSampleMatchesTheModulesOneByOne) {
    expect_same_as_conv_then_pool(true, 1, 13, {.padding = 1, .dilation = 2}, 2);
}

}  // namespace
}  // namespace descent
