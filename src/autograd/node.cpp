// Node bookkeeping: sequence numbers, edges to inputs, saved tensors with
// version checks, gradient accumulation into leaves, and a destructor that
// frees a chain of any length without recursion.
#include "descent/autograd/node.hpp"

#include <atomic>

#include "descent/autograd/grad_mode.hpp"
#include "descent/ops.hpp"

namespace descent::autograd {
namespace {
std::atomic<std::uint64_t> next_sequence_nr{0};
}

Node::Node() : sequence_nr(next_sequence_nr.fetch_add(1, std::memory_order_relaxed)) {}

Node::~Node() {
    // Freeing a chain of 100,000 nodes recursively would overflow the stack:
    // take the edges of every node about to die onto an explicit stack instead.
    // Its first entries live in place: a graph torn down every training step then
    // allocates nothing here (the usual stack holds one or two nodes at a time).
    constexpr std::size_t kInPlace = 8;
    std::shared_ptr<Node> in_place[kInPlace];
    std::size_t count = 0;
    std::vector<std::shared_ptr<Node>> more;
    auto take_edges = [&](EdgeList& edges) {
        for (auto& e : edges)
            if (e.fn && e.fn.use_count() == 1) {
                if (count < kInPlace) in_place[count++] = std::move(e.fn);
                else more.push_back(std::move(e.fn));
            }
        edges.clear();
    };
    take_edges(next_edges);
    while (count > 0 || !more.empty()) {
        std::shared_ptr<Node> node;
        if (!more.empty()) {
            node = std::move(more.back());
            more.pop_back();
        } else {
            node = std::move(in_place[--count]);
        }
        take_edges(node->next_edges);
    }  // `node` dies here with no edges left, so its destructor does not recurse
}

SavedTensor::SavedTensor(const Tensor& t) {
    if (!t.defined()) return;
    // A tensor that requires grad is a leaf or already has its grad_fn, which never changes:
    // keeping it holds no node that its edges do not hold already, so it is kept as is (as
    // PyTorch keeps inputs), sparing a new impl. The rest is detached: it may be the op's own
    // output, which gets the saving node as grad_fn right after (a cycle if kept).
    data_ = t.requires_grad() ? t : t.detach();
    version_ = t.version();
}

SavedTensor::SavedTensor(const Tensor& t, bool is_output) {
    if (!t.defined()) return;
    // Not the op's output, so it cannot get this node as grad_fn: it holds no node that the
    // node's edges do not hold already.
    data_ = is_output ? t.detach() : t;
    version_ = t.version();
}

Tensor SavedTensor::unpack(const Node& owner) const {
    DESCENT_CHECK(data_.defined(), owner.name(),
                  ": trying to backward through the graph a second time (or to read saved tensors after "
                  "they were freed); pass retain_graph = true to the first backward()");
    DESCENT_CHECK(data_.version() == version_, owner.name(),
                  ": a tensor needed for the gradient was modified by an in-place operation: ",
                  dtype_name(data_.dtype()), " ", shape_str(data_.shape()), " is at version ", data_.version(),
                  "; expected version ", version_);
    return data_;
}

TensorList AccumulateGrad::apply(TensorList&& grad_outputs) {
    Tensor g = std::move(grad_outputs[0]);
    if (!g.defined()) return {};
    if (g.dtype() != leaf_->dtype) g = to_dtype(g, leaf_->dtype);
    if (g.shape() != leaf_->shape) g = sum_to(g, leaf_->shape);
    if (!leaf_->grad) {
        // Own the gradient: the incoming tensor may alias storage the graph still uses.
        Tensor own = g.is_contiguous() && g.impl()->storage.use_count() == 1 ? g : clone(g);
        leaf_->grad = own.impl_ptr();
    } else {
        Tensor(leaf_->grad).add_(g);
    }
    return {};
}

bool any_requires_grad(std::initializer_list<const Tensor*> inputs) {
    if (!is_grad_enabled()) return false;
    for (const Tensor* t : inputs)
        if (t && t->defined() && t->requires_grad()) return true;
    return false;
}

bool any_requires_grad(const std::vector<Tensor>& inputs) {
    if (!is_grad_enabled()) return false;
    for (const Tensor& t : inputs)
        if (t.defined() && t.requires_grad()) return true;
    return false;
}

Edge gradient_edge(const Tensor& t) {
    if (!t.defined() || !t.requires_grad()) return {};
    TensorImpl* impl = t.impl();
    if (impl->grad_fn) return {impl->grad_fn, impl->output_nr};
    std::shared_ptr<Node> acc = impl->grad_accumulator.lock();
    if (!acc) {
        acc = std::allocate_shared<AccumulateGrad>(PoolAllocator<AccumulateGrad>(), t.impl_ptr());
        impl->grad_accumulator = acc;
    }
    return {acc, 0};
}

void collect_next_edges(Node& node, std::initializer_list<const Tensor*> inputs) {
    node.next_edges.reserve(inputs.size());
    for (const Tensor* t : inputs) node.next_edges.push_back(t ? gradient_edge(*t) : Edge{});
}

void collect_next_edges(Node& node, const std::vector<Tensor>& inputs) {
    node.next_edges.reserve(inputs.size());
    for (const Tensor& t : inputs) node.next_edges.push_back(gradient_edge(t));
}

void set_history(Tensor& out, const std::shared_ptr<Node>& node, std::uint32_t output_nr) {
    if (!node) return;
    TensorImpl* impl = out.impl();
    impl->requires_grad = true;
    impl->grad_fn = node;
    impl->output_nr = output_nr;
}

}  // namespace descent::autograd
