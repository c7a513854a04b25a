// Tensor: an n-dimensional view (shape, strides, offset, dtype) of shared storage,
// with the autograd fields of reverse-mode differentiation.
// A Tensor is a cheap handle: copies share the same TensorImpl (like torch.Tensor).
// Math is declared here as members for PyTorch-like chaining and implemented in
// src/ops/, where each op's forward sits beside its backward.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "descent/core/dtype.hpp"
#include "descent/core/error.hpp"
#include "descent/core/generator.hpp"
#include "descent/core/small_vector.hpp"

namespace descent {

namespace autograd {
class Node;
}

/// Extents or strides. Up to 6 dims live inside the object (no heap allocation per tensor);
/// it converts to and from std::vector<std::int64_t>.
using Shape = SmallVector<std::int64_t, 6>;

/// "[2, 3]" — the form every shape error uses.
std::string shape_str(const Shape& shape);
/// Product of the extents (1 for a scalar's empty shape).
std::int64_t shape_numel(const Shape& shape);
/// Row-major strides of a contiguous tensor of this shape.
Shape contiguous_strides(const Shape& shape);
/// Wraps a possibly negative dim into [0, ndim); `op` names the caller in the error.
std::int64_t wrap_dim(std::int64_t dim, std::int64_t ndim, const char* op);

/// Raw memory of one or more tensors. The version counter counts in-place
/// writes, so a tensor saved for backward can tell it was overwritten.
struct Storage {
    explicit Storage(std::size_t nbytes);
    ~Storage();
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;

    void* data = nullptr;
    std::size_t nbytes = 0;
    std::uint64_t version = 0;
};

/// The state behind a Tensor handle.
struct TensorImpl {
    std::shared_ptr<Storage> storage;
    Shape shape;
    Shape strides;  // in elements
    std::int64_t offset = 0;  // in elements
    DType dtype = DType::Float32;

    // Autograd. A leaf has no grad_fn; its gradient lands in `grad`.
    bool requires_grad = false;
    std::shared_ptr<TensorImpl> grad;
    std::shared_ptr<autograd::Node> grad_fn;
    std::uint32_t output_nr = 0;
    std::weak_ptr<autograd::Node> grad_accumulator;  // leaves only; weak to avoid a cycle
};

/// Options of the factories, set with designated initializers:
/// `Tensor::zeros({2, 3}, {.dtype = kFloat64, .requires_grad = true})`.
struct TensorOptions {
    std::optional<DType> dtype;      // float32 unless given (or deduced from data)
    bool requires_grad = false;
    Generator* generator = nullptr;  // random factories; nullptr = default_generator()
};

class Tensor;
/// The C++ spelling of Python's `slice`: `x.index({Slice(0, 2), 1})`-style helpers use it.
struct Slice {
    std::optional<std::int64_t> start, stop;
    std::int64_t step = 1;
};

/// An n-dimensional array with reverse-mode autograd.
class Tensor {
public:
    Tensor() = default;
    explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

    // ---- factories -------------------------------------------------------------------
    /// Uninitialized memory of the given shape.
    static Tensor empty(const Shape& shape, TensorOptions options = {});
    static Tensor zeros(const Shape& shape, TensorOptions options = {});
    static Tensor ones(const Shape& shape, TensorOptions options = {});
    static Tensor full(const Shape& shape, double value, TensorOptions options = {});
    /// A 0-dim tensor holding `value`.
    static Tensor scalar(double value, TensorOptions options = {});
    /// [0, end) with step 1; int64 unless options say otherwise.
    static Tensor arange(double end, TensorOptions options = {});
    static Tensor arange(double start, double end, double step = 1.0, TensorOptions options = {});
    static Tensor linspace(double start, double end, std::int64_t steps, TensorOptions options = {});
    static Tensor eye(std::int64_t n, TensorOptions options = {});
    /// Uniform in [0, 1).
    static Tensor rand(const Shape& shape, TensorOptions options = {});
    /// Standard normal.
    static Tensor randn(const Shape& shape, TensorOptions options = {});
    /// Integers uniform in [low, high); int64 unless options say otherwise.
    static Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, TensorOptions options = {});
    /// 1 with probability `p[i]`, else 0; same shape and dtype as `p`.
    static Tensor bernoulli(const Tensor& p, Generator* generator = nullptr);
    static Tensor bernoulli(const Shape& shape, double p, TensorOptions options = {});
    static Tensor zeros_like(const Tensor& t, TensorOptions options = {});
    static Tensor ones_like(const Tensor& t, TensorOptions options = {});
    static Tensor full_like(const Tensor& t, double value, TensorOptions options = {});

