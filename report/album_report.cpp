#include "bounce/album_report.h"

#include "bounce/analysis_report.h"

#include <cstdio>

namespace bounce {

nlohmann::ordered_json albumToJson(const AlbumResult& r) {
    const auto seconds = [&r](std::uint64_t frames) { return rounded(static_cast<double>(frames) / r.sampleRate, 4); };
    nlohmann::ordered_json tracks = nlohmann::ordered_json::array();
    for (const auto& t : r.tracks)
        tracks.push_back({{"number", t.number},
                          {"title", t.title},
                          {"artist", t.artist},
                          {"file", t.path},
                          {"index00_s", seconds(t.index00)},
                          {"start_s", seconds(t.index01)},
                          {"end_s", seconds(t.end)},
                          {"start_frame", t.index01},
                          {"end_frame", t.end},
                          {"gap_s", rounded(t.gapSeconds, 4)},
                          {"crossfade_s", rounded(t.crossfadeSeconds, 4)},
                          {"input_lufs", rounded(t.inputLufs)},
                          {"integrated_lufs", rounded(t.integratedLufs)},
                          {"true_peak_dbtp", rounded(t.truePeakDbtp)}});
    nlohmann::ordered_json out;
    out["sample_rate"] = r.sampleRate;
    out["duration_s"] = seconds(r.frames);
    out["target_lufs"] = rounded(r.targetLufs);
    out["ceiling_dbtp"] = rounded(r.ceilingDbtp);
    out["album"] = {{"integrated_lufs", rounded(r.integratedLufs)},
                    {"loudness_range_lu", rounded(r.loudnessRangeLu)},
                    {"true_peak_dbtp", rounded(r.truePeakDbtp)}};
    out["tracks"] = tracks;
    out["outputs"] = {{"continuous", r.continuousPath}};
    if (!r.cdPath.empty()) {
        out["outputs"]["cd_image"] = r.cdPath;
        out["outputs"]["cue_sheet"] = r.cuePath;
        // Positions are the CD image's; the per-track and continuous files start after the pre-gap.
        out["cd_pregap_frames"] = r.cdPregapFrames;
    }
    out["warnings"] = r.warnings;
    return out;
}

std::string albumSummary(const AlbumResult& r) {
    std::string text;
    char line[512];
    for (const auto& t : r.tracks) {
        std::snprintf(line, sizeof line, "  %2d  %7.2f s  %6.1f LUFS  %6.2f dBTP  %s\n", t.number,
                      static_cast<double>(t.index01) / r.sampleRate, t.integratedLufs.value_or(-99.0), t.truePeakDbtp.value_or(-99.0),
                      t.path.c_str());
        text += line;
    }
    std::snprintf(line, sizeof line, "album: %.1f LUFS, LRA %.1f LU, %.2f dBTP, %.1f min -> %s\n", r.integratedLufs.value_or(-99.0),
                  r.loudnessRangeLu.value_or(0.0), r.truePeakDbtp.value_or(-99.0), static_cast<double>(r.frames) / r.sampleRate / 60.0,
                  r.continuousPath.c_str());
    text += line;
    if (!r.cdPath.empty()) text += "CD image: " + r.cdPath + "\nCUE sheet: " + r.cuePath + "\n";
    for (const auto& w : r.warnings) text += "warning: " + w + "\n";
    return text;
}

}  // namespace bounce
