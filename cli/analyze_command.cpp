#include "commands.h"

#include "bounce/analysis.h"
#include "bounce/analysis_report.h"
#include "bounce/atomic_output.h"
#include "bounce/error.h"

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
};

int runAnalyze(const AnalyzeArgs& args) {
    if (!args.curvePath.empty() && args.files.size() != 1) {
        std::cerr << "bounce: --curve takes exactly one input file\n";
        return kExitUsage;
    }
    int exitCode = kExitOk;
    for (const auto& path : args.files) {
        try {
            AnalyzeOptions options;
            std::unique_ptr<TextOutput> curve;
            if (!args.curvePath.empty()) {
                curve = std::make_unique<TextOutput>(args.curvePath, args.files);
                curve->write(loudnessCurveCsvHeader());
                options.onHop = [&curve](const LoudnessHop& hop) { curve->write(loudnessCurveCsvRow(hop)); };
            }
            const AnalysisResult result = analyzeFile(path, options);
            if (curve) curve->commit();
            for (const auto& warning : result.warnings) std::cerr << "bounce: " << path << ": warning: " << warning << "\n";
            if (args.json)
                std::cout << analysisToJson(result).dump() << "\n";
            else
                std::cout << analysisTable(result) << (path == args.files.back() ? "" : "\n");
        } catch (const Error& e) {
            std::cerr << "bounce: " << e.what() << "\n";
            exitCode = kExitFailed;
        }
    }
    return exitCode;
}

}  // namespace

std::function<int()> addAnalyzeCommand(CLI::App& app) {
    auto args = std::make_shared<AnalyzeArgs>();
    CLI::App* cmd = app.add_subcommand("analyze", "Measure loudness (BS.1770-4 / EBU R 128), true peak, loudness range and QC statistics");
    cmd->add_option("files", args->files, "Sound files to analyse")->required();
    cmd->add_flag("--json", args->json, "One JSON object per file, one per line");
    cmd->add_option("--curve", args->curvePath, "Write momentary and short-term loudness every 100 ms as CSV");
    return [args] { return runAnalyze(*args); };
}

}  // namespace bounce::cli
