// View ops (sharing storage) and copies: each forward computes the new
// geometry, each backward maps the gradient back to the input's geometry.
#include "descent/ops/shape.hpp"

#include <algorithm>
#include <numeric>

#include "../kernels/elementwise.hpp"
#include "descent/autograd/node.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/reduction.hpp"

namespace descent {
using autograd::make_node;
using autograd::Node;
using autograd::TensorList;

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
    const std::size_t n = std::max(a.size(), b.size());
    Shape out(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
        const std::int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
        DESCENT_CHECK(da == db || da == 1 || db == 1, op, ": shapes ", shape_str(a), " and ", shape_str(b),
                      " cannot be broadcast together (dim ", i, ": ", da, " vs ", db, ")");
        out[i] = da == 1 ? db : da;
    }
    return out;
}

namespace {

// Resolves one -1 entry of `shape` for `numel` elements.
Shape infer_shape(const Shape& shape, std::int64_t numel, const char* op, const Shape& input_shape) {
    Shape out = shape;
    std::int64_t known = 1;
    int unknown = -1;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i] == -1) {
            DESCENT_CHECK(unknown < 0, op, ": only one dim can be -1 in ", shape_str(shape));
            unknown = static_cast<int>(i);
        } else {
            DESCENT_CHECK(out[i] >= 0, op, ": invalid extent ", out[i], " in ", shape_str(shape));
            DESCENT_CHECK(!__builtin_mul_overflow(known, out[i], &known), op, ": shape ", shape_str(shape),
                          " is invalid for input of shape ", shape_str(input_shape));
        }
    }
    if (unknown >= 0) {
        DESCENT_CHECK(known != 0 && numel % known == 0, op, ": shape ", shape_str(shape), " is invalid for input of shape ",
                      shape_str(input_shape));
        out[static_cast<std::size_t>(unknown)] = numel / known;
    }
    DESCENT_CHECK(shape_numel(out) == numel, op, ": shape ", shape_str(shape), " is invalid for input of shape ",
                  shape_str(input_shape), " (", numel, " elements)");
    return out;
}

