// Joining and splitting along a dim: cat (with its backward beside it), and
// stack, split, chunk composed from cat, unsqueeze and narrow, so they need no
// backward of their own (split's pieces are views sharing the input's storage).
#include <algorithm>

#include "descent/autograd/grad_mode.hpp"
#include "descent/autograd/node.hpp"
#include "descent/ops/shape.hpp"
#include "op_util.hpp"

namespace descent {
using autograd::Node;
using autograd::TensorList;

namespace {

// cat's gradient: the slice of the output's gradient that each input filled.
struct CatBackward final : Node {
    std::int64_t dim = 0;
    std::vector<Shape> shapes;   // per input
    std::vector<DType> dtypes;   // per input
    std::vector<std::int64_t> offsets;  // start of each input along dim; -1: skipped legacy empty input
    TensorList apply(TensorList&& g) override {
        TensorList grads(shapes.size());
        for (std::size_t i = 0; i < shapes.size(); ++i) {
            if (!needs_input_grad(i)) continue;
            if (offsets[i] < 0) {
                grads[i] = Tensor::zeros(shapes[i], {.dtype = dtypes[i]});
                continue;
            }
            const Tensor part = narrow(g[0], dim, offsets[i], shapes[i][static_cast<std::size_t>(dim)]);
            grads[i] = part.dtype() == dtypes[i] ? part : to_dtype(part, dtypes[i]);
        }
        return grads;
    }
    std::string name() const override { return "CatBackward0"; }
};

// PyTorch still accepts (and skips) 1-D empty tensors next to tensors of any shape.
bool is_legacy_empty(const Tensor& t) { return t.dim() == 1 && t.size(0) == 0; }

}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim) {
    DESCENT_CHECK(!tensors.empty(), "cat: expected a non-empty list of tensors");
    for (std::size_t i = 0; i < tensors.size(); ++i)
        DESCENT_CHECK(tensors[i].defined(), "cat: tensor ", i, " is undefined");
    // The reference tensor fixes the shape: the first one that is not a legacy empty.
    std::size_t ref = 0;
    while (ref < tensors.size() && is_legacy_empty(tensors[ref])) ++ref;
    if (ref == tensors.size()) ref = 0;
    const Tensor& first = tensors[ref];
    DESCENT_CHECK(first.dim() > 0, "cat: zero-dimensional tensor (at position ", ref, ") cannot be concatenated");
    const std::int64_t d = wrap_dim(dim, first.dim(), "cat");
    Shape out_shape = first.shape();
    out_shape[static_cast<std::size_t>(d)] = 0;
    DType dtype = first.dtype();
    std::vector<bool> skipped(tensors.size(), false);
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const Tensor& t = tensors[i];
        if (i != ref && is_legacy_empty(t) && first.dim() != 1) {
            skipped[i] = true;
            continue;
        }
        DESCENT_CHECK(t.dim() == first.dim(), "cat: tensor ", i, " has shape ", shape_str(t.shape()), " but tensor ",
                      ref, " has shape ", shape_str(first.shape()), "; they need the same number of dims");
        for (std::int64_t k = 0; k < t.dim(); ++k)
            DESCENT_CHECK(k == d || t.size(k) == first.size(k), "cat: tensor ", i, " has shape ", shape_str(t.shape()),
                          " but tensor ", ref, " has shape ", shape_str(first.shape()), "; sizes must match except in dim ",
                          d);
        out_shape[static_cast<std::size_t>(d)] += t.size(d);
        dtype = promote_types(dtype, t.dtype());
    }

    Tensor out = make_tensor(out_shape, dtype);
    std::vector<std::int64_t> offsets(tensors.size(), -1);
    {
        // The copies fill a fresh tensor: nothing to record.
        NoGradGuard no_grad;
        std::int64_t offset = 0;
        for (std::size_t i = 0; i < tensors.size(); ++i) {
            if (skipped[i]) continue;
            const std::int64_t n = tensors[i].size(d);
            offsets[i] = offset;
            if (n > 0 && tensors[i].numel() > 0) narrow(out, d, offset, n).copy_(tensors[i].detach());
            offset += n;
        }
    }
    if (autograd::any_requires_grad(tensors)) {
        auto node = std::allocate_shared<CatBackward>(PoolAllocator<CatBackward>());
        autograd::collect_next_edges(*node, tensors);
        node->dim = d;
        node->offsets = offsets;
        for (const Tensor& t : tensors) {
            node->shapes.push_back(t.shape());
            node->dtypes.push_back(t.dtype());
        }
        autograd::set_history(out, node);
    }
    return out;
}

Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim) {
    DESCENT_CHECK(!tensors.empty(), "stack: expected a non-empty list of tensors");
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        DESCENT_CHECK(tensors[i].defined(), "stack: tensor ", i, " is undefined");
        DESCENT_CHECK(tensors[i].shape() == tensors[0].shape(), "stack: expects each tensor to be equal size, but got ",
                      shape_str(tensors[0].shape()), " at entry 0 and ", shape_str(tensors[i].shape()), " at entry ", i);
    }
    const std::int64_t d = wrap_dim(dim, tensors[0].dim() + 1, "stack");
    std::vector<Tensor> parts;
    parts.reserve(tensors.size());
    for (const Tensor& t : tensors) parts.push_back(unsqueeze(t, d));
    return cat(parts, d);
}

