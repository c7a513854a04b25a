// Reading a PNG back into memory (through Cairo), for tests and for tools that
// check a picture: its size and the colour of any pixel.
#pragma once
#include <cstdint>
#include <filesystem>
#include <vector>

#include "descent/plot/color.hpp"

namespace descent::plot {

/// A decoded RGBA image.
struct Image {
    int width = 0, height = 0;
    /// Row-major pixels, 0xAARRGGBB (not premultiplied).
    std::vector<std::uint32_t> pixels;

    /// The pixel at column x, row y (in range, else an error).
    Color at(int x, int y) const;
    /// Number of distinct colours (a blank image has one).
    std::size_t distinct_colors() const;
};

/// Decodes the PNG at `path`; a missing or corrupt file is an error naming it.
Image read_png(const std::filesystem::path& path);

}  // namespace descent::plot
