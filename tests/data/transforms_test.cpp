// Image transforms: ToFloat and Normalize against their formulas in float32, the
// random crop and flip against draws replayed from a copy of the same Generator.
#include <gtest/gtest.h>

#include "descent/data/transforms.hpp"
#include "descent/ops.hpp"

using namespace descent;
using namespace descent::data::transforms;

namespace {
// [N, C, H, W] float32 with values 0, 1, 2, ...
Tensor ramp(const Shape& shape) { return Tensor::arange(0, static_cast<double>(shape_numel(shape)), 1, {.dtype = kFloat32}).reshape(shape); }
}  // namespace

TEST(Transforms, ToFloatDividesBy255) {
    Tensor pixels = Tensor::from(std::vector<std::int64_t>{0, 51, 255, 128}, {1, 1, 2, 2});
    Tensor x = ToFloat{}(pixels);
    EXPECT_EQ(x.dtype(), kFloat32);
    EXPECT_EQ(x.shape(), (Shape{1, 1, 2, 2}));
    EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{0.0f, 51.0f / 255.0f, 1.0f, 128.0f / 255.0f}));
    // Every byte value, and values outside 0..255, as float(v) / 255 exactly (pixels take a table).
    std::vector<std::int64_t> all;
    for (std::int64_t v = -3; v <= 300; ++v) all.push_back(v);
    all.push_back(std::int64_t{1} << 40);
    const auto got = ToFloat{}(Tensor::from(all, {1, 1, 1, static_cast<std::int64_t>(all.size())})).to_vector<float>();
    for (std::size_t i = 0; i < all.size(); ++i)
        EXPECT_EQ(got[i], static_cast<float>(all[i]) / 255.0f) << "pixel value " << all[i];
    // Floating input passes unchanged.
    Tensor f = Tensor::from({0.5f, 2.0f});
    EXPECT_EQ(ToFloat{}(f).to_vector<float>(), (std::vector<float>{0.5f, 2.0f}));
}

TEST(Transforms, NormalizePerChannel) {
    Tensor x = ramp({2, 2, 1, 3});  // two images, two channels
    Tensor y = Normalize{.mean = {1.0, 2.0}, .std = {0.5, 4.0}}(x);
    const std::vector<float> in = x.to_vector<float>(), out = y.to_vector<float>();
    for (int n = 0; n < 2; ++n)
        for (int c = 0; c < 2; ++c)
            for (int i = 0; i < 3; ++i) {
                const int k = (n * 2 + c) * 3 + i;
                EXPECT_EQ(out[k], (in[k] - (c ? 2.0f : 1.0f)) / (c ? 4.0f : 0.5f));
            }
    // One value broadcasts over the channels; a single image [C, H, W] stays 3-D.
    Tensor single = Normalize{{0.5}, {0.5}}(ramp({3, 2, 2}));
    EXPECT_EQ(single.shape(), (Shape{3, 2, 2}));
    EXPECT_EQ(single.to_vector<float>()[11], (11.0f - 0.5f) / 0.5f);
    EXPECT_THROW((Normalize{{0.1, 0.2, 0.3}, {1, 1, 1}}(x)), Error);  // 3 values, 2 channels
    EXPECT_THROW((Normalize{{0.1}, {0.0}}(x)), Error);
    EXPECT_THROW((Normalize{{0.1}, {1.0}}(Tensor::ones({4}))), Error);
}

