// plot::Figure: data ranges, layout (margins from the measured text), axes with
// ticks, lines, scatter markers, decision regions with their boundary found by
// marching squares, and the legend placed in the emptiest corner.
#include "descent/plot/figure.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <tuple>
#include <limits>
#include <set>

#include "canvas.hpp"
#include "descent/autograd/grad_mode.hpp"
#include "descent/core/error.hpp"

namespace descent::plot {

using detail::Canvas;
using detail::Font;
using detail::Rect;

namespace {
const Color kText = Color::hex(0x222222);
const Color kTickText = Color::hex(0x444444);
const Color kAxis = Color::hex(0x555555);
const Color kGrid = Color::hex(0xe4e4e4);
const Color kWhite{1, 1, 1, 1};
const Color kEdge = Color::hex(0x1a1a1a);
const Color kBoundary = Color::hex(0x202020);

std::vector<std::int64_t> to_classes(const Tensor& t, const char* what) {
    DESCENT_CHECK(t.dim() <= 1 || (t.dim() == 2 && t.size(1) == 1), "Figure::scatter: ", what,
                  " must be 1-D, got shape ", shape_str(t.shape()));
    std::vector<double> v = t.to_vector<double>();
    std::vector<std::int64_t> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        DESCENT_CHECK(std::isfinite(v[i]) && v[i] >= 0 && v[i] < 1000, "Figure::scatter: ", what, "[", i,
                      "] = ", v[i], " is not a class index");
        out[i] = std::llround(v[i]);
    }
    return out;
}

// Pixel-aligned coordinate for a crisp 1-pixel line.
double crisp(double v) { return std::floor(v) + 0.5; }

struct LegendEntry {
    enum Kind { line, marker, cross } kind;
    std::string label;
    Color color;
    double width = 2;
    bool dashed = false;
};

// The colour of a region cell from its class probabilities: white on the boundary,
// the class tint where the model is sure.
Color region_color(const float* p, std::int64_t channels) {
    if (channels == 1) {
        const double t = 2.0 * p[0] - 1.0;
        const double w = std::sqrt(std::min(1.0, std::abs(t)));
        return t >= 0 ? mix(kWhite, class_tint(1), w) : mix(kWhite, class_tint(0), w);
    }
    std::int64_t best = 0;
    for (std::int64_t c = 1; c < channels; ++c)
        if (p[c] > p[best]) best = c;
    const double chance = 1.0 / channels;
    const double conf = std::clamp((p[best] - chance) / (1.0 - chance), 0.0, 1.0);
    return mix(kWhite, class_tint(best), std::sqrt(conf));
}

// Field whose zero set is the boundary of class `c` (binary: p - 0.5).
double boundary_field(const float* p, std::int64_t channels, std::int64_t c) {
    if (channels == 1) return p[0] - 0.5;
    double other = -1;
    for (std::int64_t j = 0; j < channels; ++j)
        if (j != c) other = std::max(other, static_cast<double>(p[j]));
    return p[c] - other;
}

// Marching squares over the cell centres; appends segments (data coordinates).
void contour_segments(const RegionMap& m, std::int64_t c, std::vector<std::array<double, 4>>& out) {
    const double dx = (m.bounds.x_max - m.bounds.x_min) / m.nx;
    const double dy = (m.bounds.y_max - m.bounds.y_min) / m.ny;
    auto f = [&](std::int64_t i, std::int64_t j) {
        return boundary_field(&m.values[(j * m.nx + i) * m.channels], m.channels, c);
    };
    auto cx = [&](double i) { return m.bounds.x_min + (i + 0.5) * dx; };
    auto cy = [&](double j) { return m.bounds.y_min + (j + 0.5) * dy; };
    for (std::int64_t j = 0; j + 1 < m.ny; ++j) {
        for (std::int64_t i = 0; i + 1 < m.nx; ++i) {
            const double a = f(i, j), b = f(i + 1, j), cc = f(i + 1, j + 1), d = f(i, j + 1);
            const int code = (a > 0) | (b > 0) << 1 | (cc > 0) << 2 | (d > 0) << 3;
            if (code == 0 || code == 15) continue;
            // Edge points: 0 bottom (a-b), 1 right (b-c), 2 top (d-c), 3 left (a-d).
            auto edge = [&](int e) -> std::pair<double, double> {
                auto t = [](double p, double q) { return p / (p - q); };
                switch (e) {
                    case 0: return {cx(i + t(a, b)), cy(j)};
                    case 1: return {cx(i + 1), cy(j + t(b, cc))};
                    case 2: return {cx(i + t(d, cc)), cy(j + 1)};
                    default: return {cx(i), cy(j + t(a, d))};
                }
            };
            auto seg = [&](int e0, int e1) {
                auto p = edge(e0), q = edge(e1);
                out.push_back({p.first, p.second, q.first, q.second});
            };
            const bool centre = (a + b + cc + d) > 0;
            switch (code) {
                case 1: case 14: seg(3, 0); break;
                case 2: case 13: seg(0, 1); break;
                case 3: case 12: seg(3, 1); break;
                case 4: case 11: seg(1, 2); break;
                case 6: case 9: seg(0, 2); break;
                case 7: case 8: seg(3, 2); break;
                case 5:
                    if (centre) { seg(0, 1); seg(2, 3); } else { seg(3, 0); seg(1, 2); }
                    break;
                case 10:
                    if (centre) { seg(3, 0); seg(1, 2); } else { seg(0, 1); seg(2, 3); }
                    break;
                default: break;
            }
        }
    }
}

void draw_cross(cairo_t* cr, double x, double y, double r, double width) {
    cairo_move_to(cr, x - r, y - r);
    cairo_line_to(cr, x + r, y + r);
    cairo_move_to(cr, x - r, y + r);
    cairo_line_to(cr, x + r, y - r);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    detail::set_color(cr, kWhite.with_alpha(0.85));
    cairo_set_line_width(cr, width * 2.4);
    cairo_stroke_preserve(cr);
    detail::set_color(cr, kEdge);
    cairo_set_line_width(cr, width);
    cairo_stroke(cr);
}

void draw_region_image(cairo_t* cr, const RegionMap& m, const Frame& f) {
    cairo_surface_t* img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, m.nx, m.ny);
    cairo_surface_flush(img);
    unsigned char* data = cairo_image_surface_get_data(img);
    const int stride = cairo_image_surface_get_stride(img);
    for (std::int64_t j = 0; j < m.ny; ++j) {
        auto* row = reinterpret_cast<std::uint32_t*>(data + (m.ny - 1 - j) * stride);  // image rows run down
        for (std::int64_t i = 0; i < m.nx; ++i) {
            const Color c = region_color(&m.values[(j * m.nx + i) * m.channels], m.channels);
            auto byte = [](double v) { return static_cast<std::uint32_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255)); };
            row[i] = 0xff000000u | byte(c.r) << 16 | byte(c.g) << 8 | byte(c.b);
        }
    }
    cairo_surface_mark_dirty(img);
    const auto [px0, py0] = f.to_pixel(m.bounds.x_min, m.bounds.y_max);
    const auto [px1, py1] = f.to_pixel(m.bounds.x_max, m.bounds.y_min);
    cairo_save(cr);
    cairo_rectangle(cr, f.left, f.top, f.width, f.height);
    cairo_clip(cr);
    cairo_translate(cr, px0, py0);
    cairo_scale(cr, (px1 - px0) / m.nx, (py1 - py0) / m.ny);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_BILINEAR);
    cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
    cairo_rectangle(cr, 0, 0, m.nx, m.ny);
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
}
}  // namespace

