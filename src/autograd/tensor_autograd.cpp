// The autograd members of Tensor: requires_grad_, grad, backward, detach.
#include "descent/autograd/engine.hpp"
#include "descent/autograd/node.hpp"
#include "descent/core/tensor.hpp"

namespace descent {

// ---- autograd members --------------------------------------------------------------------
Tensor& Tensor::requires_grad_(bool requires_grad) {
    TensorImpl& t = checked();
    DESCENT_CHECK(t.grad_fn == nullptr,
                  "requires_grad_: only a leaf tensor's flag can be set; use detach() to make a new leaf");
    DESCENT_CHECK(!requires_grad || is_floating(t.dtype),
                  "requires_grad_: only floating-point tensors can require gradients, got ", dtype_name(t.dtype));
    t.requires_grad = requires_grad;
    return *this;
}

Tensor Tensor::grad() const {
    const TensorImpl& t = checked();
    return t.grad ? Tensor(t.grad) : Tensor();
}

void Tensor::set_grad(const Tensor& grad) const {
    TensorImpl& t = checked();
    if (!grad.defined()) {
        t.grad.reset();
        return;
    }
    DESCENT_CHECK(grad.shape() == t.shape, "set_grad: gradient of shape ", shape_str(grad.shape()),
                  " does not match tensor of shape ", shape_str(t.shape));
    DESCENT_CHECK(grad.dtype() == t.dtype, "set_grad: gradient dtype ", dtype_name(grad.dtype()),
                  " does not match tensor dtype ", dtype_name(t.dtype));
    t.grad = grad.impl_ptr();
}

Tensor& Tensor::retain_grad() {
    TensorImpl& t = checked();
    DESCENT_CHECK(t.requires_grad, "retain_grad: the tensor does not require grad");
    if (t.grad_fn) t.grad_fn->retained_outputs.emplace_back(t.output_nr, impl_);  // leaves keep grads anyway
    return *this;
}

void Tensor::backward(const Tensor& gradient, bool retain_graph) const {
    checked();
    autograd::run_backward(*this, gradient, retain_graph);  // checks requires_grad and the gradient's shape
}

Tensor Tensor::detach() const {
    const TensorImpl& t = checked();
    return make_view(*this, t.shape, t.strides, t.offset);
}

}  // namespace descent
