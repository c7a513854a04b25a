// Figures for many-class classifiers: the confusion-matrix heatmap and the
// captioned image grid (include/descent/plot/charts.hpp).
#include "descent/plot/charts.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "canvas.hpp"
#include "descent/core/error.hpp"

namespace descent::plot {

using detail::Font;

namespace {
const Color kText = Color::hex(0x222222);
const Color kWrong = Color::hex(0xc62828);
const Color kHeat = Color::hex(0x1f4e99);

std::string class_name(const std::vector<std::string>& names, std::int64_t c) {
    return static_cast<std::size_t>(c) < names.size() ? names[c] : std::to_string(c);
}

std::vector<std::int64_t> class_vector(const Tensor& t, std::int64_t n, const char* op, const char* what) {
    DESCENT_CHECK(t.dim() == 1 && t.size(0) == n, op, ": ", what, " must be 1-D with ", n, " entries, got ",
                  shape_str(t.shape()));
    std::vector<double> v = t.to_vector<double>();
    std::vector<std::int64_t> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        DESCENT_CHECK(std::isfinite(v[i]) && v[i] >= 0, op, ": ", what, "[", i, "] = ", v[i],
                      " is not a class index");
        out[i] = std::llround(v[i]);
    }
    return out;
}
}  // namespace

Tensor confusion_matrix(const Tensor& targets, const Tensor& predicted, std::int64_t num_classes) {
    DESCENT_CHECK(num_classes > 0, "confusion_matrix: num_classes must be positive, got ", num_classes);
    DESCENT_CHECK(targets.dim() == 1, "confusion_matrix: targets must be 1-D, got ", shape_str(targets.shape()));
    const auto t = class_vector(targets, targets.size(0), "confusion_matrix", "targets");
    const auto p = class_vector(predicted, targets.size(0), "confusion_matrix", "predicted");
    std::vector<std::int64_t> counts(static_cast<std::size_t>(num_classes * num_classes), 0);
    for (std::size_t i = 0; i < t.size(); ++i) {
        DESCENT_CHECK(t[i] < num_classes && p[i] < num_classes, "confusion_matrix: class ", std::max(t[i], p[i]),
                      " at index ", i, " is out of range [0, ", num_classes, ")");
        ++counts[t[i] * num_classes + p[i]];
    }
    return Tensor::from(counts, Shape{num_classes, num_classes});
}

void save_confusion_matrix(const Tensor& counts, const std::vector<std::string>& class_names,
                           const std::filesystem::path& path, const ConfusionOptions& options) {
    DESCENT_CHECK(counts.dim() == 2 && counts.size(0) == counts.size(1) && counts.size(0) > 0,
                  "save_confusion_matrix: counts must be a square [k, k] matrix, got ", shape_str(counts.shape()));
    const std::int64_t k = counts.size(0);
    DESCENT_CHECK(class_names.empty() || static_cast<std::int64_t>(class_names.size()) == k,
                  "save_confusion_matrix: ", class_names.size(), " class names for ", k, " classes");
    const std::vector<double> v = counts.to_vector<double>();

    // Size: from the longest class name and a cell that fits a four-digit count.
    const double cell = std::clamp(560.0 / k, 26.0, 64.0);
    const double s = cell / 56.0;
    const Font title_font{17 * std::max(1.0, s), true}, label_font{14 * std::max(1.0, s)},
        name_font{12 * std::max(0.85, s)}, cell_font{12 * std::max(0.75, s)};
    double name_w = 0;
    {
        detail::Measure m;
        for (std::int64_t c = 0; c < k; ++c)
            name_w = std::max(name_w, detail::text_width(m.cr(), class_name(class_names, c), name_font));
    }
    const double pad = 14, label_h = label_font.size * 1.4, title_h = options.title.empty() ? 0 : title_font.size * 2;
    const double left = pad + label_h + 8 + name_w + 8;
    const double bottom = pad + label_h + 8 + name_w * std::sin(std::numbers::pi / 4) + 14;
    const int width = options.width > 0 ? options.width : static_cast<int>(std::ceil(left + k * cell + 2 * pad));
    const int height = options.height > 0 ? options.height : static_cast<int>(std::ceil(pad + title_h + k * cell + bottom));
    detail::Canvas canvas(path, width, height);
    cairo_t* cr = canvas.cr();
    const double cw = std::min((width - left - 2 * pad) / k, (height - pad - title_h - bottom) / k);
    const double x0 = left, y0 = pad + title_h;

    for (std::int64_t r = 0; r < k; ++r) {
        double row_sum = 0, all_max = 0;
        for (std::int64_t c = 0; c < k; ++c) row_sum += v[r * k + c];
        for (double x : v) all_max = std::max(all_max, x);
        for (std::int64_t c = 0; c < k; ++c) {
            const double value = v[r * k + c];
            const double denom = options.normalize ? row_sum : all_max;
            const double share = denom > 0 ? value / denom : 0.0;
            const Color fill = mix(Color{1, 1, 1, 1}, kHeat, std::pow(share, 0.6));
            cairo_rectangle(cr, x0 + c * cw, y0 + r * cw, cw, cw);
            detail::set_color(cr, fill);
            cairo_fill(cr);
            char buf[32];
            if (value == std::floor(value)) std::snprintf(buf, sizeof buf, "%.0f", value);
            else std::snprintf(buf, sizeof buf, "%.2f", value);
            const Color ink = std::pow(share, 0.6) > 0.55 ? Color{1, 1, 1, 1} : kText;
            Font f = cell_font;
            f.bold = r == c;
            detail::draw_text(cr, buf, x0 + (c + 0.5) * cw, y0 + (r + 0.5) * cw, f, ink, 0.5, 0.5);
        }
    }
    cairo_rectangle(cr, std::floor(x0) + 0.5, std::floor(y0) + 0.5, std::round(k * cw), std::round(k * cw));
    detail::set_color(cr, Color::hex(0x555555));
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    for (std::int64_t c = 0; c < k; ++c) {
        const std::string name = class_name(class_names, c);
        detail::draw_text(cr, name, x0 - 8, y0 + (c + 0.5) * cw, name_font, kText, 1.0, 0.5);
        // Column names slanted at 45° so long names do not collide.
        detail::draw_text(cr, name, x0 + (c + 0.5) * cw + 4, y0 + k * cw + 6, name_font, kText, 1.0, 0.0,
                          std::numbers::pi / 4);
    }
    detail::draw_text(cr, "Predicted", x0 + k * cw / 2, height - pad, label_font, kText, 0.5, 1.0);
    detail::draw_text(cr, "True", pad, y0 + k * cw / 2, label_font, kText, 0.5, 0.0, std::numbers::pi / 2);
    detail::draw_text(cr, options.title, width / 2.0, pad, title_font, kText, 0.5, 0.0);
    canvas.finish();
}

