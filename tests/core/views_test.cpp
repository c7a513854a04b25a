// Factories (shapes, dtypes, values) and views: every view op shares storage
// with its base (a write through one is seen through the other), contiguous()
// copies only when needed, and item()/to_vector read strided data correctly.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/descent.hpp"

using namespace descent;

namespace {
Tensor iota(const Shape& shape, DType dtype = kFloat32) {
    return Tensor::arange(0, static_cast<double>(shape_numel(shape)), 1, {.dtype = dtype}).reshape(shape);
}
// Writes `value` through `view` (outside autograd) and returns the base's values.
std::vector<float> write_through(Tensor base, Tensor view, double value) {
    NoGradGuard guard;
    view.fill_(value);
    return base.to_vector<float>();
}
bool shares_storage(const Tensor& a, const Tensor& b) { return a.impl()->storage == b.impl()->storage; }
}  // namespace

// ---- factories -----------------------------------------------------------------------------------

TEST(Factories, ShapesAndDtypes) {
    EXPECT_EQ(Tensor::zeros({2, 3}).shape(), (Shape{2, 3}));
    EXPECT_EQ(Tensor::zeros({2, 3}).dtype(), kFloat32);
    EXPECT_EQ(Tensor::ones({4}, {.dtype = kFloat64}).dtype(), kFloat64);
    EXPECT_EQ(Tensor::full({2}, 7, {.dtype = kInt64}).to_vector<std::int64_t>(), (std::vector<std::int64_t>{7, 7}));
    EXPECT_EQ(Tensor::full({2, 2}, 1.5).to_vector<float>(), (std::vector<float>(4, 1.5f)));
    EXPECT_EQ(Tensor::scalar(2.5).dim(), 0);
    EXPECT_EQ(Tensor::scalar(2.5).numel(), 1);
    EXPECT_EQ(Tensor::empty({3, 0, 2}).numel(), 0);
    EXPECT_EQ(Tensor::zeros({}).shape(), Shape{});
    EXPECT_EQ(Tensor::zeros_like(Tensor::ones({2, 3}, {.dtype = kInt64})).dtype(), kInt64);
    EXPECT_EQ(Tensor::ones_like(Tensor::zeros({3})).to_vector<float>(), (std::vector<float>{1, 1, 1}));
    EXPECT_EQ(Tensor::full_like(Tensor::zeros({2}), 4).to_vector<float>(), (std::vector<float>{4, 4}));
    EXPECT_TRUE(Tensor::zeros({2}, {.requires_grad = true}).requires_grad());
}

TEST(Factories, FromDataDeducesDtypeAndShape) {
    EXPECT_EQ(Tensor::from({1.f, 2.f}).dtype(), kFloat32);
    EXPECT_EQ(Tensor::from({1.0, 2.0}).dtype(), kFloat64);
    EXPECT_EQ(Tensor::from({1, 2, 3}).dtype(), kInt64);
    EXPECT_EQ(Tensor::from(std::vector<bool>{true, false}).dtype(), kBool);
    const Tensor m = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3}, {.dtype = kFloat64});
    EXPECT_EQ(m.shape(), (Shape{2, 3}));
    EXPECT_EQ(m.dtype(), kFloat64);
    EXPECT_EQ(m.to_vector<double>(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(Tensor::from({{1.f, 2.f}, {3.f, 4.f}}).shape(), (Shape{2, 2}));
}

TEST(Factories, ArangeValuesAndDtypes) {
    EXPECT_EQ(Tensor::arange(5).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
    EXPECT_EQ(Tensor::arange(5).dtype(), kInt64);
    EXPECT_EQ(Tensor::arange(5, 0, -2).to_vector<std::int64_t>(), (std::vector<std::int64_t>{5, 3, 1}));
    EXPECT_EQ(Tensor::arange(2, 2).numel(), 0);
    // torch.arange(0, 1, 0.3): float32, 4 values computed as start + i * step in double.
    const Tensor f = Tensor::arange(0, 1, 0.3);
    EXPECT_EQ(f.dtype(), kFloat32);
    ASSERT_EQ(f.numel(), 4);
    const auto v = f.to_vector<float>();
    for (int i = 0; i < 4; ++i) EXPECT_EQ(v[i], static_cast<float>(0.3 * i));
    EXPECT_EQ(Tensor::arange(0, 3, 1, {.dtype = kFloat64}).to_vector<double>(), (std::vector<double>{0, 1, 2}));
}

TEST(Factories, LinspaceMatchesPyTorch) {
    // torch.linspace(-1, 2, 7) and torch.linspace(0.1, 0.7, 4) (float32, computed in float):
    EXPECT_EQ(Tensor::linspace(-1, 2, 7).to_vector<float>(), (std::vector<float>{-1, -0.5, 0, 0.5, 1, 1.5, 2}));
    EXPECT_EQ(Tensor::linspace(0.1, 0.7, 4).to_vector<float>(),
              (std::vector<float>{0.10000000149011612f, 0.29999998211860657f, 0.5f, 0.699999988079071f}));
    EXPECT_EQ(Tensor::linspace(0.1, 0.7, 4, {.dtype = kFloat64}).to_vector<double>(),
              (std::vector<double>{0.1, 0.3, 0.5, 0.7}));
    EXPECT_EQ(Tensor::linspace(3, 9, 1).to_vector<float>(), (std::vector<float>{3}));  // start, as torch
    EXPECT_EQ(Tensor::linspace(0, 1, 0).numel(), 0);
    EXPECT_EQ(Tensor::linspace(0, 10, 4, {.dtype = kInt64}).to_vector<std::int64_t>(),
              (std::vector<std::int64_t>{0, 3, 6, 10}));  // torch.linspace(0, 10, 4, dtype=torch.int64)
}

TEST(Factories, Eye) {
    EXPECT_EQ(Tensor::eye(3).to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 1, 0, 0, 0, 1}));
    EXPECT_EQ(Tensor::eye(0).shape(), (Shape{0, 0}));
}

