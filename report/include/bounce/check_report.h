// Views of a CheckResult: the JSON report of `bounce check --json` and the summary. The
// analysis object uses the same keys as `bounce analyze --json`.
#pragma once

#include "bounce/check.h"

#include <nlohmann/json.hpp>
#include <string>

namespace bounce {

const char* severityName(Severity s) noexcept;
nlohmann::ordered_json checkToJson(const CheckResult& result);
std::string checkSummary(const CheckResult& result);
// One self-contained HTML page (inline SVG charts, no script, no network): loudness over
// time against `targetLufs`, the spectrum of the input and of each system (and of the other
// version), the waveform with clip markers, stereo per band, the tables and findings.
std::string checkToHtml(const CheckResult& result, double targetLufs = -14.0);

}  // namespace bounce