    /// A tensor holding a copy of `data`, 1-D unless `shape` is given.
    /// dtype: options.dtype, else deduced (float→float32, double→float64, integers→int64, bool→bool).
    template <class T>
    static Tensor from(const std::vector<T>& data, const Shape& shape = {}, TensorOptions options = {});
    template <class T>
    static Tensor from(std::initializer_list<T> data, const Shape& shape = {}, TensorOptions options = {}) {
        return from(std::vector<T>(data), shape, options);
    }
    /// A matrix from nested braces: `Tensor::from({{1.f, 2.f}, {3.f, 4.f}})`.
    template <class T>
    static Tensor from(std::initializer_list<std::initializer_list<T>> rows, TensorOptions options = {});

    // ---- metadata --------------------------------------------------------------------
    bool defined() const { return impl_ != nullptr; }
    const Shape& shape() const { return checked().shape; }
    const Shape& sizes() const { return shape(); }
    /// Extent of `dim` (negative counts from the end).
    std::int64_t size(std::int64_t dim) const;
    const Shape& strides() const { return checked().strides; }
    std::int64_t stride(std::int64_t dim) const;
    std::int64_t storage_offset() const { return checked().offset; }
    std::int64_t dim() const { return static_cast<std::int64_t>(checked().shape.size()); }
    std::int64_t numel() const { return shape_numel(checked().shape); }
    DType dtype() const { return checked().dtype; }
    bool is_contiguous() const;
    bool is_floating_point() const { return is_floating(dtype()); }

    /// Pointer to the first element; checks that T matches the dtype.
    template <class T> T* data_ptr() const;
    /// The single element as double (errors unless numel() == 1).
    double item() const;
    template <class T> T item() const;
    /// All elements in row-major order, converted to T.
    template <class T> std::vector<T> to_vector() const;

    // ---- autograd --------------------------------------------------------------------
    bool requires_grad() const { return checked().requires_grad; }
    /// Marks a leaf as needing gradients (errors on a non-leaf or an integer tensor).
    Tensor& requires_grad_(bool requires_grad = true);
    /// Accumulated gradient (undefined until a backward reaches this tensor).
    Tensor grad() const;
    void set_grad(const Tensor& grad) const;
    /// Keeps the gradient of a non-leaf in .grad() during backward.
    Tensor& retain_grad();
    bool is_leaf() const { return checked().grad_fn == nullptr; }
    const std::shared_ptr<autograd::Node>& grad_fn() const { return checked().grad_fn; }
    /// Back-propagates from this tensor. Without `gradient`, the tensor must be a scalar.
    /// The graph is freed afterwards unless `retain_graph`.
    void backward(const Tensor& gradient = Tensor(), bool retain_graph = false) const;
    /// Same data, cut from the graph.
    Tensor detach() const;
    /// In-place writes to the storage so far.
    std::uint64_t version() const { return checked().storage->version; }

