// Printing in PyTorch's style, following torch/_tensor_str.py (1.13) with its
// default print options (precision 4, threshold 1000, edgeitems 3, linewidth 80):
// one formatter for the whole tensor chooses integer, fixed or scientific
// notation and a common width; long dims are summarized with "...".
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "descent/autograd/node.hpp"
#include "descent/core/tensor.hpp"

namespace descent {
namespace {

constexpr int kPrecision = 4;
constexpr std::int64_t kThreshold = 1000;
constexpr std::int64_t kEdgeItems = 3;
constexpr std::size_t kLineWidth = 80;

std::string printf_str(const char* format, double v) {
    char buf[512];
    std::snprintf(buf, sizeof buf, format, kPrecision, v);
    return buf;
}

// Python's spelling of non-finite floats (never "-nan").
std::string nonfinite_str(double v) {
    if (std::isnan(v)) return "nan";
    return v > 0 ? "inf" : "-inf";
}

std::string fixed_str(double v) { return std::isfinite(v) ? printf_str("%.*f", v) : nonfinite_str(v); }
std::string sci_str(double v) { return std::isfinite(v) ? printf_str("%.*e", v) : nonfinite_str(v); }
std::string int_str(double v) {
    if (!std::isfinite(v)) return nonfinite_str(v);
    char buf[512];
    std::snprintf(buf, sizeof buf, "%.0f.", v);
    return buf;
}

// The elements of a tensor in row-major order, as doubles (floating, bool) or int64.
struct Values {
    DType dtype;
    std::vector<double> real;
    std::vector<std::int64_t> integer;
    bool is_float() const { return is_floating(dtype); }
};

// torch's _Formatter: picks the notation and the common width from the shown values.
class Formatter {
public:
    Formatter(const Values& v, const std::vector<std::int64_t>& shown) : values_(v) {
        if (!v.is_float()) {
            for (auto i : shown) width_ = std::max(width_, raw(i).size());
            return;
        }
        std::vector<double> finite;
        for (auto i : shown) {
            const double x = v.real[static_cast<std::size_t>(i)];
            if (std::isfinite(x) && x != 0.0) finite.push_back(x);
        }
        if (finite.empty()) return;
        double lo = std::abs(finite[0]), hi = lo;
        for (double x : finite) {
            lo = std::min(lo, std::abs(x));
            hi = std::max(hi, std::abs(x));
            if (x != std::ceil(x)) int_mode_ = false;
        }
        if (int_mode_) {
            sci_mode_ = hi / lo > 1000.0 || hi > 1e8;
            for (double x : finite) width_ = std::max(width_, sci_mode_ ? sci_str(x).size() : int_str(x).size());
        } else {
            sci_mode_ = hi / lo > 1000.0 || hi > 1e8 || lo < 1e-4;
            for (double x : finite) width_ = std::max(width_, sci_mode_ ? sci_str(x).size() : fixed_str(x).size());
        }
    }

    std::size_t width() const { return width_; }

    // Element `i` (row-major position), padded on the left to the common width.
    std::string format(std::int64_t i) const {
        const std::string s = raw(i);
        return std::string(width_ > s.size() ? width_ - s.size() : 0, ' ') + s;
    }

private:
    std::string raw(std::int64_t i) const {
        const auto k = static_cast<std::size_t>(i);
        if (values_.dtype == kBool) return values_.real[k] != 0.0 ? "True" : "False";
        if (values_.dtype == kInt64) return std::to_string(values_.integer[k]);
        const double x = values_.real[k];
        if (sci_mode_) return sci_str(x);
        if (int_mode_) return int_str(x);
        return fixed_str(x);
    }

