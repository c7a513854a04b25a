// Indexing with int64 index tensors: index_select, gather, scatter_add (each
// with its backward beside it) and one_hot. Every index value is checked
// against the size of its dim before any element is read or written.
//   index_select: out[.., j, ..] = x[.., index[j], ..]              (along dim)
//   gather:       out[i][j][k] = x[i][index[i][j][k]][k]            (dim = 1)
//   scatter_add:  out = x; out[i][index[i][j][k]][k] += src[i][j][k] (dim = 1)
#include "../kernels/strided.hpp"
#include "descent/autograd/node.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/shape.hpp"
#include "op_util.hpp"

namespace descent {
using autograd::make_node;
using autograd::Node;
using autograd::TensorList;
using autograd::SavedTensor;

namespace {

void check_index_dtype(const Tensor& index, const char* op) {
    DESCENT_CHECK(index.defined(), op, ": index is undefined");
    DESCENT_CHECK(index.dtype() == kInt64, op, ": index must be an int64 tensor, got ", dtype_name(index.dtype()));
}

// Every value of `index` must lie in [0, size).
void check_index_range(const Tensor& index, std::int64_t size, std::int64_t dim, const char* op) {
    const Tensor ic = contiguous(index.detach());
    const std::int64_t* p = ic.data_ptr<std::int64_t>();
    for (std::int64_t i = 0; i < ic.numel(); ++i)
        DESCENT_CHECK(p[i] >= 0 && p[i] < size, op, ": index ", p[i], " is out of range for dim ", dim, " of size ",
                      size);
}

// Size and stride of `dim` of x, treating a 0-dim tensor as having one element along dim 0.
std::int64_t size_of(const Tensor& x, std::int64_t dim) { return x.dim() == 0 ? 1 : x.size(dim); }
std::int64_t stride_of(const Tensor& x, std::int64_t dim) { return x.dim() == 0 ? 0 : x.stride(dim); }

// x's strides with `dim` zeroed: the offset of everything but the indexed coordinate.
Shape strides_without(const Tensor& x, std::int64_t dim) {
    Shape s = x.strides();
    if (!s.empty()) s[static_cast<std::size_t>(dim)] = 0;
    return s;
}

// ---- index_select ----------------------------------------------------------------------------
// x viewed as [outer, n, inner]; out as [outer, k, inner].
struct Rows {
    std::int64_t outer = 1, n = 1, inner = 1;
};
Rows rows_of(const Shape& shape, std::int64_t dim) {
    Rows r;
    for (std::int64_t d = 0; d < static_cast<std::int64_t>(shape.size()); ++d) {
        if (d < dim) r.outer *= shape[static_cast<std::size_t>(d)];
        else if (d == dim) r.n = shape[static_cast<std::size_t>(d)];
        else r.inner *= shape[static_cast<std::size_t>(d)];
    }
    return r;
}

// target[.., index[j], ..] += src[.., j, ..] for a contiguous target [outer, n, inner].
void index_add_rows(Tensor& target, std::int64_t dim, const Tensor& index, const Tensor& src_in) {
    const Tensor src = contiguous(src_in.dtype() == target.dtype() ? src_in : to_dtype(src_in, target.dtype()));
    const Tensor ic = contiguous(index);
    const Rows r = rows_of(target.shape(), dim);
    const std::int64_t k = ic.numel();
    const std::int64_t* ip = ic.data_ptr<std::int64_t>();
    visit_dtype(target.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if constexpr (!std::is_same_v<T, bool>) {
            const T* s = src.data_ptr<T>();
            T* t = target.data_ptr<T>();
            for (std::int64_t o = 0; o < r.outer; ++o)
                for (std::int64_t j = 0; j < k; ++j) {
                    T* dst = t + (o * r.n + ip[j]) * r.inner;
                    const T* from = s + (o * k + j) * r.inner;
                    for (std::int64_t i = 0; i < r.inner; ++i) dst[i] += from[i];
                }
        }
    });
}

struct IndexSelectBackward final : Node {
    SavedTensor index;
    Shape input_shape;
    std::int64_t dim = 0;
    TensorList apply(TensorList&& g) override {
        Tensor grad = Tensor::zeros(input_shape, {.dtype = g[0].dtype()});
        index_add_rows(grad, dim, index.unpack(*this), g[0]);
        return {grad};
    }
    void release_saved() override { index.reset(); }
    std::string name() const override { return "IndexSelectBackward0"; }
};

// ---- gather / scatter_add ----------------------------------------------------------------------
// index must have x's number of dims and fit inside x on every dim but `dim`
// (and inside src on every dim, for scatter_add).
void check_gather_shapes(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor* src, const char* op) {
    DESCENT_CHECK(index.dim() == x.dim(), op, ": index of shape ", shape_str(index.shape()),
                  " needs as many dims as the input of shape ", shape_str(x.shape()));
    for (std::int64_t d = 0; d < x.dim(); ++d)
        DESCENT_CHECK(d == dim || index.size(d) <= x.size(d), op, ": index of shape ", shape_str(index.shape()),
                      " is larger than the input of shape ", shape_str(x.shape()), " in dim ", d);
    if (!src) return;
    DESCENT_CHECK(src->dim() == x.dim(), op, ": src of shape ", shape_str(src->shape()),
                  " needs as many dims as the input of shape ", shape_str(x.shape()));
    for (std::int64_t d = 0; d < x.dim(); ++d)
        DESCENT_CHECK(index.size(d) <= src->size(d), op, ": index of shape ", shape_str(index.shape()),
                      " is larger than src of shape ", shape_str(src->shape()), " in dim ", d);
}

// out (shape of index) = x gathered along dim; no autograd, no checks.
Tensor gather_kernel(const Tensor& x, std::int64_t dim, const Tensor& index) {
    Tensor out = make_tensor(index.shape(), x.dtype());
    const Shape xs = strides_without(x, dim);
    const std::int64_t step = stride_of(x, dim);
    visit_dtype(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* xp = static_cast<const T*>(x.impl()->storage->data) + x.storage_offset();
        const std::int64_t* ip = static_cast<const std::int64_t*>(index.impl()->storage->data) + index.storage_offset();
        T* op = out.data_ptr<T>();
        kernels::for_each_row<3>(index.shape(), {&out.strides(), &index.strides(), &xs}, [&](const kernels::RowSpec<3>& r) {
            for (std::int64_t i = 0; i < r.length; ++i)
                op[r.offsets[0] + i * r.strides[0]] =
                    xp[r.offsets[2] + i * r.strides[2] + ip[r.offsets[1] + i * r.strides[1]] * step];
        });
    });
    return out;
}

