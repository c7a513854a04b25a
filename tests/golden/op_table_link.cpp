// Compiles the gradcheck test's op table (tests/ops/op_table.cpp) into test_golden too,
// so Golden.EveryOpHasACase checks that every op of that one table has a golden case.
#include "ops/op_table.cpp"
