// CSV parsing: line by line with 1-based line numbers kept for every error;
// numbers are parsed with std::from_chars, so the locale never changes them.
#include "descent/data/csv.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>

namespace descent::data {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::optional<double> parse_number(std::string_view s) {
    s = trim(s);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);  // from_chars refuses a leading '+'
    if (s.empty()) return std::nullopt;
    double value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return value;
}

}  // namespace

std::vector<std::string> split_csv_line(const std::string& line, char delimiter, const std::string& where) {
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;      // inside quotes
    bool was_quoted = false;  // this field had quotes (so its spaces are kept)
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < line.size() && line[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                field += c;
            }
        } else if (c == '"' && std::string_view(trim(field)).empty()) {
            quoted = was_quoted = true;
            field.clear();
        } else if (c == delimiter) {
            fields.push_back(was_quoted ? field : std::string(trim(field)));
            field.clear();
            was_quoted = false;
        } else {
            DESCENT_CHECK(!was_quoted || c == ' ' || c == '\t', where, ": text after a closing quote in field ",
                          fields.size() + 1, " (column ", i + 1, ")");
            if (!was_quoted) field += c;
        }
    }
    DESCENT_CHECK(!quoted, where, ": unterminated quote in field ", fields.size() + 1,
                  " (a field cannot span lines)");
    fields.push_back(was_quoted ? field : std::string(trim(field)));
    return fields;
}

CSVDataset::CSVDataset(const std::string& path, const CSVOptions& options) {
    DESCENT_CHECK(!options.target.empty(), "CSVDataset: ", path, ": no target column given (CSVOptions::target)");
    DESCENT_CHECK(is_floating(options.dtype), "CSVDataset: dtype must be float32 or float64, got ",
                  dtype_name(options.dtype));
    std::ifstream in(path);
    DESCENT_CHECK(in.good(), "CSVDataset: cannot open ", path, ": ", std::strerror(errno));

    std::string line;
    std::int64_t line_no = 0;
    std::vector<std::string> header;
    std::int64_t header_line = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line_no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // UTF-8 byte order mark
        if (trim(line).empty()) continue;
        header = split_csv_line(line, options.delimiter, "CSVDataset: " + path + ":" + std::to_string(line_no));
        header_line = line_no;
        break;
    }
    DESCENT_CHECK(!header.empty(), "CSVDataset: ", path, " is empty (no header row)");
    std::map<std::string, std::size_t> column;
    for (std::size_t i = 0; i < header.size(); ++i) {
        DESCENT_CHECK(!header[i].empty(), "CSVDataset: ", path, ":", header_line, ": column ", i + 1,
                      " of the header has no name");
        DESCENT_CHECK(column.emplace(header[i], i).second, "CSVDataset: ", path, ":", header_line,
                      ": duplicate column name \"", header[i], "\"");
    }
    auto column_of = [&](const std::string& name, const char* what) {
        auto it = column.find(name);
        if (it == column.end()) {
            std::string names;
            for (const auto& h : header) names += (names.empty() ? "" : ", ") + h;
            detail::fail("CSVDataset: ", path, ": no ", what, " column \"", name, "\" in the header (columns: ", names,
                         ")");
        }
        return it->second;
    };
    const std::size_t target_col = column_of(options.target, "target");
    std::vector<std::size_t> feature_cols;
    if (options.features.empty()) {
        for (std::size_t i = 0; i < header.size(); ++i)
            if (i != target_col) feature_cols.push_back(i);
    } else {
        for (const auto& f : options.features) {
            DESCENT_CHECK(f != options.target, "CSVDataset: ", path, ": column \"", f,
                          "\" is both the target and a feature");
            feature_cols.push_back(column_of(f, "feature"));
        }
    }
    for (std::size_t c : feature_cols) feature_names_.push_back(header[c]);

    std::vector<double> values;          // row-major features
    std::vector<double> numeric_target;  // regression
    std::vector<std::string> labels;     // classification
    std::int64_t rows = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (trim(line).empty()) continue;
        const std::string where = "CSVDataset: " + path + ":" + std::to_string(line_no);
        const std::vector<std::string> fields = split_csv_line(line, options.delimiter, where);
        DESCENT_CHECK(fields.size() == header.size(), where, ": ", fields.size(), " fields, but the header (line ",
                      header_line, ") has ", header.size(), " columns");
        for (std::size_t c : feature_cols) {
            const auto v = parse_number(fields[c]);
            DESCENT_CHECK(v.has_value(), where, ": column \"", header[c], "\" (field ", c + 1, "): \"", fields[c],
                          "\" is not a number");
            values.push_back(*v);
        }
        const std::string& t = fields[target_col];
        DESCENT_CHECK(!t.empty(), where, ": empty target in column \"", options.target, "\"");
        if (options.classification) {
            labels.push_back(t);
        } else {
            const auto v = parse_number(t);
            DESCENT_CHECK(v.has_value(), where, ": target column \"", options.target, "\": \"", t,
                          "\" is not a number (set classification = true for class labels)");
            numeric_target.push_back(*v);
        }
        ++rows;
    }
    DESCENT_CHECK(!in.bad(), "CSVDataset: read error in ", path, " after line ", line_no);

    const std::int64_t F = static_cast<std::int64_t>(feature_cols.size());
    features_ = Tensor::from(values, {rows, F}, {.dtype = options.dtype});
    if (!options.classification) {
        targets_ = Tensor::from(numeric_target, {rows, 1}, {.dtype = options.dtype});
        return;
    }
    // Sorted class labels: numerically when all are numbers, else byte-wise.
    std::vector<std::string> unique = labels;
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    const bool numeric = std::all_of(unique.begin(), unique.end(), [](const std::string& s) {
        return parse_number(s).has_value();
    });
    if (numeric)
        std::stable_sort(unique.begin(), unique.end(), [](const std::string& a, const std::string& b) {
            return *parse_number(a) < *parse_number(b);
        });
    classes_ = unique;
    std::map<std::string, std::int64_t> index;
    for (std::size_t i = 0; i < classes_.size(); ++i) index[classes_[i]] = static_cast<std::int64_t>(i);
    std::vector<std::int64_t> target_index;
    target_index.reserve(labels.size());
    for (const auto& l : labels) target_index.push_back(index.at(l));
    targets_ = Tensor::from(target_index, {rows});
}

