// Dataset, TensorDataset, Subset, random_split and DataLoader: batching, shuffling
// with a seeded generator, a new order each epoch, and resumable generator state.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "descent/data/dataloader.hpp"
#include "descent/data/tensor_dataset.hpp"
#include "descent/descent.hpp"

namespace {
using descent::Tensor;
namespace data = descent::data;

// Inputs row i = (i, 10 i), targets = i (int64): every batch tells which rows it holds.
data::TensorDataset numbered(std::int64_t n) {
    std::vector<float> x;
    std::vector<std::int64_t> y;
    for (std::int64_t i = 0; i < n; ++i) {
        x.push_back(static_cast<float>(i));
        x.push_back(static_cast<float>(10 * i));
        y.push_back(i);
    }
    return data::TensorDataset(Tensor::from(x, {n, 2}), Tensor::from(y, {n}));
}

std::vector<std::int64_t> ids(const data::Batch& b) { return b.target.to_vector<std::int64_t>(); }

// A Dataset that only has get(): exercises the default get_batch (stacking).
struct Squares : data::Dataset {
    std::int64_t size() const override { return 5; }
    data::Example get(std::int64_t i) const override {
        DESCENT_CHECK(i >= 0 && i < 5, "Squares: index ", i, " out of range");
        return {Tensor::from({static_cast<float>(i), static_cast<float>(i * i)}), Tensor::scalar(static_cast<double>(i))};
    }
};

TEST(TensorDataset, GetAndGetBatch) {
    auto ds = numbered(6);
    EXPECT_EQ(ds.size(), 6);
    const data::Example e = ds.get(4);
    EXPECT_EQ(e.input.to_vector<float>(), (std::vector<float>{4.f, 40.f}));
    EXPECT_EQ(e.target.dim(), 0);
    EXPECT_EQ(e.target.item<std::int64_t>(), 4);
    const data::Example b = ds.get_batch({5, 0, 3});
    EXPECT_EQ(b.input.shape(), (descent::Shape{3, 2}));
    EXPECT_EQ(b.input.to_vector<float>(), (std::vector<float>{5.f, 50.f, 0.f, 0.f, 3.f, 30.f}));
    EXPECT_EQ(ids(b), (std::vector<std::int64_t>{5, 0, 3}));
    EXPECT_THROW(ds.get(6), descent::Error);
    EXPECT_THROW(ds.get(-1), descent::Error);
    EXPECT_THROW(ds.get_batch({1, 6}), descent::Error);
    EXPECT_THROW(data::TensorDataset(Tensor::zeros({3, 2}), Tensor::zeros({4})), descent::Error);
    EXPECT_THROW(data::TensorDataset(Tensor::scalar(1.0), Tensor::scalar(1.0)), descent::Error);
}

TEST(Dataset, DefaultGetBatchStacksExamples) {
    Squares ds;
    const data::Example b = ds.get_batch({3, 1});
    EXPECT_EQ(b.input.shape(), (descent::Shape{2, 2}));
    EXPECT_EQ(b.input.to_vector<float>(), (std::vector<float>{3.f, 9.f, 1.f, 1.f}));
    EXPECT_EQ(b.target.shape(), (descent::Shape{2}));
    EXPECT_EQ(b.target.to_vector<double>(), (std::vector<double>{3.0, 1.0}));
    EXPECT_THROW(ds.get_batch({}), descent::Error);
    EXPECT_THROW(ds.get_batch({0, 9}), descent::Error);
}

TEST(Subset, MapsIndices) {
    auto base = std::make_shared<data::TensorDataset>(numbered(10));
    data::Subset sub(base, {7, 2, 9});
    EXPECT_EQ(sub.size(), 3);
    EXPECT_EQ(sub.get(1).target.item<std::int64_t>(), 2);
    EXPECT_EQ(ids(sub.get_batch({2, 0})), (std::vector<std::int64_t>{9, 7}));
    EXPECT_THROW(sub.get(3), descent::Error);
    EXPECT_THROW(data::Subset(base, {10}), descent::Error);
}

TEST(RandomSplit, DisjointCoverSeeded) {
    auto base = std::make_shared<data::TensorDataset>(numbered(10));
    descent::Generator g1(5), g2(5);
    auto a = data::random_split(base, {7, 3}, &g1);
    auto b = data::random_split(base, {7, 3}, &g2);
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a[0].size(), 7);
    EXPECT_EQ(a[1].size(), 3);
    EXPECT_EQ(a[0].indices(), b[0].indices());  // same seed, same split
    std::set<std::int64_t> all(a[0].indices().begin(), a[0].indices().end());
    all.insert(a[1].indices().begin(), a[1].indices().end());
    EXPECT_EQ(all.size(), 10u);
    EXPECT_THROW(data::random_split(base, {7, 4}, &g1), descent::Error);
    // Fractions: floor, then the remainder round-robin (10 · 0.45 = 4.5 → 4 + 1, 10 · 0.55 → 5).
    auto f = data::random_split_fractions(base, {0.45, 0.55}, &g1);
    EXPECT_EQ(f[0].size(), 5);
    EXPECT_EQ(f[1].size(), 5);
    EXPECT_THROW(data::random_split_fractions(base, {0.5, 0.6}, &g1), descent::Error);
}

