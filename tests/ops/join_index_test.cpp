// cat, stack, split, chunk, index_select, gather, scatter_add and one_hot:
// values, shapes, dtypes, gradients and the errors on bad indices.
#include <gtest/gtest.h>

#include "descent/autograd/node.hpp"
#include "descent/descent.hpp"

using namespace descent;

namespace {
Tensor iota(const Shape& shape, DType dtype = kFloat32) {
    return Tensor::arange(0, static_cast<double>(shape_numel(shape)), 1, {.dtype = dtype}).reshape(shape);
}
Tensor idx(std::vector<std::int64_t> v, Shape shape = {}) { return Tensor::from(v, shape); }
std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}
}  // namespace

TEST(Join, CatAlongEachDim) {
    const Tensor a = iota({2, 3}), b = iota({1, 3}) + 10.0;
    EXPECT_EQ(cat({a, b}).shape(), (Shape{3, 3}));
    EXPECT_EQ(cat({a, b}).to_vector<float>(), (std::vector<float>{0, 1, 2, 3, 4, 5, 10, 11, 12}));
    const Tensor c = iota({2, 1}) + 20.0;
    EXPECT_EQ(cat({a, c}, -1).to_vector<float>(), (std::vector<float>{0, 1, 2, 20, 3, 4, 5, 21}));
    EXPECT_EQ(cat({a}).to_vector<float>(), a.to_vector<float>());
    // Non-contiguous inputs, a zero-size piece, and the legacy skipped 1-D empty tensor.
    EXPECT_EQ(cat({a.t(), Tensor::zeros({0, 2}), a.t()}, 0).shape(), (Shape{6, 2}));
    EXPECT_EQ(cat({a, Tensor::zeros({0})}).shape(), (Shape{2, 3}));
    // dtypes promote, as torch.cat.
    EXPECT_EQ(cat({a, b.to(kFloat64)}).dtype(), kFloat64);
    EXPECT_EQ(cat({iota({2}, kInt64), iota({2})}).dtype(), kFloat32);
}

TEST(Join, CatErrorsNameTheShapes) {
    EXPECT_EQ(error_of([] { cat({iota({2, 3}), iota({2, 4})}, 0); }),
              "cat: tensor 1 has shape [2, 4] but tensor 0 has shape [2, 3]; sizes must match except in dim 0");
    EXPECT_EQ(error_of([] { cat({}); }), "cat: expected a non-empty list of tensors");
    EXPECT_EQ(error_of([] { cat({Tensor::scalar(1), Tensor::scalar(2)}); }),
              "cat: zero-dimensional tensor (at position 0) cannot be concatenated");
    EXPECT_NE(error_of([] { cat({iota({2, 3}), iota({6})}); }).find("same number of dims"), std::string::npos);
    EXPECT_NE(error_of([] { cat({iota({2, 3})}, 2); }).find("dim 2 is out of range"), std::string::npos);
}

TEST(Join, CatGradientSplitsBackAndRestoresDtype) {
    Tensor a = Tensor::zeros({2, 2}, {.requires_grad = true});
    Tensor b = Tensor::zeros({2, 1}, {.dtype = kFloat64, .requires_grad = true});
    Tensor y = cat({a, b}, 1);
    EXPECT_EQ(y.grad_fn()->name(), "CatBackward0");
    sum(y * iota({2, 3}, kFloat64)).backward();
    EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{0, 1, 3, 4}));
    EXPECT_EQ(a.grad().dtype(), kFloat32);
    EXPECT_EQ(b.grad().to_vector<double>(), (std::vector<double>{2, 5}));
}

TEST(Join, Stack) {
    const Tensor a = iota({2, 3}), b = iota({2, 3}) + 6.0;
    EXPECT_EQ(stack({a, b}).shape(), (Shape{2, 2, 3}));
    EXPECT_EQ(stack({a, b}, 1).shape(), (Shape{2, 2, 3}));
    EXPECT_EQ(stack({a, b}, -1).shape(), (Shape{2, 3, 2}));
    EXPECT_EQ(stack({a, b}, 2).to_vector<float>(), (std::vector<float>{0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11}));
    EXPECT_EQ(stack({Tensor::scalar(1), Tensor::scalar(2)}).to_vector<float>(), (std::vector<float>{1, 2}));
    EXPECT_EQ(error_of([&] { stack({a, iota({3, 2})}); }),
              "stack: expects each tensor to be equal size, but got [2, 3] at entry 0 and [3, 2] at entry 1");
    EXPECT_EQ(error_of([] { stack({}); }), "stack: expected a non-empty list of tensors");
    EXPECT_THROW(stack({a, b}, 3), Error);
}

