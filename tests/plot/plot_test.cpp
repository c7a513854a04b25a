// Figures written with Cairo: PNGs decode with the stated size and are not blank,
// pixels land where the returned Frame says (lines, class-coloured decision
// regions, crosses on misclassified points), SVGs are well-formed XML, and bad
// paths or inputs are clear errors.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "descent/core/error.hpp"
#include "descent/ops.hpp"
#include "descent/plot/charts.hpp"
#include "descent/plot/figure.hpp"
#include "descent/plot/image.hpp"
#include "plot/xml_check.hpp"

namespace fs = std::filesystem;
using namespace descent;

// Under AddressSanitizer: fontconfig (Cairo's font lookup) keeps its caches until
// exit by design; that is not a leak of ours (see tests/lsan.supp).
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }

namespace {

// A folder of this process's, removed when the tests end.
struct TempDir {
    fs::path path = fs::temp_directory_path() / ("descent_plot_test_" + std::to_string(::getpid()));
    TempDir() { fs::create_directories(path); }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

fs::path temp_dir() {
    static const TempDir dir;
    return dir.path;
}

double distance(const plot::Color& a, const plot::Color& b) {
    return std::sqrt((a.r - b.r) * (a.r - b.r) + (a.g - b.g) * (a.g - b.g) + (a.b - b.b) * (a.b - b.b));
}

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// P(class 1) of a perfect classifier of the book's data, sharp at x0 + x1 = 0.
Tensor book_boundary(const Tensor& grid) { return sigmoid((grid.select(1, 0) + grid.select(1, 1)) * 8.0); }

std::vector<double> decaying(int n) {
    std::vector<double> y;
    for (int i = 0; i < n; ++i) y.push_back(0.7 * std::exp(-i / 150.0) + 0.05);
    return y;
}

}  // namespace

TEST(Plot, LineChartPngHasTheStatedSizeAndTheLineWhereTheFrameSays) {
    const fs::path path = temp_dir() / "loss.png";
    plot::Figure fig({.width = 640, .height = 480});
    const auto y = decaying(1000);
    fig.plot(y, {.color = plot::Color::hex(0x3b6fc4)}).xlabel("Epoch").ylabel("Loss").title("Training loss");
    const plot::Frame frame = fig.save(path);
    const plot::Image image = plot::read_png(path);
    EXPECT_EQ(image.width, 640);
    EXPECT_EQ(image.height, 480);
    EXPECT_GT(image.distinct_colors(), 20u) << "a chart with text and a line is not blank";
    // The frame lies inside the image and leaves room for labels on the left and below.
    EXPECT_GT(frame.left, 30);
    EXPECT_LT(frame.left + frame.width, 640);
    EXPECT_GT(frame.top, 20);
    EXPECT_LT(frame.top + frame.height, 460);
    // The curve's pixel at epoch 500 carries the line colour.
    const auto [px, py] = frame.to_pixel(500, y[500]);
    const plot::Color c = image.at(static_cast<int>(px), static_cast<int>(py));
    EXPECT_LT(distance(c, plot::Color::hex(0x3b6fc4)), 0.15);
    // Far above the curve the plot area is background (white or a light grid line).
    const auto [qx, qy] = frame.to_pixel(503, 0.6);
    EXPECT_GT(image.at(static_cast<int>(qx), static_cast<int>(qy)).g, 0.85);
}

TEST(Plot, LogScaleMapsDecadesToEqualDistances) {
    plot::Figure fig({.width = 500, .height = 400});
    fig.plot({0, 1, 2, 3}, {1.0, 0.1, 0.01, 0.001}).log_y();
    const plot::Frame f = fig.save(temp_dir() / "log.png");
    ASSERT_TRUE(f.log_y);
    const double d1 = f.to_pixel(0, 0.1).second - f.to_pixel(0, 1.0).second;
    const double d2 = f.to_pixel(0, 0.001).second - f.to_pixel(0, 0.01).second;
    EXPECT_GT(d1, 10);
    EXPECT_NEAR(d1, d2, 1e-6);
    EXPECT_THROW(plot::Figure().plot({0, 1}, {1, 2}).log_y().ylim(-1, 2).save(temp_dir() / "bad.png"), Error);
}

TEST(Plot, DecisionRegionsCarryTheClassColoursOnEachSideOfTheBoundary) {
    const fs::path path = temp_dir() / "regions.png";
    plot::Figure fig({.width = 600, .height = 600});
    fig.decision_regions(book_boundary, {-3, 3, -3, 3}).title("Regions");
    const plot::Frame f = fig.save(path);
    const plot::Image image = plot::read_png(path);
    ASSERT_EQ(image.width, 600);
    // Equal aspect: the square data range is a square on screen.
    EXPECT_NEAR(f.width, f.height, 1.0);
    for (double a : {1.0, 1.6, 2.2}) {
        for (double b : {-0.5, 0.0, 0.5}) {
            const auto [x1, y1] = f.to_pixel(a + b, a - b);    // x0 + x1 = 2a > 0: class 1
            const auto [x0, y0] = f.to_pixel(-a + b, -a - b);  // x0 + x1 = -2a < 0: class 0
            const plot::Color c1 = image.at(static_cast<int>(x1), static_cast<int>(y1));
            const plot::Color c0 = image.at(static_cast<int>(x0), static_cast<int>(y0));
            EXPECT_LT(distance(c1, plot::class_tint(1)), 0.06) << "at x0 + x1 = " << 2 * a;
            EXPECT_LT(distance(c0, plot::class_tint(0)), 0.06) << "at x0 + x1 = " << -2 * a;
        }
    }
    // The 0.5 contour runs through the origin: a dark pixel within 2 px of it.
    const auto [ox, oy] = f.to_pixel(0.3, -0.3);
    double darkest = 1;
    for (int dy = -2; dy <= 2; ++dy)
        for (int dx = -2; dx <= 2; ++dx)
            darkest = std::min(darkest, image.at(static_cast<int>(ox) + dx, static_cast<int>(oy) + dy).g);
    EXPECT_LT(darkest, 0.35);
}

TEST(Plot, RegionMapPredictsTheModelsClass) {
    const plot::RegionMap m = plot::RegionMap::evaluate(book_boundary, {-2, 2, -1, 1}, 100);
    EXPECT_EQ(m.nx, 100);
    EXPECT_EQ(m.ny, 50);
    EXPECT_EQ(m.channels, 1);
    EXPECT_EQ(m.predicted_class(1.5, 0.2), 1);
    EXPECT_EQ(m.predicted_class(-1.5, 0.2), 0);
    // Softmax over three classes: the class is the argmax.
    const auto three = [](const Tensor& g) {
        return softmax(stack({g.select(1, 0), g.select(1, 1), -g.select(1, 0)}, 1) * 5.0, 1);
    };
    const plot::RegionMap k = plot::RegionMap::evaluate(three, {-2, 2, -2, 2}, 40);
    EXPECT_EQ(k.channels, 3);
    EXPECT_EQ(k.predicted_class(1.5, 0.1), 0);
    EXPECT_EQ(k.predicted_class(0.1, 1.5), 1);
    EXPECT_EQ(k.predicted_class(-1.5, 0.1), 2);
    // Logits are not probabilities: a clear error instead of a wrong picture.
    EXPECT_THROW(plot::RegionMap::evaluate([](const Tensor& g) { return g.select(1, 0) * 10.0; }, {-2, 2, -2, 2}, 20),
                 Error);
}

TEST(Plot, MisclassifiedPointsAreMarked) {
    const Tensor x = Tensor::from({-1.0f, 1.0f});
    const Tensor y = Tensor::from({0.0f, 0.0f});
    const Tensor cls = Tensor::from({0.0f, 1.0f});
    const Tensor right = Tensor::from({0.0f, 1.0f}), wrong = Tensor::from({0.0f, 0.0f});
    const fs::path dir = temp_dir();
    plot::Figure ok({.width = 400, .height = 300}), bad({.width = 400, .height = 300});
    ok.scatter(x, y, cls, {.predicted = right, .size = 8}).legend(false);
    bad.scatter(x, y, cls, {.predicted = wrong, .size = 8}).legend(false);
    const plot::Frame f = ok.save(dir / "ok.png");
    bad.save(dir / "bad.png");
    const auto [px, py] = f.to_pixel(1.0, 0.0);
    const auto [qx, qy] = f.to_pixel(-1.0, 0.0);
    const plot::Image a = plot::read_png(dir / "ok.png"), b = plot::read_png(dir / "bad.png");
    // The correct point keeps its class colour at its centre; the wrong one gets a dark cross.
    EXPECT_LT(distance(a.at(int(px), int(py)), plot::class_color(1)), 0.1);
    EXPECT_LT(b.at(int(px), int(py)).r, 0.3);
    EXPECT_LT(distance(b.at(int(qx), int(qy)), plot::class_color(0)), 0.1);
}

TEST(Plot, SvgIsWellFormedXml) {
    const fs::path path = temp_dir() / "figure.svg";
    plot::Figure fig({.width = 500, .height = 400});
    const Tensor pts = Tensor::randn({50, 2});
    const Tensor cls = gt(pts.select(1, 0) + pts.select(1, 1), 0.0);
    fig.decision_regions(book_boundary, plot::Bounds::around(pts))
        .scatter(pts.select(1, 0), pts.select(1, 1), cls, {.class_names = {"below <x+y=0>", "above & right"}})
        .plot({-1, 1}, {1, -1}, {.label = "x + y = 0", .dashed = true})
        .title("Regions & \"quotes\" <ok>");
    fig.save(path);
    const std::string svg = slurp(path);
    ASSERT_GT(svg.size(), 200u);
    EXPECT_NE(svg.find("<svg"), std::string::npos);
    EXPECT_EQ(test_util::xml_error(svg), "");
    EXPECT_EQ(test_util::xml_error("<svg><g></svg></g>"), "end tag </svg> does not match at byte 8")
        << "the checker itself must catch bad nesting";
    EXPECT_NE(test_util::xml_error("<a x=1/>"), "");
    EXPECT_NE(test_util::xml_error("<a>&nope;</a>"), "");
}

TEST(Plot, GridOfPanels) {
    std::vector<plot::Figure> panels;
    for (int i = 0; i < 5; ++i) {
        plot::Figure p;
        p.decision_regions(book_boundary, {-2, 2, -2, 2}, {.resolution = 60}).title("run " + std::to_string(i));
        panels.push_back(p);
    }
    const fs::path path = temp_dir() / "grid.png";
    const auto frames = plot::save_grid(panels, path, {.columns = 3, .title = "Five runs", .panel_width = 300, .panel_height = 280});
    ASSERT_EQ(frames.size(), 5u);
    const plot::Image image = plot::read_png(path);
    EXPECT_EQ(image.width, 900);
    EXPECT_GT(image.height, 560);
    // Panel 4 (second row, second column) sits right of and below panel 0.
    EXPECT_GT(frames[4].left, frames[0].left + 250);
    EXPECT_GT(frames[4].top, frames[0].top + 250);
    const auto [x, y] = frames[4].to_pixel(1.5, 1.5);
    EXPECT_LT(distance(image.at(int(x), int(y)), plot::class_tint(1)), 0.06);
}

TEST(Plot, ConfusionMatrixCountsAndHeatmap) {
    const Tensor t = Tensor::from({0, 0, 1, 1, 2, 2, 2});
    const Tensor p = Tensor::from({0, 1, 1, 1, 2, 0, 2});
    const Tensor cm = plot::confusion_matrix(t, p, 3);
    EXPECT_EQ(cm.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 1, 0, 0, 2, 0, 1, 0, 2}));
    EXPECT_THROW(plot::confusion_matrix(t, Tensor::from({0, 1, 1, 1, 2, 0, 3}), 3), Error);
    const fs::path path = temp_dir() / "confusion.png";
    plot::save_confusion_matrix(cm, {"T-shirt/top", "Trouser", "Ankle boot"}, path);
    const plot::Image image = plot::read_png(path);
    EXPECT_GT(image.width, 200);
    EXPECT_GT(image.distinct_colors(), 10u);
    EXPECT_THROW(plot::save_confusion_matrix(cm, {"a", "b"}, path), Error);
}

