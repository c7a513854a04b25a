// Checkpoints as one prefixed StateDict in a safetensors file. Generator states are
// stored as int64 bit patterns so that a resumed run draws exactly the same numbers.
#include "descent/io/checkpoint.hpp"

#include <bit>

namespace descent::io {

namespace {
const std::string kFormat = "descent.checkpoint";
const std::string kVersion = "1";
constexpr const char* kPrefixes[] = {"model.", "optimizer.", "scheduler.", "loader.", "generator."};
}  // namespace

Tensor generator_state_to_tensor(const Generator::State& state) {
    std::vector<std::int64_t> v = {
        std::bit_cast<std::int64_t>(state.s[0]), std::bit_cast<std::int64_t>(state.s[1]),
        std::bit_cast<std::int64_t>(state.s[2]), std::bit_cast<std::int64_t>(state.s[3]),
        std::bit_cast<std::int64_t>(state.seed), state.has_cached_normal ? 1 : 0,
        std::bit_cast<std::int64_t>(state.cached_normal)};
    return Tensor::from(v);
}

Generator::State generator_state_from_tensor(const Tensor& tensor, const std::string& where) {
    DESCENT_CHECK(tensor.defined() && tensor.dtype() == kInt64 && tensor.shape() == Shape{7}, where,
                  ": expected an int64 [7] tensor, got ",
                  tensor.defined() ? std::string(dtype_name(tensor.dtype())) + " " + shape_str(tensor.shape())
                                   : std::string("an undefined tensor"));
    const std::vector<std::int64_t> v = tensor.to_vector<std::int64_t>();
    DESCENT_CHECK(v[5] == 0 || v[5] == 1, where, ": has_cached_normal is ", v[5], ", not 0 or 1");
    Generator::State s;
    for (int i = 0; i < 4; ++i) s.s[i] = std::bit_cast<std::uint64_t>(v[i]);
    s.seed = std::bit_cast<std::uint64_t>(v[4]);
    s.has_cached_normal = v[5] == 1;
    s.cached_normal = std::bit_cast<double>(v[6]);
    return s;
}

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
    StateDict all;
    all.merge(checkpoint.model, "model.");
    all.merge(checkpoint.optimizer, "optimizer.");
    all.merge(checkpoint.scheduler, "scheduler.");
    all.merge(checkpoint.loader, "loader.");
    DESCENT_CHECK(checkpoint.epoch >= 0, "save_checkpoint: ", path, ": negative epoch ", checkpoint.epoch);
    Tensor epoch = make_tensor({}, kInt64);
    epoch.data_ptr<std::int64_t>()[0] = checkpoint.epoch;
    all.insert("epoch", epoch);
    for (const auto& [name, state] : checkpoint.generators) {
        DESCENT_CHECK(!name.empty(), "save_checkpoint: ", path, ": a generator has an empty name");
        all.insert("generator." + name, generator_state_to_tensor(state));
    }
    Metadata metadata = checkpoint.metadata;
    DESCENT_CHECK(!metadata.contains("format") && !metadata.contains("version"), "save_checkpoint: ", path,
                  ": metadata keys \"format\" and \"version\" are reserved");
    metadata["format"] = kFormat;
    metadata["version"] = kVersion;
    save_safetensors(path, all, metadata);
}

Checkpoint load_checkpoint(const std::string& path) {
    Checkpoint c;
    StateDict all = load_safetensors(path, &c.metadata);
    auto format = c.metadata.find("format");
    DESCENT_CHECK(format != c.metadata.end() && format->second == kFormat, "load_checkpoint: ", path,
                  " is not a descent checkpoint (its metadata has no \"format\": \"", kFormat,
                  "\"); a bare model file loads with io::load_safetensors");
    auto version = c.metadata.find("version");
    DESCENT_CHECK(version != c.metadata.end() && version->second == kVersion, "load_checkpoint: ", path,
                  ": unsupported checkpoint version \"", version == c.metadata.end() ? "" : version->second,
                  "\" (this build reads version ", kVersion, ")");
    c.metadata.erase("format");
    c.metadata.erase("version");
    for (const auto& [name, t] : all) {
        if (name == "epoch") continue;
        bool known = false;
        for (const char* p : kPrefixes) known = known || name.rfind(p, 0) == 0;
        DESCENT_CHECK(known, "load_checkpoint: ", path, ": unexpected entry \"", name, "\"");
    }
    c.model = all.with_prefix_removed("model.");
    c.optimizer = all.with_prefix_removed("optimizer.");
    c.scheduler = all.with_prefix_removed("scheduler.");
    c.loader = all.with_prefix_removed("loader.");
    const Tensor* epoch = all.find("epoch");
    DESCENT_CHECK(epoch != nullptr, "load_checkpoint: ", path, ": no \"epoch\" entry");
    DESCENT_CHECK(epoch->dtype() == kInt64 && epoch->dim() == 0, "load_checkpoint: ", path,
                  ": \"epoch\" should be an int64 scalar, got ", dtype_name(epoch->dtype()), " ",
                  shape_str(epoch->shape()));
    c.epoch = epoch->data_ptr<std::int64_t>()[0];
    for (const auto& [name, t] : all.with_prefix_removed("generator."))
        c.generators[name] = generator_state_from_tensor(t, "load_checkpoint: " + path + ": \"generator." + name + "\"");
    return c;
}

}  // namespace descent::io
