// Classification metrics (sklearn's definitions): accuracy, per-class precision,
// recall and F1, the confusion matrix; and the data behind the pictures of a run
// (which test images to show, the per-epoch loss and accuracy curves).
// Predictions are int64 class indices [N], or scores [N, C] whose argmax is taken.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "descent/core/tensor.hpp"

namespace descent::train {

/// Fraction of predictions equal to the targets (int64 [N]); 0 for N = 0.
double accuracy(const Tensor& predictions, const Tensor& targets);

/// int64 [C, C]: entry [t, p] counts the examples of true class t predicted as p (rows = true class).
Tensor confusion_matrix(const Tensor& predictions, const Tensor& targets, std::int64_t num_classes);

/// Scores derived from a confusion matrix. A ratio with a zero denominator is 0
/// (sklearn's zero_division=0): precision of a class never predicted, recall of a class absent.
struct ClassScores {
    std::vector<double> precision;     ///< per class: TP / (TP + FP)
    std::vector<double> recall;        ///< per class: TP / (TP + FN)
    std::vector<double> f1;            ///< per class: 2·P·R / (P + R)
    std::vector<std::int64_t> support; ///< per class: number of examples of the class
    double accuracy = 0;
    double macro_precision = 0, macro_recall = 0, macro_f1 = 0;  ///< unweighted means over all C classes
};

/// Scores of a confusion matrix int64 [C, C] (rows = true class).
ClassScores class_scores(const Tensor& confusion);
/// Per-class precision, recall and F1 of predictions against targets.
std::vector<double> precision(const Tensor& predictions, const Tensor& targets, std::int64_t num_classes);
std::vector<double> recall(const Tensor& predictions, const Tensor& targets, std::int64_t num_classes);
std::vector<double> f1_score(const Tensor& predictions, const Tensor& targets, std::int64_t num_classes);

/// A confusion matrix accumulated batch by batch during evaluation.
class ConfusionMatrix {
public:
    explicit ConfusionMatrix(std::int64_t num_classes);
    /// Adds a batch of predictions (indices [N] or scores [N, C]) and targets [N].
    void update(const Tensor& predictions, const Tensor& targets);
    void reset();
    /// int64 [C, C], rows = true class (a copy).
    Tensor matrix() const;
    std::int64_t num_classes() const { return num_classes_; }
    /// Examples counted so far.
    std::int64_t total() const;
    double accuracy() const { return scores().accuracy; }
    ClassScores scores() const;

private:
    std::int64_t num_classes_;
    std::vector<std::int64_t> counts_;  // row-major [C, C]
};

/// One cell of an image grid: which example, its true and predicted class.
struct LabeledExample {
    std::int64_t index = 0;
    std::int64_t target = 0;
    std::int64_t prediction = 0;
    bool mistake() const { return target != prediction; }
};

/// Up to `count` examples for an image grid, in index order; with `mistakes_first`, the
/// misclassified ones come first (then correct ones fill the rest).
std::vector<LabeledExample> pick_examples(const Tensor& predictions, const Tensor& targets, std::int64_t count,
                                          bool mistakes_first = false);

/// The numbers of one epoch (NaN where not measured), for the loss and accuracy curves.
struct EpochRecord {
    std::int64_t epoch = 0;
    double train_loss = std::numeric_limits<double>::quiet_NaN();
    double train_accuracy = std::numeric_limits<double>::quiet_NaN();
    double test_loss = std::numeric_limits<double>::quiet_NaN();
    double test_accuracy = std::numeric_limits<double>::quiet_NaN();
    double seconds = std::numeric_limits<double>::quiet_NaN();
};

/// Per-epoch records of a run; serializable so a resumed run keeps its curves.
class History {
public:
    void add(const EpochRecord& record) { records_.push_back(record); }
    const std::vector<EpochRecord>& records() const { return records_; }
    bool empty() const { return records_.empty(); }
    /// One curve: e.g. series(&EpochRecord::test_accuracy).
    std::vector<double> series(double EpochRecord::*field) const;
    /// [{"epoch": 1, "train_loss": 0.5, ...}, ...] (null for NaN).
    std::string to_json() const;
    static History from_json(const std::string& text);

private:
    std::vector<EpochRecord> records_;
};

}  // namespace descent::train