TEST(Plot, ImageGridFramesMistakesInRed) {
    const Tensor images = Tensor::rand({6, 28, 28});
    const Tensor labels = Tensor::from({0, 1, 2, 3, 4, 5});
    const fs::path dir = temp_dir();
    auto count_red = [](const plot::Image& im) {
        std::size_t n = 0;
        for (int y = 0; y < im.height; ++y)
            for (int x = 0; x < im.width; ++x) {
                const plot::Color c = im.at(x, y);
                n += c.r > 0.7 && c.g < 0.3 && c.b < 0.3;
            }
        return n;
    };
    plot::save_image_grid(images, labels, labels, {}, dir / "right.png", {.columns = 3});
    plot::save_image_grid(images, labels, Tensor::from({0, 1, 2, 3, 4, 0}), {}, dir / "wrong.png", {.columns = 3});
    EXPECT_EQ(count_red(plot::read_png(dir / "right.png")), 0u);
    EXPECT_GT(count_red(plot::read_png(dir / "wrong.png")), 200u);
}

TEST(Plot, BadPathsAndInputsAreClearErrors) {
    plot::Figure fig;
    fig.plot({1, 2, 3});
    try {
        fig.save(temp_dir() / "figure.jpg");
        FAIL() << "a .jpg path must be refused";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(".jpg"), std::string::npos) << e.what();
    }
    try {
        fig.save("/nonexistent-descent-dir/figure.png");
        FAIL() << "an unwritable path must be refused";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent-descent-dir/figure.png"), std::string::npos) << e.what();
    }
    EXPECT_THROW(fig.save("/nonexistent-descent-dir/figure.svg"), Error);
    EXPECT_THROW(plot::read_png(temp_dir() / "missing.png"), Error);
    {
        std::ofstream(temp_dir() / "corrupt.png") << "not a png";
    }
    EXPECT_THROW(plot::read_png(temp_dir() / "corrupt.png"), Error);
    EXPECT_THROW(plot::Figure().plot({1, 2}, {1, 2, 3}), Error);
    EXPECT_THROW(plot::Figure().scatter(Tensor::from({1.0f}), Tensor::from({1.0f, 2.0f}), Tensor::from({0.0f})), Error);
    EXPECT_THROW(plot::Figure().scatter(Tensor::from({1.0f}), Tensor::from({1.0f}), Tensor::from({-1.0f})), Error);
}