// ---- small types -----------------------------------------------------------------------------
std::pair<double, double> Frame::to_pixel(double x, double y) const {
    const double fx = (x - x_min) / (x_max - x_min);
    const double fy = log_y ? (std::log10(y) - std::log10(y_min)) / (std::log10(y_max) - std::log10(y_min))
                            : (y - y_min) / (y_max - y_min);
    return {left + fx * width, top + (1.0 - fy) * height};
}

Bounds Bounds::around(const Tensor& points, double margin) {
    DESCENT_CHECK(points.dim() == 2 && points.size(1) == 2 && points.size(0) > 0,
                  "Bounds::around: points must be [N, 2] with N > 0, got ", shape_str(points.shape()));
    const std::vector<double> v = points.to_vector<double>();
    Bounds b{std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
             std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
    for (std::size_t i = 0; i + 1 < v.size(); i += 2) {
        b.x_min = std::min(b.x_min, v[i]);
        b.x_max = std::max(b.x_max, v[i]);
        b.y_min = std::min(b.y_min, v[i + 1]);
        b.y_max = std::max(b.y_max, v[i + 1]);
    }
    DESCENT_CHECK(std::isfinite(b.x_min) && std::isfinite(b.x_max) && std::isfinite(b.y_min) && std::isfinite(b.y_max),
                  "Bounds::around: the points are not finite");
    const double wx = std::max(b.x_max - b.x_min, 1e-6), wy = std::max(b.y_max - b.y_min, 1e-6);
    return {b.x_min - margin * wx, b.x_max + margin * wx, b.y_min - margin * wy, b.y_max + margin * wy};
}

RegionMap RegionMap::evaluate(const std::function<Tensor(const Tensor&)>& model, const Bounds& bounds,
                              int resolution) {
    DESCENT_CHECK(bounds.x_max > bounds.x_min && bounds.y_max > bounds.y_min, "decision_regions: empty bounds [",
                  bounds.x_min, ", ", bounds.x_max, "] x [", bounds.y_min, ", ", bounds.y_max, "]");
    DESCENT_CHECK(resolution >= 2 && resolution <= 4096, "decision_regions: resolution ", resolution,
                  " is out of range [2, 4096]");
    RegionMap m;
    m.bounds = bounds;
    const double wx = bounds.x_max - bounds.x_min, wy = bounds.y_max - bounds.y_min;
    m.nx = wx >= wy ? resolution : std::max<std::int64_t>(2, std::lround(resolution * wx / wy));
    m.ny = wy >= wx ? resolution : std::max<std::int64_t>(2, std::lround(resolution * wy / wx));
    std::vector<float> grid(static_cast<std::size_t>(m.nx * m.ny * 2));
    for (std::int64_t j = 0; j < m.ny; ++j)
        for (std::int64_t i = 0; i < m.nx; ++i) {
            grid[(j * m.nx + i) * 2] = static_cast<float>(bounds.x_min + (i + 0.5) * wx / m.nx);
            grid[(j * m.nx + i) * 2 + 1] = static_cast<float>(bounds.y_min + (j + 0.5) * wy / m.ny);
        }
    Tensor out;
    {
        NoGradGuard no_grad;
        out = model(Tensor::from(grid, Shape{m.nx * m.ny, 2}));
    }
    const std::int64_t n = m.nx * m.ny;
    DESCENT_CHECK((out.dim() == 1 && out.size(0) == n) || (out.dim() == 2 && out.size(0) == n),
                  "decision_regions: the model maps [", n, ", 2] to ", shape_str(out.shape()),
                  "; expected [", n, "], [", n, ", 1] or [", n, ", classes]");
    m.channels = out.dim() == 1 ? 1 : out.size(1);
    m.values = out.to_vector<float>();
    for (std::size_t i = 0; i < m.values.size(); ++i)
        DESCENT_CHECK(m.values[i] >= -1e-6f && m.values[i] <= 1.0f + 1e-6f,
                      "decision_regions: the model's outputs must be probabilities in [0, 1] "
                      "(apply sigmoid or softmax); got ", m.values[i]);
    return m;
}

std::int64_t RegionMap::predicted_class(double x, double y) const {
    DESCENT_CHECK(nx > 0 && ny > 0, "RegionMap::predicted_class: the map is empty");
    const auto i = std::clamp<std::int64_t>(
        static_cast<std::int64_t>(std::floor((x - bounds.x_min) / (bounds.x_max - bounds.x_min) * nx)), 0, nx - 1);
    const auto j = std::clamp<std::int64_t>(
        static_cast<std::int64_t>(std::floor((y - bounds.y_min) / (bounds.y_max - bounds.y_min) * ny)), 0, ny - 1);
    const float* p = &values[(j * nx + i) * channels];
    if (channels == 1) return p[0] >= 0.5f ? 1 : 0;
    return std::max_element(p, p + channels) - p;
}

// ---- building a figure -----------------------------------------------------------------------
Figure::Figure(FigureOptions options) : options_(options) {
    DESCENT_CHECK(options.width > 0 && options.height > 0, "Figure: size ", options.width, "x", options.height,
                  " must be positive");
}

Figure& Figure::plot(const std::vector<double>& y, LineStyle style) {
    std::vector<double> x(y.size());
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i);
    return plot(x, y, std::move(style));
}