void save_image_grid(const Tensor& images, const Tensor& labels, const Tensor& predicted,
                     const std::vector<std::string>& class_names, const std::filesystem::path& path,
                     const ImageGridOptions& options) {
    DESCENT_CHECK((images.dim() == 3 || (images.dim() == 4 && images.size(1) == 1)) && images.size(0) > 0,
                  "save_image_grid: images must be [N, H, W] or [N, 1, H, W] with N > 0, got ",
                  shape_str(images.shape()));
    DESCENT_CHECK(options.columns > 0 && options.cell >= 8, "save_image_grid: columns (", options.columns,
                  ") must be positive and cell (", options.cell, ") at least 8 pixels");
    const std::int64_t n = images.size(0), h = images.size(-2), w = images.size(-1);
    const auto label = class_vector(labels, n, "save_image_grid", "labels");
    std::vector<std::int64_t> pred;
    if (predicted.defined()) pred = class_vector(predicted, n, "save_image_grid", "predicted");
    std::vector<double> px = images.to_vector<double>();
    double peak = 0;
    for (double x : px) peak = std::max(peak, x);
    const double scale = peak > 1.5 ? 1.0 / 255.0 : 1.0;  // bytes or [0, 1]

    const int cols = static_cast<int>(std::min<std::int64_t>(options.columns, n));
    const int rows = static_cast<int>((n + cols - 1) / cols);
    const double cell = options.cell;
    const Font caption{std::clamp(cell / 7.0, 9.0, 14.0)}, title_font{17, true};
    const double cap_h = caption.size * 1.6, gap = 8, pad = 12;
    const double title_h = options.title.empty() ? 0 : 34;
    const int width = static_cast<int>(std::ceil(2 * pad + cols * cell + (cols - 1) * gap));
    const int height = static_cast<int>(std::ceil(2 * pad + title_h + rows * (cell + cap_h) + (rows - 1) * gap));
    detail::Canvas canvas(path, width, height);
    cairo_t* cr = canvas.cr();
    detail::draw_text(cr, options.title, width / 2.0, pad, title_font, kText, 0.5, 0.0);

    cairo_surface_t* img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, static_cast<int>(w), static_cast<int>(h));
    for (std::int64_t i = 0; i < n; ++i) {
        cairo_surface_flush(img);
        unsigned char* data = cairo_image_surface_get_data(img);
        const int stride = cairo_image_surface_get_stride(img);
        for (std::int64_t y = 0; y < h; ++y) {
            auto* row = reinterpret_cast<std::uint32_t*>(data + y * stride);
            for (std::int64_t x = 0; x < w; ++x) {
                const double g = std::clamp(px[(i * h + y) * w + x] * scale, 0.0, 1.0);
                const auto b = static_cast<std::uint32_t>(std::lround(g * 255));
                row[x] = 0xff000000u | b << 16 | b << 8 | b;
            }
        }
        cairo_surface_mark_dirty(img);
        const double cx = pad + (i % cols) * (cell + gap), cy = pad + title_h + (i / cols) * (cell + cap_h + gap);
        cairo_save(cr);
        cairo_translate(cr, cx, cy);
        cairo_scale(cr, cell / w, cell / h);
        cairo_set_source_surface(cr, img, 0, 0);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);  // crisp pixels
        cairo_rectangle(cr, 0, 0, w, h);
        cairo_fill(cr);
        cairo_restore(cr);
        const bool wrong = !pred.empty() && pred[i] != label[i];
        if (wrong) {
            cairo_rectangle(cr, cx - 1.5, cy - 1.5, cell + 3, cell + 3);
            detail::set_color(cr, kWrong);
            cairo_set_line_width(cr, 3);
            cairo_stroke(cr);
        }
        const std::string text = pred.empty() ? class_name(class_names, label[i])
                                 : wrong ? class_name(class_names, pred[i]) + " (" + class_name(class_names, label[i]) + ")"
                                         : class_name(class_names, pred[i]);
        // Shrink a caption that would overflow its cell.
        Font f = caption;
        const double tw = detail::text_width(cr, text, f);
        if (tw > cell + gap - 2) f.size *= (cell + gap - 2) / tw;
        detail::draw_text(cr, text, cx + cell / 2, cy + cell + 3, f, wrong ? kWrong : kText, 0.5, 0.0);
    }
    cairo_surface_destroy(img);
    canvas.finish();
}

}  // namespace descent::plot
