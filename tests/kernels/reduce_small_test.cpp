// sum_reduce's prefix path for a small kept size (column sums of [rows, K], K ≤ 16: partial sums
// in registers) against sum_reduce_reference: every K from 1 to 20 (the wider ones take the
// general loop) and row counts around the unroll (tails of 0 to 15 rows), all dtypes.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/descent.hpp"
#include "kernels/reduce.hpp"

namespace dk = descent::kernels;
using descent::DType;
using descent::Shape;
using descent::Tensor;

namespace {

template <class T>
void check_columns(DType dtype) {
    for (std::int64_t k = 1; k <= 20; ++k)
        for (std::int64_t rows : {1, 2, 3, 7, 15, 16, 17, 33, 1000, 1001}) {
            Tensor x = descent::mul(Tensor::randn({rows, k}), 100.0).to(dtype);
            if (dtype == descent::kBool) x = descent::gt(Tensor::randn({rows, k}), 0.0);
            const std::vector<bool> reduce = {true, false};
            const DType out = std::is_floating_point_v<T> ? dtype : descent::kInt64;
            const Tensor got = dk::sum_reduce<T>(x, reduce, out), want = dk::sum_reduce_reference<T>(x, reduce, out);
            ASSERT_EQ(got.shape(), want.shape());
            const std::vector<double> g = got.template to_vector<double>(), w = want.template to_vector<double>();
            for (std::size_t j = 0; j < g.size(); ++j) {
                // Both sum in double (int64); only the order differs: a few double ulps, so float32
                // results are equal and float64 ones within 1e-12 relative.
                if (dtype == descent::kFloat64)
                    EXPECT_NEAR(g[j], w[j], 1e-12 * (1 + std::abs(w[j]))) << "K " << k << " rows " << rows;
                else
                    EXPECT_EQ(g[j], w[j]) << "K " << k << " rows " << rows << " column " << j;
            }
        }
}

TEST(SumReduceSmallK, FloatColumnSums) { check_columns<float>(descent::kFloat32); }
TEST(SumReduceSmallK, DoubleColumnSums) { check_columns<double>(descent::kFloat64); }
TEST(SumReduceSmallK, Int64ColumnSums) { check_columns<std::int64_t>(descent::kInt64); }
TEST(SumReduceSmallK, BoolColumnSums) { check_columns<bool>(descent::kBool); }

TEST(SumReduceSmallK, ThreeDimsWithLeadingReducedDims) {
    // [a, b, K] reduced over a and b: the prefix path with `reduced` = a·b rows.
    const Tensor x = Tensor::randn({5, 9, 6});
    const std::vector<bool> reduce = {true, true, false};
    const Tensor got = dk::sum_reduce<float>(x, reduce, descent::kFloat32);
    const Tensor want = dk::sum_reduce_reference<float>(x, reduce, descent::kFloat32);
    EXPECT_EQ(got.shape(), (Shape{1, 1, 6}));
    EXPECT_EQ(got.to_vector<float>(), want.to_vector<float>());
}

}  // namespace
