// Training progress for the console: on a terminal a redrawn bar with epoch,
// loss and time left; otherwise (a pipe, a file, CI) plain lines in the book's
// format, `Epoch [100/1000], Loss: 0.1234`, every `log_every` epochs; or nothing.
#pragma once
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace descent::train {

enum class ProgressMode {
    automatic,  ///< bar when the stream is a terminal, lines otherwise
    bar,
    lines,
    quiet,
};

struct ProgressOptions {
    std::int64_t epochs = 1;      ///< total number of epochs
    std::int64_t log_every = 100;  ///< lines mode: a line every n epochs (and after the last)
    ProgressMode mode = ProgressMode::automatic;
    std::string label;  ///< shown before the bar (e.g. the run's name); lines stay in the book's format
};

/// The book's log line: "Epoch [100/1000], Loss: 0.1234".
std::string epoch_line(std::int64_t epoch, std::int64_t epochs, double loss);

/// Reports training progress on `out` (std::cout or std::cerr: either may be a terminal).
class Progress {
public:
    explicit Progress(ProgressOptions options, std::ostream& out);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    /// After epoch `epoch` (1-based) with its loss (and accuracy when known; the bar keeps
    /// showing the last accuracy given).
    void update(std::int64_t epoch, double loss, std::optional<double> accuracy = std::nullopt);
    /// Ends the bar's line (called by the destructor when forgotten).
    void finish();

    /// The mode in use once `automatic` is resolved.
    ProgressMode mode() const { return mode_; }

private:
    void draw(std::int64_t epoch, double loss, std::optional<double> accuracy);

    ProgressOptions options_;
    std::ostream& out_;
    ProgressMode mode_;
    std::chrono::steady_clock::time_point start_, last_draw_;
    std::optional<double> accuracy_;
    bool drawn_ = false, finished_ = false;
};

/// True when `out` is std::cout or std::cerr and that stream is a terminal.
bool is_terminal(const std::ostream& out);

}  // namespace descent::train
