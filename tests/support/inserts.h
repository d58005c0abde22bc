// Builds inserts in code, as a chain file would give them.
#pragma once

#include "bounce/insert_spec.h"
#include "bounce/processor.h"
#include "bounce/processor_registry.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace bounce::test {

using Param = std::pair<std::string, ParamValue>;

inline InsertSpec makeInsert(const std::string& type, const std::vector<Param>& params) {
    InsertSpec insert;
    insert.type = type;
    insert.params.source = "test";
    insert.params.line = 1;
    for (const auto& [key, value] : params) insert.params.entries[key] = {value, 1};
    return insert;
}

// A nested table (e.g. one [[insert.band]]).
inline ParamTable makeTable(const std::vector<Param>& params) {
    ParamTable table;
    table.source = "test";
    table.line = 1;
    for (const auto& [key, value] : params) table.entries[key] = {value, 1};
    return table;
}

inline std::unique_ptr<Processor> makeProcessor(const std::string& type, const std::vector<Param>& params, int channels) {
    return createProcessor(makeInsert(type, params), channels);
}

}  // namespace bounce::test
