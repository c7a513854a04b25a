// nn::Dropout: inverted dropout. In training mode each element is zeroed with
// probability p and the survivors are scaled by 1/(1 − p), so evaluation mode
// (where Dropout is the identity) needs no rescaling.
#pragma once
#include <string>

#include "descent/nn/module.hpp"

namespace descent::nn {

/// Options of Dropout, with PyTorch's defaults.
struct DropoutOptions {
    double p = 0.5;                  ///< probability of zeroing an element, in [0, 1]
    Generator* generator = nullptr;  ///< draws the masks; nullptr = default_generator()
};

/// Dropout(p = 0.5): training mode zeroes elements with probability p and scales the rest by
/// 1/(1 − p) (p = 1 gives zeros); eval mode returns the input unchanged.
class Dropout : public Module {
public:
    /// Throws descent::Error unless 0 ≤ p ≤ 1.
    Dropout(const DropoutOptions& options = {});
    explicit Dropout(double p, Generator* generator = nullptr) : Dropout(DropoutOptions{p, generator}) {}

    Tensor forward(const Tensor& input) override;
    std::string name() const override { return "Dropout"; }
    /// "p=0.5, inplace=False" (descent never drops in place).
    std::string extra_repr() const override;

    double p;
    Generator* generator;
};

}  // namespace descent::nn
