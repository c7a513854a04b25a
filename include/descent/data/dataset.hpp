// The Dataset interface: indexed access to (input, target) examples, as
// torch.utils.data.Dataset. DataLoader batches any Dataset by stacking examples.
#pragma once
#include <cstdint>
#include <memory>

#include "descent/core/tensor.hpp"

namespace descent::data {

/// One example: the model's input and its target (a class index as a 0-dim int64 tensor, or values).
struct Example {
    Tensor input;
    Tensor target;
};

/// A finite, indexable collection of examples.
class Dataset {
public:
    virtual ~Dataset() = default;
    /// Number of examples.
    virtual std::int64_t size() const = 0;
    /// Example `index` in [0, size()); out of range is an error.
    virtual Example get(std::int64_t index) const = 0;
    /// Examples `indices` stacked along a new dim 0. The default stacks get(i);
    /// tensor-backed datasets override it with one gather.
    virtual Example get_batch(const std::vector<std::int64_t>& indices) const;
};

}  // namespace descent::data