// target[..index..] += src along dim, in place on a fresh tensor; no autograd, no checks.
void scatter_add_kernel(Tensor& target, std::int64_t dim, const Tensor& index, const Tensor& src) {
    const Shape ts = strides_without(target, dim);
    const std::int64_t step = stride_of(target, dim);
    visit_dtype(target.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* tp = static_cast<T*>(target.impl()->storage->data) + target.storage_offset();
        const T* sp = static_cast<const T*>(src.impl()->storage->data) + src.storage_offset();
        const std::int64_t* ip = static_cast<const std::int64_t*>(index.impl()->storage->data) + index.storage_offset();
        kernels::for_each_row<3>(index.shape(), {&ts, &index.strides(), &src.strides()}, [&](const kernels::RowSpec<3>& r) {
            for (std::int64_t i = 0; i < r.length; ++i) {
                T& dst = tp[r.offsets[0] + i * r.strides[0] + ip[r.offsets[1] + i * r.strides[1]] * step];
                const T v = sp[r.offsets[2] + i * r.strides[2]];
                if constexpr (std::is_same_v<T, bool>) dst = dst || v;
                else dst += v;
            }
        });
    });
}

struct GatherBackward final : Node {
    SavedTensor index;
    Shape input_shape;
    std::int64_t dim = 0;
    TensorList apply(TensorList&& g) override {
        return {scatter_add(Tensor::zeros(input_shape, {.dtype = g[0].dtype()}), dim, index.unpack(*this), g[0])};
    }
    void release_saved() override { index.reset(); }
    std::string name() const override { return "GatherBackward0"; }
};

