#include "commands.h"

#include "bounce/atomic_output.h"
#include "bounce/check.h"
#include "bounce/check_report.h"

#include <iostream>
#include <memory>
#include <sstream>

namespace bounce::cli {
namespace {

struct CheckArgs {
    std::string input, previewDir, jsonPath, systems, against, reportPath;
    bool noCodecs = false;
};

int runCheck(const CheckArgs& a) {
    CheckSettings s;
    s.previewDir = a.previewDir;
    s.againstPath = a.against;
    s.codecs = !a.noCodecs;
    std::stringstream list(a.systems);
    for (std::string name; std::getline(list, name, ',');)
        if (!name.empty()) s.systems.push_back(name);
    // A report may not replace an input, nor the other report: refused before any work.
    if (!a.jsonPath.empty()) ensureNotAnInput(a.jsonPath, {a.input, a.against, a.reportPath});
    if (!a.reportPath.empty()) ensureNotAnInput(a.reportPath, {a.input, a.against});
    const CheckResult result = checkFile(a.input, s);
    if (!a.jsonPath.empty()) {
        writeTextFile(a.jsonPath, checkToJson(result).dump(2) + "\n", {a.input, a.against});
    }
    if (!a.reportPath.empty()) {
        writeTextFile(a.reportPath, checkToHtml(result), {a.input, a.against});
    }
    std::cout << checkSummary(result);
    if (!a.jsonPath.empty()) std::cout << "wrote " << a.jsonPath << "\n";
    if (!a.reportPath.empty()) std::cout << "wrote " << a.reportPath << " (open it in a browser)\n";
    for (const auto& f : result.findings)
        if (f.severity == Severity::Error) return kExitFailed;
    return kExitOk;
}

}  // namespace

std::function<int()> addCheckCommand(CLI::App& app) {
    auto a = std::make_shared<CheckArgs>();
    CLI::App* cmd = app.add_subcommand(
        "check",
        "How a mix plays on earbuds, a phone, a laptop, a TV, a car and a club, what mono and the platforms do to it, and a QC report");
    cmd->add_option("input", a->input, "The mix or master")->required();
    cmd->add_option("--systems", a->systems, "Which systems, comma-separated (default all: earbuds,phone,laptop,tv,car,club)");
    cmd->add_option("--preview", a->previewDir, "Write one WAV per system to this folder, to listen to");
    cmd->add_option("--against", a->against,
                    "Another version of the mix: line them up and report what changed (loudness, bands, width, null residual)");
    cmd->add_option("--json", a->jsonPath, "Write the report as JSON");
    cmd->add_option("--report", a->reportPath, "Write the report as one self-contained HTML page with plots");
    cmd->add_flag("--no-codecs", a->noCodecs, "Skip the lossy round trips (AAC, MP3, Opus through ffmpeg)");
    return [a] { return runCheck(*a); };
}

}  // namespace bounce::cli
