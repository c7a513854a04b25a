// The optimizer base: parameter groups with their own options, zero_grad, step,
// add_param_group and state_dict()/load_state_dict() for exact resume.
// Per-parameter state is a struct kept in a vector aligned with each group's
// parameter list (never keyed by address), as torch.optim keeps it per tensor.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "descent/core/state_dict.hpp"
#include "descent/core/tensor.hpp"

namespace descent::optim {

/// (beta1, beta2) of the Adam family: `.betas = {0.9, 0.999}`.
using Betas = std::array<double, 2>;

/// Parameters that share one set of options, e.g. a smaller lr for one layer:
///
///     auto slow = opts; slow.lr = 1e-4;
///     optim::SGD optimizer({{fc1.parameters(), slow}, {fc2.parameters(), opts}});
template <class Options>
struct ParamGroup {
    std::vector<Tensor> params;
    Options options{};
};

namespace detail {
/// Reads or writes one named field of an optimizer's options or per-parameter
/// state, so that one list of fields drives both state_dict() and load_state_dict().
class FieldVisitor {
public:
    virtual ~FieldVisitor() = default;
    virtual void field(const char* name, double& value) = 0;
    virtual void field(const char* name, bool& value) = 0;
    virtual void field(const char* name, std::int64_t& value) = 0;
    virtual void field(const char* name, Betas& value) = 0;
    /// A tensor of the parameter's shape and dtype (undefined = absent).
    virtual void field(const char* name, Tensor& value) = 0;
};

/// Writes fields into `out` under `prefix` (scalars as 0-dim float64/int64/bool tensors).
class FieldSaver final : public FieldVisitor {
public:
    FieldSaver(StateDict& out, std::string prefix) : out_(out), prefix_(std::move(prefix)) {}
    void field(const char* name, double& value) override;
    void field(const char* name, bool& value) override;
    void field(const char* name, std::int64_t& value) override;
    void field(const char* name, Betas& value) override;
    void field(const char* name, Tensor& value) override;

private:
    StateDict& out_;
    std::string prefix_;
};

/// Reads fields from `in` under `prefix`; `param` gives the shape and dtype a
/// state tensor must have. Missing scalars are an error; a missing tensor leaves
/// the field undefined (an optional buffer, e.g. max_exp_avg_sq without amsgrad).
class FieldLoader final : public FieldVisitor {
public:
    FieldLoader(const StateDict& in, std::string prefix, Tensor param = Tensor())
        : in_(in), prefix_(std::move(prefix)), param_(std::move(param)) {}
    void field(const char* name, double& value) override;
    void field(const char* name, bool& value) override;
    void field(const char* name, std::int64_t& value) override;
    void field(const char* name, Betas& value) override;
    void field(const char* name, Tensor& value) override;

private:
    const Tensor& scalar(const char* name) const;
    const StateDict& in_;
    std::string prefix_;
    Tensor param_;
};

/// Checks parameters handed to an optimizer: defined, floating, leaf, contiguous.
void check_params(const std::vector<Tensor>& params, const std::string& optimizer);
/// True when some key of `state` starts with `prefix`.
bool has_prefix(const StateDict& state, const std::string& prefix);
/// The gradient of `param` ready for a fused loop (contiguous), or undefined.
Tensor dense_grad(const Tensor& param);
/// Marks an in-place write to `param` so saved tensors of an old graph notice it.
void bump_version(const Tensor& param);
}  // namespace detail

/// What every optimizer offers; schedulers, clipping and checkpoints use this interface.
class Optimizer {
public:
    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    /// torch's class name: "SGD", "Adam", ...
    virtual std::string name() const = 0;
    /// One update of every parameter that has a gradient (parameters without one are skipped).
    virtual void step() = 0;
    /// Clears every parameter's gradient: drops it (set_to_none, PyTorch ≥ 2.0's default) or zeroes it.
    void zero_grad(bool set_to_none = true);

