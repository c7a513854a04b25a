// StateDict: a vector of entries; lookups are linear, which is fine for the
// hundreds of entries a model has.
#include "descent/core/state_dict.hpp"

namespace descent {

void StateDict::insert(const std::string& name, const Tensor& tensor) {
    for (auto& [n, t] : entries_)
        if (n == name) {
            t = tensor;
            return;
        }
    entries_.emplace_back(name, tensor);
}

const Tensor* StateDict::find(const std::string& name) const {
    for (const auto& [n, t] : entries_)
        if (n == name) return &t;
    return nullptr;
}

const Tensor& StateDict::at(const std::string& name) const {
    const Tensor* t = find(name);
    DESCENT_CHECK(t != nullptr, "state dict: missing key \"", name, "\"");
    return *t;
}

StateDict StateDict::with_prefix_removed(const std::string& prefix) const {
    StateDict out;
    for (const auto& [n, t] : entries_)
        if (n.compare(0, prefix.size(), prefix) == 0) out.entries_.emplace_back(n.substr(prefix.size()), t);
    return out;
}

void StateDict::merge(const StateDict& other, const std::string& prefix) {
    for (const auto& [n, t] : other.entries_) insert(prefix + n, t);
}

}  // namespace descent