TEST(Join, SplitAndChunkGiveViews) {
    const Tensor x = iota({5, 2});
    const auto p = split(x, 2);
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[0].shape(), (Shape{2, 2}));
    EXPECT_EQ(p[2].shape(), (Shape{1, 2}));
    EXPECT_EQ(p[2].to_vector<float>(), (std::vector<float>{8, 9}));
    const auto q = split(x, std::vector<std::int64_t>{1, 0, 4});
    ASSERT_EQ(q.size(), 3u);
    EXPECT_EQ(q[1].shape(), (Shape{0, 2}));
    EXPECT_EQ(q[2].to_vector<float>()[0], 2.f);
    EXPECT_EQ(split(x, 1, 1)[1].to_vector<float>(), (std::vector<float>{1, 3, 5, 7, 9}));
    // torch.chunk: ceil(5 / 3) = 2 per piece → 3 pieces; ceil(6 / 4) = 2 → only 3 pieces.
    EXPECT_EQ(chunk(x, 3).size(), 3u);
    EXPECT_EQ(chunk(iota({6}), 4).size(), 3u);
    EXPECT_EQ(chunk(iota({0}), 3).size(), 3u);  // empty dim: `chunks` empty pieces
    EXPECT_EQ(split(iota({0}), 0).size(), 1u);
    EXPECT_EQ(error_of([&] { split(x, std::vector<std::int64_t>{1, 2}); }),
              "split: split sizes [1, 2] sum to 3 but dim 0 of shape [5, 2] has size 5");
    EXPECT_EQ(error_of([&] { split(x, 0); }), "split: split_size can only be 0 if dim 0 has size 0, but it has size 5");
    EXPECT_THROW(split(x, -1), Error);
    EXPECT_THROW(chunk(x, 0), Error);
    EXPECT_THROW(split(Tensor::scalar(1), 1), Error);
}

TEST(Indexing, IndexSelect) {
    const Tensor x = iota({3, 4});
    EXPECT_EQ(index_select(x, 0, idx({2, 0, 2})).to_vector<float>(),
              (std::vector<float>{8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11}));
    EXPECT_EQ(index_select(x, 1, idx({3, 1})).to_vector<float>(), (std::vector<float>{3, 1, 7, 5, 11, 9}));
    EXPECT_EQ(index_select(x.t(), 0, idx({1})).to_vector<float>(), (std::vector<float>{1, 5, 9}));
    EXPECT_EQ(index_select(x, 1, Tensor::scalar(2, {.dtype = kInt64})).shape(), (Shape{3, 1}));
    EXPECT_EQ(index_select(x, 0, idx({})).shape(), (Shape{0, 4}));
    // Duplicates accumulate in the gradient.
    Tensor w = Tensor::zeros({3, 2}, {.requires_grad = true});
    sum(index_select(w, 0, idx({2, 0, 2}))).backward();
    EXPECT_EQ(w.grad().to_vector<float>(), (std::vector<float>{1, 1, 0, 0, 2, 2}));
}

