// DataLoader: iterates a Dataset in batches, reshuffled every epoch from a seeded
// generator (torch.utils.data.DataLoader without worker processes).
//
//     data::DataLoader loader(data::TensorDataset(X, y), {.batch_size = 32, .shuffle = true, .generator = &gen});
//     for (int epoch = 0; epoch < epochs; ++epoch)
//         for (auto [input, target] : loader) { ... }
//
// batch_size = N is full-batch gradient descent, 1 is stochastic, k is mini-batch.
#pragma once
#include <concepts>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "descent/core/generator.hpp"
#include "descent/core/state_dict.hpp"
#include "descent/data/dataset.hpp"

namespace descent::data {

/// A batch: inputs and targets stacked along dim 0 (binds as `auto [input, target]`).
using Batch = Example;

/// torch's DataLoader arguments and defaults.
struct DataLoaderOptions {
    std::int64_t batch_size = 1;
    bool shuffle = false;
    /// Drop the last batch when it is smaller than batch_size.
    bool drop_last = false;
    /// The stream the shuffles draw from (kept by the caller). nullptr: the loader's own
    /// generator, seeded from the default generator when the loader is built.
    Generator* generator = nullptr;
};

class DataLoader {
public:
    /// Loads from `dataset`: a temporary is moved into the loader; an lvalue is referred
    /// to and must outlive the loader (as in torch).
    template <class D>
        requires std::derived_from<std::remove_cvref_t<D>, Dataset>
    explicit DataLoader(D&& dataset, DataLoaderOptions options = {})
        : DataLoader(hold(std::forward<D>(dataset)), options) {}
    DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options = {});

    class Iterator {
    public:
        using value_type = Batch;
        using difference_type = std::ptrdiff_t;
        Batch operator*() const;
        Iterator& operator++() {
            ++batch_;
            return *this;
        }
        bool operator==(const Iterator& other) const { return batch_ == other.batch_; }

    private:
        friend class DataLoader;
        Iterator(const DataLoader* loader, std::shared_ptr<const std::vector<std::int64_t>> order, std::int64_t batch)
            : loader_(loader), order_(std::move(order)), batch_(batch) {}
        const DataLoader* loader_;
        std::shared_ptr<const std::vector<std::int64_t>> order_;
        std::int64_t batch_;
    };

    /// Starts an epoch: draws a new permutation when shuffling.
    Iterator begin();
    Iterator end() const { return Iterator(this, nullptr, size()); }

    /// Batches per epoch.
    std::int64_t size() const;
    /// Epochs started so far (calls of begin()).
    std::int64_t epoch() const { return epoch_; }
    const Dataset& dataset() const { return *dataset_; }
    const DataLoaderOptions& options() const { return options_; }
    /// The generator the shuffles draw from.
    Generator& generator() const { return *generator_; }

    /// The shuffling generator's state and the epoch count: restoring them makes every
    /// following epoch draw the same permutations (resume at an epoch boundary).
    StateDict state_dict() const;
    void load_state_dict(const StateDict& state);

private:
    template <class D>
    static std::shared_ptr<const Dataset> hold(D&& dataset) {
        using T = std::remove_cvref_t<D>;
        if constexpr (std::is_lvalue_reference_v<D>)
            return std::shared_ptr<const Dataset>(&dataset, [](const Dataset*) {});
        else
            return std::make_shared<const T>(std::move(dataset));
    }

    std::shared_ptr<const Dataset> dataset_;
    DataLoaderOptions options_;
    std::unique_ptr<Generator> own_generator_;
    Generator* generator_;
    std::int64_t epoch_ = 0;
};

/// A generator's full state as tensors ("state" int64 [4], "seed", "has_cached_normal",
/// "cached_normal"), for checkpoints; load_generator_state restores it exactly.
StateDict generator_state_dict(const Generator& generator);
void load_generator_state(Generator& generator, const StateDict& state);

}  // namespace descent::data
