// Console progress and the JSONL log: the book's line format exactly, a line every
// log_every epochs and after the last, nothing when quiet, a redrawn bar with the
// time left on a terminal, and log lines that parse back to what was written.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "descent/core/error.hpp"
#include "descent/train/log.hpp"
#include "descent/train/progress.hpp"

using namespace descent;
namespace fs = std::filesystem;

TEST(Progress, EpochLineIsTheBooksFormat) {
    EXPECT_EQ(train::epoch_line(100, 1000, 0.123449), "Epoch [100/1000], Loss: 0.1234");
    EXPECT_EQ(train::epoch_line(7, 12, 2.0), "Epoch [7/12], Loss: 2.0000");
}

TEST(Progress, LinesEveryLogEveryEpochsAndAfterTheLast) {
    std::ostringstream out;
    {
        train::Progress p({.epochs = 250, .log_every = 100, .mode = train::ProgressMode::lines}, out);
        for (int e = 1; e <= 250; ++e) p.update(e, 1.0 / e);
    }
    EXPECT_EQ(out.str(), "Epoch [100/250], Loss: 0.0100\nEpoch [200/250], Loss: 0.0050\nEpoch [250/250], Loss: 0.0040\n");
}

TEST(Progress, AutomaticIsLinesOffATerminalAndQuietIsSilent) {
    std::ostringstream out;
    train::Progress automatic({.epochs = 10, .log_every = 5}, out);
    EXPECT_EQ(automatic.mode(), train::ProgressMode::lines) << "a string stream is not a terminal";
    std::ostringstream quiet_out;
    {
        train::Progress quiet({.epochs = 10, .log_every = 1, .mode = train::ProgressMode::quiet}, quiet_out);
        for (int e = 1; e <= 10; ++e) quiet.update(e, 0.5);
    }
    EXPECT_EQ(quiet_out.str(), "");
}

TEST(Progress, BarShowsEpochLossAndTimeLeft) {
    std::ostringstream out;
    {
        train::Progress p({.epochs = 4, .mode = train::ProgressMode::bar, .label = "Adam"}, out);
        p.update(1, 0.75, 0.5);
    }
    const std::string s = out.str();
    EXPECT_EQ(s.front(), '\r');
    EXPECT_NE(s.find("Adam"), std::string::npos);
    EXPECT_NE(s.find("epoch 1/4"), std::string::npos);
    EXPECT_NE(s.find("loss 0.7500"), std::string::npos);
    EXPECT_NE(s.find("acc 0.500"), std::string::npos);
    EXPECT_NE(s.find("left"), std::string::npos);
    EXPECT_EQ(s.back(), '\n') << "finish ends the bar's line";

    // Accuracy is known only at some epochs; the bar keeps the last one.
    std::ostringstream again;
    {
        train::Progress p({.epochs = 2, .mode = train::ProgressMode::bar}, again);
        p.update(1, 0.75, 0.5);
        p.update(2, 0.25);
    }
    const std::string last = again.str().substr(again.str().rfind('\r'));
    EXPECT_NE(last.find("epoch 2/2"), std::string::npos);
    EXPECT_NE(last.find("acc 0.500"), std::string::npos) << last;
}

TEST(Progress, BadOptionsAreErrors) {
    std::ostringstream out;
    EXPECT_THROW(train::Progress({.epochs = 0}, out), Error);
    EXPECT_THROW(train::Progress({.epochs = 5, .log_every = 0}, out), Error);
}

TEST(JsonlLog, EachRecordIsOneParsableLine) {
    const fs::path path = fs::temp_directory_path() / ("descent_log_" + std::to_string(::getpid()) + ".jsonl");
    {
        train::JsonlLog log(path);
        log.write({{"run", std::string("SGD \"m\"=0.9\n")}, {"epoch", std::int64_t{100}}, {"loss", 0.25}, {"best", true}});
        log.write({{"epoch", std::int64_t{200}}, {"loss", std::numeric_limits<double>::quiet_NaN()}});
    }
    std::ifstream in(path);
    std::string first, second, third;
    ASSERT_TRUE(std::getline(in, first));
    ASSERT_TRUE(std::getline(in, second));
    EXPECT_FALSE(std::getline(in, third));
    const auto a = nlohmann::json::parse(first);
    EXPECT_EQ(a["run"], "SGD \"m\"=0.9\n");
    EXPECT_EQ(a["epoch"], 100);
    EXPECT_EQ(a["loss"], 0.25);
    EXPECT_EQ(a["best"], true);
    EXPECT_EQ(first.find("\"run\""), 1u) << "keys keep the order written";
    const auto b = nlohmann::json::parse(second);
    EXPECT_TRUE(b["loss"].is_null()) << "NaN is not JSON; it is written as null";
    fs::remove(path);
    EXPECT_THROW(train::JsonlLog("/nonexistent-descent-dir/log.jsonl"), Error);
}
