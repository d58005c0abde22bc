#include "bounce/master.h"

#include "bounce/error.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace bounce {

// The one table of delivery targets. Sources in docs/targets.md.
const std::vector<LoudnessTarget>& loudnessTargets() {
    static const std::vector<LoudnessTarget> targets = {
        {"spotify", -14.0, -1.0, 0.0, "", "Spotify's default normalisation level", Normalisation::UpAndDown},
        {"spotify-loud", -11.0, -1.0, 0.0, "", "Spotify's 'loud' setting", Normalisation::UpAndDown, true},
        {"spotify-quiet", -19.0, -1.0, 0.0, "", "Spotify's 'quiet' setting", Normalisation::UpAndDown, true},
        {"apple", -16.0, -1.0, 0.0, "", "Apple Music Sound Check", Normalisation::UpAndDown},
        {"youtube", -14.0, -1.0, 0.0, "", "YouTube (turns louder content down only)", Normalisation::DownOnly},
        {"tidal", -14.0, -1.0, 0.0, "", "TIDAL", Normalisation::UpAndDown},
        {"amazon", -14.0, -2.0, 0.0, "", "Amazon Music", Normalisation::UpAndDown},
        {"deezer", -15.0, -1.0, 0.0, "", "Deezer", Normalisation::UpAndDown},
        {"soundcloud", -14.0, -1.0, 0.0, "", "SoundCloud", Normalisation::UpAndDown},
        {"ebu-r128", -23.0, -1.0, 0.0, "", "EBU R 128 broadcast"},
        {"atsc-a85", -24.0, -2.0, 0.0, "", "ATSC A/85 broadcast (US)"},
        {"cd", -9.0, -0.3, 44100.0, "16", "CD: a loudness guide, not a standard; 44.1 kHz, 16 bits, dithered"},
    };
    return targets;
}

// In any case: "Spotify" is spotify.
const LoudnessTarget* findLoudnessTarget(const std::string& name) {
    const auto same = [&name](const std::string& known) {
        return known.size() == name.size() && std::equal(known.begin(), known.end(), name.begin(), [](char a, char b) {
                   return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
               });
    };
    for (const auto& t : loudnessTargets())
        if (same(t.name)) return &t;
    return nullptr;
}

std::vector<PlatformPlayback> platformPlayback(const AnalysisResult& measured) {
    std::vector<PlatformPlayback> playback;
    if (!measured.integratedLufs) return playback;
    for (const auto& t : loudnessTargets()) {
        if (t.normalisation == Normalisation::None || t.listenerSetting) continue;
        PlatformPlayback p{t.name, t.integratedLufs, t.integratedLufs - *measured.integratedLufs};
        if (t.normalisation == Normalisation::DownOnly) p.playbackGainDb = std::min(p.playbackGainDb, 0.0);
        if (p.playbackGainDb > 0.0 && measured.truePeakDbtp) {
            const double headroomDb = std::max(0.0, t.ceilingDbtp - *measured.truePeakDbtp);
            p.limitedByPeak = p.playbackGainDb > headroomDb;
            p.playbackGainDb = std::min(p.playbackGainDb, headroomDb);
        }
        playback.push_back(p);
    }
    return playback;
}

LoudnessAim resolveLoudnessAim(const std::string& target, std::optional<double> lufs, std::optional<double> ceilingDbtp) {
    LoudnessAim aim;
    aim.target = findLoudnessTarget(target);
    if (!aim.target) {
        std::string names;
        for (const auto& t : loudnessTargets()) names += (names.empty() ? "" : ", ") + t.name;
        throw ConfigError("--target must be one of " + names + " (got \"" + target + "\")");
    }
    aim.lufs = lufs.value_or(aim.target->integratedLufs);
    aim.ceilingDbtp = ceilingDbtp.value_or(aim.target->ceilingDbtp);
    char text[80];
    if (!(aim.lufs >= kMinTargetLufs && aim.lufs <= kMaxTargetLufs)) {
        std::snprintf(text, sizeof text, "--lufs must be between %g and %g", kMinTargetLufs, kMaxTargetLufs);
        throw ConfigError(text);
    }
    if (!(aim.ceilingDbtp >= kMinCeilingDbtp && aim.ceilingDbtp <= kMaxCeilingDbtp)) {
        std::snprintf(text, sizeof text, "--ceiling must be between %g and %g dBTP", kMinCeilingDbtp, kMaxCeilingDbtp);
        throw ConfigError(text);
    }
    return aim;
}

}  // namespace bounce
