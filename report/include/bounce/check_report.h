// Views of a CheckResult: the JSON report of `bounce check --json` and the summary. The
// analysis object uses the same keys as `bounce analyze --json`.
#pragma once

#include "bounce/check.h"

#include <nlohmann/json.hpp>
#include <string>

namespace bounce {

const char* severityName(Severity s) noexcept;
// Why a finding matters, in a sentence ("" for a code it does not know).
const char* findingExplanation(const std::string& code);
nlohmann::ordered_json checkToJson(const CheckResult& result);
std::string checkSummary(const CheckResult& result);
struct CheckHtmlOptions {
    std::string title;               // what the report is of, for people (a file's name; never a server's path). "": the file name
    std::string subject = "mix";     // what the file is called in legends ("mix", "master")
    std::string target = "spotify";  // the target line on the loudness chart (the verdict's target when there is one)
    std::string generated;           // when, as printed; "": now (UTC)
};
// One self-contained HTML page (inline SVG charts, no network; a few lines of script add a
// zoom to the charts over time, and the page reads the same without them): the verdict, the
// file's facts and figures (PLR, PSR), loudness over time against the target, the waveform,
// the spectrum and each system's, stereo per band, the findings with why they matter, the
// systems, platforms and lossy round trips with units, the other version.
std::string checkToHtml(const CheckResult& result, const CheckHtmlOptions& options = {});

}  // namespace bounce
