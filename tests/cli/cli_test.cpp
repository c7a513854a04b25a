// The `descent` tool and the book's example, run as a user runs them: the demo
// reaches ≥ 0.97 accuracy on the book's data, its log lines are the book's format
// exactly, its pictures decode with the stated size and show the two classes on
// the two sides of x0 + x1 = 0, SVGs are well-formed, compare runs every
// combination and marks the best, and bad options exit with 2 and a message.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

#include "descent/plot/color.hpp"
#include "descent/plot/image.hpp"
#include "plot/xml_check.hpp"

namespace fs = std::filesystem;
using namespace descent;

// Under AddressSanitizer: fontconfig (Cairo's font lookup) keeps its caches until
// exit by design; that is not a leak of ours (see tests/lsan.supp). The programs
// this test runs get the same suppressions through LSAN_OPTIONS.
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }

namespace {

struct Result {
    int code = -1;
    std::string out, err;
};

// A folder of this process's, removed when the tests end.
struct TempDir {
    fs::path path = fs::temp_directory_path() / ("descent_cli_test_" + std::to_string(::getpid()));
    TempDir() { fs::create_directories(path); }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

fs::path scratch() {
    static const TempDir dir;
    return dir.path;
}

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Runs `program args` with stdout and stderr captured (not a terminal: plain log lines).
Result run(const std::string& program, const std::string& args) {
    static int counter = 0;
    const fs::path out = scratch() / ("out" + std::to_string(counter) + ".txt");
    const fs::path err = scratch() / ("err" + std::to_string(counter++) + ".txt");
    const std::string env = std::getenv("LSAN_OPTIONS")
                                ? ""
                                : "LSAN_OPTIONS=suppressions='" DESCENT_TEST_DATA "/../lsan.supp' ";
    const std::string cmd = env + "'" + program + "' " + args + " >'" + out.string() + "' 2>'" + err.string() + "' </dev/null";
    const int status = std::system(cmd.c_str());
    Result r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
}

Result descent_cli(const std::string& args) { return run(DESCENT_CLI_PATH, args); }

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// The lines in the book's format, checked to be exactly that format.
std::vector<std::pair<int, double>> epoch_lines(const std::string& text, int epochs) {
    static const std::regex book(R"(Epoch \[(\d+)/(\d+)\], Loss: (\d+\.\d{4}))");
    std::vector<std::pair<int, double>> found;
    for (const auto& line : lines_of(text)) {
        if (line.rfind("Epoch", 0) != 0) continue;
        std::smatch m;
        EXPECT_TRUE(std::regex_match(line, m, book)) << "not the book's format: '" << line << "'";
        if (!std::regex_match(line, m, book)) continue;
        EXPECT_EQ(std::stoi(m[2]), epochs);
        found.emplace_back(std::stoi(m[1]), std::stod(m[3]));
    }
    return found;
}

double distance(const plot::Color& a, const plot::Color& b) {
    return std::sqrt((a.r - b.r) * (a.r - b.r) + (a.g - b.g) * (a.g - b.g) + (a.b - b.b) * (a.b - b.b));
}

}  // namespace

TEST(Cli, HelpListsEveryCommandAndOption) {
    const Result top = descent_cli("--help");
    EXPECT_EQ(top.code, 0);
    EXPECT_NE(top.out.find("demo"), std::string::npos);
    EXPECT_NE(top.out.find("compare"), std::string::npos);
    const Result demo = descent_cli("demo --help");
    EXPECT_EQ(demo.code, 0);
    for (const char* option : {"--dataset", "--hidden", "--activation", "--optimizer", "--lr", "--momentum", "--batch",
                               "--epochs", "--seed", "--log-every", "--out", "--format", "--quiet", "--log"})
        EXPECT_NE(demo.out.find(option), std::string::npos) << option << " missing from demo --help";
    const Result compare = descent_cli("compare --help");
    EXPECT_EQ(compare.code, 0);
    for (const char* option : {"--optimizer", "--lr", "--momentum", "--batch", "--log-scale", "--epochs", "--out"})
        EXPECT_NE(compare.out.find(option), std::string::npos) << option << " missing from compare --help";
}

TEST(Cli, DemoLearnsTheBooksDataAndDrawsIt) {
    const fs::path out = scratch() / "demo";
    const fs::path log = scratch() / "demo.jsonl";
    const Result r = descent_cli("demo --out '" + out.string() + "' --log '" + log.string() + "'");
    ASSERT_EQ(r.code, 0) << r.out << r.err;

    // Ten lines, every 100 epochs, in the book's format.
    const auto lines = epoch_lines(r.out, 1000);
    ASSERT_EQ(lines.size(), 10u) << r.out;
    for (std::size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i].first, 100 * static_cast<int>(i + 1));
    EXPECT_LT(lines.back().second, lines.front().second) << "the loss must fall";
    // The paths are printed.
    EXPECT_NE(r.out.find((out / "loss.png").string()), std::string::npos);
    EXPECT_NE(r.out.find((out / "classification.png").string()), std::string::npos);

