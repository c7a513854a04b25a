// Losses: values against hand-written formulas (and, for PyTorch's subtler
// semantics — label smoothing with weights, ignore_index, pos_weight — against
// values torch 1.13 printed), every reduction, extreme inputs without NaN/inf,
// clear errors, and gradients against finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "descent/descent.hpp"
#include "nn_test_util.hpp"

namespace descent {
namespace {
using nn::Reduction;
using nn_test::check_gradients;
using nn_test::error_of;
using nn_test::near_values;

// float64 losses against float64 formulas: they differ by rounding and summation order only.
constexpr double kTol = 1e-12;

Tensor f64(std::initializer_list<double> values, const Shape& shape = {}, bool requires_grad = false) {
    return Tensor::from(std::vector<double>(values), shape, {.requires_grad = requires_grad});
}

double total(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s;
}

// ---- regression -----------------------------------------------------------------------------------
TEST(MSELoss, ElementwiseAndReductions) {
    const Tensor x = f64({1, 2, 3, 4}, {2, 2}), y = f64({0, 2, 5, 1.5}, {2, 2});
    const std::vector<double> expected = {1, 0, 4, 6.25};
    const Tensor none = nn::MSELoss({.reduction = Reduction::None})(x, y);
    EXPECT_EQ(none.shape(), (Shape{2, 2}));
    EXPECT_TRUE(near_values(none, expected, kTol));
    EXPECT_NEAR(nn::MSELoss()(x, y).item(), total(expected) / 4, kTol);
    EXPECT_NEAR(nn::MSELoss({.reduction = Reduction::Sum})(x, y).item(), total(expected), kTol);
    EXPECT_EQ(nn::MSELoss()(x, y).dim(), 0);
}

TEST(L1Loss, ElementwiseAndReductions) {
    const Tensor x = f64({1, 2, 3}), y = f64({0, 2.5, 5});
    EXPECT_TRUE(near_values(nn::L1Loss({.reduction = Reduction::None})(x, y), {1, 0.5, 2}, kTol));
    EXPECT_NEAR(nn::L1Loss()(x, y).item(), 3.5 / 3, kTol);
    EXPECT_NEAR(nn::F::l1_loss(x, y, {.reduction = Reduction::Sum}).item(), 3.5, kTol);
}

TEST(HuberLoss, QuadraticInsideDeltaLinearOutside) {
    const Tensor x = f64({0, 1, 5}), y = f64({0.5, -1, 2});
    // torch: F.huber_loss(x, y, delta=1.5, reduction='none') = [0.125, 1.875, 3.375]
    EXPECT_TRUE(near_values(nn::HuberLoss({.reduction = Reduction::None, .delta = 1.5})(x, y), {0.125, 1.875, 3.375},
                            kTol));
    // delta = 1 (default): ½·0.25, 2 − ½, 3 − ½.
    EXPECT_NEAR(nn::HuberLoss()(x, y).item(), (0.125 + 1.5 + 2.5) / 3, kTol);
    EXPECT_NE(error_of([&] { nn::F::huber_loss(x, y, {.delta = 0}); }).find("delta must be positive"),
              std::string::npos);
}

TEST(SmoothL1Loss, QuadraticOverBetaInsideLinearOutside) {
    const Tensor x = f64({0, 1, 5}), y = f64({0.5, -1, 2});
    // torch: F.smooth_l1_loss(x, y, beta=1.5, reduction='none') = [0.0833…, 1.25, 2.25]
    EXPECT_TRUE(near_values(nn::SmoothL1Loss({.reduction = Reduction::None, .beta = 1.5})(x, y),
                            {0.25 / 3.0, 1.25, 2.25}, kTol));
    EXPECT_NEAR(nn::SmoothL1Loss({.reduction = Reduction::Sum})(x, y).item(), 0.125 + 1.5 + 2.5, kTol);
    // beta = 0 is L1 (PyTorch's special case).
    EXPECT_NEAR(nn::SmoothL1Loss({.beta = 0})(x, y).item(), nn::L1Loss()(x, y).item(), kTol);
    EXPECT_NE(error_of([&] { nn::F::smooth_l1_loss(x, y, {.beta = -1}); }).find("beta must be >= 0"),
              std::string::npos);
}

TEST(RegressionLosses, ShapeMismatchNamesBothShapes) {
    const Tensor x = Tensor::zeros({4, 1}), y = Tensor::zeros({4});
    for (const auto& f : std::vector<std::function<void()>>{
             [&] { nn::MSELoss()(x, y); }, [&] { nn::L1Loss()(x, y); }, [&] { nn::HuberLoss()(x, y); },
             [&] { nn::SmoothL1Loss()(x, y); }, [&] { nn::BCELoss()(x, y); }, [&] { nn::BCEWithLogitsLoss()(x, y); }}) {
        const std::string msg = error_of(f);
        EXPECT_NE(msg.find("target of shape [4] does not match input of shape [4, 1]"), std::string::npos) << msg;
    }
    EXPECT_NE(error_of([] { nn::MSELoss()(Tensor::zeros({2}, {.dtype = kInt64}), Tensor::zeros({2})); })
                  .find("input must be floating"),
              std::string::npos);
}

TEST(RegressionLosses, TargetOfAnotherDtypeIsConverted) {
    const Tensor x = Tensor::from({1.f, 2.f}), y = Tensor::from({std::int64_t{0}, std::int64_t{4}});
    const Tensor loss = nn::MSELoss()(x, y);
    EXPECT_EQ(loss.dtype(), kFloat32);
    EXPECT_NEAR(loss.item(), (1.0 + 4.0) / 2, 1e-6);
}

TEST(RegressionLosses, GradientsForInputAndTarget) {
    // Differences kept away from 0 and from the Huber/SmoothL1 kinks, where the loss is not smooth.
    const Tensor x = f64({0.3, -1.2, 2.5, 0.9, -0.4, 1.7}, {2, 3}, true);
    const Tensor y = f64({0.1, 0.6, -0.5, 1.0, 0.35, 1.6}, {2, 3}, true);
    for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
        EXPECT_TRUE(check_gradients([r](const auto& v) { return nn::F::mse_loss(v[0], v[1], {.reduction = r}); }, {x, y}));
        EXPECT_TRUE(check_gradients([r](const auto& v) { return nn::F::l1_loss(v[0], v[1], {.reduction = r}); }, {x, y}));
        EXPECT_TRUE(check_gradients(
            [r](const auto& v) { return nn::F::huber_loss(v[0], v[1], {.reduction = r, .delta = 0.5}); }, {x, y}));
        EXPECT_TRUE(check_gradients(
            [r](const auto& v) { return nn::F::smooth_l1_loss(v[0], v[1], {.reduction = r, .beta = 0.5}); }, {x, y}));
    }
}

// ---- binary cross entropy -------------------------------------------------------------------------
double bce(double x, double y) {
    return -(y * std::max(std::log(x), -100.0) + (1 - y) * std::max(std::log(1 - x), -100.0));
}

TEST(BCELoss, ValuesWeightsAndReductions) {
    const std::vector<double> xs = {0.1, 0.5, 0.8, 0.99}, ys = {0, 1, 1, 0.3};
    const Tensor x = Tensor::from(xs, {2, 2}), y = Tensor::from(ys, {2, 2});
    std::vector<double> expected;
    for (std::size_t i = 0; i < xs.size(); ++i) expected.push_back(bce(xs[i], ys[i]));
    EXPECT_TRUE(near_values(nn::BCELoss({.reduction = Reduction::None})(x, y), expected, kTol));
    EXPECT_NEAR(nn::BCELoss()(x, y).item(), total(expected) / 4, kTol);
    EXPECT_NEAR(nn::BCELoss({.reduction = Reduction::Sum})(x, y).item(), total(expected), kTol);
    // A weight broadcast over rows: [2] against [2, 2].
    const Tensor w = f64({2.0, 0.5});
    const std::vector<double> weighted = {2 * expected[0], 0.5 * expected[1], 2 * expected[2], 0.5 * expected[3]};
    EXPECT_TRUE(near_values(nn::BCELoss({.weight = w, .reduction = Reduction::None})(x, y), weighted, kTol));
    EXPECT_NEAR(nn::BCELoss({.weight = w})(x, y).item(), total(weighted) / 4, kTol);
    EXPECT_NE(error_of([&] { nn::BCELoss({.weight = f64({1, 2, 3})})(x, y); })
                  .find("weight of shape [3] cannot be broadcast to input of shape [2, 2]"),
              std::string::npos);
}

TEST(BCELoss, SaturatedProbabilitiesGiveClampedLossAndFiniteGradient) {
    const Tensor x = Tensor::from({0.f, 1.f, 0.f, 1.f, 0.3f}, {}, {.requires_grad = true});
    const Tensor y = Tensor::from({1.f, 0.f, 0.f, 1.f, 0.6f});
    const Tensor loss = nn::BCELoss({.reduction = Reduction::None})(x, y);
    // torch: F.binary_cross_entropy(x, y, reduction='none')[:4] = [100, 100, 0, 0] (logs clamped at −100).
    EXPECT_TRUE(near_values(loss.narrow(0, 0, 4), {100, 100, 0, 0}, 1e-5));
    sum(loss).backward();
    // torch: x.grad = [-999999995904, 999999995904, 0, 0, -1.4285714626] — (x − y)/max(x(1 − x), 1e-12).
    const std::vector<double> g = x.grad().to_vector<double>();
    EXPECT_NEAR(g[0] / -1e12, 1.0, 1e-6);  // float32 rounding of 1e-12
    EXPECT_NEAR(g[1] / 1e12, 1.0, 1e-6);
    EXPECT_EQ(g[2], 0.0);
    EXPECT_EQ(g[3], 0.0);
    EXPECT_NEAR(g[4], (0.3 - 0.6) / (0.3 * 0.7), 1e-5);
}

TEST(BCELoss, InputOutsideZeroOneIsAnError) {
    const std::string msg = error_of([] { nn::BCELoss()(Tensor::from({0.5f, 1.5f}), Tensor::from({0.f, 1.f})); });
    EXPECT_NE(msg.find("all elements of input should be between 0 and 1, got 1.5"), std::string::npos) << msg;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    EXPECT_NE(error_of([&] { nn::BCELoss()(Tensor::from({nan}), Tensor::from({0.f})); }).find("between 0 and 1"),
              std::string::npos);
}

TEST(BCELoss, Gradients) {
    const Tensor x = f64({0.1, 0.45, 0.8, 0.97, 0.3, 0.6}, {3, 2}, true);
    const Tensor y = f64({0.0, 1.0, 0.25, 0.5, 1.0, 0.7}, {3, 2}, true);
    const Tensor w = f64({1.5, 0.5});
    for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum})
        EXPECT_TRUE(check_gradients(
            [&](const auto& v) { return nn::F::binary_cross_entropy(v[0], v[1], {.weight = w, .reduction = r}); },
            {x, y}));
}

