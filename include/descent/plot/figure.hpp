// plot::Figure: one set of axes drawn with Cairo into a PNG or SVG file, in the
// spirit of matplotlib's pyplot: line charts (loss curves, legend, log scale),
// scatter plots coloured by class (misclassified points marked) and the decision
// regions of a 2-D classifier with its 0.5 contour. save_grid() lays several
// figures out as panels of one image.
//
//     plot::Figure fig;
//     fig.plot(losses).xlabel("Epoch").ylabel("Loss").title("Training loss");
//     fig.save("loss.png");
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "descent/core/tensor.hpp"
#include "descent/nn/module.hpp"
#include "descent/plot/color.hpp"

namespace descent::plot {

/// File format, chosen by the extension of the path: `.png` or `.svg`.
enum class Format { png, svg };
/// The format of `path`; any other extension is an error naming it.
Format format_of(const std::filesystem::path& path);

/// Where the plot area of a saved figure lies in the image and which data it shows,
/// so a caller (or a test) can find the pixel of a data point.
struct Frame {
    double left = 0, top = 0, width = 0, height = 0;  ///< the plot area, in pixels
    double x_min = 0, x_max = 1, y_min = 0, y_max = 1;  ///< the data range it shows
    bool log_y = false;
    /// Pixel coordinates (x to the right, y down) of the data point (x, y).
    std::pair<double, double> to_pixel(double x, double y) const;
};

/// A rectangle of data space.
struct Bounds {
    double x_min = -1, x_max = 1, y_min = -1, y_max = 1;
    /// The range of `points` ([N, 2]) widened by `margin` times its extent on every side.
    static Bounds around(const Tensor& points, double margin = 0.08);
};

struct FigureOptions {
    int width = 800;   ///< pixels (PNG) or points (SVG)
    int height = 600;
};

struct LineStyle {
    std::string label;           ///< legend entry; empty: the line has none
    std::optional<Color> color;  ///< default: the next colour of the palette
    double width = 2.0;          ///< pixels
    bool dashed = false;
};

struct ScatterStyle {
    /// Predicted class per point (optional): points whose prediction differs from
    /// their class get a black cross and a "misclassified" legend entry.
    Tensor predicted;
    /// Legend labels of the classes; empty: "class 0", "class 1", ...
    std::vector<std::string> class_names;
    double size = 4.0;  ///< marker radius in pixels
    bool legend = true;
};

/// A classifier's probabilities on a regular grid over `bounds`.
struct RegionMap {
    Bounds bounds;
    std::int64_t nx = 0, ny = 0;  ///< cells along x and along y
    /// 1: the probability of class 1 (boundary at 0.5); k ≥ 2: one probability per class.
    std::int64_t channels = 1;
    /// [ny][nx][channels], row 0 at y_min, cell centres at bounds.min + (i + 0.5) * extent / n.
    std::vector<float> values;

    /// Evaluates `model` (no grad) on the cell centres: it maps [M, 2] to [M], [M, 1]
    /// (probability of class 1) or [M, k] (class probabilities); values must lie in [0, 1].
    static RegionMap evaluate(const std::function<Tensor(const Tensor&)>& model, const Bounds& bounds,
                              int resolution = 240);
    /// The class the map predicts at the data point (x, y) (nearest cell).
    std::int64_t predicted_class(double x, double y) const;
};

struct RegionStyle {
    int resolution = 240;  ///< grid cells along the longer side
    bool contour = true;   ///< draw the decision boundary (the 0.5 contour)
};

namespace detail {
class Canvas;
struct LineArtist {
    std::vector<double> x, y;
    LineStyle style;
};
struct ScatterArtist {
    std::vector<double> x, y;
    std::vector<std::int64_t> classes, predicted;
    ScatterStyle style;
};
struct RegionArtist {
    RegionMap map;
    RegionStyle style;
};
struct Rect {
    double x = 0, y = 0, w = 0, h = 0;
};
}  // namespace detail

/// One set of axes with its artists, saved as PNG or SVG.
class Figure {
public:
    explicit Figure(FigureOptions options = {});

    /// A line through (i, y[i]), i = 0, 1, ... (as pyplot's plot(y)).
    Figure& plot(const std::vector<double>& y, LineStyle style = {});
    /// A line through (x[i], y[i]); both the same length.
    Figure& plot(const std::vector<double>& x, const std::vector<double>& y, LineStyle style = {});
    /// Points (x[i], y[i]) coloured by their integer class (1-D tensors of one length;
    /// classes may be float, as a rounded prediction is).
    Figure& scatter(const Tensor& x, const Tensor& y, const Tensor& classes, ScatterStyle style = {});
    /// The decision regions of `model` (see RegionMap::evaluate) over `bounds`, drawn
    /// behind everything else; the axes then show exactly `bounds` at equal aspect.
    Figure& decision_regions(const std::function<Tensor(const Tensor&)>& model, const Bounds& bounds,
                             RegionStyle style = {});
    Figure& decision_regions(nn::Module& model, const Bounds& bounds, RegionStyle style = {});
    /// Precomputed regions.
    Figure& decision_regions(RegionMap map, RegionStyle style = {});

    Figure& title(std::string text);
    Figure& xlabel(std::string text);
    Figure& ylabel(std::string text);
    /// Logarithmic y axis (values ≤ 0 are left out).
    Figure& log_y(bool on = true);
    Figure& xlim(double lo, double hi);
    Figure& ylim(double lo, double hi);
    /// One data unit is as long on x as on y.
    Figure& equal_aspect(bool on = true);
    /// Forces the legend on or off (default: on when an artist has a label).
    Figure& legend(bool on = true);

    /// Writes the figure to `path` (.png or .svg); creates nothing else. Returns where
    /// the plot area landed. A write failure is an error naming the path.
    Frame save(const std::filesystem::path& path) const;

    const FigureOptions& options() const { return options_; }

    /// Draws into `area` of a canvas (used by save and save_grid).
    Frame draw(detail::Canvas& canvas, const detail::Rect& area) const;

private:
    FigureOptions options_;
    std::string title_, xlabel_, ylabel_;
    std::vector<detail::LineArtist> lines_;
    std::vector<detail::ScatterArtist> scatters_;
    std::vector<detail::RegionArtist> regions_;
    bool log_y_ = false, equal_aspect_ = false;
    std::optional<bool> legend_;
    std::optional<std::pair<double, double>> xlim_, ylim_;
};

struct GridOptions {
    int columns = 0;  ///< 0: about square
    std::string title;
    int panel_width = 400;  ///< each panel's size; the figures' own sizes are ignored
    int panel_height = 400;
};

/// Saves `panels` side by side in one image (row-major); returns each panel's frame.
std::vector<Frame> save_grid(const std::vector<Figure>& panels, const std::filesystem::path& path,
                             const GridOptions& options = {});

}  // namespace descent::plot
