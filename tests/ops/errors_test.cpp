// Misuse through the public API is a descent::Error with a message naming the op
// and the values (shapes, dtypes, dims, indices); nothing crashes or reads out of
// bounds, including negative sizes, empty tensors, zero-size dims and 0-dim tensors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>

#include "descent/descent.hpp"

using namespace descent;

namespace {
// The message of the descent::Error `f` throws ("no error" if none).
std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
#define EXPECT_ERROR_HAS(expr, part) EXPECT_PRED2(contains, error_of([&] { (void)(expr); }), part)

Tensor z(const Shape& s, DType t = kFloat32) { return Tensor::zeros(s, {.dtype = t}); }
}  // namespace

TEST(Errors, ErrorIsAStdException) {
    try {
        z({2}).item();
        FAIL();
    } catch (const std::exception& e) {
        EXPECT_TRUE(contains(e.what(), "item"));
    }
}

TEST(Errors, ShapeErrorsNameTheOpAndBothShapes) {
    EXPECT_EQ(error_of([] { matmul(z({3, 4}), z({5, 2})); }), "matmul: cannot multiply [3, 4] by [5, 2]");
    EXPECT_EQ(error_of([] { mm(z({3, 4}), z({5, 2})); }), "matmul: cannot multiply [3, 4] by [5, 2]");
    EXPECT_EQ(error_of([] { mm(z({2, 3, 4}), z({4, 2})); }), "mm: expected 2-D tensors, got [2, 3, 4] and [4, 2]");
    EXPECT_EQ(error_of([] { add(z({2, 3}), z({4})); }),
              "add: shapes [2, 3] and [4] cannot be broadcast together (dim 1: 3 vs 4)");
    EXPECT_ERROR_HAS(mul(z({2, 3}), z({3, 2})), "mul: shapes [2, 3] and [3, 2]");
    EXPECT_ERROR_HAS(z({2, 3}) - z({2}), "sub: shapes [2, 3] and [2]");
    EXPECT_ERROR_HAS(z({2, 3}) / z({4, 3}), "div: shapes [2, 3] and [4, 3]");
    EXPECT_ERROR_HAS(where(z({2}, kBool), z({3}), z({2})), "where: shapes [2] and [3]");
    EXPECT_ERROR_HAS(eq(z({2}), z({3})), "eq: shapes [2] and [3]");
    EXPECT_EQ(error_of([] { linear(z({2, 3}), z({4, 5})); }),
              "linear: input of shape [2, 3] does not match weight of shape [4, 5] (expected last dim 5)");
    EXPECT_ERROR_HAS(linear(z({2, 3}), z({4, 3}), z({5})), "bias of shape [5] does not match weight of shape [4, 3]");
    EXPECT_EQ(error_of([] { z({2, 3}).view({5}); }),
              "view: shape [5] is invalid for input of shape [2, 3] (6 elements)");
    EXPECT_ERROR_HAS(z({2, 3}).reshape({4, -1}), "reshape: shape [4, -1] is invalid for input of shape [2, 3]");
    EXPECT_ERROR_HAS(z({3}).expand({2, 4}), "expand: cannot expand [3] to [2, 4]");
    EXPECT_ERROR_HAS(z({2, 3}).expand({3}), "expand: cannot expand [2, 3] to fewer dims [3]");
    EXPECT_ERROR_HAS(z({2, 3}).copy_(z({4})), "copy_: shapes [2, 3] and [4]");
    EXPECT_ERROR_HAS(z({2}).copy_(z({2, 2})), "copy_: cannot broadcast [2, 2] to [2] in place");
    EXPECT_ERROR_HAS(z({2, 3}).permute({0}), "permute: 1 dims given for a tensor of shape [2, 3]");
    EXPECT_ERROR_HAS(z({2, 3}).view({-1, -1}), "only one dim can be -1");
    EXPECT_ERROR_HAS(sum_to(z({2, 3}), {4}), "sum_to: cannot reduce [2, 3] to [4]");
    EXPECT_ERROR_HAS(Tensor::from({1.f, 2.f, 3.f}, {2, 2}), "3 values cannot fill shape [2, 2]");
}

