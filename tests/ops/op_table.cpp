// The op table's rows and its input generator. One row per public op overload
// or argument pattern: {name, cases (input shapes and domains), call, [tolerances, reason]}.
// Binary cases cover equal shapes, one-sided and two-sided broadcasting and a
// 0-dim operand; the non-contiguous layout is generated for every row.
#include "op_table.hpp"

#include <algorithm>

#include "descent/descent.hpp"

namespace descent::testing {
namespace {

// Σ_i (i + 1) · Σ piece_i²: a scalar whose gradient tells the pieces apart (split, chunk).
Tensor weigh(const std::vector<Tensor>& pieces) {
    Tensor total = Tensor::zeros({}, {.dtype = kFloat64});
    for (std::size_t i = 0; i < pieces.size(); ++i) total = total + sum(square(pieces[i])) * double(i + 1);
    return total;
}

const std::vector<Inputs> kUnary = {{R({2, 3})}, {R({5})}, {R({})}, {R({2, 3, 2})}};
const std::vector<Inputs> kUnaryPositive = {{P({2, 3})}, {P({5})}, {P({})}};
const std::vector<Inputs> kBinary = {
    {R({2, 3}), R({2, 3})}, {R({2, 3}), R({3})}, {R({4, 1, 3}), R({2, 1})}, {R({}), R({2, 3})}};
const std::vector<Inputs> kMatrix = {{R({3, 4})}, {R({2, 3, 4})}};

// A float32 round trip quantizes the perturbation: with eps = 1e-3 the float32
// rounding error (~1e-7 near 1) is 1e-4 of the difference; atol covers it.
const GradcheckOptions kFloat32RoundTrip = {.eps = 1e-3, .atol = 1e-3, .rtol = 1e-3};

}  // namespace

const std::vector<OpEntry>& op_table() {
    static const std::vector<OpEntry> table = {
        // ---- binary arithmetic (elementwise.hpp) -----------------------------------------
        {"add", kBinary, [](V x) { return add(x[0], x[1]); }},
        {"add", kBinary, [](V x) { return add(x[0], x[1], -0.5); }},
        {"add", kUnary, [](V x) { return add(x[0], 2.5); }},
        {"sub", kBinary, [](V x) { return sub(x[0], x[1]); }},
        {"sub", kUnary, [](V x) { return sub(x[0], 2.5); }},
        {"sub", kUnary, [](V x) { return sub(2.5, x[0]); }},
        {"mul", kBinary, [](V x) { return mul(x[0], x[1]); }},
        {"mul", kUnary, [](V x) { return mul(x[0], -1.5); }},
        {"div", kBinary, [](V x) { return div(x[0], x[1]); }},
        {"div", kUnary, [](V x) { return div(x[0], 0.7); }},
        {"div", kUnary, [](V x) { return div(1.3, x[0]); }},
        {"pow", {{P({2, 3}), R({2, 3})}, {P({2, 3}), R({3})}, {P({3}), R({2, 1})}, {P({}), R({4})}},
         [](V x) { return pow(x[0], x[1]); }},
        {"pow", kUnary, [](V x) { return pow(x[0], 3.0); }},
        {"pow", kUnaryPositive, [](V x) { return pow(x[0], -1.5); }},
        {"pow", kUnaryPositive, [](V x) { return pow(x[0], 0.5); }},
        {"maximum", kBinary, [](V x) { return maximum(x[0], x[1]); }},
        {"minimum", kBinary, [](V x) { return minimum(x[0], x[1]); }},
        // ---- unary math and activations ---------------------------------------------------
        {"neg", kUnary, [](V x) { return neg(x[0]); }},
        {"exp", kUnary, [](V x) { return exp(x[0]); }},
        {"log", kUnaryPositive, [](V x) { return log(x[0]); }},
        {"sqrt", kUnaryPositive, [](V x) { return sqrt(x[0]); }},
        {"abs", kUnary, [](V x) { return abs(x[0]); }},
        {"sign", kUnary, [](V x) { return sign(x[0]); }},
        {"round", kUnary, [](V x) { return round(x[0] * 3.0); }},
        {"square", kUnary, [](V x) { return square(x[0]); }},
        {"clamp", kUnary, [](V x) { return clamp(x[0], -0.5, 0.5); }},
        {"clamp", kUnary, [](V x) { return clamp(x[0], -0.3, std::nullopt); }},
        {"clamp", kUnary, [](V x) { return clamp(x[0], std::nullopt, 0.2); }},
        {"relu", kUnary, [](V x) { return relu(x[0]); }},
        {"leaky_relu", kUnary, [](V x) { return leaky_relu(x[0]); }},
        {"leaky_relu", kUnary, [](V x) { return leaky_relu(x[0], 0.2); }},
        {"sigmoid", kUnary, [](V x) { return sigmoid(x[0] * 4.0); }},
        {"tanh", kUnary, [](V x) { return tanh(x[0] * 2.0); }},
        {"gelu", kUnary, [](V x) { return gelu(x[0] * 2.0); }},
        {"gelu", kUnary, [](V x) { return gelu(x[0] * 2.0, "tanh"); }},
        {"where", {{M({2, 3}), R({2, 3}), R({2, 3})}, {M({2, 1}), R({3}), R({2, 3})}, {M({3}), R({2, 3}), R({})}},
         [](V x) { return where(x[0], x[1], x[2]); }},
        // ---- matrix products (linalg.hpp) -------------------------------------------------
        {"matmul",
         {{R({3, 4}), R({4, 2})}, {R({4}), R({4})}, {R({4}), R({4, 2})}, {R({3, 4}), R({4})},
          {R({2, 3, 4}), R({2, 4, 5})}, {R({2, 1, 3, 4}), R({3, 4, 2})}, {R({4}), R({2, 4, 3})},
          {R({2, 3, 4}), R({4})}},
         [](V x) { return matmul(x[0], x[1]); }},
        {"mm", {{R({3, 4}), R({4, 2})}, {R({1, 3}), R({3, 1})}}, [](V x) { return mm(x[0], x[1]); }},
        {"linear", {{R({5, 3}), R({4, 3}), R({4})}, {R({2, 5, 3}), R({4, 3}), R({4})}, {R({3}), R({4, 3}), R({4})}},
         [](V x) { return linear(x[0], x[1], x[2]); }},
        {"linear", {{R({5, 3}), R({4, 3})}, {R({2, 2, 3}), R({1, 3})}}, [](V x) { return linear(x[0], x[1]); }},
        // ---- reductions (reduction.hpp) ---------------------------------------------------
        {"sum", kUnary, [](V x) { return sum(x[0]); }},
        {"sum", kMatrix, [](V x) { return sum(x[0], {-1}); }},
        {"sum", {{R({2, 3, 4})}}, [](V x) { return sum(x[0], {0, 2}, true); }},
        {"mean", kUnary, [](V x) { return mean(x[0]); }},
        {"mean", {{R({2, 3, 4})}}, [](V x) { return mean(x[0], {2, 0}); }},
        {"mean", kMatrix, [](V x) { return mean(x[0], {1}, true); }},
        {"var", kMatrix, [](V x) { return var(x[0], Shape{1}); }},
        {"var", {{R({2, 3, 4})}}, [](V x) { return var(x[0], {0, 2}, 0, true); }},
        {"var", {{R({2, 3})}, {R({5})}}, [](V x) { return var(x[0]); }},
        {"std", kMatrix, [](V x) { return std(x[0], Shape{-1}); }},
        {"std", {{R({2, 3, 4})}}, [](V x) { return std(x[0], {1}, 0, true); }},
        {"std", {{R({2, 3})}, {R({5})}}, [](V x) { return std(x[0]); }},
        {"logsumexp", kMatrix, [](V x) { return logsumexp(x[0], {1}); }},
        {"logsumexp", {{R({2, 3, 2})}}, [](V x) { return logsumexp(x[0] * 5.0, {0, 2}, true); }},
        {"max", kUnary, [](V x) { return max(x[0]); }},
        {"max", kMatrix, [](V x) { return max(x[0], 1).values; }},
        {"max", {{R({2, 3, 4})}, {R({4})}}, [](V x) { return max(x[0], 0, true).values; }},
        {"min", kUnary, [](V x) { return min(x[0]); }},
        {"min", kMatrix, [](V x) { return min(x[0], -1).values; }},
        {"min", {{R({2, 3, 4})}}, [](V x) { return min(x[0], 1, true).values; }},
        {"softmax", kMatrix, [](V x) { return softmax(x[0] * 3.0, 1); }},
        {"softmax", {{R({2, 3, 4})}, {R({5})}}, [](V x) { return softmax(x[0], 0); }},
        {"log_softmax", kMatrix, [](V x) { return log_softmax(x[0] * 3.0, -1); }},
        {"log_softmax", {{R({2, 3, 4})}, {R({5})}}, [](V x) { return log_softmax(x[0], 0); }},
        {"sum_to", {{R({2, 3})}}, [](V x) { return sum_to(x[0], {3}); }},
        {"sum_to", {{R({4, 2, 3})}}, [](V x) { return sum_to(x[0], {2, 1}); }},
        // ---- views and copies (shape.hpp) -------------------------------------------------
        {"view", {{R({3, 4})}}, [](V x) { return view(x[0], {3, 2, 2}); }},
        {"view", {{R({3, 4})}}, [](V x) { return view(x[0], {1, 3, 4, 1}); }},
        {"reshape", {{R({3, 4})}}, [](V x) { return reshape(x[0], {4, 3}); }},
        {"reshape", {{R({2, 3, 2})}}, [](V x) { return reshape(x[0], {-1}); }},
        {"flatten", {{R({2, 3, 2})}, {R({})}}, [](V x) { return flatten(x[0]); }},
        {"flatten", {{R({2, 3, 2, 2})}}, [](V x) { return flatten(x[0], 1, 2); }},
        {"transpose", kMatrix, [](V x) { return transpose(x[0], 0, -1); }},
        {"permute", {{R({2, 3, 4})}}, [](V x) { return permute(x[0], {2, 0, 1}); }},
        {"narrow", {{R({4, 5})}}, [](V x) { return narrow(x[0], 1, 1, 3); }},
        {"narrow", {{R({4, 5})}}, [](V x) { return narrow(x[0], 0, -3, 2); }},
        {"slice", {{R({6, 4})}}, [](V x) { return slice(x[0], 0, 1, 5, 2); }},
        {"slice", {{R({6, 4})}}, [](V x) { return slice(x[0], 1, std::nullopt, std::nullopt, 3); }},
        {"slice", {{R({6, 4})}}, [](V x) { return slice(x[0], 0, -3, 100); }},
        {"select", {{R({3, 4})}}, [](V x) { return select(x[0], 1, 2); }},
        {"select", {{R({3, 4})}, {R({2})}}, [](V x) { return select(x[0], 0, -1); }},
        {"squeeze", {{R({3, 1, 4, 1})}, {R({1})}}, [](V x) { return squeeze(x[0]); }},
        {"squeeze", {{R({3, 1, 4})}}, [](V x) { return squeeze(x[0], 1); }},
        {"squeeze", {{R({3, 1, 4})}}, [](V x) { return squeeze(x[0], 0); }},
        {"unsqueeze", {{R({3, 4})}, {R({})}}, [](V x) { return unsqueeze(x[0], 0); }},
        {"unsqueeze", {{R({3, 4})}}, [](V x) { return unsqueeze(x[0], -1); }},
        {"expand", {{R({3, 1})}, {R({})}}, [](V x) { return expand(x[0], {2, 3, 4}); }},
        {"expand", {{R({4})}, {R({1, 4})}}, [](V x) { return expand(x[0], {3, -1}); }},
        {"contiguous", kMatrix, [](V x) { return contiguous(x[0]); }},
        {"clone", kMatrix, [](V x) { return clone(x[0]); }},
        {"to_dtype", kUnary, [](V x) { return to_dtype(to_dtype(x[0], kFloat32), kFloat64); }, kFloat32RoundTrip,
         "float32 round trip: eps 1e-3 so float32 rounding (~1e-7) stays 1e-4 of the difference"},
        // ---- joins and splits -------------------------------------------------------------
        {"cat", {{R({2, 3}), R({4, 3})}, {R({2, 3}), R({0})}}, [](V x) { return cat({x[0], x[1]}, 0); }},
        {"cat", {{R({2, 3}), R({2, 1}), R({2, 2})}}, [](V x) { return cat({x[0], x[1], x[2]}, -1); }},
        {"stack", {{R({2, 3}), R({2, 3}), R({2, 3})}}, [](V x) { return stack({x[0], x[1], x[2]}, 0); }},
        {"stack", {{R({2, 3}), R({2, 3})}, {R({}), R({})}}, [](V x) { return stack({x[0], x[1]}, -1); }},
        {"split", {{R({5, 4})}}, [](V x) { return weigh(split(x[0], 2, 0)); }},
        {"split", {{R({5, 4})}}, [](V x) { return weigh(split(x[0], std::vector<std::int64_t>{1, 0, 3}, 1)); }},
        {"chunk", {{R({5, 4})}}, [](V x) { return weigh(chunk(x[0], 3, 0)); }},
        {"chunk", {{R({5, 4})}}, [](V x) { return weigh(chunk(x[0], 2, -1)); }},
        // ---- indexing ----------------------------------------------------------------------
        {"index_select", {{R({3, 4}), I({5}, 3)}}, [](V x) { return index_select(x[0], 0, x[1]); }},
        {"index_select", {{R({2, 3, 4}), I({3}, 3)}, {R({3, 3}), I({}, 3)}},
         [](V x) { return index_select(x[0], 1, x[1]); }},
        {"gather", {{R({3, 4}), I({3, 2}, 4)}, {R({3, 4}), I({2, 6}, 4)}}, [](V x) { return gather(x[0], 1, x[1]); }},
        {"gather", {{R({3, 4}), I({5, 4}, 3)}, {R({2, 3, 2}), I({2, 2, 2}, 2)}},
         [](V x) { return gather(x[0], 0, x[1]); }},
        {"scatter_add", {{R({3, 4}), I({3, 2}, 4), R({3, 2})}, {R({3, 4}), I({2, 5}, 4), R({3, 6})}},
         [](V x) { return scatter_add(x[0], 1, x[1], x[2]); }},
        {"scatter_add", {{R({3, 4}), I({5, 4}, 3), R({5, 4})}}, [](V x) { return scatter_add(x[0], 0, x[1], x[2]); }},
        // ---- convolution, pooling, normalization (conv.hpp, pooling.hpp, normalization.hpp) ----
        {"conv2d",
         {{R({2, 3, 5, 5}), R({4, 3, 3, 3}), R({4})}, {R({3, 4, 4}), R({2, 3, 2, 2}), R({2})},
          {R({2, 4, 3, 3}), R({5, 4, 1, 1}), R({5})}},
         [](V x) { return conv2d(x[0], x[1], x[2]); }},
        {"conv2d", {{R({2, 4, 6, 5}), R({6, 2, 3, 2}), R({6})}},
         [](V x) { return conv2d(x[0], x[1], x[2], {.stride = {2, 1}, .padding = 1, .dilation = {1, 2}, .groups = 2}); }},
        {"conv2d", {{R({1, 2, 7, 7}), R({3, 2, 3, 3})}, {R({2, 4, 3, 3}), R({2, 4, 1, 1})}},
         [](V x) { return conv2d(x[0], x[1], Tensor(), {.stride = 2, .padding = 2, .dilation = 2}); }},
        // Fused (disjoint windows: odd sizes drop a last row and column; groups; no bias), and composed
        // (overlapping windows, unbatched input).
        {"conv2d_max_pool2d", {{R({3, 2, 5, 7}), R({4, 2, 3, 3}), R({4})}},
         [](V x) { return conv2d_max_pool2d(x[0], x[1], x[2], {.padding = 1}, 2, {}); }},
        {"conv2d_max_pool2d", {{R({2, 3, 6, 20}), R({4, 3, 3, 3}), R({4})}},
         [](V x) { return conv2d_max_pool2d(x[0], x[1], x[2], {.padding = 1}, 2, {}, /*relu=*/true); }},
        {"conv2d_max_pool2d", {{R({2, 4, 6, 6}), R({6, 2, 3, 2})}},
         [](V x) { return conv2d_max_pool2d(x[0], x[1], Tensor(), {.stride = {1, 2}, .groups = 2}, {2, 1}, {}); }},
        {"conv2d_max_pool2d", {{R({1, 2, 6, 6}), R({3, 2, 3, 3}), R({3})}, {R({2, 5, 5}), R({2, 2, 2, 2}), R({2})}},
         [](V x) { return conv2d_max_pool2d(x[0], x[1], x[2], {.padding = 1}, 3, {.stride = 2, .padding = 1}); }},
        {"max_pool2d", {{R({2, 2, 5, 5})}, {R({3, 4, 4})}}, [](V x) { return max_pool2d(x[0], 2); }},
        {"max_pool2d", {{R({1, 2, 7, 6})}},
         [](V x) { return max_pool2d(x[0], 3, {.stride = 2, .padding = 1, .ceil_mode = true}); }},
        {"max_pool2d", {{R({1, 2, 7, 7})}},
         [](V x) { return max_pool2d(x[0], {2, 3}, {.stride = 1, .padding = 1, .dilation = 2}); }},
        {"max_pool2d_with_indices", {{R({2, 2, 4, 6})}}, [](V x) { return max_pool2d_with_indices(x[0], {2, 3}).values; }},
        {"avg_pool2d", {{R({2, 2, 4, 6})}, {R({3, 5, 5})}}, [](V x) { return avg_pool2d(x[0], 2); }},
        {"avg_pool2d", {{R({1, 2, 7, 6})}},
         [](V x) { return avg_pool2d(x[0], 3, {.stride = 2, .padding = 1, .ceil_mode = true, .count_include_pad = false}); }},
        {"avg_pool2d", {{R({1, 2, 5, 5})}},
         [](V x) { return avg_pool2d(x[0], {2, 3}, {.stride = {1, 2}, .padding = 1, .divisor_override = 4}); }},
        {"adaptive_avg_pool2d", {{R({2, 2, 5, 7})}, {R({2, 3, 3})}}, [](V x) { return adaptive_avg_pool2d(x[0], {3, 4}); }},
        {"adaptive_avg_pool2d", {{R({2, 3, 4, 5})}}, [](V x) { return adaptive_avg_pool2d(x[0], 1); }},
        {"batch_norm", {{R({4, 3, 2, 2}), R({3}), R({3})}, {R({5, 3}), R({3}), R({3})}},
         [](V x) { return batch_norm(x[0], Tensor(), Tensor(), x[1], x[2], /*training=*/true); }},
        {"batch_norm", {{R({3, 2, 4})}}, [](V x) { return batch_norm(x[0], Tensor(), Tensor(), Tensor(), Tensor(), true); }},
        {"batch_norm", {{R({2, 3, 2, 2}), R({3}), R({3})}},
         [](V x) {  // evaluation: constant running statistics
             const Tensor mean = Tensor::from({0.2, -0.1, 0.4}), var = Tensor::from({0.5, 1.5, 2.0});
             return batch_norm(x[0], mean, var, x[1], x[2], /*training=*/false);
         }},
        {"layer_norm", {{R({3, 5}), R({5}), R({5})}}, [](V x) { return layer_norm(x[0], {5}, x[1], x[2]); }},
        {"layer_norm", {{R({2, 3, 4}), R({3, 4}), R({3, 4})}}, [](V x) { return layer_norm(x[0], {3, 4}, x[1], x[2]); }},
        {"layer_norm", {{R({4, 6})}}, [](V x) { return layer_norm(x[0], {6}); }},
        {"dropout2d", {{R({2, 3, 2, 2})}, {R({4, 2, 3})}},
         [](V x) {  // a fresh generator per call: the same mask for every finite-difference evaluation
             Generator g(7);
             return dropout2d(x[0], 0.5, true, &g);
         }},
    };
    return table;
}

const std::vector<std::pair<std::string, std::string>>& non_differentiable_ops() {
    static const std::vector<std::pair<std::string, std::string>> list = {
        // Comparisons and logic return bool tensors: no gradient exists.
        {"eq", "bool result"},
        {"ne", "bool result"},
        {"lt", "bool result"},
        {"le", "bool result"},
        {"gt", "bool result"},
        {"ge", "bool result"},
        {"logical_not", "bool result"},
        // Indices are integers: piecewise constant in the input.
        {"argmax", "int64 indices"},
        {"argmin", "int64 indices"},
        // Encodes integer class indices; its input cannot require grad.
        {"one_hot", "int64 input"},
    };
    return list;
}

namespace {
// Values in logical row-major order for one input.
Tensor make_values(const In& spec, Generator& g) {
    const std::int64_t n = shape_numel(spec.shape);
    Tensor t;
    switch (spec.domain) {
        case Domain::Real:
        case Domain::Positive: {
            std::vector<double> v(static_cast<std::size_t>(n));
            for (auto& x : v) {
                const double u = g.uniform_double();
                if (spec.domain == Domain::Positive) x = 0.5 + 1.5 * u;
                else x = (g.next_u64() & 1 ? 1.0 : -1.0) * (0.1 + 0.9 * u);
            }
            t = Tensor::from(v, {n});
            break;
        }
        case Domain::Index: {
            std::vector<std::int64_t> v(static_cast<std::size_t>(n));
            for (auto& x : v) x = static_cast<std::int64_t>(g.below(static_cast<std::uint64_t>(spec.high)));
            t = Tensor::from(v, {n});
            break;
        }
        case Domain::Mask: {
            std::vector<bool> v(static_cast<std::size_t>(n));
            for (std::size_t i = 0; i < v.size(); ++i) v[i] = g.next_u64() & 1;
            t = Tensor::from(v, {n});
            break;
        }
    }
    return t.reshape(spec.shape);
}

// The same values in a strided (non-contiguous) view: transposed storage when
// the last two dims both exceed 1, else every other element of a larger buffer.
Tensor strided_copy(const Tensor& values) {
    if (values.numel() <= 1) return values;
    Tensor view;
    const std::int64_t nd = values.dim();
    if (nd >= 2 && values.size(-1) > 1 && values.size(-2) > 1) {
        Shape swapped = values.shape();
        std::swap(swapped[static_cast<std::size_t>(nd - 1)], swapped[static_cast<std::size_t>(nd - 2)]);
        view = Tensor::zeros(swapped, {.dtype = values.dtype()}).transpose(-1, -2);
    } else {
        const auto widest = static_cast<std::int64_t>(
            std::max_element(values.shape().begin(), values.shape().end()) - values.shape().begin());
        Shape doubled = values.shape();
        doubled[static_cast<std::size_t>(widest)] *= 2;
        view = Tensor::zeros(doubled, {.dtype = values.dtype()}).slice(widest, std::nullopt, std::nullopt, 2);
    }
    view.copy_(values);
    return view;
}
}  // namespace

std::vector<Tensor> make_inputs(const Inputs& specs, Layout layout, std::uint64_t seed) {
    Generator g(seed);
    std::vector<Tensor> out;
    for (const In& spec : specs) {
        Tensor t = make_values(spec, g);
        if (layout == Layout::NonContiguous) t = strided_copy(t);
        t = t.detach();  // a fresh leaf, whatever view made it
        if (spec.domain == Domain::Real || spec.domain == Domain::Positive) t.requires_grad_(true);
        out.push_back(t);
    }
    return out;
}

std::string case_name(std::size_t row, std::size_t case_index) {
    return op_table()[row].name + "_row" + std::to_string(row) + "_case" + std::to_string(case_index);
}

}  // namespace descent::testing