    const auto summary = nlohmann::json::parse(slurp(out / "summary.json"));
    EXPECT_GE(summary["accuracy"].get<double>(), 0.97);
    EXPECT_EQ(summary["steps"].get<int>(), 1000) << "full batch: one step per epoch";

    // The JSONL log: one object per logged epoch, the same losses as printed.
    const auto log_lines = lines_of(slurp(log));
    ASSERT_EQ(log_lines.size(), 10u);
    for (std::size_t i = 0; i < log_lines.size(); ++i) {
        const auto j = nlohmann::json::parse(log_lines[i]);
        EXPECT_EQ(j["epoch"].get<int>(), lines[i].first);
        EXPECT_NEAR(j["loss"].get<double>(), lines[i].second, 5e-5);  // printed with 4 decimals
        EXPECT_GE(j["accuracy"].get<double>(), 0.0);
        EXPECT_LE(j["accuracy"].get<double>(), 1.0);
    }

    // The pictures decode, have the stated size and are not blank.
    for (const char* name : {"loss", "classification"}) {
        const plot::Image image = plot::read_png(out / (std::string(name) + ".png"));
        EXPECT_EQ(image.width, summary["frames"][name]["width"].get<int>());
        EXPECT_EQ(image.height, summary["frames"][name]["height"].get<int>());
        EXPECT_GT(image.distinct_colors(), 50u) << name;
    }
    // Far on each side of x0 + x1 = 0 the regions carry the two class colours. A data
    // point may cover a sample, but the other class's tint must never show there.
    const auto& f = summary["frames"]["classification"];
    const plot::Image image = plot::read_png(out / "classification.png");
    const double left = f["plot_area"][0], top = f["plot_area"][1], w = f["plot_area"][2], h = f["plot_area"][3];
    const double x0 = f["x_range"][0], x1 = f["x_range"][1], y0 = f["y_range"][0], y1 = f["y_range"][1];
    int matched[2] = {0, 0}, sampled[2] = {0, 0};
    for (double u = x0; u <= x1; u += (x1 - x0) / 40) {
        for (double v = y0; v <= y1; v += (y1 - y0) / 40) {
            if (std::abs(u + v) < 2.0) continue;
            const int cls = u + v > 0 ? 1 : 0;
            const int px = static_cast<int>(left + (u - x0) / (x1 - x0) * w);
            const int py = static_cast<int>(top + (1 - (v - y0) / (y1 - y0)) * h);
            if (px <= left + 2 || px >= left + w - 2 || py <= top + 2 || py >= top + h - 2) continue;
            const plot::Color c = image.at(px, py);
            ++sampled[cls];
            matched[cls] += distance(c, plot::class_tint(cls)) < 0.08;
            EXPECT_GT(distance(c, plot::class_tint(1 - cls)), 0.08) << "class " << 1 - cls << " tint at (" << u << ", " << v << ")";
        }
    }
    for (int cls : {0, 1}) {
        ASSERT_GT(sampled[cls], 100);
        EXPECT_GT(matched[cls], sampled[cls] * 3 / 4) << "class " << cls;
    }
}

