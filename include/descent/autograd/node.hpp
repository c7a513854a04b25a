// Graph nodes of reverse-mode autograd. An op that records itself derives a
// Node whose apply() maps the gradients of its outputs to those of its inputs;
// the forward function and this node live side by side in src/ops/.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "descent/core/pool_allocator.hpp"
#include "descent/core/tensor.hpp"

namespace descent::autograd {

class Node;

/// Where a gradient flows: input `input_nr` of node `fn` (fn null: nowhere).
struct Edge {
    std::shared_ptr<Node> fn;
    std::uint32_t input_nr = 0;
    bool valid() const { return fn != nullptr; }
};

/// A list that keeps up to N elements inside itself and spills into a std::vector beyond
/// that. Nearly every op has ≤ 3 inputs and 1 output, so a node's edges live inside the node
/// (recording an op allocates the node alone) and the gradients a backward takes and returns
/// live on the stack: a training step's backward allocates no lists.
template <class T, std::size_t N>
class InlineList {
public:
    static constexpr std::size_t kInline = N;
    InlineList() = default;
    explicit InlineList(std::size_t n) { resize(n); }
    InlineList(std::initializer_list<T> values) {
        reserve(values.size());
        for (const T& v : values) push_back(v);
    }
    InlineList(InlineList&& other) noexcept { take(other); }
    InlineList& operator=(InlineList&& other) noexcept {
        if (this != &other) {
            clear();
            take(other);
        }
        return *this;
    }
    InlineList(const InlineList&) = delete;
    InlineList& operator=(const InlineList&) = delete;

    std::size_t size() const { return spilled_ ? heap_.size() : size_; }
    bool empty() const { return size() == 0; }
    T* begin() { return spilled_ ? heap_.data() : inline_; }
    T* end() { return begin() + size(); }
    const T* begin() const { return spilled_ ? heap_.data() : inline_; }
    const T* end() const { return begin() + size(); }
    T& operator[](std::size_t i) { return begin()[i]; }
    const T& operator[](std::size_t i) const { return begin()[i]; }
    void reserve(std::size_t n) {
        if (n > N) spill(n);
    }
    void push_back(T v) {
        if (!spilled_ && size_ == N) spill(N + 1);
        if (spilled_) heap_.push_back(std::move(v));
        else inline_[size_++] = std::move(v);
    }
    /// Grows with default values or shrinks to n elements.
    void resize(std::size_t n) {
        if (n > N) spill(n);
        if (spilled_) return heap_.resize(n);
        for (std::size_t i = n; i < size_; ++i) inline_[i] = T{};
        size_ = static_cast<std::uint32_t>(n);
    }
    /// Drops every element (and what only they held).
    void clear() {
        for (std::size_t i = 0; i < size_; ++i) inline_[i] = T{};
        size_ = 0;
        heap_.clear();
    }

private:
    void spill(std::size_t capacity) {
        if (spilled_) return heap_.reserve(capacity);
        heap_.reserve(capacity);
        for (std::size_t i = 0; i < size_; ++i) heap_.push_back(std::move(inline_[i]));
        for (std::size_t i = 0; i < size_; ++i) inline_[i] = T{};
        size_ = 0;
        spilled_ = true;
    }
    // Called on an empty list; leaves `other` empty and usable.
    void take(InlineList& other) {
        spilled_ = other.spilled_;
        if (spilled_) {
            heap_ = std::move(other.heap_);
        } else {
            for (std::size_t i = 0; i < other.size_; ++i) inline_[i] = std::move(other.inline_[i]);
            size_ = other.size_;
        }
        other.clear();
        other.spilled_ = false;
    }
    T inline_[N];
    std::uint32_t size_ = 0;  // elements in inline_ (0 once spilled)
    bool spilled_ = false;
    std::vector<T> heap_;
};

using EdgeList = InlineList<Edge, 3>;
/// The gradients a node's apply() takes (one per output) and returns (one per input).
using TensorList = InlineList<Tensor, 3>;

/// A tensor kept for backward, with the storage version at save time: unpacking
/// after an in-place write is a clear error instead of a wrong gradient. It never
/// keeps a node alive that the saving node's edges do not: a tensor that requires
/// grad (an input) is kept as is, any other is detached. An op saves its output
/// before set_history (then it does not require grad yet, so it is detached).
class SavedTensor {
public:
    SavedTensor() = default;
    explicit SavedTensor(const Tensor& t);
    /// With what the op knows: `is_output` false (an input, or constant data such as a
    /// target) keeps `t` as is, sparing a detached copy; true detaches it (PyTorch's flag).
    SavedTensor(const Tensor& t, bool is_output);
    /// The saved data; throws if the tensor was modified in place since saving.
    Tensor unpack(const Node& owner) const;
    void reset() { data_ = Tensor(); }
    bool defined() const { return data_.defined(); }

private:
    Tensor data_;
    std::uint64_t version_ = 0;
};

/// One recorded operation: maps the gradients of its outputs (one per output)
/// to the gradients of its inputs (one per next edge; undefined = zero).
class Node {
public:
    Node();
    virtual ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    virtual TensorList apply(TensorList&& grad_outputs) = 0;
    /// PyTorch's name of the backward node, e.g. "MulBackward0".
    virtual std::string name() const = 0;
    /// Frees what was saved for backward (called after backward unless retain_graph).
    virtual void release_saved() {}

