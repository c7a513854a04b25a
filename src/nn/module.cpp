// Module's registry and everything derived from it: parameter lists with
// dotted names, state dicts, train/eval, printing.
#include "descent/nn/module.hpp"

#include <ostream>
#include <sstream>

#include "descent/autograd/grad_mode.hpp"
#include "descent/ops/shape.hpp"

namespace descent::nn {

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

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(bool recurse) const {
    std::vector<std::pair<std::string, Tensor>> out;
    for (const auto& [n, t] : parameters_)
        if (t.defined()) out.emplace_back(n, t);
    if (recurse)
        for (const auto& [cn, child] : children_)
            for (auto& [n, t] : child->named_parameters(true)) out.emplace_back(cn + "." + n, t);
    return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
    std::vector<Tensor> out;
    for (auto& [n, t] : named_parameters(recurse)) out.push_back(t);
    return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers(bool recurse) const {
    std::vector<std::pair<std::string, Tensor>> out;
    for (const auto& b : buffers_)
        if (b.tensor.defined()) out.emplace_back(b.name, b.tensor);
    if (recurse)
        for (const auto& [cn, child] : children_)
            for (auto& [n, t] : child->named_buffers(true)) out.emplace_back(cn + "." + n, t);
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
    std::vector<std::pair<std::string, Module*>> out{{"", this}};
    for (auto& [cn, child] : children_)
        for (auto& [n, m] : child->named_modules()) out.emplace_back(n.empty() ? cn : cn + "." + n, m);
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
    std::vector<std::string> missing, unexpected;
    for (const auto& [name, target] : own) {
        const Tensor* source = state.find(name);
        if (!source) {
            missing.push_back(name);
            continue;
        }
        DESCENT_CHECK(source->shape() == target.shape(), "load_state_dict: size mismatch for \"", name,
                      "\": copying a parameter of shape ", shape_str(source->shape()),
                      ", the shape in the current model is ", shape_str(target.shape()));
        DESCENT_CHECK(source->dtype() == target.dtype() || (is_floating(source->dtype()) && is_floating(target.dtype())),
                      "load_state_dict: dtype mismatch for \"", name, "\": ", dtype_name(source->dtype()), " into ",
                      dtype_name(target.dtype()));
    }
    for (const auto& [name, t] : state)
        if (!own.contains(name)) unexpected.push_back(name);
    if (strict && (!missing.empty() || !unexpected.empty())) {
        std::ostringstream msg;
        msg << "load_state_dict: error(s) in loading state_dict for " << name() << ":";
        auto list = [&msg](const char* what, const std::vector<std::string>& keys) {
            if (keys.empty()) return;
            msg << " " << what << " key(s): ";
            for (std::size_t i = 0; i < keys.size(); ++i) msg << (i ? ", \"" : "\"") << keys[i] << "\"";
            msg << ".";
        };
        list("Missing", missing);
        list("Unexpected", unexpected);
        throw Error(msg.str());
    }
    NoGradGuard guard;
    for (const auto& [name, target] : own)
        if (const Tensor* source = state.find(name)) {
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

std::string Module::to_string() const {
    std::string out = name() + "(" + extra_repr();
    if (!children_.empty()) {
        out += "\n";
        for (const auto& [n, child] : children_) {
            std::string text = child->to_string();
            // Indent nested lines by two spaces, as PyTorch does.
            std::string indented;
            for (char c : text) {
                indented += c;
                if (c == '\n') indented += "  ";
            }
            out += "  (" + n + "): " + indented + "\n";
        }
    }
    return out + ")";
}

std::ostream& operator<<(std::ostream& out, const Module& module) { return out << module.to_string(); }

Tensor Sequential::forward(const Tensor& input) {
    Tensor x = input;
    for (const auto& child : children()) x = child->forward(x);
    return x;
}

Module& Sequential::operator[](std::size_t index) const {
    DESCENT_CHECK(index < size_, "Sequential: index ", index, " is out of range for ", size_, " modules");
    return *children()[index];
}

}  // namespace descent::nn
