// descent::Error: the one exception type of the library.
// Every misuse reachable through the public API throws it with a message that
// names the operation and the offending values (shapes, dims, dtypes, files).
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace descent {

/// Thrown on any misuse of the library; `what()` names the op and the values.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

namespace detail {
template <class... Args>
[[noreturn]] void fail(const Args&... args) {
    std::ostringstream out;
    (out << ... << args);
    throw Error(out.str());
}
}  // namespace detail

/// Throws descent::Error with the streamed arguments when `cond` is false.
#define DESCENT_CHECK(cond, ...)                         \
    do {                                                 \
        if (!(cond)) ::descent::detail::fail(__VA_ARGS__); \
    } while (0)

}  // namespace descent
