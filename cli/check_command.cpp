#include "commands.h"

#include "bounce/atomic_output.h"
#include "bounce/check.h"
#include "bounce/batch_report.h"
#include "bounce/check_report.h"
#include "bounce/error.h"

#include <filesystem>

#include <iostream>
#include <memory>
#include <sstream>

namespace bounce::cli {
namespace {

struct CheckArgs {
    std::vector<std::string> inputs;
    std::string previewDir, jsonPath, systems, against, reportPath, target;
    bool noCodecs = false;
    int jobs = 0;
};

CheckSettings settingsFrom(const CheckArgs& a) {
    CheckSettings s;
    s.previewDir = a.previewDir;
    s.againstPath = a.against;
    s.codecs = !a.noCodecs;
    s.target = a.target;
    std::stringstream list(a.systems);
    for (std::string name; std::getline(list, name, ',');)
        if (!name.empty()) s.systems.push_back(name);
    return s;
}

// QC errors, or a chosen target not met.
bool failsQc(const CheckResult& result) {
    if (result.verdict && !result.verdict->passes()) return true;
    for (const auto& f : result.findings)
        if (f.severity == Severity::Error) return true;
    return false;
}

CheckHtmlOptions reportOptions(const CheckArgs& a, const std::string& input) {
    CheckHtmlOptions o;
    o.title = std::filesystem::path(input).filename().string();
    o.target = a.target.empty() ? "spotify" : a.target;
    return o;
}

int runOne(const CheckArgs& a) {
    const std::string& input = a.inputs.front();
    // A report may not replace an input, nor the other report: refused before any work.
    if (!a.jsonPath.empty()) ensureNotAnInput(a.jsonPath, {input, a.against, a.reportPath});
    if (!a.reportPath.empty()) ensureNotAnInput(a.reportPath, {input, a.against});
    CheckSettings settings = settingsFrom(a);
    settings.onProgress = terminalProgress("checking");
    const CheckResult result = checkFile(input, settings);
    if (!a.jsonPath.empty()) writeTextFile(a.jsonPath, checkToJson(result).dump(2) + "\n", {input, a.against});
    if (!a.reportPath.empty()) writeTextFile(a.reportPath, checkToHtml(result, reportOptions(a, input)), {input, a.against});
    if (!quiet()) {
        std::cout << checkSummary(result);
        if (!a.jsonPath.empty()) std::cout << "wrote " << a.jsonPath << "\n";
        if (!a.reportPath.empty()) std::cout << "wrote " << a.reportPath << " (open it in a browser)\n";
    }
    return failsQc(result) ? kExitFailed : kExitOk;
}

// Several mixes: each checked --jobs at a time, with its reports in the folders --json and
// --report name (NAME.check.json, NAME.check.html) and its previews in --preview/NAME/;
// a summary at the end. Exit 1 when one could not be checked or fails QC.
int runMany(const CheckArgs& a) {
    if (!a.against.empty()) throw ConfigError("--against compares two versions of one mix: check one file with it");
    for (const std::string* folder : {&a.jsonPath, &a.reportPath, &a.previewDir}) {
        std::error_code ec;
        if (!folder->empty() && !std::filesystem::is_directory(*folder, ec) && !std::filesystem::create_directories(*folder, ec))
            throw ConfigError(*folder + ": cannot make the folder for the reports (" + ec.message() + ")");
    }
    const auto named = [](const std::string& folder, const std::string& input, const std::string& extension) {
        return folder.empty() ? std::string()
                              : (std::filesystem::path(folder) / (std::filesystem::path(input).stem().string() + extension)).string();
    };
    std::vector<CheckResult> results(a.inputs.size());
    BatchProgress progress("checked", a.inputs.size());
    const auto outcomes = runBatch(
        a.inputs.size(), a.jobs,
        [&](std::size_t i) {
            CheckSettings s = settingsFrom(a);
            s.previewDir = named(a.previewDir, a.inputs[i], "");
            results[i] = checkFile(a.inputs[i], s);
            if (!a.jsonPath.empty())
                writeTextFile(named(a.jsonPath, a.inputs[i], ".check.json"), checkToJson(results[i]).dump(2) + "\n", a.inputs);
            if (!a.reportPath.empty())
                writeTextFile(named(a.reportPath, a.inputs[i], ".check.html"), checkToHtml(results[i], reportOptions(a, a.inputs[i])),
                              a.inputs);
        },
        [&](std::size_t i, const BatchOutcome& outcome) { progress.finished(a.inputs[i], outcome, ""); });
    std::vector<BatchRow> rows;
    bool failed = progress.failures() > 0;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        BatchRow row{a.inputs[i], outcomes[i].ok, {}, outcomes[i].error};
        if (row.ok) {
            std::size_t errors = 0, warnings = 0;
            for (const auto& f : results[i].findings) {
                if (f.severity == Severity::Error) ++errors;
                if (f.severity == Severity::Warning) ++warnings;
            }
            const bool fails = failsQc(results[i]);
            failed = failed || fails;
            row.cells = {formatNumber(results[i].analysis.integratedLufs, 1), formatNumber(results[i].analysis.truePeakDbtp, 2),
                         fails ? (errors > 0 ? "FAILS QC" : "FAILS " + a.target) : "passes",
                         std::to_string(errors) + " errors, " + std::to_string(warnings) + " warnings"};
        }
        rows.push_back(std::move(row));
    }
    if (!quiet()) std::cout << batchSummary("checked", {"LUFS", "dBTP", "QC", "findings"}, rows);
    return failed ? kExitFailed : kExitOk;
}

int runCheck(const CheckArgs& a) { return a.inputs.size() == 1 ? runOne(a) : runMany(a); }

}  // namespace

std::function<int()> addCheckCommand(CLI::App& app) {
    auto a = std::make_shared<CheckArgs>();
    CLI::App* cmd = app.add_subcommand(
        "check",
        "How a mix plays on earbuds, a phone, a laptop, a TV, a car and a club, what mono and the platforms do to it, and a QC report");
    cmd->add_option("inputs", a->inputs, "The mix or master (several: each checked, --json/--report/--preview then name folders)")
        ->required();
    cmd->add_option("--jobs", a->jobs, "Files checked at a time (default: the machine's cores)")->check(CLI::Range(1, 256));
    cmd->add_option("--target", a->target,
                    "Pass or fail against a delivery target (spotify, apple, youtube, ebu-r128, atsc-a85, cd, ...): its loudness within "
                    "its tolerance and its true peak under its ceiling; a fail exits 1");
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
