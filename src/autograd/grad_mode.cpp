// Thread-local grad mode, as in PyTorch: each thread records or not on its own.
#include "descent/autograd/grad_mode.hpp"

namespace descent {
namespace {
thread_local bool grad_enabled = true;
}
bool is_grad_enabled() { return grad_enabled; }
void set_grad_enabled(bool enabled) { grad_enabled = enabled; }
}  // namespace descent
