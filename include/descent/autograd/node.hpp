// Graph nodes of reverse-mode autograd. An op that records itself derives a
// Node whose apply() maps the gradients of its outputs to those of its inputs;
// the forward function and this node live side by side in src/ops/.
#pragma once
#include <cstdint>
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

/// A node's edges: up to kInline (nearly every op has ≤ 3 inputs) live inside the node, so
/// recording an op allocates the node alone; more spill into a std::vector.
class EdgeList {
public:
    static constexpr std::size_t kInline = 3;
    EdgeList() = default;
    EdgeList(const EdgeList&) = delete;
    EdgeList& operator=(const EdgeList&) = delete;

    std::size_t size() const { return spilled_ ? heap_.size() : size_; }
    bool empty() const { return size() == 0; }
    Edge* begin() { return spilled_ ? heap_.data() : inline_; }
    Edge* end() { return begin() + size(); }
    const Edge* begin() const { return spilled_ ? heap_.data() : inline_; }
    const Edge* end() const { return begin() + size(); }
    Edge& operator[](std::size_t i) { return begin()[i]; }
    const Edge& operator[](std::size_t i) const { return begin()[i]; }
    void reserve(std::size_t n) {
        if (n > kInline) spill(n);
    }
    void push_back(Edge e) {
        if (!spilled_ && size_ == kInline) spill(kInline + 1);
        if (spilled_) heap_.push_back(std::move(e));
        else inline_[size_++] = std::move(e);
    }
    /// Drops every edge (and the nodes only they held).
    void clear() {
        for (std::size_t i = 0; i < size_; ++i) inline_[i] = Edge{};
        size_ = 0;
        heap_.clear();
    }

private:
    void spill(std::size_t capacity) {
        if (spilled_) return heap_.reserve(capacity);
        heap_.reserve(capacity);
        for (std::size_t i = 0; i < size_; ++i) heap_.push_back(std::move(inline_[i]));
        size_ = 0;
        spilled_ = true;
    }
    Edge inline_[kInline];
    std::uint32_t size_ = 0;  // edges in inline_ (0 once spilled)
    bool spilled_ = false;
    std::vector<Edge> heap_;
};

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

    virtual std::vector<Tensor> apply(std::vector<Tensor>&& grad_outputs) = 0;
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
    std::vector<Tensor> apply(std::vector<Tensor>&& grad_outputs) override;
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