Example CSVDataset::get_batch(const std::vector<std::int64_t>& indices) const {
    const std::int64_t n = static_cast<std::int64_t>(indices.size());
    const std::int64_t F = features_.size(1);
    const std::int64_t T = targets_.dim() == 2 ? 1 : 0;  // regression targets are [N, 1]
    for (std::int64_t i : indices)
        DESCENT_CHECK(i >= 0 && i < size(), "CSVDataset: index ", i, " is out of range for a data set of ", size(),
                      " examples");
    Tensor x = make_tensor({n, F}, features_.dtype());
    Tensor y = make_tensor(T ? Shape{n, 1} : Shape{n}, targets_.dtype());
    visit_dtype(features_.dtype(), [&](auto tag) {
        using X = decltype(tag);
        const X* src = features_.data_ptr<X>();
        X* dst = x.data_ptr<X>();
        for (std::int64_t k = 0; k < n; ++k)
            if (F) std::memcpy(dst + k * F, src + indices[k] * F, F * sizeof(X));
    });
    visit_dtype(targets_.dtype(), [&](auto tag) {
        using Y = decltype(tag);
        const Y* src = targets_.data_ptr<Y>();
        Y* dst = y.data_ptr<Y>();
        for (std::int64_t k = 0; k < n; ++k) dst[k] = src[indices[k]];
    });
    return {x, y};
}

Example CSVDataset::get(std::int64_t index) const {
    Example b = get_batch({index});
    return {b.input.select(0, 0), b.target.select(0, 0)};
}

}  // namespace descent::data