Figure& Figure::plot(const std::vector<double>& x, const std::vector<double>& y, LineStyle style) {
    DESCENT_CHECK(x.size() == y.size(), "Figure::plot: ", x.size(), " x values but ", y.size(), " y values");
    if (!style.color) style.color = line_color(lines_.size());
    lines_.push_back({x, y, std::move(style)});
    return *this;
}

Figure& Figure::scatter(const Tensor& x, const Tensor& y, const Tensor& classes, ScatterStyle style) {
    detail::ScatterArtist a;
    a.x = x.to_vector<double>();
    a.y = y.to_vector<double>();
    a.classes = to_classes(classes, "classes");
    if (style.predicted.defined()) a.predicted = to_classes(style.predicted, "predicted");
    DESCENT_CHECK(x.dim() <= 1 && y.dim() <= 1 && a.x.size() == a.y.size() && a.x.size() == a.classes.size() &&
                      (a.predicted.empty() || a.predicted.size() == a.x.size()),
                  "Figure::scatter: x ", shape_str(x.shape()), ", y ", shape_str(y.shape()), ", classes ",
                  shape_str(classes.shape()), " and predicted must be 1-D of one length");
    style.predicted = Tensor();
    a.style = std::move(style);
    scatters_.push_back(std::move(a));
    return *this;
}

