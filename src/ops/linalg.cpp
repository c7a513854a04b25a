// Matrix products. The primitive is a (batched) product of [B, M, K] by
// [B, K, N] on the GEMM kernel; matmul composes it with views as torch.matmul
// does; linear is fused (y = x Wᵀ + b in one GEMM) with a hand-written backward.
#include "descent/ops/linalg.hpp"

#include <algorithm>
#include <cstring>

#include "../kernels/gemm.hpp"
#include "descent/autograd/node.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/reduction.hpp"
#include "descent/ops/shape.hpp"

namespace descent {
using autograd::make_node;
using autograd::Node;
using autograd::TensorList;
using autograd::SavedTensor;

namespace {

// A matrix operand for gemm: pointer, leading dim and whether it is read transposed.
template <class T>
struct MatrixArg {
    Tensor keep;  // owns a contiguous copy when one was needed
    const T* data;
    std::int64_t ld;
    bool trans;
    std::int64_t batch_stride;
};

// Uses x [.., R, C] in place when its last two dims are row- or column-major, else copies.
template <class T>
MatrixArg<T> matrix_arg(const Tensor& x) {
    const std::int64_t nd = x.dim();
    const std::int64_t rows = x.size(nd - 2), cols = x.size(nd - 1);
    const std::int64_t rs = x.stride(nd - 2), cs = x.stride(nd - 1);
    const std::int64_t bs = nd == 3 ? x.stride(0) : 0;
    const T* base = static_cast<const T*>(x.impl()->storage->data) + x.storage_offset();
    if (cs == 1 && (rs >= cols || rows == 1)) return {x, base, std::max<std::int64_t>(rs, cols), false, bs};
    if (rs == 1 && (cs >= rows || cols == 1)) return {x, base, std::max<std::int64_t>(cs, rows), true, bs};
    Tensor c = contiguous(x.detach());
    return {c, c.data_ptr<T>(), cols, false, nd == 3 ? rows * cols : 0};
}

// out[b] = op(a[b]) · op(b[b]) for a [B, M, K] (or [M, K]) and b likewise, where op(x) is xᵀ
// when trans_a / trans_b say so: a backward reads its operands transposed in place, as the
// GEMM kernel's flags allow, instead of building transposed views.
Tensor product(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false) {
    const bool batched = a.dim() == 3;
    const std::int64_t B = batched ? a.size(0) : 1;
    const std::int64_t M = a.size(trans_a ? -1 : -2), K = a.size(trans_a ? -2 : -1), N = b.size(trans_b ? -2 : -1);
    Tensor out = make_tensor(batched ? Shape{B, M, N} : Shape{M, N}, a.dtype());
    visit_floating(a.dtype(), "matmul", [&](auto tag) {
        using T = decltype(tag);
        const MatrixArg<T> ma = matrix_arg<T>(a), mb = matrix_arg<T>(b);
        T* c = out.data_ptr<T>();
        for (std::int64_t i = 0; i < B; ++i)
            kernels::gemm<T>(ma.trans != trans_a, mb.trans != trans_b, M, N, K, T(1), ma.data + i * ma.batch_stride,
                             ma.ld, mb.data + i * mb.batch_stride, mb.ld, T(0), c + i * M * N, N);
    });
    return out;
}

void check_operands(const Tensor& a, const Tensor& b, const char* op) {
    DESCENT_CHECK(a.dtype() == b.dtype(), op, ": dtype mismatch, ", dtype_name(a.dtype()), " by ",
                  dtype_name(b.dtype()));
    DESCENT_CHECK(is_floating(a.dtype()), op, ": expected floating-point tensors, got ", dtype_name(a.dtype()));
}

struct ProductBackward final : Node {
    SavedTensor a, b;
    TensorList apply(TensorList&& g) override {
        // C = A B  ⇒  dA = dC Bᵀ, dB = Aᵀ dC
        Tensor ga, gb;
        if (needs_input_grad(0)) ga = product(g[0], b.unpack(*this), false, true);
        if (needs_input_grad(1)) gb = product(a.unpack(*this), g[0], true, false);
        return {ga, gb};
    }
    void release_saved() override { a.reset(), b.reset(); }
    std::string name() const override { return "MmBackward0"; }
};

Tensor recorded_product(const Tensor& a, const Tensor& b) {
    Tensor out = product(a, b);
    if (auto node = make_node<ProductBackward>({&a, &b})) {
        if (node->needs_input_grad(0)) node->b = SavedTensor(b);
        if (node->needs_input_grad(1)) node->a = SavedTensor(a);
        autograd::set_history(out, node);
    }
    return out;
}

// ---- linear ---------------------------------------------------------------------------------
struct LinearBackward final : Node {
    SavedTensor x, weight;  // x as [N, in]
    Shape x_shape;
    bool has_bias = false;
    TensorList apply(TensorList&& g_in) override {
        // A 2-D input (the usual case) needs no reshaping views either way.
        const bool flat = x_shape.size() == 2;
        const Tensor g = flat ? g_in[0] : reshape(g_in[0], {-1, g_in[0].size(-1)});  // [N, out]
        Tensor gx, gw, gb;
        if (needs_input_grad(0)) {
            gx = product(g, weight.unpack(*this));  // [N, in]
            if (!flat) gx = reshape(gx, x_shape);
        }
        if (needs_input_grad(1)) gw = product(g, x.unpack(*this), true, false);  // gᵀ x: [out, in]
        if (has_bias && needs_input_grad(2)) gb = sum(g, {0});                               // [out]
        return {gx, gw, gb};
    }
    void release_saved() override { x.reset(), weight.reset(); }
    std::string name() const override { return "AddmmBackward0"; }
};
}  // namespace

Tensor mm(const Tensor& a, const Tensor& b) {
    DESCENT_CHECK(a.dim() == 2 && b.dim() == 2, "mm: expected 2-D tensors, got ", shape_str(a.shape()), " and ",
                  shape_str(b.shape()));
    DESCENT_CHECK(a.size(1) == b.size(0), "matmul: cannot multiply ", shape_str(a.shape()), " by ",
                  shape_str(b.shape()));
    check_operands(a, b, "mm");
    return recorded_product(a, b);
}

Tensor matmul(const Tensor& a, const Tensor& b) {
    DESCENT_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul: both arguments need at least 1 dim, got ",
                  shape_str(a.shape()), " and ", shape_str(b.shape()));
    const std::int64_t k_a = a.size(-1), k_b = b.dim() == 1 ? b.size(0) : b.size(-2);
    DESCENT_CHECK(k_a == k_b, "matmul: cannot multiply ", shape_str(a.shape()), " by ", shape_str(b.shape()));
    check_operands(a, b, "matmul");
    if (a.dim() == 1 && b.dim() == 1) return sum(mul(a, b));
    if (a.dim() == 2 && b.dim() == 2) return recorded_product(a, b);
    if (a.dim() == 1 && b.dim() == 2) return squeeze(recorded_product(unsqueeze(a, 0), b), 0);
    if (a.dim() == 2 && b.dim() == 1) return squeeze(recorded_product(a, unsqueeze(b, 1)), 1);
    // Batched: vectors become matrices, batch dims broadcast, then one [B, M, K]·[B, K, N] product.
    const Tensor a2 = a.dim() == 1 ? unsqueeze(a, 0) : a;
    const Tensor b2 = b.dim() == 1 ? unsqueeze(b, 1) : b;
    const Shape a_batch(a2.shape().begin(), a2.shape().end() - 2), b_batch(b2.shape().begin(), b2.shape().end() - 2);
    const Shape batch = broadcast_shapes(a_batch, b_batch, "matmul");
    const std::int64_t M = a2.size(-2), N = b2.size(-1), B = shape_numel(batch);
    Shape a_full = batch, b_full = batch;
    a_full.insert(a_full.end(), {M, k_a});
    b_full.insert(b_full.end(), {k_a, N});
    const Tensor a3 = reshape(expand(a2, a_full), {B, M, k_a});
    const Tensor b3 = reshape(expand(b2, b_full), {B, k_a, N});
    Shape out_shape = batch;
    if (a.dim() > 1) out_shape.push_back(M);
    if (b.dim() > 1) out_shape.push_back(N);
    return reshape(recorded_product(a3, b3), out_shape);
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
    DESCENT_CHECK(weight.dim() == 2, "linear: weight must be 2-D [out, in], got ", shape_str(weight.shape()));
    DESCENT_CHECK(x.dim() >= 1 && x.size(-1) == weight.size(1), "linear: input of shape ", shape_str(x.shape()),
                  " does not match weight of shape ", shape_str(weight.shape()), " (expected last dim ",
                  weight.size(1), ")");
    check_operands(x, weight, "linear");
    const std::int64_t out_features = weight.size(0);
    if (bias.defined()) {
        DESCENT_CHECK(bias.dim() == 1 && bias.size(0) == out_features, "linear: bias of shape ",
                      shape_str(bias.shape()), " does not match weight of shape ", shape_str(weight.shape()));
        check_operands(x, bias, "linear");
    }
    // A 2-D x is used as is; the kernel reads only its data and strides.
    const Tensor x2 = x.dim() == 2 ? x : x.detach().reshape({-1, x.size(-1)});
    const std::int64_t N = x2.size(0), K = x2.size(1);
    Tensor out = make_tensor({N, out_features}, x.dtype());
    visit_floating(x.dtype(), "linear", [&](auto tag) {
        using T = decltype(tag);
        const MatrixArg<T> mx = matrix_arg<T>(x2);
        const MatrixArg<T> mw = matrix_arg<T>(weight);
        T* y = out.data_ptr<T>();
        T beta = T(0);
        if (bias.defined()) {
            const Tensor bc = bias.is_contiguous() ? bias : contiguous(bias.detach());
            const T* pb = bc.data_ptr<T>();
            // Every row of y starts as the bias: the first row, then copies that double the filled
            // rows each time (a few large copies; a loop per row of 1–4 values costs more).
            if (N > 0) std::copy_n(pb, out_features, y);
            for (std::int64_t filled = 1; filled < N;) {
                const std::int64_t rows = std::min(filled, N - filled);
                std::memcpy(y + filled * out_features, y, static_cast<std::size_t>(rows * out_features) * sizeof(T));
                filled += rows;
            }
            beta = T(1);
        }
        // y = x · Wᵀ: W [out, in] read transposed.
        kernels::gemm<T>(mx.trans, !mw.trans, N, out_features, K, T(1), mx.data, mx.ld, mw.data, mw.ld, beta, y,
                         out_features);
    });
    if (x.dim() != 2) {
        Shape out_shape = x.shape();
        out_shape.back() = out_features;
        out = out.view(out_shape);  // out has no history yet, so this is a plain view
    }
    auto node = bias.defined() ? make_node<LinearBackward>({&x, &weight, &bias}) : make_node<LinearBackward>({&x, &weight});
    if (node) {
        node->has_bias = bias.defined();
        node->x_shape = x.shape();
        // x2 is x or a reshape of x detached: an input either way, never this node's output.
        if (node->needs_input_grad(1)) node->x = SavedTensor(x2, /*is_output=*/false);
        if (node->needs_input_grad(0)) node->weight = SavedTensor(weight);
        autograd::set_history(out, node);
    }
    return out;
}

}  // namespace descent
