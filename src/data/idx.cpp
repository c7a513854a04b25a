// IDX reading: the file is read in chunks and, when gzipped, inflated on the fly
// straight into the elements' vector, so the peak is the decoded elements plus small
// buffers (not the file, the inflated file and a copy). A raw file's header is checked
// against the file's size before anything is allocated from it; a gzipped file's against
// the inflated size once the stream ends (until then the declared size is reserved only
// within deflate's maximal ratio).
#include "descent/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
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

constexpr std::size_t kMaxHeader = 4 + 4 * 255;  // magic and up to 255 extents
constexpr std::size_t kChunk = std::size_t(1) << 18;  // bytes per file read

// Compressed or raw input, in memory or read from a file in chunks (so a file is
// never held whole in memory besides its decoded elements).
class Input {
public:
    Input(const std::uint8_t* bytes, std::size_t size) : mem_(bytes), size_(size) {}
    Input(std::ifstream& file, std::size_t size, const std::string& path)
        : file_(&file), path_(&path), size_(size), buffer_(std::min(size, kChunk)) {}

    std::size_t size() const { return size_; }
    std::size_t offset() const { return offset_; }  // bytes consumed so far

    // The unconsumed bytes at hand: at least min(n, size() - offset()) of them.
    const std::uint8_t* window(std::size_t n, std::size_t& avail) {
        if (!file_) {
            avail = size_ - offset_;
            return mem_ + offset_;
        }
        if (end_ - pos_ < std::min(n, size_ - offset_)) refill(n);
        avail = end_ - pos_;
        return buffer_.data() + pos_;
    }
    void consume(std::size_t n) {
        offset_ += n;
        pos_ += n;
    }
    // Copies the next n bytes (n <= size() - offset()) to dst; from a file, mostly straight into dst.
    void read(std::uint8_t* dst, std::size_t n) {
        if (!file_) {
            if (n) std::memcpy(dst, mem_ + offset_, n);
            offset_ += n;
            return;
        }
        const std::size_t buffered = std::min(n, end_ - pos_);
        if (buffered) std::memcpy(dst, buffer_.data() + pos_, buffered);
        consume(buffered);
        if (n == buffered) return;
        file_->read(reinterpret_cast<char*>(dst + buffered), static_cast<std::streamsize>(n - buffered));
        const std::size_t got = static_cast<std::size_t>(file_->gcount());
        read_ += got;
        offset_ += got;
        DESCENT_CHECK(got == n - buffered, "read_idx: ", *path_, ": read error after byte offset ", read_);
    }

private:
    void refill(std::size_t n) {
        std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
        end_ -= pos_;
        pos_ = 0;
        if (buffer_.size() < n) buffer_.resize(n);
        const std::size_t want = std::min(buffer_.size() - end_, size_ - read_);
        file_->read(reinterpret_cast<char*>(buffer_.data() + end_), static_cast<std::streamsize>(want));
        const std::size_t got = static_cast<std::size_t>(file_->gcount());
        read_ += got;
        end_ += got;
        DESCENT_CHECK(got == want, "read_idx: ", *path_, ": read error after byte offset ", read_);
    }

    const std::uint8_t* mem_ = nullptr;
    std::ifstream* file_ = nullptr;
    const std::string* path_ = nullptr;
    std::size_t size_ = 0, offset_ = 0;
    std::vector<std::uint8_t> buffer_;  // file bytes; [pos_, end_) not consumed yet
    std::size_t pos_ = 0, end_ = 0, read_ = 0;
};

// Where the elements of an IDX file lie, once its header is checked.
struct Layout {
    IdxType type;
    Shape shape;
    std::size_t header;  // the elements' byte offset
    std::size_t nbytes;
    std::uint64_t count;
};