TEST(BCEWithLogitsLoss, MatchesPyTorchWithWeightAndPosWeight) {
    const Tensor x = f64({-2, 0, 1.5, 3, -0.5, 0}, {2, 3}, true);
    const Tensor y = f64({0, 1, 1, 1, 0, 0.5}, {2, 3});
    const Tensor pw = f64({2, 0.5, 1}), w = f64({1, 2, 0.5});
    // torch: F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw) = 0.38544734873032743
    EXPECT_NEAR(nn::BCEWithLogitsLoss({.weight = w, .pos_weight = pw})(x, y).item(), 0.38544734873032743, kTol);
    nn::BCEWithLogitsLoss({.weight = w, .reduction = Reduction::Sum, .pos_weight = pw})(x, y).backward();
    // torch: x.grad after the same loss with reduction='sum'.
    EXPECT_TRUE(near_values(x.grad(),
                            {0.11920292202211755, -0.5, -0.09121276190317817, -0.09485174635513327,
                             0.7550813375962908, 0.0},
                            kTol));
}

TEST(BCEWithLogitsLoss, EqualsBCEOfSigmoidAndHasTheRightGradientAtZero) {
    const std::vector<double> xs = {-3, -0.2, 0, 0.7, 4};
    const Tensor x = Tensor::from(xs, {}, {.requires_grad = true});
    const Tensor y = f64({0, 1, 0.25, 0, 1});
    const Tensor loss = nn::BCEWithLogitsLoss({.reduction = Reduction::None})(x, y);
    EXPECT_TRUE(allclose(loss, nn::BCELoss({.reduction = Reduction::None})(sigmoid(x.detach()), y), 1e-12, 1e-12));
    sum(loss).backward();
    // d/dx = σ(x) − y; at x = 0 that is 0.5 − y (a composition through |x| and max(x, 0) would miss it).
    const std::vector<double> yv = y.to_vector<double>();
    std::vector<double> expected;
    for (std::size_t i = 0; i < xs.size(); ++i) expected.push_back(1 / (1 + std::exp(-xs[i])) - yv[i]);
    EXPECT_TRUE(near_values(x.grad(), expected, kTol));
    EXPECT_NEAR(x.grad().to_vector<double>()[2], 0.25, kTol);
}

