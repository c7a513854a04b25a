// A training log in JSON Lines: one JSON object per line, one line per logged
// epoch (e.g. {"epoch":100,"loss":0.1234,"accuracy":0.98,"time_s":0.31}), easy to
// read back with any JSON parser or `jq`.
#pragma once
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace descent::train {

/// A value in a log record (a non-finite double is written as null).
using LogValue = std::variant<std::int64_t, double, std::string, bool>;
/// One record: keys in the order written.
using LogRecord = std::vector<std::pair<std::string, LogValue>>;

/// Appends records to a .jsonl file; each write() is one line, flushed.
class JsonlLog {
public:
    /// Creates (truncates) `path`; an error names it when it cannot be opened.
    explicit JsonlLog(const std::filesystem::path& path);
    void write(const LogRecord& record);
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    std::ofstream out_;
};

/// One record as a single line of JSON (no newline).
std::string to_json_line(const LogRecord& record);

}  // namespace descent::train
