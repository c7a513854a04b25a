// The public gradcheck: it passes on correct gradients, catches a wrong backward
// (and says where), handles non-contiguous inputs without changing them, and
// refuses misuse. Plus the autograd errors of issue item 8, each with its message.
#include <gtest/gtest.h>

#include <functional>

#include "descent/autograd/gradcheck.hpp"
#include "descent/autograd/node.hpp"
#include "descent/descent.hpp"

using namespace descent;

namespace {
// y = x, with a deliberately wrong backward: dx = 2 · dy.
struct DoubledBackward final : autograd::Node {
    autograd::TensorList apply(autograd::TensorList&& g) override { return {mul(g[0], 2.0)}; }
    std::string name() const override { return "DoubledBackward"; }
};
Tensor wrong_identity(const Tensor& x) {
    Tensor out = clone(x.detach());
    if (auto node = autograd::make_node<DoubledBackward>({&x})) autograd::set_history(out, node);
    return out;
}

// y = x, with a backward returning a gradient of the wrong shape.
struct WrongShapeBackward final : autograd::Node {
    autograd::TensorList apply(autograd::TensorList&& g) override { return {sum(g[0])}; }
    std::string name() const override { return "WrongShapeBackward"; }
};

Tensor leaf(std::vector<double> v, Shape shape = {}) {
    Tensor t = Tensor::from(v, shape.empty() ? Shape{static_cast<std::int64_t>(v.size())} : shape);
    t.requires_grad_(true);
    return t;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}
}  // namespace

TEST(Gradcheck, PassesOnCorrectGradients) {
    const auto r = gradcheck([](const std::vector<Tensor>& x) { return x[0] * x[1] + exp(x[0]); },
                             {leaf({0.5, -1.0, 2.0}), leaf({1.5, 0.25, -0.75})});
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_TRUE(static_cast<bool>(r));
    EXPECT_TRUE(r.message.empty());
    EXPECT_LT(r.max_abs_error, 1e-8);  // central differences in float64: error ~ eps² f''' + rounding / eps
    EXPECT_LE(r.max_error_ratio, 1.0);
    EXPECT_TRUE(gradcheck_or_throw([](const std::vector<Tensor>& x) { return sum(x[0] * x[0]); }, {leaf({1.0, 2.0})}));
}

TEST(Gradcheck, CatchesAWrongBackwardAndSaysWhere) {
    const Tensor a = leaf({1.0, 2.0, 3.0});
    const Tensor b = leaf({0.5, 0.5, 0.5});
    const auto r = gradcheck([](const std::vector<Tensor>& x) { return x[0] + wrong_identity(x[1]); }, {a, b});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.worst_input, 1);
    EXPECT_NEAR(r.worst_analytical, 2.0, 1e-12);
    EXPECT_NEAR(r.worst_numerical, 1.0, 1e-6);
    EXPECT_NEAR(r.max_abs_error, 1.0, 1e-6);
    EXPECT_EQ(r.worst_input_element, r.worst_output_element);  // only the diagonal is wrong
    EXPECT_NE(r.message.find("Jacobian mismatch for input 1 (shape [3])"), std::string::npos) << r.message;
    EXPECT_NE(r.message.find("analytical 2, numerical 1"), std::string::npos) << r.message;
    const std::string thrown =
        error_of([&] { gradcheck_or_throw([](const std::vector<Tensor>& x) { return wrong_identity(x[0]); }, {a}); });
    EXPECT_NE(thrown.find("gradcheck: Jacobian mismatch for input 0"), std::string::npos) << thrown;
}

TEST(Gradcheck, ReportsAGradientOfTheWrongShape) {
    const auto r = gradcheck(
        [](const std::vector<Tensor>& x) {
            Tensor out = clone(x[0].detach());
            if (auto node = autograd::make_node<WrongShapeBackward>({&x[0]})) autograd::set_history(out, node);
            return out;
        },
        {leaf({1.0, 2.0})});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.message, "gradcheck: the gradient of input 0 has shape [] and dtype float64 but the input has shape [2] "
                         "and dtype float64");
}

TEST(Gradcheck, TolerancesDecide) {
    // sqrt near 0 has a large third derivative: a coarse eps fails the default tolerances, a fine one passes.
    const Tensor x = leaf({1e-3});
    const auto f = [](const std::vector<Tensor>& v) { return sqrt(v[0]); };
    EXPECT_FALSE(gradcheck(f, {x}, {.eps = 5e-4}).ok);
    EXPECT_TRUE(gradcheck(f, {x}, {.eps = 1e-7}).ok);
    EXPECT_TRUE(gradcheck(f, {x}, {.eps = 5e-4, .atol = 1.0, .rtol = 0.5}).ok);
}