TEST(BCEWithLogitsLoss, ExtremeLogitsStayFinite) {
    const Tensor x = Tensor::from({1000.f, -1000.f, 50.f, -50.f, 1e30f, -1e30f}, {}, {.requires_grad = true});
    const Tensor y = Tensor::from({0.f, 1.f, 1.f, 0.f, 1.f, 1.f});
    const Tensor loss = nn::BCEWithLogitsLoss({.reduction = Reduction::None})(x, y);
    // −log σ(−1000) = 1000 exactly in float32; σ(±50) saturates, leaving exp(−50) ≈ 2e-22.
    EXPECT_TRUE(near_values(loss.narrow(0, 0, 5), {1000, 1000, 0, 0, 0}, 1e-5));
    EXPECT_NEAR(loss.to_vector<double>()[5] / 1e30, 1.0, 1e-6);  // float32 rounding of 1e30
    for (double v : loss.to_vector<double>()) EXPECT_TRUE(std::isfinite(v)) << v;
    sum(loss).backward();
    EXPECT_TRUE(near_values(x.grad(), {1, -1, 0, 0, 0, -1}, 1e-6));
    const Tensor weighted = nn::BCEWithLogitsLoss({.pos_weight = Tensor::from({3.f})})(x.detach(), y);
    EXPECT_TRUE(std::isfinite(weighted.item()));
}

