// The Cairo canvas behind every figure, text helpers, tick arithmetic, colours
// and reading PNGs back (src/plot/canvas.hpp, include/descent/plot/{color,image}.hpp).
#include "canvas.hpp"

#include <cairo-svg.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <unordered_set>

#include "descent/core/error.hpp"
#include "descent/plot/image.hpp"

namespace descent::plot {

// ---- colours -------------------------------------------------------------------------------
namespace {
// Blue and red first (the book's 'coolwarm' pair), then a palette that stays
// distinguishable for the common forms of colour blindness.
constexpr std::array<Color, 10> kPalette = {
    Color::hex(0x3b6fc4), Color::hex(0xd1495b), Color::hex(0x2a9d5c), Color::hex(0xe69f00),
    Color::hex(0x8e6bbf), Color::hex(0x1aa3a3), Color::hex(0x9c6644), Color::hex(0xd774b5),
    Color::hex(0x7f7f7f), Color::hex(0xb5b53a),
};
}  // namespace

Color mix(const Color& a, const Color& b, double t) {
    return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t, a.a + (b.a - a.a) * t};
}

Color class_color(std::size_t index) { return kPalette[index % kPalette.size()]; }

Color class_tint(std::size_t index) {
    // Light enough that points and the boundary stay visible on top of it.
    return mix(Color{1, 1, 1, 1}, class_color(index), 0.32);
}

Color line_color(std::size_t index) { return kPalette[index % kPalette.size()]; }

Format format_of(const std::filesystem::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext == ".png") return Format::png;
    if (ext == ".svg") return Format::svg;
    ::descent::detail::fail("plot: cannot save '", path.string(), "': unsupported extension '", ext,
                 "' (use .png or .svg)");
}

// ---- reading PNGs ----------------------------------------------------------------------------
Color Image::at(int x, int y) const {
    DESCENT_CHECK(x >= 0 && x < width && y >= 0 && y < height, "Image::at: pixel (", x, ", ", y,
                  ") is outside the ", width, "x", height, " image");
    const std::uint32_t p = pixels[static_cast<std::size_t>(y) * width + x];
    return Color::hex(p & 0xffffff, ((p >> 24) & 0xff) / 255.0);
}

std::size_t Image::distinct_colors() const {
    std::unordered_set<std::uint32_t> seen(pixels.begin(), pixels.end());
    return seen.size();
}

Image read_png(const std::filesystem::path& path) {
    DESCENT_CHECK(std::filesystem::is_regular_file(path), "read_png: no file '", path.string(), "'");
    cairo_surface_t* surface = cairo_image_surface_create_from_png(path.c_str());
    const cairo_status_t status = cairo_surface_status(surface);
    if (status != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surface);
        ::descent::detail::fail("read_png: cannot decode '", path.string(), "': ", cairo_status_to_string(status));
    }
    // Cairo hands back premultiplied ARGB32 (or RGB24); un-premultiply into 0xAARRGGBB.
    cairo_surface_flush(surface);
    Image image;
    image.width = cairo_image_surface_get_width(surface);
    image.height = cairo_image_surface_get_height(surface);
    const int stride = cairo_image_surface_get_stride(surface);
    const bool has_alpha = cairo_image_surface_get_format(surface) == CAIRO_FORMAT_ARGB32;
    const unsigned char* data = cairo_image_surface_get_data(surface);
    image.pixels.resize(static_cast<std::size_t>(image.width) * image.height);
    for (int y = 0; y < image.height; ++y) {
        const auto* row = reinterpret_cast<const std::uint32_t*>(data + static_cast<std::size_t>(y) * stride);
        for (int x = 0; x < image.width; ++x) {
            std::uint32_t p = row[x];
            std::uint32_t a = has_alpha ? (p >> 24) & 0xff : 0xff;
            auto channel = [&](int shift) -> std::uint32_t {
                const std::uint32_t c = (p >> shift) & 0xff;
                return a == 0 ? 0 : std::min<std::uint32_t>(255, (c * 255 + a / 2) / a);
            };
            image.pixels[static_cast<std::size_t>(y) * image.width + x] =
                (a << 24) | (channel(16) << 16) | (channel(8) << 8) | channel(0);
        }
    }
    cairo_surface_destroy(surface);
    return image;
}

namespace detail {

// ---- canvas ----------------------------------------------------------------------------------
Canvas::Canvas(const std::filesystem::path& path, int width, int height)
    : path_(path), format_(format_of(path)), width_(width), height_(height) {
    DESCENT_CHECK(width > 0 && height > 0 && width <= 20000 && height <= 20000, "plot: image size ", width,
                  "x", height, " is out of range (1..20000 pixels per side)");
    if (format_ == Format::png) {
        surface_ = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
    } else {
        surface_ = cairo_svg_surface_create(path.c_str(), width, height);
    }
    const cairo_status_t status = cairo_surface_status(surface_);
    if (status != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surface_);
        ::descent::detail::fail("plot: cannot write '", path.string(), "': ", cairo_status_to_string(status));
    }
    cr_ = cairo_create(surface_);
    cairo_set_source_rgb(cr_, 1, 1, 1);
    cairo_paint(cr_);
}