TEST(Gradcheck, NonContiguousInputsKeepTheirValuesAndLayout) {
    Tensor base = Tensor::from({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, {2, 3});
    Tensor t = base.t().detach();  // [3, 2], strides [1, 3]
    t.requires_grad_(true);
    const auto before = t.to_vector<double>();
    const auto r = gradcheck([](const std::vector<Tensor>& x) { return matmul(x[0], x[1]); },
                             {t, leaf({0.5, -1.0, 2.0, 1.0}, {2, 2})});
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_EQ(t.to_vector<double>(), before);
    EXPECT_EQ(t.strides(), (Shape{1, 3}));
}

TEST(Gradcheck, InputsWithoutGradAndUnusedInputs) {
    const Tensor index = Tensor::from({2, 0});
    const auto r = gradcheck([](const std::vector<Tensor>& x) { return index_select(x[0], 0, x[1]) * 3.0; },
                             {leaf({1.0, 2.0, 3.0}), index, leaf({7.0})});  // x[2] unused: zero gradient
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(Gradcheck, RefusesMisuse) {
    const auto id = [](const std::vector<Tensor>& x) { return x[0] * 1.0; };
    EXPECT_EQ(error_of([&] { gradcheck(id, {Tensor::from({1.0})}); }), "gradcheck: no input requires grad");
    EXPECT_EQ(error_of([&] { gradcheck(id, {Tensor::ones({2}, {.requires_grad = true})}); }),
              "gradcheck: input 0 requires grad but is float32; finite differences need float64");
    EXPECT_EQ(error_of([&] { gradcheck(id, {Tensor()}); }), "gradcheck: input 0 is undefined");
    const Tensor expanded = Tensor::ones({1}, {.dtype = kFloat64}).expand({3}).detach().requires_grad_();
    EXPECT_NE(error_of([&] { gradcheck(id, {expanded}); }).find("has elements sharing memory"), std::string::npos);
    const Tensor non_leaf = leaf({1.0}) * 2.0;
    EXPECT_NE(error_of([&] { gradcheck(id, {non_leaf}); }).find("is not a leaf"), std::string::npos);
    EXPECT_EQ(error_of([&] { gradcheck([](const std::vector<Tensor>& x) { return x[0].to(kFloat32); }, {leaf({1.0})}); }),
              "gradcheck: the function must return float64 (finite differences in float32 are too coarse), got float32");
    EXPECT_EQ(error_of([&] { gradcheck(id, {leaf({1.0})}, {.eps = 0}); }), "gradcheck: eps must be positive, got 0");
}

// ---- autograd errors (issue item 8) ----------------------------------------------------------

TEST(AutogradErrors, BackwardOnANonScalarNeedsAGradient) {
    Tensor x = Tensor::ones({2, 3}, {.requires_grad = true});
    EXPECT_EQ(error_of([&] { (x * 2.0).backward(); }),
              "backward: grad can be implicitly created only for scalar outputs; got shape [2, 3] (pass a gradient of "
              "that shape)");
    EXPECT_EQ(error_of([&] { (x * 2.0).backward(Tensor::ones({3})); }),
              "backward: gradient of shape [3] does not match output of shape [2, 3]");
}

TEST(AutogradErrors, SecondBackwardWithoutRetainGraph) {
    Tensor x = Tensor::ones({2}, {.requires_grad = true});
    Tensor y = sum(x * x);
    y.backward();
    const std::string e = error_of([&] { y.backward(); });
    EXPECT_NE(e.find("trying to backward through the graph a second time"), std::string::npos) << e;
    EXPECT_NE(e.find("retain_graph"), std::string::npos) << e;
}

TEST(AutogradErrors, InPlaceChangeOfASavedTensor) {
    Tensor x = Tensor::ones({2}, {.requires_grad = true});
    Tensor z = x * 1.0;
    Tensor w = sum(z * z);  // mul saves z
    {
        NoGradGuard guard;
        z.detach().add_(Tensor::ones({2}));
    }
    EXPECT_EQ(error_of([&] { w.backward(); }),
              "MulBackward0: a tensor needed for the gradient was modified by an in-place operation: float32 [2] is "
              "at version 1; expected version 0");
}

TEST(AutogradErrors, BackwardOfATensorWithoutGrad) {
    const std::string e = error_of([] { sum(Tensor::ones({2})).backward(); });
    EXPECT_NE(e.find("backward: the tensor does not require grad and has no grad_fn"), std::string::npos) << e;
    Tensor x = Tensor::ones({2}, {.requires_grad = true});
    EXPECT_EQ(error_of([&] { autograd::grad({sum(x)}, {Tensor::ones({2})}); }), "grad: input 0 does not require grad");
    EXPECT_NE(error_of([&] { (x * 2.0).requires_grad_(false); }).find("only a leaf tensor's flag can be set"),
              std::string::npos);
}