    const Values& values_;
    bool int_mode_ = true, sci_mode_ = false;
    std::size_t width_ = 1;
};

// The indices shown along a dim of size n: all, or the first and last kEdgeItems.
std::vector<std::int64_t> shown_indices(std::int64_t n, bool summarize) {
    std::vector<std::int64_t> idx;
    if (summarize && n > 2 * kEdgeItems) {
        for (std::int64_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
        for (std::int64_t i = n - kEdgeItems; i < n; ++i) idx.push_back(i);
    } else {
        for (std::int64_t i = 0; i < n; ++i) idx.push_back(i);
    }
    return idx;
}

class Printer {
public:
    Printer(const Shape& shape, const Values& values, bool summarize)
        : shape_(shape), strides_(contiguous_strides(shape)), summarize_(summarize),
          formatter_(values, shown_positions()) {}

    std::string tensor_str(std::size_t indent) const {
        if (shape_.empty()) return formatter_.format(0);
        return sub_str(0, 0, indent);
    }

private:
    // Row-major positions of every element that will be printed (get_summarized_data).
    std::vector<std::int64_t> shown_positions() const {
        std::vector<std::int64_t> out{0};
        for (std::size_t d = 0; d < shape_.size(); ++d) {
            std::vector<std::int64_t> next;
            for (auto base : out)
                for (auto i : shown_indices(shape_[d], summarize_)) next.push_back(base + i * strides_[d]);
            out = std::move(next);
        }
        return out;
    }

    // The sub-tensor at dim `d` starting at row-major position `base`.
    std::string sub_str(std::size_t d, std::int64_t base, std::size_t indent) const {
        const std::int64_t n = shape_[d];
        const bool cut = summarize_ && n > 2 * kEdgeItems;
        if (d + 1 == shape_.size()) {
            // _vector_str: as many elements per line as fit in the line width.
            const std::size_t element_length = formatter_.width() + 2;
            const std::size_t per_line =
                std::max<std::size_t>(1, (kLineWidth > indent ? kLineWidth - indent : 0) / element_length);
            std::vector<std::string> data;
            for (auto i : shown_indices(n, summarize_)) {
                if (cut && i == n - kEdgeItems) data.emplace_back(" ...");
                data.push_back(formatter_.format(base + i * strides_[d]));
            }
            std::string out = "[";
            for (std::size_t k = 0; k < data.size(); ++k) {
                if (k && k % per_line == 0) out.append(",\n").append(indent + 1, ' ');
                else if (k) out.append(", ");
                out += data[k];
            }
            return out + "]";
        }
        // GCC 12 warns (-Wrestrict, falsely) on `"," + std::string(...)`: build with append.
        std::string sep(1, ',');
        sep.append(shape_.size() - d - 1, '\n').append(indent + 1, ' ');
        std::string out = "[";
        bool first = true;
        for (auto i : shown_indices(n, summarize_)) {
            if (!first) out += sep;
            if (cut && i == n - kEdgeItems) out.append("...").append(sep);
            out += sub_str(d + 1, base + i * strides_[d], indent + 1);
            first = false;
        }
        return out + "]";
    }

    Shape shape_, strides_;
    bool summarize_;
    Formatter formatter_;
};

// torch's _add_suffixes: each suffix goes on the line if it fits, else on a new one.
std::string add_suffixes(const std::string& body, const std::vector<std::string>& suffixes, std::size_t indent) {
    std::string out = body;
    const auto newline = body.rfind('\n');
    std::size_t last_line_len = newline == std::string::npos ? body.size() + 2 : body.size() - newline + 1;
    for (const auto& suffix : suffixes) {
        if (last_line_len + suffix.size() + 2 > kLineWidth) {
            out.append(",\n").append(indent, ' ').append(suffix);
            last_line_len = indent + suffix.size();
        } else {
            out += ", " + suffix;
            last_line_len += suffix.size() + 2;
        }
    }
    return out + ")";
}

}  // namespace

std::string Tensor::to_string() const {
    if (!defined()) return "tensor(undefined)";
    const std::string prefix = "tensor(";
    const std::size_t indent = prefix.size();
    std::vector<std::string> suffixes;
    std::string body;
    if (numel() == 0) {
        // As NumPy: the shape is explicit unless it is (0,); the dtype too unless float32.
        if (dim() != 1) {
            std::string size = "size=(";
            for (std::int64_t d = 0; d < dim(); ++d) size += (d ? ", " : "") + std::to_string(shape()[d]);
            suffixes.push_back(size + ")");
        }
        if (dtype() != kFloat32) suffixes.push_back(std::string("dtype=torch.") + dtype_name(dtype()));
        body = "[]";
    } else {
        if (dtype() == kFloat64) suffixes.emplace_back("dtype=torch.float64");
        Values values{dtype(), {}, {}};
        if (dtype() == kInt64) values.integer = to_vector<std::int64_t>();
        else values.real = to_vector<double>();
        body = Printer(shape(), values, numel() > kThreshold).tensor_str(indent);
    }
    if (grad_fn()) suffixes.push_back("grad_fn=<" + grad_fn()->name() + ">");
    else if (requires_grad()) suffixes.emplace_back("requires_grad=True");
    return add_suffixes(prefix + body, suffixes, indent);
}

std::ostream& operator<<(std::ostream& out, const Tensor& t) { return out << t.to_string(); }

}  // namespace descent
