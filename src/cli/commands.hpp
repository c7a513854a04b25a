// The `descent` subcommands: their parsed arguments and entry points. main.cpp
// declares the options with CLI11; demo.cpp and compare.cpp run them.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "experiment.hpp"

namespace descent::cli {

/// Options every training command shares.
struct CommonArgs {
    DataConfig data;
    double noise_value = 0;  ///< --noise as parsed; copied into data.noise when given
    ModelConfig model;
    std::int64_t epochs = 1000;
    std::string out = "descent-out";
    std::string format = "png";
    bool quiet = false;
    std::string log;  ///< JSONL file; empty: none
    std::int64_t log_every = 100;
};

struct DemoArgs {
    CommonArgs common;
    std::string optimizer = "sgd";
    double lr = 0;  ///< used when lr_given
    bool lr_given = false;
    double momentum = 0;
    bool momentum_given = false;
    std::string batch = "full";
};

struct CompareArgs {
    CommonArgs common;
    std::vector<std::string> optimizers{"sgd", "momentum", "rmsprop", "adam"};
    std::vector<double> lrs;        ///< empty: each optimizer's default
    std::vector<double> momenta;    ///< empty: each optimizer's default
    std::vector<std::string> batches{"full"};
    bool log_scale = false;
};

/// Creates the output folder and opens the JSONL log named by --log (nullptr when none).
/// A UsageError when either cannot be written; a folder it created is removed again.
std::unique_ptr<train::JsonlLog> prepare_outputs(const std::filesystem::path& out, const std::string& log);

/// Each returns the process's exit code; a UsageError escapes to main (exit code 2).
int run_demo(const DemoArgs& args);
int run_compare(const CompareArgs& args);

}  // namespace descent::cli
