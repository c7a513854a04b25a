// IDX reader: round trips of every element type, raw and gzipped, the big-endian
// layout on disk, and corrupt inputs (truncated at every length, every single-bit
// flip, headers whose extents overflow or exceed the data) giving descent::Error.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "descent/data/idx.hpp"

using namespace descent;
using namespace descent::data;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() /
               ("descent_idx_test_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

std::vector<std::uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::uint8_t> gzip_bytes(const std::vector<std::uint8_t>& raw, const std::string& scratch) {
    gzFile f = gzopen(scratch.c_str(), "wb");
    gzwrite(f, raw.data(), static_cast<unsigned>(raw.size()));
    gzclose(f);
    return read_bytes(scratch);
}

// A 3×4×4 ubyte file built by hand (not by write_idx), so the reader is checked against the format itself.
std::vector<std::uint8_t> small_ubyte_file() {
    std::vector<std::uint8_t> b = {0x00, 0x00, 0x08, 0x03, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 4};
    for (int i = 0; i < 48; ++i) b.push_back(static_cast<std::uint8_t>(i * 5));
    return b;
}

std::string error_of(const std::string& path) {
    try {
        read_idx(path);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Idx, ReadsAHandWrittenUbyteFile) {
    TempDir dir;
    write_bytes(dir.file("a.idx"), small_ubyte_file());
    IdxArray a = read_idx(dir.file("a.idx"));
    EXPECT_EQ(a.type, IdxType::UInt8);
    EXPECT_EQ(a.shape, (Shape{3, 4, 4}));
    ASSERT_EQ(a.data.size(), 48u);
    for (int i = 0; i < 48; ++i) EXPECT_EQ(a.data[i], i * 5);
    Tensor t = a.to_tensor();
    EXPECT_EQ(t.dtype(), kInt64);
    EXPECT_EQ(t.shape(), (Shape{3, 4, 4}));
    EXPECT_EQ(t.to_vector<std::int64_t>()[47], 235);
}

TEST(Idx, GzippedAndRawGiveTheSameArray) {
    TempDir dir;
    write_bytes(dir.file("a.idx"), small_ubyte_file());
    write_bytes(dir.file("a.idx.gz"), gzip_bytes(small_ubyte_file(), dir.file("scratch.gz")));
    IdxArray raw = read_idx(dir.file("a.idx"));
    IdxArray gz = read_idx(dir.file("a.idx.gz"));
    EXPECT_EQ(gz.shape, raw.shape);
    EXPECT_EQ(gz.data, raw.data);
}

TEST(Idx, ConcatenatedGzipMembersAreOneStream) {
    TempDir dir;
    const std::vector<std::uint8_t> file = small_ubyte_file();
    const std::vector<std::uint8_t> head(file.begin(), file.begin() + 20), tail(file.begin() + 20, file.end());
    std::vector<std::uint8_t> both = gzip_bytes(head, dir.file("h.gz"));
    const std::vector<std::uint8_t> second = gzip_bytes(tail, dir.file("t.gz"));
    both.insert(both.end(), second.begin(), second.end());
    write_bytes(dir.file("cat.gz"), both);
    write_bytes(dir.file("plain.idx"), file);
    EXPECT_EQ(read_idx(dir.file("cat.gz")).data, read_idx(dir.file("plain.idx")).data);
}

TEST(Idx, EveryTypeRoundTripsAndIsBigEndianOnDisk) {
    TempDir dir;
    {
        const std::vector<std::int32_t> v = {0x01020304, -2, 7};
        write_idx(dir.file("i32"), IdxType::Int32, {3}, v.data());
        const auto bytes = read_bytes(dir.file("i32"));
        ASSERT_EQ(bytes.size(), 8u + 12u);
        EXPECT_EQ((std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + 12)),
                  (std::vector<std::uint8_t>{0, 0, 0x0C, 1, 0, 0, 0, 3, 0x01, 0x02, 0x03, 0x04}));
        EXPECT_EQ(read_idx(dir.file("i32")).to_tensor().to_vector<std::int64_t>(),
                  (std::vector<std::int64_t>{0x01020304, -2, 7}));
    }
    {
        const std::vector<std::int16_t> v = {-300, 300, 0, 1};
        write_idx(dir.file("i16.gz"), IdxType::Int16, {2, 2}, v.data(), /*gzip=*/true);
        IdxArray a = read_idx(dir.file("i16.gz"));
        EXPECT_EQ(a.type, IdxType::Int16);
        EXPECT_EQ(a.to_tensor().to_vector<std::int64_t>(), (std::vector<std::int64_t>{-300, 300, 0, 1}));
    }
    {
        const std::vector<std::int8_t> v = {-128, 127};
        write_idx(dir.file("i8"), IdxType::Int8, {2}, v.data());
        EXPECT_EQ(read_idx(dir.file("i8")).to_tensor().to_vector<std::int64_t>(), (std::vector<std::int64_t>{-128, 127}));
    }
    {
        const std::vector<float> v = {1.5f, -0.25f, 3e-7f};
        write_idx(dir.file("f32"), IdxType::Float32, {3, 1}, v.data());
        const auto bytes = read_bytes(dir.file("f32"));
        // 1.5f is 0x3FC00000: big-endian on disk.
        EXPECT_EQ((std::vector<std::uint8_t>(bytes.begin() + 12, bytes.begin() + 16)),
                  (std::vector<std::uint8_t>{0x3F, 0xC0, 0x00, 0x00}));
        Tensor t = read_idx(dir.file("f32")).to_tensor();
        EXPECT_EQ(t.dtype(), kFloat32);
        EXPECT_EQ(t.shape(), (Shape{3, 1}));
        EXPECT_EQ(t.to_vector<float>(), v);
    }
    {
        const std::vector<double> v = {0.1, -1e300};
        write_idx(dir.file("f64.gz"), IdxType::Float64, {2}, v.data(), true);
        Tensor t = read_idx(dir.file("f64.gz")).to_tensor();
        EXPECT_EQ(t.dtype(), kFloat64);
        EXPECT_EQ(t.to_vector<double>(), v);
    }
}

TEST(Idx, BadMagicTypeAndDimsNameFileAndOffset) {
    TempDir dir;
    auto with = [&](std::size_t at, std::uint8_t value) {
        auto b = small_ubyte_file();
        b[at] = value;
        write_bytes(dir.file("bad.idx"), b);
        return error_of(dir.file("bad.idx"));
    };
    std::string e = with(0, 0x01);
    EXPECT_NE(e.find(dir.file("bad.idx")), std::string::npos) << e;
    EXPECT_NE(e.find("magic"), std::string::npos) << e;
    EXPECT_NE(e.find("byte offset 0"), std::string::npos) << e;
    e = with(2, 0x07);
    EXPECT_NE(e.find("element type 0x7"), std::string::npos) << e;
    EXPECT_NE(e.find("byte offset 2"), std::string::npos) << e;
    e = with(3, 0);
    EXPECT_NE(e.find("byte offset 3"), std::string::npos) << e;
    e = with(15, 5);  // last extent 4 → 5: the data are now too short
    EXPECT_NE(e.find("[3, 4, 5]"), std::string::npos) << e;
    EXPECT_NE(e.find("ends at byte offset 64"), std::string::npos) << e;
    e = with(15, 3);  // 4 → 3: 12 bytes left over
    EXPECT_NE(e.find("12 unexpected bytes"), std::string::npos) << e;
    EXPECT_NE(e.find("byte offset 52"), std::string::npos) << e;
}

TEST(Idx, OversizedHeaderIsRejectedBeforeAllocating) {
    TempDir dir;
    // Three extents of 2^32-1 ubytes: more than 2^64 bytes, the product overflows.
    std::vector<std::uint8_t> b = {0, 0, 0x08, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2};
    write_bytes(dir.file("huge.idx"), b);
    std::string e = error_of(dir.file("huge.idx"));
    EXPECT_NE(e.find("more than 2^64"), std::string::npos) << e;
    // 2^31 doubles: fits in int64 but far exceeds the 2 bytes present.
    b = {0, 0, 0x0E, 1, 0x80, 0x00, 0x00, 0x00, 1, 2};
    write_bytes(dir.file("big.idx"), b);
    e = error_of(dir.file("big.idx"));
    EXPECT_NE(e.find("17179869184 data bytes"), std::string::npos) << e;
    EXPECT_NE(e.find("ends at byte offset 10"), std::string::npos) << e;
    // 255 dimensions announced in an 8-byte file.
    b = {0, 0, 0x08, 255, 0, 0, 0, 1};
    write_bytes(dir.file("dims.idx"), b);
    e = error_of(dir.file("dims.idx"));
    EXPECT_NE(e.find("truncated header"), std::string::npos) << e;
    EXPECT_NE(e.find("1024 header bytes"), std::string::npos) << e;
}

TEST(Idx, EveryTruncationIsAnError) {
    TempDir dir;
    const auto full = small_ubyte_file();
    const auto gz = gzip_bytes(full, dir.file("scratch.gz"));
    for (std::size_t n = 0; n < full.size(); ++n) {
        write_bytes(dir.file("t.idx"), std::vector<std::uint8_t>(full.begin(), full.begin() + n));
        EXPECT_THROW(read_idx(dir.file("t.idx")), Error) << "raw prefix of " << n << " bytes";
    }
    for (std::size_t n = 2; n < gz.size(); ++n) {  // from 2: a 0/1-byte prefix is not recognisable as gzip
        try {
            parse_idx(gz.data(), n, "t.idx.gz");
            ADD_FAILURE() << "gzip prefix of " << n << " bytes was accepted";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("t.idx.gz"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("byte offset"), std::string::npos) << e.what();
        }
    }
    write_bytes(dir.file("t.idx.gz"), std::vector<std::uint8_t>(gz.begin(), gz.begin() + gz.size() / 2));
    EXPECT_NE(error_of(dir.file("t.idx.gz")).find("truncated gzip stream"), std::string::npos);
}

TEST(Idx, EverySingleBitFlipIsAnErrorOrHarmless) {
    TempDir dir;
    const auto full = small_ubyte_file();
    const IdxArray original = parse_idx(full.data(), full.size(), "original");
    // Raw: a flip in the data is undetectable by design; a flip in the header must be caught
    // unless it describes another consistent file (e.g. ubyte → byte).
    for (std::size_t i = 0; i < full.size(); ++i)
        for (int bit = 0; bit < 8; ++bit) {
            auto b = full;
            b[i] ^= static_cast<std::uint8_t>(1 << bit);
            try {
                IdxArray a = parse_idx(b.data(), b.size(), "flipped");
                EXPECT_EQ(a.data.size(), original.data.size());
            } catch (const Error&) {
                EXPECT_LT(i, 16u) << "a flip in the data bytes was reported as an error";
            }
        }
    // Gzipped: the CRC-32 catches every flip in the compressed data; flips in the gzip
    // header's time stamp or OS byte are harmless, and then the contents must be intact.
    const auto gz = gzip_bytes(full, dir.file("scratch.gz"));
    int errors = 0;
    for (std::size_t i = 0; i < gz.size(); ++i)
        for (int bit = 0; bit < 8; ++bit) {
            auto b = gz;
            b[i] ^= static_cast<std::uint8_t>(1 << bit);
            try {
                IdxArray a = parse_idx(b.data(), b.size(), "f.gz");
                EXPECT_EQ(a.data, original.data) << "flip of bit " << bit << " of byte " << i << " went unnoticed";
            } catch (const Error& e) {
                ++errors;
                EXPECT_NE(std::string(e.what()).find("f.gz"), std::string::npos);
            }
        }
    EXPECT_GT(errors, static_cast<int>(gz.size()));  // most flips must be caught
}

TEST(Idx, TrailingGarbageAfterGzipIsAnError) {
    TempDir dir;
    auto gz = gzip_bytes(small_ubyte_file(), dir.file("scratch.gz"));
    const std::size_t size = gz.size();
    gz.push_back(0x42);
    write_bytes(dir.file("g.gz"), gz);
    const std::string e = error_of(dir.file("g.gz"));
    EXPECT_NE(e.find("garbage"), std::string::npos) << e;
    EXPECT_NE(e.find("byte offset " + std::to_string(size)), std::string::npos) << e;
}

TEST(Idx, MissingFileIsAnErrorNamingIt) {
    const std::string e = error_of("/nonexistent/dir/x-idx1-ubyte");
    EXPECT_NE(e.find("/nonexistent/dir/x-idx1-ubyte"), std::string::npos) << e;
}

TEST(Idx, WriteIdxRefusesBadShapes) {
    TempDir dir;
    std::uint8_t byte = 0;
    EXPECT_THROW(write_idx(dir.file("x"), IdxType::UInt8, {}, &byte), Error);
    EXPECT_THROW(write_idx(dir.file("x"), IdxType::UInt8, {std::int64_t(1) << 33}, &byte), Error);
}

// The file is streamed (and inflated) straight into the elements' vector: reading must not
// hold the file, or the inflated file, besides the elements (it did: +2x the data at the peak).
TEST(Idx, ReadingHoldsTheElementsOnlyOnce) {
    auto status_kb = [](const std::string& key) {
        std::ifstream status("/proc/self/status");
        for (std::string line; std::getline(status, line);)
            if (line.rfind(key, 0) == 0) return std::stol(line.substr(key.size()));
        return -1L;
    };
    TempDir dir;
    const std::size_t n = std::size_t(32) << 20;
    {
        std::vector<std::uint8_t> pixels(n);
        for (std::size_t i = 0; i < n; ++i) pixels[i] = static_cast<std::uint8_t>(i % 251);
        write_idx(dir.file("big.idx.gz"), IdxType::UInt8, {std::int64_t(n / 1024), 32, 32}, pixels.data(), true);
        write_idx(dir.file("big.idx"), IdxType::UInt8, {std::int64_t(n / 1024), 32, 32}, pixels.data());
    }
    // Each read runs in a child process: Linux starts a fork's VmHWM at its current resident size,
    // so the child's peak growth is the reader's alone, whatever the test process did before.
    for (const char* name : {"big.idx.gz", "big.idx"}) {
        int fds[2];
        ASSERT_EQ(pipe(fds), 0);
        const pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            close(fds[0]);
            long report[3] = {status_kb("VmHWM:"), -1, 0};  // peak before, peak after, data correct
            try {
                IdxArray a = read_idx(dir.file(name));
                report[1] = status_kb("VmHWM:");
                report[2] = a.data.size() == n && a.data[n - 1] == (n - 1) % 251;
            } catch (...) {
            }
            const bool sent = write(fds[1], report, sizeof report) == static_cast<ssize_t>(sizeof report);
            _exit(sent ? 0 : 1);
        }
        close(fds[1]);
        long report[3] = {};
        const ssize_t got = read(fds[0], report, sizeof report);
        close(fds[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << name << ": the reading child failed";
        ASSERT_EQ(got, static_cast<ssize_t>(sizeof report)) << name;
        ASSERT_GT(report[0], 0) << name;
        ASSERT_EQ(report[2], 1) << name << ": read_idx threw or returned the wrong elements";
        EXPECT_LT(report[1] - report[0], long(n + n / 2) / 1024)
            << name << ": the peak grew by " << report[1] - report[0] << " kB";
    }
}

TEST(Idx, ReadsDebiansFashionMnistLabels) {
    const std::string path = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
    ASSERT_TRUE(fs::exists(path)) << "dataset-fashion-mnist is not installed (scripts/install-deps.sh installs it)";
    IdxArray a = read_idx(path);
    EXPECT_EQ(a.type, IdxType::UInt8);
    EXPECT_EQ(a.shape, (Shape{10000}));
    std::vector<int> counts(10, 0);
    for (auto v : a.data) {
        ASSERT_LT(v, 10);
        ++counts[v];
    }
    for (int c : counts) EXPECT_EQ(c, 1000);  // the test split is balanced: 1,000 per class
}
