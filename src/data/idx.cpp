// IDX reading: the whole file is read (and, when gzipped, inflated) into memory
// first, so the header's extents are checked against the bytes that exist
// before any allocation depends on them.
#include "descent/data/idx.hpp"

#include <zlib.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace descent::data {

static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big);

std::size_t idx_itemsize(IdxType type) {
    switch (type) {
        case IdxType::UInt8:
        case IdxType::Int8: return 1;
        case IdxType::Int16: return 2;
        case IdxType::Int32:
        case IdxType::Float32: return 4;
        case IdxType::Float64: return 8;
    }
    return 0;
}

const char* idx_type_name(IdxType type) {
    switch (type) {
        case IdxType::UInt8: return "ubyte";
        case IdxType::Int8: return "byte";
        case IdxType::Int16: return "short";
        case IdxType::Int32: return "int";
        case IdxType::Float32: return "float";
        case IdxType::Float64: return "double";
    }
    return "?";
}

namespace {

bool valid_type(std::uint8_t byte) {
    return byte == 0x08 || byte == 0x09 || byte == 0x0B || byte == 0x0C || byte == 0x0D || byte == 0x0E;
}

std::vector<std::uint8_t> read_whole_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    DESCENT_CHECK(in.good(), "read_idx: cannot open ", path, ": ", std::strerror(errno));
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    DESCENT_CHECK(size >= 0, "read_idx: cannot determine the size of ", path);
    in.seekg(0, std::ios::beg);
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
    in.read(reinterpret_cast<char*>(bytes.data()), size);
    DESCENT_CHECK(in.gcount() == size, "read_idx: ", path, ": read error after byte offset ", in.gcount());
    return bytes;
}

// Inflates one or more concatenated gzip members; errors give the compressed byte offset.
std::vector<std::uint8_t> gunzip(const std::uint8_t* in, std::size_t in_size, const std::string& path) {
    std::vector<std::uint8_t> out;
    // The last four bytes of a gzip member hold the uncompressed size mod 2^32: a hint only,
    // trusted for reserve() only within deflate's maximal ratio (~1032:1).
    if (in_size >= 18) {
        const std::size_t n = in_size;
        const std::uint32_t isize = std::uint32_t(in[n - 4]) | std::uint32_t(in[n - 3]) << 8 |
                                    std::uint32_t(in[n - 2]) << 16 | std::uint32_t(in[n - 1]) << 24;
        if (isize / 1032 <= in_size) out.reserve(isize);
    }
    z_stream zs{};
    DESCENT_CHECK(inflateInit2(&zs, 16 + MAX_WBITS) == Z_OK, "read_idx: ", path, ": zlib initialization failed");
    auto fail = [&zs](const auto&... parts) {
        inflateEnd(&zs);
        detail::fail("read_idx: ", parts...);
    };
    std::vector<std::uint8_t> buffer(1 << 16);
    std::size_t at = 0;  // input bytes consumed
    while (true) {
        if (zs.avail_in == 0) {
            zs.next_in = const_cast<Bytef*>(in + at);
            zs.avail_in = static_cast<uInt>(std::min<std::size_t>(in_size - at, std::size_t(1) << 30));
        }
        zs.next_out = buffer.data();
        zs.avail_out = static_cast<uInt>(buffer.size());
        const int rc = inflate(&zs, Z_NO_FLUSH);
        at = static_cast<std::size_t>(zs.next_in - in);
        out.insert(out.end(), buffer.data(), buffer.data() + (buffer.size() - zs.avail_out));
        if (rc == Z_OK) continue;
        if (rc == Z_STREAM_END) {
            if (at == in_size) break;
            if (in_size - at >= 2 && in[at] == 0x1f && in[at + 1] == 0x8b) {
                inflateReset(&zs);  // another gzip member follows (as `cat a.gz b.gz` makes)
                continue;
            }
            fail(path, ": ", in_size - at, " bytes of garbage after the gzip stream at byte offset ", at);
        }
        if (rc == Z_BUF_ERROR)  // no progress possible: the input ran out mid-stream
            fail(path, ": truncated gzip stream: the file ends at byte offset ", at,
                 " before the end of the compressed data (", out.size(), " bytes inflated)");
        fail(path, ": corrupt gzip data near byte offset ", at, ": ", zs.msg ? zs.msg : "zlib error ",
             zs.msg ? "" : std::to_string(rc));
    }
    inflateEnd(&zs);
    return out;
}

