// Tensor::to_string against what torch 1.13 prints. Each expected string is
// torch's output for the Python expression in the comment beside it, as printed
// by scripts/print_strings.py.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "descent/descent.hpp"

using namespace descent;

namespace {
const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

Tensor f32(std::vector<float> v) { return Tensor::from(v); }
}  // namespace

TEST(Print, FloatNotations) {
    EXPECT_EQ(f32({1, 2}).to_string(), "tensor([1., 2.])");                         // torch.tensor([1., 2.])
    EXPECT_EQ(f32({0.1f, 2.5f}).to_string(), "tensor([0.1000, 2.5000])");            // torch.tensor([0.1, 2.5])
    EXPECT_EQ(f32({1e-5f, 1}).to_string(), "tensor([1.0000e-05, 1.0000e+00])");      // torch.tensor([1e-5, 1.])
    EXPECT_EQ(f32({1e9f, 1}).to_string(), "tensor([1.0000e+09, 1.0000e+00])");       // torch.tensor([1e9, 1.])
    EXPECT_EQ(f32({1, 1000}).to_string(), "tensor([   1., 1000.])");                 // torch.tensor([1., 1000.])
    EXPECT_EQ(f32({1, 1001}).to_string(), "tensor([1.0000e+00, 1.0010e+03])");       // torch.tensor([1., 1001.])
    EXPECT_EQ(f32({0.5f, 1000}).to_string(), "tensor([5.0000e-01, 1.0000e+03])");    // torch.tensor([0.5, 1000.])
    EXPECT_EQ(f32({-1.5f, 0.25f}).to_string(), "tensor([-1.5000,  0.2500])");        // torch.tensor([-1.5, 0.25])
    EXPECT_EQ(f32({0, 0}).to_string(), "tensor([0., 0.])");                          // torch.tensor([0., 0.])
    EXPECT_EQ(f32({-0.f, 1}).to_string(), "tensor([-0., 1.])");                      // torch.tensor([-0., 1.])
    EXPECT_EQ(f32({0.1f, 0.2f}).to_string(), "tensor([0.1000, 0.2000])");            // torch.tensor([0.1, 0.2])
    EXPECT_EQ(f32({1e20f, -1e-20f}).to_string(), "tensor([ 1.0000e+20, -1.0000e-20])");  // torch.tensor([1e20, -1e-20])
    EXPECT_EQ(Tensor::from({{1.5f, -2.25f}, {3.f, 4.f}}).to_string(),  // torch.tensor([[1.5, -2.25], [3., 4.]])
              "tensor([[ 1.5000, -2.2500],\n        [ 3.0000,  4.0000]])");
    EXPECT_EQ(Tensor::from({{1e-8f, 1.f}, {2.f, 3.f}}).to_string(),  // torch.tensor([[1e-8, 1.], [2., 3.]])
              "tensor([[1.0000e-08, 1.0000e+00],\n        [2.0000e+00, 3.0000e+00]])");
}

TEST(Print, NonFiniteValues) {
    // torch.tensor([nan, inf, -inf, 1.5])
    EXPECT_EQ(Tensor::from(std::vector<float>{float(kNan), float(kInf), float(-kInf), 1.5f}).to_string(),
              "tensor([   nan,    inf,   -inf, 1.5000])");
    // torch.tensor([nan, inf, -inf, 2.])
    EXPECT_EQ(Tensor::from(std::vector<float>{float(kNan), float(kInf), float(-kInf), 2.f}).to_string(),
              "tensor([nan, inf, -inf, 2.])");
}

TEST(Print, ZeroDim) {
    EXPECT_EQ(Tensor::scalar(3.0).to_string(), "tensor(3.)");                  // torch.tensor(3.)
    EXPECT_EQ(Tensor::scalar(0.1).to_string(), "tensor(0.1000)");              // torch.tensor(0.1)
    EXPECT_EQ(Tensor::scalar(1e-5).to_string(), "tensor(1.0000e-05)");         // torch.tensor(1e-5)
    EXPECT_EQ(Tensor::scalar(5, {.dtype = kInt64}).to_string(), "tensor(5)");  // torch.tensor(5)
    EXPECT_EQ(Tensor::scalar(1, {.dtype = kBool}).to_string(), "tensor(True)");  // torch.tensor(True)
    // torch.tensor(2.5, dtype=torch.float64, requires_grad=True)
    EXPECT_EQ(Tensor::scalar(2.5, {.dtype = kFloat64, .requires_grad = true}).to_string(),
              "tensor(2.5000, dtype=torch.float64, requires_grad=True)");
}

