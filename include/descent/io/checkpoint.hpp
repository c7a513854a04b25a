// Training checkpoints: everything needed to resume a run bit for bit, in one
// safetensors file (so PyTorch can read it too). Layout of the names:
//   model.<name>       the model's state_dict
//   optimizer.<name>   the optimizer's state_dict
//   scheduler.<name>   the LR scheduler's state_dict
//   loader.<name>      the DataLoader's state_dict (its shuffling stream and epoch count)
//   epoch              int64 scalar: epochs completed
//   generator.<name>   int64 [7]: a Generator::State (s[0..3], seed, has_cached_normal,
//                      the bits of cached_normal), bit-exact
// and "__metadata__" {"format": "descent.checkpoint", "version": "1", ...user pairs}.
//
//     io::save_checkpoint(path, {.model = model.state_dict(), .optimizer = optimizer.state_dict(),
//                                .scheduler = scheduler.state_dict(), .loader = loader.state_dict(),
//                                .epoch = epoch, .generators = {{"default", default_generator().get_state()}}});
//     io::Checkpoint c = io::load_checkpoint(path);
//     model.load_state_dict(c.model);
//     default_generator().set_state(c.generators.at("default"));
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "descent/core/generator.hpp"
#include "descent/core/state_dict.hpp"
#include "descent/io/safetensors.hpp"

namespace descent::io {

/// The state of a training run.
struct Checkpoint {
    StateDict model;
    StateDict optimizer;
    StateDict scheduler;
    /// The training DataLoader's state_dict, so the next epochs shuffle as they would have.
    StateDict loader;
    /// Epochs completed.
    std::int64_t epoch = 0;
    /// Random streams by name ("default", "loader", ...).
    std::map<std::string, Generator::State> generators;
    /// Free-form pairs (the recipe, the config); "format" and "version" are reserved.
    Metadata metadata;
};

/// Writes the checkpoint atomically: an interrupted save leaves the previous checkpoint intact.
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);

/// Reads a checkpoint; a file that is not one (no descent.checkpoint format tag), a newer
/// version, or a malformed entry is an error naming the file and the entry.
Checkpoint load_checkpoint(const std::string& path);

/// The Generator::State as the int64 [7] tensor of a checkpoint, and back.
Tensor generator_state_to_tensor(const Generator::State& state);
Generator::State generator_state_from_tensor(const Tensor& tensor, const std::string& where = "generator state");

}  // namespace descent::io
