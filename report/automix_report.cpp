#include "bounce/automix_report.h"

#include "bounce/analysis_report.h"

namespace bounce {

nlohmann::ordered_json automixToJson(const AutomixResult& result) {
    nlohmann::ordered_json out;
    out["lead_role"] = result.leadRole;
    out["estimated_mix_lufs"] = rounded(result.estimatedMixLufs, 2);
    out["skipped"] = result.skipped;
    nlohmann::ordered_json tracks = nlohmann::ordered_json::array();
    for (const auto& t : result.tracks)
        tracks.push_back({{"name", t.name},
                          {"file", t.file},
                          {"role", t.role},
                          {"reason", t.roleReason},
                          {"bus", t.bus},
                          {"active_lufs", rounded(t.activeLufs, 2)},
                          {"loud_lufs", rounded(t.loudLufs, 2)},
                          {"hits_lufs", rounded(t.hitsLufs, 2)},
                          {"gain_db", t.gainDb},
                          {"pan", t.pan},
                          {"highpass_hz", rounded(t.highpassHz, 0)},
                          {"compressor", t.compressor},
                          {"reverb_send_db", rounded(t.sendDb, 0)},
                          {"centroid_hz", rounded(t.centroidHz, 0)},
                          {"low_share", rounded(t.lowShare, 3)},
                          {"onsets_per_s", rounded(t.onsetsPerSecond, 2)},
                          {"duty_cycle", rounded(t.dutyCycle, 3)},
                          {"flatness", rounded(t.flatness, 3)}});
    out["tracks"] = tracks;
    return out;
}

}  // namespace bounce