TEST(Print, IntegerAndBool) {
    // torch.arange(12).reshape(3, 4)
    EXPECT_EQ(Tensor::arange(12).reshape({3, 4}).to_string(),
              "tensor([[ 0,  1,  2,  3],\n        [ 4,  5,  6,  7],\n        [ 8,  9, 10, 11]])");
    // torch.tensor([123456789012, -3]): int64 beyond float precision prints exactly
    EXPECT_EQ(Tensor::from(std::vector<std::int64_t>{123456789012, -3}).to_string(),
              "tensor([123456789012,           -3])");
    EXPECT_EQ(Tensor::from(std::vector<bool>{true, false}).to_string(), "tensor([ True, False])");
    // torch.tensor([[[True, False]], [[False, True]]])
    EXPECT_EQ(Tensor::from(std::vector<bool>{true, false, false, true}, {2, 1, 2}).to_string(),
              "tensor([[[ True, False]],\n\n        [[False,  True]]])");
}

TEST(Print, DtypeAndAutogradSuffixes) {
    // torch.tensor([1.5, 2.], dtype=torch.float64)
    EXPECT_EQ(Tensor::from({1.5, 2.0}).to_string(), "tensor([1.5000, 2.0000], dtype=torch.float64)");
    // torch.tensor([1/3, 2/3], dtype=torch.float64)
    EXPECT_EQ(Tensor::from({1.0 / 3, 2.0 / 3}).to_string(), "tensor([0.3333, 0.6667], dtype=torch.float64)");
    Tensor x = Tensor::from({1.f, 2.f}, {}, {.requires_grad = true});
    EXPECT_EQ(x.to_string(), "tensor([1., 2.], requires_grad=True)");
    EXPECT_EQ((x * 2.0).to_string(), "tensor([2., 4.], grad_fn=<MulBackward0>)");  // x * 2
    EXPECT_EQ(sum(x).to_string(), "tensor(3., grad_fn=<SumBackward0>)");             // x.sum()
    EXPECT_EQ(sum(x, {0}).to_string(), "tensor(3., grad_fn=<SumBackward1>)");        // x.sum(0)
    EXPECT_EQ(cat({x, x}).to_string(), "tensor([1., 2., 1., 2.], grad_fn=<CatBackward0>)");  // torch.cat([x, x])
    EXPECT_EQ(x[0].to_string(), "tensor(1., grad_fn=<SelectBackward0>)");            // x[0]
    // torch.arange(16.).reshape(4, 4).div(3).to(torch.float64).requires_grad_(): the suffix wraps at 80 columns
    Tensor m = (Tensor::arange(0, 16, 1, {.dtype = kFloat32}).reshape({4, 4}) / 3.0).to(kFloat64).detach();
    m.requires_grad_(true);
    EXPECT_EQ(m.to_string(),
              "tensor([[0.0000, 0.3333, 0.6667, 1.0000],\n"
              "        [1.3333, 1.6667, 2.0000, 2.3333],\n"
              "        [2.6667, 3.0000, 3.3333, 3.6667],\n"
              "        [4.0000, 4.3333, 4.6667, 5.0000]], dtype=torch.float64,\n"
              "       requires_grad=True)");
}

TEST(Print, MultiDimAndLineWrapping) {
    // torch.arange(24.).reshape(2, 3, 4)
    EXPECT_EQ(Tensor::arange(0, 24, 1, {.dtype = kFloat32}).reshape({2, 3, 4}).to_string(),
              "tensor([[[ 0.,  1.,  2.,  3.],\n"
              "         [ 4.,  5.,  6.,  7.],\n"
              "         [ 8.,  9., 10., 11.]],\n"
              "\n"
              "        [[12., 13., 14., 15.],\n"
              "         [16., 17., 18., 19.],\n"
              "         [20., 21., 22., 23.]]])");
    // torch.arange(30.) / 7
    EXPECT_EQ((Tensor::arange(0, 30, 1, {.dtype = kFloat32}) / 7.0).to_string(),
              "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n"
              "        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n"
              "        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n"
              "        3.8571, 4.0000, 4.1429])");
}

