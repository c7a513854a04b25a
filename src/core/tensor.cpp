// Tensor metadata, storage, factories and element access.
// The autograd members live in src/autograd/tensor_autograd.cpp and the
// in-place updates in src/ops/inplace.cpp (they need layers below core).
#include "descent/core/tensor.hpp"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ostream>
#include <type_traits>

#include "../kernels/strided.hpp"
#include "descent/core/allocator.hpp"
#include "descent/core/pool_allocator.hpp"

namespace descent {

const char* dtype_name(DType t) {
    switch (t) {
        case DType::Float32: return "float32";
        case DType::Float64: return "float64";
        case DType::Int64: return "int64";
        case DType::Bool: return "bool";
    }
    return "?";
}

std::ostream& operator<<(std::ostream& out, DType t) { return out << dtype_name(t); }

std::string shape_str(const Shape& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

std::int64_t shape_numel(const Shape& shape) {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
}

Shape contiguous_strides(const Shape& shape) {
    Shape strides(shape.size());
    std::int64_t s = 1;
    for (std::size_t i = shape.size(); i-- > 0;) {
        strides[i] = s;
        s *= std::max<std::int64_t>(shape[i], 1);
    }
    return strides;
}

std::int64_t wrap_dim(std::int64_t dim, std::int64_t ndim, const char* op) {
    const std::int64_t n = std::max<std::int64_t>(ndim, 1);  // a scalar accepts dim 0 and -1
    DESCENT_CHECK(dim >= -n && dim < n, op, ": dim ", dim, " is out of range for a tensor with ", ndim,
                  " dims (expected [", -n, ", ", n - 1, "])");
    return dim < 0 ? dim + n : dim;
}

Storage::Storage(std::size_t bytes) : data(allocate_bytes(bytes)), nbytes(bytes) {}
Storage::~Storage() { free_bytes(data, nbytes); }

Tensor make_tensor(const Shape& shape, DType dtype) {
    std::int64_t numel = 1, bytes = 0;
    for (auto d : shape) {
        DESCENT_CHECK(d >= 0, "tensor: negative extent in shape ", shape_str(shape));
        DESCENT_CHECK(!__builtin_mul_overflow(numel, d, &numel), "tensor: shape ", shape_str(shape), " is too large");
    }
    DESCENT_CHECK(!__builtin_mul_overflow(numel, static_cast<std::int64_t>(itemsize(dtype)), &bytes), "tensor: shape ",
                  shape_str(shape), " is too large");
    auto impl = std::allocate_shared<TensorImpl>(PoolAllocator<TensorImpl>());
    impl->storage = std::allocate_shared<Storage>(PoolAllocator<Storage>(), static_cast<std::size_t>(bytes));
    impl->shape = shape;
    impl->strides = contiguous_strides(shape);
    impl->dtype = dtype;
    return Tensor(std::move(impl));
}

Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, std::int64_t offset) {
    // Every view op ends here: one check keeps any view inside its storage.
    const DType dtype = base.dtype();  // also rejects an undefined base
    DESCENT_CHECK(shape.size() == strides.size(), "view: shape ", shape_str(shape), " and strides ", shape_str(strides),
                  " differ in length");
    std::int64_t last = offset;  // the furthest element the view can reach
    bool empty = false;
    for (std::size_t d = 0; d < shape.size(); ++d) {
        DESCENT_CHECK(shape[d] >= 0 && strides[d] >= 0, "view: invalid shape ", shape_str(shape), " or strides ",
                      shape_str(strides));
        if (shape[d] == 0) empty = true;
        else last += (shape[d] - 1) * strides[d];
    }
    const auto capacity = static_cast<std::int64_t>(base.impl()->storage->nbytes / itemsize(dtype));
    DESCENT_CHECK(empty || (offset >= 0 && last < capacity), "view: shape ", shape_str(shape), ", strides ",
                  shape_str(strides), " and offset ", offset, " reach outside a storage of ", capacity, " elements");
    auto impl = std::allocate_shared<TensorImpl>(PoolAllocator<TensorImpl>());
    impl->storage = base.impl()->storage;
    impl->shape = shape;
    impl->strides = strides;
    impl->offset = offset;
    impl->dtype = dtype;
    return Tensor(std::move(impl));
}

TensorImpl& Tensor::checked() const {
    DESCENT_CHECK(impl_ != nullptr, "use of an undefined tensor");
    return *impl_;
}

std::int64_t Tensor::size(std::int64_t d) const { return shape()[wrap_dim(d, dim(), "size")]; }
std::int64_t Tensor::stride(std::int64_t d) const { return strides()[wrap_dim(d, dim(), "stride")]; }

bool Tensor::is_contiguous() const {
    const TensorImpl& t = checked();
    std::int64_t expected = 1;
    for (std::size_t i = t.shape.size(); i-- > 0;) {
        if (t.shape[i] == 1) continue;
        if (t.strides[i] != expected) return false;
        expected *= t.shape[i];
    }
    return true;
}

// ---- factories ---------------------------------------------------------------------------
namespace {
DType dtype_or(const TensorOptions& o, DType fallback) { return o.dtype.value_or(fallback); }

Tensor finish(Tensor t, const TensorOptions& o) {
    if (o.requires_grad) t.requires_grad_(true);
    return t;
}

Generator& generator_of(Generator* g) { return g ? *g : default_generator(); }

// Fills a contiguous tensor element by element from `value(i)` (as double).
template <class F>
void fill_with(Tensor& t, F&& value) {
    visit_dtype(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* p = t.data_ptr<T>();
        const std::int64_t n = t.numel();
        for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(value(i));
    });
}
}  // namespace

