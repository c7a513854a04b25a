// kernels::sum_reduce (fast loops for contiguous inputs reduced over leading or trailing dims)
// against sum_reduce_reference (the generic strided loop) on random shapes and dim sets,
// contiguous and not, float32 / float64 / int64.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "descent/descent.hpp"
#include "kernels/reduce.hpp"

namespace dk = descent::kernels;
using descent::Shape;
using descent::Tensor;

namespace {

template <class T>
void expect_same(const Tensor& got, const Tensor& want, const std::string& where) {
    ASSERT_EQ(got.shape(), want.shape()) << where;
    const Tensor g = got.contiguous(), w = want.contiguous();
    const T* pg = g.data_ptr<T>();
    const T* pw = w.data_ptr<T>();
    for (std::int64_t i = 0; i < g.numel(); ++i) {
        // Both sum in double (int64 for integers); only the order of the double additions differs,
        // which moves a result by a few double ulps: far below one float32 ulp, and ~1e-15 in float64.
        const double tol = std::is_integral_v<T> ? 0.0 : 1e-12 * (1.0 + std::abs(static_cast<double>(pw[i])));
        if (std::is_same_v<T, float>)
            EXPECT_EQ(pg[i], pw[i]) << where << " at " << i;
        else
            EXPECT_LE(std::abs(static_cast<double>(pg[i]) - static_cast<double>(pw[i])), tol) << where << " at " << i;
    }
}

template <class T>
void check(descent::DType dtype) {
    std::mt19937 gen(5);
    const std::vector<Shape> shapes = {{7}, {1000, 4}, {3, 5, 17}, {1, 9, 1, 33}, {64, 1}, {2, 3, 4, 5}, {0, 3}, {1}};
    for (const Shape& shape : shapes) {
        const std::size_t nd = shape.size();
        Tensor x = descent::mul(Tensor::randn(shape), 10.0).to(dtype);
        for (unsigned mask = 0; mask < (1u << nd); ++mask) {
            std::vector<bool> reduce(nd);
            for (std::size_t d = 0; d < nd; ++d) reduce[d] = (mask >> d) & 1;
            for (bool transposed : {false, true}) {
                const Tensor in = transposed && nd >= 2 ? x.transpose(0, nd - 1) : x;
                std::vector<bool> r = reduce;
                const std::string where = descent::shape_str(in.shape()) + " mask " + std::to_string(mask) +
                                          (transposed ? " transposed" : "");
                expect_same<T>(dk::sum_reduce<T>(in, r, dtype), dk::sum_reduce_reference<T>(in, r, dtype), where);
            }
        }
    }
}

TEST(SumReduce, FloatMatchesReference) { check<float>(descent::kFloat32); }
TEST(SumReduce, DoubleMatchesReference) { check<double>(descent::kFloat64); }
TEST(SumReduce, Int64MatchesReference) { check<std::int64_t>(descent::kInt64); }

TEST(SumReduce, BiasGradientValues) {
    // [N, C] → [1, C]: the column sums, checked against a plain loop.
    const Tensor x = Tensor::randn({1000, 4});
    const Tensor s = dk::sum_reduce<float>(x, {true, false}, descent::kFloat32);
    const float* p = x.data_ptr<float>();
    for (int j = 0; j < 4; ++j) {
        double want = 0;
        for (int i = 0; i < 1000; ++i) want += p[i * 4 + j];
        EXPECT_EQ(s.data_ptr<float>()[j], static_cast<float>(want));
    }
}

}  // namespace
