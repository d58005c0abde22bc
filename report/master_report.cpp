#include "bounce/master_report.h"

#include "bounce/analysis_report.h"

#include <cstdio>
#include <sstream>

namespace bounce {

nlohmann::ordered_json masterToJson(const MasterResult& r, const MasterSettings& settings) {
    nlohmann::ordered_json stages = nlohmann::ordered_json::array();
    for (const auto& s : r.stages) {
        nlohmann::ordered_json stage{{"name", s.name}, {"detail", s.detail}};
        for (const auto& [k, v] : s.settings) stage["settings"][k] = v;
        for (const auto& [k, v] : s.effect) stage["effect"][k] = v;
        stages.push_back(stage);
    }
    nlohmann::ordered_json playback = nlohmann::ordered_json::array();
    for (const auto& p : r.playback)
        playback.push_back({{"platform", p.platform}, {"target_lufs", p.targetLufs}, {"playback_gain_db", std::round(p.playbackGainDb * 100) / 100}});
    return nlohmann::ordered_json{
        {"target", {{"name", settings.target}, {"integrated_lufs", r.targetLufs}, {"ceiling_dbtp", r.ceilingDbtp}}},
        {"style", settings.style},
        {"intensity", settings.intensity},
        {"reached_target", r.reachedTarget},
        {"passes", r.passes},
        {"gain_db", std::round(r.gainDb * 1000) / 1000},
        {"input", analysisToJson(r.input)},
        {"output", analysisToJson(r.output)},
        {"stages", stages},
        {"platform_playback", playback},
        {"warnings", r.warnings},
    };
}

std::string masterSummary(const MasterResult& r, bool dryRun) {
    std::ostringstream out;
    char line[256];
    const auto value = [](std::optional<double> v) { return v ? *v : -999.0; };
    std::snprintf(line, sizeof line, "%s %.1f LUFS, %.2f dBTP  ->  %.1f LUFS, %.2f dBTP (target %.1f LUFS, ceiling %.1f dBTP)\n",
                  dryRun ? "would master" : "mastered", value(r.input.integratedLufs), value(r.input.truePeakDbtp),
                  value(r.output.integratedLufs), value(r.output.truePeakDbtp), r.targetLufs, r.ceilingDbtp);
    out << line;
    double limiting = 0.0;
    for (const auto& s : r.stages)
        if (s.name == "limiter") limiting = s.effect.count("max_gain_reduction_db") ? s.effect.at("max_gain_reduction_db") : 0.0;
    std::snprintf(line, sizeof line, "  gain %+.2f dB, limiter up to %.1f dB, %d pass%s%s\n", r.gainDb, limiting, r.passes,
                  r.passes == 1 ? "" : "es", r.reachedTarget ? "" : ", target NOT reached");
    out << line;
    if (!dryRun && !r.output.path.empty()) out << "  wrote " << r.output.path << "\n";
    return out.str();
}

}  // namespace bounce