// Checks the header against the file's size; `bytes`: the file's first bytes, up to the
// end of the header or of the file. The only place the errors about the contents are raised.
Layout check_layout(const std::uint8_t* bytes, std::uint64_t size, const std::string& name) {
    DESCENT_CHECK(size >= 4, "read_idx: ", name, ": file too short for the 4-byte IDX magic number (",
                  size, " bytes; truncated at byte offset ", size, ")");
    DESCENT_CHECK(bytes[0] == 0 && bytes[1] == 0, "read_idx: ", name,
                  ": not an IDX file: the magic number must start with two zero bytes, found 0x", std::hex,
                  int(bytes[0]), " 0x", int(bytes[1]), std::dec, " at byte offset 0");
    DESCENT_CHECK(valid_type(bytes[2]), "read_idx: ", name, ": unknown IDX element type 0x", std::hex,
                  int(bytes[2]), std::dec, " at byte offset 2 (expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E)");
    Layout out;
    out.type = static_cast<IdxType>(bytes[2]);
    const std::size_t ndims = bytes[3];
    DESCENT_CHECK(ndims >= 1, "read_idx: ", name, ": the number of dimensions at byte offset 3 is 0");
    out.header = 4 + 4 * ndims;
    DESCENT_CHECK(size >= out.header, "read_idx: ", name, ": truncated header: ", ndims, " dimensions need ",
                  out.header, " header bytes, but the file ends at byte offset ", size);
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
    const std::uint64_t available = size - out.header;
    DESCENT_CHECK(!overflow && nbytes <= available, "read_idx: ", name, ": truncated or corrupt: the header declares ",
                  idx_type_name(out.type), " extents ", shape_str(out.shape), " (",
                  overflow ? std::string("more than 2^64") : std::to_string(nbytes), " data bytes from byte offset ",
                  out.header, "), but the file ends at byte offset ", size);
    DESCENT_CHECK(nbytes == available, "read_idx: ", name, ": ", available - nbytes,
                  " unexpected bytes after the data of extents ", shape_str(out.shape), " at byte offset ",
                  out.header + nbytes);
    out.nbytes = static_cast<std::size_t>(nbytes);
    out.count = count;
    return out;
}

// Receives the inflated bytes of an IDX file: keeps the header apart and the elements
// straight in their final vector, so the file never exists twice in memory. Bytes past
// the declared elements (or after an invalid header) are only counted: check_layout
// reports them once the stream has ended, with the same errors as for a raw file.
class IdxSink {
public:
    explicit IdxSink(std::size_t compressed_size) : compressed_size_(compressed_size) {}

    void put(const std::uint8_t* p, std::size_t n) {
        total_ += n;
        while (n && !decided_) {
            const std::size_t take = std::min(n, need_ - head_len_);
            std::memcpy(head_ + head_len_, p, take);
            head_len_ += take, p += take, n -= take;
            if (head_len_ < need_) return;
            if (need_ == 4 && head_[3] != 0) need_ = 4 + 4 * std::size_t(head_[3]);  // now the extents
            else decide();
        }
        if (n && storing_) {
            const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(n, nbytes_ - data_.size()));
            data_.insert(data_.end(), p, p + take);
        }
    }
    std::uint64_t total() const { return total_; }
    const std::uint8_t* head() const { return head_; }
    std::vector<std::uint8_t>& data() { return data_; }

private:
    // The header is complete: store the elements only if it is valid. The declared size is
    // reserved only within deflate's maximal ratio (~1032:1) of the compressed size.
    void decide() {
        decided_ = true;
        if (head_[0] != 0 || head_[1] != 0 || !valid_type(head_[2]) || head_[3] == 0) return;
        std::uint64_t nbytes = idx_itemsize(static_cast<IdxType>(head_[2]));
        for (std::size_t d = 0; d < head_[3]; ++d) {
            const std::uint8_t* e = head_ + 4 + 4 * d;
            const std::uint64_t extent = std::uint64_t(e[0]) << 24 | std::uint64_t(e[1]) << 16 |
                                         std::uint64_t(e[2]) << 8 | std::uint64_t(e[3]);
            if (__builtin_mul_overflow(nbytes, extent, &nbytes)) return;
        }
        storing_ = true;
        nbytes_ = nbytes;
        if (nbytes / 1032 <= compressed_size_) data_.reserve(static_cast<std::size_t>(nbytes));
    }

    std::size_t compressed_size_;
    std::uint8_t head_[kMaxHeader];
    std::size_t head_len_ = 0, need_ = 4;
    bool decided_ = false, storing_ = false;
    std::uint64_t nbytes_ = 0, total_ = 0;
    std::vector<std::uint8_t> data_;
};

