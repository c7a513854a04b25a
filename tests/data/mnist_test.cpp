// MNIST / FashionMNIST on small fake IDX folders (gzipped and raw), their error
// messages (missing folder names the Debian package), batching and transforms;
// and, when Debian's dataset-fashion-mnist is installed, the real test split.
#include <gtest/gtest.h>

#include <filesystem>

#include "descent/data/idx.hpp"
#include "descent/data/mnist.hpp"

using namespace descent;
using namespace descent::data;
namespace fs = std::filesystem;

namespace {

struct FakeRoot {
    fs::path path;
    std::vector<std::uint8_t> pixels;  // N × H × W
    std::vector<std::uint8_t> labels;
    static constexpr std::int64_t N = 5, H = 3, W = 4;

    explicit FakeRoot(bool gzip = true) {
        path = fs::temp_directory_path() / ("descent_mnist_test_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(path);
        fs::create_directories(path);
        for (std::int64_t i = 0; i < N * H * W; ++i) pixels.push_back(static_cast<std::uint8_t>((i * 37) % 256));
        labels = {3, 0, 9, 3, 7};
        const std::string ext = gzip ? ".gz" : "";
        for (const char* split : {"train", "t10k"}) {
            write_idx(file(std::string(split) + "-images-idx3-ubyte" + ext), IdxType::UInt8, {N, H, W}, pixels.data(), gzip);
            write_idx(file(std::string(split) + "-labels-idx1-ubyte" + ext), IdxType::UInt8, {N}, labels.data(), gzip);
        }
    }
    ~FakeRoot() { fs::remove_all(path); }
    std::string file(const std::string& name) const { return (path / name).string(); }
    std::string root() const { return path.string(); }
};

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(MNIST, DefaultTransformGivesFloatImagesInUnitRange) {
    FakeRoot fake;
    MNIST ds({.root = fake.root()});
    ASSERT_EQ(ds.size(), FakeRoot::N);
    EXPECT_EQ(ds.num_classes(), 10);
    EXPECT_EQ(ds.height(), 3);
    EXPECT_EQ(ds.width(), 4);
    Example e = ds.get(2);
    EXPECT_EQ(e.input.dtype(), kFloat32);
    EXPECT_EQ(e.input.shape(), (Shape{1, 3, 4}));
    EXPECT_EQ(e.target.dtype(), kInt64);
    EXPECT_EQ(e.target.dim(), 0);
    EXPECT_EQ(e.target.item<std::int64_t>(), 9);
    const std::vector<float> v = e.input.to_vector<float>();
    for (std::int64_t p = 0; p < 12; ++p) EXPECT_EQ(v[p], static_cast<float>(fake.pixels[2 * 12 + p]) / 255.0f);
}

TEST(MNIST, GetBatchGathersInIndexOrder) {
    FakeRoot fake(/*gzip=*/false);
    MNIST ds({.root = fake.root(), .train = false});
    EXPECT_FALSE(ds.train());
    const std::vector<std::int64_t> idx = {4, 0, 4, 1};
    Example b = ds.get_batch(idx);
    EXPECT_EQ(b.input.shape(), (Shape{4, 1, 3, 4}));
    EXPECT_EQ(b.target.shape(), (Shape{4}));
    EXPECT_EQ(b.target.to_vector<std::int64_t>(), (std::vector<std::int64_t>{7, 3, 7, 0}));
    const std::vector<float> v = b.input.to_vector<float>();
    for (std::size_t k = 0; k < idx.size(); ++k)
        for (std::int64_t p = 0; p < 12; ++p)
            EXPECT_EQ(v[k * 12 + p], static_cast<float>(fake.pixels[idx[k] * 12 + p]) / 255.0f);
    // The same example alone and in a batch.
    EXPECT_EQ(ds.get(1).input.to_vector<float>(), b.input.select(0, 3).to_vector<float>());
    EXPECT_EQ(ds.targets().to_vector<std::int64_t>(), (std::vector<std::int64_t>{3, 0, 9, 3, 7}));
    EXPECT_EQ(ds.raw_images({1}).to_vector<std::int64_t>()[5], fake.pixels[12 + 5]);
}

TEST(MNIST, TransformIsAppliedPerBatch) {
    FakeRoot fake;
    MNIST ds({.root = fake.root(),
              .transform = transforms::Compose{{transforms::ToFloat{}, transforms::Normalize{{0.5}, {0.25}}}}});
    const std::vector<float> v = ds.get_batch({0, 3}).input.to_vector<float>();
    for (std::int64_t p = 0; p < 12; ++p) {
        const float x = static_cast<float>(fake.pixels[3 * 12 + p]) / 255.0f;
        EXPECT_EQ(v[12 + p], (x - 0.5f) / 0.25f);
    }
    // No transform: the raw int64 pixels.
    MNIST raw({.root = fake.root(), .transform = nullptr});
    EXPECT_EQ(raw.get(0).input.dtype(), kInt64);
}

// ToFloat, alone or first in a Compose, reads the pixel bytes directly; any other transform gets
// the int64 batch. Both routes must give the same bits.
TEST(MNIST, ByteRouteEqualsTheInt64Route) {
    FakeRoot fake;
    const std::vector<std::int64_t> idx = {4, 0, 2, 2, 1, 3};
    const transforms::Transform rest = transforms::Normalize{{0.2860}, {0.3530}};
    const transforms::Transform flip = transforms::RandomHorizontalFlip{.p = 1.0};
    // Wrapped in lambdas, the same transforms are opaque to get_batch and take the int64 route.
    auto opaque = [](transforms::Transform t) { return transforms::Transform([t](const Tensor& x) { return t(x); }); };
    const std::vector<std::pair<transforms::Transform, transforms::Transform>> cases = {
        {transforms::ToFloat{}, opaque(transforms::ToFloat{})},
        {transforms::Compose{{transforms::ToFloat{}}}, opaque(transforms::ToFloat{})},
        {transforms::Compose{{transforms::ToFloat{}, rest, flip}},
         opaque(transforms::Compose{{transforms::ToFloat{}, rest, flip}})},
    };
    for (const auto& [direct, staged] : cases) {
        const Example a = MNIST({.root = fake.root(), .transform = direct}).get_batch(idx);
        const Example b = MNIST({.root = fake.root(), .transform = staged}).get_batch(idx);
        ASSERT_EQ(a.input.shape(), b.input.shape());
        ASSERT_EQ(a.input.dtype(), kFloat32);
        EXPECT_EQ(a.input.to_vector<float>(), b.input.to_vector<float>());
        EXPECT_EQ(a.target.to_vector<std::int64_t>(), b.target.to_vector<std::int64_t>());
    }
    // A bad index is reported on the byte route as on the other.
    MNIST ds({.root = fake.root()});
    EXPECT_NE(error_of([&] { ds.get_batch({0, FakeRoot::N}); }).find("index 5 is out of range"), std::string::npos);
}

TEST(MNIST, IndexOutOfRangeIsAnError) {
    FakeRoot fake;
    MNIST ds({.root = fake.root()});
    EXPECT_THROW(ds.get(5), Error);
    EXPECT_THROW(ds.get(-1), Error);
    EXPECT_THROW(ds.get_batch({0, 99}), Error);
}

TEST(MNIST, MissingFolderNamesTheDebianPackage) {
    std::string e = error_of([] { FashionMNIST ds({.root = "/nonexistent/fmnist"}); });
    EXPECT_NE(e.find("/nonexistent/fmnist"), std::string::npos) << e;
    EXPECT_NE(e.find("dataset-fashion-mnist"), std::string::npos) << e;
    e = error_of([] { MNIST ds({}); });
    EXPECT_NE(e.find("no Debian package"), std::string::npos) << e;
}

TEST(MNIST, MissingOrInconsistentFilesAreErrors) {
    FakeRoot fake;
    fs::remove(fake.file("t10k-labels-idx1-ubyte.gz"));
    std::string e = error_of([&] { MNIST ds({.root = fake.root(), .train = false}); });
    EXPECT_NE(e.find("t10k-labels-idx1-ubyte"), std::string::npos) << e;

    std::vector<std::uint8_t> labels = {1, 2, 3};  // 3 labels for 5 images
    write_idx(fake.file("t10k-labels-idx1-ubyte.gz"), IdxType::UInt8, {3}, labels.data(), true);
    e = error_of([&] { MNIST ds({.root = fake.root(), .train = false}); });
    EXPECT_NE(e.find("5 images"), std::string::npos) << e;

    labels = {1, 2, 10, 3, 4};  // 10 is not a class
    write_idx(fake.file("t10k-labels-idx1-ubyte.gz"), IdxType::UInt8, {5}, labels.data(), true);
    e = error_of([&] { MNIST ds({.root = fake.root(), .train = false}); });
    EXPECT_NE(e.find("label 10 of example 2"), std::string::npos) << e;

    const std::vector<std::int32_t> ints(5 * 12, 0);  // images of the wrong type
    write_idx(fake.file("train-images-idx3-ubyte.gz"), IdxType::Int32, {5, 3, 4}, ints.data(), true);
    e = error_of([&] { MNIST ds({.root = fake.root()}); });
    EXPECT_NE(e.find("ubyte images"), std::string::npos) << e;
}

TEST(FashionMNIST, ClassNames) {
    FakeRoot fake;
    FashionMNIST ds({.root = fake.root()});
    ASSERT_EQ(ds.classes().size(), 10u);
    EXPECT_EQ(ds.classes()[0], "T-shirt/top");
    EXPECT_EQ(ds.classes()[9], "Ankle boot");
}

TEST(FashionMNIST, DebianTestSplit) {
    ASSERT_TRUE(fs::exists(kFashionMNISTRoot)) << "dataset-fashion-mnist is not installed (scripts/install-deps.sh installs it)";
    FashionMNIST test({.train = false});
    ASSERT_EQ(test.size(), 10000);
    Example b = test.get_batch({0, 1, 9999});
    EXPECT_EQ(b.input.shape(), (Shape{3, 1, 28, 28}));
    EXPECT_EQ(b.input.dtype(), kFloat32);
    EXPECT_GE(b.input.min().item(), 0.0);
    EXPECT_LE(b.input.max().item(), 1.0);
    EXPECT_GT(b.input.max().item(), 0.5);  // not a blank image
    std::vector<int> counts(10, 0);
    for (auto t : test.targets().to_vector<std::int64_t>()) ++counts[t];
    for (int c : counts) EXPECT_EQ(c, 1000);  // the test split is balanced
}
