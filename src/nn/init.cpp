// nn::init: torch.nn.init's initializers, fans and gains. Every fill runs
// under NoGradGuard, so parameters that require grad can be initialized.
#include "descent/nn/init.hpp"

#include <cmath>

#include "descent/autograd/grad_mode.hpp"

namespace descent::nn::init {

namespace {
void check_floating(const Tensor& t, const char* op) {
    DESCENT_CHECK(t.defined(), op, ": undefined tensor");
    DESCENT_CHECK(t.is_floating_point(), op, ": tensor must be floating, got ", dtype_name(t.dtype()));
}

const char* nonlinearity_name(Nonlinearity n) {
    switch (n) {
        case Nonlinearity::Linear: return "linear";
        case Nonlinearity::Conv1d: return "conv1d";
        case Nonlinearity::Conv2d: return "conv2d";
        case Nonlinearity::Conv3d: return "conv3d";
        case Nonlinearity::ConvTranspose1d: return "conv_transpose1d";
        case Nonlinearity::ConvTranspose2d: return "conv_transpose2d";
        case Nonlinearity::ConvTranspose3d: return "conv_transpose3d";
        case Nonlinearity::Sigmoid: return "sigmoid";
        case Nonlinearity::Tanh: return "tanh";
        case Nonlinearity::ReLU: return "relu";
        case Nonlinearity::LeakyReLU: return "leaky_relu";
        case Nonlinearity::SELU: return "selu";
    }
    return "?";
}

double fan_of(const Tensor& tensor, FanMode mode) {
    const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
    return static_cast<double>(mode == FanMode::FanIn ? fan_in : fan_out);
}
}  // namespace

double calculate_gain(Nonlinearity nonlinearity, std::optional<double> param) {
    switch (nonlinearity) {
        case Nonlinearity::Linear:
        case Nonlinearity::Conv1d:
        case Nonlinearity::Conv2d:
        case Nonlinearity::Conv3d:
        case Nonlinearity::ConvTranspose1d:
        case Nonlinearity::ConvTranspose2d:
        case Nonlinearity::ConvTranspose3d:
        case Nonlinearity::Sigmoid: return 1.0;
        case Nonlinearity::Tanh: return 5.0 / 3.0;
        case Nonlinearity::ReLU: return std::sqrt(2.0);
        case Nonlinearity::LeakyReLU: {
            const double slope = param.value_or(0.01);
            return std::sqrt(2.0 / (1.0 + slope * slope));
        }
        // PyTorch's value for SELU, chosen so self-normalizing nets keep unit variance.
        case Nonlinearity::SELU: return 3.0 / 4.0;
    }
    detail::fail("calculate_gain: unsupported nonlinearity ", nonlinearity_name(nonlinearity));
}

std::pair<std::int64_t, std::int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor) {
    DESCENT_CHECK(tensor.defined(), "calculate_fan_in_and_fan_out: undefined tensor");
    DESCENT_CHECK(tensor.dim() >= 2,
                  "calculate_fan_in_and_fan_out: fan in and fan out can not be computed for a tensor with fewer "
                  "than 2 dimensions, got shape ",
                  shape_str(tensor.shape()));
    std::int64_t receptive_field = 1;
    for (std::int64_t d = 2; d < tensor.dim(); ++d) receptive_field *= tensor.size(d);
    return {tensor.size(1) * receptive_field, tensor.size(0) * receptive_field};
}

Tensor uniform_(Tensor tensor, double a, double b, Generator* generator) {
    check_floating(tensor, "init::uniform_");
    DESCENT_CHECK(a <= b, "init::uniform_: expects a <= b, got a=", a, " and b=", b);
    NoGradGuard guard;
    tensor.uniform_(a, b, generator);
    return tensor;
}

Tensor normal_(Tensor tensor, double mean, double std, Generator* generator) {
    check_floating(tensor, "init::normal_");
    DESCENT_CHECK(std >= 0.0, "init::normal_: std must be >= 0, got ", std);
    NoGradGuard guard;
    tensor.normal_(mean, std, generator);
    return tensor;
}

Tensor constant_(Tensor tensor, double value) {
    check_floating(tensor, "init::constant_");
    NoGradGuard guard;
    tensor.fill_(value);
    return tensor;
}

Tensor zeros_(Tensor tensor) { return constant_(std::move(tensor), 0.0); }
Tensor ones_(Tensor tensor) { return constant_(std::move(tensor), 1.0); }

Tensor xavier_uniform_(Tensor tensor, double gain, Generator* generator) {
    check_floating(tensor, "init::xavier_uniform_");
    const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
    const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
    const double bound = std::sqrt(3.0) * std;  // uniform(−b, b) has std b/√3
    return uniform_(std::move(tensor), -bound, bound, generator);
}

Tensor xavier_normal_(Tensor tensor, double gain, Generator* generator) {
    check_floating(tensor, "init::xavier_normal_");
    const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
    const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
    return normal_(std::move(tensor), 0.0, std, generator);
}

Tensor kaiming_uniform_(Tensor tensor, const KaimingOptions& options) {
    check_floating(tensor, "init::kaiming_uniform_");
    if (tensor.numel() == 0) return tensor;
    const double fan = fan_of(tensor, options.mode);
    const double gain = calculate_gain(options.nonlinearity, options.a);
    const double bound = std::sqrt(3.0) * gain / std::sqrt(fan);
    return uniform_(std::move(tensor), -bound, bound, options.generator);
}

Tensor kaiming_normal_(Tensor tensor, const KaimingOptions& options) {
    check_floating(tensor, "init::kaiming_normal_");
    if (tensor.numel() == 0) return tensor;
    const double fan = fan_of(tensor, options.mode);
    const double gain = calculate_gain(options.nonlinearity, options.a);
    return normal_(std::move(tensor), 0.0, gain / std::sqrt(fan), options.generator);
}

}  // namespace descent::nn::init