// Strides that view (old_shape, old_strides) as new_shape without copying, if
// possible (PyTorch's computeStride: each run of merged dims must be contiguous).
std::optional<Shape> view_strides(const Shape& old_shape, const Shape& old_strides, const Shape& new_shape) {
    Shape new_strides(new_shape.size());
    if (old_shape.empty()) return Shape(new_shape.size(), 1);
    if (shape_numel(old_shape) == 0) return contiguous_strides(new_shape);
    std::int64_t view_d = static_cast<std::int64_t>(new_shape.size()) - 1;
    std::int64_t chunk_base_stride = old_strides.back();
    std::int64_t tensor_numel = 1, view_numel = 1;
    for (std::int64_t d = static_cast<std::int64_t>(old_shape.size()) - 1; d >= 0; --d) {
        tensor_numel *= old_shape[static_cast<std::size_t>(d)];
        if (d == 0 || (old_shape[static_cast<std::size_t>(d - 1)] != 1 &&
                       old_strides[static_cast<std::size_t>(d - 1)] != tensor_numel * chunk_base_stride)) {
            while (view_d >= 0 && (view_numel < tensor_numel || new_shape[static_cast<std::size_t>(view_d)] == 1)) {
                new_strides[static_cast<std::size_t>(view_d)] = view_numel * chunk_base_stride;
                view_numel *= new_shape[static_cast<std::size_t>(view_d)];
                --view_d;
            }
            if (view_numel != tensor_numel) return std::nullopt;
            if (d > 0) {
                chunk_base_stride = old_strides[static_cast<std::size_t>(d - 1)];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    if (view_d != -1) return std::nullopt;
    return new_strides;
}

struct ReshapeBackward final : Node {  // view, reshape, squeeze, unsqueeze, flatten
    Shape input_shape;
    std::string op_name;
    TensorList apply(TensorList&& g) override { return {reshape(g[0], input_shape)}; }
    std::string name() const override { return op_name; }
};

Tensor record_reshape(Tensor out, const Tensor& x, const char* name) {
    if (auto node = make_node<ReshapeBackward>({&x})) {
        node->input_shape = x.shape();
        node->op_name = name;
        autograd::set_history(out, node);
    }
    return out;
}

struct PermuteBackward final : Node {
    Shape inverse;
    TensorList apply(TensorList&& g) override { return {permute(g[0], inverse)}; }
    std::string name() const override { return "PermuteBackward0"; }
};

struct ExpandBackward final : Node {
    Shape input_shape;
    TensorList apply(TensorList&& g) override { return {sum_to(g[0], input_shape)}; }
    std::string name() const override { return "ExpandBackward0"; }
};

// narrow, slice, select: the gradient is zero outside the viewed part.
struct SliceBackward final : Node {
    Shape input_shape;
    std::int64_t dim = 0, start = 0, end = 0, step = 1;
    bool removes_dim = false;  // select
    TensorList apply(TensorList&& g) override {
        Tensor grad = Tensor::zeros(input_shape, {.dtype = g[0].dtype()});
        Tensor part = slice(grad, dim, start, end, step);
        part.copy_(removes_dim ? unsqueeze(g[0], dim) : g[0]);
        return {grad};
    }
    std::string name() const override { return removes_dim ? "SelectBackward0" : "SliceBackward0"; }
};

struct IdentityBackward final : Node {  // contiguous, clone
    std::string op_name;
    TensorList apply(TensorList&& g) override { return {g[0]}; }
    std::string name() const override { return op_name; }
};

struct ToDtypeBackward final : Node {
    DType input_dtype{};
    TensorList apply(TensorList&& g) override { return {to_dtype(g[0], input_dtype)}; }
    std::string name() const override { return "ToCopyBackward0"; }
};

// A contiguous copy of x (no autograd).
Tensor copy_contiguous(const Tensor& x, DType dtype) {
    return visit_dtype(x.dtype(), [&](auto in_tag) {
        using In = decltype(in_tag);
        return visit_dtype(dtype, [&](auto out_tag) {
            using Out = decltype(out_tag);
            return kernels::map_unary<Out, In>(x, [](In v) { return static_cast<Out>(v); });
        });
    });
}
}  // namespace

Tensor view(const Tensor& x, const Shape& shape) {
    const Shape target = infer_shape(shape, x.numel(), "view", x.shape());
    const auto strides = view_strides(x.shape(), x.strides(), target);
    DESCENT_CHECK(strides.has_value(), "view: shape ", shape_str(target), " is not compatible with input of shape ",
                  shape_str(x.shape()), " and strides ", shape_str(x.strides()),
                  " (at least one dim spans two contiguous chunks); use reshape instead");
    return record_reshape(make_view(x, target, *strides, x.storage_offset()), x, "ViewBackward0");
}

Tensor reshape(const Tensor& x, const Shape& shape) {
    const Shape target = infer_shape(shape, x.numel(), "reshape", x.shape());
    if (auto strides = view_strides(x.shape(), x.strides(), target))
        return record_reshape(make_view(x, target, *strides, x.storage_offset()), x, "ViewBackward0");
    return view(contiguous(x), target);
}

Tensor flatten(const Tensor& x, std::int64_t start_dim, std::int64_t end_dim) {
    if (x.dim() == 0) return reshape(x, {1});
    const std::int64_t s = wrap_dim(start_dim, x.dim(), "flatten"), e = wrap_dim(end_dim, x.dim(), "flatten");
    DESCENT_CHECK(s <= e, "flatten: start_dim ", start_dim, " comes after end_dim ", end_dim);
    Shape shape(x.shape().begin(), x.shape().begin() + s);
    std::int64_t merged = 1;
    for (std::int64_t d = s; d <= e; ++d) merged *= x.shape()[static_cast<std::size_t>(d)];
    shape.push_back(merged);
    shape.insert(shape.end(), x.shape().begin() + e + 1, x.shape().end());
    return reshape(x, shape);
}

Tensor permute(const Tensor& x, const Shape& dims) {
    const std::int64_t nd = x.dim();
    DESCENT_CHECK(static_cast<std::int64_t>(dims.size()) == nd, "permute: ", dims.size(), " dims given for a tensor of shape ",
                  shape_str(x.shape()));
    Shape shape(dims.size()), strides(dims.size()), inverse(dims.size());
    std::vector<bool> seen(dims.size(), false);
    for (std::size_t i = 0; i < dims.size(); ++i) {
        const auto d = static_cast<std::size_t>(wrap_dim(dims[i], nd, "permute"));
        DESCENT_CHECK(!seen[d], "permute: dim ", dims[i], " repeats in ", shape_str(dims));
        seen[d] = true;
        shape[i] = x.shape()[d];
        strides[i] = x.strides()[d];
        inverse[d] = static_cast<std::int64_t>(i);
    }
    Tensor out = make_view(x, shape, strides, x.storage_offset());
    if (auto node = make_node<PermuteBackward>({&x})) {
        node->inverse = inverse;
        autograd::set_history(out, node);
    }
    return out;
}

Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1) {
    if (x.dim() == 0) {
        // A scalar accepts dims 0 and -1, as in PyTorch.
        wrap_dim(dim0, 0, "transpose");
        wrap_dim(dim1, 0, "transpose");
        return permute(x, {});
    }
    Shape dims(static_cast<std::size_t>(x.dim()));
    std::iota(dims.begin(), dims.end(), 0);
    std::swap(dims[static_cast<std::size_t>(wrap_dim(dim0, x.dim(), "transpose"))],
              dims[static_cast<std::size_t>(wrap_dim(dim1, x.dim(), "transpose"))]);
    return permute(x, dims);
}

Tensor slice(const Tensor& x, std::int64_t dim, std::optional<std::int64_t> start, std::optional<std::int64_t> end,
             std::int64_t step) {
    DESCENT_CHECK(x.dim() > 0, "slice: cannot slice a 0-dim tensor");
    DESCENT_CHECK(step > 0, "slice: step must be positive, got ", step);
    const std::int64_t d = wrap_dim(dim, x.dim(), "slice");
    const std::int64_t n = x.shape()[static_cast<std::size_t>(d)];
    // Python's clamping of out-of-range bounds.
    auto clamp_bound = [n](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + n : v, 0, n); };
    const std::int64_t s = start ? clamp_bound(*start) : 0;
    const std::int64_t e = std::max(s, end ? clamp_bound(*end) : n);
    Shape shape = x.shape(), strides = x.strides();
    shape[static_cast<std::size_t>(d)] = e == s ? 0 : (e - s - 1) / step + 1;  // ceil without overflow
    strides[static_cast<std::size_t>(d)] *= step;
    Tensor out = make_view(x, shape, strides, x.storage_offset() + s * x.strides()[static_cast<std::size_t>(d)]);
    if (auto node = make_node<SliceBackward>({&x})) {
        node->input_shape = x.shape();
        node->dim = d, node->start = s, node->end = e, node->step = step;
        autograd::set_history(out, node);
    }
    return out;
}

Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length) {
    DESCENT_CHECK(x.dim() > 0, "narrow: cannot narrow a 0-dim tensor");
    const std::int64_t d = wrap_dim(dim, x.dim(), "narrow");
    const std::int64_t n = x.shape()[static_cast<std::size_t>(d)];
    const std::int64_t s = start < 0 ? start + n : start;
    DESCENT_CHECK(s >= 0 && s <= n && length >= 0 && length <= n - s, "narrow: start ", start, " and length ", length,
                  " exceed dim ", d, " of size ", n, " (shape ", shape_str(x.shape()), ")");
    return slice(x, d, s, s + length, 1);
}

