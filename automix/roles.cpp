#include "roles.h"

#include "automix_data.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <sstream>

namespace bounce::automix_detail {

namespace {

// Rows of a CSV compiled in from the repository (no quoting: these files have none),
// without its '#' comments and its header.
std::vector<std::vector<std::string>> csvRows(const char* text) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(text);
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        if (header) {
            header = false;
            continue;
        }
        std::vector<std::string> cells;
        std::istringstream fields(line);
        for (std::string cell; std::getline(fields, cell, ',');) cells.push_back(cell);
        rows.push_back(cells);
    }
    return rows;
}

// The roles. Levels here are the mixing texts' (Senior, *Mixing Secrets for the Small
// Studio*; Izhaki, *Mixing Audio*: the vocal on top, kick and bass a few dB under it,
// rhythm instruments -6 to -9, pads and effects well under), read by this project; the
// corpus's table replaces them where it measured the role (measuredRules below).
std::vector<RoleRule> literatureRules() {
    auto r = [](std::string role, std::vector<std::string> words, std::string bus, double level, double pan,
                std::optional<double> highpassCap, std::optional<double> send, bool melody = false) {
        RoleRule rule;
        rule.role = std::move(role);
        rule.words = std::move(words);
        rule.bus = std::move(bus);
        rule.levelLu = level;
        rule.levelSource = "the mixing texts";
        rule.panWidth = pan;
        rule.highpassCapHz = highpassCap;
        rule.sendDb = send;
        rule.melody = melody;
        return rule;
    };
    // Order matters: the first rule whose word is in the name wins ("bass drum" is a kick,
    // "bv" is a backing vocal before "vox" could make it the lead). The order is also the
    // masking priority.
    std::vector<RoleRule> rules = {
        r("vocal", {"vox", "vocal", "vocals", "voc", "voice", "singer", "leadvox"}, "vocals", 0.0, 0.0, 120.0, -14.0, true),
        r("lead", {"lead", "ld", "melody", "solo"}, "music", -2.0, 0.0, 150.0, -16.0, true),
        r("kick", {"kick", "kik", "bd", "bassdrum"}, "drums", -3.0, 0.0, std::nullopt, std::nullopt),
        r("snare", {"snare", "snr", "sd"}, "drums", -4.0, 0.0, 90.0, -18.0),
        r("bass", {"bass", "bs", "sub", "808", "bassline"}, "bass", -3.0, 0.0, std::nullopt, std::nullopt),
        r("drums", {"drums", "drum", "kit", "beat", "loop", "breakbeat"}, "drums", -3.0, 0.0, std::nullopt, -22.0),
        r("synth_lead", {"synthlead"}, "music", -2.0, 0.0, 150.0, -16.0, true),
        r("reed", {"sax", "saxophone", "clarinet", "oboe", "bassoon"}, "music", -4.0, 0.3, 120.0, -16.0, true),
        r("brass", {"brass", "horns", "horn", "trumpet", "tpt", "trombone", "tbn", "tuba"}, "music", -6.0, 0.4, 100.0, -16.0, true),
        r("pipe", {"flute", "flutes", "piccolo", "whistle"}, "music", -5.0, 0.3, 200.0, -16.0, true),
        r("guitar", {"gtr", "guitar", "guitars", "git"}, "music", -7.0, 0.5, 120.0, -18.0),
        r("piano", {"piano", "pno", "grand", "rhodes", "wurli", "wurlitzer", "epiano", "clav", "harpsichord"}, "music", -7.0, 0.35, 150.0,
          -18.0, true),
        r("organ", {"organ", "hammond", "b3", "accordion"}, "music", -8.0, 0.35, 150.0, -18.0),
        r("keys", {"keys", "key", "synth", "synths"}, "music", -7.0, 0.35, 150.0, -18.0, true),
        r("chromatic_percussion", {"vibes", "vibraphone", "marimba", "glock", "glockenspiel", "xylophone", "celesta", "bells"}, "music",
          -9.0, 0.4, 150.0, -18.0, true),
        r("ethnic", {"sitar", "banjo", "koto", "kalimba", "bagpipe", "bagpipes"}, "music", -7.0, 0.4, 150.0, -18.0, true),
        r("backing", {"bv", "bvs", "backing", "backings", "harmony", "harmonies", "choir", "bgv"}, "vocals", -7.0, 0.5, 150.0, -12.0),
        r("strings", {"strings", "str", "string", "violin", "violins", "viola", "cello", "celli", "orchestra", "harp"}, "music", -10.0, 0.4,
          150.0, -16.0),
        r("ensemble", {"ensemble"}, "music", -10.0, 0.4, 150.0, -16.0),
        r("synth_pad", {"pad", "pads"}, "music", -10.0, 0.3, 150.0, -16.0),
        r("perc", {"perc", "percussion", "shaker", "tamb", "tambourine", "conga", "bongo", "clap"}, "drums", -11.0, 0.4, 200.0, -20.0),
        r("percussive", {"taiko", "woodblock"}, "drums", -11.0, 0.4, 200.0, -20.0),
        r("tom", {"tom", "toms", "floor"}, "drums", -8.0, 0.4, 90.0, -20.0),
        r("overhead", {"oh", "overhead", "overheads", "ohs"}, "drums", -9.0, 0.6, 200.0, -22.0),
        r("hat", {"hat", "hh", "hihat", "hats", "cymbal", "ride", "crash"}, "drums", -12.0, 0.3, 300.0, std::nullopt),
        r("room", {"room", "amb", "ambience"}, "drums", -14.0, 0.0, 200.0, std::nullopt),
        r("synth_effects", {}, "fx", -13.0, 0.3, 200.0, -16.0),
        r("sound_effects", {"fx", "sfx", "noise", "riser", "impact", "sweep"}, "fx", -13.0, 0.3, 200.0, -16.0),
    };
    for (auto& rule : rules) {
        if (rule.role == "guitar") rule.weakWords = {"acoustic", "electric"};
        if (rule.role == "vocal" || rule.role == "backing" || rule.role == "bass") rule.compressor = true;
    }
    for (std::size_t i = 0; i < rules.size(); ++i) rules[i].maskingPriority = static_cast<int>(i);
    return rules;
}