TEST(BCEWithLogitsLoss, Gradients) {
    const Tensor x = f64({-2, 0.3, 1.5, 3, -0.5, 0.1}, {2, 3}, true);
    const Tensor y = f64({0, 1, 0.8, 1, 0, 0.5}, {2, 3}, true);
    const Tensor pw = f64({2, 0.5, 1.3}), w = f64({1, 2, 0.5});
    for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
        EXPECT_TRUE(check_gradients(
            [&](const auto& v) {
                return nn::F::binary_cross_entropy_with_logits(v[0], v[1], {.weight = w, .reduction = r, .pos_weight = pw});
            },
            {x, y}));
        EXPECT_TRUE(check_gradients(
            [&](const auto& v) { return nn::F::binary_cross_entropy_with_logits(v[0], v[1], {.reduction = r}); },
            {x, y}));
    }
}

// ---- cross entropy and NLL ------------------------------------------------------------------------
// The 3×3 example every PyTorch reference value below uses (float64):
//   x = [[1, 2, 3], [0.5, -1, 2], [3, 0, 0]], t = [0, -100, 2], w = [0.2, 1, 3]
Tensor ce_input(bool requires_grad = false) { return f64({1, 2, 3, 0.5, -1, 2, 3, 0, 0}, {3, 3}, requires_grad); }
Tensor ce_target() { return Tensor::from({std::int64_t{0}, std::int64_t{-100}, std::int64_t{2}}); }
Tensor ce_weight() { return f64({0.2, 1, 3}); }

// −log softmax(x[n])[c] in double.
double neg_log_softmax(const std::vector<double>& row, std::size_t c) {
    double m = row[0];
    for (double v : row) m = std::max(m, v);
    double z = 0;
    for (double v : row) z += std::exp(v - m);
    return -(row[c] - m - std::log(z));
}