TEST(Print, SummarizesMoreThanAThousandElements) {
    // torch.arange(2000.)
    EXPECT_EQ(Tensor::arange(0, 2000, 1, {.dtype = kFloat32}).to_string(),
              "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
              "        1.9990e+03])");
    // torch.arange(1200.).reshape(40, 30)
    EXPECT_EQ(Tensor::arange(0, 1200, 1, {.dtype = kFloat32}).reshape({40, 30}).to_string(),
              "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 2.7000e+01, 2.8000e+01,\n"
              "         2.9000e+01],\n"
              "        [3.0000e+01, 3.1000e+01, 3.2000e+01,  ..., 5.7000e+01, 5.8000e+01,\n"
              "         5.9000e+01],\n"
              "        [6.0000e+01, 6.1000e+01, 6.2000e+01,  ..., 8.7000e+01, 8.8000e+01,\n"
              "         8.9000e+01],\n"
              "        ...,\n"
              "        [1.1100e+03, 1.1110e+03, 1.1120e+03,  ..., 1.1370e+03, 1.1380e+03,\n"
              "         1.1390e+03],\n"
              "        [1.1400e+03, 1.1410e+03, 1.1420e+03,  ..., 1.1670e+03, 1.1680e+03,\n"
              "         1.1690e+03],\n"
              "        [1.1700e+03, 1.1710e+03, 1.1720e+03,  ..., 1.1970e+03, 1.1980e+03,\n"
              "         1.1990e+03]])");
    // torch.arange(2000).reshape(2, 10, 100)
    EXPECT_EQ(Tensor::arange(2000).reshape({2, 10, 100}).to_string(),
              "tensor([[[   0,    1,    2,  ...,   97,   98,   99],\n"
              "         [ 100,  101,  102,  ...,  197,  198,  199],\n"
              "         [ 200,  201,  202,  ...,  297,  298,  299],\n"
              "         ...,\n"
              "         [ 700,  701,  702,  ...,  797,  798,  799],\n"
              "         [ 800,  801,  802,  ...,  897,  898,  899],\n"
              "         [ 900,  901,  902,  ...,  997,  998,  999]],\n"
              "\n"
              "        [[1000, 1001, 1002,  ..., 1097, 1098, 1099],\n"
              "         [1100, 1101, 1102,  ..., 1197, 1198, 1199],\n"
              "         [1200, 1201, 1202,  ..., 1297, 1298, 1299],\n"
              "         ...,\n"
              "         [1700, 1701, 1702,  ..., 1797, 1798, 1799],\n"
              "         [1800, 1801, 1802,  ..., 1897, 1898, 1899],\n"
              "         [1900, 1901, 1902,  ..., 1997, 1998, 1999]]])");
}

TEST(Print, EmptyTensors) {
    EXPECT_EQ(Tensor::zeros({0}).to_string(), "tensor([])");                                      // torch.zeros(0)
    EXPECT_EQ(Tensor::zeros({2, 0}).to_string(), "tensor([], size=(2, 0))");                      // torch.zeros(2, 0)
    EXPECT_EQ(Tensor::zeros({0}, {.dtype = kInt64}).to_string(), "tensor([], dtype=torch.int64)");  // int64
    EXPECT_EQ(Tensor::zeros({0, 3}, {.dtype = kBool}).to_string(),  // torch.zeros(0, 3, dtype=torch.bool)
              "tensor([], size=(0, 3), dtype=torch.bool)");
}

TEST(Print, NonContiguousPrintsLogicalOrder) {
    // torch.arange(6).reshape(2, 3).t()
    EXPECT_EQ(Tensor::arange(6).reshape({2, 3}).t().to_string(), "tensor([[0, 3],\n        [1, 4],\n        [2, 5]])");
    EXPECT_EQ(Tensor().to_string(), "tensor(undefined)");
}
