// The `descent` command line (CLI11): `descent demo` trains the book's example and
// draws it, `descent compare` races optimizers, batch sizes and hyperparameters.
// Exit codes: 0 success, 1 a failure while running, 2 a bad command line.
#include <CLI/CLI.hpp>

#include <iostream>

#include "commands.hpp"
#include "train.hpp"
#include "descent/core/error.hpp"

namespace {

using namespace descent::cli;

std::string joined(const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : "|") + n;
    return s;
}

// Accepts integers ≥ 1 with a plain message (CLI11's PositiveNumber prints the double range).
CLI::Validator positive_integer() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            std::size_t used = 0;
            long long v = 0;
            try {
                v = std::stoll(text, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used != text.size() || text.empty() || v < 1) return "must be a positive integer, got '" + text + "'";
            return "";
        },
        "POSITIVE");
}

void add_common(CLI::App* cmd, CommonArgs& c) {
    cmd->add_option("--dataset", c.data.name,
                    "2-D data set: " + joined(dataset_names()) + " (linear: the book's N(0,1)² points split by x0 + x1 = 0)")
        ->check(CLI::IsMember(dataset_names()))
        ->capture_default_str();
    cmd->add_option("--points", c.data.points, "Number of data points")->check(positive_integer())->capture_default_str();
    cmd->add_option("--noise", c.noise_value,
                    "Std of the Gaussian noise added to the points (default: the data set's, e.g. moons 0.1, linear 0)");
    cmd->add_option("--classes", c.data.classes, "Classes of spirals (default 2) and blobs (default 3), 2 to 10");
    cmd->add_option("--hidden", c.model.hidden, "Hidden layer sizes, comma-separated (the book's model: 4)")
        ->delimiter(',')
        ->expected(1, 64)
        ->capture_default_str();
    cmd->add_option("--activation", c.model.activation, "Hidden activation: " + joined(activation_names()))
        ->check(CLI::IsMember(activation_names()))
        ->capture_default_str();
    cmd->add_option("--epochs", c.epochs, "Passes over the data set")->check(positive_integer())->capture_default_str();
    cmd->add_option("--seed", c.data.seed, "Seed of the data, the initial weights and the shuffling")->capture_default_str();
    cmd->add_option("--log-every", c.log_every, "Print (and log) every N epochs")
        ->check(positive_integer())
        ->capture_default_str();
    cmd->add_option("--out", c.out, "Output folder for the pictures (created if missing)")
        ->type_name("DIR")
        ->capture_default_str();
    cmd->add_option("--format", c.format, "Picture format: png|svg")
        ->check(CLI::IsMember({"png", "svg"}))
        ->capture_default_str();
    cmd->add_flag("--quiet,-q", c.quiet, "No progress output: print only the paths of the files written");
    cmd->add_option("--log", c.log, "Also write one JSON object per logged epoch to FILE.jsonl")->type_name("FILE.jsonl");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"descent: build, train and optimize neural networks in C++20, with PyTorch's semantics."};
    app.name("descent");
    app.set_version_flag("--version", "descent 0.1.0");
    app.require_subcommand(1);
    app.footer("Examples:\n"
               "  descent demo                                  the book's example: loss.png, classification.png\n"
               "  descent demo --dataset moons --hidden 16,16 --optimizer adam\n"
               "  descent compare                               SGD, SGD+momentum, RMSprop, Adam from the same weights\n"
               "  descent compare --optimizer sgd --batch full,32,1 --epochs 100\n"
               "  descent compare --optimizer sgd --lr 0.01,0.1,1 --momentum 0,0.9\n"
               "Exit codes: 0 success, 1 failure while running, 2 bad command line.");

    DemoArgs demo_args;
    CLI::App* demo = app.add_subcommand(
        "demo", "Train the book's example (Linear(2,4) → ReLU → Linear(4,1) → Sigmoid, BCELoss, SGD lr=0.1, "
                "1000 epochs, full batch) or a variant of it on 2-D points; write loss.png, classification.png and "
                "summary.json into --out");
    add_common(demo, demo_args.common);
    demo->add_option("--optimizer", demo_args.optimizer,
                     "Optimizer: " + joined(optimizer_names()) + " (momentum = SGD with momentum 0.9)")
        ->check(CLI::IsMember(optimizer_names()))
        ->capture_default_str();
    demo->add_option("--lr", demo_args.lr,
                     "Learning rate > 0 (default per optimizer: sgd 0.1, momentum/nesterov 0.05, adam/rmsprop 0.01, "
                     "adagrad 0.1, adadelta 1)");
    demo->add_option("--momentum", demo_args.momentum,
                     "Momentum in [0, 1) of sgd, momentum, nesterov and rmsprop (default 0.9 for momentum/nesterov, "
                     "else 0)");
    demo->add_option("--batch", demo_args.batch,
                     "Batch size: full (batch gradient descent), 1 (stochastic) or N (mini-batch)")
        ->type_name("full|1|N")
        ->capture_default_str();

    CompareArgs cmp;
    CLI::App* compare = app.add_subcommand(
        "compare", "Train the same model from the same initial weights once per combination of --optimizer, --batch, "
                   "--lr and --momentum; write one chart of all loss curves and a grid of decision regions, and print "
                   "a table (final loss, accuracy, steps, time) with the best run marked; write loss_curves.png, "
                   "regions.png and results.json into --out");
    add_common(compare, cmp.common);
    compare->add_option("--optimizer", cmp.optimizers, "Optimizers, comma-separated: " + joined(optimizer_names()))
        ->delimiter(',')
        ->check(CLI::IsMember(optimizer_names()))
        ->capture_default_str();
    compare->add_option("--lr", cmp.lrs, "Learning rates to sweep, comma-separated (default: each optimizer's)")
        ->delimiter(',');
    compare->add_option("--momentum", cmp.momenta,
                        "Momenta to sweep, comma-separated; apply to sgd, momentum, nesterov and rmsprop")
        ->delimiter(',');
    compare->add_option("--batch", cmp.batches, "Batch sizes, comma-separated: full, 1 or N (e.g. full,32,1)")
        ->delimiter(',')
        ->capture_default_str();
    compare->add_flag("--log-scale", cmp.log_scale, "Logarithmic loss axis");

    TrainArgs train_args;
    EvalArgs eval_args;
    CLI::App* train_cmd = add_train_command(app, train_args);
    CLI::App* eval_cmd = add_eval_command(app, eval_args);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    if (*train_cmd || *eval_cmd) return run_train_or_eval(train_cmd, train_args, eval_args);
    const std::string name = *demo ? "demo" : "compare";
    CLI::App* chosen = *demo ? demo : compare;
    CommonArgs& common = *demo ? demo_args.common : cmp.common;
    if (chosen->count("--noise") > 0) common.data.noise = common.noise_value;
    try {
        if (*demo) {
            demo_args.lr_given = demo->count("--lr") > 0;
            demo_args.momentum_given = demo->count("--momentum") > 0;
            return run_demo(demo_args);
        }
        return run_compare(cmp);
    } catch (const UsageError& e) {
        std::cerr << "descent " << name << ": error: " << e.what() << "\nRun 'descent " << name
                  << " --help' for the options.\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "descent " << name << ": error: " << e.what() << "\n";
        return 1;
    }
}
