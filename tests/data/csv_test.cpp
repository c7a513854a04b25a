// CSVDataset: features and class indices, label order, regression targets,
// quoting and line endings, and errors that name the file and line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "descent/data/csv.hpp"

using namespace descent;
using namespace descent::data;
namespace fs = std::filesystem;

namespace {

struct TempCsv {
    fs::path path;
    explicit TempCsv(const std::string& text) {
        path = fs::temp_directory_path() / ("descent_csv_test_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".csv");
        std::ofstream(path, std::ios::binary) << text;
    }
    ~TempCsv() { fs::remove(path); }
    std::string str() const { return path.string(); }
};

std::string error_of(const std::string& text, const CSVOptions& options) {
    TempCsv f(text);
    try {
        CSVDataset ds(f.str(), options);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(CSVDataset, FeaturesAndSortedClassLabels) {
    TempCsv f(
        "sepal_length,sepal_width,species\n"
        "5.1,3.5,setosa\n"
        "7.0,3.2,versicolor\n"
        "6.3,3.3,virginica\n"
        "4.9,3.0,setosa\n");
    CSVDataset ds(f.str(), {.target = "species"});
    ASSERT_EQ(ds.size(), 4);
    EXPECT_EQ(ds.num_features(), 2);
    EXPECT_EQ(ds.feature_names(), (std::vector<std::string>{"sepal_length", "sepal_width"}));
    EXPECT_EQ(ds.classes(), (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
    EXPECT_EQ(ds.features().dtype(), kFloat32);
    EXPECT_EQ(ds.features().to_vector<float>(), (std::vector<float>{5.1f, 3.5f, 7.0f, 3.2f, 6.3f, 3.3f, 4.9f, 3.0f}));
    EXPECT_EQ(ds.targets().to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1, 2, 0}));
    Example e = ds.get(2);
    EXPECT_EQ(e.input.shape(), (Shape{2}));
    EXPECT_EQ(e.target.dim(), 0);
    EXPECT_EQ(e.target.item<std::int64_t>(), 2);
    Example b = ds.get_batch({3, 1});
    EXPECT_EQ(b.input.to_vector<float>(), (std::vector<float>{4.9f, 3.0f, 7.0f, 3.2f}));
    EXPECT_EQ(b.target.to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1}));
    EXPECT_THROW(ds.get(4), Error);
}

TEST(CSVDataset, NumericLabelsSortNumerically) {
    TempCsv f("label,x\n10,1\n2,2\n1,3\n2,4\n");
    CSVDataset ds(f.str(), {.target = "label"});
    EXPECT_EQ(ds.classes(), (std::vector<std::string>{"1", "2", "10"}));
    EXPECT_EQ(ds.targets().to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 1, 0, 1}));
}

TEST(CSVDataset, RegressionTargetsAndChosenFeatures) {
    TempCsv f("a,b,c,y\n1,2,3,0.5\n4,5,6,-1e3\n");
    CSVDataset ds(f.str(), {.target = "y", .features = {"c", "a"}, .classification = false, .dtype = kFloat64});
    EXPECT_EQ(ds.feature_names(), (std::vector<std::string>{"c", "a"}));
    EXPECT_EQ(ds.features().to_vector<double>(), (std::vector<double>{3, 1, 6, 4}));
    EXPECT_EQ(ds.targets().shape(), (Shape{2, 1}));
    EXPECT_EQ(ds.targets().to_vector<double>(), (std::vector<double>{0.5, -1000.0}));
    EXPECT_TRUE(ds.classes().empty());
    EXPECT_EQ(ds.get_batch({1}).target.shape(), (Shape{1, 1}));
}

TEST(CSVDataset, QuotesCrlfBomAndBlankLines) {
    TempCsv f("\xEF\xBB\xBF\"x\",label\r\n\r\n 1.5 ,\"big, red\"\r\n\"-2\",\"say \"\"hi\"\"\"\r\n\r\n");
    CSVDataset ds(f.str(), {.target = "label"});
    ASSERT_EQ(ds.size(), 2);
    EXPECT_EQ(ds.features().to_vector<float>(), (std::vector<float>{1.5f, -2.0f}));
    EXPECT_EQ(ds.classes(), (std::vector<std::string>{"big, red", "say \"hi\""}));
}

TEST(CSVDataset, ErrorsNameFileAndLine) {
    std::string e = error_of("a,b,y\n1,2,x\n3,4\n", {.target = "y"});
    EXPECT_NE(e.find(".csv:3: 2 fields"), std::string::npos) << e;
    EXPECT_NE(e.find("3 columns"), std::string::npos) << e;
    e = error_of("a,b,y\n1,2,x\n\n3,abc,z\n", {.target = "y"});
    EXPECT_NE(e.find(".csv:4: column \"b\""), std::string::npos) << e;
    EXPECT_NE(e.find("\"abc\" is not a number"), std::string::npos) << e;
    e = error_of("a,b,y\n1,,x\n", {.target = "y"});
    EXPECT_NE(e.find(":2: column \"b\""), std::string::npos) << e;
    e = error_of("a,y\n1,x\n", {.target = "y", .classification = false});
    EXPECT_NE(e.find(":2: target column \"y\""), std::string::npos) << e;
    e = error_of("a,y\n1,\n", {.target = "y"});
    EXPECT_NE(e.find(":2: empty target"), std::string::npos) << e;
    e = error_of("a,b\n1,2\n", {.target = "label"});
    EXPECT_NE(e.find("no target column \"label\""), std::string::npos) << e;
    EXPECT_NE(e.find("columns: a, b"), std::string::npos) << e;
    e = error_of("a,a,y\n", {.target = "y"});
    EXPECT_NE(e.find("duplicate column name \"a\""), std::string::npos) << e;
    e = error_of("a,y\n\"1,x\n", {.target = "y"});
    EXPECT_NE(e.find(":2: unterminated quote"), std::string::npos) << e;
    e = error_of("", {.target = "y"});
    EXPECT_NE(e.find("empty"), std::string::npos) << e;
    e = error_of("a,y\n", {});
    EXPECT_NE(e.find("no target column given"), std::string::npos) << e;
    e = error_of("a,y\n1,2\n", {.target = "y", .features = {"y"}});
    EXPECT_NE(e.find("both the target and a feature"), std::string::npos) << e;
    EXPECT_THROW(CSVDataset("/nonexistent/file.csv", {.target = "y"}), Error);
}
