#include "commands.h"

#include "bounce/analysis_report.h"
#include "bounce/error.h"
#include "bounce/master_report.h"
#include "bounce/spectrum_profile.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace bounce::cli {
namespace {

struct CompareArgs {
    std::string input;
    std::vector<std::string> references;
    bool json = false;
};

int runCompare(const CompareArgs& args) {
    const SpectrumProfile input = analyzeSpectrumProfile(args.input);
    std::vector<SpectrumProfile> refs;
    for (const auto& path : args.references) refs.push_back(analyzeSpectrumProfile(path));
    const SpectrumProfile average = averageProfiles(refs);
    const ReferenceMatch match = matchToReference(input, average, {});

    if (args.json) {
        nlohmann::ordered_json out;
        out["input"] = {{"path", args.input},
                        {"integrated_lufs", rounded(input.integratedLufs)},
                        {"crest_db", rounded(input.crestDb)},
                        {"width", rounded(input.overallWidth(), 2)}};
        nlohmann::ordered_json list = nlohmann::ordered_json::array();
        for (std::size_t i = 0; i < refs.size(); ++i)
            list.push_back({{"path", args.references[i]},
                            {"integrated_lufs", rounded(refs[i].integratedLufs)},
                            {"crest_db", rounded(refs[i].crestDb)},
                            {"width", rounded(refs[i].overallWidth(), 2)},
                            {"distance_db", rounded(spectralDistanceDb(input, refs[i]), 2)}});
        out["references"] = list;
        out["distance_db"] = rounded(match.distanceDb, 2);
        out["match_curve"] = matchCurveToJson(match);
        std::cout << out.dump() << "\n";
        return kExitOk;
    }
    char line[256];
    const auto value = [](std::optional<double> v) { return v ? *v : -999.0; };
    std::snprintf(line, sizeof line, "%-12s %8s %8s %7s %9s  %s\n", "", "LUFS", "PLR dB", "width", "distance", "file");
    std::cout << line;
    std::snprintf(line, sizeof line, "%-12s %8.1f %8.1f %7.2f %9s  %s\n", "input", value(input.integratedLufs), value(input.crestDb),
                  input.overallWidth(), "", args.input.c_str());
    std::cout << line;
    for (std::size_t i = 0; i < refs.size(); ++i) {
        std::snprintf(line, sizeof line, "%-12s %8.1f %8.1f %7.2f %6.2f dB  %s\n", ("reference " + std::to_string(i + 1)).c_str(),
                      value(refs[i].integratedLufs), value(refs[i].crestDb), refs[i].overallWidth(), spectralDistanceDb(input, refs[i]),
                      args.references[i].c_str());
        std::cout << line;
    }
    if (refs.size() > 1) {
        std::snprintf(line, sizeof line, "%-12s %8.1f %8.1f %7.2f %6.2f dB\n", "average", value(average.integratedLufs),
                      value(average.crestDb), average.overallWidth(), match.distanceDb);
        std::cout << line;
    }
    std::cout << "distance: third-octave RMS over 40 Hz-16 kHz, loudness-normalised; width: side/mid power, 100 Hz-10 kHz\n";
    std::cout << "tone to match (dB):";
    for (double f : {63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0}) {
        std::snprintf(line, sizeof line, " %g Hz %+.1f%s", f, match.toneAtDb(f), f < 16000.0 ? "," : "\n");
        std::cout << line;
    }
    return kExitOk;
}

}  // namespace

std::function<int()> addCompareCommand(CLI::App& app) {
    auto args = std::make_shared<CompareArgs>();
    CLI::App* cmd = app.add_subcommand("compare", "Compare a mix with reference tracks: loudness, crest, width and spectral distance");
    cmd->add_option("input", args->input, "The mix or master")->required();
    cmd->add_option("references", args->references, "One or more reference tracks")->required();
    cmd->add_flag("--json", args->json, "One JSON object, with the matching curve");
    return [args] { return runCompare(*args); };
}

}  // namespace bounce::cli