Tensor Tensor::empty(const Shape& shape, TensorOptions o) {
    return finish(make_tensor(shape, dtype_or(o, kFloat32)), o);
}
Tensor Tensor::zeros(const Shape& shape, TensorOptions o) { return full(shape, 0.0, o); }
Tensor Tensor::ones(const Shape& shape, TensorOptions o) { return full(shape, 1.0, o); }

Tensor Tensor::full(const Shape& shape, double value, TensorOptions o) {
    Tensor t = make_tensor(shape, dtype_or(o, kFloat32));
    fill_with(t, [value](std::int64_t) { return value; });
    return finish(t, o);
}

Tensor Tensor::scalar(double value, TensorOptions o) { return full({}, value, o); }

Tensor Tensor::arange(double end, TensorOptions o) { return arange(0.0, end, 1.0, o); }

Tensor Tensor::arange(double start, double end, double step, TensorOptions o) {
    DESCENT_CHECK(std::isfinite(start) && std::isfinite(end) && std::isfinite(step), "arange: start (", start,
                  "), end (", end, ") and step (", step, ") must be finite");
    DESCENT_CHECK(step != 0.0, "arange: step must be nonzero");
    DESCENT_CHECK(std::abs((end - start) / step) < 9.0e15, "arange: the range [", start, ", ", end, ") with step ", step,
                  " has too many elements");
    DESCENT_CHECK((end - start) / step >= 0, "arange: the range [", start, ", ", end,
                  ") is empty or runs against step ", step);
    const bool integral = start == std::floor(start) && end == std::floor(end) && step == std::floor(step);
    const auto n = static_cast<std::int64_t>(std::ceil((end - start) / step));
    Tensor t = make_tensor({n}, dtype_or(o, integral ? kInt64 : kFloat32));
    fill_with(t, [&](std::int64_t i) { return start + static_cast<double>(i) * step; });
    return finish(t, o);
}

Tensor Tensor::linspace(double start, double end, std::int64_t steps, TensorOptions o) {
    DESCENT_CHECK(steps >= 0, "linspace: steps must be non-negative, got ", steps);
    Tensor t = make_tensor({steps}, dtype_or(o, kFloat32));
    DESCENT_CHECK(t.dtype() != kBool, "linspace: bool tensors are not supported");
    // As PyTorch's CPU kernel: computed in the output's floating type (double for
    // integers); the second half counts back from `end`, so both ends are exact.
    visit_dtype(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if constexpr (!std::is_same_v<T, bool>) {
            using Step = std::conditional_t<std::is_floating_point_v<T>, T, double>;
            const T s = static_cast<T>(start), e = static_cast<T>(end);
            T* p = t.data_ptr<T>();
            if (steps == 1) {
                p[0] = s;
                return;
            }
            const Step step = (static_cast<Step>(e) - static_cast<Step>(s)) / static_cast<Step>(steps - 1);
            const std::int64_t half = steps / 2;
            for (std::int64_t i = 0; i < steps; ++i)
                p[i] = i < half ? static_cast<T>(s + step * static_cast<Step>(i))
                                : static_cast<T>(e - step * static_cast<Step>(steps - 1 - i));
        }
    });
    return finish(t, o);
}

Tensor Tensor::eye(std::int64_t n, TensorOptions o) {
    DESCENT_CHECK(n >= 0, "eye: n must be non-negative, got ", n);
    Tensor t = make_tensor({n, n}, dtype_or(o, kFloat32));
    fill_with(t, [&](std::int64_t i) { return i / n == i % n ? 1.0 : 0.0; });
    return finish(t, o);
}

