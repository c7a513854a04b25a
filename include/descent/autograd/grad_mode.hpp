// Whether ops record the graph. NoGradGuard turns recording off for a scope
// (init, evaluation, optimizer steps), like `with torch.no_grad():`.
#pragma once

namespace descent {

/// True while ops record autograd nodes (thread-local, on by default).
bool is_grad_enabled();
void set_grad_enabled(bool enabled);

/// Disables gradient recording until the end of the scope.
class NoGradGuard {
public:
    NoGradGuard() : previous_(is_grad_enabled()) { set_grad_enabled(false); }
    ~NoGradGuard() { set_grad_enabled(previous_); }
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
    bool previous_;
};

/// Enables gradient recording for a scope (inside a NoGradGuard).
class EnableGradGuard {
public:
    EnableGradGuard() : previous_(is_grad_enabled()) { set_grad_enabled(true); }
    ~EnableGradGuard() { set_grad_enabled(previous_); }
    EnableGradGuard(const EnableGradGuard&) = delete;
    EnableGradGuard& operator=(const EnableGradGuard&) = delete;

private:
    bool previous_;
};

}  // namespace descent
