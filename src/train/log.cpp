// JSON Lines training log (include/descent/train/log.hpp); nlohmann-json does the
// escaping, so keys and strings may hold any UTF-8.
#include "descent/train/log.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "descent/core/error.hpp"

namespace descent::train {

std::string to_json_line(const LogRecord& record) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const auto& [key, value] : record) {
        std::visit(
            [&](const auto& v) {
                using V = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<V, double>) {
                    if (std::isfinite(v)) j[key] = v; else j[key] = nullptr;
                } else {
                    j[key] = v;
                }
            },
            value);
    }
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

JsonlLog::JsonlLog(const std::filesystem::path& path) : path_(path), out_(path, std::ios::out | std::ios::trunc) {
    DESCENT_CHECK(out_.is_open(), "JsonlLog: cannot open '", path.string(), "' for writing");
}

void JsonlLog::write(const LogRecord& record) {
    out_ << to_json_line(record) << '\n';
    out_.flush();
    DESCENT_CHECK(out_.good(), "JsonlLog: writing '", path_.string(), "' failed");
}

}  // namespace descent::train
