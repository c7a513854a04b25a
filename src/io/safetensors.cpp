// safetensors reading and writing. The header is validated in full (types,
// offsets in range, no overlap, no hole, sizes matching shapes) before any
// tensor is allocated, so a corrupt file costs no more memory than its size.
#include "descent/io/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "descent/io/atomic_file.hpp"

namespace descent::io {

static_assert(std::endian::native == std::endian::little,
              "safetensors stores little-endian data; a big-endian host would need byte swaps");

using json = nlohmann::ordered_json;

namespace {

// The Rust implementation's cap: a bigger header is corrupt, not a real model.
constexpr std::uint64_t kMaxHeader = 100'000'000;

// A dtype of the file and how it loads.
struct FileDType {
    const char* code;
    std::size_t size;  // bytes per element in the file
    DType loads_as;
};

constexpr FileDType kFileDTypes[] = {
    {"F32", 4, kFloat32}, {"F64", 8, kFloat64}, {"I64", 8, kInt64},  {"BOOL", 1, kBool},
    {"I8", 1, kInt64},    {"U8", 1, kInt64},    {"I16", 2, kInt64},  {"U16", 2, kInt64},
    {"I32", 4, kInt64},   {"U32", 4, kInt64},   {"F16", 2, kFloat32}, {"BF16", 2, kFloat32},
};

const FileDType* find_file_dtype(const std::string& code) {
    for (const auto& d : kFileDTypes)
        if (code == d.code) return &d;
    return nullptr;
}

const char* code_of(DType t) {
    switch (t) {
        case DType::Float32: return "F32";
        case DType::Float64: return "F64";
        case DType::Int64: return "I64";
        case DType::Bool: return "BOOL";
    }
    return "?";
}

struct TensorInfo {
    std::string name;
    const FileDType* dtype = nullptr;
    Shape shape;
    std::uint64_t begin = 0, end = 0;  // relative to the data section
};

struct Header {
    std::uint64_t data_start = 0;  // file offset of the data section (8 + N)
    std::vector<TensorInfo> tensors;  // header order
    Metadata metadata;
};

std::uint64_t read_u64le(const unsigned char* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
    return v;
}

// Validates the header text against a file of `file_size` bytes.
Header parse_header(std::string_view text, std::uint64_t file_size, const std::string& name) {
    const std::string where = "load_safetensors: " + name + ": ";
    Header h;
    h.data_start = 8 + text.size();
    DESCENT_CHECK(!text.empty() && text.front() == '{', where, "the JSON header at byte offset 8 does not start with '{'");
    json root;
    try {
        root = json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        detail::fail(where, "bad JSON header at byte offset ", 8 + (e.byte > 0 ? e.byte - 1 : 0), ": ", e.what());
    }
    DESCENT_CHECK(root.is_object(), where, "the JSON header (bytes 8..", h.data_start, ") is not an object");
    const std::uint64_t data_size = file_size - h.data_start;
    for (auto it = root.begin(); it != root.end(); ++it) {
        const std::string& key = it.key();
        const json& v = it.value();
        if (key == "__metadata__") {
            DESCENT_CHECK(v.is_object(), where, "\"__metadata__\" in the header is not an object");
            for (auto m = v.begin(); m != v.end(); ++m) {
                DESCENT_CHECK(m.value().is_string(), where, "metadata \"", m.key(), "\" is not a string");
                h.metadata[m.key()] = m.value().get<std::string>();
            }
            continue;
        }
        const std::string tw = where + "tensor \"" + key + "\": ";
        DESCENT_CHECK(v.is_object(), tw, "its header entry is not an object");
        for (auto f = v.begin(); f != v.end(); ++f)
            DESCENT_CHECK(f.key() == "dtype" || f.key() == "shape" || f.key() == "data_offsets", tw,
                          "unknown field \"", f.key(), "\" in its header entry");
        DESCENT_CHECK(v.contains("dtype") && v.contains("shape") && v.contains("data_offsets"), tw,
                      "its header entry needs \"dtype\", \"shape\" and \"data_offsets\"");
        TensorInfo info;
        info.name = key;
        DESCENT_CHECK(v["dtype"].is_string(), tw, "\"dtype\" is not a string");
        const std::string code = v["dtype"].get<std::string>();
        info.dtype = find_file_dtype(code);
        DESCENT_CHECK(info.dtype != nullptr, tw, "unknown or unsupported dtype \"", code,
                      "\" (supported: F32, F64, I64, BOOL, I8, U8, I16, U16, I32, U32, F16, BF16)");
        DESCENT_CHECK(v["shape"].is_array(), tw, "\"shape\" is not an array");
        std::uint64_t numel = 1;
        bool overflow = false;
        for (const json& d : v["shape"]) {
            DESCENT_CHECK(d.is_number_unsigned() && d.get<std::uint64_t>() <= std::uint64_t(INT64_MAX), tw,
                          "\"shape\" holds ", d.dump(), ", not a non-negative integer");
            const std::uint64_t e = d.get<std::uint64_t>();
            info.shape.push_back(static_cast<std::int64_t>(e));
            if (!overflow && __builtin_mul_overflow(numel, e, &numel)) overflow = true;
        }
        const json& off = v["data_offsets"];
        DESCENT_CHECK(off.is_array() && off.size() == 2 && off[0].is_number_unsigned() && off[1].is_number_unsigned(),
                      tw, "\"data_offsets\" is not a pair of non-negative integers: ", off.dump());
        info.begin = off[0].get<std::uint64_t>();
        info.end = off[1].get<std::uint64_t>();
        DESCENT_CHECK(info.begin <= info.end, tw, "data_offsets [", info.begin, ", ", info.end, "] end before they begin");
        DESCENT_CHECK(info.end <= data_size, tw, "data_offsets [", info.begin, ", ", info.end, "] (file bytes ",
                      h.data_start + info.begin, "..", h.data_start + info.end,
                      ") run past the end of the file at byte offset ", file_size);
        std::uint64_t nbytes = 0;
        if (!overflow && __builtin_mul_overflow(numel, std::uint64_t(info.dtype->size), &nbytes)) overflow = true;
        DESCENT_CHECK(!overflow && nbytes == info.end - info.begin, tw, "shape ", shape_str(info.shape), " of ", code,
                      " needs ", overflow ? std::string("more than 2^64") : std::to_string(nbytes),
                      " bytes, but data_offsets [", info.begin, ", ", info.end, "] (file byte offset ",
                      h.data_start + info.begin, ") hold ", info.end - info.begin);
        h.tensors.push_back(std::move(info));
    }
    // The tensors must tile the data section exactly, as the reference implementation requires.
    std::vector<const TensorInfo*> by_offset;
    for (const auto& t : h.tensors) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(), [](const TensorInfo* a, const TensorInfo* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    std::uint64_t covered = 0;
    const TensorInfo* previous = nullptr;
    for (const TensorInfo* t : by_offset) {
        DESCENT_CHECK(t->begin >= covered, where, "tensors \"", previous ? previous->name : "", "\" and \"", t->name,
                      "\" overlap: data_offsets [", t->begin, ", ", t->end, "] start at file byte offset ",
                      h.data_start + t->begin, ", before the previous tensor ends at ", h.data_start + covered);
        DESCENT_CHECK(t->begin == covered, where, "file bytes ", h.data_start + covered, "..", h.data_start + t->begin,
                      " belong to no tensor (a hole before tensor \"", t->name, "\")");
        covered = t->end;
        previous = t;
    }
    DESCENT_CHECK(covered == data_size, where, file_size - h.data_start - covered,
                  " bytes at the end of the file from byte offset ", h.data_start + covered, " belong to no tensor");
    return h;
}

float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = std::uint32_t(h >> 15) << 31;
    const std::uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    std::uint32_t bits;
    if (exp == 0) {
        const float v = std::ldexp(static_cast<float>(mant), -24);  // zero or subnormal: exact in float
        return sign ? -v : v;
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    }
    return std::bit_cast<float>(bits);
}

template <class From>
void widen_ints(const unsigned char* src, std::int64_t* dst, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
        From v;
        std::memcpy(&v, src + i * sizeof(From), sizeof(From));
        dst[i] = static_cast<std::int64_t>(v);
    }
}

// Builds the tensor of `info` from its bytes (file byte offset `at`, for errors).
Tensor decode(const TensorInfo& info, const unsigned char* bytes, std::uint64_t at, const std::string& name) {
    Tensor t = make_tensor(info.shape, info.dtype->loads_as);
    const std::int64_t n = t.numel();
    if (n == 0) return t;
    const std::string code = info.dtype->code;
    void* dst = t.impl()->storage->data;
    if (code == "F32" || code == "F64" || code == "I64") {
        std::memcpy(dst, bytes, info.end - info.begin);
    } else if (code == "BOOL") {
        // Any byte but 0 or 1 in a bool is undefined behaviour in C++: refuse it.
        for (std::int64_t i = 0; i < n; ++i)
            DESCENT_CHECK(bytes[i] <= 1, "load_safetensors: ", name, ": tensor \"", info.name, "\": byte ", int(bytes[i]),
                          " at byte offset ", at + i, " is not a valid bool (0 or 1)");
        std::memcpy(dst, bytes, n);
    } else if (code == "F16" || code == "BF16") {
        float* out = static_cast<float*>(dst);
        for (std::int64_t i = 0; i < n; ++i) {
            std::uint16_t h;
            std::memcpy(&h, bytes + 2 * i, 2);
            out[i] = code == "F16" ? half_to_float(h) : std::bit_cast<float>(std::uint32_t(h) << 16);
        }
    } else {
        std::int64_t* out = static_cast<std::int64_t*>(dst);
        if (code == "I8") widen_ints<std::int8_t>(bytes, out, n);
        else if (code == "U8") widen_ints<std::uint8_t>(bytes, out, n);
        else if (code == "I16") widen_ints<std::int16_t>(bytes, out, n);
        else if (code == "U16") widen_ints<std::uint16_t>(bytes, out, n);
        else if (code == "I32") widen_ints<std::int32_t>(bytes, out, n);
        else if (code == "U32") widen_ints<std::uint32_t>(bytes, out, n);
    }
    return t;
}

// Reads and checks the 8-byte length; returns N.
std::uint64_t check_header_length(const unsigned char* first8, std::uint64_t file_size, const std::string& name) {
    const std::uint64_t n = read_u64le(first8);
    DESCENT_CHECK(n <= file_size - 8, "load_safetensors: ", name, ": the header length ", n,
                  " (at byte offset 0) reaches beyond the end of the file at byte offset ", file_size);
    DESCENT_CHECK(n <= kMaxHeader, "load_safetensors: ", name, ": header length ", n, " at byte offset 0 exceeds ",
                  kMaxHeader, " bytes");
    return n;
}

// ---- writing ---------------------------------------------------------------------------

struct Layout {
    std::string header;                     // 8-byte length + padded JSON
    std::vector<std::pair<Tensor, std::uint64_t>> data;  // contiguous tensors in data order, byte sizes
};

Layout layout(const StateDict& tensors, const Metadata& metadata) {
    // Data order: by decreasing element size, stable, so each tensor starts aligned to its size.
    std::vector<std::size_t> order(tensors.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    const auto& entries = tensors.entries();
    for (const auto& [name, t] : entries) {
        DESCENT_CHECK(!name.empty() && name != "__metadata__", "save_safetensors: invalid tensor name \"", name, "\"");
        DESCENT_CHECK(t.defined(), "save_safetensors: tensor \"", name, "\" is undefined");
    }
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return itemsize(entries[a].second.dtype()) > itemsize(entries[b].second.dtype());
    });
    std::vector<std::pair<std::uint64_t, std::uint64_t>> offsets(entries.size());
    Layout out;
    std::uint64_t at = 0;
    for (std::size_t i : order) {
        Tensor t = entries[i].second.detach().contiguous();
        const std::uint64_t nbytes = static_cast<std::uint64_t>(t.numel()) * itemsize(t.dtype());
        offsets[i] = {at, at + nbytes};
        at += nbytes;
        out.data.emplace_back(t, nbytes);
    }
    json header = json::object();
    if (!metadata.empty()) {
        json m = json::object();
        for (const auto& [k, v] : metadata) m[k] = v;
        header["__metadata__"] = m;
    }
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const Tensor& t = entries[i].second;
        json info = json::object();
        info["dtype"] = code_of(t.dtype());
        info["shape"] = json::array();
        for (auto d : t.shape()) info["shape"].push_back(d);
        info["data_offsets"] = json::array({offsets[i].first, offsets[i].second});
        header[entries[i].first] = info;
    }
    std::string text;
    try {
        text = header.dump();
    } catch (const json::exception& e) {
        detail::fail("save_safetensors: a tensor name or metadata string is not valid UTF-8: ", e.what());
    }
    // Spaces pad the header so the data section starts at a multiple of 8, as the reference writer does.
    text.append((8 - text.size() % 8) % 8, ' ');
    out.header.resize(8);
    const std::uint64_t n = text.size();
    for (int i = 0; i < 8; ++i) out.header[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    out.header += text;
    return out;
}

}  // namespace

