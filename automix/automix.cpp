#include "bounce/automix.h"

#include "roles.h"

#include "bounce/analysis.h"
#include "bounce/atomic_output.h"
#include "bounce/biquad.h"
#include "bounce/k_weighting.h"
#include "bounce/error.h"
#include "bounce/sound_file.h"
#include "bounce/spectrum_profile.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <set>

namespace bounce {
namespace fs = std::filesystem;

namespace {

using automix_detail::nameTokens;
using automix_detail::RoleRule;
using automix_detail::ruleFor;

// The mix's level the balance aims at: a little under the masters' targets, leaving the
// master its headroom.
constexpr double kMixTargetLufs = -20.0;
constexpr double kMaxGainDb = 24.0;  // a track's gain_db in a session goes to +24 dB
// Masking cuts: each at most this deep, and all of a track's together at most kMaxTotalCutDb.
constexpr double kMaxCutDb = 4.5;
constexpr double kMaxTotalCutDb = 6.0;

// 10 ms RMS envelope onsets: a rise of 9 dB over the quietest of the last 50 ms, within
// 40 dB of the loudest; per second. Percussive sources have many, sustained ones few.
struct OnsetCounter {
    explicit OnsetCounter(double rate) : window(static_cast<std::size_t>(0.01 * rate)) {}
    void add(ConstAudioView block) {
        for (std::size_t i = 0; i < block.frames(); ++i) {
            double s = 0;
            for (int c = 0; c < block.channels(); ++c) s += static_cast<double>(block.channel(c)[i]) * block.channel(c)[i];
            sum += s / block.channels();
            if (++filled < window) continue;
            const double db = powerToDb(sum / static_cast<double>(window));
            envelope.push_back(db);
            sum = 0;
            filled = 0;
        }
    }
    // The share of the time it sounds: 10 ms frames within 20 dB of its loudest. A struck or
    // plucked part decays between its notes, a held one does not.
    double dutyCycle() const {
        if (envelope.empty()) return 0.0;
        const double loudest = *std::max_element(envelope.begin(), envelope.end());
        const auto on = std::count_if(envelope.begin(), envelope.end(), [&](double db) { return db > loudest - 20.0; });
        return static_cast<double>(on) / static_cast<double>(envelope.size());
    }
    double perSecond(double seconds) const {
        if (envelope.empty() || seconds <= 0) return 0.0;
        const double loudest = *std::max_element(envelope.begin(), envelope.end());
        int onsets = 0;
        bool armed = true;
        for (std::size_t i = 5; i < envelope.size(); ++i) {
            const double quietest =
                *std::min_element(envelope.begin() + static_cast<std::ptrdiff_t>(i - 5), envelope.begin() + static_cast<std::ptrdiff_t>(i));
            const bool rise = envelope[i] - quietest > 9.0 && envelope[i] > loudest - 40.0;
            if (rise && armed) ++onsets;
            armed = !rise;
        }
        return onsets / seconds;
    }
    std::size_t window, filled = 0;
    double sum = 0;
    std::vector<double> envelope;  // 100 values a second: 2.9 MB for an hour
};

// The power mean of the loudest `percent` of a track's 100 ms blocks over BS.1770's -70
// LUFS gate: what a fader is set by. The integrated loudness, gated as it is, still counts
// how much of the time a part plays, and a sparse part measures quieter than the same notes
// played densely. Its loud passages (AutomixTrack::loudLufs) are the loudest 10 %; a drum's
// hits (hitsLufs) the loudest 3 %, for a kit is heard by its accents, and on the corpus that
// predicts the composer's drum level the better (docs/automix.md, "Balance"). It needs all of
// a track's blocks.
std::optional<double> loudestBlocksLufs(std::vector<float> hopLufs, std::size_t percent) {
    hopLufs.erase(std::remove_if(hopLufs.begin(), hopLufs.end(), [](float l) { return !(l > -70.0f); }), hopLufs.end());
    if (hopLufs.empty()) return std::nullopt;
    const std::size_t loudest = std::max<std::size_t>(1, hopLufs.size() * percent / 100);
    std::nth_element(hopLufs.begin(), hopLufs.begin() + static_cast<std::ptrdiff_t>(loudest - 1), hopLufs.end(), std::greater<>());
    double power = 0;
    for (std::size_t i = 0; i < loudest; ++i) power += dbToPower(hopLufs[i]);
    return powerToDb(power / static_cast<double>(loudest));
}

// What a track is balanced by: a drum (any role on the drums bus) by its hits, every other
// track by its loud passages.
const std::optional<double>& balanceLufs(const AutomixTrack& t) { return t.bus == "drums" ? t.hitsLufs : t.loudLufs; }

std::string fixed(double v, int decimals = 1) {
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", decimals, v);
    std::string s = text;
    if (s == "-0.0" || s == "-0") s = s.substr(1);
    return s;
}

}  // namespace

std::string roleFromName(const std::string& fileName) {
    const std::vector<std::string> words = nameTokens(fs::path(fileName).stem().string());
    // A General MIDI program's name first ("ch03_acoustic_grand" is a piano, not an
    // acoustic guitar), then the studio's words, then the weak ones.
    if (std::string family = automix_detail::generalMidiFamily(words); !family.empty()) return family;
    std::string joined;
    for (const auto& w : words) joined += w;
    for (bool weak : {false, true}) {
        for (const auto& rule : automix_detail::roleRules()) {
            for (const std::string& w : weak ? rule.weakWords : rule.words) {
                if (std::find(words.begin(), words.end(), w) != words.end()) return rule.role;
                // Longer words also inside a token or across them ("leadvox", "kick_in").
                if (w.size() >= 4 && joined.find(w) != std::string::npos) return rule.role;
            }
        }
    }
    return "";
}

namespace {

// Every file in the folder that Bounce can read (whatever its format: libsndfile decides),
// sorted by name; the others are named in `skipped` with the reason.
std::vector<fs::path> audioFilesIn(const std::string& folder, std::vector<std::string>& skipped) {
    if (!fs::is_directory(folder)) throw ConfigError(folder + ": not a folder");
    std::vector<fs::path> candidates, files;
    for (const auto& entry : fs::directory_iterator(folder))
        if (entry.is_regular_file()) candidates.push_back(entry.path());
    std::sort(candidates.begin(), candidates.end());
    for (const auto& path : candidates) {
        try {
            SoundFileReader probe(path.string());
            files.push_back(path);
        } catch (const Error& e) {
            skipped.push_back(e.what());
        }
    }
    if (files.empty())
        throw ConfigError(
            folder + ": no audio files Bounce can read to mix" +
            (skipped.empty() ? std::string() : " (" + std::to_string(skipped.size()) + " skipped, first: " + skipped[0] + ")"));
    return files;
}

// Spectral flatness (geometric over arithmetic mean of the power density) of the third
// octaves from 100 Hz to 8 kHz: near 1 for noise (cymbals, snares), low for a few strong
// harmonics.
double spectralFlatness(const SpectrumProfile& profile) {
    double logSum = 0, sum = 0;
    int n = 0;
    for (std::size_t b = 0; b < profile.bandHz.size(); ++b) {
        if (profile.bandHz[b] < 100.0 || profile.bandHz[b] > 8000.0) continue;
        const double density = std::max(profile.powerBetween(profile.bandHz[b], profile.bandHz[b]) / profile.bandHz[b], 1e-30);
        logSum += std::log(density);
        sum += density;
        ++n;
    }
    return n && sum > 0 ? std::exp(logSum / n) / (sum / n) : 0.0;
}

// One pass over a track: loudness (gated: the parts where it plays), spectrum, onsets;
// into t. Returns its spectrum profile. `sampleRate` is set by the first track.
SpectrumProfile measureTrack(const fs::path& file, AutomixTrack& t, double& sampleRate) {
    SoundFileReader reader(file.string());
    const SoundFileInfo info = reader.info();
    if (sampleRate == 0.0) sampleRate = info.sampleRate;
    t.channels = info.channels;
    if (info.channels > 2)
        throw ConfigError(file.string() + ": " + std::to_string(info.channels) + " channels; a mix takes mono or stereo tracks");
    ProgramAnalyzer analyzer(info.sampleRate, info.channels, info.speakers, false);
    analyzer.enableSpectrumProfile();
    analyzer.setHopCallback([&t](const LoudnessHop& hop) {
        t.hopLufs.push_back(hop.hopLufs ? static_cast<float>(*hop.hopLufs) : -std::numeric_limits<float>::infinity());
    });
    OnsetCounter onsets(info.sampleRate);
    AudioBuffer block(info.channels, 8192);
    std::uint64_t frames = 0;
    while (const std::size_t n = reader.read(block.view())) {
        const ConstAudioView in = ConstAudioView(block.view()).subView(0, n);
        analyzer.addFrames(in);
        onsets.add(in);
        frames += n;
    }
    const AnalysisResult analysis = finishFileAnalysis(analyzer, info, frames);
    SpectrumProfile profile = analyzer.spectrumProfile(analysis);
    t.activeLufs = analysis.integratedLufs;
    if (t.activeLufs) {
        t.loudLufs = loudestBlocksLufs(t.hopLufs, 10);
        t.hitsLufs = loudestBlocksLufs(t.hopLufs, 3);
    }
    double weighted = 0;
    for (std::size_t b = 0; b < profile.bandHz.size(); ++b)
        weighted += profile.powerBetween(profile.bandHz[b], profile.bandHz[b]) * profile.bandHz[b];
    const double total = profile.powerBetween(0.0, 1e9), low = profile.powerBetween(0.0, 150.0);
    for (double centre : octaveBandsHz())
        t.octaveDb.push_back(powerToDb(profile.powerBetween(centre / std::sqrt(2.0), centre * std::sqrt(2.0))));
    const KWeighting kWeighting = KWeighting::design(info.sampleRate);
    for (std::size_t b = 0; b < profile.bandHz.size(); ++b) {
        t.bandHz.push_back(profile.bandHz[b]);
        t.bandWeightedPower.push_back(profile.powerBetween(profile.bandHz[b], profile.bandHz[b]) *
                                      dbToPower(kWeighting.magnitudeDb(profile.bandHz[b])));
    }
    t.centroidHz = total > 0 ? weighted / total : 0.0;
    t.lowShare = total > 0 ? low / total : 0.0;
    t.onsetsPerSecond = onsets.perSecond(analysis.durationSeconds);
    t.dutyCycle = onsets.dutyCycle();
    t.flatness = spectralFlatness(profile);
    return profile;
}

// Role: the name first, then the sound.
void assignRole(const fs::path& file, AutomixTrack& t) {
    t.role = roleFromName(file.filename().string());
    if (!t.role.empty()) {
        t.roleReason = "file name '" + file.stem().string() + "'";
        return;
    }
    // The family of the corpus it sounds most like; then the single-drum stems the corpus has
    // none of: a kick (low, struck, silent between its hits) and a hat (bright, no low end).
    t.role = automix_detail::familyFromSound(t.centroidHz, t.lowShare, t.onsetsPerSecond, t.dutyCycle, t.flatness);
    if (t.role.empty()) t.role = "keys";
    const bool struck = t.onsetsPerSecond >= 1.0;
    if ((t.role == "drums" || t.role == "bass") && struck && t.centroidHz < 150.0 && t.dutyCycle < 0.3) t.role = "kick";
    if (t.role == "drums" && struck && t.centroidHz > 4000.0 && t.lowShare < 0.005) t.role = "hat";
    t.roleReason = "its sound, nearest the corpus's " + t.role + ": " + fixed(t.onsetsPerSecond) + " onsets/s, " +
                   fixed(100.0 * t.lowShare, 0) + " % of its energy below 150 Hz, centroid " + fixed(t.centroidHz, 0) + " Hz, sounding " +
                   fixed(100.0 * t.dutyCycle, 0) + " % of the time, flatness " + fixed(t.flatness, 3);
}

// High-pass below where the track has anything: 0.1 % of its energy (-30 dB) lies under
// the corner's band; the corner a little under that, 30 Hz to the role's cap.
std::optional<double> highpassFor(const SpectrumProfile& profile, const std::string& role) {
    const double total = profile.powerBetween(0.0, 1e9);
    const std::optional<double> cap = ruleFor(role).highpassCapHz;
    if (!cap || total <= 0) return std::nullopt;
    double cumulative = 0;
    for (std::size_t b = 0; b < profile.bandHz.size(); ++b) {
        cumulative += profile.powerBetween(profile.bandHz[b], profile.bandHz[b]);
        if (cumulative >= 0.001 * total) return std::clamp(std::round(0.7 * profile.bandHz[b] / 5.0) * 5.0, 30.0, *cap);
    }
    return std::nullopt;
}

// The lead: a vocal, else a lead line, else the melody role the table sets loudest, else the
// role the table sets loudest.
std::string chooseLead(const std::vector<AutomixTrack>& tracks) {
    const AutomixTrack* lead = nullptr;
    auto rank = [](const AutomixTrack& t) {
        const RoleRule& rule = ruleFor(t.role);
        const int kind = t.role == "vocal" ? 3 : t.role == "lead" ? 2 : rule.melody ? 1 : 0;
        return std::make_pair(kind, rule.levelLu);
    };
    for (const auto& t : tracks)
        if (!lead || rank(t) > rank(*lead)) lead = &t;
    return lead->role;
}

// What a track's masking cuts take off its loudness, together.
double cutsChangeLu(const AutomixTrack& t) {
    double change = 0;
    for (const auto& cut : t.cuts) change += cut.loudnessChangeLu;
    return change;
}

// The integrated loudness of the tracks played together at their gains, taking them as
// unrelated signals: a 100 ms hop's power is the sum of theirs, a 400 ms gating block the
// mean of four hops (BS.1770-4 §2.8, 75 % overlap), then BS.1770's gates
// (integratedLufsOfBlocks, the meter's own). A mono track keeps its power at any pan (the
// session's constant-power pan law), a stereo one at a centred balance.
double predictedMixLufs(const std::vector<AutomixTrack>& tracks) {
    std::size_t hops = 0;
    for (const auto& t : tracks) hops = std::max(hops, t.hopLufs.size());
    std::vector<double> power(hops, 0.0);
    for (const auto& t : tracks) {
        const double gainDb = t.gainDb + cutsChangeLu(t);
        for (std::size_t i = 0; i < t.hopLufs.size(); ++i)
            if (std::isfinite(t.hopLufs[i])) power[i] += dbToPower(t.hopLufs[i] + gainDb);
    }
    std::vector<double> blockLufs;
    for (std::size_t i = 3; i < hops; ++i) blockLufs.push_back(powerToDb((power[i - 3] + power[i - 2] + power[i - 1] + power[i]) / 4.0));
    return integratedLufsOfBlocks(blockLufs).value_or(-std::numeric_limits<double>::infinity());
}

// Balance: the level of each track's loud passages (a drum's hits) to its role's level
// relative to the lead.
void balance(AutomixResult& result) {
    const double leadLevel = ruleFor(result.leadRole).levelLu;
    for (auto& t : result.tracks)
        if (const auto& level = balanceLufs(t)) t.gainDb = ruleFor(t.role).levelLu - leadLevel - *level;
}

// Then all together, so that the mix, predicted from the tracks' blocks (and what their
// masking cuts take off), is at kMixTargetLufs; the gains to 0.1 dB.
void setMixLevel(AutomixResult& result) {
    // Twice: the absolute gate may take a block more or less after the first move.
    for (int pass = 0; pass < 2; ++pass) {
        const double predicted = predictedMixLufs(result.tracks);
        if (!std::isfinite(predicted)) break;
        for (auto& t : result.tracks)
            if (t.activeLufs) t.gainDb += kMixTargetLufs - predicted;
    }
    // A fader goes to +24 dB (docs/session.md): a track too quiet for that brings the whole
    // mix down with it rather than leaving its balance; the mix is then under the target,
    // and the session says by how much.
    double loudest = -std::numeric_limits<double>::infinity();
    for (const auto& t : result.tracks)
        if (t.activeLufs) loudest = std::max(loudest, t.gainDb);
    const double down = std::max(0.0, loudest - kMaxGainDb);
    for (auto& t : result.tracks) t.gainDb = std::clamp(std::round((t.gainDb - down) * 10.0) / 10.0, -60.0, kMaxGainDb);
    result.estimatedMixLufs = predictedMixLufs(result.tracks);
}

// Panning: stereo files balanced at the centre; mono ones by role, alternating sides within
// a role, pulled in by their low-frequency share (lows stay central).
void pan(std::vector<AutomixTrack>& tracks) {
    std::map<std::string, int> seen;
    for (auto& t : tracks) {
        const RoleRule& rule = ruleFor(t.role);
        if (t.channels != 1 || rule.panWidth <= 0.0) continue;
        const int index = seen[t.role]++;
        const std::vector<std::string> words = nameTokens(fs::path(t.file).stem().string());
        auto has = [&](const char* w) { return std::find(words.begin(), words.end(), w) != words.end(); };
        const bool left = has("l") || has("left"), right = has("r") || has("right");
        const double side = left ? -1.0 : right ? 1.0 : (index % 2 == 0 ? -1.0 : 1.0);
        const double width = left || right ? std::max(rule.panWidth, 0.7) : rule.panWidth * (1.0 + 0.25 * (index / 2));
        t.pan = std::round(side * std::min(width, 0.9) * (1.0 - t.lowShare) * 100.0) / 100.0;
    }
}

// What a peak cut takes off a track's loudness: its K-weighted third-octave powers through
// the cut's magnitude response, against without.
double cutLoudnessChangeLu(const AutomixTrack& t, double freqHz, double gainDb, double sampleRate) {
    const BiquadCoefficients cut = designBiquad(FilterType::Peak, freqHz, 1.4, gainDb, sampleRate);
    double before = 0, after = 0;
    for (std::size_t b = 0; b < t.bandHz.size(); ++b) {
        before += t.bandWeightedPower[b];
        after += t.bandWeightedPower[b] * dbToPower(cut.magnitudeDb(t.bandHz[b], sampleRate));
    }
    return before > 0 ? powerToDb(after / before) : 0.0;
}

// Masking: in the bands where the ear is most sensitive to it (250 Hz .. 4 kHz), a track
// of lower priority that sits over one of higher priority by 1 dB or more, both with real
// energy there, is cut there by 1.5 dB more than it is over, with restraint: at most
// kMaxCutDb a cut, two bands and kMaxTotalCutDb in all a track.
void cutMasking(std::vector<AutomixTrack>& tracks, double sampleRate) {
    const std::vector<double>& centres = octaveBandsHz();
    struct Candidate {
        double over;
        std::size_t band;
        const AutomixTrack* high;
    };
    auto top = [](const AutomixTrack& t) { return *std::max_element(t.octaveDb.begin(), t.octaveDb.end()) + t.gainDb; };
    for (auto& low : tracks) {
        if (!low.activeLufs) continue;
        const int lowPriority = ruleFor(low.role).maskingPriority;
        std::vector<Candidate> candidates;
        for (std::size_t k = 3; k <= 7; ++k) {
            const double lowLevel = low.octaveDb[k] + low.gainDb;
            if (lowLevel < top(low) - 12.0) continue;  // not where this track lives
            for (const auto& high : tracks) {
                if (&high == &low || !high.activeLufs || ruleFor(high.role).maskingPriority >= lowPriority) continue;
                const double highLevel = high.octaveDb[k] + high.gainDb;
                if (highLevel < top(high) - 12.0) continue;
                if (lowLevel - highLevel >= 1.0) candidates.push_back({lowLevel - highLevel, k, &high});
            }
        }
        std::sort(candidates.begin(), candidates.end(),
                  [](const Candidate& a, const Candidate& b) { return a.over != b.over ? a.over > b.over : a.band < b.band; });
        std::set<std::size_t> used;
        double total = 0;
        for (const auto& c : candidates) {
            if (used.count(c.band) || used.size() == 2 || total >= kMaxTotalCutDb) continue;
            used.insert(c.band);
            const double depth = std::min({kMaxCutDb, std::round((c.over + 1.5) * 2.0) / 2.0, kMaxTotalCutDb - total});
            total += depth;
            low.cuts.push_back(
                {centres[c.band], -depth, c.high->name, c.over, cutLoudnessChangeLu(low, centres[c.band], -depth, sampleRate)});
        }
    }
}

// One track of the session text, with a comment for every decision.
std::string trackText(const AutomixTrack& t, double leadLevel) {
    const RoleRule& rule = ruleFor(t.role);
    std::string s = "\n# " + t.file + ": " + t.role + " (" + t.roleReason + ")";
    if (const auto& level = balanceLufs(t)) {
        s += (t.bus == "drums" ? "; hits at " + fixed(*t.hitsLufs) + " LUFS (loud passages " + fixed(*t.loudLufs) + ", active "
                               : "; loud passages at " + fixed(*t.loudLufs) + " LUFS (active ") +
             fixed(*t.activeLufs) + "), set to " + fixed(*level + t.gainDb) + " LUFS (lead " + (rule.levelLu - leadLevel >= 0 ? "+" : "") +
             fixed(rule.levelLu - leadLevel) + " LU, from " + rule.levelSource + ")";
    } else {
        s += "; silent, left at 0 dB";
    }
    s +=
        "\n[[track]]\nname = \"" + t.name + "\"\nfile = \"" + t.file + "\"\nrole = \"" + t.role + "\"\ngain_db = " + fixed(t.gainDb) + "\n";
    if (t.pan != 0.0) s += "pan = " + fixed(t.pan, 2) + "\n";
    s += "bus = \"" + t.bus + "\"\n";
    if (t.highpassHz) {
        s += "# high-pass from its spectrum (0.1 % of its energy lies below about " + fixed(*t.highpassHz / 0.7, 0) + " Hz; capped for a " +
             t.role + ")\n";
        s += "[[track.insert]]\ntype = \"highpass\"\nfreq_hz = " + fixed(*t.highpassHz, 0) + "\nslope_db_oct = 12\n";
    }
    for (const auto& cut : t.cuts) {
        s += "# masking: at " + fixed(cut.freqHz, 0) + " Hz it sits " + fixed(cut.overDb) + " dB over '" + cut.because +
             "' (a higher priority): room for it; the cut takes " + fixed(-cut.loudnessChangeLu) + " LU off this track\n";
        s += "[[track.insert]]\ntype = \"peak\"\nfreq_hz = " + fixed(cut.freqHz, 0) + "\ngain_db = " + fixed(cut.gainDb) + "\nq = 1.4\n";
    }
    if (t.compressor && t.activeLufs) {
        const bool bass = t.role == "bass";
        s += std::string("# ") + (bass ? "bass: steady level under the mix" : "voice: even out the phrases") +
             "; threshold a little above where it plays\n";
        s += "[[track.insert]]\ntype = \"compressor\"\nthreshold_db = " + fixed(std::round(*t.activeLufs + 6.0)) +
             "\nratio = " + (bass ? "4" : "3") + "\nattack_ms = " + (bass ? "15" : "10") + "\nrelease_ms = " + (bass ? "120" : "100") +
             "\n";
    }
    if (t.sendDb) s += "[[track.send]]\nto = \"reverb\"\nlevel_db = " + fixed(*t.sendDb, 0) + "\n";
    return s;
}

std::string sessionText(const AutomixResult& result, const std::string& folder) {
    std::string s;
    s += "# A first mix proposed by `bounce automix` from " + fs::path(folder).filename().string() + "/ (docs/automix.md).\n";
    s += "# Every number below is a starting point: edit freely and render with `bounce mix`.\n";
    s += "# Lead element: " + result.leadRole + "; track levels are set from the level of their loud passages (the loudest\n";
    s += "# tenth of their 100 ms blocks, K-weighted; a drum's hits: the loudest 3 %) toward the role table's level\n";
    s += "# relative to the lead, the whole at " + fixed(kMixTargetLufs, 0) + " LUFS.\n";
    s += "# Integrated loudness of the mix: " + fixed(result.estimatedMixLufs) +
         " LUFS (predicted from the tracks' 100 ms blocks as unrelated signals;\n# the inserts and the reverb move it a little)";
    s += result.estimatedMixLufs < kMixTargetLufs - 0.5 ? ": under the target, for a track would need more than +24 dB.\n\n" : ".\n\n";
    s += "sample_rate = " + fixed(result.sampleRate, 0) + "\ntail_s = 2.0\n";
    std::set<std::string> buses;
    const double leadLevel = ruleFor(result.leadRole).levelLu;
    for (const auto& t : result.tracks) {
        buses.insert(t.bus);
        s += trackText(t, leadLevel);
    }
    for (const auto& bus : buses) {
        s += "\n[[bus]]\nname = \"" + bus + "\"\ngain_db = 0.0\n";
        if (bus == "drums") {
            s += "# glue: slow attack lets the hits through, the release breathes with the tempo\n";
            s += "[[bus.insert]]\ntype = \"compressor\"\nthreshold_db = -26\nratio = 2\nattack_ms = 30\nrelease_ms = 200\n";
        }
    }
    s += "\n# one shared space: every role that sends, at its role's level\n[[return]]\nname = \"reverb\"\n";
    s += "[[return.insert]]\ntype = \"reverb\"\ndecay_s = 1.8\nmix = 1.0\n";
    return s;
}

}  // namespace

AutomixResult automix(const std::string& folder, const std::string& sessionDir) {
    AutomixResult result;
    const std::vector<fs::path> files = audioFilesIn(folder, result.skipped);
    std::set<std::string> names;
    for (const auto& file : files) {
        AutomixTrack t;
        t.file = fs::relative(fs::absolute(file), fs::absolute(sessionDir.empty() ? "." : sessionDir)).generic_string();
        std::string name = file.stem().string();
        for (int n = 2; names.count(name); ++n) name = file.stem().string() + "_" + std::to_string(n);
        names.insert(name);
        t.name = name;
        const SpectrumProfile profile = measureTrack(file, t, result.sampleRate);
        assignRole(file, t);
        const RoleRule& rule = ruleFor(t.role);
        t.bus = rule.bus;
        t.compressor = rule.compressor;
        t.sendDb = rule.sendDb;
        t.highpassHz = highpassFor(profile, t.role);
        result.tracks.push_back(t);
    }
    result.leadRole = chooseLead(result.tracks);
    balance(result);
    pan(result.tracks);
    cutMasking(result.tracks, result.sampleRate);  // (all gains move together below: the cuts stay right)
    setMixLevel(result);
    result.session = sessionText(result, folder);
    return result;
}

std::vector<std::string> automixTrackPaths(const AutomixResult& result, const std::string& sessionDir) {
    std::vector<std::string> paths;
    for (const auto& t : result.tracks) paths.push_back((fs::path(sessionDir.empty() ? "." : sessionDir) / t.file).string());
    return paths;
}

void writeAutomixSession(const AutomixResult& result, const std::string& path) {
    // Every track is an input: nothing written here may replace one.
    writeTextFile(path, result.session, automixTrackPaths(result, fs::path(path).parent_path().string()));
}

}  // namespace bounce
