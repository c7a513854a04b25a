// The backward engine, as PyTorch's: count each node's dependencies in one
// iterative walk, then run nodes from a ready queue (latest-created first, so
// the order is deterministic), summing the gradients that reach each input.
#include "descent/autograd/engine.hpp"

#include <queue>
#include <unordered_map>

#include "descent/autograd/grad_mode.hpp"
#include "descent/autograd/node.hpp"
#include "descent/ops.hpp"

namespace descent::autograd {
namespace {

struct LaterFirst {
    bool operator()(const Node* a, const Node* b) const { return a->sequence_nr < b->sequence_nr; }
};

void accumulate(Tensor& slot, Tensor&& g) {
    if (!g.defined()) return;
    if (!slot.defined())
        slot = std::move(g);
    else
        slot = add(slot, g);
}

// Walks the graph once and runs it. With `captures`, gradients reaching those
// edges are stored there and leaves are left untouched (autograd::grad).
void execute(const std::vector<Edge>& roots, std::vector<Tensor> root_grads, bool retain_graph,
             std::vector<std::pair<Edge, Tensor*>>* captures) {
    std::unordered_map<Node*, int> dependencies;
    std::vector<Node*> stack;
    for (const Edge& e : roots)
        if (e.fn && dependencies.emplace(e.fn.get(), 0).second) stack.push_back(e.fn.get());
    while (!stack.empty()) {
        Node* node = stack.back();
        stack.pop_back();
        for (const Edge& e : node->next_edges) {
            if (!e.fn) continue;
            auto [it, inserted] = dependencies.emplace(e.fn.get(), 0);
            ++it->second;
            if (inserted) stack.push_back(e.fn.get());
        }
    }

    std::unordered_map<Node*, std::vector<Tensor>> buffers;
    auto buffer_of = [&buffers](Node* node) -> std::vector<Tensor>& {
        auto& b = buffers[node];
        if (b.empty()) b.resize(node->num_outputs);
        return b;
    };
    // Roots may be reached from each other: they start once nothing leads to them.
    std::priority_queue<Node*, std::vector<Node*>, LaterFirst> ready;
    for (std::size_t i = 0; i < roots.size(); ++i) {
        if (!roots[i].fn) continue;
        accumulate(buffer_of(roots[i].fn.get())[roots[i].input_nr], std::move(root_grads[i]));
    }
    for (const Edge& e : roots) {
        if (!e.fn) continue;
        auto it = dependencies.find(e.fn.get());
        if (it->second == 0) {
            it->second = -1;  // queued
            ready.push(e.fn.get());
        }
    }

    NoGradGuard no_grad;  // backward formulas are not themselves recorded
    while (!ready.empty()) {
        Node* node = ready.top();
        ready.pop();
        std::vector<Tensor> grads = std::move(buffer_of(node));
        buffers.erase(node);
        DESCENT_CHECK(!node->released, node->name(),
                      ": trying to backward through the graph a second time; pass retain_graph = true "
                      "to the first backward() to keep it");
        for (auto& [output_nr, weak] : node->retained_outputs)
            if (auto impl = weak.lock(); impl && grads[output_nr].defined()) {
                Tensor g = clone(grads[output_nr]);
                impl->grad = impl->grad ? add(Tensor(impl->grad), g).impl_ptr() : g.impl_ptr();
            }

        std::vector<Tensor> input_grads;
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
            if (i < input_grads.size() && input_grads[i].defined())
                accumulate(buffer_of(e.fn.get())[e.input_nr], std::move(input_grads[i]));
            if (--dependencies[e.fn.get()] == 0) ready.push(e.fn.get());
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

std::vector<Tensor> checked_grads(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs) {
    std::vector<Tensor> grads;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        if (i < grad_outputs.size() && grad_outputs[i].defined()) {
            DESCENT_CHECK(grad_outputs[i].shape() == outputs[i].shape(), "backward: gradient of shape ",
                          shape_str(grad_outputs[i].shape()), " does not match output of shape ",
                          shape_str(outputs[i].shape()));
            grads.push_back(grad_outputs[i].detach());
        } else {
            DESCENT_CHECK(outputs[i].numel() == 1,
                          "backward: grad can be implicitly created only for scalar outputs; got shape ",
                          shape_str(outputs[i].shape()));
            grads.push_back(Tensor::ones_like(outputs[i]));
        }
    }
    return grads;
}
}  // namespace

void run_backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs, bool retain_graph) {
    DESCENT_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(), "backward: ", outputs.size(),
                  " outputs but ", grad_outputs.size(), " gradients");
    execute(root_edges(outputs), checked_grads(outputs, grad_outputs), retain_graph, nullptr);
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
    execute(root_edges(outputs), checked_grads(outputs, grad_outputs), retain_graph, &captures);
    return results;
}

}  // namespace descent::autograd
