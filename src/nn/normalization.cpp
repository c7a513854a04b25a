// BatchNorm1d/2d, LayerNorm and Dropout2d: parameters and buffers under
// PyTorch's names, the train/eval logic of torch.nn's _BatchNorm, printouts.
#include "descent/nn/normalization.hpp"

#include <charconv>
#include <cstdlib>

#include "descent/autograd/grad_mode.hpp"

namespace descent::nn {
namespace {

const char* py_bool(bool b) { return b ? "True" : "False"; }

// Python's repr of a float (shortest round-trip digits; scientific below 1e-4 and from 1e16):
// 1e-05, 0.1, 0.0001, 1.0 — so printouts match PyTorch's character for character.
std::string py_float(double x) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
    std::string sci(buf, res.ptr);
    if (sci == "inf" || sci == "-inf" || sci == "nan" || sci == "-nan") return sci;
    const std::size_t e = sci.find('e');
    std::string mant = sci.substr(0, e);
    const int exp10 = std::atoi(sci.c_str() + e + 1);
    std::string sign;
    if (mant[0] == '-') sign = "-", mant.erase(0, 1);
    std::string digits;
    for (char c : mant)
        if (c != '.') digits += c;
    if (exp10 < -4 || exp10 >= 16) {
        std::string m = digits.substr(0, 1) + (digits.size() > 1 ? "." + digits.substr(1) : "");
        std::string ex = std::to_string(std::abs(exp10));
        if (ex.size() < 2) ex = "0" + ex;
        return sign + m + "e" + (exp10 < 0 ? "-" : "+") + ex;
    }
    if (exp10 < 0) return sign + "0." + std::string(static_cast<std::size_t>(-exp10 - 1), '0') + digits;
    const std::size_t int_len = static_cast<std::size_t>(exp10) + 1;
    if (digits.size() <= int_len) return sign + digits + std::string(int_len - digits.size(), '0') + ".0";
    return sign + digits.substr(0, int_len) + "." + digits.substr(int_len);
}

}  // namespace

// ---- BatchNorm ----------------------------------------------------------------------------
BatchNormBase::BatchNormBase(std::int64_t features, const BatchNormOptions& opts)
    : num_features(features), options(opts) {
    DESCENT_CHECK(features > 0, "BatchNorm: num_features must be positive, got ", features);
    weight = register_parameter("weight", opts.affine ? Tensor::ones({features}) : Tensor());
    bias = register_parameter("bias", opts.affine ? Tensor::zeros({features}) : Tensor());
    if (opts.track_running_stats) {
        running_mean = Tensor::zeros({features});
        running_var = Tensor::ones({features});
        num_batches_tracked = Tensor::scalar(0, {.dtype = kInt64});
    }
    register_buffer("running_mean", running_mean);
    register_buffer("running_var", running_var);
    register_buffer("num_batches_tracked", num_batches_tracked);
}

void BatchNormBase::reset_running_stats() {
    if (!options.track_running_stats) return;
    NoGradGuard no_grad;
    running_mean.zero_();
    running_var.fill_(1.0);
    num_batches_tracked.zero_();
}

void BatchNormBase::reset_parameters() {
    reset_running_stats();
    if (!options.affine) return;
    NoGradGuard no_grad;
    weight.fill_(1.0);
    bias.zero_();
}

Tensor BatchNormBase::forward(const Tensor& input) {
    check_input_dim(input);
    DESCENT_CHECK(input.size(1) == num_features, name(), "(", num_features, "): expected input with ", num_features,
                  " channels (dim 1), got input of shape ", shape_str(input.shape()));
    double factor = options.momentum.value_or(0.0);
    if (is_training() && options.track_running_stats) {
        NoGradGuard no_grad;
        num_batches_tracked.add_(Tensor::scalar(1, {.dtype = kInt64}));
        if (!options.momentum) factor = 1.0 / static_cast<double>(num_batches_tracked.item());
    }
    // Batch statistics in training, or always when there are no running statistics to use.
    const bool use_batch_stats = is_training() || !running_mean.defined();
    const bool pass_running = !is_training() || options.track_running_stats;
    return batch_norm(input, pass_running ? running_mean : Tensor(), pass_running ? running_var : Tensor(), weight, bias,
                      use_batch_stats, factor, options.eps);
}

std::string BatchNormBase::extra_repr() const {
    return std::to_string(num_features) + ", eps=" + py_float(options.eps) +
           ", momentum=" + (options.momentum ? py_float(*options.momentum) : "None") +
           ", affine=" + py_bool(options.affine) + ", track_running_stats=" + py_bool(options.track_running_stats);
}

void BatchNorm1d::check_input_dim(const Tensor& input) const {
    DESCENT_CHECK(input.defined() && (input.dim() == 2 || input.dim() == 3),
                  "BatchNorm1d: expected a 2-D [N, C] or 3-D [N, C, L] input, got input of shape ",
                  input.defined() ? shape_str(input.shape()) : "undefined");
}

void BatchNorm2d::check_input_dim(const Tensor& input) const {
    DESCENT_CHECK(input.defined() && input.dim() == 4, "BatchNorm2d: expected a 4-D [N, C, H, W] input, got input of shape ",
                  input.defined() ? shape_str(input.shape()) : "undefined");
}

// ---- LayerNorm ----------------------------------------------------------------------------
LayerNorm::LayerNorm(Shape shape, const LayerNormOptions& opts) : normalized_shape(std::move(shape)), options(opts) {
    DESCENT_CHECK(!normalized_shape.empty(), "LayerNorm: normalized_shape must name at least one dim");
    for (auto d : normalized_shape)
        DESCENT_CHECK(d > 0, "LayerNorm: normalized_shape must be positive, got ", shape_str(normalized_shape));
    weight = register_parameter("weight", opts.elementwise_affine ? Tensor::ones(normalized_shape) : Tensor());
    bias = register_parameter("bias", opts.elementwise_affine ? Tensor::zeros(normalized_shape) : Tensor());
}

void LayerNorm::reset_parameters() {
    if (!options.elementwise_affine) return;
    NoGradGuard no_grad;
    weight.fill_(1.0);
    bias.zero_();
}

Tensor LayerNorm::forward(const Tensor& input) { return layer_norm(input, normalized_shape, weight, bias, options.eps); }

std::string LayerNorm::extra_repr() const {
    // A Python tuple: "(10,)" for one dim, "(2, 3)" for more.
    std::string s = "(";
    for (std::size_t i = 0; i < normalized_shape.size(); ++i) s += (i ? ", " : "") + std::to_string(normalized_shape[i]);
    s += normalized_shape.size() == 1 ? ",)" : ")";
    return s + ", eps=" + py_float(options.eps) + ", elementwise_affine=" + py_bool(options.elementwise_affine);
}

// ---- Dropout2d ----------------------------------------------------------------------------
Dropout2d::Dropout2d(double prob, Generator* gen) : p(prob), generator(gen) {
    DESCENT_CHECK(prob >= 0.0 && prob <= 1.0, "Dropout2d: dropout probability has to be between 0 and 1, but got ", prob);
}

Tensor Dropout2d::forward(const Tensor& input) { return dropout2d(input, p, is_training(), generator); }

std::string Dropout2d::extra_repr() const { return "p=" + py_float(p) + ", inplace=False"; }

}  // namespace descent::nn
