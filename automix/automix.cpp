#include "bounce/automix.h"

#include "bounce/analysis.h"
#include "bounce/error.h"
#include "bounce/sound_file.h"
#include "bounce/spectrum_profile.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

namespace bounce {
namespace fs = std::filesystem;

namespace {

// The role table (docs/automix.md gives the reasoning and sources). Levels are relative
// to the lead element, in LU of active loudness.
struct RoleRule {
    const char* role;
    std::vector<const char*> words;  // whole tokens of a file name; longer ones also as substrings
    const char* bus;
    double levelLu;
    double panWidth;  // how far from the centre a mono track of this role goes (0: centred)
    bool highpass;    // (its corner is capped per role: maxHighpassHz)
    bool compressor;
    std::optional<double> sendDb;
};

const std::vector<RoleRule>& roleRules() {
    // Order matters: the first rule whose word is in the name wins ("bass drum" is a kick,
    // "bv" is a backing vocal before "vox" could make it the lead).
    static const std::vector<RoleRule> rules = {
        {"kick", {"kick", "kik", "bd", "bassdrum"}, "drums", -3.0, 0.0, false, false, std::nullopt},
        {"drums", {"drums", "drum", "kit", "beat", "loop", "breakbeat"}, "drums", -3.0, 0.0, false, false, -22.0},
        {"snare", {"snare", "snr", "sd"}, "drums", -4.0, 0.0, true, false, -18.0},
        {"hat", {"hat", "hh", "hihat", "hats", "cymbal", "ride", "crash"}, "drums", -12.0, 0.3, true, false, std::nullopt},
        {"tom", {"tom", "toms", "floor"}, "drums", -8.0, 0.4, true, false, -20.0},
        {"overhead", {"oh", "overhead", "overheads", "ohs"}, "drums", -9.0, 0.6, true, false, -22.0},
        {"room", {"room", "amb", "ambience"}, "drums", -14.0, 0.0, true, false, std::nullopt},
        {"perc", {"perc", "percussion", "shaker", "tamb", "tambourine", "conga", "bongo", "clap"}, "drums", -11.0, 0.4, true, false, -20.0},
        {"backing", {"bv", "bvs", "backing", "backings", "harmony", "harmonies", "choir", "bgv"}, "vocals", -7.0, 0.5, true, true, -12.0},
        {"vocal", {"vox", "vocal", "vocals", "voc", "voice", "singer", "leadvox"}, "vocals", 0.0, 0.0, true, true, -14.0},
        {"bass", {"bass", "bs", "sub", "808", "bassline"}, "bass", -3.0, 0.0, false, true, std::nullopt},
        {"guitar", {"gtr", "guitar", "guitars", "git", "acoustic", "electric"}, "music", -7.0, 0.5, true, false, -18.0},
        {"keys", {"keys", "key", "piano", "pno", "organ", "rhodes", "synth", "synths", "wurli"}, "music", -7.0, 0.35, true, false, -18.0},
        {"pad", {"pad", "pads", "strings", "str", "string"}, "music", -10.0, 0.3, true, false, -16.0},
        {"lead", {"lead", "ld", "melody", "solo"}, "music", -2.0, 0.0, true, false, -16.0},
        {"fx", {"fx", "sfx", "noise", "riser", "impact", "sweep"}, "fx", -13.0, 0.3, true, false, -16.0},
    };
    return rules;
}

const RoleRule& ruleFor(const std::string& role) {
    for (const auto& r : roleRules())
        if (role == r.role) return r;
    for (const auto& r : roleRules())
        if (std::string(r.role) == "keys") return r;  // a neutral music element
    return roleRules().front();
}

// The highest high-pass corner a role gets, however little low end it has: a voice's
// chest, a pad's body and a snare's weight live above these.
double maxHighpassHz(const std::string& role) {
    if (role == "hat") return 300.0;
    if (role == "vocal" || role == "guitar") return 120.0;
    if (role == "snare" || role == "tom") return 90.0;
    if (role == "pad" || role == "keys" || role == "lead" || role == "backing") return 150.0;
    return 200.0;
}

std::vector<std::string> tokens(const std::string& text) {
    std::vector<std::string> out;
    std::string current;
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u)) {
            // A digit after letters starts a new token ("vox2" -> "vox", "2").
            if (!current.empty() && std::isdigit(u) != std::isdigit(static_cast<unsigned char>(current.back()))) {
                out.push_back(current);
                current.clear();
            }
            current += static_cast<char>(std::tolower(u));
        } else if (!current.empty()) {
            out.push_back(current);
            current.clear();
        }
    }
    if (!current.empty()) out.push_back(current);
    return out;
}

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
    std::vector<double> envelope;  // 100 values a second: 0.8 MB for an hour
};

