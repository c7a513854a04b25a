// The losses of nn::functional. Regression losses are compositions of ops.
// BCE, BCE-with-logits and NLL are fused elementwise ops with hand-written
// backwards beside them (PyTorch's formulas): a composition would give a NaN
// gradient for BCE at x ∈ {0, 1} (0/0 behind the clamp) and a wrong one for
// BCE-with-logits at x = 0 (the subgradients of |x| and max(x, 0) there), and
// NLL would touch every class instead of the one picked per sample.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "../kernels/reduce.hpp"
#include "../kernels/vmath.hpp"
#include "descent/autograd/node.hpp"
#include "descent/nn/functional.hpp"

namespace descent::nn {

const char* reduction_name(Reduction reduction) {
    switch (reduction) {
        case Reduction::None: return "none";
        case Reduction::Mean: return "mean";
        case Reduction::Sum: return "sum";
    }
    return "?";
}

namespace functional {
using autograd::make_node;
using autograd::Node;
using autograd::TensorList;
using autograd::SavedTensor;

namespace {

Tensor reduce(const Tensor& loss, Reduction reduction) {
    switch (reduction) {
        case Reduction::None: return loss;
        case Reduction::Mean: return mean(loss);
        case Reduction::Sum: return sum(loss);
    }
    detail::fail("loss: unknown reduction");
}

// Checks a pointwise loss's operands and returns the target in the input's dtype
// (differentiably, so losses like MSE also give the target a gradient).
Tensor checked_target(const char* op, const Tensor& input, const Tensor& target) {
    DESCENT_CHECK(input.defined() && target.defined(), op, ": undefined input or target");
    DESCENT_CHECK(input.is_floating_point(), op, ": input must be floating, got ", dtype_name(input.dtype()));
    DESCENT_CHECK(input.shape() == target.shape(), op, ": target of shape ", shape_str(target.shape()),
                  " does not match input of shape ", shape_str(input.shape()), " (they must be the same)");
    return target.dtype() == input.dtype() ? target : to_dtype(target, input.dtype());
}

// t's data, contiguous in dtype dt and broadcast to `shape` (for the fused kernels, which read
// it through data_ptr only): t itself when it already is, else a detached copy.
Tensor dense(const Tensor& t, const Shape& shape, DType dt) {
    if (t.dtype() == dt && t.shape() == shape && t.is_contiguous()) return t;
    Tensor d = t.detach();
    if (d.dtype() != dt) d = to_dtype(d, dt);
    if (d.shape() != shape) d = expand(d, shape);
    return contiguous(d);
}

// A per-element weight (BCE's weight, pos_weight) checked to broadcast to the input's shape.
Tensor dense_weight(const char* op, const char* what, const Tensor& weight, const Tensor& input) {
    if (!weight.defined()) return Tensor();
    DESCENT_CHECK(weight.is_floating_point(), op, ": ", what, " must be floating, got ", dtype_name(weight.dtype()));
    // Broadcastable to the input (not the other way round): trailing dims equal or 1.
    bool fits = weight.dim() <= input.dim();
    for (std::int64_t d = 1; fits && d <= weight.dim(); ++d)
        fits = weight.size(-d) == 1 || weight.size(-d) == input.size(-d);
    DESCENT_CHECK(fits, op, ": ", what, " of shape ", shape_str(weight.shape()), " cannot be broadcast to input of shape ",
                  shape_str(input.shape()));
    return dense(weight, input.shape(), input.dtype());
}

template <class T>
T stable_sigmoid(T x) {
    if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
    const T e = std::exp(x);
    return e / (T(1) + e);
}

// log(1 + exp(−x)) without overflow: log1p(exp(−|x|)) + max(−x, 0).
template <class T>
T softplus_neg(T x) {
    return std::log1p(std::exp(-std::abs(x))) + std::max(-x, T(0));
}

// ---- binary cross entropy ---------------------------------------------------------------------
// loss_i = −w_i·(y_i·max(log x_i, −100) + (1 − y_i)·max(log(1 − x_i), −100)), then the reduction
// (one op and one node, as PyTorch's: no separate sum / div in the graph, no loss tensor for Mean).
// d/dx_i = g_i·(x_i − y_i) / max(x_i·(1 − x_i), 1e-12) · w_i [/ n]   (PyTorch's, finite at x ∈ {0, 1})
// d/dy_i = g_i·(max(log(1 − x_i), −100) − max(log x_i, −100)) · w_i [/ n]  (exact for the clamped loss)
// with g_i = g (a scalar) for Mean and Sum, and /n for Mean.
constexpr std::int64_t kBceChunk = 64;  // elements computed together in stack buffers

// loss[i] = (y − 1)·max(log1p(−x), −100) − y·max(log x, −100) for i < n ≤ kBceChunk (unweighted).
// PyTorch clamps each log at −100 so that x ∈ {0, 1} gives a finite loss; a term whose factor is 0
// is then 0 whatever its log.
template <class T>
void bce_losses(const T* x, const T* y, T* loss, std::int64_t n) {
    alignas(64) T l1[kBceChunk], lx[kBceChunk];
    if constexpr (std::is_same_v<T, float>) {
        // Labels 0 and 1 (the usual case) need one log each: log1p(−x) for y = 0, and for y = 1
        // log x = log1p(x − 1), where x − 1 is exact for x ≥ 0.5 (Sterbenz): one vector log1p pass
        // (SLEEF, 1 ulp) serves the chunk. Any other label, or y = 1 with x < 0.5, takes both logs.
        unsigned general = 0;
        for (std::int64_t i = 0; i < n; ++i) {  // branch-free, so that it vectorizes
            const float xi = x[i], yi = y[i];
            const unsigned one = yi == 1.f, zero = yi == 0.f, low = xi < 0.5f;
            // y·(2x − 1) − x: −x for y = 0 (−0 at x = 0, as −x), x − 1 exactly for y = 1 and x ≥ 0.5.
            l1[i] = yi * (2.f * xi - 1.f) - xi;
            general |= ((one | zero) ^ 1u) | (one & low);
        }
        if (!general) {
            kernels::vlog1p(l1, l1, n);
            for (std::int64_t i = 0; i < n; ++i) loss[i] = -std::max(l1[i], -100.f);
            return;
        }
        for (std::int64_t i = 0; i < n; ++i) l1[i] = -x[i];
        kernels::vlog1p(l1, l1, n);
        kernels::vlog(x, lx, n);
    } else {
        // Scalar libm: a log whose factor is 0 (labels 0 and 1) is skipped, half the calls.
        for (std::int64_t i = 0; i < n; ++i) {
            l1[i] = y[i] == T(1) ? T(0) : std::log1p(-x[i]);
            lx[i] = y[i] == T(0) ? T(0) : std::log(x[i]);
        }
    }
    for (std::int64_t i = 0; i < n; ++i)
        loss[i] = (y[i] - T(1)) * std::max(l1[i], T(-100)) - y[i] * std::max(lx[i], T(-100));
}

struct BinaryCrossEntropyBackward final : Node {
    SavedTensor input, target, weight;
    Reduction reduction = Reduction::Mean;
    TensorList apply(TensorList&& g) override {
        const Tensor x = input.unpack(*this), y = target.unpack(*this);
        const Tensor w = weight.defined() ? weight.unpack(*this) : Tensor();
        // Mean and Sum: the incoming gradient is one scalar, read as such (no broadcast copy).
        const bool scalar_g = reduction != Reduction::None;
        const Tensor gd = scalar_g ? to_dtype(g[0], x.dtype()) : dense(g[0], x.shape(), x.dtype());
        Tensor gx = needs_input_grad(0) ? make_tensor(x.shape(), x.dtype()) : Tensor();
        Tensor gy = needs_input_grad(1) ? make_tensor(x.shape(), x.dtype()) : Tensor();
        visit_floating(x.dtype(), "binary_cross_entropy backward", [&](auto tag) {
            using T = decltype(tag);
            const std::int64_t n = x.numel();
            const T *px = x.data_ptr<T>(), *py = y.data_ptr<T>(), *pg = gd.data_ptr<T>();
            const T* pw = w.defined() ? w.data_ptr<T>() : nullptr;
            const T count = static_cast<T>(n);
            const bool mean = reduction == Reduction::Mean;
            // PyTorch's order: g·d first, then ·w, then /n (a scalar g is read once).
            auto finish = [&](T* out) {
                if (pw)
                    for (std::int64_t i = 0; i < n; ++i) out[i] *= pw[i];
                if (mean)
                    for (std::int64_t i = 0; i < n; ++i) out[i] /= count;
            };
            if (gx.defined()) {
                T* pgx = gx.data_ptr<T>();
                // PyTorch clamps at the float 1e-12 in every dtype (float64 too): 1e-12f, as it does.
                const T eps = T(1e-12f);
                if (scalar_g) {
                    const T gv = *pg;
                    for (std::int64_t i = 0; i < n; ++i)
                        pgx[i] = gv * (px[i] - py[i]) / std::max((T(1) - px[i]) * px[i], eps);
                } else {
                    for (std::int64_t i = 0; i < n; ++i)
                        pgx[i] = pg[i] * (px[i] - py[i]) / std::max((T(1) - px[i]) * px[i], eps);
                }
                finish(pgx);
            }
            if (gy.defined()) {
                T* pgy = gy.data_ptr<T>();
                for (std::int64_t i = 0; i < n; ++i)
                    pgy[i] = (scalar_g ? *pg : pg[i]) *
                             (std::max(std::log1p(-px[i]), T(-100)) - std::max(std::log(px[i]), T(-100)));
                finish(pgy);
            }
        });
        return {gx, gy};
    }
    void release_saved() override {
        input.reset();
        target.reset();
        weight.reset();
    }
    std::string name() const override { return "BinaryCrossEntropyBackward0"; }
};

Tensor binary_cross_entropy_reduced(const Tensor& input, const Tensor& target, const Tensor& weight,
                                    Reduction reduction) {
    const char* op = "binary_cross_entropy";
    DESCENT_CHECK(reduction == Reduction::None || reduction == Reduction::Mean || reduction == Reduction::Sum, op,
                  ": unknown reduction");
    const Tensor x = dense(input, input.shape(), input.dtype());
    const Tensor y = dense(target, input.shape(), input.dtype());
    const Tensor w = dense_weight(op, "weight", weight, input);
    Tensor out = make_tensor(reduction == Reduction::None ? input.shape() : Shape{}, input.dtype());
    visit_floating(input.dtype(), op, [&](auto tag) {
        using T = decltype(tag);
        const std::int64_t n = x.numel();
        const T *px = x.data_ptr<T>(), *py = y.data_ptr<T>();
        const T* pw = w.defined() ? w.data_ptr<T>() : nullptr;
        T* po = out.data_ptr<T>();
        alignas(64) T loss[kBceChunk];
        double total = 0.0;  // Sum and Mean: accumulated in double, as sum() does
        for (std::int64_t c = 0; c < n; c += kBceChunk) {
            const std::int64_t len = std::min(kBceChunk, n - c);
            const T *xc = px + c, *yc = py + c;
            // The range check, branch-free so that it vectorizes (NaN fails it); its error after.
            unsigned outside = 0;
            for (std::int64_t i = 0; i < len; ++i)
                outside |= static_cast<unsigned>(!(xc[i] >= T(0))) | static_cast<unsigned>(!(xc[i] <= T(1)));
            if (outside)
                for (std::int64_t i = 0; i < len; ++i)
                    DESCENT_CHECK(xc[i] >= T(0) && xc[i] <= T(1), op,
                                  ": all elements of input should be between 0 and 1, got ", xc[i], " at flat index ",
                                  c + i);
            bce_losses(xc, yc, loss, len);
            if (pw)
                for (std::int64_t i = 0; i < len; ++i) loss[i] *= pw[c + i];
            if (reduction == Reduction::None)
                std::copy_n(loss, len, po + c);
            else
                total += kernels::detail::sum_contiguous<double>(loss, len);
        }
        // Mean as sum() then div() in T would round it: the sum rounded to T, divided in T.
        if (reduction == Reduction::Sum) *po = static_cast<T>(total);
        if (reduction == Reduction::Mean) *po = static_cast<T>(total) / static_cast<T>(n);
    });
    if (auto node = make_node<BinaryCrossEntropyBackward>({&input, &target})) {
        node->input = SavedTensor(x, false);
        node->target = SavedTensor(y, false);
        if (w.defined()) node->weight = SavedTensor(w, false);
        node->reduction = reduction;
        autograd::set_history(out, node);
    }
    return out;
}

// ---- binary cross entropy with logits ---------------------------------------------------------
// L = 1 + (p − 1)·y, sp = log(1 + exp(−x)) (stable)
// loss = w·((1 − y)·x + L·sp)
// d/dx = w·(L·σ(x) − p·y)
// d/dy = w·((p − 1)·sp − x)
struct BinaryCrossEntropyWithLogitsBackward final : Node {
    SavedTensor input, target, weight, pos_weight;
    TensorList apply(TensorList&& g) override {
        const Tensor x = input.unpack(*this), y = target.unpack(*this);
        const Tensor w = weight.defined() ? weight.unpack(*this) : Tensor();
        const Tensor pw = pos_weight.defined() ? pos_weight.unpack(*this) : Tensor();
        const Tensor gd = dense(g[0], x.shape(), x.dtype());
        Tensor gx = needs_input_grad(0) ? make_tensor(x.shape(), x.dtype()) : Tensor();
        Tensor gy = needs_input_grad(1) ? make_tensor(x.shape(), x.dtype()) : Tensor();
        visit_floating(x.dtype(), "binary_cross_entropy_with_logits backward", [&](auto tag) {
            using T = decltype(tag);
            const T *px = x.data_ptr<T>(), *py = y.data_ptr<T>(), *pg = gd.data_ptr<T>();
            const T* pwt = w.defined() ? w.data_ptr<T>() : nullptr;
            const T* ppw = pw.defined() ? pw.data_ptr<T>() : nullptr;
            T* pgx = gx.defined() ? gx.data_ptr<T>() : nullptr;
            T* pgy = gy.defined() ? gy.data_ptr<T>() : nullptr;
            for (std::int64_t i = 0, n = x.numel(); i < n; ++i) {
                const T scale = pg[i] * (pwt ? pwt[i] : T(1));
                const T p = ppw ? ppw[i] : T(1);
                if (pgx) pgx[i] = scale * ((T(1) + (p - T(1)) * py[i]) * stable_sigmoid(px[i]) - p * py[i]);
                if (pgy) pgy[i] = scale * ((p - T(1)) * softplus_neg(px[i]) - px[i]);
            }
        });
        return {gx, gy};
    }
    void release_saved() override {
        input.reset();
        target.reset();
        weight.reset();
        pos_weight.reset();
    }
    std::string name() const override { return "BinaryCrossEntropyWithLogitsBackward0"; }
};

Tensor binary_cross_entropy_with_logits_elementwise(const Tensor& input, const Tensor& target, const Tensor& weight,
                                                    const Tensor& pos_weight) {
    const char* op = "binary_cross_entropy_with_logits";
    const Tensor x = dense(input, input.shape(), input.dtype());
    const Tensor y = dense(target, input.shape(), input.dtype());
    const Tensor w = dense_weight(op, "weight", weight, input);
    const Tensor pw = dense_weight(op, "pos_weight", pos_weight, input);
    Tensor out = make_tensor(input.shape(), input.dtype());
    visit_floating(input.dtype(), op, [&](auto tag) {
        using T = decltype(tag);
        const T *px = x.data_ptr<T>(), *py = y.data_ptr<T>();
        const T* pwt = w.defined() ? w.data_ptr<T>() : nullptr;
        const T* ppw = pw.defined() ? pw.data_ptr<T>() : nullptr;
        T* po = out.data_ptr<T>();
        for (std::int64_t i = 0, n = x.numel(); i < n; ++i) {
            const T log_weight = ppw ? T(1) + (ppw[i] - T(1)) * py[i] : T(1);
            const T loss = (T(1) - py[i]) * px[i] + log_weight * softplus_neg(px[i]);
            po[i] = pwt ? loss * pwt[i] : loss;
        }
    });
    if (auto node = make_node<BinaryCrossEntropyWithLogitsBackward>({&input, &target})) {
        node->input = SavedTensor(x);
        node->target = SavedTensor(y);
        if (w.defined()) node->weight = SavedTensor(w);
        if (pw.defined()) node->pos_weight = SavedTensor(pw);
        autograd::set_history(out, node);
    }
    return out;
}

// ---- negative log-likelihood ------------------------------------------------------------------
// input [N, C, D] (trailing dims flattened), target [N, D]:
// loss[n, d] = −w[t]·x[n, t, d] with t = target[n, d] (0 when t is ignore_index)
// d/dx[n, t, d] = −w[t]·g[n, d], zero elsewhere.
struct NllLossBackward final : Node {
    SavedTensor target;  // int64, contiguous, [N, D...]
    Tensor weight;       // [C] contiguous in the input's dtype, or undefined (constant data)
    std::int64_t ignore_index = -100;
    Shape input_shape;
    DType dtype = kFloat32;
    TensorList apply(TensorList&& g) override {
        const Tensor t = target.unpack(*this);
        const Tensor gd = dense(g[0], t.shape(), dtype);
        Tensor gx = Tensor::zeros(input_shape, {.dtype = dtype});
        const std::int64_t N = input_shape[0], C = input_shape[1], D = N ? t.numel() / N : 0;
        visit_floating(dtype, "nll_loss backward", [&](auto tag) {
            using T = decltype(tag);
            const std::int64_t* pt = t.data_ptr<std::int64_t>();
            const T* pg = gd.data_ptr<T>();
            const T* pw = weight.defined() ? weight.data_ptr<T>() : nullptr;
            T* px = gx.data_ptr<T>();
            for (std::int64_t n = 0; n < N; ++n)
                for (std::int64_t d = 0; d < D; ++d) {
                    const std::int64_t c = pt[n * D + d];
                    if (c == ignore_index) continue;
                    px[(n * C + c) * D + d] = -(pw ? pw[c] : T(1)) * pg[n * D + d];
                }
        });
        return {gx};
    }
    void release_saved() override { target.reset(); }
    std::string name() const override { return "NllLossBackward0"; }
};

struct NllElementwise {
    Tensor loss;          // [N, d1, ...]
    double total_weight;  // Σ w[t] over the targets not ignored: the mean's denominator
};

// input [N, C, d1...] floating, target [N, d1...] int64 (shapes already checked).
NllElementwise nll_elementwise(const Tensor& input, const Tensor& target, const Tensor& weight,
                               std::int64_t ignore_index, const char* op) {
    const std::int64_t N = input.size(0), C = input.size(1);
    if (weight.defined()) {
        DESCENT_CHECK(weight.is_floating_point(), op, ": weight must be floating, got ", dtype_name(weight.dtype()));
        DESCENT_CHECK(weight.dim() == 1 && weight.size(0) == C, op, ": weight tensor should be defined either for all ",
                      C, " classes or no classes but got weight tensor of shape ", shape_str(weight.shape()));
    }
    const Tensor x = dense(input, input.shape(), input.dtype());
    const Tensor t = contiguous(target.detach());
    // Kept by the node as a plain tensor: detached, so it holds no graph.
    const Tensor w = weight.defined() ? dense(weight.detach(), weight.shape(), input.dtype()) : Tensor();
    const std::int64_t D = N ? t.numel() / N : 0;
    Tensor out = make_tensor(target.shape(), input.dtype());
    double total = 0.0;
    visit_floating(input.dtype(), op, [&](auto tag) {
        using T = decltype(tag);
        const T* px = x.data_ptr<T>();
        const std::int64_t* pt = t.data_ptr<std::int64_t>();
        const T* pw = w.defined() ? w.data_ptr<T>() : nullptr;
        T* po = out.data_ptr<T>();
        for (std::int64_t n = 0; n < N; ++n)
            for (std::int64_t d = 0; d < D; ++d) {
                const std::int64_t c = pt[n * D + d];
                if (c == ignore_index) {
                    po[n * D + d] = T(0);
                    continue;
                }
                DESCENT_CHECK(c >= 0 && c < C, op, ": target ", c, " is out of bounds for ", C, " classes");
                const T wc = pw ? pw[c] : T(1);
                po[n * D + d] = -wc * px[(n * C + c) * D + d];
                total += static_cast<double>(wc);
            }
    });
    if (auto node = make_node<NllLossBackward>({&input})) {
        node->target = SavedTensor(t);
        node->weight = w;
        node->ignore_index = ignore_index;
        node->input_shape = input.shape();
        node->dtype = input.dtype();
        autograd::set_history(out, node);
    }
    return {out, total};
}

// Checks class-index targets against the input: input [N, C, d1...] needs target [N, d1...];
// input [C] needs a 0-dim target. Returns both in batched form.
std::pair<Tensor, Tensor> batched_class_operands(const char* op, const Tensor& input, const Tensor& target) {
    DESCENT_CHECK(input.defined() && target.defined(), op, ": undefined input or target");
    DESCENT_CHECK(input.is_floating_point(), op, ": input must be floating, got ", dtype_name(input.dtype()));
    DESCENT_CHECK(input.dim() >= 1, op, ": input must have a class dim, got shape ", shape_str(input.shape()));
    DESCENT_CHECK(target.dtype() == kInt64, op, ": expected class indices of dtype int64, got target of dtype ",
                  dtype_name(target.dtype()), " and shape ", shape_str(target.shape()), " for input of shape ",
                  shape_str(input.shape()));
    Shape expected = input.shape();
    expected.erase(expected.begin() + (input.dim() == 1 ? 0 : 1));
    DESCENT_CHECK(target.shape() == expected, op, ": expected target of shape ", shape_str(expected),
                  " for input of shape ", shape_str(input.shape()), ", got target of shape ",
                  shape_str(target.shape()));
    if (input.dim() == 1) return {unsqueeze(input, 0), unsqueeze(target, 0)};
    return {input, target};
}

// The weight [C] shaped to broadcast along the class dim of an input with `ndim` dims.
Tensor class_weight_view(const Tensor& weight, std::int64_t ndim) {
    if (ndim <= 1) return weight;
    Shape shape(static_cast<std::size_t>(ndim), 1);
    shape[1] = weight.size(0);
    return reshape(weight, shape);
}

void check_class_weight(const char* op, const Tensor& weight, std::int64_t C) {
    if (!weight.defined()) return;
    DESCENT_CHECK(weight.is_floating_point(), op, ": weight must be floating, got ", dtype_name(weight.dtype()));
    DESCENT_CHECK(weight.dim() == 1 && weight.size(0) == C, op, ": weight tensor should be defined either for all ", C,
                  " classes or no classes but got weight tensor of shape ", shape_str(weight.shape()));
}

}  // namespace

// ---- regression losses ----------------------------------------------------------------------------
Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossOptions& options) {
    const Tensor y = checked_target("mse_loss", input, target);
    return reduce(square(sub(input, y)), options.reduction);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossOptions& options) {
    const Tensor y = checked_target("l1_loss", input, target);
    return reduce(abs(sub(input, y)), options.reduction);
}

Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberLossOptions& options) {
    const double delta = options.delta;
    DESCENT_CHECK(delta > 0.0, "huber_loss: delta must be positive, got ", delta);
    const Tensor y = checked_target("huber_loss", input, target);
    const Tensor diff = sub(input, y);
    const Tensor a = abs(diff);
    // ½d² written with d itself (not |d|) so its gradient is exactly d, also at d = 0.
    const Tensor loss = where(lt(a, delta), mul(square(diff), 0.5), mul(sub(a, 0.5 * delta), delta));
    return reduce(loss, options.reduction);
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1LossOptions& options) {
    const double beta = options.beta;
    DESCENT_CHECK(beta >= 0.0, "smooth_l1_loss: beta must be >= 0, got ", beta);
    if (beta == 0.0) return l1_loss(input, target, {.reduction = options.reduction});  // PyTorch's special case
    const Tensor y = checked_target("smooth_l1_loss", input, target);
    const Tensor diff = sub(input, y);
    const Tensor a = abs(diff);
    const Tensor loss = where(lt(a, beta), mul(square(diff), 0.5 / beta), sub(a, 0.5 * beta));
    return reduce(loss, options.reduction);
}

