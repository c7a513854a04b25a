// Console progress (include/descent/train/progress.hpp). The bar is redrawn with
// '\r' at most every 50 ms so that a fast loop is not slowed by the terminal.
#include "descent/train/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "descent/core/error.hpp"

namespace descent::train {

namespace {
std::string duration(double seconds) {
    char buf[32];
    if (seconds < 60) std::snprintf(buf, sizeof buf, "%.1fs", seconds);
    else if (seconds < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(seconds) / 60, static_cast<int>(seconds) % 60);
    else std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(seconds) / 3600, static_cast<int>(seconds) / 60 % 60);
    return buf;
}
}  // namespace

std::string epoch_line(std::int64_t epoch, std::int64_t epochs, double loss) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "Epoch [%lld/%lld], Loss: %.4f", static_cast<long long>(epoch),
                  static_cast<long long>(epochs), loss);
    return buf;
}

bool is_terminal(const std::ostream& out) {
    if (&out == &std::cout) return isatty(STDOUT_FILENO) == 1;
    if (&out == &std::cerr || &out == &std::clog) return isatty(STDERR_FILENO) == 1;
    return false;
}

Progress::Progress(ProgressOptions options, std::ostream& out)
    : options_(std::move(options)), out_(out), mode_(options_.mode), start_(std::chrono::steady_clock::now()) {
    DESCENT_CHECK(options_.epochs > 0, "Progress: epochs must be positive, got ", options_.epochs);
    DESCENT_CHECK(options_.log_every > 0, "Progress: log_every must be positive, got ", options_.log_every);
    if (mode_ == ProgressMode::automatic) mode_ = is_terminal(out_) ? ProgressMode::bar : ProgressMode::lines;
}

Progress::~Progress() {
    try {
        finish();
    } catch (...) {  // a destructor must not throw; the stream is all that could fail
    }
}

void Progress::update(std::int64_t epoch, double loss, std::optional<double> accuracy) {
    if (mode_ == ProgressMode::quiet) return;
    if (mode_ == ProgressMode::lines) {
        if (epoch % options_.log_every == 0 || epoch == options_.epochs)
            out_ << epoch_line(epoch, options_.epochs, loss) << std::endl;
        return;
    }
    if (accuracy) accuracy_ = accuracy;  // shown until the next one arrives
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && epoch < options_.epochs && now - last_draw_ < std::chrono::milliseconds(50)) return;
    last_draw_ = now;
    draw(epoch, loss, accuracy_);
}

void Progress::draw(std::int64_t epoch, double loss, std::optional<double> accuracy) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double done = std::clamp(static_cast<double>(epoch) / options_.epochs, 0.0, 1.0);
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(std::lround(done * kWidth));
    std::string bar;
    for (int i = 0; i < kWidth; ++i) bar += i < filled ? "█" : "░";
    char buf[160];
    std::snprintf(buf, sizeof buf, " %3d%%  epoch %lld/%lld  loss %.4f", static_cast<int>(std::lround(done * 100)),
                  static_cast<long long>(epoch), static_cast<long long>(options_.epochs), loss);
    std::string line = "\r" + (options_.label.empty() ? "" : options_.label + "  ") + bar + buf;
    if (accuracy) {
        std::snprintf(buf, sizeof buf, "  acc %.3f", *accuracy);
        line += buf;
    }
    if (epoch < options_.epochs && done > 0) line += "  " + duration(elapsed / done * (1 - done)) + " left";
    else line += "  " + duration(elapsed);
    line += "\x1b[K";  // clear what a longer previous line left behind
    out_ << line << std::flush;
    drawn_ = true;
}

void Progress::finish() {
    if (finished_) return;
    finished_ = true;
    if (mode_ == ProgressMode::bar && drawn_) out_ << '\n' << std::flush;
}

}  // namespace descent::train
