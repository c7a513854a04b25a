// Metrics from counts: every score is computed from the confusion matrix, so the
// per-batch accumulator and the one-shot functions agree exactly.
#include "descent/train/metrics.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace descent::train {

namespace {

// Predictions as int64 [N] class indices (argmax of [N, C] scores); checked against targets.
std::vector<std::int64_t> class_indices(const Tensor& predictions, const Tensor& targets, const char* op) {
    DESCENT_CHECK(predictions.defined() && targets.defined(), op, ": undefined tensor");
    DESCENT_CHECK(targets.dim() == 1 && targets.dtype() == kInt64, op, ": targets must be int64 [N], got ",
                  dtype_name(targets.dtype()), " ", shape_str(targets.shape()));
    Tensor p = predictions.detach();
    if (p.dim() == 2) {
        DESCENT_CHECK(p.is_floating_point(), op, ": scores [N, C] must be floating, got ", dtype_name(p.dtype()));
        DESCENT_CHECK(p.size(1) > 0 || p.size(0) == 0, op, ": scores ", shape_str(p.shape()), " have no classes");
        p = p.size(0) ? p.argmax(1) : make_tensor({0}, kInt64);
    }
    DESCENT_CHECK(p.dim() == 1 && p.dtype() == kInt64, op,
                  ": predictions must be int64 class indices [N] or scores [N, C], got ", dtype_name(p.dtype()), " ",
                  shape_str(predictions.shape()));
    DESCENT_CHECK(p.size(0) == targets.size(0), op, ": predictions ", shape_str(predictions.shape()),
                  " and targets ", shape_str(targets.shape()), " hold different numbers of examples");
    return p.to_vector<std::int64_t>();
}

double ratio(std::int64_t a, std::int64_t b) { return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b); }

double mean_of(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

}  // namespace

double accuracy(const Tensor& predictions, const Tensor& targets) {
    const std::vector<std::int64_t> p = class_indices(predictions, targets, "accuracy");
    const std::vector<std::int64_t> t = targets.to_vector<std::int64_t>();
    std::int64_t correct = 0;
    for (std::size_t i = 0; i < p.size(); ++i) correct += p[i] == t[i];
    return ratio(correct, static_cast<std::int64_t>(p.size()));
}

ConfusionMatrix::ConfusionMatrix(std::int64_t num_classes)
    : num_classes_(num_classes), counts_(static_cast<std::size_t>(std::max<std::int64_t>(num_classes, 0) * std::max<std::int64_t>(num_classes, 0)), 0) {
    DESCENT_CHECK(num_classes > 0, "ConfusionMatrix: num_classes must be positive, got ", num_classes);
}

void ConfusionMatrix::update(const Tensor& predictions, const Tensor& targets) {
    const std::vector<std::int64_t> p = class_indices(predictions, targets, "ConfusionMatrix");
    const std::vector<std::int64_t> t = targets.to_vector<std::int64_t>();
    if (predictions.dim() == 2)
        DESCENT_CHECK(predictions.size(1) == num_classes_, "ConfusionMatrix: scores ", shape_str(predictions.shape()),
                      " do not have ", num_classes_, " classes");
    // Check the whole batch first, so a bad batch leaves the counts unchanged.
    for (std::size_t i = 0; i < p.size(); ++i) {
        DESCENT_CHECK(t[i] >= 0 && t[i] < num_classes_, "ConfusionMatrix: target ", t[i], " of example ", i,
                      " is not a class index in [0, ", num_classes_, ")");
        DESCENT_CHECK(p[i] >= 0 && p[i] < num_classes_, "ConfusionMatrix: prediction ", p[i], " of example ", i,
                      " is not a class index in [0, ", num_classes_, ")");
    }
    for (std::size_t i = 0; i < p.size(); ++i) ++counts_[t[i] * num_classes_ + p[i]];
}

void ConfusionMatrix::reset() { std::fill(counts_.begin(), counts_.end(), 0); }

Tensor ConfusionMatrix::matrix() const { return Tensor::from(counts_, {num_classes_, num_classes_}); }

std::int64_t ConfusionMatrix::total() const {
    std::int64_t n = 0;
    for (auto c : counts_) n += c;
    return n;
}

ClassScores ConfusionMatrix::scores() const { return class_scores(matrix()); }

