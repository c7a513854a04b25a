// batch_norm and layer_norm, fused, with hand-written backwards; statistics are
// accumulated in double (as PyTorch's CPU batch norm does for float). With
// x̂ = (x − μ)·r (r = 1/√(σ² + eps)), M values per group and g = dy·weight:
//   training / layer norm: dx = r · (g − mean(g) − x̂ · mean(g · x̂))
//   evaluation batch norm: dx = r · g            (μ, σ² are constants there)
//   dweight = Σ dy · x̂,   dbias = Σ dy
// dropout2d is composed (mask · x), so mul's backward serves it.
#include "descent/ops/normalization.hpp"

#include <omp.h>

#include <cmath>

#include "descent/autograd/grad_mode.hpp"
#include "descent/autograd/node.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/shape.hpp"

namespace descent {
using autograd::make_node;
using autograd::Node;
using autograd::TensorList;
using autograd::SavedTensor;

namespace {

constexpr std::int64_t kParallelElements = 1 << 16;  // below this, one thread

int norm_threads(std::int64_t work) { return work >= kParallelElements ? omp_get_max_threads() : 1; }

// A contiguous tensor of input's dtype (or undefined) and its data pointer.
template <class T>
const T* ptr_or_null(const Tensor& t) {
    return t.defined() ? t.data_ptr<T>() : nullptr;
}

void check_param(const Tensor& t, const char* what, std::int64_t count, const Tensor& input, const char* op) {
    if (!t.defined()) return;
    DESCENT_CHECK(t.numel() == count, op, ": ", what, " should have ", count, " elements for input of shape ",
                  shape_str(input.shape()), ", got shape ", shape_str(t.shape()));
    DESCENT_CHECK(t.dtype() == input.dtype(), op, ": ", what, " has dtype ", dtype_name(t.dtype()), ", input has ",
                  dtype_name(input.dtype()));
}

// ---- batch norm ---------------------------------------------------------------------------
// Geometry: input viewed as [N, C, S].
struct BnGeom {
    std::int64_t N, C, S;
    std::int64_t M() const { return N * S; }
};

struct NativeBatchNormBackward final : Node {
    SavedTensor input, weight;  // input contiguous; weight may be undefined
    std::vector<double> mean, invstd;
    BnGeom geom{};
    bool training = true;
    bool has_weight = false, has_bias = false;
    TensorList apply(TensorList&& grads) override {
        const Tensor x = input.unpack(*this);
        const Tensor w = has_weight ? weight.unpack(*this) : Tensor();
        const Tensor dy = contiguous(grads[0].dtype() == x.dtype() ? grads[0] : to_dtype(grads[0], x.dtype()));
        const bool need_x = needs_input_grad(0), need_w = has_weight && needs_input_grad(1),
                   need_b = has_bias && needs_input_grad(2);
        Tensor gx, gw, gb;
        if (need_x) gx = make_tensor(x.shape(), x.dtype());
        if (need_w) gw = make_tensor({geom.C}, x.dtype());
        if (need_b) gb = make_tensor({geom.C}, x.dtype());
        visit_floating(x.dtype(), "batch_norm", [&](auto tag) {
            using T = decltype(tag);
            const T* xd = x.data_ptr<T>();
            const T* d = dy.data_ptr<T>();
            const T* wd = ptr_or_null<T>(w);
            const BnGeom g = geom;
            const double M = static_cast<double>(g.M());
#pragma omp parallel for schedule(static) num_threads(norm_threads(x.numel()))
            for (std::int64_t c = 0; c < g.C; ++c) {
                const double mu = mean[c], r = invstd[c];
                double sum_dy = 0, sum_dy_xhat = 0;
                for (std::int64_t n = 0; n < g.N; ++n) {
                    const std::int64_t base = (n * g.C + c) * g.S;
                    for (std::int64_t s = 0; s < g.S; ++s) {
                        const double dv = d[base + s];
                        sum_dy += dv;
                        sum_dy_xhat += dv * (xd[base + s] - mu) * r;
                    }
                }
                if (need_w) gw.data_ptr<T>()[c] = static_cast<T>(sum_dy_xhat);
                if (need_b) gb.data_ptr<T>()[c] = static_cast<T>(sum_dy);
                if (!need_x) continue;
                const double wr = (wd ? static_cast<double>(wd[c]) : 1.0) * r;
                // dx = wr·dy − wr·mean(dy) − wr·x̂·mean(dy·x̂), i.e. dx = a·dy + b·x + k.
                const double a = wr;
                const double b = training ? -wr * r * sum_dy_xhat / M : 0.0;
                const double k = training ? -wr * sum_dy / M - b * mu : 0.0;
                T* out = gx.data_ptr<T>();
                for (std::int64_t n = 0; n < g.N; ++n) {
                    const std::int64_t base = (n * g.C + c) * g.S;
                    for (std::int64_t s = 0; s < g.S; ++s)
                        out[base + s] = static_cast<T>(a * d[base + s] + b * xd[base + s] + k);
                }
            }
        });
        return {gx, gw, gb};
    }
    void release_saved() override { input.reset(), weight.reset(); }
    std::string name() const override { return "NativeBatchNormBackward0"; }
};

// ---- layer norm ---------------------------------------------------------------------------
struct NativeLayerNormBackward final : Node {
    SavedTensor input, weight;  // input contiguous [R, D]-shaped data
    std::vector<double> mean, rstd;  // per row
    std::int64_t rows = 0, D = 0;
    bool has_weight = false, has_bias = false;
    Shape param_shape;
    TensorList apply(TensorList&& grads) override {
        const Tensor x = input.unpack(*this);
        const Tensor w = has_weight ? weight.unpack(*this) : Tensor();
        const Tensor dy = contiguous(grads[0].dtype() == x.dtype() ? grads[0] : to_dtype(grads[0], x.dtype()));
        const bool need_x = needs_input_grad(0), need_w = has_weight && needs_input_grad(1),
                   need_b = has_bias && needs_input_grad(2);
        Tensor gx, gw, gb;
        if (need_x) gx = make_tensor(x.shape(), x.dtype());
        visit_floating(x.dtype(), "layer_norm", [&](auto tag) {
            using T = decltype(tag);
            const T* xd = x.data_ptr<T>();
            const T* d = dy.data_ptr<T>();
            const T* wd = ptr_or_null<T>(w);
            if (need_x) {
                T* out = gx.data_ptr<T>();
#pragma omp parallel for schedule(static) num_threads(norm_threads(x.numel()))
                for (std::int64_t i = 0; i < rows; ++i) {
                    const T* xr = xd + i * D;
                    const T* dr = d + i * D;
                    const double mu = mean[i], r = rstd[i];
                    double sum_g = 0, sum_g_xhat = 0;
                    for (std::int64_t j = 0; j < D; ++j) {
                        const double gj = dr[j] * (wd ? static_cast<double>(wd[j]) : 1.0);
                        sum_g += gj;
                        sum_g_xhat += gj * (xr[j] - mu) * r;
                    }
                    const double mg = sum_g / D, mgx = sum_g_xhat / D;
                    for (std::int64_t j = 0; j < D; ++j) {
                        const double gj = dr[j] * (wd ? static_cast<double>(wd[j]) : 1.0);
                        out[i * D + j] = static_cast<T>(r * (gj - mg - (xr[j] - mu) * r * mgx));
                    }
                }
            }
            if (need_w || need_b) {
                std::vector<double> sw(need_w ? D : 0, 0.0), sb(need_b ? D : 0, 0.0);
                for (std::int64_t i = 0; i < rows; ++i)
                    for (std::int64_t j = 0; j < D; ++j) {
                        const double dv = d[i * D + j];
                        if (need_w) sw[j] += dv * (xd[i * D + j] - mean[i]) * rstd[i];
                        if (need_b) sb[j] += dv;
                    }
                if (need_w) gw = Tensor::from(sw, param_shape, {.dtype = x.dtype()});
                if (need_b) gb = Tensor::from(sb, param_shape, {.dtype = x.dtype()});
            }
        });
        return {gx, gw, gb};
    }
    void release_saved() override { input.reset(), weight.reset(); }
    std::string name() const override { return "NativeLayerNormBackward0"; }
};

}  // namespace

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
    DESCENT_CHECK(input.defined() && input.dim() >= 2, "batch_norm: expected an input of shape [N, C, *] (2-D or more), got ",
                  input.defined() ? shape_str(input.shape()) : "undefined");
    DESCENT_CHECK(is_floating(input.dtype()), "batch_norm: expected a floating-point input, got ", dtype_name(input.dtype()));
    BnGeom g{input.size(0), input.size(1), 1};
    g.S = g.N * g.C == 0 ? 0 : input.numel() / (g.N * g.C);
    check_param(weight, "weight", g.C, input, "batch_norm");
    check_param(bias, "bias", g.C, input, "batch_norm");
    check_param(running_mean, "running_mean", g.C, input, "batch_norm");
    check_param(running_var, "running_var", g.C, input, "batch_norm");
    DESCENT_CHECK(running_mean.defined() == running_var.defined(),
                  "batch_norm: running_mean and running_var must be both defined or both undefined");
    DESCENT_CHECK(training || running_mean.defined(),
                  "batch_norm: running_mean and running_var are needed when not training");
    DESCENT_CHECK(!training || g.M() > 1, "batch_norm: expected more than 1 value per channel when training, got input of shape ",
                  shape_str(input.shape()));
    DESCENT_CHECK(eps >= 0, "batch_norm: eps must be non-negative, got ", eps);