Figure& Figure::decision_regions(const std::function<Tensor(const Tensor&)>& model, const Bounds& bounds,
                                 RegionStyle style) {
    return decision_regions(RegionMap::evaluate(model, bounds, style.resolution), style);
}

Figure& Figure::decision_regions(nn::Module& model, const Bounds& bounds, RegionStyle style) {
    // Feed the grid in the model's own floating type.
    DType dtype = kFloat32;
    for (const Tensor& p : model.parameters()) {
        dtype = p.dtype();
        break;
    }
    return decision_regions([&](const Tensor& grid) { return model(grid.to(dtype)); }, bounds, style);
}

Figure& Figure::decision_regions(RegionMap map, RegionStyle style) {
    DESCENT_CHECK(map.nx >= 2 && map.ny >= 2 && map.channels >= 1 &&
                      map.values.size() == static_cast<std::size_t>(map.nx * map.ny * map.channels),
                  "Figure::decision_regions: the region map is inconsistent (", map.nx, "x", map.ny, "x",
                  map.channels, " cells, ", map.values.size(), " values)");
    regions_.push_back({std::move(map), style});
    equal_aspect_ = true;
    return *this;
}

Figure& Figure::title(std::string text) { title_ = std::move(text); return *this; }
Figure& Figure::xlabel(std::string text) { xlabel_ = std::move(text); return *this; }
Figure& Figure::ylabel(std::string text) { ylabel_ = std::move(text); return *this; }
Figure& Figure::log_y(bool on) { log_y_ = on; return *this; }
Figure& Figure::equal_aspect(bool on) { equal_aspect_ = on; return *this; }
Figure& Figure::legend(bool on) { legend_ = on; return *this; }
Figure& Figure::xlim(double lo, double hi) {
    DESCENT_CHECK(hi > lo, "Figure::xlim: ", lo, " must be below ", hi);
    xlim_ = {lo, hi};
    return *this;
}
Figure& Figure::ylim(double lo, double hi) {
    DESCENT_CHECK(hi > lo, "Figure::ylim: ", lo, " must be below ", hi);
    ylim_ = {lo, hi};
    return *this;
}

Frame Figure::save(const std::filesystem::path& path) const {
    Canvas canvas(path, options_.width, options_.height);
    Frame frame = draw(canvas, {0, 0, static_cast<double>(options_.width), static_cast<double>(options_.height)});
    canvas.finish();
    return frame;
}

