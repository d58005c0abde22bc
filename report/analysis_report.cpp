#include "bounce/analysis_report.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace bounce {

// Readings are rounded to `decimals` places (0.0001 dB/LU, 1 us): far below any
// tolerance, and stable text. Going through the decimal text gives the double nearest to
// it, which the JSON writer then prints in its shortest form ("-15.6283").
nlohmann::ordered_json rounded(std::optional<double> value, int decimals) {
    if (!value || !std::isfinite(*value)) return nullptr;
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, *value);
    const double parsed = std::strtod(text, nullptr);
    return parsed == 0.0 ? 0.0 : parsed;  // no "-0.0"
}

namespace {

nlohmann::ordered_json sampleRateJson(double rate) {
    if (rate == std::floor(rate)) return static_cast<long long>(rate);
    return rate;
}

std::string formatted(std::optional<double> value, const char* unit, int decimals = 1) {
    if (!value || !std::isfinite(*value)) return "-";
    char text[64];
    std::snprintf(text, sizeof text, "%.*f%s%s", decimals, *value, unit[0] ? " " : "", unit);
    return text;
}

}  // namespace

nlohmann::ordered_json analysisToJson(const AnalysisResult& r) {
    nlohmann::ordered_json dc = nlohmann::ordered_json::array();
    for (const auto& value : r.dcOffsetDbfs) dc.push_back(rounded(value));
    return nlohmann::ordered_json{
        {"path", r.path},
        {"sample_rate", sampleRateJson(r.sampleRate)},
        {"channels", r.channels},
        {"duration_s", rounded(r.durationSeconds, 6)},
        {"integrated_lufs", rounded(r.integratedLufs)},
        {"loudness_range_lu", rounded(r.loudnessRangeLu)},
        {"max_momentary_lufs", rounded(r.maxMomentaryLufs)},
        {"max_short_term_lufs", rounded(r.maxShortTermLufs)},
        {"sample_peak_dbfs", rounded(r.samplePeakDbfs)},
        {"true_peak_dbtp", rounded(r.truePeakDbtp)},
        {"rms_dbfs", rounded(r.rmsDbfs)},
        {"crest_db", rounded(r.crestDb)},
        {"dc_offset_dbfs", dc},
        {"correlation", rounded(r.correlation)},
        {"clipped_samples", r.clippedSamples},
        {"leading_silence_s", rounded(r.leadingSilenceSeconds, 6)},
        {"trailing_silence_s", rounded(r.trailingSilenceSeconds, 6)},
    };
}

std::string analysisTable(const AnalysisResult& r) {
    std::ostringstream out;
    char line[256];
    const auto row = [&](const char* name, const std::string& value) {
        std::snprintf(line, sizeof line, "  %-22s %s\n", name, value.c_str());
        out << line;
    };
    out << r.path << "\n";
    std::snprintf(line, sizeof line, "%g Hz, %d channel%s, %.3f s", r.sampleRate, r.channels, r.channels == 1 ? "" : "s",
                  r.durationSeconds);
    row("format", r.formatName.empty() ? std::string(line) : r.formatName + " — " + line);
    row("integrated loudness", formatted(r.integratedLufs, "LUFS"));
    row("loudness range", formatted(r.loudnessRangeLu, "LU"));
    row("max momentary", formatted(r.maxMomentaryLufs, "LUFS"));
    row("max short-term", formatted(r.maxShortTermLufs, "LUFS"));
    row("true peak", formatted(r.truePeakDbtp, "dBTP", 2));
    row("sample peak", formatted(r.samplePeakDbfs, "dBFS", 2));
    row("RMS", formatted(r.rmsDbfs, "dBFS"));
    row("crest factor", formatted(r.crestDb, "dB"));
    std::string dc;
    for (std::size_t c = 0; c < r.dcOffsetDbfs.size(); ++c) dc += (c ? ", " : "") + formatted(r.dcOffsetDbfs[c], "");
    row("DC offset (dBFS)", dc.empty() ? "-" : dc);
    row("L/R correlation", formatted(r.correlation, "", 3));
    row("clipped samples", std::to_string(r.clippedSamples));
    row("leading silence", formatted(r.leadingSilenceSeconds, "s", 3));
    row("trailing silence", formatted(r.trailingSilenceSeconds, "s", 3));
    for (const auto& [name, value] : r.tags) row(name.c_str(), value);
    for (const auto& warning : r.warnings) out << "  warning: " << warning << "\n";
    return out.str();
}

std::string loudnessCurveCsvHeader() { return "time_s,momentary_lufs,short_term_lufs\n"; }

std::string loudnessCurveCsvRow(const LoudnessHop& hop) {
    char line[96];
    const auto field = [](std::optional<double> v) {
        char text[32] = "";
        if (v && std::isfinite(*v)) std::snprintf(text, sizeof text, "%.2f", *v);
        return std::string(text);
    };
    std::snprintf(line, sizeof line, "%.1f,%s,%s\n", hop.endSeconds, field(hop.momentaryLufs).c_str(), field(hop.shortTermLufs).c_str());
    return line;
}

}  // namespace bounce