Tensor select(const Tensor& x, std::int64_t dim, std::int64_t index) {
    DESCENT_CHECK(x.dim() > 0, "select: cannot index a 0-dim tensor");
    const std::int64_t d = wrap_dim(dim, x.dim(), "select");
    const std::int64_t n = x.shape()[static_cast<std::size_t>(d)];
    DESCENT_CHECK(index >= -n && index < n, "select: index ", index, " is out of range for dim ", d, " of size ", n,
                  " (shape ", shape_str(x.shape()), ")");
    const std::int64_t i = index < 0 ? index + n : index;
    Shape shape = x.shape(), strides = x.strides();
    shape.erase(shape.begin() + d);
    strides.erase(strides.begin() + d);
    Tensor out = make_view(x, shape, strides, x.storage_offset() + i * x.strides()[static_cast<std::size_t>(d)]);
    if (auto node = make_node<SliceBackward>({&x})) {
        node->input_shape = x.shape();
        node->dim = d, node->start = i, node->end = i + 1, node->step = 1;
        node->removes_dim = true;
        autograd::set_history(out, node);
    }
    return out;
}

Tensor squeeze(const Tensor& x) {
    Shape shape, strides;
    for (std::int64_t d = 0; d < x.dim(); ++d)
        if (x.shape()[static_cast<std::size_t>(d)] != 1) {
            shape.push_back(x.shape()[static_cast<std::size_t>(d)]);
            strides.push_back(x.strides()[static_cast<std::size_t>(d)]);
        }
    return record_reshape(make_view(x, shape, strides, x.storage_offset()), x, "SqueezeBackward0");
}