// Inflates one or more concatenated gzip members into `sink`; errors give the compressed byte offset.
void gunzip(Input& in, IdxSink& sink, const std::string& path) {
    z_stream zs{};
    DESCENT_CHECK(inflateInit2(&zs, 16 + MAX_WBITS) == Z_OK, "read_idx: ", path, ": zlib initialization failed");
    auto fail = [&zs](const auto&... parts) {
        inflateEnd(&zs);
        detail::fail("read_idx: ", parts...);
    };
    std::vector<std::uint8_t> buffer(1 << 16);
    while (true) {
        std::size_t avail = 0;
        const std::uint8_t* window = in.window(1, avail);
        zs.next_in = const_cast<Bytef*>(window);
        zs.avail_in = static_cast<uInt>(std::min<std::size_t>(avail, std::size_t(1) << 30));
        zs.next_out = buffer.data();
        zs.avail_out = static_cast<uInt>(buffer.size());
        const int rc = inflate(&zs, Z_NO_FLUSH);
        in.consume(static_cast<std::size_t>(zs.next_in - window));
        sink.put(buffer.data(), buffer.size() - zs.avail_out);
        const std::size_t at = in.offset();  // input bytes consumed
        if (rc == Z_OK) continue;
        if (rc == Z_STREAM_END) {
            if (at == in.size()) break;
            const std::uint8_t* next = in.window(2, avail);
            if (in.size() - at >= 2 && next[0] == 0x1f && next[1] == 0x8b) {
                inflateReset(&zs);  // another gzip member follows (as `cat a.gz b.gz` makes)
                continue;
            }
            fail(path, ": ", in.size() - at, " bytes of garbage after the gzip stream at byte offset ", at);
        }
        if (rc == Z_BUF_ERROR)  // no progress possible: the input ran out mid-stream
            fail(path, ": truncated gzip stream: the file ends at byte offset ", at,
                 " before the end of the compressed data (", sink.total(), " bytes inflated)");
        fail(path, ": corrupt gzip data near byte offset ", at, ": ", zs.msg ? zs.msg : "zlib error ",
             zs.msg ? "" : std::to_string(rc));
    }
    inflateEnd(&zs);
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

namespace {

IdxArray to_array(Layout&& layout, std::vector<std::uint8_t>&& data) {
    IdxArray out;
    out.type = layout.type;
    out.shape = std::move(layout.shape);
    out.data = std::move(data);
    swap_to_host(out.type, out.data.data(), layout.count);
    return out;
}

IdxArray read_gzipped(Input& in, const std::string& name) {
    IdxSink sink(in.size());
    gunzip(in, sink, name);
    Layout layout = check_layout(sink.head(), sink.total(), name + " (decompressed)");
    DESCENT_CHECK(sink.data().size() == layout.nbytes, "read_idx: ", name, ": internal error: ",
                  sink.data().size(), " of ", layout.nbytes, " data bytes kept");
    return to_array(std::move(layout), std::move(sink.data()));
}

IdxArray read_raw(Input& in, const std::string& name) {
    std::size_t avail = 0;
    const std::uint8_t* head = in.window(kMaxHeader, avail);
    Layout layout = check_layout(head, in.size(), name);
    in.consume(layout.header);
    std::vector<std::uint8_t> data(layout.nbytes);  // checked above: exactly the bytes present
    in.read(data.data(), layout.nbytes);
    return to_array(std::move(layout), std::move(data));
}

IdxArray read_input(Input& in, const std::string& name) {
    std::size_t avail = 0;
    const std::uint8_t* magic = in.window(2, avail);
    if (in.size() >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return read_gzipped(in, name);
    return read_raw(in, name);
}

}  // namespace

IdxArray parse_idx(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
    Input in(bytes, size);
    return read_input(in, name);
}

IdxArray read_idx(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    DESCENT_CHECK(file.good(), "read_idx: cannot open ", path, ": ", std::strerror(errno));
    file.seekg(0, std::ios::end);
    const std::streamoff size = file.tellg();
    DESCENT_CHECK(size >= 0, "read_idx: cannot determine the size of ", path);
    file.seekg(0, std::ios::beg);
    Input in(file, static_cast<std::size_t>(size), path);
    return read_input(in, path);
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