TEST(CrossEntropyLoss, ClassIndicesMatchMinusLogSoftmax) {
    const Tensor x = ce_input();
    const Tensor t = Tensor::from({std::int64_t{0}, std::int64_t{1}, std::int64_t{2}});
    const std::vector<double> l = {neg_log_softmax({1, 2, 3}, 0), neg_log_softmax({0.5, -1, 2}, 1),
                                   neg_log_softmax({3, 0, 0}, 2)};
    EXPECT_TRUE(near_values(nn::CrossEntropyLoss({.reduction = Reduction::None})(x, t), l, kTol));
    EXPECT_NEAR(nn::CrossEntropyLoss()(x, t).item(), total(l) / 3, kTol);
    EXPECT_NEAR(nn::CrossEntropyLoss({.reduction = Reduction::Sum})(x, t).item(), total(l), kTol);
    // Weighted mean divides by the weights of the targets: (0.2·l0 + 1·l1 + 3·l2) / 4.2.
    EXPECT_NEAR(nn::CrossEntropyLoss({.weight = ce_weight()})(x, t).item(), (0.2 * l[0] + l[1] + 3 * l[2]) / 4.2, kTol);
    // Same as NLLLoss after log_softmax.
    EXPECT_NEAR(nn::NLLLoss()(log_softmax(x, 1), t).item(), total(l) / 3, kTol);
}

TEST(CrossEntropyLoss, IgnoreIndexLeavesTheTargetOutOfTheMean) {
    const Tensor x = ce_input();
    const double l0 = neg_log_softmax({1, 2, 3}, 0), l2 = neg_log_softmax({3, 0, 0}, 2);
    EXPECT_TRUE(near_values(nn::CrossEntropyLoss({.reduction = Reduction::None})(x, ce_target()), {l0, 0, l2}, kTol));
    EXPECT_NEAR(nn::CrossEntropyLoss()(x, ce_target()).item(), (l0 + l2) / 2, kTol);
    // torch: F.nll_loss(F.log_softmax(x, 1), t, weight=w) = 3.051965644422424
    EXPECT_NEAR(nn::NLLLoss({.weight = ce_weight()})(log_softmax(x, 1), ce_target()).item(), 3.051965644422424, kTol);
    // A custom ignore_index.
    const Tensor t = Tensor::from({std::int64_t{0}, std::int64_t{1}, std::int64_t{2}});
    EXPECT_NEAR(nn::CrossEntropyLoss({.ignore_index = 1})(x, t).item(), (l0 + l2) / 2, kTol);
    // Every target ignored: 0/0 = NaN, as PyTorch.
    const Tensor all_ignored = Tensor::full({3}, -100, {.dtype = kInt64});
    EXPECT_TRUE(std::isnan(nn::CrossEntropyLoss()(x, all_ignored).item()));
    EXPECT_EQ(nn::CrossEntropyLoss({.reduction = Reduction::Sum})(x, all_ignored).item(), 0.0);
}

TEST(CrossEntropyLoss, LabelSmoothingMatchesPyTorch) {
    const Tensor x = ce_input();
    // torch: F.cross_entropy(x, t, label_smoothing=0.3) = 2.4512644604326703
    EXPECT_NEAR(nn::CrossEntropyLoss({.label_smoothing = 0.3})(x, ce_target()).item(), 2.4512644604326703, kTol);
    // torch: F.cross_entropy(x, t, weight=w, label_smoothing=0.3) = 2.6210828719592723
    EXPECT_NEAR(nn::CrossEntropyLoss({.weight = ce_weight(), .label_smoothing = 0.3})(x, ce_target()).item(),
                2.6210828719592723, kTol);
    // torch: the same with reduction='sum' = 8.387465190269673
    EXPECT_NEAR(nn::CrossEntropyLoss({.weight = ce_weight(), .reduction = Reduction::Sum, .label_smoothing = 0.3})(
                    x, ce_target())
                    .item(),
                8.387465190269673, kTol);
    // torch: reduction='none' = [0.648259340088853, 0.0, 7.73920585018082]
    EXPECT_TRUE(near_values(
        nn::CrossEntropyLoss({.weight = ce_weight(), .reduction = Reduction::None, .label_smoothing = 0.3})(x,
                                                                                                          ce_target()),
        {0.648259340088853, 0.0, 7.73920585018082}, kTol));
}