Tensor squeeze(const Tensor& x, std::int64_t dim) {
    const std::int64_t d = wrap_dim(dim, x.dim(), "squeeze");
    if (x.dim() == 0) return record_reshape(x.detach(), x, "SqueezeBackward1");
    if (x.shape()[static_cast<std::size_t>(d)] != 1) return record_reshape(x.detach(), x, "SqueezeBackward1");
    Shape shape = x.shape(), strides = x.strides();
    shape.erase(shape.begin() + d);
    strides.erase(strides.begin() + d);
    return record_reshape(make_view(x, shape, strides, x.storage_offset()), x, "SqueezeBackward1");
}

Tensor unsqueeze(const Tensor& x, std::int64_t dim) {
    const std::int64_t d = wrap_dim(dim, x.dim() + 1, "unsqueeze");
    Shape shape = x.shape(), strides = x.strides();
    const std::int64_t stride =
        d < x.dim() ? x.strides()[static_cast<std::size_t>(d)] * x.shape()[static_cast<std::size_t>(d)] : 1;
    shape.insert(shape.begin() + d, 1);
    strides.insert(strides.begin() + d, stride);
    return record_reshape(make_view(x, shape, strides, x.storage_offset()), x, "UnsqueezeBackward0");
}

Tensor expand(const Tensor& x, const Shape& shape) {
    DESCENT_CHECK(shape.size() >= static_cast<std::size_t>(x.dim()), "expand: cannot expand ", shape_str(x.shape()),
                  " to fewer dims ", shape_str(shape));
    const std::size_t lead = shape.size() - static_cast<std::size_t>(x.dim());
    Shape out_shape(shape.size()), strides(shape.size());
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i < lead) {
            DESCENT_CHECK(shape[i] >= 0, "expand: new leading dim ", i, " cannot be ", shape[i]);
            out_shape[i] = shape[i];
            strides[i] = 0;
            continue;
        }
        const std::int64_t have = x.shape()[i - lead];
        DESCENT_CHECK(shape[i] >= -1, "expand: invalid size ", shape[i], " in ", shape_str(shape));
        const std::int64_t want = shape[i] == -1 ? have : shape[i];
        DESCENT_CHECK(have == want || have == 1, "expand: cannot expand ", shape_str(x.shape()), " to ",
                      shape_str(shape), " (dim ", i, ": ", have, " vs ", want, ")");
        out_shape[i] = want;
        strides[i] = have == want ? x.strides()[i - lead] : 0;
    }
    Tensor out = make_view(x, out_shape, strides, x.storage_offset());
    if (auto node = make_node<ExpandBackward>({&x})) {
        node->input_shape = x.shape();
        autograd::set_history(out, node);
    }
    return out;
}

Tensor contiguous(const Tensor& x) {
    if (x.is_contiguous()) return x;
    Tensor out = copy_contiguous(x, x.dtype());
    if (auto node = make_node<IdentityBackward>({&x})) {
        node->op_name = "CloneBackward0";
        autograd::set_history(out, node);
    }
    return out;
}

Tensor clone(const Tensor& x) {
    Tensor out = copy_contiguous(x, x.dtype());
    if (auto node = make_node<IdentityBackward>({&x})) {
        node->op_name = "CloneBackward0";
        autograd::set_history(out, node);
    }
    return out;
}

Tensor to_dtype(const Tensor& x, DType dtype) {
    if (x.dtype() == dtype) return x;
    Tensor out = copy_contiguous(x, dtype);
    if (is_floating(dtype) && is_floating(x.dtype()))
        if (auto node = make_node<ToDtypeBackward>({&x})) {
            node->input_dtype = x.dtype();
            autograd::set_history(out, node);
        }
    return out;
}

}  // namespace descent
