// The summary a batch prints at its end (bounce master/analyze/check with many files):
// one row per input, in the order given, with its status and the command's columns, or
// its error; then how many were done and how many failed.
#pragma once

#include <string>
#include <vector>

namespace bounce {

struct BatchRow {
    std::string input;
    bool ok = false;
    std::vector<std::string> cells;  // one per column (ok rows)
    std::string error;               // failed rows
};

// `verb` says what was done ("mastered", "analysed", "checked").
std::string batchSummary(const std::string& verb, const std::vector<std::string>& columns, const std::vector<BatchRow>& rows);

}  // namespace bounce