TEST(Errors, DtypeMismatches) {
    EXPECT_EQ(error_of([] { matmul(z({2, 2}), z({2, 2}, kFloat64)); }), "matmul: dtype mismatch, float32 by float64");
    EXPECT_EQ(error_of([] { matmul(z({2, 2}, kInt64), z({2, 2}, kInt64)); }),
              "matmul: expected floating-point tensors, got int64");
    EXPECT_ERROR_HAS(mean(z({2}, kInt64)), "mean: expected a floating-point tensor, got int64");
    EXPECT_ERROR_HAS(var(z({2}, kBool)), "var: expected a floating-point tensor, got bool");
    EXPECT_ERROR_HAS(where(z({2}), z({2}), z({2})), "where: condition must be bool, got float32");
    EXPECT_ERROR_HAS(z({2}, kInt64).requires_grad_(), "only floating-point tensors can require gradients, got int64");
    EXPECT_ERROR_HAS(z({2}).data_ptr<double>(), "data_ptr: tensor has dtype float32, asked for float64");
    EXPECT_ERROR_HAS(z({2}, kBool) - z({2}, kBool), "sub: subtraction of two bool tensors");
    EXPECT_ERROR_HAS(-z({2}, kBool), "neg: negation of a bool tensor");
    EXPECT_ERROR_HAS(gather(z({2}), 0, z({2})), "gather: index must be an int64 tensor, got float32");
    EXPECT_ERROR_HAS(pow(Tensor::from({2}), Tensor::from({-1})), "pow: integers to negative integer powers");
    EXPECT_ERROR_HAS(pow(Tensor::from({2}), -1.0), "pow: an integer tensor cannot be raised to a negative power");
    EXPECT_ERROR_HAS(z({2}, kInt64).uniform_(0, 1), "uniform_: needs a floating tensor, got int64");
    EXPECT_ERROR_HAS(Tensor::rand({2}, {.dtype = kInt64}), "rand: dtype must be floating, got int64");
    EXPECT_ERROR_HAS(z({2}, kInt64).div_(z({2}, kInt64)), "div_: in-place true division needs a floating tensor");
    EXPECT_ERROR_HAS(logsumexp(z({2}, kInt64), {0}), "logsumexp: expected a floating-point tensor, got int64");
}

TEST(Errors, OutOfRangeDimsAndIndices) {
    EXPECT_EQ(error_of([] { sum(z({2, 3}), {2}); }),
              "sum: dim 2 is out of range for a tensor with 2 dims (expected [-2, 1])");
    EXPECT_ERROR_HAS(sum(z({2, 3}), {-3}), "sum: dim -3 is out of range");
    EXPECT_ERROR_HAS(sum(z({2, 3}), {1, -1}), "sum: dim -1 appears twice in [1, -1]");
    EXPECT_ERROR_HAS(mean(z({2, 3}), {5}), "mean: dim 5 is out of range");
    EXPECT_ERROR_HAS(softmax(z({2, 3}), 2), "softmax: dim 2 is out of range");
    EXPECT_ERROR_HAS(log_softmax(z({2, 3}), -3), "log_softmax: dim -3 is out of range");
    EXPECT_ERROR_HAS(max(z({2, 3}), 4), "max: dim 4 is out of range");
    EXPECT_ERROR_HAS(argmin(z({2, 3}), 2), "argmin: dim 2 is out of range");
    EXPECT_ERROR_HAS(z({2, 3}).transpose(0, 2), "transpose: dim 2 is out of range");
    EXPECT_ERROR_HAS(z({2, 3}).unsqueeze(3), "unsqueeze: dim 3 is out of range");
    EXPECT_ERROR_HAS(z({2, 3}).squeeze(2), "squeeze: dim 2 is out of range");
    EXPECT_ERROR_HAS(z({2, 3}).size(2), "size: dim 2 is out of range");
    EXPECT_ERROR_HAS(z({2, 3}).flatten(1, 0), "flatten: start_dim 1 comes after end_dim 0");
    EXPECT_ERROR_HAS(z({2, 3}).permute({0, 0}), "permute: dim 0 repeats in [0, 0]");
    EXPECT_EQ(error_of([] { z({3, 4}).select(0, 3); }),
              "select: index 3 is out of range for dim 0 of size 3 (shape [3, 4])");
    EXPECT_ERROR_HAS(z({3, 4}).select(1, -5), "select: index -5 is out of range for dim 1 of size 4");
    EXPECT_ERROR_HAS(z({3, 4})[7], "select: index 7 is out of range");
    EXPECT_ERROR_HAS(z({3, 4}).narrow(1, 2, 3), "narrow: start 2 and length 3 exceed dim 1 of size 4");
    EXPECT_ERROR_HAS(z({3, 4}).narrow(1, 0, -1), "narrow: start 0 and length -1");
    EXPECT_ERROR_HAS(z({3, 4}).slice(0, 0, 2, 0), "slice: step must be positive, got 0");
    EXPECT_ERROR_HAS(z({3, 4}).slice(0, 0, 2, -1), "slice: step must be positive, got -1");
    EXPECT_ERROR_HAS(index_select(z({3}), 0, Tensor::from({3})), "index_select: index 3 is out of range for dim 0 of size 3");
}