// ---- views share storage ------------------------------------------------------------------------

TEST(Views, EveryViewOpSharesStorageWithItsBase) {
    const Tensor base = iota({2, 3, 4});
    const std::vector<std::pair<const char*, Tensor>> views = {
        {"view", base.view({6, 4})},
        {"reshape", base.reshape({4, 6})},
        {"flatten", base.flatten(1)},
        {"transpose", base.transpose(0, 2)},
        {"permute", base.permute({1, 2, 0})},
        {"slice", base.slice(2, 1, 3)},
        {"narrow", base.narrow(1, 1, 2)},
        {"select", base.select(1, 2)},
        {"unsqueeze", base.unsqueeze(1)},
        {"squeeze", base.unsqueeze(0).squeeze()},
        {"expand", base.select(2, 0).unsqueeze(2).expand({2, 3, 5})},
        {"detach", base.detach()},
        {"t", base.select(0, 1).t()},
        {"split", split(base, 1, 0)[1]},
        {"chunk", chunk(base, 2, 2)[1]},
    };
    for (const auto& [name, v] : views) EXPECT_TRUE(shares_storage(base, v)) << name;
}

TEST(Views, WritesThroughAViewAreSeenInTheBase) {
    Tensor a = iota({2, 3});
    EXPECT_EQ(write_through(a, a.select(1, 1), -1), (std::vector<float>{0, -1, 2, 3, -1, 5}));
    a = iota({2, 3});
    EXPECT_EQ(write_through(a, a.t().select(0, 2), 9), (std::vector<float>{0, 1, 9, 3, 4, 9}));
    a = iota({6});
    EXPECT_EQ(write_through(a, a.slice(0, 1, std::nullopt, 2), 0), (std::vector<float>{0, 0, 2, 0, 4, 0}));
    a = iota({2, 3});
    EXPECT_EQ(write_through(a, a.view({3, 2}).narrow(0, 2, 1), 7), (std::vector<float>{0, 1, 2, 3, 7, 7}));
    a = iota({4});
    EXPECT_EQ(write_through(a, split(a, std::vector<std::int64_t>{1, 3})[1], 5), (std::vector<float>{0, 5, 5, 5}));
}