TEST(DataLoader, BatchesInOrderWithoutShuffle) {
    data::DataLoader loader(numbered(10), {.batch_size = 4});
    EXPECT_EQ(loader.size(), 3);
    std::vector<std::vector<std::int64_t>> seen;
    for (auto [input, target] : loader) {
        EXPECT_EQ(input.size(0), target.size(0));
        seen.push_back(target.to_vector<std::int64_t>());
    }
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0], (std::vector<std::int64_t>{0, 1, 2, 3}));
    EXPECT_EQ(seen[2], (std::vector<std::int64_t>{8, 9}));  // the short last batch

    data::DataLoader drop(numbered(10), {.batch_size = 4, .drop_last = true});
    EXPECT_EQ(drop.size(), 2);
    int count = 0;
    for (const data::Batch& b : drop) {
        EXPECT_EQ(b.input.size(0), 4);
        ++count;
    }
    EXPECT_EQ(count, 2);
    EXPECT_THROW(data::DataLoader(numbered(3), {.batch_size = 0}), descent::Error);
}

TEST(DataLoader, ShuffleIsANewPermutationEachEpochAndSeeded) {
    descent::Generator g(123), same(123);
    auto ds = std::make_shared<data::TensorDataset>(numbered(20));
    data::DataLoader loader(ds, {.batch_size = 6, .shuffle = true, .generator = &g});
    data::DataLoader twin(ds, {.batch_size = 6, .shuffle = true, .generator = &same});
    std::vector<std::vector<std::int64_t>> epochs;
    for (int e = 0; e < 3; ++e) {
        std::vector<std::int64_t> order, order_twin;
        for (const auto& b : loader) for (auto i : ids(b)) order.push_back(i);
        for (const auto& b : twin) for (auto i : ids(b)) order_twin.push_back(i);
        EXPECT_EQ(order, order_twin);  // same seed, same order
        std::vector<std::int64_t> sorted = order;
        std::sort(sorted.begin(), sorted.end());
        std::vector<std::int64_t> expected(20);
        std::iota(expected.begin(), expected.end(), 0);
        EXPECT_EQ(sorted, expected);  // a permutation: every example once
        epochs.push_back(order);
    }
    EXPECT_NE(epochs[0], epochs[1]);
    EXPECT_NE(epochs[1], epochs[2]);
    EXPECT_EQ(loader.epoch(), 3);
}

TEST(DataLoader, StateDictResumesTheShuffleStream) {
    descent::Generator g(9);
    data::DataLoader loader(numbered(12), {.batch_size = 5, .shuffle = true, .generator = &g});
    for (const auto& b : loader) (void)b;  // epoch 1
    const descent::StateDict saved = loader.state_dict();
    std::vector<std::int64_t> next;
    for (const auto& b : loader) for (auto i : ids(b)) next.push_back(i);  // epoch 2

    descent::Generator other(1);  // a different stream, restored from the state
    data::DataLoader resumed(numbered(12), {.batch_size = 5, .shuffle = true, .generator = &other});
    resumed.load_state_dict(saved);
    EXPECT_EQ(resumed.epoch(), 1);
    std::vector<std::int64_t> again;
    for (const auto& b : resumed) for (auto i : ids(b)) again.push_back(i);
    EXPECT_EQ(again, next);

    // A loader without a generator draws its own seed from the default generator.
    descent::manual_seed(77);
    data::DataLoader a(numbered(12), {.batch_size = 12, .shuffle = true});
    descent::manual_seed(77);
    data::DataLoader b(numbered(12), {.batch_size = 12, .shuffle = true});
    EXPECT_EQ(ids(*a.begin()), ids(*b.begin()));
}

TEST(DataLoader, GeneratorStateRoundTrip) {
    descent::Generator g(42);
    g.normal();  // leaves a cached normal in the state
    const descent::StateDict s = data::generator_state_dict(g);
    descent::Generator h(0);
    data::load_generator_state(h, s);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(g.normal(), h.normal());
    EXPECT_EQ(g.next_u64(), h.next_u64());
    descent::StateDict zero = s;
    zero.insert("state", Tensor::zeros({4}, {.dtype = descent::kInt64}));
    EXPECT_THROW(data::load_generator_state(h, zero), descent::Error);
}

}  // namespace
