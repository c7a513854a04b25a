// Checkpoints: every part round-trips exactly (generator streams continue
// bit for bit), and files that are not checkpoints are refused clearly.
#include <gtest/gtest.h>

#include <filesystem>

#include "descent/io/checkpoint.hpp"

using namespace descent;
using namespace descent::io;
namespace fs = std::filesystem;

namespace {
struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("descent_ckpt_test_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string error_of(const std::string& path) {
    try {
        load_checkpoint(path);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST(Checkpoint, RoundTripsEveryPart) {
    TempDir dir;
    Generator loader(42), init(7);
    init.normal();  // leaves a cached second normal: it must survive the round trip
    for (int i = 0; i < 5; ++i) loader.next_u64();

    Checkpoint c;
    c.model.insert("0.weight", Tensor::randn({4, 3}));
    c.model.insert("1.running_mean", Tensor::randn({4}));
    c.model.insert("1.num_batches_tracked", Tensor::scalar(3, {.dtype = kInt64}));
    c.optimizer.insert("state.0.exp_avg", Tensor::randn({4, 3}));
    c.optimizer.insert("state.0.step", Tensor::scalar(10, {.dtype = kFloat32}));
    c.optimizer.insert("param_groups.0.lr", Tensor::scalar(0.001, {.dtype = kFloat64}));
    c.scheduler.insert("last_epoch", Tensor::scalar(4, {.dtype = kInt64}));
    c.loader.insert("epoch", Tensor::scalar(4, {.dtype = kInt64}));
    c.epoch = 4;
    c.generators["loader"] = loader.get_state();
    c.generators["init"] = init.get_state();
    c.metadata["recipe"] = "fmnist-cnn";
    save_checkpoint(dir.file("ckpt.safetensors"), c);

    Checkpoint r = load_checkpoint(dir.file("ckpt.safetensors"));
    EXPECT_EQ(r.epoch, 4);
    EXPECT_EQ(r.metadata, (Metadata{{"recipe", "fmnist-cnn"}}));
    auto same = [](const StateDict& a, const StateDict& b) {
        ASSERT_EQ(a.size(), b.size());
        for (const auto& [name, t] : a) {
            const Tensor& u = b.at(name);
            EXPECT_EQ(u.dtype(), t.dtype()) << name;
            EXPECT_EQ(u.shape(), t.shape()) << name;
            EXPECT_EQ(u.to_vector<double>(), t.to_vector<double>()) << name;
        }
    };
    same(c.model, r.model);
    same(c.optimizer, r.optimizer);
    same(c.scheduler, r.scheduler);
    same(c.loader, r.loader);
    ASSERT_EQ(r.generators.size(), 2u);
    Generator loader2, init2;
    loader2.set_state(r.generators.at("loader"));
    init2.set_state(r.generators.at("init"));
    EXPECT_EQ(init2.initial_seed(), 7u);
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(loader2.next_u64(), loader.next_u64());
        EXPECT_EQ(init2.normal(), init.normal());  // the cached normal comes first, bit for bit
    }
}

TEST(Checkpoint, APlainModelFileIsNotACheckpoint) {
    TempDir dir;
    StateDict sd;
    sd.insert("0.weight", Tensor::ones({2}));
    save_safetensors(dir.file("model.safetensors"), sd);
    const std::string e = error_of(dir.file("model.safetensors"));
    EXPECT_NE(e.find("is not a descent checkpoint"), std::string::npos) << e;
    EXPECT_NE(e.find("model.safetensors"), std::string::npos) << e;
}

TEST(Checkpoint, MalformedEntriesAreErrors) {
    TempDir dir;
    const Metadata tag = {{"format", "descent.checkpoint"}, {"version", "1"}};
    StateDict sd;
    sd.insert("epoch", Tensor::scalar(1, {.dtype = kInt64}));
    sd.insert("generator.loader", Tensor::zeros({6}, {.dtype = kInt64}));
    save_safetensors(dir.file("a"), sd, tag);
    EXPECT_NE(error_of(dir.file("a")).find("\"generator.loader\": expected an int64 [7] tensor"), std::string::npos)
        << error_of(dir.file("a"));

    StateDict extra;
    extra.insert("epoch", Tensor::scalar(1, {.dtype = kInt64}));
    extra.insert("stray", Tensor::ones({1}));
    save_safetensors(dir.file("b"), extra, tag);
    EXPECT_NE(error_of(dir.file("b")).find("unexpected entry \"stray\""), std::string::npos);

    StateDict no_epoch;
    save_safetensors(dir.file("c"), no_epoch, tag);
    EXPECT_NE(error_of(dir.file("c")).find("no \"epoch\""), std::string::npos);

    save_safetensors(dir.file("d"), sd, {{"format", "descent.checkpoint"}, {"version", "99"}});
    EXPECT_NE(error_of(dir.file("d")).find("unsupported checkpoint version \"99\""), std::string::npos);

    Checkpoint c;
    c.metadata["format"] = "mine";
    EXPECT_THROW(save_checkpoint(dir.file("e"), c), Error);
    c.metadata.clear();
    c.epoch = -1;
    EXPECT_THROW(save_checkpoint(dir.file("e"), c), Error);
}
