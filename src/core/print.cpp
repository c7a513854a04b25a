// Printing in PyTorch's style: `tensor([[1.0000, 2.0000]], requires_grad=True)`.
#include <ostream>
#include <sstream>

#include "descent/autograd/node.hpp"
#include "descent/core/tensor.hpp"

namespace descent {

std::string Tensor::to_string() const {
    if (!defined()) return "tensor(undefined)";
    std::ostringstream out;
    const std::vector<double> values = to_vector<double>();
    out.setf(std::ios::fixed);
    out.precision(4);
    std::size_t pos = 0;
    const Shape& s = shape();
    auto print = [&](auto&& self, std::size_t d) -> void {
        if (d == s.size()) {
            const double v = values[pos++];
            if (dtype() == kBool) out << (v != 0 ? "True" : "False");
            else if (dtype() == kInt64) out << static_cast<std::int64_t>(v);
            else out << v;
            return;
        }
        out << "[";
        for (std::int64_t i = 0; i < s[d]; ++i) {
            if (i) out << (d + 1 == s.size() ? ", " : ",\n" + std::string(8 + d, ' '));
            self(self, d + 1);
        }
        out << "]";
    };
    out << "tensor(";
    print(print, 0);
    if (dtype() == kFloat64) out << ", dtype=torch.float64";
    if (requires_grad()) {
        if (grad_fn()) out << ", grad_fn=<" << grad_fn()->name() << ">";
        else out << ", requires_grad=True";
    }
    out << ")";
    return out.str();
}

std::ostream& operator<<(std::ostream& out, const Tensor& t) { return out << t.to_string(); }

}  // namespace descent
