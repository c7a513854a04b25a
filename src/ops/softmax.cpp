// softmax and log_softmax along a dim, fused and numerically stable (the row
// maximum is subtracted before exp), with hand-written backwards:
//   softmax:     dx = y ⊙ (g − Σ g⊙y)
//   log_softmax: dx = g − exp(y) ⊙ Σ g
// Kernel layout: the input as [outer, n, inner] with the softmax dim in the middle.
#include <cmath>
#include <limits>

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
template <bool Log>
Tensor softmax_forward(const Tensor& x_in, std::int64_t dim) {
    const Tensor x = contiguous(is_floating(x_in.dtype()) ? x_in.detach() : to_dtype(x_in.detach(), kFloat32));
    std::int64_t outer = 1, n = 1, inner = 1;
    for (std::int64_t d = 0; d < x.dim(); ++d) {
        const std::int64_t s = x.size(d);
        if (d < dim) outer *= s;
        else if (d == dim) n = s;
        else inner *= s;
    }
    Tensor out = make_tensor(x.shape(), x.dtype());
    visit_floating(x.dtype(), Log ? "log_softmax" : "softmax", [&](auto tag) {
        using T = decltype(tag);
        const T* p = x.data_ptr<T>();
        T* y = out.data_ptr<T>();
        for (std::int64_t o = 0; o < outer; ++o)
            for (std::int64_t i = 0; i < inner; ++i) {
                const std::int64_t base = o * n * inner + i;
                T m = -std::numeric_limits<T>::infinity();
                for (std::int64_t k = 0; k < n; ++k) m = std::max(m, p[base + k * inner]);
                if (!std::isfinite(m)) m = std::isnan(m) ? m : T(0);  // all -inf rows: avoid inf - inf
                double total = 0;
                for (std::int64_t k = 0; k < n; ++k) {
                    const T e = std::exp(p[base + k * inner] - m);
                    total += e;
                    if constexpr (!Log) y[base + k * inner] = e;
                }
                if constexpr (Log) {
                    // (x - m) - log Σ, as PyTorch: never forms m + log Σ, which loses the
                    // low bits of the result when m is large (float32 ulp at 1000 is 6e-5).
                    const T log_total = static_cast<T>(std::log(total));
                    for (std::int64_t k = 0; k < n; ++k) y[base + k * inner] = (p[base + k * inner] - m) - log_total;
                } else {
                    const T inv = static_cast<T>(1.0 / total);
                    for (std::int64_t k = 0; k < n; ++k) y[base + k * inner] *= inv;
                }
            }
    });
    return out;
}

struct SoftmaxBackward final : Node {
    SavedTensor result;
    std::int64_t dim = 0;
    TensorList apply(TensorList&& g) override {
        const Tensor y = result.unpack(*this);
        return {mul(y, sub(g[0], sum(mul(g[0], y), {dim}, true)))};
    }
    void release_saved() override { result.reset(); }
    std::string name() const override { return "SoftmaxBackward0"; }
};

struct LogSoftmaxBackward final : Node {
    SavedTensor result;
    std::int64_t dim = 0;
    TensorList apply(TensorList&& g) override {
        const Tensor y = result.unpack(*this);
        return {sub(g[0], mul(exp(y), sum(g[0], {dim}, true)))};
    }
    void release_saved() override { result.reset(); }
    std::string name() const override { return "LogSoftmaxBackward0"; }
};

template <class NodeT, bool Log>
Tensor softmax_op(const Tensor& x, std::int64_t dim, const char* op) {
    const std::int64_t d = x.dim() == 0 ? 0 : wrap_dim(dim, x.dim(), op);
    Tensor out = softmax_forward<Log>(x, d);
    if (auto node = make_node<NodeT>({&x})) {
        node->result = SavedTensor(out);
        node->dim = d;
        autograd::set_history(out, node);
    }
    return out;
}
}  // namespace

Tensor softmax(const Tensor& x, std::int64_t dim) { return softmax_op<SoftmaxBackward, false>(x, dim, "softmax"); }
Tensor log_softmax(const Tensor& x, std::int64_t dim) {
    return softmax_op<LogSoftmaxBackward, true>(x, dim, "log_softmax");
}

}  // namespace descent
