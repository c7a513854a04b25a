// The safetensors format (https://github.com/huggingface/safetensors), as
// PyTorch's `safetensors.torch.save_file` / `load_file` read and write it:
//   bytes 0..8   N, the header length, unsigned 64-bit little-endian
//   bytes 8..8+N a JSON object: name → {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}
//                and optionally "__metadata__": {string: string}; padded with spaces
//   the rest     the tensors' bytes, little-endian, row-major; offsets are relative to it
// Names are PyTorch's state_dict names ("0.weight", "3.running_mean").
#pragma once
#include <map>
#include <string>
#include <string_view>

#include "descent/core/state_dict.hpp"

namespace descent::io {

/// The "__metadata__" of a safetensors file: free-form string pairs.
using Metadata = std::map<std::string, std::string>;

/// Writes `tensors` to `path` atomically (temporary file, fsync, rename): a failed or
/// interrupted save leaves any previous file at `path` untouched.
/// dtypes: float32 → "F32", float64 → "F64", int64 → "I64", bool → "BOOL". The data are laid
/// out by decreasing element size (so every tensor is aligned in a memory-mapped file),
/// and the header lists the tensors in the StateDict's order.
void save_safetensors(const std::string& path, const StateDict& tensors, const Metadata& metadata = {});

/// The bytes save_safetensors writes.
std::string to_safetensors(const StateDict& tensors, const Metadata& metadata = {});

/// Reads a safetensors file. Tensors come back in the header's order, each with its own storage.
/// Besides F32, F64, I64 and BOOL, the integer dtypes I8, U8, I16, U16, I32, U32 load as int64
/// and F16, BF16 as float32. Any inconsistency is a descent::Error naming the file and the
/// byte offset: header length beyond the file, bad JSON, unknown dtype, offsets out of range,
/// overlapping or leaving holes, a size that does not match the shape, a bool byte not 0 or 1.
/// `metadata`, when given, receives the "__metadata__" pairs.
StateDict load_safetensors(const std::string& path, Metadata* metadata = nullptr);

/// Parses the bytes of a safetensors file; `name` stands for the file in error messages.
StateDict parse_safetensors(std::string_view bytes, const std::string& name, Metadata* metadata = nullptr);

}  // namespace descent::io
