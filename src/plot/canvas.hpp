// Private to src/plot: a Cairo surface (PNG or SVG) with the text and colour
// helpers every figure uses, and the tick arithmetic of the axes. Keeps cairo.h
// out of the public headers (the library links Cairo privately).
#pragma once
#include <cairo.h>

#include <filesystem>
#include <string>
#include <vector>

#include "descent/plot/color.hpp"
#include "descent/plot/figure.hpp"

namespace descent::plot::detail {

/// A drawing surface backed by a file: the image is written by finish().
class Canvas {
public:
    /// Creates a white canvas of width × height for `path` (format from its extension).
    Canvas(const std::filesystem::path& path, int width, int height);
    ~Canvas();
    Canvas(const Canvas&) = delete;
    Canvas& operator=(const Canvas&) = delete;

    cairo_t* cr() const { return cr_; }
    int width() const { return width_; }
    int height() const { return height_; }
    /// Writes the file; an error names the path and Cairo's reason.
    void finish();

private:
    std::filesystem::path path_;
    Format format_;
    int width_, height_;
    cairo_surface_t* surface_ = nullptr;
    cairo_t* cr_ = nullptr;
    bool finished_ = false;
};

void set_color(cairo_t* cr, const Color& c);

struct Font {
    double size = 12;
    bool bold = false;
};
/// Advance width of `text`.
double text_width(cairo_t* cr, const std::string& text, Font font);
/// Height of a line of text (ascent + descent).
double text_height(cairo_t* cr, Font font);
/// Draws `text` anchored at (x, y): halign 0 = left edge, 0.5 = centre, 1 = right edge;
/// valign 0 = top, 0.5 = middle, 1 = bottom of the line box. `angle` in radians (counter-clockwise).
void draw_text(cairo_t* cr, const std::string& text, double x, double y, Font font, const Color& color,
               double halign = 0.0, double valign = 0.0, double angle = 0.0);

/// About `target` round ticks (steps of 1, 2 or 5 × 10^k) covering [lo, hi].
std::vector<double> linear_ticks(double lo, double hi, int target);
/// Tick label with as many decimals as the step needs ("0.25", "1000", "1e-05").
std::string tick_label(double value, double step);
/// Ticks of a log axis over [lo, hi] (lo > 0): decades, or 1-2-5 steps when the range is short.
std::vector<double> log_ticks(double lo, double hi);
std::string log_tick_label(double value);

/// The scale of fonts and strokes for a plot of this size (1 at 800 × 600).
double ui_scale(double width, double height);

}  // namespace descent::plot::detail

namespace descent::plot::detail {
/// A 1 × 1 scratch context for measuring text before the canvas size is known.
class Measure {
public:
    Measure();
    ~Measure();
    Measure(const Measure&) = delete;
    Measure& operator=(const Measure&) = delete;
    cairo_t* cr() const { return cr_; }

private:
    cairo_surface_t* surface_;
    cairo_t* cr_;
};
}  // namespace descent::plot::detail
