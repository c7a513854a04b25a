// `descent eval MODEL.safetensors`: scores a trained model on the test split:
// accuracy, per-class precision/recall/F1, a confusion-matrix PNG and a grid of
// test images captioned "predicted (true)" with mistakes framed in red.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "descent/data/dataloader.hpp"
#include "descent/io/checkpoint.hpp"
#include "descent/io/safetensors.hpp"
#include "descent/plot/charts.hpp"
#include "descent/train/metrics.hpp"
#include "experiment.hpp"
#include "train.hpp"

namespace descent::cli {

namespace fs = std::filesystem;

int run_eval(const EvalArgs& args) {
    if (!fs::exists(args.model)) throw UsageError("no such model file '" + args.model + "'");
    if (!args.recipe.empty() && !args.config.empty()) throw UsageError("give --recipe or --config, not both");
    io::Metadata meta;
    StateDict weights = io::load_safetensors(args.model, &meta);
    // A last.safetensors checkpoint holds the model under "model.": take that part.
    if (meta.count("format") && meta.at("format") == "descent.checkpoint") weights = io::load_checkpoint(args.model).model;
    TrainSpec spec;
    if (!args.config.empty())
        spec = load_config_file(args.config);
    else if (!args.recipe.empty())
        spec = recipe(args.recipe);
    else if (meta.count("config"))
        spec = parse_config(nlohmann::ordered_json::parse(meta.at("config")), args.model);
    else
        throw UsageError("'" + args.model + "' does not say its model: give --recipe or --config");
    if (!args.data_root.empty()) spec.root = args.data_root;
    spec.limit_test = args.limit_test.value_or(0);  // evaluate on the whole test split unless limited here
    const fs::path out = args.out;
    prepare_output_dir(out);

    auto model = build_model(spec);
    model->load_state_dict(weights);
    auto full_test = load_split(spec, false);
    auto test_set = first_n(full_test, spec.limit_test);
    data::DataLoader loader(test_set, {.batch_size = 1000});
    std::vector<std::int64_t> predicted;
    const auto [loss, acc] = evaluate(*model, loader, &predicted);
    const std::int64_t n = test_set->size();
    Tensor preds = Tensor::from(predicted, {n});
    std::vector<std::int64_t> all(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) all[static_cast<std::size_t>(i)] = i;
    Tensor targets = test_set->get_batch(all).target;

    const auto& names = full_test->classes();
    const std::int64_t classes = full_test->num_classes();
    Tensor confusion = train::confusion_matrix(preds, targets, classes);
    const train::ClassScores scores = train::class_scores(confusion);
    if (!args.quiet) {
        std::printf("%s on %lld test images: accuracy %.4f, loss %.4f\n", args.model.c_str(), static_cast<long long>(n),
                    acc, loss);
        std::printf("%-12s %9s %9s %9s %8s\n", "class", "precision", "recall", "f1", "support");
        for (std::int64_t c = 0; c < classes; ++c) {
            const auto i = static_cast<std::size_t>(c);
            std::printf("%-12s %9.4f %9.4f %9.4f %8lld\n", names[i].c_str(), scores.precision[i], scores.recall[i],
                        scores.f1[i], static_cast<long long>(scores.support[i]));
        }
        std::printf("%-12s %9.4f %9.4f %9.4f %8lld\n", "macro avg", scores.macro_precision, scores.macro_recall,
                    scores.macro_f1, static_cast<long long>(n));
    }
    plot::save_confusion_matrix(confusion, names, out / "confusion.png",
                                {.title = "Confusion matrix (accuracy " + std::to_string(acc).substr(0, 6) + ")"});
    // The first test images in order, so mistakes appear at their natural rate, framed in red.
    const auto picked = train::pick_examples(preds, targets, std::min<std::int64_t>(args.grid, n));
    std::vector<std::int64_t> idx, truth, guess;
    for (const auto& e : picked) {
        idx.push_back(e.index);
        truth.push_back(e.target);
        guess.push_back(e.prediction);
    }
    if (!idx.empty()) {
        const auto k = static_cast<std::int64_t>(idx.size());
        plot::save_image_grid(full_test->raw_images(idx), Tensor::from(truth, {k}), Tensor::from(guess, {k}), names,
                              out / "examples.png", {.title = "Test images: predicted (true); mistakes in red"});
    }
    if (!args.quiet)
        std::printf("wrote %s, %s\n", (out / "confusion.png").c_str(), (out / "examples.png").c_str());
    return 0;
}

CLI::App* add_eval_command(CLI::App& app, EvalArgs& a) {
    CLI::App* cmd = app.add_subcommand(
        "eval", "Score a trained model (best.safetensors or a last.safetensors checkpoint) on the test split: "
                "accuracy, per-class precision/recall/F1; writes confusion.png and examples.png into --out");
    cmd->add_option("model", a.model, "The model's safetensors file")->required()->type_name("MODEL.safetensors");
    cmd->add_option("--recipe", a.recipe, "The model's recipe (default: the one recorded in the file)");
    cmd->add_option("--config", a.config, "The model's JSON config")->type_name("FILE.json");
    cmd->add_option("--data-root", a.data_root, "Folder with the IDX files");
    cmd->add_option("--limit-test", a.limit_test, "Score the first N test images only")->check(CLI::Range(1, 100000000));
    cmd->add_option("--grid", a.grid, "Images in the example grid")->check(CLI::Range(1, 1024))->capture_default_str();
    cmd->add_option("--out", a.out, "Output folder")->type_name("DIR")->capture_default_str();
    cmd->add_flag("--quiet,-q", a.quiet, "Print nothing");
    return cmd;
}

}  // namespace descent::cli