TEST(Transforms, RandomCropReplaysTheGeneratorDraws) {
    const std::int64_t N = 4, C = 2, H = 3, W = 5, size = 3, pad = 2;
    Tensor x = ramp({N, C, H, W}) + 1.0;  // + 1 so the zero padding is distinguishable
    Generator gen(123), replay(123);
    Tensor y = RandomCrop{.size = size, .padding = pad, .generator = &gen}(x);
    ASSERT_EQ(y.shape(), (Shape{N, C, size, size}));
    const std::vector<float> in = x.to_vector<float>(), out = y.to_vector<float>();
    for (std::int64_t n = 0; n < N; ++n) {
        const auto top = static_cast<std::int64_t>(replay.below(H + 2 * pad - size + 1));
        const auto left = static_cast<std::int64_t>(replay.below(W + 2 * pad - size + 1));
        for (std::int64_t c = 0; c < C; ++c)
            for (std::int64_t r = 0; r < size; ++r)
                for (std::int64_t k = 0; k < size; ++k) {
                    const std::int64_t yy = top + r - pad, xx = left + k - pad;
                    const bool inside = yy >= 0 && yy < H && xx >= 0 && xx < W;
                    const float expected = inside ? in[((n * C + c) * H + yy) * W + xx] : 0.0f;
                    EXPECT_EQ(out[((n * C + c) * size + r) * size + k], expected);
                }
    }
    EXPECT_EQ(gen.next_u64(), replay.next_u64());  // exactly two draws per image
}

TEST(Transforms, RandomCropOfTheWholePaddedImageDrawsNothing) {
    Tensor x = ramp({1, 1, 2, 2}) + 1.0;
    Generator gen(7), untouched(7);
    Tensor y = RandomCrop{.size = 4, .padding = 1, .fill = -1.0, .generator = &gen}(x);
    EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{-1, -1, -1, -1, -1, 1, 2, -1, -1, 3, 4, -1, -1, -1, -1, -1}));
    EXPECT_EQ(gen.next_u64(), untouched.next_u64());
    EXPECT_THROW((RandomCrop{.size = 5, .padding = 1}(x)), Error);
    EXPECT_THROW((RandomCrop{.size = 0}(x)), Error);
}

TEST(Transforms, HorizontalFlip) {
    Tensor x = ramp({3, 2, 2, 3});
    const std::vector<float> in = x.to_vector<float>();
    auto flipped = [&](std::int64_t n) {
        std::vector<float> v;
        for (std::int64_t row = 0; row < 4; ++row)
            for (std::int64_t k = 0; k < 3; ++k) v.push_back(in[n * 12 + row * 3 + (2 - k)]);
        return v;
    };
    auto image = [](const Tensor& t, std::int64_t n) { return t.select(0, n).to_vector<float>(); };
    Tensor all = RandomHorizontalFlip{.p = 1.0}(x);
    Tensor none = RandomHorizontalFlip{.p = 0.0}(x);
    for (std::int64_t n = 0; n < 3; ++n) {
        EXPECT_EQ(image(all, n), flipped(n));
        EXPECT_EQ(image(none, n), image(x, n));
    }
    Generator gen(99), replay(99);
    Tensor some = RandomHorizontalFlip{.generator = &gen}(ramp({64, 1, 1, 2}));
    const std::vector<float> v = some.to_vector<float>();
    int flips = 0;
    for (int n = 0; n < 64; ++n) {
        const bool flip = replay.uniform_float() < 0.5;
        flips += flip;
        EXPECT_EQ(v[2 * n], static_cast<float>(flip ? 2 * n + 1 : 2 * n));
    }
    EXPECT_GT(flips, 0);
    EXPECT_LT(flips, 64);
}

TEST(Transforms, ComposeAppliesInOrder) {
    Tensor pixels = Tensor::from(std::vector<std::int64_t>{0, 255, 51, 102}, {1, 2, 2});
    Compose pipeline{{ToFloat{}, Normalize{{0.5}, {0.5}}, RandomHorizontalFlip{.p = 1.0}}};
    Tensor y = pipeline(pixels);
    EXPECT_EQ(y.shape(), (Shape{1, 2, 2}));
    const float a = (0.0f - 0.5f) / 0.5f, b = (1.0f - 0.5f) / 0.5f;
    const float c = (51.0f / 255.0f - 0.5f) / 0.5f, d = (102.0f / 255.0f - 0.5f) / 0.5f;
    EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{b, a, d, c}));
    EXPECT_EQ(Compose{}(pixels).to_vector<std::int64_t>(), pixels.to_vector<std::int64_t>());
}
