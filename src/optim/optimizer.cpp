// The optimizer base: gradient clearing, the lr bookkeeping schedulers use, and
// the field savers/loaders behind every optimizer's state_dict()/load_state_dict().
#include "descent/optim/optimizer.hpp"

#include "descent/autograd/grad_mode.hpp"

namespace descent::optim {

namespace detail {
namespace {
template <class T>
Tensor scalar_tensor(T value) {
    Tensor t = make_tensor({}, dtype_of<T>());
    *t.data_ptr<T>() = value;
    return t;
}
}  // namespace

void FieldSaver::field(const char* name, double& value) { out_.insert(prefix_ + name, scalar_tensor(value)); }
void FieldSaver::field(const char* name, bool& value) { out_.insert(prefix_ + name, scalar_tensor(value)); }
void FieldSaver::field(const char* name, std::int64_t& value) { out_.insert(prefix_ + name, scalar_tensor(value)); }
void FieldSaver::field(const char* name, Betas& value) {
    Tensor t = make_tensor({2}, kFloat64);
    t.data_ptr<double>()[0] = value[0];
    t.data_ptr<double>()[1] = value[1];
    out_.insert(prefix_ + name, t);
}
void FieldSaver::field(const char* name, Tensor& value) {
    if (value.defined()) out_.insert(prefix_ + name, value);
}

const Tensor& FieldLoader::scalar(const char* name) const {
    const Tensor& t = in_.at(prefix_ + name);
    DESCENT_CHECK(t.numel() == 1, "load_state_dict: \"", prefix_, name, "\" should hold one value, got shape ",
                  shape_str(t.shape()));
    return t;
}
void FieldLoader::field(const char* name, double& value) { value = scalar(name).item(); }
void FieldLoader::field(const char* name, bool& value) { value = scalar(name).item() != 0.0; }
void FieldLoader::field(const char* name, std::int64_t& value) {
    const Tensor& t = scalar(name);
    // Read int64 directly: a double would round counts above 2^53.
    value = t.dtype() == kInt64 ? t.contiguous().data_ptr<std::int64_t>()[0] : static_cast<std::int64_t>(t.item());
}
void FieldLoader::field(const char* name, Betas& value) {
    const Tensor& t = in_.at(prefix_ + name);
    DESCENT_CHECK(t.numel() == 2, "load_state_dict: \"", prefix_, name, "\" should hold 2 values, got shape ",
                  shape_str(t.shape()));
    const auto v = t.to_vector<double>();
    value = {v[0], v[1]};
}
void FieldLoader::field(const char* name, Tensor& value) {
    const Tensor* t = in_.find(prefix_ + name);
    if (t == nullptr) {
        value = Tensor();
        return;
    }
    DESCENT_CHECK(t->shape() == param_.shape(), "load_state_dict: \"", prefix_, name, "\" has shape ",
                  shape_str(t->shape()), " but its parameter has shape ", shape_str(param_.shape()));
    NoGradGuard guard;
    // An own copy in the parameter's dtype (torch casts floating state the same way).
    Tensor src = t->detach();
    value = src.dtype() == param_.dtype() ? src.clone() : src.to(param_.dtype()).contiguous();
}

void check_params(const std::vector<Tensor>& params, const std::string& optimizer) {
    for (std::size_t i = 0; i < params.size(); ++i) {
        const Tensor& p = params[i];
        DESCENT_CHECK(p.defined(), optimizer, ": parameter ", i, " is an undefined tensor");
        DESCENT_CHECK(p.is_floating_point(), optimizer, ": parameter ", i, " has dtype ", dtype_name(p.dtype()),
                      "; only float32 and float64 tensors can be optimized");
        DESCENT_CHECK(p.is_leaf(), optimizer, ": can't optimize a non-leaf tensor (parameter ", i,
                      "); pass leaves created with requires_grad, or detach() first");
        DESCENT_CHECK(p.is_contiguous(), optimizer, ": parameter ", i, " of shape ", shape_str(p.shape()),
                      " is not contiguous; optimizers update contiguous tensors in one loop");
    }
}

bool has_prefix(const StateDict& state, const std::string& prefix) {
    for (const auto& [name, tensor] : state)
        if (name.compare(0, prefix.size(), prefix) == 0) return true;
    return false;
}

Tensor dense_grad(const Tensor& param) {
    Tensor g = param.grad();
    if (g.defined() && !g.is_contiguous()) g = g.contiguous();
    return g;
}

void bump_version(const Tensor& param) { ++param.impl()->storage->version; }
}  // namespace detail

void Optimizer::zero_grad(bool set_to_none) {
    NoGradGuard guard;
    for (std::size_t g = 0; g < num_param_groups(); ++g)
        for (const Tensor& p : params(g)) {
            if (set_to_none) {
                p.set_grad(Tensor());
            } else if (Tensor grad = p.grad(); grad.defined()) {
                grad.zero_();
            }
        }
}

std::vector<Tensor> Optimizer::all_params() const {
    std::vector<Tensor> out;
    for (std::size_t g = 0; g < num_param_groups(); ++g) {
        const auto& ps = params(g);
        out.insert(out.end(), ps.begin(), ps.end());
    }
    return out;
}

std::optional<double> Optimizer::momentum(std::size_t) const { return std::nullopt; }

void Optimizer::set_momentum(std::size_t, double) {
    ::descent::detail::fail(name(), " has no momentum option (nor betas) to set");
}

std::optional<double> Optimizer::initial_lr(std::size_t group) const {
    DESCENT_CHECK(group < initial_lrs_.size(), name(), ": parameter group ", group, " out of range (",
                  initial_lrs_.size(), " groups)");
    return initial_lrs_[group];
}

void Optimizer::set_initial_lr(std::size_t group, double lr) {
    DESCENT_CHECK(group < initial_lrs_.size(), name(), ": parameter group ", group, " out of range (",
                  initial_lrs_.size(), " groups)");
    initial_lrs_[group] = lr;
}

void Optimizer::save_initial_lrs(StateDict& out) const {
    for (std::size_t g = 0; g < initial_lrs_.size(); ++g)
        if (initial_lrs_[g]) {
            double v = *initial_lrs_[g];
            detail::FieldSaver(out, "param_groups." + std::to_string(g) + ".").field("initial_lr", v);
        }
}

std::vector<std::optional<double>> Optimizer::load_initial_lrs(const StateDict& in) const {
    std::vector<std::optional<double>> out(initial_lrs_.size());
    for (std::size_t g = 0; g < out.size(); ++g) {
        const std::string prefix = "param_groups." + std::to_string(g) + ".";
        if (!in.contains(prefix + "initial_lr")) continue;
        double v = 0.0;
        detail::FieldLoader(in, prefix).field("initial_lr", v);
        out[g] = v;
    }
    return out;
}

}  // namespace descent::optim