Tensor Tensor::rand(const Shape& shape, TensorOptions o) {
    Tensor t = make_tensor(shape, dtype_or(o, kFloat32));
    DESCENT_CHECK(t.is_floating_point(), "rand: dtype must be floating, got ", dtype_name(t.dtype()));
    Generator& g = generator_of(o.generator);
    if (t.dtype() == kFloat32)
        fill_with(t, [&](std::int64_t) { return g.uniform_float(); });
    else
        fill_with(t, [&](std::int64_t) { return g.uniform_double(); });
    return finish(t, o);
}

Tensor Tensor::randn(const Shape& shape, TensorOptions o) {
    Tensor t = make_tensor(shape, dtype_or(o, kFloat32));
    DESCENT_CHECK(t.is_floating_point(), "randn: dtype must be floating, got ", dtype_name(t.dtype()));
    Generator& g = generator_of(o.generator);
    fill_with(t, [&](std::int64_t) { return g.normal(); });
    return finish(t, o);
}

Tensor Tensor::randint(std::int64_t low, std::int64_t high, const Shape& shape, TensorOptions o) {
    DESCENT_CHECK(low < high, "randint: low (", low, ") must be less than high (", high, ")");
    Tensor t = make_tensor(shape, dtype_or(o, kInt64));
    Generator& g = generator_of(o.generator);
    // Unsigned: high - low may not fit in int64.
    const std::uint64_t range = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
    fill_with(t, [&](std::int64_t) {
        return static_cast<double>(static_cast<std::int64_t>(static_cast<std::uint64_t>(low) + g.below(range)));
    });
    return finish(t, o);
}

Tensor Tensor::bernoulli(const Tensor& p, Generator* generator) {
    DESCENT_CHECK(p.is_floating_point(), "bernoulli: p must be floating, got ", dtype_name(p.dtype()));
    Generator& g = generator_of(generator);
    const std::vector<double> probs = p.to_vector<double>();
    for (double q : probs) DESCENT_CHECK(q >= 0.0 && q <= 1.0, "bernoulli: probability ", q, " is outside [0, 1]");
    Tensor t = make_tensor(p.shape(), p.dtype());
    fill_with(t, [&](std::int64_t i) { return g.uniform_double() < probs[static_cast<std::size_t>(i)] ? 1.0 : 0.0; });
    return t;
}

Tensor Tensor::bernoulli(const Shape& shape, double p, TensorOptions o) {
    DESCENT_CHECK(p >= 0.0 && p <= 1.0, "bernoulli: probability ", p, " is outside [0, 1]");
    Tensor t = make_tensor(shape, dtype_or(o, kFloat32));
    Generator& g = generator_of(o.generator);
    fill_with(t, [&](std::int64_t) { return g.uniform_double() < p ? 1.0 : 0.0; });
    return finish(t, o);
}

Tensor Tensor::zeros_like(const Tensor& t, TensorOptions o) {
    if (!o.dtype) o.dtype = t.dtype();
    return zeros(t.shape(), o);
}
Tensor Tensor::ones_like(const Tensor& t, TensorOptions o) {
    if (!o.dtype) o.dtype = t.dtype();
    return ones(t.shape(), o);
}
Tensor Tensor::full_like(const Tensor& t, double value, TensorOptions o) {
    if (!o.dtype) o.dtype = t.dtype();
    return full(t.shape(), value, o);
}

// ---- element access ------------------------------------------------------------------------
double Tensor::item() const {
    DESCENT_CHECK(numel() == 1, "item: only a tensor with one element converts to a scalar, got shape ",
                  shape_str(shape()));
    return visit_dtype(dtype(), [&](auto tag) -> double {
        using T = decltype(tag);
        return static_cast<double>(*data_ptr<T>());
    });
}

template <class Out>
std::vector<Out> Tensor::to_vector() const {
    std::vector<Out> out;
    out.reserve(static_cast<std::size_t>(numel()));
    visit_dtype(dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* base = static_cast<const T*>(impl_->storage->data);
        kernels::for_each_row<1>(shape(), {&strides()}, [&](const kernels::RowSpec<1>& r) {
            const T* p = base + impl_->offset + r.offsets[0];
            for (std::int64_t i = 0; i < r.length; ++i) out.push_back(static_cast<Out>(p[i * r.strides[0]]));
        });
    });
    return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;
template std::vector<int> Tensor::to_vector<int>() const;
template std::vector<bool> Tensor::to_vector<bool>() const;
template std::vector<std::uint8_t> Tensor::to_vector<std::uint8_t>() const;

}  // namespace descent
