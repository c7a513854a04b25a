// Datasets held in memory as tensors (torch.utils.data.TensorDataset), views of
// another dataset through a list of indices (Subset) and random_split.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "descent/core/generator.hpp"
#include "descent/data/dataset.hpp"

namespace descent::data {

/// Examples are rows: example i is (inputs[i], targets[i]). A batch is gathered in one
/// copy per tensor. Class indices as an int64 [N] target give 0-dim int64 example targets.
class TensorDataset : public Dataset {
public:
    /// inputs [N, ...] and targets [N, ...] with the same N (tensors are detached).
    TensorDataset(const Tensor& inputs, const Tensor& targets);

    std::int64_t size() const override { return inputs_.size(0); }
    Example get(std::int64_t index) const override;
    Example get_batch(const std::vector<std::int64_t>& indices) const override;

    const Tensor& inputs() const { return inputs_; }
    const Tensor& targets() const { return targets_; }

private:
    Tensor inputs_, targets_;  // contiguous
};

/// The examples of `dataset` at `indices`, in that order (torch.utils.data.Subset).
class Subset : public Dataset {
public:
    Subset(std::shared_ptr<const Dataset> dataset, std::vector<std::int64_t> indices);

    std::int64_t size() const override { return static_cast<std::int64_t>(indices_.size()); }
    Example get(std::int64_t index) const override;
    Example get_batch(const std::vector<std::int64_t>& indices) const override;

    const std::vector<std::int64_t>& indices() const { return indices_; }
    const Dataset& dataset() const { return *dataset_; }

private:
    std::shared_ptr<const Dataset> dataset_;
    std::vector<std::int64_t> indices_;
};

/// Splits `dataset` into non-overlapping random subsets of the given lengths, which must
/// add up to its size (torch.utils.data.random_split). generator: nullptr = the default one.
///
///     auto parts = data::random_split(dataset, {800, 200}, &generator);  // train, validation
std::vector<Subset> random_split(std::shared_ptr<const Dataset> dataset, const std::vector<std::int64_t>& lengths,
                                 Generator* generator = nullptr);
/// random_split with fractions that add up to 1 (e.g. {0.8, 0.2}): each length is
/// floor(fraction · size), and the remainder goes one by one to the first subsets, as torch does.
std::vector<Subset> random_split_fractions(std::shared_ptr<const Dataset> dataset,
                                           const std::vector<double>& fractions, Generator* generator = nullptr);

/// A uniformly random permutation of 0..n-1 (Fisher–Yates on `generator`).
std::vector<std::int64_t> randperm(std::int64_t n, Generator& generator);

namespace detail {
/// Rows `indices` of `t` (contiguous) stacked into a new tensor [indices.size(), ...];
/// every index is checked against t.size(0).
Tensor gather_rows(const Tensor& t, const std::vector<std::int64_t>& indices, const char* op);
}  // namespace detail

}  // namespace descent::data
