// StateDict: named tensors in insertion order — a model's parameters and
// buffers, an optimizer's or scheduler's state (scalars as 0-dim tensors).
// It is the unit that save/load, checkpoints and resume work on.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "descent/core/tensor.hpp"

namespace descent {

/// Ordered name → tensor map with PyTorch's dotted names ("0.weight").
class StateDict {
public:
    using Entry = std::pair<std::string, Tensor>;

    /// Adds or replaces `name`.
    void insert(const std::string& name, const Tensor& tensor);
    /// The tensor named `name`, or nullptr.
    const Tensor* find(const std::string& name) const;
    /// The tensor named `name`; a clear error when missing.
    const Tensor& at(const std::string& name) const;
    bool contains(const std::string& name) const { return find(name) != nullptr; }
    /// Every entry whose name starts with `prefix`, with the prefix removed.
    StateDict with_prefix_removed(const std::string& prefix) const;
    /// Adds every entry of `other` under `prefix`.
    void merge(const StateDict& other, const std::string& prefix);

    std::size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }
    auto begin() const { return entries_.begin(); }
    auto end() const { return entries_.end(); }
    const std::vector<Entry>& entries() const { return entries_; }

private:
    std::vector<Entry> entries_;
};

}  // namespace descent
