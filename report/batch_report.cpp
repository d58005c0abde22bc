#include "bounce/batch_report.h"

#include <algorithm>
#include <sstream>

namespace bounce {

std::string batchSummary(const std::string& verb, const std::vector<std::string>& columns, const std::vector<BatchRow>& rows) {
    // Column widths from the header and the ok rows; an error runs on to the line's end.
    std::vector<std::size_t> widths{5, 6};  // "input", "status"
    for (const auto& c : columns) widths.push_back(c.size());
    for (const auto& r : rows) {
        widths[0] = std::max(widths[0], r.input.size());
        for (std::size_t i = 0; r.ok && i < r.cells.size() && i + 2 < widths.size(); ++i)
            widths[i + 2] = std::max(widths[i + 2], r.cells[i].size());
    }
    std::ostringstream out;
    const auto cell = [&out, &widths](std::size_t column, const std::string& text, bool last) {
        out << text;
        if (!last) out << std::string(widths[column] - std::min(widths[column], text.size()) + 2, ' ');
    };
    cell(0, "input", false);
    cell(1, "status", columns.empty());
    for (std::size_t i = 0; i < columns.size(); ++i) cell(i + 2, columns[i], i + 1 == columns.size());
    out << "\n";
    std::size_t failed = 0;
    for (const auto& r : rows) {
        cell(0, r.input, false);
        if (!r.ok) {
            ++failed;
            out << "FAILED  " << r.error << "\n";
            continue;
        }
        cell(1, "ok", r.cells.empty());
        for (std::size_t i = 0; i < r.cells.size() && i < columns.size(); ++i) cell(i + 2, r.cells[i], i + 1 == r.cells.size());
        out << "\n";
    }
    out << verb << " " << rows.size() - failed << " of " << rows.size();
    if (failed > 0) out << "; " << failed << " failed";
    out << "\n";
    return out.str();
}

}  // namespace bounce