    /// Whether input i needs a gradient (lets apply() skip work).
    bool needs_input_grad(std::size_t i) const { return i < next_edges.size() && next_edges[i].valid(); }

    EdgeList next_edges;
    std::uint64_t sequence_nr;
    std::uint32_t num_outputs = 1;
    bool released = false;  // saved tensors freed: a second backward is an error
    /// Non-leaf outputs that asked for retain_grad(): (output_nr, tensor).
    std::vector<std::pair<std::uint32_t, std::weak_ptr<TensorImpl>>> retained_outputs;
    /// False for nodes that outlive one graph (AccumulateGrad).
    virtual bool releasable() const { return true; }
};

/// The node that adds an incoming gradient into a leaf's .grad().
class AccumulateGrad final : public Node {
public:
    explicit AccumulateGrad(std::shared_ptr<TensorImpl> leaf) : leaf_(std::move(leaf)) {}
    TensorList apply(TensorList&& grad_outputs) override;
    std::string name() const override { return "AccumulateGrad"; }
    bool releasable() const override { return false; }
    const std::shared_ptr<TensorImpl>& leaf() const { return leaf_; }

private:
    std::shared_ptr<TensorImpl> leaf_;
};

/// True when grad mode is on and any input requires grad.
bool any_requires_grad(std::initializer_list<const Tensor*> inputs);
bool any_requires_grad(const std::vector<Tensor>& inputs);
/// The edge a gradient for `t` should follow (invalid when t needs none).
Edge gradient_edge(const Tensor& t);
/// Connects `node` to the inputs' edges (one per input, in order).
void collect_next_edges(Node& node, std::initializer_list<const Tensor*> inputs);
void collect_next_edges(Node& node, const std::vector<Tensor>& inputs);
/// Makes `out` output `output_nr` of `node` (sets requires_grad and grad_fn).
void set_history(Tensor& out, const std::shared_ptr<Node>& node, std::uint32_t output_nr = 0);

/// Builds node T, wires it to `inputs` and returns it, or nullptr when no
/// input needs a gradient (then nothing is recorded).
template <class T>
std::shared_ptr<T> make_node(std::initializer_list<const Tensor*> inputs) {
    if (!any_requires_grad(inputs)) return nullptr;
    // One pooled allocation for the node, its edges and its control block.
    auto node = std::allocate_shared<T>(PoolAllocator<T>());
    collect_next_edges(*node, inputs);
    return node;
}

}  // namespace descent::autograd
