// The backward engine: iterative (dependency counts and a ready queue), so a
// chain of any depth back-propagates without recursion; deterministic order.
#pragma once
#include <vector>

#include "descent/core/tensor.hpp"

namespace descent::autograd {

/// Back-propagates `grad_outputs` from `outputs` through the graph into the
/// leaves' .grad(). Frees the graph's saved tensors unless `retain_graph`.
void run_backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
                  bool retain_graph);
/// The same for one output (what Tensor::backward calls); an undefined `grad_output` means
/// ones, for a single-element output.
void run_backward(const Tensor& output, const Tensor& grad_output, bool retain_graph);

/// Gradients of `outputs` with respect to `inputs`, returned instead of accumulated
/// (like torch.autograd.grad). An input the outputs do not depend on gets an undefined tensor.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool retain_graph = false);

}  // namespace descent::autograd