Canvas::~Canvas() {
    if (cr_) cairo_destroy(cr_);
    if (surface_) cairo_surface_destroy(surface_);
}

void Canvas::finish() {
    if (finished_) return;
    finished_ = true;
    cairo_status_t status = cairo_status(cr_);
    if (status == CAIRO_STATUS_SUCCESS) {
        if (format_ == Format::png) {
            status = cairo_surface_write_to_png(surface_, path_.c_str());
        } else {
            cairo_surface_finish(surface_);
            status = cairo_surface_status(surface_);
        }
    }
    if (status != CAIRO_STATUS_SUCCESS)
        ::descent::detail::fail("plot: cannot write '", path_.string(), "': ", cairo_status_to_string(status));
}

Measure::Measure()
    : surface_(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1)), cr_(cairo_create(surface_)) {}

Measure::~Measure() {
    cairo_destroy(cr_);
    cairo_surface_destroy(surface_);
}

// ---- text ------------------------------------------------------------------------------------
namespace {
void select_font(cairo_t* cr, Font font) {
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           font.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, font.size);
}
}  // namespace

void set_color(cairo_t* cr, const Color& c) { cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a); }

double text_width(cairo_t* cr, const std::string& text, Font font) {
    select_font(cr, font);
    cairo_text_extents_t ext;
    cairo_text_extents(cr, text.c_str(), &ext);
    return ext.x_advance;
}

double text_height(cairo_t* cr, Font font) {
    select_font(cr, font);
    cairo_font_extents_t ext;
    cairo_font_extents(cr, &ext);
    return ext.ascent + ext.descent;
}

void draw_text(cairo_t* cr, const std::string& text, double x, double y, Font font, const Color& color,
               double halign, double valign, double angle) {
    if (text.empty()) return;
    select_font(cr, font);
    cairo_font_extents_t fext;
    cairo_font_extents(cr, &fext);
    cairo_text_extents_t ext;
    cairo_text_extents(cr, text.c_str(), &ext);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, -angle);
    const double line = fext.ascent + fext.descent;
    cairo_move_to(cr, -halign * ext.x_advance, -valign * line + fext.ascent);
    set_color(cr, color);
    cairo_show_text(cr, text.c_str());
    cairo_restore(cr);
}

// ---- ticks -----------------------------------------------------------------------------------
std::vector<double> linear_ticks(double lo, double hi, int target) {
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return {lo};
    const double raw = (hi - lo) / std::max(1, target);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        step = m * mag;
        if (step >= raw) break;
    }
    std::vector<double> ticks;
    const double first = std::ceil(lo / step - 1e-9) * step;
    for (double t = first; t <= hi + step * 1e-9; t += step) {
        ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
        if (ticks.size() > 100) break;
    }
    return ticks;
}

std::string tick_label(double value, double step) {
    char buf[64];
    const double a = std::abs(value);
    if (a != 0 && (a >= 1e6 || a < 1e-4)) {
        std::snprintf(buf, sizeof buf, "%.3g", value);
        return buf;
    }
    int decimals = 0;
    if (step > 0) decimals = std::clamp(static_cast<int>(std::ceil(-std::log10(step) - 1e-9)), 0, 8);
    // A step like 2.5 needs one more decimal than its magnitude says.
    if (step > 0 && std::abs(step * std::pow(10.0, decimals) - std::round(step * std::pow(10.0, decimals))) > 1e-6)
        ++decimals;
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return buf;
}

std::vector<double> log_ticks(double lo, double hi) {
    std::vector<double> ticks;
    if (!(lo > 0) || !(hi > lo)) return {lo};
    const int d0 = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
    const int d1 = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
    const int decades = d1 - d0;
    std::vector<double> mantissas = decades <= 1 ? std::vector<double>{1, 2, 3, 5}
                                    : decades <= 3 ? std::vector<double>{1, 2, 5}
                                                   : std::vector<double>{1};
    const int every = std::max(1, decades / 8);  // long ranges: every n-th decade
    for (int d = d0; d <= d1; ++d) {
        if ((d - d0) % every) continue;
        for (double m : mantissas) {
            const double t = m * std::pow(10.0, d);
            if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push_back(t);
        }
    }
    return ticks;
}

std::string log_tick_label(double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", value);
    return buf;
}

double ui_scale(double width, double height) {
    return std::clamp(std::sqrt(width * height / (800.0 * 600.0)), 0.8, 2.5);
}

}  // namespace detail
}  // namespace descent::plot
