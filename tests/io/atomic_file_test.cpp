// Atomic saves: a save that fails while writing (a full disk, simulated with
// RLIMIT_FSIZE), at the rename, or that is abandoned midway leaves the previous
// file byte for byte intact and no temporary file behind.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "descent/io/atomic_file.hpp"
#include "descent/io/safetensors.hpp"

using namespace descent;
using namespace descent::io;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("descent_atomic_test_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    std::string file(const std::string& name) const { return (path / name).string(); }
    std::size_t count() const {
        std::size_t n = 0;
        for ([[maybe_unused]] const auto& e : fs::directory_iterator(path)) ++n;
        return n;
    }
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Lowers the file size limit for its lifetime: writes past it fail with EFBIG, as on a full disk.
struct FileSizeLimit {
    rlimit saved{};
    void (*old_handler)(int) = nullptr;
    explicit FileSizeLimit(rlim_t bytes) {
        getrlimit(RLIMIT_FSIZE, &saved);
        old_handler = std::signal(SIGXFSZ, SIG_IGN);  // else the kernel kills the process
        rlimit lower = saved;
        lower.rlim_cur = bytes;
        setrlimit(RLIMIT_FSIZE, &lower);
    }
    ~FileSizeLimit() {
        setrlimit(RLIMIT_FSIZE, &saved);
        std::signal(SIGXFSZ, old_handler);
    }
};

}  // namespace

TEST(AtomicFile, ReplacesTheFileAndLeavesNoTemporary) {
    TempDir dir;
    write_file_atomic(dir.file("a"), "first");
    write_file_atomic(dir.file("a"), "second, longer");
    EXPECT_EQ(read_file(dir.file("a")), "second, longer");
    EXPECT_EQ(dir.count(), 1u);
}

TEST(AtomicFile, FullDiskLeavesThePreviousFileIntact) {
    TempDir dir;
    StateDict small;
    small.insert("w", Tensor::ones({4}));
    save_safetensors(dir.file("model.safetensors"), small);
    const std::string before = read_file(dir.file("model.safetensors"));

    StateDict large;
    large.insert("w", Tensor::ones({100000}));  // 400 kB, far over the limit below
    std::string message;
    {
        FileSizeLimit limit(64 * 1024);
        try {
            save_safetensors(dir.file("model.safetensors"), large);
        } catch (const Error& e) {
            message = e.what();
        }
    }
    EXPECT_NE(message.find("model.safetensors"), std::string::npos) << message;
    EXPECT_NE(message.find("at byte offset"), std::string::npos) << message;
    EXPECT_NE(message.find("previous file is unchanged"), std::string::npos) << message;
    EXPECT_EQ(read_file(dir.file("model.safetensors")), before);
    EXPECT_EQ(load_safetensors(dir.file("model.safetensors")).at("w").to_vector<float>(), (std::vector<float>(4, 1.0f)));
    EXPECT_EQ(dir.count(), 1u);  // the temporary file is gone
}

TEST(AtomicFile, FailedRenameLeavesTheTargetIntact) {
    TempDir dir;
    // The target is a non-empty folder: rename(2) refuses to replace it.
    fs::create_directories(dir.path / "target" / "inside");
    EXPECT_THROW(write_file_atomic(dir.file("target"), "data"), Error);
    EXPECT_TRUE(fs::is_directory(dir.path / "target" / "inside"));
    EXPECT_EQ(dir.count(), 1u);
}

TEST(AtomicFile, AbandonedWriteLeavesThePreviousFile) {
    TempDir dir;
    write_file_atomic(dir.file("a"), "old contents");
    {
        AtomicFile f(dir.file("a"));
        f.write("half of the new con");
        EXPECT_TRUE(fs::exists(f.temp_path()));
        EXPECT_EQ(fs::path(f.temp_path()).parent_path(), dir.path);  // same folder: rename stays atomic
        // No commit: as if an exception unwound the save.
    }
    EXPECT_EQ(read_file(dir.file("a")), "old contents");
    EXPECT_EQ(dir.count(), 1u);
}

TEST(AtomicFile, UncreatableTemporaryIsAnErrorNamingThePath) {
    try {
        write_file_atomic("/nonexistent/folder/model.safetensors", "x");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/folder/model.safetensors"), std::string::npos);
    }
}

TEST(AtomicFile, WriteAfterCommitIsAnError) {
    TempDir dir;
    AtomicFile f(dir.file("a"));
    f.write("x");
    f.commit();
    EXPECT_THROW(f.write("y"), Error);
    EXPECT_THROW(f.commit(), Error);
    EXPECT_EQ(read_file(dir.file("a")), "x");
}
