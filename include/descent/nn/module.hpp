// nn::Module: the base of every layer. A module registers its parameters,
// buffers and children by name; parameters(), named_parameters() (dotted
// names, "0.weight"), state_dict(), train()/eval() and the printout all derive
// from that registry. Children are owned by their parent (on the heap), so a
// member reference to a registered child stays valid when the parent moves:
//
//     struct Net : nn::Module {
//         nn::Linear& fc1 = register_module("fc1", nn::Linear(2, 4));
//         nn::Linear& fc2 = register_module("fc2", nn::Linear(4, 1));
//         Tensor forward(const Tensor& x) override { return fc2(relu(fc1(x))); }
//     };
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "descent/core/state_dict.hpp"
#include "descent/core/tensor.hpp"

namespace descent::nn {

class Module {
public:
    Module() = default;
    virtual ~Module() = default;
    Module(Module&&) = default;
    Module& operator=(Module&&) = default;
    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;

    /// The module's computation on one input.
    virtual Tensor forward(const Tensor& input) = 0;
    Tensor operator()(const Tensor& input) { return forward(input); }

    /// PyTorch's class name, e.g. "Linear".
    virtual std::string name() const = 0;
    /// The text inside the parentheses of the printout, e.g. "in_features=2, out_features=4, bias=True".
    virtual std::string extra_repr() const { return ""; }

    /// Parameters of this module and (with recurse) its descendants, in registration order.
    std::vector<Tensor> parameters(bool recurse = true) const;
    std::vector<std::pair<std::string, Tensor>> named_parameters(bool recurse = true) const;
    std::vector<Tensor> buffers(bool recurse = true) const;
    std::vector<std::pair<std::string, Tensor>> named_buffers(bool recurse = true) const;
    /// Direct children.
    std::vector<std::shared_ptr<Module>> children() const;
    std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
    /// This module and every descendant, depth first, with dotted names ("" for this one).
    std::vector<std::pair<std::string, Module*>> named_modules();

    /// Sets training mode here and in every descendant (Dropout, BatchNorm read it).
    virtual void train(bool on = true);
    void eval() { train(false); }
    bool is_training() const { return training_; }

    /// Clears the gradients of every parameter (set_to_none: drop them, as PyTorch ≥ 2.0).
    void zero_grad(bool set_to_none = true);

    /// Parameters and persistent buffers by dotted name (tensors share storage with the module).
    StateDict state_dict() const;
    /// Copies values into the module. strict: a missing or unexpected key is an error.
    /// A shape or dtype mismatch is always an error naming the key and both shapes.
    void load_state_dict(const StateDict& state, bool strict = true);

    /// Converts every parameter and buffer to `dtype` in place (handles stay valid).
    void to(DType dtype);
    /// Calls fn on this module and every descendant.
    void apply(const std::function<void(Module&)>& fn);

    /// PyTorch's printout: "Sequential(\n  (0): Linear(in_features=2, ...)\n ...)".
    std::string to_string() const;

protected:
    /// Registers a parameter (marked requires_grad) and returns a handle to it.
    Tensor register_parameter(const std::string& name, Tensor tensor, bool requires_grad = true);
    /// Registers a buffer (state that is not trained: running means, ...).
    Tensor register_buffer(const std::string& name, Tensor tensor, bool persistent = true);
    /// Moves `module` onto the heap as a child and returns a reference to it.
    template <class M>
        requires std::is_base_of_v<Module, std::decay_t<M>>
    std::decay_t<M>& register_module(const std::string& name, M&& module) {
        auto owned = std::make_shared<std::decay_t<M>>(std::forward<M>(module));
        std::decay_t<M>& ref = *owned;
        add_child(name, std::move(owned));
        return ref;
    }
    /// Registers an existing shared child.
    void register_module(const std::string& name, std::shared_ptr<Module> module) { add_child(name, std::move(module)); }
    /// Replaces the tensor of a registered parameter (keeps the name and order).
    void reset_parameter(const std::string& name, Tensor tensor);

private:
    struct Buffer {
        std::string name;
        Tensor tensor;
        bool persistent;
    };
    void add_child(const std::string& name, std::shared_ptr<Module> module);
    void check_new_name(const std::string& name) const;

    std::vector<std::pair<std::string, Tensor>> parameters_;
    std::vector<Buffer> buffers_;
    std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
    bool training_ = true;
};

std::ostream& operator<<(std::ostream& out, const Module& module);

/// Modules applied in order; children are named "0", "1", ...
class Sequential : public Module {
public:
    Sequential() = default;
    template <class... Ms>
        requires(sizeof...(Ms) > 0 && (std::is_base_of_v<Module, std::decay_t<Ms>> && ...))
    explicit Sequential(Ms&&... modules) {
        (push_back(std::forward<Ms>(modules)), ...);
    }
    /// Appends a module (moved onto the heap) and returns a reference to it.
    template <class M>
        requires std::is_base_of_v<Module, std::decay_t<M>>
    std::decay_t<M>& push_back(M&& module) {
        return register_module(std::to_string(size_++), std::forward<M>(module));
    }
    void push_back(std::shared_ptr<Module> module) { register_module(std::to_string(size_++), std::move(module)); }

    Tensor forward(const Tensor& input) override;
    std::string name() const override { return "Sequential"; }
    std::size_t size() const { return size_; }
    /// The i-th module.
    Module& operator[](std::size_t index) const;

private:
    std::size_t size_ = 0;
};

}  // namespace descent::nn