// The corpus's levels over the texts' wherever it heard the role (automix/corpus/role_levels.csv:
// family, parts, songs, level_lu, ...). A family heard in few parts is not taken at its word:
// the script has pulled its level toward the typical melodic part's by how little it heard.
std::vector<RoleRule> measuredRules() {
    std::vector<RoleRule> rules = literatureRules();
    for (const auto& row : csvRows(automix_data::kRoleLevelsCsv)) {
        if (row.size() < 5) continue;
        auto count = [](const std::string& n, const char* what) { return n + " " + what + (n == "1" ? "" : "s"); };
        for (auto& rule : rules) {
            if (rule.role != row[0]) continue;
            rule.levelLu = std::stod(row[3]);
            rule.levelSource = "the corpus (" + count(row[1], "part") + " in " + count(row[2], "song");
            // Say when the pull toward the typical melodic part moved it (a family heard little,
            // or in parts that disagree).
            if (const double alone = std::stod(row[4]); std::fabs(alone - rule.levelLu) >= 0.5) {
                char text[80];
                std::snprintf(text, sizeof text, "; %+.1f LU alone, pulled toward the typical melodic part", alone);
                rule.levelSource += text;
            }
            rule.levelSource += ")";
        }
    }
    return rules;
}

}  // namespace

const std::vector<RoleRule>& roleRules() {
    static const std::vector<RoleRule> rules = measuredRules();
    return rules;
}

const RoleRule& ruleFor(const std::string& role) {
    for (const auto& r : roleRules())
        if (role == r.role) return r;
    for (const auto& r : roleRules())
        if (r.role == "keys") return r;  // a neutral music element
    return roleRules().front();
}

std::vector<std::string> nameTokens(const std::string& text) {
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

std::string generalMidiFamily(const std::vector<std::string>& tokens) {
    // The 128 program names as token runs, longest first ("acoustic_bass" before "bass").
    static const std::vector<std::pair<std::vector<std::string>, std::string>> programs = [] {
        std::vector<std::pair<std::vector<std::string>, std::string>> list;
        for (const auto& row : csvRows(automix_data::kGeneralMidiCsv))
            if (row.size() == 3) list.emplace_back(nameTokens(row[1]), row[2]);
        std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
        return list;
    }();
    for (const auto& [words, family] : programs)
        if (std::search(tokens.begin(), tokens.end(), words.begin(), words.end()) != tokens.end()) return family;
    return "";
}

std::string familyFromSound(double centroidHz, double lowShare, double onsetsPerSecond, double dutyCycle, double flatness) {
    struct Family {
        std::string name;
        double logPrior = 0.0;
        std::vector<double> mean, sd;
    };
    static const std::vector<Family> families = [] {
        std::vector<Family> list;
        for (const auto& row : csvRows(automix_data::kSoundFamiliesCsv)) {
            if (row.size() != 12) continue;
            Family f{row[0], std::log(std::stod(row[1])), {}, {}};
            for (std::size_t i = 2; i < 12; i += 2) {
                f.mean.push_back(std::stod(row[i]));
                f.sd.push_back(std::stod(row[i + 1]));
            }
            list.push_back(f);
        }
        return list;
    }();
    // The same transforms as scripts/automix_corpus.py's FEATURES.
    const double x[5] = {std::log(centroidHz + 1.0), lowShare, std::log(onsetsPerSecond + 0.1), dutyCycle, std::log(flatness + 1e-4)};
    std::string best;
    double bestScore = -std::numeric_limits<double>::infinity();
    for (const auto& f : families) {
        double score = f.logPrior;
        for (std::size_t i = 0; i < 5; ++i) {
            const double z = (x[i] - f.mean[i]) / f.sd[i];
            score -= 0.5 * z * z + std::log(f.sd[i]);
        }
        if (score > bestScore) bestScore = score, best = f.name;
    }
    return best;
}

}  // namespace bounce::automix_detail