// ---- binary classification ------------------------------------------------------------------------
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const BCELossOptions& options) {
    const Tensor y = checked_target("binary_cross_entropy", input, target);
    return binary_cross_entropy_reduced(input, y, options.weight, options.reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BCEWithLogitsLossOptions& options) {
    const Tensor y = checked_target("binary_cross_entropy_with_logits", input, target);
    return reduce(binary_cross_entropy_with_logits_elementwise(input, y, options.weight, options.pos_weight),
                  options.reduction);
}

// ---- classification over C classes ----------------------------------------------------------------
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossOptions& options) {
    const char* op = "nll_loss";
    const bool unbatched = input.defined() && input.dim() == 1;
    const auto [x, t] = batched_class_operands(op, input, target);
    const NllElementwise r = nll_elementwise(x, t, options.weight, options.ignore_index, op);
    switch (options.reduction) {
        case Reduction::None: return unbatched ? squeeze(r.loss, 0) : r.loss;
        case Reduction::Sum: return sum(r.loss);
        case Reduction::Mean: return div(sum(r.loss), r.total_weight);
    }
    detail::fail(op, ": unknown reduction");
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyLossOptions& options) {
    const char* op = "cross_entropy";
    const double ls = options.label_smoothing;
    DESCENT_CHECK(input.defined() && target.defined(), op, ": undefined input or target");
    DESCENT_CHECK(input.is_floating_point(), op, ": input must be floating, got ", dtype_name(input.dtype()));
    DESCENT_CHECK(input.dim() >= 1, op, ": input must have a class dim, got shape ", shape_str(input.shape()));
    DESCENT_CHECK(ls >= 0.0 && ls <= 1.0, op, ": label_smoothing must be between 0.0 and 1.0, got ", ls);
    const std::int64_t class_dim = input.dim() == 1 ? 0 : 1;
    const std::int64_t C = input.size(class_dim);
    check_class_weight(op, options.weight, C);
    // Class weights are constants (PyTorch gives them no gradient either).
    Tensor weight;
    if (options.weight.defined())
        weight = options.weight.dtype() == input.dtype() ? options.weight.detach()
                                                         : to_dtype(options.weight.detach(), input.dtype());
    const Tensor log_p = log_softmax(input, class_dim);

    if (target.shape() == input.shape()) {
        // Class probabilities, as PyTorch decides: a target of the input's shape.
        DESCENT_CHECK(target.is_floating_point(), op,
                      ": expected a floating target for class probabilities (target of the input's shape ",
                      shape_str(input.shape()), "), got ", dtype_name(target.dtype()));
        DESCENT_CHECK(options.ignore_index < 0, op, ": ignore_index is not supported for floating point target");
        Tensor y = target.dtype() == input.dtype() ? target : to_dtype(target, input.dtype());
        if (ls > 0.0) y = add(mul(y, 1.0 - ls), ls / static_cast<double>(C));
        Tensor weighted = mul(log_p, y);
        if (weight.defined()) weighted = mul(weighted, class_weight_view(weight, input.dim()));
        switch (options.reduction) {
            case Reduction::None: return neg(sum(weighted, {class_dim}));
            case Reduction::Sum: return neg(sum(weighted));
            case Reduction::Mean:
                // The count of samples (N·d1·…), whatever the weights.
                return div(neg(sum(weighted)), static_cast<double>(input.numel() / std::max<std::int64_t>(C, 1)));
        }
        detail::fail(op, ": unknown reduction");
    }

    const bool unbatched = input.dim() == 1;
    const auto [x, t] = batched_class_operands(op, log_p, target);
    const NllElementwise nll = nll_elementwise(x, t, weight, options.ignore_index, op);
    if (ls == 0.0) {
        switch (options.reduction) {
            case Reduction::None: return unbatched ? squeeze(nll.loss, 0) : nll.loss;
            case Reduction::Sum: return sum(nll.loss);
            case Reduction::Mean: return div(sum(nll.loss), nll.total_weight);
        }
        detail::fail(op, ": unknown reduction");
    }
    // Label smoothing (PyTorch's cross_entropy_loss_label_smoothing): the uniform part is
    // −Σ_c w_c·log p_c per sample, zero where the target is ignored; Mean divides it by the same
    // total target weight as the NLL part (the non-ignored count without weights).
    Tensor weighted = weight.defined() ? mul(x, class_weight_view(weight, x.dim())) : x;
    Tensor smooth = neg(sum(weighted, {1}));
    smooth = where(eq(t, static_cast<double>(options.ignore_index)), Tensor::scalar(0.0, {.dtype = input.dtype()}),
                   smooth);
    const double eps_c = ls / static_cast<double>(C);
    switch (options.reduction) {
        case Reduction::None: {
            const Tensor loss = add(mul(nll.loss, 1.0 - ls), mul(smooth, eps_c));
            return unbatched ? squeeze(loss, 0) : loss;
        }
        case Reduction::Sum: return add(mul(sum(nll.loss), 1.0 - ls), mul(sum(smooth), eps_c));
        case Reduction::Mean:
            return div(add(mul(sum(nll.loss), 1.0 - ls), mul(sum(smooth), eps_c)), nll.total_weight);
    }
    detail::fail(op, ": unknown reduction");
}

}  // namespace functional

// ---- the loss classes: thin callables over functional -------------------------------------------
Tensor MSELoss::operator()(const Tensor& input, const Tensor& target) const {
    return functional::mse_loss(input, target, options);
}
Tensor L1Loss::operator()(const Tensor& input, const Tensor& target) const {
    return functional::l1_loss(input, target, options);
}
Tensor HuberLoss::operator()(const Tensor& input, const Tensor& target) const {
    return functional::huber_loss(input, target, options);
}
Tensor SmoothL1Loss::operator()(const Tensor& input, const Tensor& target) const {
    return functional::smooth_l1_loss(input, target, options);
}
Tensor BCELoss::operator()(const Tensor& input, const Tensor& target) const {
    return functional::binary_cross_entropy(input, target, options);
}
Tensor BCEWithLogitsLoss::operator()(const Tensor& input, const Tensor& target) const {
    return functional::binary_cross_entropy_with_logits(input, target, options);
}
Tensor CrossEntropyLoss::operator()(const Tensor& input, const Tensor& target) const {
    return functional::cross_entropy(input, target, options);
}
Tensor NLLLoss::operator()(const Tensor& input, const Tensor& target) const {
    return functional::nll_loss(input, target, options);
}

}  // namespace descent::nn
