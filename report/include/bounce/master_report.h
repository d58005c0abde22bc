// Views of a MasterResult: the JSON report of `bounce master --json` and the short human
// summary. Analysis objects use the same keys as `bounce analyze --json`.
#pragma once

#include "bounce/check.h"
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

struct MasterHtmlOptions {
    std::string title;      // what it is a master of, for people (a file's name; never a server's path)
    std::string generated;  // when, as printed; "": now (UTC)
};
// The master report: mix and master side by side (`before` and `after` are checkFile's views
// of the two files, without playback systems): the verdict, what was done and why, the
// figures, loudness, true peak and gain reduction over time, spectra, tone and width before
// and after, every stage, the platforms. One self-contained HTML file.
std::string masterToHtml(const MasterResult& result, const CheckResult& before, const CheckResult& after, const TargetVerdict& verdict,
                         const MasterHtmlOptions& options = {});
// The master judged against its target (the named one, or the loudness and ceiling asked for
// instead, with a 1 LU tolerance).
TargetVerdict masterVerdict(const MasterResult& result, const MasterSettings& settings);
// The report page from the files: reads the mix and the master once more each (two
// streaming passes) for their curves, then masterToHtml.
std::string masterReportPage(const MasterResult& result, const MasterSettings& settings, const std::string& inputPath,
                             const std::string& masterPath, const MasterHtmlOptions& options = {});

}  // namespace bounce