ClassScores class_scores(const Tensor& confusion) {
    DESCENT_CHECK(confusion.defined() && confusion.dtype() == kInt64 && confusion.dim() == 2 &&
                      confusion.size(0) == confusion.size(1),
                  "class_scores: expected an int64 [C, C] confusion matrix, got ",
                  confusion.defined() ? std::string(dtype_name(confusion.dtype())) + " " + shape_str(confusion.shape())
                                      : std::string("an undefined tensor"));
    const std::int64_t C = confusion.size(0);
    const std::vector<std::int64_t> m = confusion.to_vector<std::int64_t>();
    ClassScores s;
    std::int64_t correct = 0, total = 0;
    for (std::int64_t c = 0; c < C; ++c) {
        std::int64_t row = 0, col = 0;
        for (std::int64_t k = 0; k < C; ++k) {
            row += m[c * C + k];
            col += m[k * C + c];
        }
        const std::int64_t tp = m[c * C + c];
        const double p = ratio(tp, col), r = ratio(tp, row);
        s.precision.push_back(p);
        s.recall.push_back(r);
        s.f1.push_back(p + r == 0 ? 0.0 : 2 * p * r / (p + r));
        s.support.push_back(row);
        correct += tp;
        total += row;
    }
    s.accuracy = ratio(correct, total);
    s.macro_precision = mean_of(s.precision);
    s.macro_recall = mean_of(s.recall);
    s.macro_f1 = mean_of(s.f1);
    return s;
}

Tensor confusion_matrix(const Tensor& predictions, const Tensor& targets, std::int64_t num_classes) {
    ConfusionMatrix m(num_classes);
    m.update(predictions, targets);
    return m.matrix();
}

std::vector<double> precision(const Tensor& predictions, const Tensor& targets, std::int64_t num_classes) {
    return class_scores(confusion_matrix(predictions, targets, num_classes)).precision;
}

std::vector<double> recall(const Tensor& predictions, const Tensor& targets, std::int64_t num_classes) {
    return class_scores(confusion_matrix(predictions, targets, num_classes)).recall;
}

std::vector<double> f1_score(const Tensor& predictions, const Tensor& targets, std::int64_t num_classes) {
    return class_scores(confusion_matrix(predictions, targets, num_classes)).f1;
}

std::vector<LabeledExample> pick_examples(const Tensor& predictions, const Tensor& targets, std::int64_t count,
                                          bool mistakes_first) {
    DESCENT_CHECK(count >= 0, "pick_examples: negative count ", count);
    const std::vector<std::int64_t> p = class_indices(predictions, targets, "pick_examples");
    const std::vector<std::int64_t> t = targets.to_vector<std::int64_t>();
    std::vector<LabeledExample> out;
    const auto limit = static_cast<std::size_t>(count);
    // Pass 0 takes mistakes (or everything), pass 1 the correct ones after the mistakes.
    for (int pass = 0; pass < (mistakes_first ? 2 : 1); ++pass)
        for (std::size_t i = 0; i < p.size() && out.size() < limit; ++i) {
            const bool mistake = p[i] != t[i];
            if (mistakes_first && mistake != (pass == 0)) continue;
            out.push_back({static_cast<std::int64_t>(i), t[i], p[i]});
        }
    return out;
}

std::vector<double> History::series(double EpochRecord::*field) const {
    std::vector<double> out;
    out.reserve(records_.size());
    for (const auto& r : records_) out.push_back(r.*field);
    return out;
}

namespace {
struct Field {
    const char* name;
    double EpochRecord::*member;
};
constexpr Field kFields[] = {{"train_loss", &EpochRecord::train_loss},
                             {"train_accuracy", &EpochRecord::train_accuracy},
                             {"test_loss", &EpochRecord::test_loss},
                             {"test_accuracy", &EpochRecord::test_accuracy},
                             {"seconds", &EpochRecord::seconds}};
}  // namespace

std::string History::to_json() const {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& r : records_) {
        nlohmann::ordered_json o;
        o["epoch"] = r.epoch;
        for (const auto& f : kFields) {
            const double v = r.*(f.member);
            if (std::isfinite(v)) o[f.name] = v;
            else o[f.name] = nullptr;
        }
        out.push_back(o);
    }
    return out.dump();
}

History History::from_json(const std::string& text) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        detail::fail("History::from_json: bad JSON at byte offset ", e.byte, ": ", e.what());
    }
    DESCENT_CHECK(j.is_array(), "History::from_json: expected an array of epoch records");
    History h;
    for (std::size_t i = 0; i < j.size(); ++i) {
        const auto& o = j[i];
        DESCENT_CHECK(o.is_object() && o.contains("epoch") && o["epoch"].is_number_integer(),
                      "History::from_json: record ", i, " is not an object with an integer \"epoch\"");
        EpochRecord r;
        r.epoch = o["epoch"].get<std::int64_t>();
        for (const auto& f : kFields) {
            if (!o.contains(f.name) || o[f.name].is_null()) continue;
            DESCENT_CHECK(o[f.name].is_number(), "History::from_json: record ", i, ": \"", f.name,
                          "\" is not a number");
            r.*(f.member) = o[f.name].get<double>();
        }
        h.add(r);
    }
    return h;
}

}  // namespace descent::train