TEST(Cli, DemoWritesWellFormedSvg) {
    const fs::path out = scratch() / "svg";
    const Result r = descent_cli("demo --format svg --epochs 40 --points 200 --quiet --out '" + out.string() + "'");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(epoch_lines(r.out, 40).empty()) << "--quiet prints no progress";
    for (const char* name : {"loss.svg", "classification.svg"}) {
        const std::string svg = slurp(out / name);
        ASSERT_GT(svg.size(), 500u) << name;
        EXPECT_EQ(test_util::xml_error(svg), "") << name;
    }
}

TEST(Cli, DemoOtherDataSetsAndOptions) {
    const fs::path out = scratch() / "moons";
    const Result r = descent_cli("demo --dataset moons --hidden 16,16 --activation tanh --optimizer adam --lr 0.02 "
                                 "--batch 32 --epochs 60 --log-every 20 --points 300 --seed 3 --out '" +
                                 out.string() + "'");
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    const auto lines = epoch_lines(r.out, 60);
    ASSERT_EQ(lines.size(), 3u);
    const auto summary = nlohmann::json::parse(slurp(out / "summary.json"));
    EXPECT_EQ(summary["steps"].get<int>(), 60 * 10) << "300 points in batches of 32: 10 steps per epoch";
    EXPECT_GE(summary["accuracy"].get<double>(), 0.85);
    const Result blobs = descent_cli("demo --dataset blobs --classes 4 --hidden 8 --optimizer rmsprop --epochs 50 "
                                     "--points 200 --quiet --out '" + (scratch() / "blobs").string() + "'");
    ASSERT_EQ(blobs.code, 0) << blobs.err;
    EXPECT_EQ(nlohmann::json::parse(slurp(scratch() / "blobs" / "summary.json"))["classes"].get<int>(), 4);
}

TEST(Cli, CompareRunsEveryCombinationAndMarksTheBest) {
    const fs::path out = scratch() / "compare";
    const Result r = descent_cli("compare --epochs 30 --points 200 --out '" + out.string() + "'");
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    const auto results = nlohmann::json::parse(slurp(out / "results.json"));
    ASSERT_EQ(results["runs"].size(), 4u) << "the book's four: SGD, SGD with momentum, RMSprop, Adam";
    int best = -1;
    double lowest = 1e9;
    for (std::size_t i = 0; i < 4; ++i) {
        const auto& run = results["runs"][i];
        if (run["best"].get<bool>()) {
            EXPECT_EQ(best, -1) << "one best run";
            best = static_cast<int>(i);
        }
        lowest = std::min(lowest, run["final_loss"].get<double>());
        EXPECT_EQ(run["steps"].get<int>(), 30);
        // The table names each run.
        EXPECT_NE(r.out.find(run["run"].get<std::string>()), std::string::npos);
    }
    ASSERT_GE(best, 0);
    EXPECT_EQ(results["runs"][best]["final_loss"].get<double>(), lowest);
    EXPECT_NE(r.out.find("* best"), std::string::npos);
    for (const char* name : {"loss_curves.png", "regions.png"}) {
        const plot::Image image = plot::read_png(out / name);
        EXPECT_GT(image.width, 400) << name;
        EXPECT_GT(image.distinct_colors(), 50u) << name;
    }

    // A sweep: every combination of three learning rates and two momenta.
    const Result sweep = descent_cli("compare --optimizer sgd --lr 0.01,0.1,1 --momentum 0,0.9 --epochs 10 --points 100 "
                                     "--quiet --out '" + (scratch() / "sweep").string() + "'");
    ASSERT_EQ(sweep.code, 0) << sweep.err;
    EXPECT_EQ(nlohmann::json::parse(slurp(scratch() / "sweep" / "results.json"))["runs"].size(), 6u);

    // The three kinds of gradient descent: steps per epoch are 1, ceil(100 / 32) = 4 and 100.
    const Result kinds = descent_cli("compare --optimizer sgd --batch full,32,1 --epochs 3 --points 100 --quiet "
                                     "--log-scale --out '" + (scratch() / "kinds").string() + "'");
    ASSERT_EQ(kinds.code, 0) << kinds.err;
    const auto k = nlohmann::json::parse(slurp(scratch() / "kinds" / "results.json"));
    ASSERT_EQ(k["runs"].size(), 3u);
    EXPECT_EQ(k["runs"][0]["steps"].get<int>(), 3);
    EXPECT_EQ(k["runs"][1]["steps"].get<int>(), 12);
    EXPECT_EQ(k["runs"][2]["steps"].get<int>(), 300);
}

