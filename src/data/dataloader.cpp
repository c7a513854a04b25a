// DataLoader: epoch order (identity or a fresh permutation), batching through
// Dataset::get_batch, and the generator state that makes resume exact.
#include "descent/data/dataloader.hpp"

#include <algorithm>
#include <bit>
#include <numeric>

#include "descent/data/tensor_dataset.hpp"

namespace descent::data {

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(options) {
    DESCENT_CHECK(dataset_ != nullptr, "DataLoader: null dataset");
    DESCENT_CHECK(options_.batch_size > 0, "DataLoader: batch_size should be a positive integer value, but got ",
                  options_.batch_size);
    if (options_.generator) {
        generator_ = options_.generator;
    } else {
        // Like torch, an unseeded loader still follows the global seed (manual_seed).
        own_generator_ = std::make_unique<Generator>(default_generator().next_u64());
        generator_ = own_generator_.get();
    }
}

std::int64_t DataLoader::size() const {
    const std::int64_t n = dataset_->size(), b = options_.batch_size;
    return options_.drop_last ? n / b : (n + b - 1) / b;
}

DataLoader::Iterator DataLoader::begin() {
    ++epoch_;
    const std::int64_t n = dataset_->size();
    std::vector<std::int64_t> order;
    if (options_.shuffle) {
        order = randperm(n, *generator_);
    } else {
        order.resize(static_cast<std::size_t>(n));
        std::iota(order.begin(), order.end(), std::int64_t{0});
    }
    return Iterator(this, std::make_shared<const std::vector<std::int64_t>>(std::move(order)), 0);
}

Batch DataLoader::Iterator::operator*() const {
    DESCENT_CHECK(order_ != nullptr && batch_ < loader_->size(), "DataLoader: dereferencing the end iterator");
    const std::int64_t b = loader_->options_.batch_size;
    const std::int64_t start = batch_ * b;
    const std::int64_t stop = std::min<std::int64_t>(start + b, static_cast<std::int64_t>(order_->size()));
    return loader_->dataset_->get_batch(std::vector<std::int64_t>(order_->begin() + start, order_->begin() + stop));
}

StateDict DataLoader::state_dict() const {
    StateDict out;
    out.merge(generator_state_dict(*generator_), "generator.");
    Tensor epoch = make_tensor({}, kInt64);
    *epoch.data_ptr<std::int64_t>() = epoch_;
    out.insert("epoch", epoch);
    return out;
}

void DataLoader::load_state_dict(const StateDict& state) {
    const Tensor& epoch = state.at("epoch");
    DESCENT_CHECK(epoch.numel() == 1 && epoch.dtype() == kInt64, "DataLoader.load_state_dict: \"epoch\" must hold one "
                  "int64 value, got ", dtype_name(epoch.dtype()), " ", shape_str(epoch.shape()));
    load_generator_state(*generator_, state.with_prefix_removed("generator."));
    epoch_ = epoch.item<std::int64_t>();
}

StateDict generator_state_dict(const Generator& generator) {
    const Generator::State s = generator.get_state();
    StateDict out;
    Tensor words = make_tensor({4}, kInt64);
    for (int i = 0; i < 4; ++i) words.data_ptr<std::int64_t>()[i] = std::bit_cast<std::int64_t>(s.s[i]);
    Tensor seed = make_tensor({}, kInt64), has = make_tensor({}, kBool), cached = make_tensor({}, kFloat64);
    *seed.data_ptr<std::int64_t>() = std::bit_cast<std::int64_t>(s.seed);
    *has.data_ptr<bool>() = s.has_cached_normal;
    *cached.data_ptr<double>() = s.cached_normal;
    out.insert("state", words);
    out.insert("seed", seed);
    out.insert("has_cached_normal", has);
    out.insert("cached_normal", cached);
    return out;
}

void load_generator_state(Generator& generator, const StateDict& state) {
    const Tensor& words = state.at("state");
    DESCENT_CHECK(words.dtype() == kInt64 && words.numel() == 4, "load_generator_state: \"state\" must be int64 [4], got ",
                  dtype_name(words.dtype()), " ", shape_str(words.shape()));
    const Tensor& seed = state.at("seed");
    const Tensor& has = state.at("has_cached_normal");
    const Tensor& cached = state.at("cached_normal");
    DESCENT_CHECK(seed.dtype() == kInt64 && seed.numel() == 1 && has.numel() == 1 && cached.numel() == 1,
                  "load_generator_state: \"seed\" (int64), \"has_cached_normal\" and \"cached_normal\" must hold "
                  "one value each");
    Generator::State s;
    const auto w = words.to_vector<std::int64_t>();
    for (int i = 0; i < 4; ++i) s.s[static_cast<std::size_t>(i)] = std::bit_cast<std::uint64_t>(w[static_cast<std::size_t>(i)]);
    DESCENT_CHECK(s.s[0] != 0 || s.s[1] != 0 || s.s[2] != 0 || s.s[3] != 0,
                  "load_generator_state: an all-zero xoshiro256** state is invalid");
    s.seed = std::bit_cast<std::uint64_t>(seed.contiguous().data_ptr<std::int64_t>()[0]);
    s.has_cached_normal = has.item() != 0.0;
    s.cached_normal = cached.item();
    generator.set_state(s);
}

}  // namespace descent::data