std::string to_safetensors(const StateDict& tensors, const Metadata& metadata) {
    Layout l = layout(tensors, metadata);
    std::string bytes = std::move(l.header);
    for (const auto& [t, nbytes] : l.data)
        if (nbytes) bytes.append(static_cast<const char*>(t.impl()->storage->data) + t.storage_offset() * itemsize(t.dtype()), nbytes);
    return bytes;
}

void save_safetensors(const std::string& path, const StateDict& tensors, const Metadata& metadata) {
    Layout l = layout(tensors, metadata);
    AtomicFile file(path);
    file.write(l.header);
    for (const auto& [t, nbytes] : l.data)
        if (nbytes) file.write(static_cast<const char*>(t.impl()->storage->data) + t.storage_offset() * itemsize(t.dtype()), nbytes);
    file.commit();
}

StateDict parse_safetensors(std::string_view bytes, const std::string& name, Metadata* metadata) {
    const std::uint64_t size = bytes.size();
    DESCENT_CHECK(size >= 8, "load_safetensors: ", name, ": ", size,
                  " bytes is too short for the 8-byte header length (truncated at byte offset ", size, ")");
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::uint64_t n = check_header_length(p, size, name);
    Header h = parse_header(bytes.substr(8, n), size, name);
    StateDict out;
    for (const auto& info : h.tensors)
        out.insert(info.name, decode(info, p + h.data_start + info.begin, h.data_start + info.begin, name));
    if (metadata) *metadata = std::move(h.metadata);
    return out;
}

