// Views of a MasterResult: the JSON report of `bounce master --json` and the short human
// summary. Analysis objects use the same keys as `bounce analyze --json`.
#pragma once

#include "bounce/master.h"

#include <nlohmann/json.hpp>
#include <string>

namespace bounce {

// The reference-matching curve per third-octave band: tone, width change, and the mid
// and side gains they make (used by the master report and `bounce compare --json`).
nlohmann::ordered_json matchCurveToJson(const ReferenceMatch& match);

nlohmann::ordered_json masterToJson(const MasterResult& result, const MasterSettings& settings);
std::string masterSummary(const MasterResult& result, bool dryRun);

}  // namespace bounce