    // ---- views and shape (src/ops/shape.cpp) ------------------------------------------
    Tensor view(const Shape& shape) const;
    Tensor reshape(const Shape& shape) const;
    Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1) const;
    Tensor transpose(std::int64_t dim0, std::int64_t dim1) const;
    /// Transpose of a matrix (≤ 2-D).
    Tensor t() const;
    Tensor permute(const Shape& dims) const;
    Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
    Tensor slice(std::int64_t dim, std::optional<std::int64_t> start, std::optional<std::int64_t> end,
                 std::int64_t step = 1) const;
    /// Removes `dim` by taking index `index` of it.
    Tensor select(std::int64_t dim, std::int64_t index) const;
    Tensor squeeze() const;
    Tensor squeeze(std::int64_t dim) const;
    Tensor unsqueeze(std::int64_t dim) const;
    Tensor expand(const Shape& shape) const;
    Tensor expand_as(const Tensor& other) const { return expand(other.shape()); }
    Tensor contiguous() const;
    /// A copy with its own storage (differentiable).
    Tensor clone() const;
    /// Converted to another dtype (differentiable between floating types).
    Tensor to(DType dtype) const;
    /// `x[i]`: select(0, i).
    Tensor operator[](std::int64_t index) const { return select(0, index); }

    // ---- math (src/ops/) ------------------------------------------------------------------
    Tensor matmul(const Tensor& other) const;
    Tensor pow(double exponent) const;
    Tensor pow(const Tensor& exponent) const;
    Tensor exp() const;
    Tensor log() const;
    Tensor sqrt() const;
    Tensor abs() const;
    Tensor neg() const;
    Tensor sign() const;
    Tensor round() const;
    Tensor clamp(std::optional<double> min, std::optional<double> max) const;
    Tensor relu() const;
    Tensor sigmoid() const;
    Tensor tanh() const;
    Tensor sum() const;
    Tensor sum(const Shape& dims, bool keepdim = false) const;
    Tensor mean() const;
    Tensor mean(const Shape& dims, bool keepdim = false) const;
    Tensor max() const;
    Tensor min() const;
    Tensor argmax() const;
    Tensor argmax(std::int64_t dim, bool keepdim = false) const;
    Tensor argmin(std::int64_t dim, bool keepdim = false) const;
    Tensor softmax(std::int64_t dim) const;
    Tensor log_softmax(std::int64_t dim) const;

    // ---- in place (never recorded by autograd; bumps the version counter) ---------------
    Tensor& zero_();
    Tensor& fill_(double value);
    /// Copies `src` (broadcast to this shape, converted to this dtype) into this tensor.
    Tensor& copy_(const Tensor& src);
    /// this += alpha * other
    Tensor& add_(const Tensor& other, double alpha = 1.0);
    Tensor& sub_(const Tensor& other, double alpha = 1.0) { return add_(other, -alpha); }
    Tensor& mul_(const Tensor& other);
    Tensor& mul_(double value);
    Tensor& div_(const Tensor& other);
    Tensor& clamp_(std::optional<double> min, std::optional<double> max);
    /// Fills with uniform values in [low, high) (for init).
    Tensor& uniform_(double low, double high, Generator* generator = nullptr);
    /// Fills with normal values (for init).
    Tensor& normal_(double mean = 0.0, double std = 1.0, Generator* generator = nullptr);

    // ---- printing ------------------------------------------------------------------------
    /// PyTorch's style: `tensor([[1.0000, 2.0000]], requires_grad=True)`.
    std::string to_string() const;

    TensorImpl* impl() const { return impl_.get(); }
    const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
    /// True when both handles share one TensorImpl.
    bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

private:
    TensorImpl& checked() const;
    std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& out, const Tensor& t);
std::ostream& operator<<(std::ostream& out, DType t);

/// A fresh contiguous tensor (no autograd) of the given shape and dtype.
Tensor make_tensor(const Shape& shape, DType dtype);
/// A tensor viewing `base`'s storage with other geometry (no autograd).
Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, std::int64_t offset);

// ---- template definitions -------------------------------------------------------------
template <class T>
T* Tensor::data_ptr() const {
    const TensorImpl& t = checked();
    DESCENT_CHECK(dtype_of<T>() == t.dtype, "data_ptr: tensor has dtype ", dtype_name(t.dtype),
                  ", asked for ", dtype_name(dtype_of<T>()));
    return static_cast<T*>(t.storage->data) + t.offset;
}

namespace detail {
template <class T> struct DataType { using type = std::int64_t; };
template <> struct DataType<float> { using type = float; };
template <> struct DataType<double> { using type = double; };
template <> struct DataType<bool> { using type = bool; };
}  // namespace detail

template <class T>
Tensor Tensor::from(const std::vector<T>& data, const Shape& shape, TensorOptions options) {
    using Stored = typename detail::DataType<T>::type;
    const Shape actual = shape.empty() ? Shape{static_cast<std::int64_t>(data.size())} : shape;
    DESCENT_CHECK(shape_numel(actual) == static_cast<std::int64_t>(data.size()), "Tensor::from: ",
                  data.size(), " values cannot fill shape ", shape_str(actual));
    Tensor out = make_tensor(actual, dtype_of<Stored>());
    Stored* p = out.data_ptr<Stored>();
    for (std::size_t i = 0; i < data.size(); ++i) p[i] = static_cast<Stored>(data[i]);
    if (options.dtype && *options.dtype != out.dtype()) out = out.to(*options.dtype);
    if (options.requires_grad) out.requires_grad_(true);
    return out;
}

template <class T>
Tensor Tensor::from(std::initializer_list<std::initializer_list<T>> rows, TensorOptions options) {
    std::vector<T> flat;
    const std::int64_t n_rows = static_cast<std::int64_t>(rows.size());
    const std::int64_t n_cols = n_rows ? static_cast<std::int64_t>(rows.begin()->size()) : 0;
    for (const auto& row : rows) {
        DESCENT_CHECK(static_cast<std::int64_t>(row.size()) == n_cols,
                      "Tensor::from: ragged rows (", row.size(), " values after a row of ", n_cols, ")");
        flat.insert(flat.end(), row.begin(), row.end());
    }
    return from(flat, Shape{n_rows, n_cols}, options);
}

template <class T>
T Tensor::item() const {
    return static_cast<T>(item());
}

}  // namespace descent
