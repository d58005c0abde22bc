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

// A verdict against a delivery target (bounce check --target, the master's report).
nlohmann::ordered_json targetVerdictToJson(const TargetVerdict& verdict);
// "PASSES spotify (-14 LUFS +/-1 LU, -1 dBTP)" or "FAILS ...", then each criterion's line.
std::string targetVerdictText(const TargetVerdict& verdict);

nlohmann::ordered_json masterToJson(const MasterResult& result, const MasterSettings& settings);
std::string masterSummary(const MasterResult& result, bool dryRun);

}  // namespace bounce