    const Tensor x = contiguous(input.detach());
    const Tensor w = weight.defined() ? contiguous(weight.detach()) : Tensor();
    const Tensor b = bias.defined() ? contiguous(bias.detach()) : Tensor();
    std::vector<double> mean(g.C), invstd(g.C);
    Tensor out = make_tensor(x.shape(), x.dtype());
    visit_floating(x.dtype(), "batch_norm", [&](auto tag) {
        using T = decltype(tag);
        const T* xd = x.data_ptr<T>();
        std::vector<double> var(g.C);
        if (training) {
#pragma omp parallel for schedule(static) num_threads(norm_threads(x.numel()))
            for (std::int64_t c = 0; c < g.C; ++c) {
                double s = 0;  // two passes: the mean, then squared deviations (no cancellation)
                for (std::int64_t n = 0; n < g.N; ++n)
                    for (std::int64_t i = 0; i < g.S; ++i) s += xd[(n * g.C + c) * g.S + i];
                const double mu = s / static_cast<double>(g.M());
                double ss = 0;
                for (std::int64_t n = 0; n < g.N; ++n)
                    for (std::int64_t i = 0; i < g.S; ++i) {
                        const double dv = xd[(n * g.C + c) * g.S + i] - mu;
                        ss += dv * dv;
                    }
                mean[c] = mu;
                var[c] = ss / static_cast<double>(g.M());
            }
        } else {
            mean = running_mean.to_vector<double>();
            var = running_var.to_vector<double>();
        }
        for (std::int64_t c = 0; c < g.C; ++c) invstd[c] = 1.0 / std::sqrt(var[c] + eps);
        const T* wd = ptr_or_null<T>(w);
        const T* bd = ptr_or_null<T>(b);
        T* y = out.data_ptr<T>();
#pragma omp parallel for schedule(static) num_threads(norm_threads(x.numel()))
        for (std::int64_t c = 0; c < g.C; ++c) {
            // y = x·alpha + beta with alpha = r·w, beta = b − μ·r·w (folded in double, applied in T).
            const double alpha_d = invstd[c] * (wd ? static_cast<double>(wd[c]) : 1.0);
            const T alpha = static_cast<T>(alpha_d);
            const T beta = static_cast<T>((bd ? static_cast<double>(bd[c]) : 0.0) - mean[c] * alpha_d);
            for (std::int64_t n = 0; n < g.N; ++n) {
                const std::int64_t base = (n * g.C + c) * g.S;
                for (std::int64_t i = 0; i < g.S; ++i) y[base + i] = xd[base + i] * alpha + beta;
            }
        }
        if (training && running_mean.defined()) {
            std::vector<double> rm = running_mean.to_vector<double>(), rv = running_var.to_vector<double>();
            const double M = static_cast<double>(g.M());
            for (std::int64_t c = 0; c < g.C; ++c) {
                rm[c] = momentum * mean[c] + (1 - momentum) * rm[c];
                rv[c] = momentum * var[c] * M / (M - 1) + (1 - momentum) * rv[c];
            }
            NoGradGuard no_grad;  // copy_ bumps the buffers' versions, so stale saved copies are caught
            Tensor(running_mean).copy_(Tensor::from(rm, running_mean.shape()));
            Tensor(running_var).copy_(Tensor::from(rv, running_var.shape()));
        }
    });
    if (auto node = make_node<NativeBatchNormBackward>({&input, &weight, &bias})) {
        node->input = SavedTensor(x);
        if (w.defined()) node->weight = SavedTensor(w);
        node->mean = std::move(mean);
        node->invstd = std::move(invstd);
        node->geom = g;
        node->training = training;
        node->has_weight = weight.defined();
        node->has_bias = bias.defined();
        autograd::set_history(out, node);
    }
    return out;
}

