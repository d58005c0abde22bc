#include "bounce/master.h"

#include "bounce/error.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace bounce {

// The one table of delivery targets. Sources in docs/targets.md.
const std::vector<LoudnessTarget>& loudnessTargets() {
    // Every field in every row (name, LUFS, dBTP, rate, bits, note, normalisation, listener
    // setting, tolerance LU, its source; "" for Bounce's own).
    static const std::vector<LoudnessTarget> targets = {
        {"spotify", -14.0, -1.0, 0.0, "", "Spotify's default normalisation level", Normalisation::UpAndDown, false, 1.0, ""},
        {"spotify-loud", -11.0, -1.0, 0.0, "", "Spotify's 'loud' setting", Normalisation::UpAndDown, true, 1.0, ""},
        {"spotify-quiet", -19.0, -1.0, 0.0, "", "Spotify's 'quiet' setting", Normalisation::UpAndDown, true, 1.0, ""},
        {"apple", -16.0, -1.0, 0.0, "", "Apple Music Sound Check", Normalisation::UpAndDown, false, 1.0, ""},
        {"youtube", -14.0, -1.0, 0.0, "", "YouTube (turns louder content down only)", Normalisation::DownOnly, false, 1.0, ""},
        {"tidal", -14.0, -1.0, 0.0, "", "TIDAL", Normalisation::UpAndDown, false, 1.0, ""},
        {"amazon", -14.0, -2.0, 0.0, "", "Amazon Music", Normalisation::UpAndDown, false, 1.0, ""},
        {"deezer", -15.0, -1.0, 0.0, "", "Deezer", Normalisation::UpAndDown, false, 1.0, ""},
        {"soundcloud", -14.0, -1.0, 0.0, "", "SoundCloud", Normalisation::UpAndDown, false, 1.0, ""},
        {"ebu-r128", -23.0, -1.0, 0.0, "", "EBU R 128 broadcast", Normalisation::None, false, 0.5,
         "EBU R 128 (2020): -23.0 LUFS +/-0.5 LU for programmes that are not live"},
        {"atsc-a85", -24.0, -2.0, 0.0, "", "ATSC A/85 broadcast (US)", Normalisation::None, false, 2.0,
         "ATSC A/85 RP (2013): -24 LKFS +/-2 dB"},
        {"cd", -9.0, -0.3, 44100.0, "16", "CD: a loudness guide, not a standard; 44.1 kHz, 16 bits, dithered", Normalisation::None, false,
         1.0, ""},
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

TargetVerdict judgeAgainstTarget(const AnalysisResult& measured, const LoudnessTarget& target) {
    TargetVerdict v;
    v.target = target.name;
    v.note = target.note;
    v.targetLufs = target.integratedLufs;
    v.toleranceLu = target.toleranceLu;
    v.toleranceSource = target.toleranceSource.empty() ? "Bounce's tolerance: the platforms normalise, the CD guide is no standard"
                                                       : target.toleranceSource;
    v.ceilingDbtp = target.ceilingDbtp;
    v.integratedLufs = measured.integratedLufs;
    v.truePeakDbtp = measured.truePeakDbtp;
    char text[320];
    if (!measured.integratedLufs) {
        v.why.push_back("loudness: none measured (silent, or shorter than 400 ms), so it cannot meet " + target.name);
    } else {
        const double off = *measured.integratedLufs - target.integratedLufs;
        // Rounded as printed, so that what is shown and what is judged agree.
        v.loudnessMet = std::fabs(std::round(off * 10.0) / 10.0) <= target.toleranceLu + 1e-9;
        const char* consequence = target.normalisation == Normalisation::None ? "it does not meet the delivery spec"
                                  : off > 0.0 ? "the platform turns it down by as much: the extra loudness is lost"
                                  : target.normalisation == Normalisation::DownOnly
                                      ? "the platform leaves it quieter than its neighbours"
                                      : "the platform turns it up only as far as its peak allows";
        std::snprintf(text, sizeof text, "loudness %.1f LUFS, %+.1f LU from %s's %.1f LUFS (allowed: +/-%.1f LU)%s%s",
                      *measured.integratedLufs, off, target.name.c_str(), target.integratedLufs, target.toleranceLu,
                      v.loudnessMet ? "" : ": ", v.loudnessMet ? "" : consequence);
        v.why.push_back(text);
    }
    if (!measured.truePeakDbtp) {
        v.peakMet = true;
        v.why.push_back("true peak: none (digital silence)");
    } else {
        v.peakMet = std::round(*measured.truePeakDbtp * 100.0) / 100.0 <= target.ceilingDbtp + 1e-9;
        std::snprintf(text, sizeof text, "true peak %.2f dBTP, ceiling %.1f dBTP%s", *measured.truePeakDbtp, target.ceilingDbtp,
                      v.peakMet ? "" : ": over it, a converter or a lossy encoder may clip it");
        v.why.push_back(text);
    }
    return v;
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
