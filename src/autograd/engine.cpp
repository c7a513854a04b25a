// The backward engine, as PyTorch's: count each node's dependencies in one
// iterative walk, then run nodes from a ready queue (latest-created first, so
// the order is deterministic), summing the gradients that reach each input.
#include "descent/autograd/engine.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>

#include "descent/autograd/grad_mode.hpp"
#include "descent/autograd/node.hpp"
#include "descent/ops.hpp"

namespace descent::autograd {
namespace {

void accumulate(Tensor& slot, Tensor&& g) {
    if (!g.defined()) return;
    if (!slot.defined())
        slot = std::move(g);
    else
        slot = add(slot, g);
}

// What one backward pass keeps per node: its pending dependencies and the gradients summed so
// far for its outputs (output 0 inline: nearly every node has one output).
struct NodeState {
    Node* node = nullptr;
    int dependencies = 0;
    Tensor first;               // output 0
    std::vector<Tensor> rest;   // outputs 1.. (sized on first use)
    Tensor& slot(std::uint32_t output_nr) {
        if (output_nr == 0) return first;
        if (rest.empty()) rest.resize(node->num_outputs - 1);
        return rest[output_nr - 1];
    }
};

// Node* → index into the states: open addressing in one flat array, so a backward pass makes a
// few allocations in all instead of a few per node (a std::unordered_map allocates per entry).
class NodeIndex {
public:
    NodeIndex() : slots_(64) {}
    /// The index of `node`, inserting `next` for a new node; second: whether it was new.
    std::pair<std::uint32_t, bool> insert(Node* node, std::uint32_t next) {
        if (2 * (size_ + 1) > slots_.size()) grow();
        Slot& s = probe(node);
        if (s.node) return {s.index, false};
        s = {node, next};
        ++size_;
        return {next, true};
    }
    std::uint32_t at(Node* node) { return probe(node).index; }
    /// Empties the index for the next pass; a table grown for a huge graph is given back.
    void clear() {
        if (slots_.size() > 4096) slots_ = std::vector<Slot>(64);
        else if (size_) std::fill(slots_.begin(), slots_.end(), Slot{});
        size_ = 0;
    }

private:
    struct Slot {
        Node* node = nullptr;
        std::uint32_t index = 0;
    };
    Slot& probe(Node* node) {
        const std::size_t mask = slots_.size() - 1;
        std::size_t h = (reinterpret_cast<std::uintptr_t>(node) >> 4) * 0x9E3779B97F4A7C15ull >> 17;
        for (;; h = (h + 1) & mask)
            if (Slot& s = slots_[h & mask]; s.node == node || !s.node) return s;
    }
    void grow() {
        std::vector<Slot> old(slots_.size() * 2);
        old.swap(slots_);
        for (const Slot& s : old)
            if (s.node) probe(s.node) = s;
    }
    std::vector<Slot> slots_;  // size: a power of two, at most half full
    std::size_t size_ = 0;
};

// The buffers of one pass. A thread keeps one between passes, so a training loop's backward
// allocates none of them after its first step; a pass started inside another (a backward
// called from a node's apply) uses fresh ones.
struct Workspace {
    std::vector<NodeState> states;
    NodeIndex index;
    std::vector<Node*> stack;
    std::vector<std::uint32_t> ready;
    TensorList grads;
    bool busy = false;
    void clear() {
        // Drops any gradient left behind (a pass ended by an exception); what a huge graph grew
        // is given back rather than kept for the thread's lifetime.
        if (states.capacity() > 4096) {
            states = {};
            stack = {};
            ready = {};
        } else {
            states.clear();
            stack.clear();
            ready.clear();
        }
        index.clear();
        grads.clear();
    }
};

// Walks the graph once and runs it. With `captures`, gradients reaching those
// edges are stored there and leaves are left untouched (autograd::grad).
void execute(const Edge* roots, Tensor* root_grads, std::size_t n_roots, bool retain_graph,
             std::vector<std::pair<Edge, Tensor*>>* captures) {
    thread_local Workspace cached;
    std::optional<Workspace> fresh;  // built only when needed: its index allocates
    Workspace& ws = cached.busy ? fresh.emplace() : cached;
    ws.busy = true;
    struct Release {
        Workspace& ws;
        ~Release() {
            ws.clear();
            ws.busy = false;
        }
    } release{ws};
    std::vector<NodeState>& states = ws.states;
    NodeIndex& index = ws.index;
    auto visit = [&](Node* node) {
        const auto [i, inserted] = index.insert(node, static_cast<std::uint32_t>(states.size()));
        if (inserted) states.push_back({.node = node});
        return std::pair{i, inserted};
    };
    std::vector<Node*>& stack = ws.stack;
    for (const Edge& e : std::span(roots, n_roots))
        if (e.fn && visit(e.fn.get()).second) stack.push_back(e.fn.get());
    while (!stack.empty()) {
        Node* node = stack.back();
        stack.pop_back();
        for (const Edge& e : node->next_edges) {
            if (!e.fn) continue;
            const auto [i, inserted] = visit(e.fn.get());
            ++states[i].dependencies;
            if (inserted) stack.push_back(e.fn.get());
        }
    }

    // Ready nodes, latest-created first (a heap on sequence_nr): the order is deterministic.
    std::vector<std::uint32_t>& ready = ws.ready;
    ready.reserve(states.size());
    auto later_first = [&states](std::uint32_t a, std::uint32_t b) {
        return states[a].node->sequence_nr < states[b].node->sequence_nr;
    };
    auto push_ready = [&](std::uint32_t i) {
        ready.push_back(i);
        std::push_heap(ready.begin(), ready.end(), later_first);
    };
    // Roots may be reached from each other: they start once nothing leads to them.
    for (std::size_t i = 0; i < n_roots; ++i) {
        if (!roots[i].fn) continue;
        accumulate(states[index.at(roots[i].fn.get())].slot(roots[i].input_nr), std::move(root_grads[i]));
    }
    for (const Edge& e : std::span(roots, n_roots)) {
        if (!e.fn) continue;
        const std::uint32_t i = index.at(e.fn.get());
        if (states[i].dependencies == 0) {
            states[i].dependencies = -1;  // queued
            push_ready(i);
        }
    }

    NoGradGuard no_grad;  // backward formulas are not themselves recorded
    TensorList& grads = ws.grads;  // reused for every node's call
    while (!ready.empty()) {
        std::pop_heap(ready.begin(), ready.end(), later_first);
        NodeState& state = states[ready.back()];
        ready.pop_back();
        Node* node = state.node;
        grads.clear();
        grads.reserve(node->num_outputs);
        grads.push_back(std::move(state.first));
        for (std::uint32_t k = 1; k < node->num_outputs; ++k)
            grads.push_back(state.rest.empty() ? Tensor() : std::move(state.rest[k - 1]));
        state.rest = {};
        DESCENT_CHECK(!node->released, node->name(),
                      ": trying to backward through the graph a second time; pass retain_graph = true "
                      "to the first backward() to keep it");
        for (auto& [output_nr, weak] : node->retained_outputs)
            if (auto impl = weak.lock(); impl && grads[output_nr].defined()) {
                Tensor g = clone(grads[output_nr]);
                impl->grad = impl->grad ? add(Tensor(impl->grad), g).impl_ptr() : g.impl_ptr();
            }

        TensorList input_grads;
        if (captures) {
            for (auto& [edge, out] : *captures)
                if (edge.fn.get() == node && grads[edge.input_nr].defined()) *out = grads[edge.input_nr];
        }
        // autograd::grad returns gradients instead of accumulating them into leaves.
        const bool is_leaf_sink = !node->releasable();
        if (!(captures && is_leaf_sink)) input_grads = node->apply(std::move(grads));
        if (!retain_graph && node->releasable()) {
            node->release_saved();
            node->released = true;
        }
        for (std::size_t i = 0; i < node->next_edges.size(); ++i) {
            const Edge& e = node->next_edges[i];
            if (!e.fn) continue;
            NodeState& next = states[index.at(e.fn.get())];
            if (i < input_grads.size() && input_grads[i].defined())
                accumulate(next.slot(e.input_nr), std::move(input_grads[i]));
            if (--next.dependencies == 0) push_ready(static_cast<std::uint32_t>(&next - states.data()));
        }
    }
}

std::vector<Edge> root_edges(const std::vector<Tensor>& outputs) {
    std::vector<Edge> roots;
    for (const Tensor& t : outputs) {
        DESCENT_CHECK(t.defined() && t.requires_grad(),
                      "backward: an output does not require grad and has no grad_fn");
        roots.push_back(gradient_edge(t));
    }
    return roots;
}

// The gradient that starts backward from `output`: `grad_output` (shape-checked, detached) or,
// when undefined, ones for a single-element output.
Tensor checked_grad(const Tensor& output, const Tensor& grad_output) {
    if (grad_output.defined()) {
        DESCENT_CHECK(grad_output.shape() == output.shape(), "backward: gradient of shape ",
                      shape_str(grad_output.shape()), " does not match output of shape ", shape_str(output.shape()));
        return grad_output.detach();
    }
    DESCENT_CHECK(output.numel() == 1, "backward: grad can be implicitly created only for scalar outputs; got shape ",
                  shape_str(output.shape()), " (pass a gradient of that shape)");
    return Tensor::ones_like(output);  // fresh, with no history
}

std::vector<Tensor> checked_grads(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs) {
    std::vector<Tensor> grads;
    for (std::size_t i = 0; i < outputs.size(); ++i)
        grads.push_back(checked_grad(outputs[i], i < grad_outputs.size() ? grad_outputs[i] : Tensor()));
    return grads;
}
}  // namespace

void run_backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs, bool retain_graph) {
    DESCENT_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(), "backward: ", outputs.size(),
                  " outputs but ", grad_outputs.size(), " gradients");
    const std::vector<Edge> roots = root_edges(outputs);
    std::vector<Tensor> grads = checked_grads(outputs, grad_outputs);
    execute(roots.data(), grads.data(), roots.size(), retain_graph, nullptr);
}

void run_backward(const Tensor& output, const Tensor& grad_output, bool retain_graph) {
    DESCENT_CHECK(output.defined() && output.requires_grad(),
                  "backward: the tensor does not require grad and has no grad_fn (did every input have "
                  "requires_grad = false, or was it computed under NoGradGuard?)");
    const Edge root = gradient_edge(output);
    Tensor grad = checked_grad(output, grad_output);
    execute(&root, &grad, 1, retain_graph, nullptr);
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph) {
    DESCENT_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(), "grad: ", outputs.size(),
                  " outputs but ", grad_outputs.size(), " gradients");
    std::vector<Tensor> results(inputs.size());
    std::vector<std::pair<Edge, Tensor*>> captures;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        DESCENT_CHECK(inputs[i].defined() && inputs[i].requires_grad(), "grad: input ", i,
                      " does not require grad");
        captures.emplace_back(gradient_edge(inputs[i]), &results[i]);
    }
    const std::vector<Edge> roots = root_edges(outputs);
    std::vector<Tensor> grads = checked_grads(outputs, grad_outputs);
    execute(roots.data(), grads.data(), roots.size(), retain_graph, &captures);
    return results;
}

}  // namespace descent::autograd
