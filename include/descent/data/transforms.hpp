// Image transforms, as torchvision.transforms, applied by a dataset to a batch
// of images [N, C, H, W] (a single image [C, H, W] works too). Each transform is
// a plain struct with PyTorch's defaults; random ones draw from their Generator
// (nullptr = default_generator()), one draw sequence per image in batch order:
//
//     data::FashionMNIST train_set({.transform = transforms::Compose{{
//         transforms::ToFloat{},
//         transforms::RandomCrop{.size = 28, .padding = 4, .generator = &gen},
//         transforms::RandomHorizontalFlip{.generator = &gen},
//         transforms::Normalize{.mean = {0.2860}, .std = {0.3530}}}}});
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "descent/core/generator.hpp"
#include "descent/core/tensor.hpp"

namespace descent::data::transforms {

/// Any transform: images in, images out (never recorded by autograd).
using Transform = std::function<Tensor(const Tensor&)>;

/// Integer pixels 0..255 → float32 in [0, 1] (torchvision's ToTensor scaling);
/// floating input is converted to float32 unchanged.
struct ToFloat {
    Tensor operator()(const Tensor& images) const;
    /// The same values straight from 8-bit pixels: datasets that hold bytes call it
    /// rather than staging them as int64 first.
    static void from_bytes(const std::uint8_t* pixels, float* out, std::int64_t n);
};

/// Per channel: (x - mean[c]) / std[c]; one value applies to every channel.
struct Normalize {
    std::vector<double> mean;
    std::vector<double> std;
    Tensor operator()(const Tensor& images) const;
};

/// Pads each side by `padding` pixels of `fill`, then cuts a random size×size window
/// (torchvision's RandomCrop(size, padding) with padding_mode="constant"). Offsets:
/// top = below(H + 2p - size + 1), then left = below(W + 2p - size + 1).
struct RandomCrop {
    std::int64_t size = 0;
    std::int64_t padding = 0;
    double fill = 0.0;
    Generator* generator = nullptr;
    Tensor operator()(const Tensor& images) const;
};

/// Mirrors each image left–right with probability p (one uniform draw per image).
struct RandomHorizontalFlip {
    double p = 0.5;
    Generator* generator = nullptr;
    Tensor operator()(const Tensor& images) const;
};

/// Applies the transforms in order; an empty Compose is the identity.
struct Compose {
    std::vector<Transform> transforms;
    Tensor operator()(const Tensor& images) const;
};

}  // namespace descent::data::transforms