StateDict load_safetensors(const std::string& path, Metadata* metadata) {
    std::ifstream in(path, std::ios::binary);
    DESCENT_CHECK(in.good(), "load_safetensors: cannot open ", path, ": ", std::strerror(errno));
    in.seekg(0, std::ios::end);
    const std::streamoff end = in.tellg();
    DESCENT_CHECK(end >= 0, "load_safetensors: cannot determine the size of ", path);
    const std::uint64_t size = static_cast<std::uint64_t>(end);
    in.seekg(0);
    DESCENT_CHECK(size >= 8, "load_safetensors: ", path, ": ", size,
                  " bytes is too short for the 8-byte header length (truncated at byte offset ", size, ")");
    unsigned char first8[8];
    in.read(reinterpret_cast<char*>(first8), 8);
    DESCENT_CHECK(in.gcount() == 8, "load_safetensors: ", path, ": read error at byte offset 0");
    const std::uint64_t n = check_header_length(first8, size, path);
    std::string text(n, '\0');
    in.read(text.data(), static_cast<std::streamsize>(n));
    DESCENT_CHECK(static_cast<std::uint64_t>(in.gcount()) == n, "load_safetensors: ", path,
                  ": read error in the header at byte offset ", 8 + in.gcount());
    Header h = parse_header(text, size, path);
    text = {};
    // Read in file order; the StateDict keeps the header's order.
    std::vector<const TensorInfo*> by_offset;
    for (const auto& t : h.tensors) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(),
              [](const TensorInfo* a, const TensorInfo* b) { return a->begin < b->begin; });
    std::map<std::string, Tensor> loaded;
    std::vector<unsigned char> buffer;
    for (const TensorInfo* info : by_offset) {
        const std::uint64_t at = h.data_start + info->begin, nbytes = info->end - info->begin;
        buffer.resize(nbytes);
        in.seekg(static_cast<std::streamoff>(at));
        in.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(nbytes));
        DESCENT_CHECK(static_cast<std::uint64_t>(in.gcount()) == nbytes, "load_safetensors: ", path,
                      ": read error in tensor \"", info->name, "\" at byte offset ", at + in.gcount());
        loaded[info->name] = decode(*info, buffer.data(), at, path);
    }
    StateDict out;
    for (const auto& info : h.tensors) out.insert(info.name, loaded.at(info.name));
    if (metadata) *metadata = std::move(h.metadata);
    return out;
}

}  // namespace descent::io