template <std::size_t N>
void byteswap_elements(std::uint8_t* p, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i, p += N)
        for (std::size_t a = 0, b = N - 1; a < b; ++a, --b) std::swap(p[a], p[b]);
}

void swap_to_host(IdxType type, std::uint8_t* p, std::size_t count) {
    if constexpr (std::endian::native == std::endian::big) return;
    switch (idx_itemsize(type)) {
        case 2: byteswap_elements<2>(p, count); break;
        case 4: byteswap_elements<4>(p, count); break;
        case 8: byteswap_elements<8>(p, count); break;
        default: break;
    }
}

}  // namespace

static IdxArray parse_raw(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
    DESCENT_CHECK(size >= 4, "read_idx: ", name, ": file too short for the 4-byte IDX magic number (",
                  size, " bytes; truncated at byte offset ", size, ")");
    DESCENT_CHECK(bytes[0] == 0 && bytes[1] == 0, "read_idx: ", name,
                  ": not an IDX file: the magic number must start with two zero bytes, found 0x", std::hex,
                  int(bytes[0]), " 0x", int(bytes[1]), std::dec, " at byte offset 0");
    DESCENT_CHECK(valid_type(bytes[2]), "read_idx: ", name, ": unknown IDX element type 0x", std::hex,
                  int(bytes[2]), std::dec, " at byte offset 2 (expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E)");
    IdxArray out;
    out.type = static_cast<IdxType>(bytes[2]);
    const std::size_t ndims = bytes[3];
    DESCENT_CHECK(ndims >= 1, "read_idx: ", name, ": the number of dimensions at byte offset 3 is 0");
    const std::size_t header = 4 + 4 * ndims;
    DESCENT_CHECK(size >= header, "read_idx: ", name, ": truncated header: ", ndims, " dimensions need ",
                  header, " header bytes, but the file ends at byte offset ", size);
    // Element count and byte count, refusing anything that does not fit in int64.
    std::uint64_t count = 1;
    bool overflow = false;
    for (std::size_t d = 0; d < ndims; ++d) {
        const std::uint8_t* p = bytes + 4 + 4 * d;
        const std::uint32_t extent = std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 |
                                     std::uint32_t(p[2]) << 8 | std::uint32_t(p[3]);
        out.shape.push_back(extent);
        if (!overflow && __builtin_mul_overflow(count, std::uint64_t(extent), &count)) overflow = true;
    }
    std::uint64_t nbytes = 0;
    if (!overflow && __builtin_mul_overflow(count, std::uint64_t(idx_itemsize(out.type)), &nbytes)) overflow = true;
    const std::uint64_t available = size - header;
    DESCENT_CHECK(!overflow && nbytes <= available, "read_idx: ", name, ": truncated or corrupt: the header declares ",
                  idx_type_name(out.type), " extents ", shape_str(out.shape), " (",
                  overflow ? std::string("more than 2^64") : std::to_string(nbytes), " data bytes from byte offset ",
                  header, "), but the file ends at byte offset ", size);
    DESCENT_CHECK(nbytes == available, "read_idx: ", name, ": ", available - nbytes,
                  " unexpected bytes after the data of extents ", shape_str(out.shape), " at byte offset ",
                  header + nbytes);
    out.data.assign(bytes + header, bytes + size);
    swap_to_host(out.type, out.data.data(), count);
    return out;
}

