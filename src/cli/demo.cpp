// `descent demo`: the book's example (or a variant chosen by the options) trained
// once, its loss curve and its classification drawn, the paths printed, and a
// summary.json written beside the pictures for scripts and tests.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "descent/core/error.hpp"

namespace descent::cli {

namespace {
nlohmann::ordered_json frame_json(const plot::Frame& f, const plot::FigureOptions& size) {
    return {{"width", size.width}, {"height", size.height},
            {"plot_area", {f.left, f.top, f.width, f.height}},
            {"x_range", {f.x_min, f.x_max}}, {"y_range", {f.y_min, f.y_max}}, {"log_y", f.log_y}};
}
}  // namespace

std::unique_ptr<train::JsonlLog> prepare_outputs(const std::filesystem::path& out, const std::string& log) {
    const bool existed = std::filesystem::exists(out);
    prepare_output_dir(out);
    if (log.empty()) return nullptr;
    try {
        return std::make_unique<train::JsonlLog>(log);
    } catch (const Error& e) {
        std::error_code ec;
        if (!existed) std::filesystem::remove(out, ec);  // leave nothing behind on a bad command line
        throw UsageError(std::string("--log: ") + e.what());
    }
}

int run_demo(const DemoArgs& args) {
    const CommonArgs& c = args.common;
    const data::Points2D points = make_data(c.data);
    const std::int64_t n = points.inputs.size(0);
    RunConfig run;
    run.optim.name = args.optimizer;
    if (args.lr_given) run.optim.lr = args.lr;
    if (args.momentum_given) {
        if (!takes_momentum(args.optimizer))
            throw UsageError("--momentum applies to sgd, momentum, nesterov and rmsprop, not " + args.optimizer);
        run.optim.momentum = args.momentum;
    }
    run.batch = parse_batch(args.batch, n);
    run.epochs = c.epochs;
    run.seed = c.data.seed;
    {
        // Validate the optimizer's options before creating any file.
        Tensor probe = Tensor::zeros({1}, {.requires_grad = true});
        make_optimizer(run.optim, {probe});
    }
    const std::filesystem::path out = c.out;
    const auto log = prepare_outputs(out, c.log);

    if (!c.quiet) {
        std::cout << "descent demo: " << describe(c.data, points) << "\n"
                  << "model: " << describe(c.model, points.num_classes) << "\n"
                  << "training: " << describe(run.optim) << ", " << describe_batch(run.batch, n) << ", " << c.epochs
                  << " epochs, seed " << c.data.seed << std::endl;
    }
    const RunResult r = train_run(points, c.model, run,
                                  {.progress = c.quiet ? train::ProgressMode::quiet : train::ProgressMode::automatic,
                                   .log_every = c.log_every,
                                   .log = log.get()});

    const std::string ext = "." + c.format;
    const auto loss_path = out / ("loss" + ext);
    const auto cls_path = out / ("classification" + ext);
    const plot::Figure loss_fig = loss_figure(r, "Training loss (" + describe(run.optim) + ")");
    const plot::Frame loss_frame = loss_fig.save(loss_path);
    char title[128];
    std::snprintf(title, sizeof title, "Classification: accuracy %.1f%%", 100.0 * r.accuracy);
    const plot::Figure cls_fig = classification_figure(points, r, title, {.width = 920, .height = 600});
    const plot::Frame cls_frame = cls_fig.save(cls_path);

    nlohmann::ordered_json summary = {
        {"command", "demo"},
        {"dataset", c.data.name},
        {"points", n},
        {"classes", points.num_classes},
        {"model", describe(c.model, points.num_classes)},
        {"optimizer", describe(run.optim)},
        {"batch", run.batch == 0 ? n : run.batch},
        {"epochs", c.epochs},
        {"seed", c.data.seed},
        {"final_loss", r.final_loss},
        {"accuracy", r.accuracy},
        {"correct", r.correct},
        {"steps", r.steps},
        {"seconds", r.seconds},
        {"files", {{"loss", loss_path.string()}, {"classification", cls_path.string()}}},
        {"frames", {{"loss", frame_json(loss_frame, loss_fig.options())},
                    {"classification", frame_json(cls_frame, cls_fig.options())}}}};
    std::ofstream(out / "summary.json") << summary.dump(2) << "\n";

    if (!c.quiet) {
        std::printf("Accuracy: %.4f (%lld/%lld), final loss %.4f, %lld steps in %.2f s\n", r.accuracy,
                    static_cast<long long>(r.correct), static_cast<long long>(n), r.final_loss,
                    static_cast<long long>(r.steps), r.seconds);
    }
    std::cout << loss_path.string() << "\n" << cls_path.string() << std::endl;
    return 0;
}

}  // namespace descent::cli
