#include "commands.h"

#include "bounce/analysis.h"
#include "bounce/analysis_report.h"
#include "bounce/atomic_output.h"
#include "bounce/batch_report.h"
#include "bounce/error.h"
#include "bounce/standard_streams.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace bounce::cli {
namespace {

struct AnalyzeArgs {
    std::vector<std::string> files;
    bool json = false;
    std::string curvePath;
    int jobs = 0;  // the machine's cores
};

// One file: its table (or JSON line) and its warnings, as text to print in order.
struct Measured {
    AnalysisResult result;
    std::string out, err;
};

Measured analyzeOne(const AnalyzeArgs& args, const std::string& path, const std::string& given) {
    Measured m;
    AnalyzeOptions options;
    std::unique_ptr<TextOutput> curve;
    if (!args.curvePath.empty()) {
        curve = std::make_unique<TextOutput>(args.curvePath, args.files);
        curve->write(loudnessCurveCsvHeader());
        options.onHop = [&curve](const LoudnessHop& hop) { curve->write(loudnessCurveCsvRow(hop)); };
    }
    m.result = analyzeFile(path, options);
    if (given == kStandardStream) m.result.path = "standard input";
    if (curve) curve->commit();
    for (const auto& warning : m.result.warnings) m.err += "bounce: " + m.result.path + ": warning: " + warning + "\n";
    m.out = args.json ? analysisToJson(m.result).dump() + "\n" : analysisTable(m.result);
    return m;
}

// Files are measured --jobs at a time and printed in the order given, each as soon as
// those before it are; a file that cannot be measured is named on stderr and the rest go
// on (exit code 1). Several files in tables end with a summary, one row per file.
int runAnalyze(const AnalyzeArgs& args) {
    if (!args.curvePath.empty() && args.files.size() != 1) {
        std::cerr << "bounce: --curve takes exactly one input file\n";
        return kExitUsage;
    }
    StandardStreams streams;  // "-": standard input, read once into a scratch file
    std::vector<std::string> paths;
    for (const auto& file : args.files) paths.push_back(streams.input(file));
    const std::size_t count = args.files.size();
    std::vector<Measured> measured(count);
    std::vector<char> finished(count, 0);
    std::size_t printed = 0;
    const auto outcomes = runBatch(
        count, args.jobs, [&](std::size_t i) { measured[i] = analyzeOne(args, paths[i], args.files[i]); },
        [&](std::size_t i, const BatchOutcome& outcome) {
            if (!outcome.ok) measured[i].err = "bounce: " + withStandardStreamNames(outcome.error) + "\n";
            finished[i] = 1;
            for (; printed < count && finished[printed]; ++printed) {
                std::cerr << measured[printed].err << std::flush;
                std::cout << measured[printed].out << (args.json || printed + 1 == count || measured[printed].out.empty() ? "" : "\n")
                          << std::flush;
            }
        });
    std::vector<BatchRow> rows;
    bool failed = false;
    for (std::size_t i = 0; i < count; ++i) {
        failed = failed || !outcomes[i].ok;
        BatchRow row{args.files[i], outcomes[i].ok, {}, outcomes[i].error};
        const AnalysisResult& r = measured[i].result;
        if (row.ok) row.cells = {formatNumber(r.integratedLufs, 1), formatNumber(r.loudnessRangeLu, 1), formatNumber(r.truePeakDbtp, 2)};
        rows.push_back(std::move(row));
    }
    if (count > 1 && !args.json && !quiet()) std::cout << "\n" << batchSummary("analysed", {"LUFS", "LRA", "dBTP"}, rows);
    return failed ? kExitFailed : kExitOk;
}

}  // namespace

std::function<int()> addAnalyzeCommand(CLI::App& app) {
    auto args = std::make_shared<AnalyzeArgs>();
    CLI::App* cmd = app.add_subcommand("analyze", "Measure loudness (BS.1770-4 / EBU R 128), true peak, loudness range and QC statistics");
    cmd->add_option("files", args->files, "Sound files to analyse")->required();
    cmd->add_flag("--json", args->json, "One JSON object per file, one per line");
    cmd->add_option("--curve", args->curvePath, "Write momentary and short-term loudness every 100 ms as CSV");
    cmd->add_option("--jobs", args->jobs, "Files measured at a time (default: the machine's cores)")->check(CLI::Range(1, 256));
    return [args] { return runAnalyze(*args); };
}

}  // namespace bounce::cli