// ---- drawing ---------------------------------------------------------------------------------
Frame Figure::draw(Canvas& canvas, const Rect& area) const {
    cairo_t* cr = canvas.cr();
    const double s = detail::ui_scale(area.w, area.h);
    const Font title_font{17 * s, true}, label_font{14 * s}, tick_font{12 * s}, legend_font{12.5 * s};

    // Data range: the regions' bounds, else everything drawn (y padded, log-aware).
    const double inf = std::numeric_limits<double>::infinity();
    double x0 = inf, x1 = -inf, y0 = inf, y1 = -inf;
    auto take = [&](double x, double y) {
        if (!std::isfinite(x) || !std::isfinite(y) || (log_y_ && y <= 0)) return;
        x0 = std::min(x0, x); x1 = std::max(x1, x);
        y0 = std::min(y0, y); y1 = std::max(y1, y);
    };
    for (const auto& r : regions_) {
        take(r.map.bounds.x_min, r.map.bounds.y_min);
        take(r.map.bounds.x_max, r.map.bounds.y_max);
    }
    if (regions_.empty()) {
        for (const auto& l : lines_)
            for (std::size_t i = 0; i < l.x.size(); ++i) take(l.x[i], l.y[i]);
        for (const auto& sc : scatters_)
            for (std::size_t i = 0; i < sc.x.size(); ++i) take(sc.x[i], sc.y[i]);
        if (x0 > x1) { x0 = 0; x1 = 1; y0 = log_y_ ? 0.1 : 0; y1 = 1; }
        if (x1 - x0 < 1e-12) { x0 -= 0.5; x1 += 0.5; }
        if (y1 - y0 < 1e-12 * std::max(1.0, std::abs(y0))) {
            if (log_y_) { y0 /= 2; y1 *= 2; } else { y0 -= 0.5; y1 += 0.5; }
        }
        if (log_y_) {
            const double pad = 0.04 * (std::log10(y1) - std::log10(y0));
            y0 /= std::pow(10.0, pad);
            y1 *= std::pow(10.0, pad);
        } else {
            const double pad = 0.05 * (y1 - y0);
            y0 -= pad;
            y1 += pad;
        }
        if (!scatters_.empty()) {
            const double pad = 0.05 * (x1 - x0);
            x0 -= pad;
            x1 += pad;
        }
    }
    if (xlim_) std::tie(x0, x1) = *xlim_;
    if (ylim_) std::tie(y0, y1) = *ylim_;
    DESCENT_CHECK(!log_y_ || y0 > 0, "Figure: a log y axis needs positive limits, got ", y0);

    // Legend entries and the size of the legend box.
    std::vector<LegendEntry> entries;
    for (const auto& l : lines_)
        if (!l.style.label.empty())
            entries.push_back({LegendEntry::line, l.style.label, *l.style.color, l.style.width, l.style.dashed});
    std::size_t wrong = 0;
    bool any_predicted = false;
    for (const auto& sc : scatters_) {
        if (!sc.style.legend) continue;
        std::set<std::int64_t> present(sc.classes.begin(), sc.classes.end());
        for (std::int64_t c : present) {
            std::string name = static_cast<std::size_t>(c) < sc.style.class_names.size() ? sc.style.class_names[c]
                                                                                      : "class " + std::to_string(c);
            entries.push_back({LegendEntry::marker, name, class_color(c)});
        }
        if (!sc.predicted.empty()) any_predicted = true;
        for (std::size_t i = 0; i < sc.predicted.size(); ++i) wrong += sc.predicted[i] != sc.classes[i];
    }
    if (any_predicted) entries.push_back({LegendEntry::cross, "misclassified (" + std::to_string(wrong) + ")", kEdge});
    for (const auto& r : regions_)
        if (r.style.contour && !scatters_.empty()) {
            entries.push_back({LegendEntry::line, "decision boundary", kBoundary, 2.0});
            break;
        }
    const bool show_legend = legend_.value_or(!entries.empty()) && !entries.empty();
    const double row = detail::text_height(cr, legend_font) * 1.3;
    const double sample = 24 * s, lpad = 8 * s, gap = 16 * s;
    double label_w = 0;
    for (const auto& e : entries) label_w = std::max(label_w, detail::text_width(cr, e.label, legend_font));
    const double bw = lpad * 2 + sample + 6 * s + label_w, bh = lpad * 2 + row * entries.size();

    // Ticks and margins measured from the text.
    const auto xticks = detail::linear_ticks(x0, x1, std::max(3, static_cast<int>(area.w / (100 * s))));
    const auto yticks =
        log_y_ ? detail::log_ticks(y0, y1) : detail::linear_ticks(y0, y1, std::max(3, static_cast<int>(area.h / (60 * s))));
    auto ylabel_text = [&](double v) {
        return log_y_ ? detail::log_tick_label(v)
                      : detail::tick_label(v, yticks.size() > 1 ? yticks[1] - yticks[0] : 0);
    };
    auto xlabel_text = [&](double v) { return detail::tick_label(v, xticks.size() > 1 ? xticks[1] - xticks[0] : 0); };
    double ytick_w = 0;
    for (double t : yticks) ytick_w = std::max(ytick_w, detail::text_width(cr, ylabel_text(t), tick_font));
    const double tick_len = 5 * s, pad = 12 * s;
    const double title_h = title_.empty() ? 0 : detail::text_height(cr, title_font) + 10 * s;
    const double label_h = detail::text_height(cr, label_font);
    const double tick_h = detail::text_height(cr, tick_font);
    const double left = pad + (ylabel_.empty() ? 0 : label_h + 8 * s) + ytick_w + tick_len + 4 * s;
    const double bottom = pad + (xlabel_.empty() ? 0 : label_h + 6 * s) + tick_h + tick_len + 4 * s;
    const double last_w = xticks.empty() ? 0 : detail::text_width(cr, xlabel_text(xticks.back()), tick_font);
    const double right = std::max(pad + 4 * s, last_w / 2 + 6 * s);
    const double top = pad + title_h;
    // The plot area, leaving `reserve` pixels on the right for a legend outside it.
    std::optional<Rect> legend_outside;
    auto layout = [&](double reserve) {
        Rect p{area.x + left, area.y + top, std::max(10.0, area.w - left - right - reserve),
               std::max(10.0, area.h - top - bottom)};
        legend_outside.reset();
        if (reserve > 0) legend_outside = Rect{p.x + p.w + gap, p.y, bw, bh};
        if (equal_aspect_ && !log_y_) {
            const double u = std::min(p.w / (x1 - x0), p.h / (y1 - y0));
            const double w = u * (x1 - x0), h = u * (y1 - y0);
            // The room equal aspect leaves beside the plot takes the legend, off the data.
            const bool beside = show_legend && p.w + reserve - w >= bw + gap + 4 * s && bh <= h;
            const double used = beside ? w + gap + bw : w;
            p.x += (p.w + reserve - used) / 2;
            p.y += (p.h - h) / 2;
            p.w = w;
            p.h = h;
            legend_outside.reset();
            if (beside) legend_outside = Rect{p.x + w + gap, p.y, bw, bh};
        }
        return p;
    };
    Rect p = layout(0);
    Frame f{p.x, p.y, p.w, p.h, x0, x1, y0, y1, log_y_};

    // The legend goes in the corner that hides the fewest data points; when every
    // corner hides some, it moves out to the right of the plot.
    auto corner_boxes = [&](const Rect& q) {
        const double inset = 10 * s;
        return std::array<Rect, 4>{Rect{q.x + q.w - inset - bw, q.y + inset, bw, bh}, Rect{q.x + inset, q.y + inset, bw, bh},
                                   Rect{q.x + q.w - inset - bw, q.y + q.h - inset - bh, bw, bh},
                                   Rect{q.x + inset, q.y + q.h - inset - bh, bw, bh}};
    };
    auto hidden = [&](const Rect& b, const Frame& fr) {
        std::size_t count = 0;
        auto under = [&](double x, double y) {
            if (!std::isfinite(x) || !std::isfinite(y) || (log_y_ && y <= 0)) return;
            const auto [px, py] = fr.to_pixel(x, y);
            count += px >= b.x && px <= b.x + b.w && py >= b.y && py <= b.y + b.h;
        };
        for (const auto& l : lines_) {
            // Sample along each segment, not only at the vertices, so a line crossing the box counts.
            for (std::size_t i = 0; i + 1 < l.x.size(); ++i)
                for (int k = 0; k < 4; ++k) {
                    const double t = k / 4.0;
                    const double y = log_y_ && l.y[i] > 0 && l.y[i + 1] > 0
                                         ? std::pow(10.0, std::log10(l.y[i]) * (1 - t) + std::log10(l.y[i + 1]) * t)
                                         : l.y[i] * (1 - t) + l.y[i + 1] * t;
                    under(l.x[i] * (1 - t) + l.x[i + 1] * t, y);
                }
            if (!l.x.empty()) under(l.x.back(), l.y.back());
        }
        for (const auto& sc : scatters_)
            for (std::size_t i = 0; i < sc.x.size(); ++i) under(sc.x[i], sc.y[i]);
        return count;
    };
    Rect legend_box;
    if (show_legend && !legend_outside) {
        const auto boxes = corner_boxes(p);
        std::size_t best = 0, best_count = std::numeric_limits<std::size_t>::max();
        for (std::size_t k = 0; k < 4; ++k) {
            const std::size_t count = hidden(boxes[k], f);
            if (count < best_count) { best = k; best_count = count; }
        }
        legend_box = boxes[best];
        const bool room = area.w - left - right - (bw + gap) >= 0.55 * (area.w - left - right);
        if (best_count > 0 && room && regions_.empty()) {
            p = layout(bw + gap);
            f = Frame{p.x, p.y, p.w, p.h, x0, x1, y0, y1, log_y_};
        }
    }
    if (legend_outside) legend_box = *legend_outside;

    cairo_save(cr);
    detail::set_color(cr, kWhite);
    cairo_rectangle(cr, p.x, p.y, p.w, p.h);
    cairo_fill(cr);
    for (const auto& r : regions_) draw_region_image(cr, r.map, f);

    // Grid lines (only on plain charts: over regions they would be noise).
    cairo_set_line_width(cr, 1);
    if (regions_.empty()) {
        detail::set_color(cr, kGrid);
        for (double t : xticks) {
            const double x = crisp(f.to_pixel(t, y0 > 0 ? y0 : 1).first);
            cairo_move_to(cr, x, p.y);
            cairo_line_to(cr, x, p.y + p.h);
        }
        for (double t : yticks) {
            const double y = crisp(f.to_pixel(x0, t).second);
            cairo_move_to(cr, p.x, y);
            cairo_line_to(cr, p.x + p.w, y);
        }
        cairo_stroke(cr);
    }

    // Everything data-driven is clipped to the plot area.
    cairo_save(cr);
    cairo_rectangle(cr, p.x, p.y, p.w, p.h);
    cairo_clip(cr);
    for (const auto& r : regions_) {
        if (!r.style.contour) continue;
        std::vector<std::array<double, 4>> segs;
        for (std::int64_t c = 0; c < (r.map.channels == 1 ? 1 : r.map.channels); ++c) contour_segments(r.map, c, segs);
        for (const auto& sg : segs) {
            const auto [ax, ay] = f.to_pixel(sg[0], sg[1]);
            const auto [bx, by] = f.to_pixel(sg[2], sg[3]);
            cairo_move_to(cr, ax, ay);
            cairo_line_to(cr, bx, by);
        }
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        detail::set_color(cr, kBoundary.with_alpha(0.85));
        cairo_set_line_width(cr, 2.0 * s);
        cairo_stroke(cr);
    }
    for (const auto& l : lines_) {
        bool pen_down = false;
        for (std::size_t i = 0; i < l.x.size(); ++i) {
            if (!std::isfinite(l.x[i]) || !std::isfinite(l.y[i]) || (log_y_ && l.y[i] <= 0)) {
                pen_down = false;
                continue;
            }
            const auto [px, py] = f.to_pixel(l.x[i], l.y[i]);
            if (pen_down) cairo_line_to(cr, px, py); else cairo_move_to(cr, px, py);
            pen_down = true;
        }
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
        if (l.style.dashed) {
            const double dash[] = {6 * s, 4 * s};
            cairo_set_dash(cr, dash, 2, 0);
        }
        detail::set_color(cr, *l.style.color);
        cairo_set_line_width(cr, l.style.width * s);
        cairo_stroke(cr);
        cairo_set_dash(cr, nullptr, 0, 0);
    }
    for (const auto& sc : scatters_) {
        const double r = sc.style.size * s;
        for (std::size_t i = 0; i < sc.x.size(); ++i) {
            const auto [px, py] = f.to_pixel(sc.x[i], sc.y[i]);
            cairo_new_sub_path(cr);
            cairo_arc(cr, px, py, r, 0, 2 * std::numbers::pi);
            detail::set_color(cr, class_color(sc.classes[i]));
            cairo_fill_preserve(cr);
            detail::set_color(cr, kEdge);
            cairo_set_line_width(cr, 0.7 * s);
            cairo_stroke(cr);
        }
        for (std::size_t i = 0; i < sc.predicted.size(); ++i) {
            if (sc.predicted[i] == sc.classes[i]) continue;
            const auto [px, py] = f.to_pixel(sc.x[i], sc.y[i]);
            draw_cross(cr, px, py, r * 1.35, 2.0 * s);
        }
    }
    cairo_restore(cr);

    // Axes box, ticks and their labels.
    detail::set_color(cr, kAxis);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, crisp(p.x), crisp(p.y), std::round(p.w), std::round(p.h));
    cairo_stroke(cr);
    for (double t : xticks) {
        const double x = crisp(f.to_pixel(t, y0).first);
        cairo_move_to(cr, x, crisp(p.y + p.h));
        cairo_line_to(cr, x, crisp(p.y + p.h) + tick_len);
        detail::draw_text(cr, xlabel_text(t), x, p.y + p.h + tick_len + 3 * s, tick_font, kTickText, 0.5, 0.0);
    }
    for (double t : yticks) {
        const double y = crisp(f.to_pixel(x0, t).second);
        cairo_move_to(cr, crisp(p.x), y);
        cairo_line_to(cr, crisp(p.x) - tick_len, y);
        detail::draw_text(cr, ylabel_text(t), p.x - tick_len - 4 * s, y, tick_font, kTickText, 1.0, 0.5);
    }
    detail::set_color(cr, kAxis);
    cairo_stroke(cr);

    // Axis labels and title.
    detail::draw_text(cr, xlabel_, p.x + p.w / 2, p.y + p.h + tick_len + 4 * s + tick_h + 6 * s, label_font, kText, 0.5,
                      0.0);
    detail::draw_text(cr, ylabel_, p.x - tick_len - 4 * s - ytick_w - 8 * s - label_h, p.y + p.h / 2, label_font, kText,
                      0.5, 0.0, std::numbers::pi / 2);
    detail::draw_text(cr, title_, p.x + p.w / 2, p.y - title_h, title_font, kText, 0.5, 0.0);

    if (show_legend) {
        const Rect& b = legend_box;
        cairo_rectangle(cr, crisp(b.x), crisp(b.y), std::round(b.w), std::round(b.h));
        detail::set_color(cr, kWhite.with_alpha(0.9));
        cairo_fill_preserve(cr);
        detail::set_color(cr, Color::hex(0xbbbbbb));
        cairo_set_line_width(cr, 1);
        cairo_stroke(cr);
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const auto& e = entries[i];
            const double cy = b.y + lpad + row * (i + 0.5);
            const double sx = b.x + lpad;
            if (e.kind == LegendEntry::line) {
                if (e.dashed) {
                    const double dash[] = {6 * s, 4 * s};
                    cairo_set_dash(cr, dash, 2, 0);
                }
                cairo_move_to(cr, sx, cy);
                cairo_line_to(cr, sx + sample, cy);
                detail::set_color(cr, e.color);
                cairo_set_line_width(cr, e.width * s);
                cairo_stroke(cr);
                cairo_set_dash(cr, nullptr, 0, 0);
            } else if (e.kind == LegendEntry::marker) {
                cairo_new_sub_path(cr);
                cairo_arc(cr, sx + sample / 2, cy, 4.5 * s, 0, 2 * std::numbers::pi);
                detail::set_color(cr, e.color);
                cairo_fill_preserve(cr);
                detail::set_color(cr, kEdge);
                cairo_set_line_width(cr, 0.7 * s);
                cairo_stroke(cr);
            } else {
                draw_cross(cr, sx + sample / 2, cy, 4.5 * s, 1.6 * s);
            }
            detail::draw_text(cr, e.label, sx + sample + 6 * s, cy, legend_font, kText, 0.0, 0.5);
        }
    }
    cairo_restore(cr);
    return f;
}