    virtual std::size_t num_param_groups() const = 0;
    /// The parameters of one group.
    virtual const std::vector<Tensor>& params(std::size_t group) const = 0;
    /// Every parameter, group after group: the order of the indices in state_dict().
    std::vector<Tensor> all_params() const;

    /// Learning rate of a group.
    virtual double lr(std::size_t group = 0) const = 0;
    /// Sets the learning rate of one group (schedulers call this).
    virtual void set_lr(std::size_t group, double lr) = 0;
    /// The momentum a scheduler may cycle (OneCycleLR): `momentum` for SGD and
    /// RMSprop, beta1 for the Adam family; nullopt for optimizers without one.
    virtual std::optional<double> momentum(std::size_t group) const;
    virtual void set_momentum(std::size_t group, double momentum);
    /// The lr a group had when the first scheduler was attached (torch's group['initial_lr']).
    std::optional<double> initial_lr(std::size_t group) const;
    void set_initial_lr(std::size_t group, double lr);

    /// Options of every group ("param_groups.<g>.<option>", "param_groups.<g>.params" = the
    /// parameters' indices) and the state of every parameter that has one
    /// ("state.<index>.<name>"), with scalars as 0-dim tensors. The state tensors share
    /// storage with the optimizer: save or clone the dict before stepping again.
    virtual StateDict state_dict() const = 0;
    /// Restores options and state bit for bit. The optimizer must have the same groups with
    /// parameters of the same shapes; any mismatch is an error and leaves it unchanged.
    virtual void load_state_dict(const StateDict& state) = 0;

protected:
    Optimizer() = default;
    /// Keeps initial_lrs_ sized like the groups.
    void on_group_added() { initial_lrs_.emplace_back(); }
    void save_initial_lrs(StateDict& out) const;
    std::vector<std::optional<double>> load_initial_lrs(const StateDict& in) const;
    std::vector<std::optional<double>> initial_lrs_;
};

/// The shared machinery of the optimizers: groups of (params, Options) and one
/// optional State per parameter (empty until the parameter's first update).
/// A concrete optimizer supplies check_options (validation), visit_options and
/// visit_state (its field names) and step().
template <class Options, class State>
class OptimizerBase : public Optimizer {
public:
    std::size_t num_param_groups() const final { return groups_.size(); }
    const std::vector<Tensor>& params(std::size_t group) const final { return group_at(group).params; }
    double lr(std::size_t group = 0) const final { return group_at(group).options.lr; }
    /// Not validated, as torch does not check a group's lr after construction: a
    /// scheduler's formula may step slightly below zero and must not be refused.
    void set_lr(std::size_t group, double lr) final { group_at(group).options.lr = lr; }

    /// Options of a group.
    const Options& options(std::size_t group = 0) const { return group_at(group).options; }
    /// Replaces the options of a group (validated).
    void set_options(std::size_t group, const Options& options) {
        check_options(options);
        group_at(group).options = options;
    }
    /// Adds a group (torch's add_param_group); a parameter may belong to one group only.
    void add_param_group(std::vector<Tensor> params, const Options& options) {
        detail::check_params(params, name());
        check_options(options);
        for (const Tensor& p : params) {
            for (const auto& g : groups_)
                for (const Tensor& q : g.params)
                    DESCENT_CHECK(!p.is_same(q), name(), ": some parameters appear in more than one parameter group");
            for (const Tensor& q : params)
                DESCENT_CHECK(&p == &q || !p.is_same(q), name(), ": a parameter appears twice in one parameter group");
        }
        Group g;
        g.state.resize(params.size());
        g.params = std::move(params);
        g.options = options;
        groups_.push_back(std::move(g));
        on_group_added();
    }
    /// State of parameter `index` of `group`; nullptr before its first update.
    const State* state(std::size_t group, std::size_t index) const {
        const Group& g = group_at(group);
        DESCENT_CHECK(index < g.params.size(), name(), ": parameter ", index, " out of range for group ", group,
                      " of ", g.params.size(), " parameters");
        return g.state[index] ? &*g.state[index] : nullptr;
    }