IdxArray parse_idx(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
    if (size >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) {
        std::vector<std::uint8_t> raw = gunzip(bytes, size, name);
        return parse_raw(raw.data(), raw.size(), name + " (decompressed)");
    }
    return parse_raw(bytes, size, name);
}

IdxArray read_idx(const std::string& path) {
    const std::vector<std::uint8_t> bytes = read_whole_file(path);
    return parse_idx(bytes.data(), bytes.size(), path);
}

namespace {
template <class T>
void widen(const std::uint8_t* src, std::int64_t* dst, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
        T v;
        std::memcpy(&v, src + i * sizeof(T), sizeof(T));
        dst[i] = static_cast<std::int64_t>(v);
    }
}
}  // namespace

Tensor IdxArray::to_tensor() const {
    const std::int64_t n = numel();
    DESCENT_CHECK(data.size() == static_cast<std::size_t>(n) * idx_itemsize(type), "IdxArray::to_tensor: ",
                  data.size(), " bytes cannot hold ", idx_type_name(type), " extents ", shape_str(shape));
    if (type == IdxType::Float32 || type == IdxType::Float64) {
        Tensor t = make_tensor(shape, type == IdxType::Float32 ? kFloat32 : kFloat64);
        if (n) std::memcpy(t.impl()->storage->data, data.data(), data.size());
        return t;
    }
    Tensor t = make_tensor(shape, kInt64);
    std::int64_t* dst = t.data_ptr<std::int64_t>();
    switch (type) {
        case IdxType::UInt8: widen<std::uint8_t>(data.data(), dst, n); break;
        case IdxType::Int8: widen<std::int8_t>(data.data(), dst, n); break;
        case IdxType::Int16: widen<std::int16_t>(data.data(), dst, n); break;
        case IdxType::Int32: widen<std::int32_t>(data.data(), dst, n); break;
        default: break;
    }
    return t;
}

void write_idx(const std::string& path, IdxType type, const Shape& shape, const void* data, bool gzip) {
    DESCENT_CHECK(!shape.empty() && shape.size() <= 255, "write_idx: ", path, ": IDX needs 1 to 255 dimensions, got ",
                  shape.size());
    std::vector<std::uint8_t> bytes = {0, 0, static_cast<std::uint8_t>(type), static_cast<std::uint8_t>(shape.size())};
    for (auto d : shape) {
        DESCENT_CHECK(d >= 0 && d <= 0xFFFFFFFFLL, "write_idx: ", path, ": extent ", d, " of ", shape_str(shape),
                      " does not fit in an IDX header");
        for (int s = 24; s >= 0; s -= 8) bytes.push_back(static_cast<std::uint8_t>(std::uint64_t(d) >> s));
    }
    const std::size_t header = bytes.size();
    const std::size_t nbytes = static_cast<std::size_t>(shape_numel(shape)) * idx_itemsize(type);
    bytes.resize(header + nbytes);
    if (nbytes) std::memcpy(bytes.data() + header, data, nbytes);
    swap_to_host(type, bytes.data() + header, nbytes / idx_itemsize(type));  // host → big-endian: same swap

    if (gzip) {
        gzFile f = gzopen(path.c_str(), "wb");
        DESCENT_CHECK(f != nullptr, "write_idx: cannot create ", path, ": ", std::strerror(errno));
        std::size_t done = 0;
        while (done < bytes.size()) {
            const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(bytes.size() - done, 1u << 30));
            if (gzwrite(f, bytes.data() + done, chunk) != int(chunk)) {
                gzclose(f);
                detail::fail("write_idx: write error in ", path, " at byte offset ", done);
            }
            done += chunk;
        }
        DESCENT_CHECK(gzclose(f) == Z_OK, "write_idx: error closing ", path);
        return;
    }
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    DESCENT_CHECK(out.good(), "write_idx: cannot create ", path, ": ", std::strerror(errno));
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    out.close();
    DESCENT_CHECK(!out.fail(), "write_idx: write error in ", path);
}

}  // namespace descent::data
