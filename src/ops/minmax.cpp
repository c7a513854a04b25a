// max/min (with values and indices along a dim, or over everything) and
// argmax/argmin. Kernels view the input as [outer, n, inner] with the reduced
// dim in the middle. NaN counts as the largest and smallest value, as in PyTorch.
#include <cmath>

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
struct Geometry {
    std::int64_t outer = 1, n = 1, inner = 1;
};
Geometry geometry(const Shape& shape, std::int64_t dim) {
    Geometry g;
    for (std::int64_t d = 0; d < static_cast<std::int64_t>(shape.size()); ++d) {
        const std::int64_t s = shape[static_cast<std::size_t>(d)];
        if (d < dim) g.outer *= s;
        else if (d == dim) g.n = s;
        else g.inner *= s;
    }
    return g;
}

template <class T>
bool better(T candidate, T best, bool is_max) {
    if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(best)) return false;
        if (std::isnan(candidate)) return true;
    }
    return is_max ? candidate > best : candidate < best;
}

// Values [outer, inner] (as the kept shape) and int64 indices of the best along dim.
ValuesIndices reduce_best(const Tensor& x, std::int64_t dim, bool keepdim, bool is_max, const char* op) {
    const std::int64_t d = wrap_dim(dim, x.dim(), op);
    Shape kept = x.shape();
    if (x.dim() > 0) {
        DESCENT_CHECK(x.shape()[static_cast<std::size_t>(d)] > 0, op, ": cannot reduce an empty dim ", dim,
                      " of shape ", shape_str(x.shape()));
        kept[static_cast<std::size_t>(d)] = 1;
    }
    const Geometry g = geometry(x.shape(), x.dim() == 0 ? 0 : d);
    const Tensor xc = contiguous(x.detach());
    Tensor values = make_tensor(kept, x.dtype());
    Tensor indices = make_tensor(kept, kInt64);
    visit_dtype(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* p = xc.data_ptr<T>();
        T* v = values.data_ptr<T>();
        std::int64_t* ix = indices.data_ptr<std::int64_t>();
        for (std::int64_t o = 0; o < g.outer; ++o)
            for (std::int64_t i = 0; i < g.inner; ++i) {
                const T* row = p + o * g.n * g.inner + i;
                std::int64_t best = 0;
                for (std::int64_t k = 1; k < g.n; ++k)
                    if (better(row[k * g.inner], row[best * g.inner], is_max)) best = k;
                v[o * g.inner + i] = row[best * g.inner];
                ix[o * g.inner + i] = best;
            }
    });
    if (!keepdim && x.dim() > 0) {
        values = values.squeeze(d);
        indices = indices.squeeze(d);
    }
    return {values, indices};
}

// Gradient of max/min along a dim: g goes to the chosen index.
struct IndexReduceBackward final : Node {
    SavedTensor indices;  // kept shape
    Shape input_shape, kept_shape;
    std::int64_t dim = 0;
    bool is_max = true;
    TensorList apply(TensorList&& grads) override {
        const Tensor idx = contiguous(indices.unpack(*this));
        const Tensor g = contiguous(reshape(grads[0], kept_shape));
        Tensor out = Tensor::zeros(input_shape, {.dtype = g.dtype()});
        const Geometry geo = geometry(input_shape, dim);
        visit_floating(g.dtype(), "max", [&](auto tag) {
            using T = decltype(tag);
            const T* gp = g.data_ptr<T>();
            const std::int64_t* ip = idx.data_ptr<std::int64_t>();
            T* op = out.data_ptr<T>();
            for (std::int64_t o = 0; o < geo.outer; ++o)
                for (std::int64_t i = 0; i < geo.inner; ++i) {
                    const std::int64_t j = o * geo.inner + i;
                    op[o * geo.n * geo.inner + ip[j] * geo.inner + i] += gp[j];
                }
        });
        return {out};
    }
    void release_saved() override { indices.reset(); }
    std::string name() const override { return is_max ? "MaxBackward0" : "MinBackward0"; }
};

// Gradient of max()/min() over everything: split evenly among the tied elements.
struct AllReduceBackward final : Node {
    SavedTensor input, result;
    bool is_max = true;
    TensorList apply(TensorList&& g) override {
        const Tensor mask = eq(input.unpack(*this), result.unpack(*this)).to(g[0].dtype());
        return {mul(div(mask, sum(mask)), g[0])};
    }
    void release_saved() override { input.reset(), result.reset(); }
    std::string name() const override { return is_max ? "MaxBackward1" : "MinBackward1"; }
};

ValuesIndices best_along(const Tensor& x, std::int64_t dim, bool keepdim, bool is_max) {
    const char* op = is_max ? "max" : "min";
    ValuesIndices r = reduce_best(x, dim, keepdim, is_max, op);
    if (auto node = make_node<IndexReduceBackward>({&x})) {
        Shape kept = x.shape();
        const std::int64_t d = x.dim() == 0 ? 0 : wrap_dim(dim, x.dim(), op);
        if (x.dim() > 0) kept[static_cast<std::size_t>(d)] = 1;
        node->indices = SavedTensor(r.indices.reshape(kept));
        node->input_shape = x.shape();
        node->kept_shape = kept;
        node->dim = d;
        node->is_max = is_max;
        autograd::set_history(r.values, node);
    }
    return r;
}

Tensor best_all(const Tensor& x, bool is_max) {
    DESCENT_CHECK(x.numel() > 0, is_max ? "max" : "min", ": cannot reduce an empty tensor");
    Tensor out = reduce_best(x.detach().reshape({-1}), 0, false, is_max, is_max ? "max" : "min").values;
    if (auto node = make_node<AllReduceBackward>({&x})) {
        node->input = SavedTensor(x);
        node->result = SavedTensor(out);
        node->is_max = is_max;
        autograd::set_history(out, node);
    }
    return out;
}
}  // namespace

ValuesIndices max(const Tensor& x, std::int64_t dim, bool keepdim) { return best_along(x, dim, keepdim, true); }
ValuesIndices min(const Tensor& x, std::int64_t dim, bool keepdim) { return best_along(x, dim, keepdim, false); }
Tensor max(const Tensor& x) { return best_all(x, true); }
Tensor min(const Tensor& x) { return best_all(x, false); }

Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim) {
    return reduce_best(x.detach(), dim, keepdim, true, "argmax").indices;
}
Tensor argmin(const Tensor& x, std::int64_t dim, bool keepdim) {
    return reduce_best(x.detach(), dim, keepdim, false, "argmin").indices;
}
Tensor argmax(const Tensor& x) {
    DESCENT_CHECK(x.numel() > 0, "argmax: cannot reduce an empty tensor");
    return reduce_best(x.detach().reshape({-1}), 0, false, true, "argmax").indices;
}
Tensor argmin(const Tensor& x) {
    DESCENT_CHECK(x.numel() > 0, "argmin: cannot reduce an empty tensor");
    return reduce_best(x.detach().reshape({-1}), 0, false, false, "argmin").indices;
}

}  // namespace descent