std::vector<Frame> save_grid(const std::vector<Figure>& panels, const std::filesystem::path& path,
                             const GridOptions& options) {
    DESCENT_CHECK(!panels.empty(), "save_grid: no panels to save to '", path.string(), "'");
    DESCENT_CHECK(options.panel_width > 0 && options.panel_height > 0 && options.columns >= 0,
                  "save_grid: panel size ", options.panel_width, "x", options.panel_height, " and columns ",
                  options.columns, " must be positive");
    const int n = static_cast<int>(panels.size());
    const int cols = options.columns > 0 ? std::min(options.columns, n)
                                         : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
    const int rows = (n + cols - 1) / cols;
    const double s = detail::ui_scale(options.panel_width * cols, options.panel_height * rows);
    const int title_h = options.title.empty() ? 0 : static_cast<int>(std::ceil(34 * s));
    Canvas canvas(path, options.panel_width * cols, options.panel_height * rows + title_h);
    detail::draw_text(canvas.cr(), options.title, canvas.width() / 2.0, 10 * s, Font{19 * s, true}, kText, 0.5, 0.0);
    std::vector<Frame> frames;
    for (int i = 0; i < n; ++i) {
        const Rect r{static_cast<double>((i % cols) * options.panel_width),
                     static_cast<double>(title_h + (i / cols) * options.panel_height),
                     static_cast<double>(options.panel_width), static_cast<double>(options.panel_height)};
        frames.push_back(panels[i].draw(canvas, r));
    }
    canvas.finish();
    return frames;
}

}  // namespace descent::plot
