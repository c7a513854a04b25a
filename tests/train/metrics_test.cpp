// Metrics on hand-computed cases: a 3-class example worked out on paper, zero
// divisions, scores given as logits, batch accumulation, and the picture data.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/train/metrics.hpp"

using namespace descent;
using namespace descent::train;

namespace {
Tensor ints(std::vector<std::int64_t> v) { return Tensor::from(v); }
// The worked example. Rows = true class, columns = predicted:
//   true 0: examples 0 (→0), 5 (→2)          [1, 0, 1]
//   true 1: examples 1 (→0), 6 (→0)          [2, 0, 0]
//   true 2: examples 2 (→1), 3 (→2), 4 (→2)  [0, 1, 2]
const std::vector<std::int64_t> kPred = {0, 0, 1, 2, 2, 2, 0};
const std::vector<std::int64_t> kTrue = {0, 1, 2, 2, 2, 0, 1};
}  // namespace

TEST(Metrics, ConfusionMatrixRowsAreTrueClasses) {
    Tensor m = confusion_matrix(ints(kPred), ints(kTrue), 3);
    EXPECT_EQ(m.dtype(), kInt64);
    EXPECT_EQ(m.shape(), (Shape{3, 3}));
    EXPECT_EQ(m.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0, 1, 2, 0, 0, 0, 1, 2}));
}

TEST(Metrics, HandComputedScores) {
    EXPECT_DOUBLE_EQ(accuracy(ints(kPred), ints(kTrue)), 3.0 / 7.0);
    // precision = diagonal / column sums (3, 1, 3); recall = diagonal / row sums (2, 2, 3).
    const std::vector<double> p = precision(ints(kPred), ints(kTrue), 3);
    const std::vector<double> r = recall(ints(kPred), ints(kTrue), 3);
    const std::vector<double> f = f1_score(ints(kPred), ints(kTrue), 3);
    ASSERT_EQ(p.size(), 3u);
    EXPECT_DOUBLE_EQ(p[0], 1.0 / 3.0);
    EXPECT_DOUBLE_EQ(p[1], 0.0);
    EXPECT_DOUBLE_EQ(p[2], 2.0 / 3.0);
    EXPECT_DOUBLE_EQ(r[0], 0.5);
    EXPECT_DOUBLE_EQ(r[1], 0.0);
    EXPECT_DOUBLE_EQ(r[2], 2.0 / 3.0);
    EXPECT_DOUBLE_EQ(f[0], 0.4);  // 2·(1/3)·(1/2) / (1/3 + 1/2)
    EXPECT_DOUBLE_EQ(f[1], 0.0);
    EXPECT_DOUBLE_EQ(f[2], 2.0 / 3.0);
    const ClassScores s = class_scores(confusion_matrix(ints(kPred), ints(kTrue), 3));
    EXPECT_EQ(s.support, (std::vector<std::int64_t>{2, 2, 3}));
    EXPECT_DOUBLE_EQ(s.accuracy, 3.0 / 7.0);
    EXPECT_DOUBLE_EQ(s.macro_f1, (0.4 + 0.0 + 2.0 / 3.0) / 3.0);
    EXPECT_DOUBLE_EQ(s.macro_precision, (1.0 / 3.0 + 2.0 / 3.0) / 3.0);
}

TEST(Metrics, AbsentClassScoresZero) {
    // Class 3 is neither a target nor a prediction: 0, as sklearn's zero_division=0.
    const ClassScores s = class_scores(confusion_matrix(ints({0, 1}), ints({0, 1}), 4));
    EXPECT_DOUBLE_EQ(s.precision[3], 0.0);
    EXPECT_DOUBLE_EQ(s.recall[3], 0.0);
    EXPECT_DOUBLE_EQ(s.f1[3], 0.0);
    EXPECT_DOUBLE_EQ(s.precision[0], 1.0);
    EXPECT_DOUBLE_EQ(s.macro_f1, 0.5);
    EXPECT_DOUBLE_EQ(accuracy(Tensor::zeros({0}, {.dtype = kInt64}), Tensor::zeros({0}, {.dtype = kInt64})), 0.0);
}

