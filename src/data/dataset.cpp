// Dataset's default get_batch (stack the examples), TensorDataset, Subset,
// random_split and the shared row gather and permutation.
#include "descent/data/dataset.hpp"

#include <cmath>
#include <cstring>
#include <numeric>

#include "descent/autograd/grad_mode.hpp"
#include "descent/data/tensor_dataset.hpp"

namespace descent::data {

namespace {
void check_index(std::int64_t index, std::int64_t size, const char* op) {
    DESCENT_CHECK(index >= 0 && index < size, op, ": index ", index, " is out of range for a dataset of ", size,
                  " examples");
}

// Copies `part` (any strides) into row `row` of `out` after checking it matches the first example.
void put_row(Tensor& out, std::int64_t row, const Tensor& part, const char* what, std::size_t position) {
    DESCENT_CHECK(part.defined(), "Dataset::get_batch: example ", position, " has an undefined ", what);
    const Shape expected(out.shape().begin() + 1, out.shape().end());
    DESCENT_CHECK(part.shape() == expected && part.dtype() == out.dtype(), "Dataset::get_batch: example ", position,
                  " has ", what, " ", dtype_name(part.dtype()), " ", shape_str(part.shape()), " but example 0 has ",
                  dtype_name(out.dtype()), " ", shape_str(expected), "; examples must agree to be stacked");
    out.select(0, row).copy_(part);
}

Tensor batch_like(const Tensor& first, std::size_t count) {
    Shape shape{static_cast<std::int64_t>(count)};
    shape.insert(shape.end(), first.shape().begin(), first.shape().end());
    return make_tensor(shape, first.dtype());
}
}  // namespace

Example Dataset::get_batch(const std::vector<std::int64_t>& indices) const {
    DESCENT_CHECK(!indices.empty(), "Dataset::get_batch: empty list of indices");
    NoGradGuard no_grad;
    Example first = get(indices[0]);
    DESCENT_CHECK(first.input.defined(), "Dataset::get_batch: example 0 has an undefined input");
    Example batch{batch_like(first.input, indices.size()),
                  first.target.defined() ? batch_like(first.target, indices.size()) : Tensor()};
    for (std::size_t i = 0; i < indices.size(); ++i) {
        Example e = i == 0 ? first : get(indices[i]);
        put_row(batch.input, static_cast<std::int64_t>(i), e.input, "input", i);
        if (batch.target.defined()) put_row(batch.target, static_cast<std::int64_t>(i), e.target, "target", i);
    }
    return batch;
}

// ---- gather and permutation ------------------------------------------------------------------
namespace detail {
Tensor gather_rows(const Tensor& t, const std::vector<std::int64_t>& indices, const char* op) {
    const std::int64_t rows = t.size(0);
    Shape shape = t.shape();
    shape[0] = static_cast<std::int64_t>(indices.size());
    Tensor out = make_tensor(shape, t.dtype());
    const std::size_t row_bytes = static_cast<std::size_t>(rows == 0 ? 0 : t.numel() / rows) * itemsize(t.dtype());
    const auto* src = static_cast<const unsigned char*>(t.impl()->storage->data) +
                      static_cast<std::size_t>(t.storage_offset()) * itemsize(t.dtype());
    auto* dst = static_cast<unsigned char*>(out.impl()->storage->data);
    for (std::size_t i = 0; i < indices.size(); ++i) {
        check_index(indices[i], rows, op);
        std::memcpy(dst + i * row_bytes, src + static_cast<std::size_t>(indices[i]) * row_bytes, row_bytes);
    }
    return out;
}
}  // namespace detail

std::vector<std::int64_t> randperm(std::int64_t n, Generator& generator) {
    DESCENT_CHECK(n >= 0, "randperm: n must be non-negative, got ", n);
    std::vector<std::int64_t> p(static_cast<std::size_t>(n));
    std::iota(p.begin(), p.end(), std::int64_t{0});
    for (std::int64_t i = n - 1; i > 0; --i) {
        const auto j = static_cast<std::int64_t>(generator.below(static_cast<std::uint64_t>(i + 1)));
        std::swap(p[static_cast<std::size_t>(i)], p[static_cast<std::size_t>(j)]);
    }
    return p;
}

// ---- TensorDataset ---------------------------------------------------------------------------
TensorDataset::TensorDataset(const Tensor& inputs, const Tensor& targets) {
    DESCENT_CHECK(inputs.defined() && targets.defined(), "TensorDataset: inputs and targets must be defined");
    DESCENT_CHECK(inputs.dim() >= 1 && targets.dim() >= 1, "TensorDataset: inputs ", shape_str(inputs.shape()),
                  " and targets ", shape_str(targets.shape()), " need a first dim that counts the examples");
    DESCENT_CHECK(inputs.size(0) == targets.size(0), "TensorDataset: size mismatch between inputs ",
                  shape_str(inputs.shape()), " and targets ", shape_str(targets.shape()));
    NoGradGuard no_grad;
    inputs_ = inputs.detach().contiguous();
    targets_ = targets.detach().contiguous();
}

Example TensorDataset::get(std::int64_t index) const {
    check_index(index, size(), "TensorDataset::get");
    return {inputs_.select(0, index), targets_.select(0, index)};
}

Example TensorDataset::get_batch(const std::vector<std::int64_t>& indices) const {
    return {detail::gather_rows(inputs_, indices, "TensorDataset::get_batch"),
            detail::gather_rows(targets_, indices, "TensorDataset::get_batch")};
}

// ---- Subset ----------------------------------------------------------------------------------
Subset::Subset(std::shared_ptr<const Dataset> dataset, std::vector<std::int64_t> indices)
    : dataset_(std::move(dataset)), indices_(std::move(indices)) {
    DESCENT_CHECK(dataset_ != nullptr, "Subset: null dataset");
    const std::int64_t n = dataset_->size();
    for (std::int64_t i : indices_) check_index(i, n, "Subset");
}

Example Subset::get(std::int64_t index) const {
    check_index(index, size(), "Subset::get");
    return dataset_->get(indices_[static_cast<std::size_t>(index)]);
}

Example Subset::get_batch(const std::vector<std::int64_t>& indices) const {
    std::vector<std::int64_t> mapped;
    mapped.reserve(indices.size());
    for (std::int64_t i : indices) {
        check_index(i, size(), "Subset::get_batch");
        mapped.push_back(indices_[static_cast<std::size_t>(i)]);
    }
    return dataset_->get_batch(mapped);
}

// ---- random_split ----------------------------------------------------------------------------
std::vector<Subset> random_split(std::shared_ptr<const Dataset> dataset, const std::vector<std::int64_t>& lengths,
                                 Generator* generator) {
    DESCENT_CHECK(dataset != nullptr, "random_split: null dataset");
    std::int64_t total = 0;
    for (std::int64_t l : lengths) {
        DESCENT_CHECK(l >= 0, "random_split: lengths must be non-negative, got ", l);
        total += l;
    }
    DESCENT_CHECK(total == dataset->size(), "random_split: sum of input lengths (", total,
                  ") does not equal the length of the input dataset (", dataset->size(), ")");
    const std::vector<std::int64_t> order = randperm(total, generator ? *generator : default_generator());
    std::vector<Subset> out;
    std::int64_t offset = 0;
    for (std::int64_t l : lengths) {
        out.emplace_back(dataset, std::vector<std::int64_t>(order.begin() + offset, order.begin() + offset + l));
        offset += l;
    }
    return out;
}

std::vector<Subset> random_split_fractions(std::shared_ptr<const Dataset> dataset,
                                           const std::vector<double>& fractions, Generator* generator) {
    DESCENT_CHECK(dataset != nullptr, "random_split_fractions: null dataset");
    DESCENT_CHECK(!fractions.empty(), "random_split_fractions: no fractions given");
    double sum = 0.0;
    for (double f : fractions) {
        DESCENT_CHECK(f >= 0.0 && f <= 1.0, "random_split_fractions: fraction ", f, " is not between 0 and 1");
        sum += f;
    }
    DESCENT_CHECK(std::abs(sum - 1.0) <= 1e-9, "random_split_fractions: fractions add up to ", sum, ", not 1");
    const std::int64_t n = dataset->size();
    std::vector<std::int64_t> lengths;
    std::int64_t assigned = 0;
    for (double f : fractions) {
        lengths.push_back(static_cast<std::int64_t>(std::floor(static_cast<double>(n) * f)));
        assigned += lengths.back();
    }
    // torch hands the remainder out round-robin, one example per subset.
    for (std::int64_t i = 0; i < n - assigned; ++i) lengths[static_cast<std::size_t>(i) % lengths.size()] += 1;
    return random_split(std::move(dataset), lengths, generator);
}

}  // namespace descent::data
