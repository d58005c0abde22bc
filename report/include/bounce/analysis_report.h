// Views of an AnalysisResult: the JSON object of `bounce analyze --json`, the human
// table, and the loudness-curve CSV. Key names are the public contract (docs/analyze.md).
#pragma once

#include "bounce/analysis.h"

#include <nlohmann/json.hpp>
#include <string>

namespace bounce {

// A reading for a JSON report: rounded to `decimals` places (stable text, no "-0"), null
// when it does not exist or is not finite. Every report uses it.
nlohmann::ordered_json rounded(std::optional<double> value, int decimals = 4);

// Exactly the documented keys; a value that does not exist (the loudness of silence) is null.
nlohmann::ordered_json analysisToJson(const AnalysisResult& result);

std::string analysisTable(const AnalysisResult& result);

std::string loudnessCurveCsvHeader();
std::string loudnessCurveCsvRow(const LoudnessHop& hop);

}  // namespace bounce
