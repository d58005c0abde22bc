#include "bounce/check_report.h"

#include "bounce/analysis_report.h"
#include "bounce/master_report.h"

#include <cstdio>

namespace bounce {

const char* findingExplanation(const std::string& code) {
    static const std::pair<const char*, const char*> kWhy[] = {
        {"true_peak_over", "A converter reconstructs the waveform between the samples; where it goes over full scale, it clips."},
        {"true_peak_high", "Lossy encoders (AAC, MP3, Opus) add overshoots of about 0.5 to 1 dB; above -1 dBTP the decoded file can clip."},
        {"clipping", "Runs of samples at full scale are the flat tops of a clipped waveform: distortion that cannot be undone."},
        {"dc_offset", "A constant offset wastes headroom and makes clicks at edits and fades; a high-pass at a few Hz removes it."},
        {"inverted_polarity", "With one channel upside down, the mono sum cancels: phones, smart speakers and clubs play mono."},
        {"out_of_phase_bass", "Bass that cancels in mono disappears on one-speaker systems and on many club rigs, which sum the lows."},
        {"phase", "Out of phase in this band: in mono it drops by the amount said; often a stereo widener or a mis-aligned pair."},
        {"leading_silence", "Platforms and players start at the file's start: silence before the music delays it."},
        {"trailing_silence", "Silence after the music's tail makes the gap to the next song longer than planned."},
        {"long_silence", "A long silence inside the programme is often a mistake in the edit (or a hidden track)."},
        {"truncated_tail", "The sound stops abruptly at the last sample: a click at the end, or a reverb cut off."},
        {"codec_over", "After this encoder the decoded file goes over full scale: lower the ceiling, or the level."},
        {"clean", "None of the checks found anything to fix."},
    };
    for (const auto& [known, why] : kWhy)
        if (code == known) return why;
    return "";
}

const char* severityName(Severity s) noexcept {
    switch (s) {
    case Severity::Info: return "info";
    case Severity::Warning: return "warning";
    case Severity::Error: return "error";
    }
    return "info";
}

nlohmann::ordered_json checkToJson(const CheckResult& r) {
    const auto perBand = [](const std::vector<double>& values, int decimals) {
        nlohmann::ordered_json out = nlohmann::ordered_json::object();
        for (std::size_t k = 0; k < values.size() && k < octaveBandsHz().size(); ++k) {
            char key[16];
            std::snprintf(key, sizeof key, "%g", octaveBandsHz()[k]);
            out[key] = rounded(values[k], decimals);
        }
        return out;
    };
    nlohmann::ordered_json out;
    out["analysis"] = analysisToJson(r.analysis);
    out["bands_hz"] = octaveBandsHz();
    out["mono_loss_db"] = perBand(r.monoLossDb, 2);
    out["band_correlation"] = perBand(r.bandCorrelation, 3);
    nlohmann::ordered_json systems = nlohmann::ordered_json::array();
    for (const auto& s : r.systems) {
        nlohmann::ordered_json j = {{"name", s.name},
                                    {"description", s.description},
                                    {"band_gain_db", perBand(s.bandGainDb, 2)},
                                    {"loudness_change_lu", rounded(s.loudnessChangeLu, 2)},
                                    {"bass_audible", s.bassAudible},
                                    {"presence_masked", s.presenceMasked}};
        if (!s.previewPath.empty()) j["preview"] = s.previewPath;
        systems.push_back(j);
    }
    out["systems"] = systems;
    nlohmann::ordered_json platforms = nlohmann::ordered_json::array();
    for (const auto& p : r.platforms)
        platforms.push_back({{"platform", p.platform},
                             {"target_lufs", rounded(p.targetLufs, 1)},
                             {"playback_gain_db", rounded(p.playbackGainDb, 2)},
                             {"turned", p.playbackGainDb < -0.05  ? "down"
                                        : p.playbackGainDb > 0.05 ? "up"
                                                                  : "unchanged"},
                             {"limited_by_true_peak", p.limitedByPeak}});
    out["platforms"] = platforms;
    nlohmann::ordered_json findings = nlohmann::ordered_json::array();
    for (const auto& f : r.findings) {
        nlohmann::ordered_json j = {
            {"severity", severityName(f.severity)}, {"code", f.code}, {"message", f.message}, {"why", findingExplanation(f.code)}};
        j["at_s"] = rounded(f.atSeconds, 3);
        findings.push_back(j);
    }
    out["findings"] = findings;
    nlohmann::ordered_json codecs = nlohmann::ordered_json::array();
    for (const auto& c : r.codecs)
        codecs.push_back({{"codec", c.codec},
                          {"bitrate_kbps", c.bitrateKbps},
                          {"available", c.available},
                          {"true_peak_dbtp", rounded(c.truePeakDbtp, 2)}});
    out["codecs"] = codecs;
    if (r.verdict) out["target"] = targetVerdictToJson(*r.verdict);
    if (r.against) {
        const VersionComparison& v = *r.against;
        nlohmann::ordered_json thirds = nlohmann::ordered_json::object();
        for (std::size_t b = 0; b < v.thirdOctaveHz.size(); ++b) {
            char key[16];
            std::snprintf(key, sizeof key, "%.0f", v.thirdOctaveHz[b]);
            thirds[key] = rounded(v.thirdOctaveChangeDb[b], 2);
        }
        out["against"] = {{"path", v.path},
                          {"lag_frames", v.lagFrames},
                          {"lag_s", rounded(static_cast<double>(v.lagFrames) / r.analysis.sampleRate, 5)},
                          {"loudness_change_lu", rounded(v.loudnessChangeLu, 2)},
                          {"band_change_db", perBand(v.bandChangeDb, 2)},
                          {"third_octave_change_db", thirds},
                          {"width_change_db", rounded(v.widthChangeDb, 2)},
                          {"null_residual_dbfs", rounded(v.nullResidualDbfs, 1)},
                          {"matched_gain_db", rounded(v.matchedGainDb, 2)},
                          {"matched_residual_dbfs", rounded(v.matchedResidualDbfs, 1)}};
    }
    return out;
}

std::string checkSummary(const CheckResult& r) {
    std::string text;
    char line[512];
    std::snprintf(line, sizeof line, "%s: %.1f LUFS, %.2f dBTP, LRA %.1f LU\n", r.analysis.path.c_str(),
                  r.analysis.integratedLufs.value_or(-99.0), r.analysis.truePeakDbtp.value_or(-99.0),
                  r.analysis.loudnessRangeLu.value_or(0.0));
    text += line;
    text += "\nsystem      loudness  bass     presence  band gains (dB) 63 Hz .. 8 kHz\n";
    for (const auto& s : r.systems) {
        std::snprintf(line, sizeof line, "%-10s  %+6.1f LU  %-7s  %-8s ", s.name.c_str(), s.loudnessChangeLu.value_or(0.0),
                      s.bassAudible ? "audible" : "LOST", s.presenceMasked ? "MASKED" : "clear");
        text += line;
        for (std::size_t k = 1; k + 1 < s.bandGainDb.size(); ++k) {
            std::snprintf(line, sizeof line, " %+5.1f", std::max(s.bandGainDb[k], -99.0));
            text += line;
        }
        text += s.previewPath.empty() ? "\n" : "  -> " + s.previewPath + "\n";
    }
    text += "\nmono loss (dB) 63 Hz .. 8 kHz:";
    for (std::size_t k = 1; k + 1 < r.monoLossDb.size(); ++k) {
        std::snprintf(line, sizeof line, " %+.1f", r.monoLossDb[k]);
        text += line;
    }
    text += "\n\nplatform     playback gain\n";
    for (const auto& p : r.platforms) {
        std::snprintf(line, sizeof line, "%-11s  %+5.1f dB%s\n", p.platform.c_str(), p.playbackGainDb,
                      p.limitedByPeak ? " (up only as far as its true-peak headroom allows)"
                      : p.playbackGainDb == 0.0 && p.targetLufs > r.analysis.integratedLufs.value_or(0.0)
                          ? " (quieter content is not turned up)"
                          : "");
        text += line;
    }
    for (const auto& c : r.codecs) {
        if (!c.available) continue;
        std::snprintf(line, sizeof line, "after %-4s %3d kbit/s: %+.2f dBTP\n", c.codec.c_str(), c.bitrateKbps,
                      c.truePeakDbtp.value_or(-99.0));
        text += line;
    }
    text += "\n";
    for (const auto& f : r.findings) text += std::string(severityName(f.severity)) + ": " + f.message + "\n";
    if (r.verdict) text += "\n" + targetVerdictText(*r.verdict);
    if (r.against) {
        const VersionComparison& v = *r.against;
        std::snprintf(line, sizeof line,
                      "\nagainst %s (lined up at %+lld frames; this file relative to it, + means this one is more): loudness %+.2f "
                      "LU, width %+.2f dB, null residual %.1f dBFS (%.1f dBFS after %+.2f dB)\nband change (dB) 63 Hz .. 8 kHz:",
                      v.path.c_str(), static_cast<long long>(v.lagFrames), v.loudnessChangeLu.value_or(0.0), v.widthChangeDb,
                      v.nullResidualDbfs, v.matchedResidualDbfs, v.matchedGainDb);
        text += line;
        for (std::size_t k = 1; k + 1 < v.bandChangeDb.size(); ++k) {
            std::snprintf(line, sizeof line, " %+.2f", v.bandChangeDb[k]);
            text += line;
        }
        text += "\n";
    }
    return text;
}

}  // namespace bounce