TEST(Metrics, ScoresAreArgmaxed) {
    Tensor logits = Tensor::from({{0.1f, 2.0f, -1.0f}, {3.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 5.0f}});
    EXPECT_DOUBLE_EQ(accuracy(logits, ints({1, 0, 1})), 2.0 / 3.0);
    EXPECT_EQ(confusion_matrix(logits, ints({1, 0, 1}), 3).to_vector<std::int64_t>(),
              (std::vector<std::int64_t>{1, 0, 0, 0, 1, 1, 0, 0, 0}));
}

TEST(Metrics, AccumulatedBatchesEqualOneShot) {
    ConfusionMatrix m(3);
    m.update(ints({0, 0, 1}), ints({0, 1, 2}));
    m.update(ints({2, 2, 2, 0}), ints({2, 2, 0, 1}));
    EXPECT_EQ(m.total(), 7);
    EXPECT_EQ(m.matrix().to_vector<std::int64_t>(), confusion_matrix(ints(kPred), ints(kTrue), 3).to_vector<std::int64_t>());
    EXPECT_DOUBLE_EQ(m.accuracy(), 3.0 / 7.0);
    // A bad batch is refused whole: the counts stay as they were.
    EXPECT_THROW(m.update(ints({0, 3}), ints({0, 0})), Error);
    EXPECT_EQ(m.total(), 7);
    m.reset();
    EXPECT_EQ(m.total(), 0);
}

TEST(Metrics, BadInputsAreErrors) {
    EXPECT_THROW(accuracy(ints({0, 1}), ints({0})), Error);
    EXPECT_THROW(accuracy(ints({0, 1}), Tensor::from({0.f, 1.f})), Error);
    EXPECT_THROW(confusion_matrix(ints({0, -1}), ints({0, 0}), 2), Error);
    EXPECT_THROW(confusion_matrix(ints({0}), ints({5}), 2), Error);
    EXPECT_THROW(ConfusionMatrix(0), Error);
    EXPECT_THROW(class_scores(Tensor::zeros({2, 3}, {.dtype = kInt64})), Error);
}

TEST(Metrics, PickExamplesPutsMistakesFirst) {
    // Mistakes at 1, 2, 5, 6.
    std::vector<LabeledExample> first = pick_examples(ints(kPred), ints(kTrue), 3);
    ASSERT_EQ(first.size(), 3u);
    EXPECT_EQ(first[1].index, 1);
    EXPECT_EQ(first[1].target, 1);
    EXPECT_EQ(first[1].prediction, 0);
    EXPECT_TRUE(first[1].mistake());
    EXPECT_FALSE(first[0].mistake());
    std::vector<LabeledExample> m = pick_examples(ints(kPred), ints(kTrue), 6, /*mistakes_first=*/true);
    std::vector<std::int64_t> order;
    for (const auto& e : m) order.push_back(e.index);
    EXPECT_EQ(order, (std::vector<std::int64_t>{1, 2, 5, 6, 0, 3}));
    EXPECT_EQ(pick_examples(ints(kPred), ints(kTrue), 100).size(), 7u);
}

TEST(Metrics, HistoryRoundTripsThroughJson) {
    History h;
    h.add({.epoch = 1, .train_loss = 0.75, .train_accuracy = 0.5, .test_loss = 0.8, .test_accuracy = 0.45, .seconds = 2});
    h.add({.epoch = 2, .train_loss = 0.5, .test_accuracy = 0.6});
    EXPECT_EQ(h.series(&EpochRecord::test_accuracy), (std::vector<double>{0.45, 0.6}));
    History back = History::from_json(h.to_json());
    ASSERT_EQ(back.records().size(), 2u);
    EXPECT_EQ(back.records()[1].epoch, 2);
    EXPECT_EQ(back.records()[1].train_loss, 0.5);
    EXPECT_TRUE(std::isnan(back.records()[1].test_loss));
    EXPECT_EQ(back.records()[0].seconds, 2.0);
    EXPECT_THROW(History::from_json("{"), Error);
    EXPECT_THROW(History::from_json("[{\"train_loss\": 1}]"), Error);
}
