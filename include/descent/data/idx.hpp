// Reader and writer of IDX files, the format of MNIST and Fashion-MNIST
// (http://yann.lecun.com/exdb/mnist/): magic 0x00 0x00 <type> <ndims>, then
// ndims big-endian uint32 extents, then the elements in row-major order, big-endian.
// Files may be raw or gzip-compressed (detected by the gzip magic 1f 8b).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "descent/core/tensor.hpp"

namespace descent::data {

/// Element type of an IDX file: the third byte of its magic number.
enum class IdxType : std::uint8_t {
    UInt8 = 0x08,
    Int8 = 0x09,
    Int16 = 0x0B,
    Int32 = 0x0C,
    Float32 = 0x0D,
    Float64 = 0x0E,
};

/// Bytes per element of an IDX type.
std::size_t idx_itemsize(IdxType type);
/// "ubyte", "byte", "short", "int", "float", "double" (the names of the IDX spec).
const char* idx_type_name(IdxType type);

/// The decoded contents of an IDX file.
struct IdxArray {
    IdxType type = IdxType::UInt8;
    /// Extents as stored in the header (e.g. [60000, 28, 28]).
    Shape shape;
    /// The elements, row-major, converted to the host's byte order
    /// (shape_numel(shape) * idx_itemsize(type) bytes).
    std::vector<std::uint8_t> data;

    std::int64_t numel() const { return shape_numel(shape); }
    /// The elements as a tensor: integer types become int64, float32 and float64 keep their type.
    Tensor to_tensor() const;
};

/// Reads an IDX file, raw or gzipped. Every inconsistency (bad magic, unknown type,
/// too few or too many bytes for the declared extents, a corrupt gzip stream) is a
/// descent::Error naming the file and the byte offset; nothing is allocated from the
/// header's extents before they are checked against the bytes actually present (in a
/// gzipped file, within deflate's maximal ratio of the compressed size). The file is
/// streamed: the peak memory is the elements plus small buffers.
IdxArray read_idx(const std::string& path);

/// Parses the bytes of an IDX file, raw or gzipped; `name` stands for the file in error messages.
IdxArray parse_idx(const std::uint8_t* bytes, std::size_t size, const std::string& name);

/// Writes an IDX file (gzip-compressed when `gzip`); `data` holds shape_numel(shape)
/// elements of `type` in host byte order. Used to cut subsets and in tests.
void write_idx(const std::string& path, IdxType type, const Shape& shape, const void* data, bool gzip = false);

}  // namespace descent::data
