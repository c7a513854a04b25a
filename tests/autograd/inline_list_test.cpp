// InlineList, the list behind a node's edges and the gradients its apply() takes and returns:
// it keeps up to N elements inside itself and spills into a std::vector beyond that. Checked
// across the spill, through moves (the engine moves gradients in and out of it), and in that
// clearing it lets go of what it held (a gradient left in a slot would keep memory alive).
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "descent/autograd/node.hpp"

using descent::autograd::InlineList;

namespace {

using List = InlineList<std::shared_ptr<int>, 3>;

std::vector<int> values(const List& l) {
    std::vector<int> out;
    for (const auto& p : l) out.push_back(p ? *p : -1);
    return out;
}

List of(std::initializer_list<int> xs) {
    List l;
    for (int x : xs) l.push_back(std::make_shared<int>(x));
    return l;
}

}  // namespace

TEST(InlineList, KeepsOrderAcrossTheSpill) {
    for (int n = 0; n <= 7; ++n) {
        List l;
        std::vector<int> expected;
        for (int i = 0; i < n; ++i) {
            l.push_back(std::make_shared<int>(i));
            expected.push_back(i);
        }
        EXPECT_EQ(l.size(), static_cast<std::size_t>(n));
        EXPECT_EQ(values(l), expected) << n << " elements";
    }
}

TEST(InlineList, InitializerListAndSizedConstruction) {
    auto a = std::make_shared<int>(1), b = std::make_shared<int>(2);
    const List two{a, b};
    EXPECT_EQ(values(two), (std::vector<int>{1, 2}));
    const List five{a, b, a, b, a};
    EXPECT_EQ(values(five), (std::vector<int>{1, 2, 1, 2, 1}));
    const List empty_slots(5);
    EXPECT_EQ(values(empty_slots), (std::vector<int>(5, -1)));
}

TEST(InlineList, MoveTakesEveryElementAndLeavesTheSourceEmptyAndUsable) {
    for (int n : {0, 2, 3, 4, 6}) {
        std::vector<int> expected;
        for (int i = 0; i < n; ++i) expected.push_back(10 + i);
        List src;
        for (int x : expected) src.push_back(std::make_shared<int>(x));
        List moved(std::move(src));
        EXPECT_EQ(values(moved), expected) << n;
        EXPECT_TRUE(src.empty()) << n;  // NOLINT(bugprone-use-after-move): checked on purpose
        src.push_back(std::make_shared<int>(7));
        EXPECT_EQ(values(src), (std::vector<int>{7})) << n;

        List assigned = of({1, 2, 3, 4});  // spilled target
        assigned = std::move(moved);
        EXPECT_EQ(values(assigned), expected) << n;
        List inline_target = of({1});
        inline_target = std::move(assigned);
        EXPECT_EQ(values(inline_target), expected) << n;
    }
}

TEST(InlineList, ResizeGrowsWithDefaultsAndShrinksReleasing) {
    auto held = std::make_shared<int>(5);
    List l{held, held};
    l.resize(4);
    EXPECT_EQ(values(l), (std::vector<int>{5, 5, -1, -1}));
    List small{held, held, held};
    small.resize(1);
    EXPECT_EQ(values(small), (std::vector<int>{5}));
    EXPECT_EQ(held.use_count(), 1 + 2 + 1);  // l's two, small's one
}

TEST(InlineList, ClearReleasesWhatItHeld) {
    auto held = std::make_shared<int>(1);
    List inline_list{held, held};
    List spilled{held, held, held, held};
    EXPECT_EQ(held.use_count(), 7);
    inline_list.clear();
    spilled.clear();
    EXPECT_EQ(held.use_count(), 1);
    EXPECT_TRUE(inline_list.empty());
    EXPECT_TRUE(spilled.empty());
    spilled.push_back(held);
    EXPECT_EQ(values(spilled), (std::vector<int>{1}));
}