struct ScatterAddBackward final : Node {
    SavedTensor index;
    Shape src_shape;
    DType self_dtype{}, src_dtype{};
    std::int64_t dim = 0;
    TensorList apply(TensorList&& g) override {
        Tensor g_self, g_src;
        if (needs_input_grad(0)) g_self = grad_for(g[0], g[0].shape(), self_dtype);
        if (needs_input_grad(1)) {
            const Tensor idx = index.unpack(*this);
            const Tensor picked = gather(g[0], dim, idx);
            if (idx.shape() == src_shape) {
                g_src = picked;
            } else {
                // src may be larger than index; its unread elements get zero gradient.
                g_src = Tensor::zeros(src_shape, {.dtype = picked.dtype()});
                Tensor region = g_src;
                for (std::int64_t d = 0; d < idx.dim(); ++d) region = narrow(region, d, 0, idx.size(d));
                region.copy_(picked);
            }
            g_src = grad_for(g_src, src_shape, src_dtype);
        }
        return {g_self, g_src};
    }
    void release_saved() override { index.reset(); }
    std::string name() const override { return "ScatterAddBackward0"; }
};

}  // namespace

Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index) {
    check_index_dtype(index, "index_select");
    DESCENT_CHECK(index.dim() <= 1, "index_select: index must be 0-D or 1-D, got shape ", shape_str(index.shape()));
    const std::int64_t d = wrap_dim(dim, x.dim(), "index_select");
    check_index_range(index, size_of(x, d), d, "index_select");
    if (x.dim() == 0) DESCENT_CHECK(index.numel() == 1, "index_select: a 0-dim input needs exactly one index, got ",
                                    index.numel());
    Shape out_shape = x.shape();
    if (x.dim() > 0) out_shape[static_cast<std::size_t>(d)] = index.numel();
    const Tensor xc = contiguous(x.detach());
    const Tensor ic = contiguous(index.detach());
    Tensor out = make_tensor(out_shape, x.dtype());
    const Rows r = rows_of(x.shape(), d);
    const std::int64_t k = ic.numel();
    visit_dtype(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* src = xc.data_ptr<T>();
        const std::int64_t* ip = ic.data_ptr<std::int64_t>();
        T* dst = out.data_ptr<T>();
        for (std::int64_t o = 0; o < r.outer; ++o)
            for (std::int64_t j = 0; j < k; ++j) {
                const T* from = src + (o * r.n + ip[j]) * r.inner;
                T* to = dst + (o * k + j) * r.inner;
                for (std::int64_t i = 0; i < r.inner; ++i) to[i] = from[i];
            }
    });
    if (auto node = make_node<IndexSelectBackward>({&x})) {
        node->index = SavedTensor(index);
        node->input_shape = x.shape();
        node->dim = d;
        autograd::set_history(out, node);
    }
    return out;
}

Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index) {
    check_index_dtype(index, "gather");
    const std::int64_t d = wrap_dim(dim, x.dim(), "gather");
    check_gather_shapes(x, d, index, nullptr, "gather");
    check_index_range(index, size_of(x, d), d, "gather");
    Tensor out = gather_kernel(x.detach(), d, index.detach());
    if (auto node = make_node<GatherBackward>({&x})) {
        node->index = SavedTensor(index);
        node->input_shape = x.shape();
        node->dim = d;
        autograd::set_history(out, node);
    }
    return out;
}

Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src) {
    check_index_dtype(index, "scatter_add");
    DESCENT_CHECK(src.defined(), "scatter_add: src is undefined");
    DESCENT_CHECK(src.dtype() == x.dtype(), "scatter_add: src has dtype ", dtype_name(src.dtype()),
                  " but the input has dtype ", dtype_name(x.dtype()));
    const std::int64_t d = wrap_dim(dim, x.dim(), "scatter_add");
    check_gather_shapes(x, d, index, &src, "scatter_add");
    check_index_range(index, size_of(x, d), d, "scatter_add");
    Tensor out = clone(x.detach());
    scatter_add_kernel(out, d, index.detach(), src.detach());
    if (auto node = make_node<ScatterAddBackward>({&x, &src})) {
        node->index = SavedTensor(index);
        node->src_shape = src.shape();
        node->self_dtype = x.dtype();
        node->src_dtype = src.dtype();
        node->dim = d;
        autograd::set_history(out, node);
    }
    return out;
}

Tensor one_hot(const Tensor& indices, std::int64_t num_classes, DType dtype) {
    check_index_dtype(indices, "one_hot");
    const Tensor ic = contiguous(indices.detach());
    const std::int64_t* p = ic.data_ptr<std::int64_t>();
    const std::int64_t n = ic.numel();
    for (std::int64_t i = 0; i < n; ++i)
        DESCENT_CHECK(p[i] >= 0, "one_hot: class values must be non-negative, got ", p[i]);
    if (num_classes == -1) {
        DESCENT_CHECK(n > 0, "one_hot: cannot infer num_classes from an empty tensor; pass num_classes");
        num_classes = 0;
        for (std::int64_t i = 0; i < n; ++i) num_classes = std::max(num_classes, p[i]);
        DESCENT_CHECK(num_classes < INT64_MAX, "one_hot: class value ", num_classes, " is too large");
        ++num_classes;
    }
    DESCENT_CHECK(num_classes >= 0, "one_hot: num_classes must be -1 (infer) or non-negative, got ", num_classes);
    for (std::int64_t i = 0; i < n; ++i)
        DESCENT_CHECK(p[i] < num_classes, "one_hot: class value ", p[i], " is out of range for num_classes ",
                      num_classes);
    Shape shape = indices.shape();
    shape.push_back(num_classes);
    Tensor out = Tensor::zeros(shape, {.dtype = dtype});
    visit_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        T* o = out.data_ptr<T>();
        for (std::int64_t i = 0; i < n; ++i) o[i * num_classes + p[i]] = T(1);
    });
    return out;
}

}  // namespace descent
