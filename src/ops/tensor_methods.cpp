// Tensor's math members: each forwards to the free function of the same name.
#include "descent/core/tensor.hpp"
#include "descent/ops.hpp"

namespace descent {

Tensor Tensor::view(const Shape& s) const { return descent::view(*this, s); }
Tensor Tensor::reshape(const Shape& s) const { return descent::reshape(*this, s); }
Tensor Tensor::flatten(std::int64_t start, std::int64_t end) const { return descent::flatten(*this, start, end); }
Tensor Tensor::transpose(std::int64_t d0, std::int64_t d1) const { return descent::transpose(*this, d0, d1); }
Tensor Tensor::t() const {
    DESCENT_CHECK(dim() <= 2, "t: expects a tensor with at most 2 dims, got shape ", shape_str(shape()));
    return dim() < 2 ? *this : descent::transpose(*this, 0, 1);
}
Tensor Tensor::permute(const Shape& dims) const { return descent::permute(*this, dims); }
Tensor Tensor::narrow(std::int64_t d, std::int64_t start, std::int64_t length) const {
    return descent::narrow(*this, d, start, length);
}
Tensor Tensor::slice(std::int64_t d, std::optional<std::int64_t> start, std::optional<std::int64_t> end,
                     std::int64_t step) const {
    return descent::slice(*this, d, start, end, step);
}
Tensor Tensor::select(std::int64_t d, std::int64_t index) const { return descent::select(*this, d, index); }
Tensor Tensor::squeeze() const { return descent::squeeze(*this); }
Tensor Tensor::squeeze(std::int64_t d) const { return descent::squeeze(*this, d); }
Tensor Tensor::unsqueeze(std::int64_t d) const { return descent::unsqueeze(*this, d); }
Tensor Tensor::expand(const Shape& s) const { return descent::expand(*this, s); }
Tensor Tensor::contiguous() const { return descent::contiguous(*this); }
Tensor Tensor::clone() const { return descent::clone(*this); }
Tensor Tensor::to(DType t) const { return descent::to_dtype(*this, t); }

Tensor Tensor::matmul(const Tensor& other) const { return descent::matmul(*this, other); }
Tensor Tensor::pow(double e) const { return descent::pow(*this, e); }
Tensor Tensor::pow(const Tensor& e) const { return descent::pow(*this, e); }
Tensor Tensor::exp() const { return descent::exp(*this); }
Tensor Tensor::log() const { return descent::log(*this); }
Tensor Tensor::sqrt() const { return descent::sqrt(*this); }
Tensor Tensor::abs() const { return descent::abs(*this); }
Tensor Tensor::neg() const { return descent::neg(*this); }
Tensor Tensor::sign() const { return descent::sign(*this); }
Tensor Tensor::round() const { return descent::round(*this); }
Tensor Tensor::clamp(std::optional<double> lo, std::optional<double> hi) const { return descent::clamp(*this, lo, hi); }
Tensor Tensor::relu() const { return descent::relu(*this); }
Tensor Tensor::sigmoid() const { return descent::sigmoid(*this); }
Tensor Tensor::tanh() const { return descent::tanh(*this); }
Tensor Tensor::sum() const { return descent::sum(*this); }
Tensor Tensor::sum(const Shape& dims, bool keepdim) const { return descent::sum(*this, dims, keepdim); }
Tensor Tensor::mean() const { return descent::mean(*this); }
Tensor Tensor::mean(const Shape& dims, bool keepdim) const { return descent::mean(*this, dims, keepdim); }
Tensor Tensor::max() const { return descent::max(*this); }
Tensor Tensor::min() const { return descent::min(*this); }
Tensor Tensor::argmax() const { return descent::argmax(*this); }
Tensor Tensor::argmax(std::int64_t d, bool keepdim) const { return descent::argmax(*this, d, keepdim); }
Tensor Tensor::argmin(std::int64_t d, bool keepdim) const { return descent::argmin(*this, d, keepdim); }
Tensor Tensor::softmax(std::int64_t d) const { return descent::softmax(*this, d); }
Tensor Tensor::log_softmax(std::int64_t d) const { return descent::log_softmax(*this, d); }

}  // namespace descent
