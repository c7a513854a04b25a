// MNIST and Fashion-MNIST: 28×28 grey images in 10 classes, read from the four
// IDX files (gzipped or not) in a root folder, as torchvision.datasets.MNIST.
// The pixels stay in memory as bytes; get_batch gathers the requested images in
// one pass and hands them, as int64 [N, 1, 28, 28], to the dataset's transform
// (by default ToFloat: float32 in [0, 1]).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "descent/data/dataset.hpp"
#include "descent/data/transforms.hpp"

namespace descent::data {

/// Where Debian's package dataset-fashion-mnist installs the Fashion-MNIST files.
inline constexpr const char* kFashionMNISTRoot = "/usr/share/datasets/fashion-mnist";

/// Options of MNIST and FashionMNIST.
struct MNISTOptions {
    /// Folder holding train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
    /// t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]. Empty: the default
    /// folder (FashionMNIST: kFashionMNISTRoot; MNIST has none, as Debian does not package it).
    std::string root;
    /// The 60,000 training examples, or else the 10,000 test examples.
    bool train = true;
    /// Applied to every batch of images [N, 1, 28, 28] (int64 pixels 0..255).
    transforms::Transform transform = transforms::ToFloat{};
};

/// The MNIST digits. An example is (image, class index as 0-dim int64).
class MNIST : public Dataset {
public:
    explicit MNIST(const MNISTOptions& options);

    std::int64_t size() const override { return count_; }
    /// Image `index` after the transform (float32 [1, 28, 28] by default) and its class.
    Example get(std::int64_t index) const override;
    /// Images [N, 1, 28, 28] after the transform and targets int64 [N], gathered in one pass.
    Example get_batch(const std::vector<std::int64_t>& indices) const override;

    /// Every target, int64 [size()].
    Tensor targets() const;
    /// The untransformed pixels of the given images, int64 [N, 1, 28, 28] with values 0..255.
    Tensor raw_images(const std::vector<std::int64_t>& indices) const;
    /// Class names, indexed by class ("0".."9" for MNIST, "T-shirt/top".. for Fashion-MNIST).
    const std::vector<std::string>& classes() const { return classes_; }
    std::int64_t num_classes() const { return static_cast<std::int64_t>(classes_.size()); }
    /// The folder the files were read from.
    const std::string& root() const { return root_; }
    bool train() const { return train_; }
    std::int64_t height() const { return height_; }
    std::int64_t width() const { return width_; }

protected:
    /// For data sets in MNIST's format: `name` and `package` appear in error messages
    /// (package: the Debian package that installs `default_root`, or "" when none does).
    MNIST(const MNISTOptions& options, std::string name, std::string default_root, std::string package,
          std::vector<std::string> classes);

private:
    void load(const std::string& name, const std::string& package);
    const std::uint8_t* image_bytes(std::int64_t index) const;  // checks the index

    std::string root_;
    bool train_ = true;
    transforms::Transform transform_;
    std::vector<std::string> classes_;
    std::vector<std::uint8_t> pixels_;  // count_ × height_ × width_
    std::vector<std::int64_t> labels_;
    std::int64_t count_ = 0, height_ = 0, width_ = 0;
};

/// Zalando's Fashion-MNIST: the same format as MNIST, ten kinds of clothing.
/// The default root is where Debian's dataset-fashion-mnist installs it.
class FashionMNIST : public MNIST {
public:
    explicit FashionMNIST(const MNISTOptions& options = {});
    /// "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot".
    static const std::vector<std::string>& class_names();
};

}  // namespace descent::data