TEST(Cli, BadOptionsExitWithTwoAndAClearMessage) {
    const fs::path file = scratch() / "a-file";
    std::ofstream(file) << "x";
    const fs::path fresh = scratch() / "never-created";
    const std::string out = " --out '" + fresh.string() + "'";
    struct Case {
        std::string args, message;
    };
    const std::vector<Case> cases = {
        {"demo --optimizer foo" + out, "foo"},
        {"demo --lr 0" + out, "--lr must be positive"},
        {"demo --lr=-0.5" + out, "--lr must be positive"},
        {"demo --batch 5000" + out, "larger than the data set"},
        {"demo --batch abc" + out, "--batch"},
        {"demo --batch 0" + out, "--batch"},
        {"demo --epochs 0" + out, "--epochs"},
        {"demo --dataset nope" + out, "nope"},
        {"demo --format jpg" + out, "jpg"},
        {"demo --momentum 0.9 --optimizer adam" + out, "--momentum"},
        {"demo --out '" + (file / "sub").string() + "'", "output folder"},
        {"demo --log '" + (file / "x.jsonl").string() + "'" + out, "--log"},
        {"compare --lr 0.1,-1" + out, "--lr must be positive"},
        {"compare --optimizer sgd,bogus" + out, "bogus"},
        {"compare --batch full,2000" + out, "larger than the data set"},
        {"demo --no-such-option", "--no-such-option"},
        {"", "subcommand"},
    };
    for (const auto& c : cases) {
        const Result r = descent_cli(c.args);
        EXPECT_EQ(r.code, 2) << "descent " << c.args << "\n" << r.out << r.err;
        EXPECT_NE(r.err.find(c.message), std::string::npos)
            << "descent " << c.args << ": stderr lacks '" << c.message << "':\n" << r.err;
    }
    EXPECT_FALSE(fs::exists(fresh)) << "a bad command line must not create the output folder";
}

TEST(Cli, BookExampleReadsLikeTheBookAndReachesItsTarget) {
    const fs::path out = scratch() / "book";
    fs::create_directories(out);
    const Result r = run(DESCENT_BOOK_PATH, "'" + out.string() + "'");
    ASSERT_EQ(r.code, 0) << "the example checks accuracy >= 0.97 itself\n" << r.out << r.err;
    const auto lines = epoch_lines(r.out, 1000);
    ASSERT_EQ(lines.size(), 10u) << r.out;
    EXPECT_EQ(lines.front().first, 100);
    EXPECT_EQ(lines.back().first, 1000);
    for (const char* name : {"loss.png", "classification.png"}) {
        const plot::Image image = plot::read_png(out / name);
        EXPECT_EQ(image.width, 800);
        EXPECT_EQ(image.height, 600);
        EXPECT_GT(image.distinct_colors(), 50u) << name;
    }
}