TEST(Indexing, GatherAndScatterAdd) {
    const Tensor x = iota({2, 3});
    // out[i][j] = x[i][index[i][j]]
    EXPECT_EQ(gather(x, 1, idx({2, 0, 1, 1}, {2, 2})).to_vector<float>(), (std::vector<float>{2, 0, 4, 4}));
    EXPECT_EQ(gather(x, 0, idx({1, 0, 1}, {1, 3})).to_vector<float>(), (std::vector<float>{3, 1, 5}));
    EXPECT_EQ(gather(x.t(), 1, idx({1, 0, 0}, {3, 1})).to_vector<float>(), (std::vector<float>{3, 1, 2}));
    // out = x; out[i][index[i][j]] += src[i][j]
    const Tensor s = scatter_add(Tensor::zeros({2, 3}), 1, idx({0, 0, 2, 1}, {2, 2}), iota({2, 2}) + 1.0);
    EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{3, 0, 0, 0, 4, 3}));
    // src larger than index: only the index-shaped corner is read.
    EXPECT_EQ(scatter_add(Tensor::zeros({3}), 0, idx({2}), iota({4}) + 1.0).to_vector<float>(), (std::vector<float>{0, 0, 1}));
    // Gradients: gather scatters back, scatter_add gathers.
    Tensor a = Tensor::zeros({2, 3}, {.requires_grad = true});
    sum(gather(a, 1, idx({2, 2, 0, 1}, {2, 2})) * iota({2, 2})).backward();
    EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{0, 0, 1, 2, 3, 0}));
    Tensor base = Tensor::zeros({3}, {.requires_grad = true});
    Tensor src = Tensor::zeros({4}, {.requires_grad = true});
    sum(scatter_add(base, 0, idx({2, 0}), src) * Tensor::from({1.f, 2.f, 3.f})).backward();
    EXPECT_EQ(base.grad().to_vector<float>(), (std::vector<float>{1, 2, 3}));
    EXPECT_EQ(src.grad().to_vector<float>(), (std::vector<float>{3, 1, 0, 0}));
}

TEST(Indexing, OneHot) {
    const Tensor o = one_hot(idx({0, 2, 1}), 3);
    EXPECT_EQ(o.shape(), (Shape{3, 3}));
    EXPECT_EQ(o.dtype(), kFloat32);
    EXPECT_EQ(o.to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 0, 1, 0, 1, 0}));
    EXPECT_EQ(one_hot(idx({3, 1}, {2, 1})).shape(), (Shape{2, 1, 4}));  // num_classes inferred: max + 1
    EXPECT_EQ(one_hot(idx({1}), 2, kInt64).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1}));
    EXPECT_EQ(error_of([] { one_hot(idx({0, 3}), 3); }), "one_hot: class value 3 is out of range for num_classes 3");
    EXPECT_EQ(error_of([] { one_hot(idx({-1}), 3); }), "one_hot: class values must be non-negative, got -1");
    EXPECT_THROW(one_hot(Tensor::from({1.f}), 3), Error);
}

TEST(Indexing, OutOfRangeIndicesAreErrorsNamingIndexDimAndSize) {
    const Tensor x = iota({3, 4});
    EXPECT_EQ(error_of([&] { index_select(x, 1, idx({0, 4})); }),
              "index_select: index 4 is out of range for dim 1 of size 4");
    EXPECT_EQ(error_of([&] { index_select(x, 0, idx({-1})); }),
              "index_select: index -1 is out of range for dim 0 of size 3");
    EXPECT_EQ(error_of([&] { gather(x, 0, idx({3}, {1, 1})); }), "gather: index 3 is out of range for dim 0 of size 3");
    EXPECT_EQ(error_of([&] { scatter_add(x, 1, idx({9}, {1, 1}), iota({1, 1})); }),
              "scatter_add: index 9 is out of range for dim 1 of size 4");
    EXPECT_EQ(error_of([&] { index_select(x, 0, Tensor::from({0.f})); }),
              "index_select: index must be an int64 tensor, got float32");
    EXPECT_EQ(error_of([&] { gather(x, 1, idx({0}, {1})); }),
              "gather: index of shape [1] needs as many dims as the input of shape [3, 4]");
    EXPECT_EQ(error_of([&] { gather(x, 1, idx({0, 0, 0, 0}, {4, 1})); }),
              "gather: index of shape [4, 1] is larger than the input of shape [3, 4] in dim 0");
    EXPECT_EQ(error_of([&] { scatter_add(x, 1, idx({0, 0}, {1, 2}), iota({1, 1})); }),
              "scatter_add: index of shape [1, 2] is larger than src of shape [1, 1] in dim 1");
    EXPECT_EQ(error_of([&] { scatter_add(x, 1, idx({0}, {1, 1}), iota({1, 1}, kFloat64)); }),
              "scatter_add: src has dtype float64 but the input has dtype float32");
    EXPECT_EQ(error_of([&] { index_select(x, 2, idx({0})); }),
              "index_select: dim 2 is out of range for a tensor with 2 dims (expected [-2, 1])");
    EXPECT_THROW(index_select(x, 0, idx({0, 1}, {1, 2})), Error);  // 2-D index
}
