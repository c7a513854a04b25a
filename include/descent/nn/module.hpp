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
//
// name() defaults to the unqualified C++ class name ("Net"), as PyTorch uses
// the Python class name; built-in layers override it with PyTorch's name.
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

    /// PyTorch's class name, e.g. "Linear"; by default the unqualified C++ class name.
    virtual std::string name() const;
    /// The text inside the parentheses of the printout, e.g. "in_features=2, out_features=4, bias=True".
    /// May span several lines (each is indented in the printout), as in PyTorch.
    virtual std::string extra_repr() const { return ""; }

    /// Parameters of this module and (with recurse) its descendants, in registration order:
    /// a module's own parameters first, then each child's. A tensor reachable under two
    /// names (a shared child) is listed once, under its first name, as in PyTorch.
    std::vector<Tensor> parameters(bool recurse = true) const;
    std::vector<std::pair<std::string, Tensor>> named_parameters(bool recurse = true) const;
    std::vector<Tensor> buffers(bool recurse = true) const;
    std::vector<std::pair<std::string, Tensor>> named_buffers(bool recurse = true) const;
    /// Direct children.
    std::vector<std::shared_ptr<Module>> children() const;
    std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
    /// This module and every descendant, depth first, with dotted names ("" for this one);
    /// a module shared under two names is listed once.
    std::vector<std::pair<std::string, Module*>> named_modules();

    /// Sets training mode here and in every descendant (Dropout, BatchNorm read it).
    virtual void train(bool on = true);
    void eval() { train(false); }
    bool is_training() const { return training_; }

    /// Clears the gradients of every parameter (set_to_none: drop them, as PyTorch ≥ 2.0).
    void zero_grad(bool set_to_none = true);

    /// Parameters and persistent buffers by dotted name (tensors share storage with the module).
    StateDict state_dict() const;
    /// Copies values into the module (the module's tensors keep their identity and dtype;
    /// floating values convert between float32 and float64). strict: a missing or unexpected
    /// key is an error. A shape mismatch (naming the key and both shapes) or a dtype mismatch
    /// is always an error. Every problem is listed in one descent::Error, as PyTorch does, and
    /// nothing is copied when there is one.
    void load_state_dict(const StateDict& state, bool strict = true);

    /// Converts every parameter and buffer to `dtype` in place (handles stay valid).
    void to(DType dtype);
    /// Calls fn on this module and every descendant.
    void apply(const std::function<void(Module&)>& fn);

    /// PyTorch's printout, character for character: "Sequential(\n  (0): Linear(in_features=2, ...)\n ...)".
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

/// Modules applied in order; children are named "0", "1", ... Two patterns run fused, with the
/// same values and gradients as the modules one by one: ReLU → MaxPool2d as MaxPool2d → ReLU, and
/// Conv2d → [ReLU →] MaxPool2d through conv2d_max_pool2d (each sample's convolution output pooled,
/// and rectified, while it is in cache). The intermediate tensors are then never built, so a grad_fn
/// seen from outside is the fused node's (ConvolutionMaxPool2D[Relu]Backward).
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
        auto& ref = register_module(std::to_string(modules_.size()), std::forward<M>(module));
        modules_.push_back(&ref);
        return ref;
    }
    void push_back(std::shared_ptr<Module> module) {
        Module* raw = module.get();
        register_module(std::to_string(modules_.size()), std::move(module));
        modules_.push_back(raw);
    }

    Tensor forward(const Tensor& input) override;
    std::string name() const override { return "Sequential"; }
    std::size_t size() const { return modules_.size(); }
    /// The i-th module.
    Module& operator[](std::size_t index) const;
    /// The i-th module as its concrete type: `model.at<nn::Linear>(0).weight`
    /// (an error when the index is out of range or the type differs).
    template <class M>
        requires std::is_base_of_v<Module, M>
    M& at(std::size_t index) const {
        M* typed = dynamic_cast<M*>(&(*this)[index]);
        DESCENT_CHECK(typed != nullptr, "Sequential::at: module ", index, " is a ", (*this)[index].name(),
                      ", not the type asked for");
        return *typed;
    }

private:
    // Raw pointers into the heap-owned children, so forward() walks them without
    // copying shared_ptrs; they stay valid when the Sequential moves.
    std::vector<Module*> modules_;
};

/// Python's repr of a float, as PyTorch's printouts show it: 0.5 → "0.5", 1e-5 → "1e-05", 1 → "1.0".
std::string repr_float(double value);
/// "True" / "False".
std::string repr_bool(bool value);
/// Python's repr of a tuple of ints: {3, 3} → "(3, 3)", {3} → "(3,)".
std::string repr_tuple(const std::vector<std::int64_t>& values);

}  // namespace descent::nn