std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, std::int64_t dim) {
    DESCENT_CHECK(x.dim() > 0, "split: a 0-dim tensor cannot be split");
    const std::int64_t d = wrap_dim(dim, x.dim(), "split");
    const std::int64_t n = x.size(d);
    DESCENT_CHECK(split_size >= 0, "split: split_size must be non-negative, got ", split_size);
    DESCENT_CHECK(split_size > 0 || n == 0, "split: split_size can only be 0 if dim ", d,
                  " has size 0, but it has size ", n);
    // As PyTorch: at least one piece, even of an empty dim.
    const std::int64_t pieces = n == 0 ? 1 : (n - 1) / split_size + 1;  // ceil(n / split_size) without overflow
    std::vector<Tensor> out;
    out.reserve(static_cast<std::size_t>(pieces));
    for (std::int64_t i = 0; i < pieces; ++i) {
        const std::int64_t start = i * split_size;
        out.push_back(narrow(x, d, start, std::min(split_size, n - start)));
    }
    return out;
}

std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes, std::int64_t dim) {
    DESCENT_CHECK(x.dim() > 0, "split: a 0-dim tensor cannot be split");
    const std::int64_t d = wrap_dim(dim, x.dim(), "split");
    std::int64_t total = 0;
    for (auto s : sizes) {
        DESCENT_CHECK(s >= 0, "split: split sizes must be non-negative, got ", shape_str(sizes));
        total += s;
    }
    DESCENT_CHECK(total == x.size(d), "split: split sizes ", shape_str(sizes), " sum to ", total, " but dim ", d,
                  " of shape ", shape_str(x.shape()), " has size ", x.size(d));
    std::vector<Tensor> out;
    out.reserve(sizes.size());
    std::int64_t start = 0;
    for (auto s : sizes) {
        out.push_back(narrow(x, d, start, s));
        start += s;
    }
    return out;
}

std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t dim) {
    DESCENT_CHECK(x.dim() > 0, "chunk: a 0-dim tensor cannot be chunked");
    DESCENT_CHECK(chunks > 0, "chunk: chunks must be positive, got ", chunks);
    const std::int64_t d = wrap_dim(dim, x.dim(), "chunk");
    const std::int64_t n = x.size(d);
    // Like torch.chunk: pieces of ceil(n / chunks), so there may be fewer than `chunks`;
    // an empty dim gives `chunks` empty pieces.
    if (n == 0) return split(x, std::vector<std::int64_t>(static_cast<std::size_t>(chunks), 0), d);
    return split(x, (n - 1) / chunks + 1, d);
}

}  // namespace descent
