#include "bounce/master_report.h"

#include "bounce/analysis_report.h"

#include <cmath>
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
    nlohmann::ordered_json json{
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
    if (r.match) {
        const auto round2 = [](double v) { return std::round(v * 100) / 100; };
        const auto optional = [](std::optional<double> v) { return v ? nlohmann::ordered_json(std::round(*v * 100) / 100) : nlohmann::ordered_json(nullptr); };
        nlohmann::ordered_json refs = nlohmann::ordered_json::array();
        for (const auto& ref : r.references)
            refs.push_back({{"path", ref.path}, {"integrated_lufs", optional(ref.integratedLufs)}, {"crest_db", optional(ref.crestDb)},
                            {"width", round2(ref.width)}, {"distance_before_db", round2(ref.distanceBeforeDb)},
                            {"distance_after_db", settings.dryRun ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(round2(ref.distanceAfterDb))}});
        nlohmann::ordered_json curve = nlohmann::ordered_json::array();
        for (std::size_t b = 0; b < r.match->bandHz.size(); ++b) {
            const double tone = r.match->toneDb[b];
            curve.push_back({{"hz", round2(r.match->bandHz[b])}, {"mid_db", round2(tone + r.match->midWidthDb[b])},
                             {"side_db", round2(tone + r.match->sideWidthDb[b])}, {"tone_db", round2(tone)},
                             {"width_change_db", round2(r.match->widthChangeDb[b])}});
        }
        json["reference_match"] = {
            {"amounts", {{"tone", settings.match.tone}, {"width", settings.match.width}, {"loudness", settings.match.loudness},
                         {"dynamics", settings.match.dynamics}}},
            {"references", refs},
            {"loudness_lufs", {{"input", round2(r.match->inputLufs)}, {"reference", round2(r.match->referenceLufs)},
                               {"output", optional(r.output.integratedLufs)}}},
            {"crest_db", {{"input", round2(r.match->inputCrestDb)}, {"reference", round2(r.match->referenceCrestDb)},
                          {"output", optional(r.outputCrestDb)}}},
            {"width", {{"input", round2(r.match->inputWidth)}, {"reference", round2(r.match->referenceWidth)}, {"output", round2(r.outputWidth)}}},
            {"distance_db", {{"before", round2(r.distanceBeforeDb)}, {"after", settings.dryRun ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(round2(r.distanceAfterDb))},
                             {"measure", "third-octave RMS over 40 Hz-16 kHz, loudness-normalised"}}},
            {"curve", curve},
        };
    }
    return json;
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
    std::snprintf(line, sizeof line, "  gain %+.2f dB, limiter up to %.1f dB, %d pass%s%s\n", r.gainDb, limiting + 0.0, r.passes,
                  r.passes == 1 ? "" : "es", r.reachedTarget ? "" : ", target NOT reached");
    out << line;
    if (r.match && dryRun) {
        std::snprintf(line, sizeof line, "  reference match: distance %.2f dB now (third-octave RMS), width %.2f (reference %.2f); the result is measured when written\n",
                      r.distanceBeforeDb, r.match->inputWidth, r.match->referenceWidth);
        out << line;
    } else if (r.match) {
        std::snprintf(line, sizeof line, "  reference match: distance %.2f dB -> %.2f dB (third-octave RMS), width %.2f -> %.2f (reference %.2f)\n",
                      r.distanceBeforeDb, r.distanceAfterDb, r.match->inputWidth, r.outputWidth, r.match->referenceWidth);
        out << line;
    }
    if (!dryRun && !r.output.path.empty()) out << "  wrote " << r.output.path << "\n";
    return out.str();
}

}  // namespace bounce
