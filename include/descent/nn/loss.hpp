// Loss functions as small callables with PyTorch's names, formulas, defaults
// and reductions: `nn::BCELoss criterion; Tensor loss = criterion(output, target);`.
// Each holds its options and forwards to nn::functional (functional.hpp), where
// the math lives. Options are plain structs, fields in PyTorch's argument order:
// `nn::CrossEntropyLoss({.ignore_index = 0, .label_smoothing = 0.1})`.
#pragma once
#include <cstdint>
#include <string>

#include "descent/core/tensor.hpp"

namespace descent::nn {

/// How per-element losses are combined: kept as they are, averaged, or summed.
enum class Reduction { None, Mean, Sum };

/// "none", "mean" or "sum", as PyTorch spells it.
const char* reduction_name(Reduction reduction);

struct MSELossOptions {
    Reduction reduction = Reduction::Mean;
};
struct L1LossOptions {
    Reduction reduction = Reduction::Mean;
};
struct HuberLossOptions {
    Reduction reduction = Reduction::Mean;
    double delta = 1.0;  ///< where the loss turns from quadratic to linear; > 0
};
struct SmoothL1LossOptions {
    Reduction reduction = Reduction::Mean;
    double beta = 1.0;  ///< where the loss turns from quadratic to linear; ≥ 0 (0 gives L1)
};
struct BCELossOptions {
    Tensor weight;  ///< rescales each element; broadcastable to the input's shape
    Reduction reduction = Reduction::Mean;
};
struct BCEWithLogitsLossOptions {
    Tensor weight;  ///< rescales each element; broadcastable to the input's shape
    Reduction reduction = Reduction::Mean;
    Tensor pos_weight;  ///< weight of positive examples, broadcast along the last dim ([C] for [N, C])
};
struct CrossEntropyLossOptions {
    Tensor weight;                     ///< [C]: a weight per class
    std::int64_t ignore_index = -100;  ///< class-index targets equal to it add nothing (not even to the mean's count)
    Reduction reduction = Reduction::Mean;
    double label_smoothing = 0.0;      ///< in [0, 1]: mixes the target with the uniform distribution
};
struct NLLLossOptions {
    Tensor weight;                     ///< [C]: a weight per class
    std::int64_t ignore_index = -100;
    Reduction reduction = Reduction::Mean;
};

/// MSELoss: (x − y)².
class MSELoss {
public:
    MSELoss(const MSELossOptions& options = {}) : options(options) {}
    Tensor operator()(const Tensor& input, const Tensor& target) const;
    std::string to_string() const { return "MSELoss()"; }
    MSELossOptions options;
};

/// L1Loss: |x − y|.
class L1Loss {
public:
    L1Loss(const L1LossOptions& options = {}) : options(options) {}
    Tensor operator()(const Tensor& input, const Tensor& target) const;
    std::string to_string() const { return "L1Loss()"; }
    L1LossOptions options;
};

/// HuberLoss: ½(x − y)² where |x − y| < delta, else delta·(|x − y| − ½delta).
class HuberLoss {
public:
    HuberLoss(const HuberLossOptions& options = {}) : options(options) {}
    Tensor operator()(const Tensor& input, const Tensor& target) const;
    std::string to_string() const { return "HuberLoss()"; }
    HuberLossOptions options;
};

/// SmoothL1Loss: ½(x − y)²/beta where |x − y| < beta, else |x − y| − ½beta.
class SmoothL1Loss {
public:
    SmoothL1Loss(const SmoothL1LossOptions& options = {}) : options(options) {}
    Tensor operator()(const Tensor& input, const Tensor& target) const;
    std::string to_string() const { return "SmoothL1Loss()"; }
    SmoothL1LossOptions options;
};

/// BCELoss on probabilities x ∈ [0, 1]: −w·(y·log x + (1 − y)·log(1 − x)), each log clamped at −100.
class BCELoss {
public:
    BCELoss(const BCELossOptions& options = {}) : options(options) {}
    Tensor operator()(const Tensor& input, const Tensor& target) const;
    std::string to_string() const { return "BCELoss()"; }
    BCELossOptions options;
};

/// BCEWithLogitsLoss on logits x: −w·(p·y·log σ(x) + (1 − y)·log(1 − σ(x))), p = pos_weight,
/// computed stably (no overflow for any finite x).
class BCEWithLogitsLoss {
public:
    BCEWithLogitsLoss(const BCEWithLogitsLossOptions& options = {}) : options(options) {}
    Tensor operator()(const Tensor& input, const Tensor& target) const;
    std::string to_string() const { return "BCEWithLogitsLoss()"; }
    BCEWithLogitsLossOptions options;
};

/// CrossEntropyLoss on logits [N, C] or [N, C, d1, ...] (or [C]): log_softmax over dim 1, then
/// the negative log-likelihood of class-index targets (int64 [N] or [N, d1, ...]) or the cross
/// entropy with class-probability targets (floating, the input's shape).
class CrossEntropyLoss {
public:
    CrossEntropyLoss(const CrossEntropyLossOptions& options = {}) : options(options) {}
    Tensor operator()(const Tensor& input, const Tensor& target) const;
    std::string to_string() const { return "CrossEntropyLoss()"; }
    CrossEntropyLossOptions options;
};

/// NLLLoss on log-probabilities [N, C] or [N, C, d1, ...] (or [C]) with int64 class indices:
/// −weight[t]·x[n, t].
class NLLLoss {
public:
    NLLLoss(const NLLLossOptions& options = {}) : options(options) {}
    Tensor operator()(const Tensor& input, const Tensor& target) const;
    std::string to_string() const { return "NLLLoss()"; }
    NLLLossOptions options;
};

}  // namespace descent::nn
