// nn::Dropout and nn::Flatten, and functional dropout (inverted: the kept
// elements are scaled by 1/(1 − p) in training, so eval is the identity).
#include "descent/nn/dropout.hpp"

#include "descent/nn/flatten.hpp"
#include "descent/nn/functional.hpp"

namespace descent::nn {

namespace functional {
Tensor dropout(const Tensor& input, double p, bool training, Generator* generator) {
    DESCENT_CHECK(p >= 0.0 && p <= 1.0, "dropout: probability has to be between 0 and 1, but got ", p);
    DESCENT_CHECK(input.defined(), "dropout: undefined input");
    if (!training || p == 0.0) return input;
    DESCENT_CHECK(input.is_floating_point(), "dropout: input must be floating, got ", dtype_name(input.dtype()));
    // The mask is data, not part of the graph: out = input · mask, so d out/d input = mask.
    Tensor mask = Tensor::bernoulli(input.shape(), 1.0 - p, {.dtype = input.dtype(), .generator = generator});
    // p = 1 keeps nothing; scaling by 1/(1 − p) would make 0·inf = NaN.
    if (p < 1.0) mask.mul_(1.0 / (1.0 - p));
    return mul(input, mask);
}
}  // namespace functional

Dropout::Dropout(const DropoutOptions& options) : p(options.p), generator(options.generator) {
    DESCENT_CHECK(p >= 0.0 && p <= 1.0, "Dropout: probability has to be between 0 and 1, but got ", p);
}

Tensor Dropout::forward(const Tensor& input) { return functional::dropout(input, p, is_training(), generator); }

std::string Dropout::extra_repr() const { return "p=" + repr_float(p) + ", inplace=False"; }

Tensor Flatten::forward(const Tensor& input) { return flatten(input, start_dim, end_dim); }

std::string Flatten::extra_repr() const {
    return "start_dim=" + std::to_string(start_dim) + ", end_dim=" + std::to_string(end_dim);
}

}  // namespace descent::nn
