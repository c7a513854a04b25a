// `descent compare`: one run per combination of optimizer, batch size, learning
// rate and momentum, all from the same initial weights and data; a chart of every
// loss curve, a grid of decision regions, a table with the best run marked, and
// results.json with the table.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "commands.hpp"
#include "descent/core/error.hpp"

namespace descent::cli {

namespace {
constexpr std::size_t kMaxRuns = 48;

struct Planned {
    RunConfig config;
    std::string batch_text;
};

std::string fixed(double v, int decimals) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string general(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

std::string pad_right(std::string s, std::size_t width) {
    // Width in characters, counting UTF-8 continuation bytes out.
    std::size_t len = 0;
    for (unsigned char ch : s) len += (ch & 0xc0) != 0x80;
    if (len < width) s.append(width - len, ' ');
    return s;
}
}  // namespace

int run_compare(const CompareArgs& args) {
    const CommonArgs& c = args.common;
    const data::Points2D points = make_data(c.data);
    const std::int64_t n = points.inputs.size(0);
    if (args.optimizers.empty()) throw UsageError("--optimizer needs at least one optimizer");
    if (args.batches.empty()) throw UsageError("--batch needs at least one batch size");
    for (double lr : args.lrs)
        if (!(lr > 0) || !std::isfinite(lr)) throw UsageError("--lr must be positive, got " + general(lr));
    for (double m : args.momenta)
        if (!(m >= 0 && m < 1)) throw UsageError("--momentum must be in [0, 1), got " + general(m));
    if (!args.momenta.empty() &&
        std::none_of(args.optimizers.begin(), args.optimizers.end(), [](const std::string& o) { return takes_momentum(o); }))
        throw UsageError("--momentum applies to sgd, momentum, nesterov and rmsprop; none was chosen");

    // Every combination; duplicates (sgd with momentum 0.9 = momentum) are run once.
    std::vector<std::int64_t> batches;
    for (const auto& b : args.batches) batches.push_back(parse_batch(b, n));
    std::vector<Planned> plan;
    std::set<std::string> names;
    const std::vector<std::optional<double>> lrs =
        args.lrs.empty() ? std::vector<std::optional<double>>{std::nullopt}
                         : std::vector<std::optional<double>>(args.lrs.begin(), args.lrs.end());
    for (const auto& opt : args.optimizers) {
        const std::vector<std::optional<double>> momenta =
            args.momenta.empty() || !takes_momentum(opt)
                ? std::vector<std::optional<double>>{std::nullopt}
                : std::vector<std::optional<double>>(args.momenta.begin(), args.momenta.end());
        for (std::int64_t batch : batches)
            for (const auto& lr : lrs)
                for (const auto& m : momenta) {
                    RunConfig r;
                    r.optim = {.name = opt, .lr = lr, .momentum = m};
                    r.batch = batch;
                    r.epochs = c.epochs;
                    r.seed = c.data.seed;
                    r.name = describe(r.optim);
                    if (batches.size() > 1) r.name += ", " + describe_batch(batch, n);
                    if (!names.insert(r.name).second) continue;
                    Tensor probe = Tensor::zeros({1}, {.requires_grad = true});
                    make_optimizer(r.optim, {probe});  // a bad option fails before any training
                    plan.push_back({r, describe_batch(batch, n)});
                }
    }
    if (plan.size() > kMaxRuns)
        throw UsageError(std::to_string(plan.size()) + " runs requested; at most " + std::to_string(kMaxRuns) +
                         " fit in one comparison");
    const std::filesystem::path out = c.out;
    const auto log = prepare_outputs(out, c.log);

    const bool terminal = train::is_terminal(std::cout);
    if (!c.quiet)
        std::cout << "descent compare: " << describe(c.data, points) << "\nmodel: "
                  << describe(c.model, points.num_classes) << ", " << c.epochs << " epochs, seed " << c.data.seed
                  << ", same initial weights for all " << plan.size() << " runs" << std::endl;
    std::vector<RunResult> results;
    for (std::size_t i = 0; i < plan.size(); ++i) {
        RunConfig cfg = plan[i].config;
        const std::string label = "[" + std::to_string(i + 1) + "/" + std::to_string(plan.size()) + "] " + cfg.name;
        const std::string logged_name = cfg.name;
        // On a terminal each run gets a bar; elsewhere one line when it ends.
        RunOutput output{.progress = (!c.quiet && terminal) ? train::ProgressMode::bar : train::ProgressMode::quiet,
                         .log_every = c.log_every,
                         .log = log.get()};
        cfg.name = output.progress == train::ProgressMode::bar ? label : logged_name;
        results.push_back(train_run(points, c.model, cfg, output));
        const RunResult& r = results.back();
        if (!c.quiet && !terminal)
            std::cout << label << ": loss " << fixed(r.final_loss, 4) << ", accuracy " << fixed(r.accuracy, 4) << ", "
                      << r.steps << " steps, " << fixed(r.seconds, 2) << " s" << std::endl;
    }

    // Best: lowest final loss; a diverged run (NaN) never wins.
    std::size_t best = plan.size();
    for (std::size_t i = 0; i < results.size(); ++i) {
        if (!std::isfinite(results[i].final_loss)) continue;
        if (best == plan.size() || results[i].final_loss < results[best].final_loss ||
            (results[i].final_loss == results[best].final_loss && results[i].accuracy > results[best].accuracy))
            best = i;
    }

    // The table.
    std::size_t name_w = 3;
    for (const auto& p : plan) {
        std::size_t len = 0;
        for (unsigned char ch : p.config.name) len += (ch & 0xc0) != 0x80;
        name_w = std::max(name_w, len);
    }
    std::ostringstream table;
    table << pad_right("run", name_w + 2) << "final loss  accuracy    steps     time\n";
    for (std::size_t i = 0; i < results.size(); ++i) {
        const RunResult& r = results[i];
        char row[128];
        std::snprintf(row, sizeof row, "%10s  %8s  %7lld  %6.2fs%s", fixed(r.final_loss, 4).c_str(),
                      fixed(r.accuracy, 4).c_str(), static_cast<long long>(r.steps), r.seconds,
                      i == best ? "  * best" : "");
        table << pad_right(plan[i].config.name, name_w + 2) << row << "\n";
    }

    // The pictures.
    const std::string ext = "." + c.format;
    const auto curves_path = out / ("loss_curves" + ext);
    const auto regions_path = out / ("regions" + ext);
    plot::Figure curves({.width = 1080, .height = 620});
    for (std::size_t i = 0; i < results.size(); ++i) {
        std::vector<double> epochs(results[i].epoch_loss.size());
        for (std::size_t e = 0; e < epochs.size(); ++e) epochs[e] = static_cast<double>(e + 1);
        curves.plot(epochs, results[i].epoch_loss,
                    {.label = plan[i].config.name + (i == best ? "  (best)" : ""),
                     .color = plot::line_color(i % 10),
                     .width = i == best ? 3.2 : 1.8,
                     .dashed = i >= 10});
    }
    curves.xlabel("Epoch").ylabel(args.log_scale ? "Loss (log scale)" : "Loss").title("Loss curves: " + c.data.name);
    if (args.log_scale) curves.log_y();
    curves.save(curves_path);
    std::vector<plot::Figure> panels;
    for (std::size_t i = 0; i < results.size(); ++i) {
        const std::string title = plan[i].config.name + "  acc " + fixed(100 * results[i].accuracy, 1) + "%" +
                                  (i == best ? "  ★" : "");
        plot::Figure p = classification_figure(points, results[i], title, {.width = 420, .height = 420});
        p.legend(false);
        panels.push_back(p);
    }
    plot::save_grid(panels, regions_path,
                    {.columns = panels.size() <= 3 ? static_cast<int>(panels.size()) : 0,
                     .title = "Decision regions (same data, same initial weights)",
                     .panel_width = 420,
                     .panel_height = 420});

    nlohmann::ordered_json runs = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < results.size(); ++i) {
        const RunResult& r = results[i];
        runs.push_back({{"run", plan[i].config.name},
                        {"optimizer", plan[i].config.optim.name},
                        {"lr", plan[i].config.optim.lr.value_or(default_lr(plan[i].config.optim.name))},
                        {"batch", plan[i].batch_text},
                        {"final_loss", std::isfinite(r.final_loss) ? nlohmann::ordered_json(r.final_loss) : nullptr},
                        {"accuracy", r.accuracy},
                        {"steps", r.steps},
                        {"seconds", r.seconds},
                        {"best", i == best}});
    }
    nlohmann::ordered_json summary = {{"command", "compare"},
                                      {"dataset", c.data.name},
                                      {"model", describe(c.model, points.num_classes)},
                                      {"epochs", c.epochs},
                                      {"seed", c.data.seed},
                                      {"runs", runs},
                                      {"files", {{"loss_curves", curves_path.string()}, {"regions", regions_path.string()}}}};
    std::ofstream(out / "results.json") << summary.dump(2) << "\n";

    if (!c.quiet) std::cout << "\n" << table.str() << "\n";
    std::cout << curves_path.string() << "\n" << regions_path.string() << std::endl;
    return 0;
}

}  // namespace descent::cli