TEST(Views, ViewGeometry) {
    const Tensor a = iota({2, 3, 4});
    const Tensor t = a.transpose(0, 2);
    EXPECT_EQ(t.shape(), (Shape{4, 3, 2}));
    EXPECT_EQ(t.strides(), (Shape{1, 4, 12}));
    EXPECT_FALSE(t.is_contiguous());
    const Tensor p = a.permute({2, 0, 1});
    EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
    EXPECT_EQ(p.strides(), (Shape{1, 12, 4}));
    const Tensor s = a.slice(2, 1, std::nullopt, 2);
    EXPECT_EQ(s.shape(), (Shape{2, 3, 2}));
    EXPECT_EQ(s.storage_offset(), 1);
    EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23}));
    // Python-style clamping of out-of-range slice bounds, and negative bounds.
    EXPECT_EQ(a.slice(0, -1, 100).shape(), (Shape{1, 3, 4}));
    EXPECT_EQ(a.slice(1, 5, 9).shape(), (Shape{2, 0, 4}));
    EXPECT_EQ(a.narrow(2, -2, 2).to_vector<float>()[0], 2.f);
    EXPECT_EQ(a.select(-1, -1).shape(), (Shape{2, 3}));
    EXPECT_EQ(a.select(-1, -1).to_vector<float>()[0], 3.f);
    EXPECT_EQ(a.unsqueeze(-1).shape(), (Shape{2, 3, 4, 1}));
    EXPECT_EQ(a.unsqueeze(0).shape(), (Shape{1, 2, 3, 4}));
    EXPECT_EQ(iota({1, 3, 1}).squeeze().shape(), (Shape{3}));
    EXPECT_EQ(iota({1, 3, 1}).squeeze(2).shape(), (Shape{1, 3}));
    EXPECT_EQ(iota({1, 3, 1}).squeeze(1).shape(), (Shape{1, 3, 1}));  // not 1: unchanged, as torch
    EXPECT_EQ(a.view({-1, 4}).shape(), (Shape{6, 4}));
    EXPECT_EQ(a.flatten().shape(), (Shape{24}));
    EXPECT_EQ(Tensor::scalar(1).flatten().shape(), (Shape{1}));
    const Tensor e = iota({3, 1}).expand({2, 3, 4});
    EXPECT_EQ(e.shape(), (Shape{2, 3, 4}));
    EXPECT_EQ(e.strides(), (Shape{0, 1, 0}));
    EXPECT_EQ(iota({3}).expand({2, -1}).shape(), (Shape{2, 3}));
}

TEST(Views, ViewOfNonContiguousFailsButReshapeCopies) {
    const Tensor t = iota({3, 4}).t();
    EXPECT_THROW(t.view({12}), Error);
    const Tensor r = t.reshape({12});
    EXPECT_FALSE(shares_storage(r, t));
    EXPECT_EQ(r.to_vector<float>(), t.to_vector<float>());
    // A reshape that can be a view is one.
    const Tensor base = iota({3, 4});
    EXPECT_TRUE(shares_storage(base.reshape({2, 6}), base));
}

TEST(Views, ContiguousCopiesOnlyWhenNeeded) {
    const Tensor a = iota({3, 4});
    EXPECT_TRUE(a.contiguous().is_same(a));
    const Tensor t = a.t();
    const Tensor c = t.contiguous();
    EXPECT_TRUE(c.is_contiguous());
    EXPECT_FALSE(shares_storage(c, a));
    EXPECT_EQ(c.to_vector<float>(), t.to_vector<float>());
    EXPECT_EQ(c.strides(), (Shape{3, 1}));
    const Tensor cl = a.clone();
    EXPECT_FALSE(shares_storage(cl, a));
    EXPECT_EQ(cl.to_vector<float>(), a.to_vector<float>());
}

TEST(Views, GradientsFlowBackThroughViews) {
    Tensor x = Tensor::zeros({2, 3}, {.requires_grad = true});
    Tensor y = x.t().slice(0, 1, 3).reshape({-1}).unsqueeze(0).expand({2, 4});
    sum(y * Tensor::from({1.f, 2.f, 3.f, 4.f})).backward();
    // y = [x01, x11, x02, x12] broadcast over 2 rows, weighted by 1..4
    EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{0, 2, 6, 0, 4, 8}));
}

// ---- element access ---------------------------------------------------------------------------------

TEST(Access, ItemAndToVector) {
    EXPECT_EQ(Tensor::scalar(2.5).item(), 2.5);
    EXPECT_EQ(Tensor::from({7}).item<std::int64_t>(), 7);
    EXPECT_EQ(Tensor::from({3.f}).reshape({1, 1}).item<float>(), 3.f);
    EXPECT_EQ(iota({2, 3}).select(1, 2).select(0, 1).item(), 5.0);
    EXPECT_EQ(iota({2, 3}, kInt64).t().to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 3, 1, 4, 2, 5}));
    EXPECT_EQ(iota({2}).to(kBool).to_vector<bool>(), (std::vector<bool>{false, true}));
    EXPECT_THROW(iota({2}).item(), Error);
    EXPECT_THROW(Tensor::zeros({0}).item(), Error);
    EXPECT_THROW(iota({2}).data_ptr<double>(), Error);
}

TEST(Access, ToConvertsDtypes) {
    const Tensor a = Tensor::from({1.7f, -1.7f, 0.f});
    EXPECT_EQ(a.to(kInt64).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, -1, 0}));  // truncation, as torch
    EXPECT_EQ(a.to(kBool).to_vector<bool>(), (std::vector<bool>{true, true, false}));
    EXPECT_EQ(a.to(kFloat64).dtype(), kFloat64);
    EXPECT_TRUE(a.to(kFloat32).is_same(a));
}
