// Module's registry and everything derived from it: parameter lists with
// dotted names, state dicts, train/eval, printing.
#include "descent/nn/module.hpp"

#include <cxxabi.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <ostream>
#include <set>
#include <sstream>
#include <typeinfo>

#include "descent/autograd/grad_mode.hpp"
#include "descent/nn/activation.hpp"
#include "descent/nn/conv.hpp"
#include "descent/nn/pooling.hpp"
#include "descent/ops/shape.hpp"

namespace descent::nn {

std::string Module::name() const {
    // The demangled dynamic type without its namespaces ("descent::nn::Net" → "Net"),
    // cut only at a "::" outside template arguments.
    const char* mangled = typeid(*this).name();
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> demangled(abi::__cxa_demangle(mangled, nullptr, nullptr, &status),
                                                      std::free);
    const std::string full = status == 0 && demangled ? demangled.get() : mangled;
    std::size_t start = 0;
    int depth = 0;
    for (std::size_t i = 0; i < full.size(); ++i) {
        const char c = full[i];
        if (c == '<' || c == '(') ++depth;
        else if (c == '>' || c == ')') --depth;
        else if (depth == 0 && c == ':' && i + 1 < full.size() && full[i + 1] == ':') start = i + 2;
    }
    return full.substr(start);
}

void Module::check_new_name(const std::string& attr) const {
    DESCENT_CHECK(!attr.empty() && attr.find('.') == std::string::npos, name(), ": invalid attribute name \"", attr,
                  "\" (must be non-empty and contain no '.')");
    for (const auto& [n, t] : parameters_) DESCENT_CHECK(n != attr, name(), ": \"", attr, "\" is already registered");
    for (const auto& b : buffers_) DESCENT_CHECK(b.name != attr, name(), ": \"", attr, "\" is already registered");
    for (const auto& [n, m] : children_) DESCENT_CHECK(n != attr, name(), ": \"", attr, "\" is already registered");
}

Tensor Module::register_parameter(const std::string& name, Tensor tensor, bool requires_grad) {
    check_new_name(name);
    if (tensor.defined()) tensor.requires_grad_(requires_grad);
    parameters_.emplace_back(name, tensor);
    return tensor;
}

Tensor Module::register_buffer(const std::string& name, Tensor tensor, bool persistent) {
    check_new_name(name);
    buffers_.push_back({name, tensor, persistent});
    return tensor;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
    check_new_name(name);
    DESCENT_CHECK(module != nullptr, this->name(), ": child \"", name, "\" is null");
    children_.emplace_back(name, std::move(module));
}

void Module::reset_parameter(const std::string& name, Tensor tensor) {
    for (auto& [n, t] : parameters_)
        if (n == name) {
            t = std::move(tensor);
            return;
        }
    detail::fail(this->name(), ": no parameter named \"", name, "\"");
}

namespace {
// Walks `module` and its descendants depth first (own entries, then each child's),
// listing each tensor once under its first dotted name, as PyTorch's named_parameters.
template <class Own>
void collect_named(const Module& module, const std::string& prefix, bool recurse, std::set<const TensorImpl*>& seen,
                   std::vector<std::pair<std::string, Tensor>>& out, const Own& own) {
    for (const auto& [n, t] : own(module))
        if (t.defined() && seen.insert(t.impl()).second) out.emplace_back(prefix + n, t);
    if (recurse)
        for (const auto& [cn, child] : module.named_children())
            collect_named(*child, prefix + cn + ".", true, seen, out, own);
}
}  // namespace

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(bool recurse) const {
    std::vector<std::pair<std::string, Tensor>> out;
    std::set<const TensorImpl*> seen;
    collect_named(*this, "", recurse, seen, out, [](const Module& m) -> const auto& { return m.parameters_; });
    return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
    std::vector<Tensor> out;
    for (auto& [n, t] : named_parameters(recurse)) out.push_back(t);
    return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers(bool recurse) const {
    std::vector<std::pair<std::string, Tensor>> out;
    std::set<const TensorImpl*> seen;
    collect_named(*this, "", recurse, seen, out, [](const Module& m) {
        std::vector<std::pair<std::string, Tensor>> own;
        for (const auto& b : m.buffers_) own.emplace_back(b.name, b.tensor);
        return own;
    });
    return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const {
    std::vector<Tensor> out;
    for (auto& [n, t] : named_buffers(recurse)) out.push_back(t);
    return out;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
    std::vector<std::shared_ptr<Module>> out;
    for (const auto& [n, m] : children_) out.push_back(m);
    return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const { return children_; }

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
    std::vector<std::pair<std::string, Module*>> out;
    std::set<const Module*> seen;
    // Iterative depth-first walk in registration order (a stack of pending children).
    std::vector<std::pair<std::string, Module*>> stack{{"", this}};
    while (!stack.empty()) {
        auto [n, m] = stack.back();
        stack.pop_back();
        if (!seen.insert(m).second) continue;
        out.emplace_back(n, m);
        for (auto it = m->children_.rbegin(); it != m->children_.rend(); ++it)
            stack.emplace_back(n.empty() ? it->first : n + "." + it->first, it->second.get());
    }
    return out;
}

void Module::train(bool on) {
    training_ = on;
    for (auto& [n, child] : children_) child->train(on);
}

void Module::zero_grad(bool set_to_none) {
    for (Tensor& p : parameters()) {
        if (!p.grad().defined()) continue;
        if (set_to_none) {
            p.set_grad(Tensor());
        } else {
            NoGradGuard guard;
            Tensor g = p.grad();
            g.zero_();
        }
    }
}

StateDict Module::state_dict() const {
    StateDict out;
    // PyTorch's order: a module's own parameters, then its buffers, then each child's.
    for (const auto& [n, t] : parameters_)
        if (t.defined()) out.insert(n, t);
    for (const auto& b : buffers_)
        if (b.tensor.defined() && b.persistent) out.insert(b.name, b.tensor);
    for (const auto& [cn, child] : children_) out.merge(child->state_dict(), cn + ".");
    return out;
}

void Module::load_state_dict(const StateDict& state, bool strict) {
    const StateDict own = state_dict();
    // Collect every problem first (as PyTorch does), so one error lists them all.
    std::vector<std::string> missing, unexpected, mismatched;
    for (const auto& [key, target] : own) {
        const Tensor* source = state.find(key);
        if (!source) {
            missing.push_back(key);
            continue;
        }
        if (!source->defined()) {
            mismatched.push_back("undefined tensor for \"" + key + "\"");
        } else if (source->shape() != target.shape()) {
            mismatched.push_back("size mismatch for \"" + key + "\": copying a param with shape " +
                                 shape_str(source->shape()) + " from checkpoint, the shape in current model is " +
                                 shape_str(target.shape()));
        } else if (source->dtype() != target.dtype() &&
                   !(is_floating(source->dtype()) && is_floating(target.dtype()))) {
            mismatched.push_back("dtype mismatch for \"" + key + "\": copying a param of dtype " +
                                 std::string(dtype_name(source->dtype())) + " from checkpoint, the dtype in current model is " +
                                 std::string(dtype_name(target.dtype())));
        }
    }
    for (const auto& [key, t] : state)
        if (!own.contains(key)) unexpected.push_back(key);
    if (!strict) {
        missing.clear();
        unexpected.clear();
    }
    if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
        std::ostringstream msg;
        msg << "load_state_dict: error(s) in loading state_dict for " << name() << ":";
        auto list = [&msg](const char* what, const std::vector<std::string>& keys) {
            if (keys.empty()) return;
            msg << "\n\t" << what << " key(s) in state_dict: ";
            for (std::size_t i = 0; i < keys.size(); ++i) msg << (i ? ", \"" : "\"") << keys[i] << "\"";
            msg << ".";
        };
        list("Missing", missing);
        list("Unexpected", unexpected);
        for (const auto& m : mismatched) msg << "\n\t" << m << ".";
        throw Error(msg.str());
    }
    NoGradGuard guard;
    for (const auto& [key, target] : own)
        if (const Tensor* source = state.find(key)) {
            Tensor t = target;
            t.copy_(*source);
        }
}

void Module::to(DType dtype) {
    auto convert = [dtype](Tensor& t) {
        if (!t.defined() || t.dtype() == dtype || !is_floating(t.dtype())) return;
        const bool requires_grad = t.requires_grad();
        Tensor converted = t.detach().to(dtype);
        // Swap the contents so every handle to this parameter sees the new dtype.
        *t.impl() = *converted.impl();
        t.impl()->requires_grad = requires_grad;
    };
    for (auto& [n, t] : parameters_) convert(t);
    for (auto& b : buffers_) convert(b.tensor);
    for (auto& [n, child] : children_) child->to(dtype);
}

void Module::apply(const std::function<void(Module&)>& fn) {
    for (auto& [n, child] : children_) child->apply(fn);
    fn(*this);
}

namespace {
// Python's _addindent: every line but the first indented by `spaces`.
std::string add_indent(const std::string& text, int spaces) {
    std::string out;
    for (char c : text) {
        out += c;
        if (c == '\n') out.append(static_cast<std::size_t>(spaces), ' ');
    }
    return out;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = text.find('\n', start);
        lines.push_back(text.substr(start, end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return lines;
}
}  // namespace

std::string Module::to_string() const {
    // torch.nn.Module.__repr__: a one-line extra_repr and no children print inline;
    // otherwise every extra_repr line and every "(name): child" go on their own line.
    const std::string extra = extra_repr();
    const std::vector<std::string> extra_lines = extra.empty() ? std::vector<std::string>{} : split_lines(extra);
    std::vector<std::string> lines = extra_lines;
    for (const auto& [n, child] : children_) lines.push_back("(" + n + "): " + add_indent(child->to_string(), 2));
    std::string out = name() + "(";
    if (extra_lines.size() == 1 && children_.empty()) {
        out += extra_lines[0];
    } else if (!lines.empty()) {
        for (const auto& line : lines) out += "\n  " + line;
        out += "\n";
    }
    return out + ")";
}

std::ostream& operator<<(std::ostream& out, const Module& module) { return out << module.to_string(); }

namespace {
// ReLU then MaxPool2d can run as MaxPool2d then ReLU: ReLU is monotone, so relu(max(window)) =
// max(relu(window)), and the gradient reaches the same element (the first maximum when it is
// positive; nothing when the window's maximum is ≤ 0; a NaN passes either way). Pooling first
// runs the ReLU, forward and backward, on a quarter of the values (a 2×2 window). Only the
// exact library types qualify: a subclass may do something else.
bool pools_after_relu(const Module& first, const Module& second) {
    return typeid(first) == typeid(ReLU) && typeid(second) == typeid(MaxPool2d);
}

// Conv2d then MaxPool2d, and Conv2d → ReLU → MaxPool2d (reordered as above, the ReLU applied to
// the pooled values in the same pass), run as one op, conv2d_max_pool2d, with the same values and
// gradients: each sample's convolution output is
// pooled while it is in cache, and the whole output is never stored (W3's first one is 12.8 MB a
// batch, written and read back twice a step). Exact library types only, as above.
bool pools_after_conv(const Module& first, const Module& second) {
    return typeid(first) == typeid(Conv2d) && typeid(second) == typeid(MaxPool2d);
}

Tensor conv_then_pool(const Module& conv_module, const Module& pool_module, const Tensor& x, bool relu) {
    const auto& conv = static_cast<const Conv2d&>(conv_module);
    const auto& pool = static_cast<const MaxPool2d&>(pool_module);
    return conv2d_max_pool2d(x, conv.weight, conv.bias,
                             {.stride = conv.options.stride, .padding = conv.options.padding,
                              .dilation = conv.options.dilation, .groups = conv.options.groups},
                             pool.kernel_size, pool.options, relu);
}
}  // namespace

Tensor Sequential::forward(const Tensor& input) {
    Tensor x = input;
    const std::size_t n = modules_.size();
    for (std::size_t i = 0; i < n; ++i) {
        if (i + 1 < n && pools_after_conv(*modules_[i], *modules_[i + 1])) {
            x = conv_then_pool(*modules_[i], *modules_[i + 1], x, false);
            ++i;
            continue;
        }
        if (i + 2 < n && typeid(*modules_[i]) == typeid(Conv2d) && pools_after_relu(*modules_[i + 1], *modules_[i + 2])) {
            x = conv_then_pool(*modules_[i], *modules_[i + 2], x, /*relu=*/true);
            i += 2;
            continue;
        }
        if (i + 1 < n && pools_after_relu(*modules_[i], *modules_[i + 1])) {
            x = modules_[i]->forward(modules_[i + 1]->forward(x));
            ++i;
            continue;
        }
        x = modules_[i]->forward(x);
    }
    return x;
}

Module& Sequential::operator[](std::size_t index) const {
    DESCENT_CHECK(index < modules_.size(), "Sequential: index ", index, " is out of range for ", modules_.size(),
                  " modules");
    return *modules_[index];
}

std::string repr_float(double value) {
    // Python's repr: the shortest digits that round-trip, in fixed notation when the
    // decimal exponent is in [-4, 16), otherwise "d.ddde±XX"; integral values get ".0".
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
    const std::string sci(buffer, result.ptr);
    const std::size_t e_pos = sci.find('e');
    const bool negative = sci[0] == '-';
    std::string digits;
    for (std::size_t i = negative ? 1 : 0; i < e_pos; ++i)
        if (sci[i] != '.') digits += sci[i];
    const int exponent = std::stoi(sci.substr(e_pos + 1));
    // Appends only (no "literal" + string temporaries, which trip GCC 12's -Wrestrict).
    std::string out = negative ? "-" : "";
    const std::size_t n = digits.size();
    if (exponent >= -4 && exponent < 16) {
        if (exponent < 0) {
            out.append("0.").append(static_cast<std::size_t>(-exponent - 1), '0').append(digits);
        } else if (n <= static_cast<std::size_t>(exponent) + 1) {
            out.append(digits).append(static_cast<std::size_t>(exponent) + 1 - n, '0').append(".0");
        } else {
            const std::size_t point = static_cast<std::size_t>(exponent) + 1;
            out.append(digits, 0, point).append(".").append(digits, point, std::string::npos);
        }
        return out;
    }
    out.append(digits, 0, 1);
    if (n > 1) out.append(".").append(digits, 1, std::string::npos);
    const int magnitude = exponent < 0 ? -exponent : exponent;
    out.append(exponent < 0 ? "e-" : "e+");
    if (magnitude < 10) out.append("0");
    out.append(std::to_string(magnitude));
    return out;
}

std::string repr_bool(bool value) { return value ? "True" : "False"; }

std::string repr_tuple(const std::vector<std::int64_t>& values) {
    std::string out = "(";
    for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
    return out + (values.size() == 1 ? ",)" : ")");
}

}  // namespace descent::nn
