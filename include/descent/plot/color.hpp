// Colours of descent's figures: an RGB(A) value type, the class colours used by
// scatter plots and decision regions (blue/red like matplotlib's 'coolwarm' for two
// classes, a colour-blind-safe palette beyond), and the light tints of the regions.
#pragma once
#include <cstddef>
#include <cstdint>

namespace descent::plot {

/// An sRGB colour with alpha, each channel in [0, 1].
struct Color {
    double r = 0.0, g = 0.0, b = 0.0, a = 1.0;

    /// From 0xRRGGBB, e.g. `Color::hex(0x3b6fc4)`.
    static constexpr Color hex(std::uint32_t rgb, double alpha = 1.0) {
        return {((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0, (rgb & 0xff) / 255.0, alpha};
    }
    /// The same colour with another alpha.
    constexpr Color with_alpha(double alpha) const { return {r, g, b, alpha}; }
};

/// Linear blend: t = 0 gives `a`, t = 1 gives `b`.
Color mix(const Color& a, const Color& b, double t);

/// Colour of class `index` for points and legends (0: blue, 1: red, then a 10-colour palette).
Color class_color(std::size_t index);
/// The light tint that fills the decision region of class `index`.
Color class_tint(std::size_t index);
/// Colour of the `index`-th line of a chart (the same palette as the classes, from blue).
Color line_color(std::size_t index);

}  // namespace descent::plot
