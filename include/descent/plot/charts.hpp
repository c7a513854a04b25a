// Figures for classifiers of many classes (Fashion-MNIST and the like): the
// confusion matrix as a heatmap with class names, and a grid of images with their
// labels where mistakes are framed in red.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "descent/core/tensor.hpp"

namespace descent::plot {

struct ConfusionOptions {
    std::string title = "Confusion matrix";
    /// Colour each row by its share of the true class (the counts are printed either way).
    bool normalize = true;
    int width = 0, height = 0;  ///< 0: sized to the number of classes
};

/// Saves the heatmap of `counts` ([k, k], integer or float; row = true class,
/// column = predicted class) with `class_names` (k names, or empty for 0..k-1).
void save_confusion_matrix(const Tensor& counts, const std::vector<std::string>& class_names,
                           const std::filesystem::path& path, const ConfusionOptions& options = {});

/// Counts of (true, predicted) pairs: a [k, k] int64 tensor from two 1-D integer tensors.
Tensor confusion_matrix(const Tensor& targets, const Tensor& predicted, std::int64_t num_classes);

struct ImageGridOptions {
    std::string title;
    int columns = 8;
    int cell = 84;  ///< pixels per image side (images are scaled without smoothing)
};

/// Saves a grid of grayscale images ([N, H, W] or [N, 1, H, W], values in [0, 1] or
/// [0, 255]) captioned with their labels. With `predicted` (N classes, may be
/// undefined) the caption reads "predicted (true)" and mistakes are framed in red.
void save_image_grid(const Tensor& images, const Tensor& labels, const Tensor& predicted,
                     const std::vector<std::string>& class_names, const std::filesystem::path& path,
                     const ImageGridOptions& options = {});

}  // namespace descent::plot