std::string fixed(double v, int decimals = 1) {
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", decimals, v);
    std::string s = text;
    if (s == "-0.0" || s == "-0") s = s.substr(1);
    return s;
}

}  // namespace

std::string roleFromName(const std::string& fileName) {
    const std::vector<std::string> words = tokens(fs::path(fileName).stem().string());
    std::string joined;
    for (const auto& w : words) joined += w;
    for (const auto& rule : roleRules()) {
        for (const char* word : rule.words) {
            const std::string w = word;
            if (std::find(words.begin(), words.end(), w) != words.end()) return rule.role;
            // Longer words also inside a token or across them ("leadvox", "kick_in").
            if (w.size() >= 4 && joined.find(w) != std::string::npos) return rule.role;
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
    double weighted = 0;
    for (std::size_t b = 0; b < profile.bandHz.size(); ++b)
        weighted += profile.powerBetween(profile.bandHz[b], profile.bandHz[b]) * profile.bandHz[b];
    const double total = profile.powerBetween(0.0, 1e9), low = profile.powerBetween(0.0, 150.0);
    for (double centre : octaveBandsHz())
        t.octaveDb.push_back(powerToDb(profile.powerBetween(centre / std::sqrt(2.0), centre * std::sqrt(2.0))));
    t.centroidHz = total > 0 ? weighted / total : 0.0;
    t.lowShare = total > 0 ? low / total : 0.0;
    t.onsetsPerSecond = onsets.perSecond(analysis.durationSeconds);
    return profile;
}

// Role: the name first, then the sound.
void assignRole(const fs::path& file, AutomixTrack& t) {
    t.role = roleFromName(file.filename().string());
    if (!t.role.empty()) {
        t.roleReason = "file name '" + file.stem().string() + "'";
        return;
    }
    const bool percussive = t.onsetsPerSecond >= 1.0;
    if (t.lowShare > 0.5)
        t.role = percussive ? "kick" : "bass";
    else if (percussive && t.centroidHz > 4000.0)
        t.role = "hat";
    else if (percussive)
        t.role = "perc";
    else if (t.centroidHz < 2000.0)
        t.role = "pad";
    else
        t.role = "keys";
    t.roleReason = "its sound: " + fixed(t.onsetsPerSecond) + " onsets/s, " + fixed(100.0 * t.lowShare, 0) +
                   " % of its energy below 150 Hz, centroid " + fixed(t.centroidHz, 0) + " Hz";
}

// High-pass below where the track has anything: 0.1 % of its energy (-30 dB) lies under
// the corner's band; the corner a little under that, 30 Hz to the role's cap.
std::optional<double> highpassFor(const SpectrumProfile& profile, const std::string& role) {
    const double total = profile.powerBetween(0.0, 1e9);
    if (!ruleFor(role).highpass || total <= 0) return std::nullopt;
    double cumulative = 0;
    for (std::size_t b = 0; b < profile.bandHz.size(); ++b) {
        cumulative += profile.powerBetween(profile.bandHz[b], profile.bandHz[b]);
        if (cumulative >= 0.001 * total) return std::clamp(std::round(0.7 * profile.bandHz[b] / 5.0) * 5.0, 30.0, maxHighpassHz(role));
    }
    return std::nullopt;
}

// The lead: a vocal, else a lead line, else the first present of keys, guitar, pad, bass, kick.
std::string chooseLead(const std::vector<AutomixTrack>& tracks) {
    std::set<std::string> present;
    for (const auto& t : tracks) present.insert(t.role);
    for (const char* role : {"vocal", "lead", "keys", "guitar", "pad", "bass", "kick", "snare"})
        if (present.count(role)) return role;
    return tracks.front().role;
}

// Balance: each track's active loudness to its role's level relative to the lead, then all
// together so that the mix (powers of unrelated tracks add) is near -20 LUFS, leaving the
// master its headroom. Panning: stereo files balanced at the centre; mono ones by role,
// alternating sides within a role, pulled in by their low-frequency share (lows stay
// central).
void balanceAndPan(AutomixResult& result) {
    const double leadLevel = ruleFor(result.leadRole).levelLu;
    double power = 0;
    for (const auto& t : result.tracks)
        if (t.activeLufs) power += std::pow(10.0, (ruleFor(t.role).levelLu - leadLevel) / 10.0);
    const double shift = -20.0 - powerToDb(power);
    result.estimatedMixLufs = -20.0;
    std::map<std::string, int> seen;
    for (auto& t : result.tracks) {
        const RoleRule& rule = ruleFor(t.role);
        if (t.activeLufs) t.gainDb = std::clamp(std::round((rule.levelLu - leadLevel + shift - *t.activeLufs) * 10.0) / 10.0, -60.0, 24.0);
        if (t.channels == 1 && rule.panWidth > 0.0) {
            const int index = seen[t.role]++;
            const std::vector<std::string> words = tokens(fs::path(t.file).stem().string());
            const bool left =
                std::find(words.begin(), words.end(), "l") != words.end() || std::find(words.begin(), words.end(), "left") != words.end();
            const bool right =
                std::find(words.begin(), words.end(), "r") != words.end() || std::find(words.begin(), words.end(), "right") != words.end();
            const double side = left ? -1.0 : right ? 1.0 : (index % 2 == 0 ? -1.0 : 1.0);
            const double width = left || right ? std::max(rule.panWidth, 0.7) : rule.panWidth * (1.0 + 0.25 * (index / 2));
            t.pan = std::round(side * std::min(width, 0.9) * (1.0 - t.lowShare) * 100.0) / 100.0;
        }
    }
}

int maskingPriority(const std::string& role) {
    const char* order[] = {"vocal",   "lead", "kick", "snare", "bass",     "drums", "guitar", "keys",
                           "backing", "pad",  "perc", "tom",   "overhead", "hat",   "room",   "fx"};
    for (int i = 0; i < 16; ++i)
        if (role == order[i]) return i;
    return 16;
}

// Masking: in the bands where the ear is most sensitive to it (250 Hz .. 4 kHz), a track
// of lower priority that sits over one of higher priority, both with real energy there,
// is cut: 3 dB more than it is over, at most 6 dB, at most two bands a track.
void cutMasking(std::vector<AutomixTrack>& tracks) {
    const std::vector<double>& centres = octaveBandsHz();
    struct Candidate {
        double over;
        std::size_t band;
        const AutomixTrack* high;
    };
    for (auto& low : tracks) {
        if (!low.activeLufs) continue;
        std::vector<Candidate> candidates;
        for (std::size_t k = 3; k <= 7; ++k) {
            const double lowLevel = low.octaveDb[k] + low.gainDb;
            const double lowTop = *std::max_element(low.octaveDb.begin(), low.octaveDb.end()) + low.gainDb;
            if (lowLevel < lowTop - 12.0) continue;  // not where this track lives
            for (const auto& high : tracks) {
                if (&high == &low || !high.activeLufs || maskingPriority(high.role) >= maskingPriority(low.role)) continue;
                const double highLevel = high.octaveDb[k] + high.gainDb;
                const double highTop = *std::max_element(high.octaveDb.begin(), high.octaveDb.end()) + high.gainDb;
                if (highLevel < highTop - 12.0) continue;
                if (lowLevel > highLevel) candidates.push_back({lowLevel - highLevel, k, &high});
            }
        }
        std::sort(candidates.begin(), candidates.end(),
                  [](const Candidate& a, const Candidate& b) { return a.over != b.over ? a.over > b.over : a.band < b.band; });
        std::set<std::size_t> used;
        for (const auto& c : candidates) {
            if (used.count(c.band) || used.size() == 2) continue;
            used.insert(c.band);
            low.cuts.push_back({centres[c.band], -std::min(6.0, std::round((c.over + 3.0) * 2.0) / 2.0), c.high->name, c.over});
        }
    }
}

// One track of the session text, with a comment for every decision.
std::string trackText(const AutomixTrack& t, double leadLevel) {
    const RoleRule& rule = ruleFor(t.role);
    std::string s = "\n# " + t.file + ": " + t.role + " (" + t.roleReason + ")";
    if (t.activeLufs) {
        s += "; plays at " + fixed(*t.activeLufs) + " LUFS, set to " + fixed(*t.activeLufs + t.gainDb) + " LUFS (lead " +
             (rule.levelLu - leadLevel >= 0 ? "+" : "") + fixed(rule.levelLu - leadLevel) + " LU)";
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
             "' (a higher priority): room for it\n";
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
    s += "# Lead element: " + result.leadRole + "; track levels are set from their active loudness (BS.1770, silence gated out)\n";
    s += "# toward the role table's level relative to the lead, the whole aiming at about -20 LUFS.\n\n";
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
    balanceAndPan(result);
    cutMasking(result.tracks);
    result.session = sessionText(result, folder);
    return result;
}

}  // namespace bounce
