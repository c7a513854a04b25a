// Image transforms as direct loops over contiguous batches: they run in the data
// pipeline, outside autograd, so they skip the op machinery.
#include "descent/data/transforms.hpp"

#include <array>
#include <cstring>

namespace descent::data::transforms {

namespace {

// [C, H, W] or [N, C, H, W] → contiguous [N, C, H, W]; `single` remembers to drop N again.
Tensor as_batch(const Tensor& images, const char* op, bool& single) {
    DESCENT_CHECK(images.defined(), op, ": undefined tensor");
    DESCENT_CHECK(images.dim() == 3 || images.dim() == 4, op, ": expected images [C, H, W] or [N, C, H, W], got ",
                  shape_str(images.shape()));
    single = images.dim() == 3;
    Tensor x = images.detach().contiguous();
    if (single) {
        const Shape& s = x.shape();
        x = make_view(x, {1, s[0], s[1], s[2]}, contiguous_strides({1, s[0], s[1], s[2]}), x.storage_offset());
    }
    return x;
}

Tensor unbatch(const Tensor& x, bool single) {
    if (!single) return x;
    const Shape& s = x.shape();
    return make_view(x, {s[1], s[2], s[3]}, contiguous_strides({s[1], s[2], s[3]}), x.storage_offset());
}

Generator& gen_or_default(Generator* g) { return g ? *g : default_generator(); }

}  // namespace

Tensor ToFloat::operator()(const Tensor& images) const {
    DESCENT_CHECK(images.defined(), "ToFloat: undefined tensor");
    Tensor x = images.detach().contiguous();
    if (x.is_floating_point()) return x.dtype() == kFloat32 ? x : x.to(kFloat32);
    DESCENT_CHECK(x.dtype() == kInt64, "ToFloat: expected integer pixels (int64) or a floating tensor, got ",
                  dtype_name(x.dtype()));
    Tensor out = make_tensor(x.shape(), kFloat32);
    const std::int64_t* src = x.data_ptr<std::int64_t>();
    float* dst = out.data_ptr<float>();
    const std::int64_t n = x.numel();
    // float(v) / 255 rather than v * (1/255): torchvision's ToTensor divides, and the two differ in the last bit.
    // Pixels 0..255 read the quotient from a table (the same values, no division per pixel).
    static const std::array<float, 256> quotient = [] {
        std::array<float, 256> q{};
        for (int v = 0; v < 256; ++v) q[static_cast<std::size_t>(v)] = static_cast<float>(v) / 255.0f;
        return q;
    }();
    for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t v = src[i];
        dst[i] = static_cast<std::uint64_t>(v) < 256 ? quotient[static_cast<std::size_t>(v)] : static_cast<float>(v) / 255.0f;
    }
    return out;
}

void ToFloat::from_bytes(const std::uint8_t* pixels, float* out, std::int64_t n) {
    // The division itself: from bytes it vectorizes (four or eight quotients per instruction), and
    // IEEE division gives the table's values exactly.
    for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(pixels[i]) / 255.0f;
}

Tensor Normalize::operator()(const Tensor& images) const {
    bool single = false;
    Tensor x = as_batch(images, "Normalize", single);
    const std::int64_t N = x.size(0), C = x.size(1), plane = x.size(2) * x.size(3);
    DESCENT_CHECK(!mean.empty() && !std.empty(), "Normalize: mean and std must not be empty");
    DESCENT_CHECK((mean.size() == 1 || std::int64_t(mean.size()) == C) &&
                      (std.size() == 1 || std::int64_t(std.size()) == C),
                  "Normalize: ", mean.size(), " means and ", std.size(), " stds for images with ", C,
                  " channels (shape ", shape_str(images.shape()), ")");
    for (double s : std) DESCENT_CHECK(s != 0.0, "Normalize: std contains 0 (division by zero)");
    return visit_floating(x.dtype(), "Normalize", [&](auto tag) {
        using T = decltype(tag);
        Tensor out = make_tensor(x.shape(), x.dtype());
        const T* src = x.data_ptr<T>();
        T* dst = out.data_ptr<T>();
        for (std::int64_t n = 0; n < N; ++n)
            for (std::int64_t c = 0; c < C; ++c) {
                // Mean and std in the image's dtype, then subtract and divide: torchvision's arithmetic.
                const T m = static_cast<T>(mean.size() == 1 ? mean[0] : mean[c]);
                const T s = static_cast<T>(std.size() == 1 ? std[0] : std[c]);
                const std::int64_t base = (n * C + c) * plane;
                for (std::int64_t i = 0; i < plane; ++i) dst[base + i] = (src[base + i] - m) / s;
            }
        return unbatch(out, single);
    });
}