TEST(Errors, ZeroDimTensors) {
    const Tensor s = Tensor::scalar(1.0);
    EXPECT_EQ(error_of([&] { s.select(0, 0); }), "select: cannot index a 0-dim tensor");
    EXPECT_ERROR_HAS(s[0], "select: cannot index a 0-dim tensor");
    EXPECT_ERROR_HAS(s.narrow(0, 0, 1), "narrow: cannot narrow a 0-dim tensor");
    EXPECT_ERROR_HAS(s.slice(0, 0, 1), "slice: cannot slice a 0-dim tensor");
    EXPECT_ERROR_HAS(matmul(s, s), "matmul: both arguments need at least 1 dim");
    EXPECT_ERROR_HAS(s.transpose(0, 1), "transpose: dim 1 is out of range");
    EXPECT_ERROR_HAS(s.squeeze(1), "squeeze: dim 1 is out of range");
    EXPECT_ERROR_HAS(split(s, 1), "split: a 0-dim tensor cannot be split");
    EXPECT_ERROR_HAS(chunk(s, 2), "chunk: a 0-dim tensor cannot be chunked");
    // What PyTorch allows on a scalar works here too.
    EXPECT_EQ(s.transpose(0, -1).dim(), 0);
    EXPECT_EQ(s.squeeze(0).dim(), 0);
    EXPECT_EQ(s.unsqueeze(0).shape(), (Shape{1}));
    EXPECT_EQ(sum(s, {0}).dim(), 0);
    EXPECT_EQ(max(s, 0).values.item(), 1.0);
    EXPECT_EQ(softmax(s, -1).item(), 1.0);
    EXPECT_EQ(s.item(), 1.0);
    EXPECT_EQ(s.flatten().shape(), (Shape{1}));
    EXPECT_EQ(gather(s, 0, Tensor::scalar(0, {.dtype = kInt64})).item(), 1.0);
}

