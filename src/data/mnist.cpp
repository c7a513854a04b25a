// MNIST-format data sets: the four IDX files are validated against each other
// once at load; batches are gathered straight from the pixel bytes.
#include "descent/data/mnist.hpp"

#include <filesystem>

#include "descent/data/idx.hpp"

namespace descent::data {

namespace fs = std::filesystem;

namespace {

std::string missing_hint(const std::string& package) {
    if (!package.empty())
        return "install Debian's package " + package + " (apt-get install " + package +
               ") or pass the folder holding the files as root";
    return "this data set has no Debian package: download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
           "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz into a folder and pass it as root";
}

// root/stem.gz, else root/stem.
std::string find_file(const std::string& root, const std::string& stem, const std::string& name,
                      const std::string& package) {
    for (const std::string& candidate : {stem + ".gz", stem}) {
        const fs::path p = fs::path(root) / candidate;
        std::error_code ec;
        if (fs::is_regular_file(p, ec)) return p.string();
    }
    detail::fail(name, ": neither ", stem, ".gz nor ", stem, " is in ", root, "; ", missing_hint(package));
}

}  // namespace

MNIST::MNIST(const MNISTOptions& options)
    : MNIST(options, "MNIST", "", "", {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}) {}

MNIST::MNIST(const MNISTOptions& options, std::string name, std::string default_root, std::string package,
             std::vector<std::string> classes)
    : root_(options.root.empty() ? default_root : options.root),
      train_(options.train),
      transform_(options.transform),
      classes_(std::move(classes)) {
    load(name, package);
}

void MNIST::load(const std::string& name, const std::string& package) {
    DESCENT_CHECK(!root_.empty(), name, ": no root folder given; ", missing_hint(package));
    std::error_code ec;
    DESCENT_CHECK(fs::is_directory(root_, ec), name, ": folder ", root_, " does not exist; ", missing_hint(package));
    const std::string prefix = train_ ? "train" : "t10k";
    const std::string images_path = find_file(root_, prefix + "-images-idx3-ubyte", name, package);
    const std::string labels_path = find_file(root_, prefix + "-labels-idx1-ubyte", name, package);

    IdxArray images = read_idx(images_path);
    DESCENT_CHECK(images.type == IdxType::UInt8 && images.shape.size() == 3, name, ": ", images_path,
                  " should hold ubyte images [N, H, W], but holds ", idx_type_name(images.type), " ",
                  shape_str(images.shape));
    IdxArray labels = read_idx(labels_path);
    DESCENT_CHECK(labels.type == IdxType::UInt8 && labels.shape.size() == 1, name, ": ", labels_path,
                  " should hold ubyte labels [N], but holds ", idx_type_name(labels.type), " ",
                  shape_str(labels.shape));
    DESCENT_CHECK(images.shape[0] == labels.shape[0], name, ": ", images_path, " holds ", images.shape[0],
                  " images but ", labels_path, " holds ", labels.shape[0], " labels");
    count_ = images.shape[0];
    height_ = images.shape[1];
    width_ = images.shape[2];
    labels_.resize(static_cast<std::size_t>(count_));
    const std::int64_t num_classes = static_cast<std::int64_t>(classes_.size());
    for (std::int64_t i = 0; i < count_; ++i) {
        labels_[i] = labels.data[i];
        DESCENT_CHECK(labels_[i] < num_classes, name, ": ", labels_path, ": label ", labels_[i], " of example ", i,
                      " (byte offset ", 8 + i, " of the uncompressed file) is not a class index below ", num_classes);
    }
    pixels_ = std::move(images.data);
}

const std::uint8_t* MNIST::image_bytes(std::int64_t index) const {
    DESCENT_CHECK(index >= 0 && index < count_, "MNIST: index ", index, " is out of range for a data set of ", count_,
                  " examples");
    return pixels_.data() + index * height_ * width_;
}

Tensor MNIST::raw_images(const std::vector<std::int64_t>& indices) const {
    const std::int64_t n = static_cast<std::int64_t>(indices.size());
    const std::int64_t plane = height_ * width_;
    Tensor out = make_tensor({n, 1, height_, width_}, kInt64);
    std::int64_t* dst = out.data_ptr<std::int64_t>();
    for (std::int64_t k = 0; k < n; ++k) {
        const std::uint8_t* src = image_bytes(indices[k]);
        for (std::int64_t p = 0; p < plane; ++p) dst[k * plane + p] = src[p];
    }
    return out;
}

Example MNIST::get_batch(const std::vector<std::int64_t>& indices) const {
    const std::int64_t n = static_cast<std::int64_t>(indices.size());
    // The default transform (ToFloat), and a Compose that starts with it, get float pixels
    // straight from the bytes: the same values without an int64 copy of the batch.
    const auto* compose = transform_.target<transforms::Compose>();
    const bool from_bytes = transform_.target<transforms::ToFloat>() != nullptr ||
                            (compose && !compose->transforms.empty() &&
                             compose->transforms.front().target<transforms::ToFloat>() != nullptr);
    Tensor images;
    if (from_bytes) {
        const std::int64_t plane = height_ * width_;
        images = make_tensor({n, 1, height_, width_}, kFloat32);
        float* dst = images.data_ptr<float>();
        for (std::int64_t k = 0; k < n; ++k) transforms::ToFloat::from_bytes(image_bytes(indices[k]), dst + k * plane, plane);
        if (compose) images = transforms::Compose{{compose->transforms.begin() + 1, compose->transforms.end()}}(images);
    } else {
        images = raw_images(indices);  // checks the indices
        if (transform_) images = transform_(images);
    }
    Tensor targets = make_tensor({n}, kInt64);
    std::int64_t* t = targets.data_ptr<std::int64_t>();
    for (std::int64_t k = 0; k < n; ++k) t[k] = labels_[indices[k]];
    return {images, targets};
}

Example MNIST::get(std::int64_t index) const {
    Example batch = get_batch({index});
    return {batch.input.select(0, 0), batch.target.select(0, 0)};
}

Tensor MNIST::targets() const { return Tensor::from(labels_, {count_}); }

FashionMNIST::FashionMNIST(const MNISTOptions& options)
    : MNIST(options, "FashionMNIST", kFashionMNISTRoot, "dataset-fashion-mnist", class_names()) {}

const std::vector<std::string>& FashionMNIST::class_names() {
    static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                   "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    return names;
}

}  // namespace descent::data
