// Views of a MasterResult: the JSON report of `bounce master --json` and the short human
// summary. Analysis objects use the same keys as `bounce analyze --json`.
#pragma once

#include "bounce/master.h"

#include <nlohmann/json.hpp>
#include <string>

namespace bounce {

nlohmann::ordered_json masterToJson(const MasterResult& result, const MasterSettings& settings);
std::string masterSummary(const MasterResult& result, bool dryRun);

}  // namespace bounce