TEST(CrossEntropyLoss, ClassProbabilities) {
    const Tensor x = ce_input();
    const Tensor p = f64({0.1, 0.6, 0.3, 1, 0, 0, 0.2, 0.2, 0.6}, {3, 3});
    // torch: F.cross_entropy(x, p, reduction='none')
    EXPECT_TRUE(near_values(nn::CrossEntropyLoss({.reduction = Reduction::None})(x, p),
                            {1.2076059644443804, 1.7413112966571571, 2.4949229564209605}, kTol));
    // torch: F.cross_entropy(x, p, weight=w, label_smoothing=0.2) = 2.5209271731160503 (mean over N, not weights)
    EXPECT_NEAR(nn::CrossEntropyLoss({.weight = ce_weight(), .label_smoothing = 0.2})(x, p).item(), 2.5209271731160503,
                kTol);
    EXPECT_NE(error_of([&] { nn::CrossEntropyLoss({.ignore_index = 1})(x, p); })
                  .find("ignore_index is not supported for floating point target"),
              std::string::npos);
    EXPECT_NE(error_of([&] { nn::CrossEntropyLoss()(x, Tensor::zeros({3, 3}, {.dtype = kInt64})); })
                  .find("expected a floating target"),
              std::string::npos);
}

TEST(CrossEntropyLoss, SpatialInputs) {
    // x [2, 3, 2]: N = 2, C = 3, d1 = 2; t [2, 2].
    const Tensor x = f64({1, -1, 2, 0.5, 0, 3, 0.3, 0.2, -2, 1, 1, 1}, {2, 3, 2});
    const Tensor t = Tensor::from({std::int64_t{0}, std::int64_t{2}, std::int64_t{1}, std::int64_t{-100}}, {2, 2});
    // torch: F.cross_entropy(x, t, weight=w) = 0.9534418961847677
    EXPECT_NEAR(nn::CrossEntropyLoss({.weight = ce_weight()})(x, t).item(), 0.9534418961847677, kTol);
    // torch: F.cross_entropy(x, t, label_smoothing=0.1, reduction='none')
    const Tensor none = nn::CrossEntropyLoss({.reduction = Reduction::None, .label_smoothing = 0.1})(x, t);
    EXPECT_EQ(none.shape(), (Shape{2, 2}));
    EXPECT_TRUE(near_values(none, {1.4076059644443804, 0.312340996081049, 3.2592451161773353, 0.0}, kTol));
}

TEST(CrossEntropyLoss, UnbatchedInput) {
    const Tensor x = f64({0.5, -1, 2});
    const Tensor t = Tensor::scalar(2, {.dtype = kInt64});
    const Tensor loss = nn::CrossEntropyLoss({.reduction = Reduction::None})(x, t);
    EXPECT_EQ(loss.dim(), 0);
    EXPECT_NEAR(loss.item(), neg_log_softmax({0.5, -1, 2}, 2), kTol);
    EXPECT_NEAR(nn::CrossEntropyLoss({.label_smoothing = 0.2})(x, t).item(),
                0.8 * neg_log_softmax({0.5, -1, 2}, 2) +
                    0.2 / 3 * (neg_log_softmax({0.5, -1, 2}, 0) + neg_log_softmax({0.5, -1, 2}, 1) +
                               neg_log_softmax({0.5, -1, 2}, 2)),
                kTol);
}

