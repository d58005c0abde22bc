#include "bounce/master_report.h"

#include "bounce/analysis_report.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace bounce {

nlohmann::ordered_json matchCurveToJson(const ReferenceMatch& match) {
    nlohmann::ordered_json curve = nlohmann::ordered_json::array();
    for (std::size_t b = 0; b < match.bandHz.size(); ++b) {
        const double tone = match.toneDb[b];
        curve.push_back({{"hz", rounded(match.bandHz[b], 2)},
                         {"mid_db", rounded(tone + match.midWidthDb[b], 2)},
                         {"side_db", rounded(tone + match.sideWidthDb[b], 2)},
                         {"tone_db", rounded(tone, 2)},
                         {"width_change_db", rounded(match.widthChangeDb[b], 2)}});
    }
    return curve;
}

nlohmann::ordered_json targetVerdictToJson(const TargetVerdict& v) {
    return {{"target", v.target},
            {"passes", v.passes()},
            {"target_lufs", rounded(v.targetLufs, 1)},
            {"tolerance_lu", rounded(v.toleranceLu, 1)},
            {"tolerance_source", v.toleranceSource},
            {"ceiling_dbtp", rounded(v.ceilingDbtp, 1)},
            {"integrated_lufs", rounded(v.integratedLufs, 1)},
            {"true_peak_dbtp", rounded(v.truePeakDbtp, 2)},
            {"loudness_met", v.loudnessMet},
            {"true_peak_met", v.peakMet},
            {"why", v.why}};
}

std::string targetVerdictText(const TargetVerdict& v) {
    char head[200];
    std::snprintf(head, sizeof head, "%s %s (%.1f LUFS +/-%.1f LU, ceiling %.1f dBTP)\n", v.passes() ? "PASSES" : "FAILS", v.target.c_str(),
                  v.targetLufs, v.toleranceLu, v.ceilingDbtp);
    std::string text = head;
    for (const auto& line : v.why) text += "  " + line + "\n";
    return text;
}

namespace {

nlohmann::ordered_json stagesToJson(const std::vector<MasterStage>& all) {
    nlohmann::ordered_json stages = nlohmann::ordered_json::array();
    for (const auto& s : all) {
        nlohmann::ordered_json stage{{"name", s.name}, {"active", s.active}, {"detail", s.detail}};
        for (const auto& [k, v] : s.settings) stage["settings"][k] = v;
        for (const auto& [k, v] : s.effect) stage["effect"][k] = v;
        stages.push_back(stage);
    }
    return stages;
}

}  // namespace

