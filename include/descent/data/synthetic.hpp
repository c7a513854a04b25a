// Synthetic 2-D classification sets for the book's experiments: the linear split,
// XOR, two moons, concentric circles, spirals and Gaussian blobs. Each takes the
// number of points n, a noise level and a seed, and draws from descent::Generator
// only, so a seed gives the same points on every platform.
//
//     auto moons = data::make_moons(200, {.noise = 0.1, .seed = 7});
//     data::TensorDataset ds = moons.binary_dataset();  // inputs [200, 2], targets [200, 1] float32
#pragma once
#include <cstdint>

#include "descent/core/tensor.hpp"
#include "descent/data/tensor_dataset.hpp"

namespace descent::data {

/// Labelled points in the plane.
struct Points2D {
    Tensor inputs;                 ///< [n, 2] float32
    Tensor labels;                 ///< [n] int64 class indices in [0, num_classes)
    std::int64_t num_classes = 2;

    /// labels as float32 [n, 1] of 0 and 1, the target of BCELoss/MSELoss with one
    /// output unit; an error unless num_classes == 2.
    Tensor binary_targets() const;
    /// (inputs, binary_targets()): for a sigmoid output and BCELoss.
    TensorDataset binary_dataset() const;
    /// (inputs, labels): for logits and CrossEntropyLoss.
    TensorDataset dataset() const;
};

/// Noise and seed shared by every set.
struct SyntheticOptions {
    /// Standard deviation of the Gaussian noise added to each coordinate after the
    /// labels are decided (so noisy points may cross the boundary).
    double noise = 0.0;
    std::uint64_t seed = 0;
};

/// The book's set: x ~ N(0, 1)², label 1 where x0 + x1 > 0.
Points2D make_linear(std::int64_t n, SyntheticOptions options = {});
/// x ~ U(-1, 1)², label 1 where x0 and x1 have different signs.
Points2D make_xor(std::int64_t n, SyntheticOptions options = {});
/// Two interleaved half circles (sklearn's make_moons): label 0 on (cos t, sin t),
/// label 1 on (1 - cos t, 1/2 - sin t), t evenly spaced in [0, π]; shuffled.
Points2D make_moons(std::int64_t n, SyntheticOptions options = {});
/// Two concentric circles (sklearn's make_circles): label 0 on the unit circle, label 1
/// on the circle of radius `factor` (0 < factor < 1); angles evenly spaced; shuffled.
Points2D make_circles(std::int64_t n, double factor = 0.5, SyntheticOptions options = {});
/// `arms` interleaved spirals, one class each: arm k at radius r ∈ [0.05, 1] has angle
/// 2πk/arms + 3πr (one and a half turns); points split evenly; shuffled.
Points2D make_spirals(std::int64_t n, std::int64_t arms = 2, SyntheticOptions options = {});
/// `centers` Gaussian blobs, one class each, centred on the circle of radius 3 at angles
/// 2πk/centers, with standard deviation cluster_std (plus options.noise); shuffled.
Points2D make_blobs(std::int64_t n, std::int64_t centers = 3, double cluster_std = 0.5, SyntheticOptions options = {});

}  // namespace descent::data