    StateDict state_dict() const final {
        StateDict out;
        std::int64_t index = 0;
        for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
            const Group& g = groups_[gi];
            const std::string prefix = "param_groups." + std::to_string(gi) + ".";
            Options options = g.options;
            detail::FieldSaver saver(out, prefix);
            visit_options(options, saver);
            std::vector<std::int64_t> ids;
            for (std::size_t i = 0; i < g.params.size(); ++i) {
                ids.push_back(index);
                if (g.state[i]) {
                    State s = *g.state[i];  // handles only; tensors stay shared
                    detail::FieldSaver state_saver(out, "state." + std::to_string(index) + ".");
                    visit_state(s, state_saver);
                }
                ++index;
            }
            out.insert(prefix + "params", Tensor::from(ids, {static_cast<std::int64_t>(ids.size())}));
        }
        save_initial_lrs(out);
        return out;
    }

    void load_state_dict(const StateDict& state) final {
        std::vector<Group> loaded = groups_;
        std::int64_t index = 0;
        for (std::size_t gi = 0; gi < loaded.size(); ++gi) {
            Group& g = loaded[gi];
            const std::string prefix = "param_groups." + std::to_string(gi) + ".";
            const Tensor& ids = state.at(prefix + "params");
            DESCENT_CHECK(ids.dim() == 1 && ids.numel() == static_cast<std::int64_t>(g.params.size()), name(),
                          ".load_state_dict: group ", gi, " has ", g.params.size(),
                          " parameters but the state dict's group has ", ids.numel());
            detail::FieldLoader loader(state, prefix);
            visit_options(g.options, loader);
            check_options(g.options);
            for (std::size_t i = 0; i < g.params.size(); ++i, ++index) {
                const std::string state_prefix = "state." + std::to_string(index) + ".";
                g.state[i].reset();
                if (!detail::has_prefix(state, state_prefix)) continue;
                g.state[i].emplace();
                detail::FieldLoader state_loader(state, state_prefix, g.params[i]);
                visit_state(*g.state[i], state_loader);
            }
        }
        DESCENT_CHECK(!state.contains("param_groups." + std::to_string(loaded.size()) + ".params"), name(),
                      ".load_state_dict: the state dict has more parameter groups than the optimizer's ",
                      loaded.size());
        auto initial = load_initial_lrs(state);
        groups_ = std::move(loaded);
        initial_lrs_ = std::move(initial);
    }

protected:
    struct Group {
        std::vector<Tensor> params;
        Options options;
        std::vector<std::optional<State>> state;  // aligned with params
    };

    OptimizerBase() = default;
    /// Throws descent::Error naming the optimizer and the bad value.
    virtual void check_options(const Options& options) const = 0;
    /// Calls visitor.field(name, member) for every option (lr first).
    virtual void visit_options(Options& options, detail::FieldVisitor& visitor) const = 0;
    /// Calls visitor.field(name, member) for every state field.
    virtual void visit_state(State& state, detail::FieldVisitor& visitor) const = 0;

    /// Adds the groups given to a constructor (at least one parameter in all).
    void init_groups(std::vector<ParamGroup<Options>> groups) {
        std::size_t total = 0;
        for (const auto& g : groups) total += g.params.size();
        DESCENT_CHECK(total > 0, name(), ": optimizer got an empty parameter list");
        for (auto& g : groups) add_param_group(std::move(g.params), g.options);
    }

    Group& group_at(std::size_t group) {
        DESCENT_CHECK(group < groups_.size(), name(), ": parameter group ", group, " out of range (",
                      groups_.size(), " groups)");
        return groups_[group];
    }
    const Group& group_at(std::size_t group) const { return const_cast<OptimizerBase*>(this)->group_at(group); }

    std::vector<Group> groups_;
};

}  // namespace descent::optim