Tensor layer_norm(const Tensor& input, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
    DESCENT_CHECK(input.defined(), "layer_norm: undefined input");
    DESCENT_CHECK(is_floating(input.dtype()), "layer_norm: expected a floating-point input, got ", dtype_name(input.dtype()));
    const std::int64_t nd = static_cast<std::int64_t>(normalized_shape.size());
    DESCENT_CHECK(nd >= 1, "layer_norm: normalized_shape must name at least one dim, got []");
    bool match = input.dim() >= nd;
    for (std::int64_t i = 0; match && i < nd; ++i) match = input.size(input.dim() - nd + i) == normalized_shape[i];
    DESCENT_CHECK(match, "layer_norm: given normalized_shape=", shape_str(normalized_shape),
                  ", expected input of shape [*, ", shape_str(normalized_shape).substr(1), ", got input of shape ",
                  shape_str(input.shape()));
    for (const Tensor* p : {&weight, &bias})
        if (p->defined()) {
            DESCENT_CHECK(p->shape() == normalized_shape, "layer_norm: expected ", p == &weight ? "weight" : "bias",
                          " of shape ", shape_str(normalized_shape), ", got ", shape_str(p->shape()));
            DESCENT_CHECK(p->dtype() == input.dtype(), "layer_norm: ", p == &weight ? "weight" : "bias", " has dtype ",
                          dtype_name(p->dtype()), ", input has ", dtype_name(input.dtype()));
        }
    DESCENT_CHECK(eps >= 0, "layer_norm: eps must be non-negative, got ", eps);
    const std::int64_t D = shape_numel(normalized_shape);
    const std::int64_t rows = D == 0 ? 0 : input.numel() / D;
    const Tensor x = contiguous(input.detach());
    const Tensor w = weight.defined() ? contiguous(weight.detach()) : Tensor();
    const Tensor b = bias.defined() ? contiguous(bias.detach()) : Tensor();
    std::vector<double> mean(rows), rstd(rows);
    Tensor out = make_tensor(x.shape(), x.dtype());
    visit_floating(x.dtype(), "layer_norm", [&](auto tag) {
        using T = decltype(tag);
        const T* xd = x.data_ptr<T>();
        const T* wd = ptr_or_null<T>(w);
        const T* bd = ptr_or_null<T>(b);
        T* y = out.data_ptr<T>();
#pragma omp parallel for schedule(static) num_threads(norm_threads(x.numel()))
        for (std::int64_t i = 0; i < rows; ++i) {
            const T* xr = xd + i * D;
            double s = 0;
            for (std::int64_t j = 0; j < D; ++j) s += xr[j];
            const double mu = s / static_cast<double>(D);
            double ss = 0;
            for (std::int64_t j = 0; j < D; ++j) ss += (xr[j] - mu) * (xr[j] - mu);
            const double r = 1.0 / std::sqrt(ss / static_cast<double>(D) + eps);
            mean[i] = mu, rstd[i] = r;
            for (std::int64_t j = 0; j < D; ++j) {
                double v = (xr[j] - mu) * r;
                if (wd) v *= wd[j];
                if (bd) v += bd[j];
                y[i * D + j] = static_cast<T>(v);
            }
        }
    });
    if (auto node = make_node<NativeLayerNormBackward>({&input, &weight, &bias})) {
        node->input = SavedTensor(x);
        if (w.defined()) node->weight = SavedTensor(w);
        node->mean = std::move(mean);
        node->rstd = std::move(rstd);
        node->rows = rows, node->D = D;
        node->has_weight = weight.defined();
        node->has_bias = bias.defined();
        node->param_shape = normalized_shape;
        autograd::set_history(out, node);
    }
    return out;
}

Tensor dropout2d(const Tensor& input, double p, bool training, Generator* generator) {
    DESCENT_CHECK(input.defined(), "dropout2d: undefined input");
    DESCENT_CHECK(p >= 0.0 && p <= 1.0, "dropout2d: dropout probability has to be between 0 and 1, but got ", p);
    DESCENT_CHECK(input.dim() == 3 || input.dim() == 4,
                  "dropout2d: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got input of shape ",
                  shape_str(input.shape()));
    DESCENT_CHECK(is_floating(input.dtype()), "dropout2d: expected a floating-point input, got ", dtype_name(input.dtype()));
    if (!training || p == 0.0) return input;
    // One draw per channel map, broadcast over H and W.
    Shape mask_shape = input.shape();
    mask_shape[mask_shape.size() - 1] = 1;
    mask_shape[mask_shape.size() - 2] = 1;
    if (p == 1.0) return mul(input, Tensor::zeros(mask_shape, {.dtype = input.dtype()}));
    Tensor mask = Tensor::bernoulli(mask_shape, 1.0 - p, {.dtype = input.dtype(), .generator = generator});
    mask.mul_(1.0 / (1.0 - p));
    return mul(input, mask);
}

}  // namespace descent