nlohmann::ordered_json masterToJson(const MasterResult& r, const MasterSettings& settings) {
    const nlohmann::ordered_json stages = stagesToJson(r.stages);
    nlohmann::ordered_json playback = nlohmann::ordered_json::array();
    for (const auto& p : r.playback)
        playback.push_back({{"platform", p.platform},
                            {"target_lufs", p.targetLufs},
                            {"playback_gain_db", std::round(p.playbackGainDb * 100) / 100},
                            {"limited_by_peak", p.limitedByPeak}});
    nlohmann::ordered_json json{
        {"target", {{"name", settings.target}, {"integrated_lufs", r.targetLufs}, {"ceiling_dbtp", r.ceilingDbtp}}},
        {"style", settings.style},
        {"intensity", settings.intensity},
        {"reached_target", r.reachedTarget},
        {"passes", r.passes},
        {"gain_db", std::round(r.gainDb * 1000) / 1000},
        {"input", analysisToJson(r.input)},
        {"output", analysisToJson(r.output)},
        {"output_measured", r.measuredDecoded ? "decoded" : "as written"},
        // How far the delivered file's true peak sits under the ceiling (our meter: within
        // 0.04 dB of an ideal reconstruction).
        {"ceiling_margin_db", r.output.truePeakDbtp ? nlohmann::ordered_json(rounded(r.ceilingDbtp - *r.output.truePeakDbtp, 3))
                                                    : nlohmann::ordered_json(nullptr)},
        {"stages", stages},
        {"platform_playback", playback},
        {"warnings", r.warnings},
    };
    if (r.bitrateKbps > 0) json["output_bitrate_kbps"] = r.bitrateKbps;
    if (r.vbrQuality >= 0) json["output_vbr_quality"] = r.vbrQuality;
    if (!r.codecChecks.empty()) {
        nlohmann::ordered_json codecs = nlohmann::ordered_json::array();
        for (const auto& c : r.codecChecks)
            codecs.push_back({{"codec", c.codec}, {"bitrate_kbps", c.bitrateKbps}, {"true_peak_dbtp", rounded(c.truePeakDbtp, 2)}});
        json["codec_safe"] = {{"reached", r.codecSafeReached},
                              {"rounds", r.codecRounds},
                              {"ceiling_lowered_db", rounded(r.codecLoweringDb, 3)},
                              {"round_trips", codecs}};
    }
    if (r.match) {
        const auto dryNull = [&](double v) { return settings.dryRun ? nlohmann::ordered_json(nullptr) : rounded(v, 2); };
        nlohmann::ordered_json refs = nlohmann::ordered_json::array();
        for (const auto& ref : r.references)
            refs.push_back({{"path", ref.path},
                            {"integrated_lufs", rounded(ref.integratedLufs, 2)},
                            {"crest_db", rounded(ref.crestDb, 2)},
                            {"width", rounded(ref.width, 2)},
                            {"distance_before_db", rounded(ref.distanceBeforeDb, 2)},
                            {"distance_after_db", dryNull(ref.distanceAfterDb)}});
        const ReferenceMatch& m = *r.match;
        json["reference_match"] = {
            {"amounts",
             {{"tone", settings.match.tone},
              {"width", settings.match.width},
              {"loudness", settings.match.loudness},
              {"dynamics", settings.match.dynamics}}},
            {"references", refs},
            {"loudness_lufs",
             {{"input", rounded(m.inputLufs, 2)},
              {"reference", rounded(m.referenceLufs, 2)},
              {"output", rounded(r.output.integratedLufs, 2)}}},
            {"crest_db",
             {{"input", rounded(m.inputCrestDb, 2)},
              {"reference", rounded(m.referenceCrestDb, 2)},
              {"output", rounded(r.outputCrestDb, 2)}}},
            {"width",
             {{"input", rounded(m.inputWidth, 2)}, {"reference", rounded(m.referenceWidth, 2)}, {"output", rounded(r.outputWidth, 2)}}},
            {"distance_db",
             {{"before", rounded(r.distanceBeforeDb, 2)},
              {"after", dryNull(r.distanceAfterDb)},
              {"measure", "third-octave RMS over 40 Hz-16 kHz, loudness-normalised"}}},
            {"curve", matchCurveToJson(m)},
        };
    }
    if (!settings.dryRun) json["verdict"] = targetVerdictToJson(masterVerdict(r, settings));
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
    std::string bypassed;
    for (const auto& s : r.stages)
        if (!s.active) bypassed += (bypassed.empty() ? "" : ", ") + s.name;
    if (!bypassed.empty()) out << "  bypassed (nothing to do on this programme): " << bypassed << "\n";
    std::string differences;
    for (const auto& s : r.stages) {
        const auto it = s.effect.find("residual_db");
        if (!s.active || it == s.effect.end()) continue;
        std::snprintf(line, sizeof line, "%s%s %.1f", differences.empty() ? "" : ", ", s.name.c_str(), it->second + 0.0);
        differences += line;
    }
    if (!differences.empty()) out << "  the difference each stage made, dB against its output: " << differences << "\n";
    if (r.match && dryRun) {
        std::snprintf(line, sizeof line,
                      "  reference match: distance %.2f dB now (third-octave RMS), width %.2f (reference %.2f); the result is measured "
                      "when written\n",
                      r.distanceBeforeDb, r.match->inputWidth, r.match->referenceWidth);
        out << line;
    } else if (r.match) {
        std::snprintf(line, sizeof line,
                      "  reference match: distance %.2f dB -> %.2f dB (third-octave RMS), width %.2f -> %.2f (reference %.2f)\n",
                      r.distanceBeforeDb, r.distanceAfterDb, r.match->inputWidth, r.outputWidth, r.match->referenceWidth);
        out << line;
    }
    if (!r.codecChecks.empty()) {
        std::string trips;
        for (const auto& c : r.codecChecks) {
            std::snprintf(line, sizeof line, "%s%s %.2f", trips.empty() ? "" : ", ", c.codec.c_str(), c.truePeakDbtp.value_or(-999.0));
            trips += line;
        }
        std::snprintf(line, sizeof line, "  codec-safe: decoded round trips %s dBTP; ceiling lowered %.2f dB in %d round%s%s\n",
                      trips.c_str(), r.codecLoweringDb, r.codecRounds, r.codecRounds == 1 ? "" : "s",
                      r.codecSafeReached ? "" : ", NOT all under");
        out << line;
    }
    if (!dryRun && !r.output.path.empty()) {
        out << "  wrote " << r.output.path;
        if (r.measuredDecoded) {
            out << " (";
            if (r.bitrateKbps > 0) out << r.bitrateKbps << " kbit/s; ";
            if (r.vbrQuality >= 0) out << "VBR V" << r.vbrQuality << "; ";
            out << "loudness and true peak measured on the decoded file)";
        }
        out << "\n";
    }
    return out.str();
}

}  // namespace bounce