Tensor RandomCrop::operator()(const Tensor& images) const {
    bool single = false;
    Tensor x = as_batch(images, "RandomCrop", single);
    DESCENT_CHECK(size > 0 && padding >= 0, "RandomCrop: size must be positive and padding non-negative, got size ",
                  size, ", padding ", padding);
    const std::int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
    const std::int64_t PH = H + 2 * padding, PW = W + 2 * padding;
    DESCENT_CHECK(size <= PH && size <= PW, "RandomCrop: crop size ", size, " is larger than the padded image ",
                  PH, "x", PW, " (images ", shape_str(images.shape()), ", padding ", padding, ")");
    Generator& gen = gen_or_default(generator);
    Tensor out = make_tensor({N, C, size, size}, x.dtype());
    visit_dtype(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* src = x.data_ptr<T>();
        T* dst = out.data_ptr<T>();
        const T fill_value = static_cast<T>(fill);
        for (std::int64_t n = 0; n < N; ++n) {
            // torchvision skips the draws when the window covers the padded image.
            std::int64_t top = 0, left = 0;
            if (PH != size || PW != size) {
                top = static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(PH - size + 1)));
                left = static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(PW - size + 1)));
            }
            for (std::int64_t c = 0; c < C; ++c) {
                const T* plane = src + (n * C + c) * H * W;
                T* o = dst + (n * C + c) * size * size;
                for (std::int64_t r = 0; r < size; ++r) {
                    const std::int64_t y = top + r - padding;  // row in the unpadded image
                    for (std::int64_t k = 0; k < size; ++k) {
                        const std::int64_t xx = left + k - padding;
                        o[r * size + k] = (y >= 0 && y < H && xx >= 0 && xx < W) ? plane[y * W + xx] : fill_value;
                    }
                }
            }
        }
    });
    return unbatch(out, single);
}

Tensor RandomHorizontalFlip::operator()(const Tensor& images) const {
    bool single = false;
    Tensor x = as_batch(images, "RandomHorizontalFlip", single);
    DESCENT_CHECK(p >= 0.0 && p <= 1.0, "RandomHorizontalFlip: p must be in [0, 1], got ", p);
    Generator& gen = gen_or_default(generator);
    const std::int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
    Tensor out = make_tensor(x.shape(), x.dtype());
    visit_dtype(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* src = x.data_ptr<T>();
        T* dst = out.data_ptr<T>();
        const std::int64_t per_image = C * H * W;
        for (std::int64_t n = 0; n < N; ++n) {
            const T* s = src + n * per_image;
            T* d = dst + n * per_image;
            if (gen.uniform_float() < p) {
                for (std::int64_t row = 0; row < C * H; ++row)
                    for (std::int64_t k = 0; k < W; ++k) d[row * W + k] = s[row * W + (W - 1 - k)];
            } else if (per_image) {
                std::memcpy(d, s, per_image * sizeof(T));
            }
        }
    });
    return unbatch(out, single);
}

Tensor Compose::operator()(const Tensor& images) const {
    Tensor x = images;
    for (const auto& t : transforms) {
        DESCENT_CHECK(t != nullptr, "Compose: empty transform in the list");
        x = t(x);
    }
    return x;
}

}  // namespace descent::data::transforms