TEST(CrossEntropyLoss, ExtremeLogitsStayFinite) {
    // exp of any of these logits overflows float32: only a stable log_softmax gives finite values.
    const Tensor x = Tensor::from({1000.f, -1000.f, 0.f, -1e4f, 1e4f, 0.f, 100.f, -100.f, 0.f}, {3, 3},
                                  {.requires_grad = true});
    const Tensor t = Tensor::from({std::int64_t{0}, std::int64_t{0}, std::int64_t{1}});
    const Tensor loss = nn::CrossEntropyLoss({.reduction = Reduction::None, .label_smoothing = 0.1})(x, t);
    for (double v : loss.to_vector<double>()) EXPECT_TRUE(std::isfinite(v)) << v;
    const Tensor plain = nn::CrossEntropyLoss({.reduction = Reduction::None})(x.detach(), t);
    EXPECT_TRUE(near_values(plain, {0, 2e4, 200}, 1e-3));
    sum(nn::CrossEntropyLoss()(x, t)).backward();
    for (double g : x.grad().to_vector<double>()) EXPECT_TRUE(std::isfinite(g)) << g;
    // d/dx = (softmax(x) − onehot)/N: (0 − 1, 1 − 0, 0)/3 in row 1, (1 − 0, 0 − 1, 0)/3 in row 2.
    EXPECT_TRUE(near_values(x.grad(), {0, 0, 0, -1.0 / 3, 1.0 / 3, 0, 1.0 / 3, -1.0 / 3, 0}, 1e-6));
}

TEST(CrossEntropyLoss, ClearErrors) {
    const Tensor x = Tensor::zeros({4, 3});
    std::string msg = error_of([&] { nn::CrossEntropyLoss()(x, Tensor::zeros({5}, {.dtype = kInt64})); });
    EXPECT_NE(msg.find("expected target of shape [4] for input of shape [4, 3], got target of shape [5]"),
              std::string::npos)
        << msg;
    msg = error_of([&] { nn::CrossEntropyLoss()(x, Tensor::zeros({4})); });
    EXPECT_NE(msg.find("expected class indices of dtype int64, got target of dtype float32 and shape [4]"),
              std::string::npos)
        << msg;
    msg = error_of([&] { nn::CrossEntropyLoss()(x, Tensor::full({4}, 3, {.dtype = kInt64})); });
    EXPECT_NE(msg.find("target 3 is out of bounds for 3 classes"), std::string::npos) << msg;
    msg = error_of([&] { nn::CrossEntropyLoss()(x, Tensor::full({4}, -1, {.dtype = kInt64})); });
    EXPECT_NE(msg.find("target -1 is out of bounds"), std::string::npos) << msg;
    msg = error_of([&] { nn::CrossEntropyLoss({.weight = Tensor::ones({2})})(x, Tensor::zeros({4}, {.dtype = kInt64})); });
    EXPECT_NE(msg.find("for all 3 classes or no classes but got weight tensor of shape [2]"), std::string::npos) << msg;
    msg = error_of([&] { nn::CrossEntropyLoss({.label_smoothing = 1.5})(x, Tensor::zeros({4}, {.dtype = kInt64})); });
    EXPECT_NE(msg.find("label_smoothing must be between 0.0 and 1.0"), std::string::npos) << msg;
    msg = error_of([&] { nn::NLLLoss()(Tensor::zeros({3}), Tensor::zeros({2}, {.dtype = kInt64})); });
    EXPECT_NE(msg.find("expected target of shape [] for input of shape [3]"), std::string::npos) << msg;
}

TEST(CrossEntropyLoss, Gradients) {
    const Tensor x = f64({1, 2, 3, 0.5, -1, 2, 3, 0, 0, -0.3, 0.8, 0.1}, {4, 3}, true);
    const Tensor t = Tensor::from({std::int64_t{0}, std::int64_t{-100}, std::int64_t{2}, std::int64_t{1}});
    const Tensor p = f64({0.1, 0.6, 0.3, 1, 0, 0, 0.2, 0.2, 0.6, 0.5, 0.5, 0}, {4, 3}, true);
    for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum})
        for (double ls : {0.0, 0.25}) {
            const nn::CrossEntropyLossOptions o{.weight = ce_weight(), .reduction = r, .label_smoothing = ls};
            EXPECT_TRUE(check_gradients([&](const auto& v) { return nn::F::cross_entropy(v[0], t, o); }, {x}));
            EXPECT_TRUE(check_gradients([&](const auto& v) { return nn::F::cross_entropy(v[0], v[1], o); }, {x, p}));
            const nn::CrossEntropyLossOptions plain{.reduction = r, .label_smoothing = ls};
            EXPECT_TRUE(check_gradients([&](const auto& v) { return nn::F::cross_entropy(v[0], t, plain); }, {x}));
        }
    const Tensor xs = f64({1, -1, 2, 0.5, 0, 3, 0.3, 0.2, -2, 1, 1, 1}, {2, 3, 2}, true);
    const Tensor ts = Tensor::from({std::int64_t{0}, std::int64_t{2}, std::int64_t{1}, std::int64_t{-100}}, {2, 2});
    EXPECT_TRUE(check_gradients([&](const auto& v) { return nn::F::cross_entropy(v[0], ts, {.weight = ce_weight()}); }, {xs}));
}

