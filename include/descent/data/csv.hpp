// A tabular data set read from a CSV file: a header row of column names, one
// example per line, numeric feature columns and one target column chosen by name.
// Fields may be quoted ("a,b", with "" for a quote); a field never spans lines.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "descent/data/dataset.hpp"

namespace descent::data {

/// Options of CSVDataset.
struct CSVOptions {
    /// Name of the target column (required).
    std::string target;
    /// Feature columns in this order; empty: every column but the target, in file order.
    std::vector<std::string> features;
    /// true: the target is a class label (any text, numbers included) mapped to a class
    /// index; false: the target is a number (regression), float [1] per example.
    bool classification = true;
    char delimiter = ',';
    /// dtype of the features (and of a regression target).
    DType dtype = kFloat32;
};

/// Rows of a CSV file as (features [F], target) examples.
///
/// Class labels are mapped to indices in sorted order: numerically when every label
/// is a number ("2" < "10"), else by byte-wise string comparison — the order of
/// sklearn's LabelEncoder, so the mapping does not depend on the order of the rows.
/// Errors name the file and the line (1 = the header): a row with the wrong number
/// of fields, a feature that is not a number, an empty target.
class CSVDataset : public Dataset {
public:
    CSVDataset(const std::string& path, const CSVOptions& options);

    std::int64_t size() const override { return features_.size(0); }
    /// Features [F] and the target: a 0-dim int64 class index, or [1] for regression.
    Example get(std::int64_t index) const override;
    /// Features [N, F] and targets [N] (classes) or [N, 1] (regression), in one gather.
    Example get_batch(const std::vector<std::int64_t>& indices) const override;

    /// All features, [size(), F].
    const Tensor& features() const { return features_; }
    /// All targets, int64 [size()] or [size(), 1].
    const Tensor& targets() const { return targets_; }
    const std::vector<std::string>& feature_names() const { return feature_names_; }
    /// Class labels by index (empty for regression).
    const std::vector<std::string>& classes() const { return classes_; }
    std::int64_t num_classes() const { return static_cast<std::int64_t>(classes_.size()); }
    std::int64_t num_features() const { return features_.size(1); }

private:
    Tensor features_, targets_;
    std::vector<std::string> feature_names_, classes_;
};

/// Splits one CSV line into fields (quotes removed, "" → "); `where` names the file and line in errors.
std::vector<std::string> split_csv_line(const std::string& line, char delimiter, const std::string& where);

}  // namespace descent::data