TEST(Errors, NegativeAndHugeSizesAreRejected) {
    EXPECT_ERROR_HAS(Tensor::zeros({-1}), "tensor: negative extent in shape [-1]");
    EXPECT_ERROR_HAS(Tensor::full({2, -3}, 1.0), "negative extent in shape [2, -3]");
    EXPECT_ERROR_HAS(Tensor::randn({-2}), "negative extent");
    EXPECT_ERROR_HAS(Tensor::empty({1LL << 40, 1LL << 40}), "is too large");
    EXPECT_ERROR_HAS(Tensor::eye(-1), "eye: n must be non-negative");
    EXPECT_ERROR_HAS(Tensor::linspace(0, 1, -1), "linspace: steps must be non-negative");
    EXPECT_ERROR_HAS(Tensor::arange(0, 5, 0), "arange: step must be nonzero");
    EXPECT_ERROR_HAS(Tensor::arange(0, 5, -1), "arange: the range [0, 5) is empty or runs against step -1");
    EXPECT_ERROR_HAS(Tensor::arange(0, 1e30), "has too many elements");
    EXPECT_ERROR_HAS(Tensor::arange(0, INFINITY), "must be finite");
    EXPECT_ERROR_HAS(Tensor::randint(3, 3, {2}), "randint: low (3) must be less than high (3)");
    EXPECT_ERROR_HAS(Tensor::bernoulli({2}, 1.5), "bernoulli: probability 1.5 is outside [0, 1]");
    EXPECT_ERROR_HAS(Tensor::from({1.f, 2.f}, {-1, -2}), "negative extent");
    EXPECT_ERROR_HAS(z({2, 3}).reshape({-2, -3}), "reshape: invalid extent -2");
    EXPECT_ERROR_HAS(z({1}).expand({-2}), "expand: invalid size -2 in [-2]");
    EXPECT_ERROR_HAS(z({3}).expand({-1, 3}), "expand: new leading dim 0 cannot be -1");
    EXPECT_ERROR_HAS(split(z({3}), -1), "split: split_size must be non-negative");
    EXPECT_ERROR_HAS(split(z({3}), std::vector<std::int64_t>{4, -1}), "split: split sizes must be non-negative");
    EXPECT_ERROR_HAS(one_hot(Tensor::from({1}), -5), "one_hot: num_classes must be -1 (infer) or non-negative");
    EXPECT_ERROR_HAS(Generator(1).below(0), "below: n must be positive");
    // Sizes near INT64_MAX: no signed overflow (UBSan would abort), an error or the right answer.
    const std::int64_t huge = INT64_MAX;
    EXPECT_ERROR_HAS(z({3}).narrow(0, 1, huge), "narrow: start 1 and length 9223372036854775807 exceed dim 0");
    EXPECT_EQ(z({3}).slice(0, 0, 3, huge).shape(), (Shape{1}));
    EXPECT_EQ(split(z({3}), huge).size(), 1u);
    EXPECT_EQ(chunk(z({3}), huge).size(), 3u);
    EXPECT_ERROR_HAS(z({4}).view({1LL << 40, 1LL << 40}), "view: shape [1099511627776, 1099511627776] is invalid");
    EXPECT_ERROR_HAS(one_hot(Tensor::from({huge})), "one_hot: class value 9223372036854775807 is too large");
    EXPECT_ERROR_HAS(make_view(z({4}), {3}, {2}, 0), "reach outside a storage of 4 elements");
    EXPECT_ERROR_HAS(make_view(z({4}), {2}, {1}, 3), "reach outside");
    EXPECT_ERROR_HAS(make_view(z({4}), {2}, {-1}, 3), "invalid shape [2] or strides [-1]");
}

