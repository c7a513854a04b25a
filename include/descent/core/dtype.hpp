// Element types of a tensor and the helpers that map them to C++ types.
// Type promotion follows PyTorch's category order: bool < int64 < float32 < float64.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "descent/core/error.hpp"

namespace descent {

/// Element type of a tensor.
enum class DType : std::uint8_t { Float32, Float64, Int64, Bool };

inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat64 = DType::Float64;
inline constexpr DType kInt64 = DType::Int64;
inline constexpr DType kBool = DType::Bool;

/// Bytes per element.
constexpr std::size_t itemsize(DType t) {
    switch (t) {
        case DType::Float32: return 4;
        case DType::Float64: return 8;
        case DType::Int64: return 8;
        case DType::Bool: return 1;
    }
    return 0;
}

/// PyTorch's spelling: "float32", "float64", "int64", "bool".
const char* dtype_name(DType t);

constexpr bool is_floating(DType t) { return t == DType::Float32 || t == DType::Float64; }

/// The dtype of an op on two tensors (PyTorch's promotion for these four types).
constexpr int promotion_rank(DType t) {
    switch (t) {
        case DType::Bool: return 0;
        case DType::Int64: return 1;
        case DType::Float32: return 2;
        case DType::Float64: return 3;
    }
    return 0;
}
constexpr DType promote_types(DType a, DType b) {
    return promotion_rank(a) >= promotion_rank(b) ? a : b;
}

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<double>() { return DType::Float64; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::Int64; }
template <> constexpr DType dtype_of<bool>() { return DType::Bool; }

/// Calls `f(T{})` with T the C++ type of `t` (float, double, int64_t, bool).
template <class F>
decltype(auto) visit_dtype(DType t, F&& f) {
    switch (t) {
        case DType::Float32: return f(float{});
        case DType::Float64: return f(double{});
        case DType::Int64: return f(std::int64_t{});
        case DType::Bool: return f(bool{});
    }
    detail::fail("visit_dtype: invalid dtype");
}

/// Like visit_dtype, for ops defined only on floating types; `op` names the op in the error.
template <class F>
decltype(auto) visit_floating(DType t, const char* op, F&& f) {
    switch (t) {
        case DType::Float32: return f(float{});
        case DType::Float64: return f(double{});
        default: detail::fail(op, ": expected a floating-point tensor, got ", dtype_name(t));
    }
}

}  // namespace descent
