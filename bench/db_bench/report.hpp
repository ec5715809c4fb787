// Helpers shared by the report writer (report.cpp) and its closing note (note.cpp).
#pragma once

#include <string>
#include <vector>

#include "results.hpp"

namespace db_bench {

const Row* find_row(const std::vector<Row>& rows, const std::string& engine, const std::string& workload,
                    const Sizes& s);
// Engines with at least one row at this size, in ctx.engines order.
std::vector<std::string> engines_at(const RunContext& ctx, const std::vector<Row>& rows, const Sizes& s);
std::string format_count(double v);  // 1234567 -> "1,234,567"
std::string format_fixed(double v, int decimals);
std::string size_label(const Sizes& s);  // "100,000 keys x 100 B"
// bee's ops/s over the rival's, or a negative value if either is missing.
double ratio(const std::vector<Row>& rows, const std::string& rival, const std::string& workload, const Sizes& s);

std::string closing_note(const RunContext& ctx, const std::vector<Row>& rows);

}  // namespace db_bench