TEST(NLLLoss, FusedOpEqualsTheComposedOneHotForm) {
    // The fused nll_loss against −Σ_c onehot·w·x, written with plain ops: values and gradients.
    const Tensor x = f64({-1.2, -0.3, -2.5, -0.7, -1.1, -0.05, -3, -0.4, -0.9, -1.6, -0.2, -2}, {4, 3}, true);
    const Tensor t = Tensor::from({std::int64_t{2}, std::int64_t{0}, std::int64_t{-100}, std::int64_t{1}});
    const Tensor w = ce_weight();
    // onehot·w with ignored rows zeroed, built by hand.
    const Tensor mask = f64({0, 0, 3, 0.2, 0, 0, 0, 0, 0, 0, 1, 0}, {4, 3});
    const Tensor fused = nn::NLLLoss({.weight = w, .reduction = Reduction::None})(x, t);
    const Tensor composed = neg(sum(mul(x, mask), {1}));
    EXPECT_TRUE(allclose(fused, composed, 0, 1e-15));
    const Tensor mean_fused = nn::NLLLoss({.weight = w})(x, t);
    EXPECT_NEAR(mean_fused.item(), sum(composed).item() / (3 + 0.2 + 1), kTol);
    mean_fused.backward();
    const Tensor fused_grad = x.grad();
    x.set_grad(Tensor());
    div(sum(neg(sum(mul(x, mask), {1}))), 4.2).backward();
    EXPECT_TRUE(allclose(fused_grad, x.grad(), 0, 1e-15));
    EXPECT_TRUE(check_gradients([&](const auto& v) { return nn::F::nll_loss(v[0], t, {.weight = w}); }, {x}));
}

TEST(NLLLoss, ReductionsAndFloat32) {
    const Tensor x = Tensor::from({-1.f, -2.f, -0.5f, -3.f}, {2, 2});
    const Tensor t = Tensor::from({std::int64_t{1}, std::int64_t{0}});
    EXPECT_TRUE(near_values(nn::NLLLoss({.reduction = Reduction::None})(x, t), {2.0, 0.5}, 1e-6));
    EXPECT_NEAR(nn::NLLLoss({.reduction = Reduction::Sum})(x, t).item(), 2.5, 1e-6);
    EXPECT_NEAR(nn::NLLLoss()(x, t).item(), 1.25, 1e-6);
    EXPECT_EQ(nn::NLLLoss()(x, t).dtype(), kFloat32);
}

TEST(Losses, TrainAToyClassifierDownhill) {
    // The loss decreases under plain gradient steps: the losses and Linear work together.
    Generator gen(4);
    auto model = nn::Sequential(nn::Linear(2, 8, {.generator = &gen}), nn::Tanh(), nn::Linear(8, 2, {.generator = &gen}));
    const Tensor x = Tensor::from({0.f, 0.f, 0.f, 1.f, 1.f, 0.f, 1.f, 1.f}, {4, 2});
    const Tensor y = Tensor::from({std::int64_t{0}, std::int64_t{1}, std::int64_t{1}, std::int64_t{0}});
    nn::CrossEntropyLoss criterion;
    const double first = criterion(model(x), y).item();
    for (int step = 0; step < 300; ++step) {
        Tensor loss = criterion(model(x), y);
        model.zero_grad();
        loss.backward();
        NoGradGuard guard;
        for (Tensor& p : model.parameters()) p.sub_(p.grad(), 0.5);
    }
    EXPECT_LT(criterion(model(x), y).item(), 0.1 * first);
}

}  // namespace
}  // namespace descent
