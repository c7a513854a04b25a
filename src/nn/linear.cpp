// nn::Linear: parameters, PyTorch's reset_parameters and the fused forward.
#include "descent/nn/linear.hpp"

#include <cmath>

#include "descent/autograd/grad_mode.hpp"
#include "descent/nn/init.hpp"
#include "descent/ops/linalg.hpp"

namespace descent::nn {

Linear::Linear(std::int64_t in_features, std::int64_t out_features, const LinearOptions& options)
    : in_features(in_features), out_features(out_features), options(options) {
    DESCENT_CHECK(in_features >= 0 && out_features >= 0, "Linear: in_features and out_features must be >= 0, got ",
                  in_features, " and ", out_features);
    DESCENT_CHECK(is_floating(options.dtype), "Linear: dtype must be floating, got ", dtype_name(options.dtype));
    weight = register_parameter("weight", Tensor::empty({out_features, in_features}, {.dtype = options.dtype}));
    bias = register_parameter("bias", options.bias ? Tensor::empty({out_features}, {.dtype = options.dtype}) : Tensor());
    reset_parameters();
}

void Linear::reset_parameters(Generator* generator) {
    Generator* g = generator ? generator : options.generator;
    // PyTorch: kaiming_uniform_(weight, a=√5) — gain √(2/(1+5)) = √(1/3), bound = gain·√(3/fan_in)
    // = 1/√fan_in — then bias uniform in ±1/√fan_in (0 when fan_in = 0).
    init::kaiming_uniform_(weight, {.a = std::sqrt(5.0), .generator = g});
    if (bias.defined()) {
        const double bound = in_features > 0 ? 1.0 / std::sqrt(static_cast<double>(in_features)) : 0.0;
        init::uniform_(bias, -bound, bound, g);
    }
}

Tensor Linear::forward(const Tensor& input) { return linear(input, weight, bias); }

std::string Linear::extra_repr() const {
    return "in_features=" + std::to_string(in_features) + ", out_features=" + std::to_string(out_features) +
           ", bias=" + repr_bool(bias.defined());
}

}  // namespace descent::nn