TEST(Errors, EmptyTensorsAndZeroSizeDimsWork) {
    const Tensor e = z({0, 3});
    EXPECT_EQ((e + z({3})).shape(), (Shape{0, 3}));
    EXPECT_EQ(exp(e).shape(), (Shape{0, 3}));
    EXPECT_EQ(sum(e, {0}).to_vector<float>(), (std::vector<float>{0, 0, 0}));
    EXPECT_EQ(sum(e, {1}).shape(), (Shape{0}));
    EXPECT_TRUE(std::isnan(mean(e).item()));  // 0 / 0, as torch
    EXPECT_EQ(max(e, 1).values.shape(), (Shape{0}));
    EXPECT_ERROR_HAS(max(e), "max: cannot reduce an empty tensor");
    EXPECT_ERROR_HAS(max(e, 0), "max: cannot reduce an empty dim 0 of shape [0, 3]");
    EXPECT_ERROR_HAS(argmax(e), "argmax: cannot reduce an empty tensor");
    EXPECT_ERROR_HAS(e.item(), "item: only a tensor with one element");
    EXPECT_EQ(softmax(e, 1).shape(), (Shape{0, 3}));
    EXPECT_EQ(log_softmax(z({2, 0}), 1).shape(), (Shape{2, 0}));
    EXPECT_EQ(matmul(e, z({3, 2})).shape(), (Shape{0, 2}));
    EXPECT_EQ(matmul(z({2, 0}), z({0, 2})).to_vector<float>(), std::vector<float>(4, 0.f));
    EXPECT_EQ(linear(z({0, 3}), z({2, 3}), z({2})).shape(), (Shape{0, 2}));
    EXPECT_EQ(e.t().contiguous().shape(), (Shape{3, 0}));
    EXPECT_EQ(e.reshape({3, 0, 5}).shape(), (Shape{3, 0, 5}));
    EXPECT_EQ(e.slice(1, 1, 2).shape(), (Shape{0, 1}));
    EXPECT_EQ(cat({e, z({2, 3})}).shape(), (Shape{2, 3}));
    EXPECT_EQ(stack({e, e}).shape(), (Shape{2, 0, 3}));
    EXPECT_EQ(gather(e, 1, z({0, 2}, kInt64)).shape(), (Shape{0, 2}));
    EXPECT_EQ(one_hot(z({0}, kInt64), 4).shape(), (Shape{0, 4}));
    EXPECT_ERROR_HAS(one_hot(z({0}, kInt64)), "one_hot: cannot infer num_classes from an empty tensor");
    EXPECT_EQ(e.to_vector<float>().size(), 0u);
    EXPECT_EQ(e.to_string(), "tensor([], size=(0, 3))");
    Tensor g = z({0, 3}).requires_grad_();
    sum(g * 2.0).backward();
    EXPECT_EQ(g.grad().shape(), (Shape{0, 3}));
}

TEST(Errors, UndefinedTensors) {
    const Tensor u;
    EXPECT_FALSE(u.defined());
    EXPECT_EQ(error_of([&] { (void)u.shape(); }), "use of an undefined tensor");
    EXPECT_ERROR_HAS(u + z({2}), "undefined tensor");
    EXPECT_ERROR_HAS(exp(u), "undefined tensor");
    EXPECT_ERROR_HAS(u.sum(), "undefined tensor");
    EXPECT_ERROR_HAS(u.item(), "undefined tensor");
    EXPECT_ERROR_HAS(u.backward(), "undefined tensor");
    EXPECT_ERROR_HAS(u.to_vector<float>(), "undefined tensor");
    EXPECT_ERROR_HAS(u.view({1}), "undefined tensor");
    EXPECT_ERROR_HAS(cat({z({2}), u}), "cat: tensor 1 is undefined");
    EXPECT_ERROR_HAS(stack({u}), "stack: tensor 0 is undefined");
    EXPECT_ERROR_HAS(gather(z({2}), 0, u), "gather: index is undefined");
    EXPECT_ERROR_HAS(scatter_add(z({2}), 0, z({1}, kInt64), u), "scatter_add: src is undefined");
    EXPECT_ERROR_HAS(matmul(u, z({2})), "undefined tensor");
    EXPECT_ERROR_HAS(make_view(u, {1}, {1}, 0), "undefined tensor");
    EXPECT_EQ(u.to_string(), "tensor(undefined)");
}

TEST(Errors, InPlaceOnATensorThatRequiresGrad) {
    Tensor w = Tensor::ones({2}, {.requires_grad = true});
    EXPECT_ERROR_HAS(w.add_(z({2})), "add_: in-place change of a tensor that requires grad while grad mode is on");
    EXPECT_ERROR_HAS(w.zero_(), "fill_: in-place change of a tensor that requires grad");
    NoGradGuard guard;
    w.mul_(2.0);  // allowed without recording, as torch.no_grad()
    EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{2, 2}));
}
