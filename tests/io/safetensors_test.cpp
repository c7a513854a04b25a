// safetensors: the byte layout of a file written here, round trips of every dtype,
// and corrupt files (every truncation, every bit flip, each kind of bad header)
// giving errors that name the file and byte offset.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "descent/io/safetensors.hpp"

using namespace descent;
using namespace descent::io;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("descent_st_test_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A file from a header text and data bytes: 8-byte little-endian length first.
std::string make_file(const std::string& header, const std::string& data) {
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((std::uint64_t(header.size()) >> (8 * i)) & 0xff);
    return out + header + data;
}

std::string error_of(const std::string& bytes, const std::string& name = "t.safetensors") {
    try {
        parse_safetensors(bytes, name);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

StateDict sample() {
    StateDict sd;
    sd.insert("w", Tensor::from({1.5f, -2.0f}));
    sd.insert("n", Tensor::scalar(7, {.dtype = kInt64}));
    sd.insert("m", Tensor::from(std::vector<bool>{true, false, true}));
    return sd;
}

}  // namespace

TEST(Safetensors, HeaderLayoutIsByteExact) {
    const std::string bytes = to_safetensors(sample(), {{"k", "v"}});
    // Data by decreasing element size (I64, F32, BOOL); header in the StateDict's order.
    std::string header =
        R"({"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
        R"("n":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"m":{"dtype":"BOOL","shape":[3],"data_offsets":[16,19]}})";
    while ((8 + header.size()) % 8 != 0) header += ' ';
    const std::string data = std::string("\x07\0\0\0\0\0\0\0", 8)  // int64 7, little-endian
                             + std::string("\x00\x00\xC0\x3F", 4)  // 1.5f = 0x3FC00000
                             + std::string("\x00\x00\x00\xC0", 4)  // -2.0f = 0xC0000000
                             + std::string("\x01\x00\x01", 3);
    EXPECT_EQ(bytes, make_file(header, data));
    EXPECT_EQ(static_cast<unsigned char>(bytes[0]), header.size());  // the length is the first byte (< 256 here)

    TempDir dir;
    save_safetensors(dir.file("a.safetensors"), sample(), {{"k", "v"}});
    EXPECT_EQ(read_file(dir.file("a.safetensors")), bytes);
}

TEST(Safetensors, RoundTripKeepsOrderValuesAndMetadata) {
    TempDir dir;
    StateDict sd;
    sd.insert("0.weight", Tensor::randn({3, 4}));
    sd.insert("0.bias", Tensor::randn({3}, {.dtype = kFloat64}));
    sd.insert("1.num_batches_tracked", Tensor::scalar(12, {.dtype = kInt64}));
    sd.insert("mask", Tensor::from(std::vector<bool>{false, true}));
    sd.insert("empty", Tensor::zeros({0, 5}));
    sd.insert("transposed", Tensor::arange(0, 6, 1, {.dtype = kFloat32}).reshape({2, 3}).t());  // not contiguous
    save_safetensors(dir.file("m.safetensors"), sd, {{"format", "pt"}, {"note", "ünïcödé"}});
    Metadata meta;
    StateDict back = load_safetensors(dir.file("m.safetensors"), &meta);
    ASSERT_EQ(back.size(), sd.size());
    for (std::size_t i = 0; i < sd.size(); ++i) {
        const auto& [name, t] = sd.entries()[i];
        const auto& [bname, bt] = back.entries()[i];
        EXPECT_EQ(bname, name);
        EXPECT_EQ(bt.dtype(), t.dtype()) << name;
        EXPECT_EQ(bt.shape(), t.shape()) << name;
        visit_dtype(t.dtype(), [&](auto tag) {
            using T = decltype(tag);
            EXPECT_EQ(bt.to_vector<T>(), t.to_vector<T>()) << name;
        });
    }
    EXPECT_EQ(meta, (Metadata{{"format", "pt"}, {"note", "ünïcödé"}}));
    // The in-memory parser agrees with the file reader.
    EXPECT_EQ(parse_safetensors(read_file(dir.file("m.safetensors")), "m").at("0.weight").to_vector<float>(),
              sd.at("0.weight").to_vector<float>());
}

TEST(Safetensors, BadNamesAndTensorsAreRefused) {
    StateDict sd;
    sd.insert("__metadata__", Tensor::ones({1}));
    EXPECT_THROW(to_safetensors(sd), Error);
    StateDict undefined;
    undefined.insert("x", Tensor());
    EXPECT_THROW(to_safetensors(undefined), Error);
    StateDict bad_utf8;
    bad_utf8.insert("\xff\xfe", Tensor::ones({1}));
    EXPECT_THROW(to_safetensors(bad_utf8), Error);
}

TEST(Safetensors, CorruptHeadersNameTheProblemAndOffset) {
    const std::string f32 = std::string("\0\0\x80\x3F", 4);  // 1.0f
    auto entry = [](const std::string& name, const std::string& dtype, const std::string& shape, const std::string& offsets) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    };
    std::string e = error_of(std::string("\x05\0\0", 3));
    EXPECT_NE(e.find("too short"), std::string::npos) << e;
    EXPECT_NE(e.find("t.safetensors"), std::string::npos) << e;

    std::string big = make_file("{}", "");
    big[0] = 100;  // header length 100 in a 10-byte file
    e = error_of(big);
    EXPECT_NE(e.find("header length 100"), std::string::npos) << e;
    EXPECT_NE(e.find("byte offset 10"), std::string::npos) << e;
    big[7] = '\x7f';  // a length near 2^63 must not overflow the check
    EXPECT_NE(error_of(big).find("beyond the end"), std::string::npos);

    e = error_of(make_file("{\"a\" 1}", ""));
    EXPECT_NE(e.find("bad JSON header at byte offset 13"), std::string::npos) << e;  // '1' is header byte 5
    e = error_of(make_file("[1, 2]", ""));
    EXPECT_NE(e.find("does not start with '{'"), std::string::npos) << e;

    e = error_of(make_file("{" + entry("x", "F99", "[1]", "[0,4]") + "}", f32));
    EXPECT_NE(e.find("unknown or unsupported dtype \"F99\""), std::string::npos) << e;
    e = error_of(make_file("{" + entry("x", "U64", "[1]", "[0,8]") + "}", std::string(8, '\0')));
    EXPECT_NE(e.find("\"U64\""), std::string::npos) << e;
    e = error_of(make_file("{" + entry("x", "F32", "[1]", "[0,8]") + "}", f32));
    EXPECT_NE(e.find("run past the end of the file at byte offset"), std::string::npos) << e;
    e = error_of(make_file("{" + entry("x", "F32", "[2]", "[0,4]") + "}", f32));
    EXPECT_NE(e.find("needs 8 bytes"), std::string::npos) << e;
    e = error_of(make_file("{" + entry("x", "F32", "[-1]", "[0,4]") + "}", f32));
    EXPECT_NE(e.find("not a non-negative integer"), std::string::npos) << e;
    e = error_of(make_file("{" + entry("x", "F32", "[4294967296,4294967296]", "[0,4]") + "}", f32));
    EXPECT_NE(e.find("more than 2^64"), std::string::npos) << e;
    e = error_of(make_file("{" + entry("x", "F32", "[1]", "[4,0]") + "}", f32));
    EXPECT_NE(e.find("end before they begin"), std::string::npos) << e;
    e = error_of(make_file("{" + entry("x", "F32", "[1]", "[0,4]") + "," + entry("y", "F32", "[1]", "[0,4]") + "}", f32));
    EXPECT_NE(e.find("overlap"), std::string::npos) << e;
    const std::string hole = "{" + entry("x", "F32", "[1]", "[4,8]") + "}";
    e = error_of(make_file(hole, f32 + f32));
    EXPECT_NE(e.find("belong to no tensor"), std::string::npos) << e;
    EXPECT_NE(e.find("file bytes " + std::to_string(8 + hole.size()) + ".."), std::string::npos) << e;
    e = error_of(make_file("{" + entry("x", "F32", "[1]", "[0,4]") + "}", f32 + "xx"));
    EXPECT_NE(e.find("2 bytes at the end of the file"), std::string::npos) << e;
    const std::string bool_header = "{" + entry("b", "BOOL", "[2]", "[0,2]") + "}";
    e = error_of(make_file(bool_header, std::string("\x01\x02", 2)));
    EXPECT_NE(e.find("byte 2 at byte offset " + std::to_string(8 + bool_header.size() + 1)), std::string::npos) << e;
    e = error_of(make_file("{\"__metadata__\":{\"a\":1}}", ""));
    EXPECT_NE(e.find("metadata \"a\" is not a string"), std::string::npos) << e;
    e = error_of(make_file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", f32));
    EXPECT_NE(e.find("unknown field \"extra\""), std::string::npos) << e;
    e = error_of(make_file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", f32));
    EXPECT_NE(e.find("needs \"dtype\", \"shape\" and \"data_offsets\""), std::string::npos) << e;
}

TEST(Safetensors, ReadsOtherDtypesWidened) {
    auto entry = [](const std::string& name, const std::string& dtype, const std::string& shape, const std::string& offsets) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    };
    const std::string header = "{" + entry("h", "F16", "[4]", "[0,8]") + "," + entry("b", "BF16", "[1]", "[8,10]") + "," +
                               entry("i", "I32", "[1]", "[10,14]") + "," + entry("u", "U8", "[1]", "[14,15]") + "}";
    const std::string data = std::string("\x00\x3C\x00\xC0\x01\x00\x00\x7C", 8)  // F16: 1, -2, 2^-24, inf
                             + std::string("\x80\x3F", 2)                      // BF16: 1
                             + std::string("\xFB\xFF\xFF\xFF", 4)              // I32: -5
                             + std::string("\xC8", 1);                         // U8: 200
    StateDict sd = parse_safetensors(make_file(header, data), "widen");
    EXPECT_EQ(sd.at("h").dtype(), kFloat32);
    EXPECT_EQ(sd.at("h").to_vector<float>(), (std::vector<float>{1.0f, -2.0f, std::ldexp(1.0f, -24), INFINITY}));
    EXPECT_EQ(sd.at("b").to_vector<float>(), (std::vector<float>{1.0f}));
    EXPECT_EQ(sd.at("i").to_vector<std::int64_t>(), (std::vector<std::int64_t>{-5}));
    EXPECT_EQ(sd.at("u").to_vector<std::int64_t>(), (std::vector<std::int64_t>{200}));
}

TEST(Safetensors, EveryTruncationAndBitFlipIsHandled) {
    const std::string good = to_safetensors(sample(), {{"k", "v"}});
    for (std::size_t n = 0; n < good.size(); ++n)
        EXPECT_THROW(parse_safetensors(good.substr(0, n), "cut"), Error) << "prefix of " << n << " bytes";
    // A flip either breaks the file (an Error) or yields some valid file; it never crashes
    // or reads out of bounds (this test runs under ASan/UBSan in CI).
    int errors = 0;
    for (std::size_t i = 0; i < good.size(); ++i)
        for (int bit = 0; bit < 8; ++bit) {
            std::string b = good;
            b[i] = static_cast<char>(b[i] ^ (1 << bit));
            try {
                parse_safetensors(b, "flipped");
            } catch (const Error&) {
                ++errors;
            }
        }
    EXPECT_GT(errors, 0);
}

TEST(Safetensors, MissingFileIsAnError) {
    try {
        load_safetensors("/nonexistent/model.safetensors");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/model.safetensors"), std::string::npos);
    }
}
