// The roles automix gives tracks, and what each role gets: its words in file names, its
// bus, its level relative to the lead, its pan, high-pass cap, dynamics, reverb send and
// masking priority (docs/automix.md).
//
// Levels of the General MIDI families (and drums, bass) are measured: they come from
// automix/corpus/role_levels.csv, which scripts/automix_corpus.py writes from a corpus of
// songs rendered part by part, and which the build compiles in. Roles the corpus cannot
// have (a kick, a lead vocal) keep the figures of the mixing texts.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace bounce::automix_detail {

struct RoleRule {
    std::string role;
    std::vector<std::string> words;      // whole tokens of a file name; longer ones also as substrings
    std::vector<std::string> weakWords;  // tried only when no role's words matched ("acoustic")
    std::string bus;
    double levelLu = 0.0;                 // relative to the lead, the level of loud passages
    std::string levelSource;              // "the corpus (43 parts in 29 songs)" or "the mixing texts"
    double panWidth = 0.0;                // how far from the centre a mono track of this role goes (0: centred)
    std::optional<double> highpassCapHz;  // none: never high-passed
    bool compressor = false;
    std::optional<double> sendDb;  // to the reverb
    int maskingPriority = 0;       // lower wins: the other track gets the cut
    bool melody = false;           // can carry the tune (a lead when there is no vocal)
};

const std::vector<RoleRule>& roleRules();
// The rule of `role`; a neutral music element for an unknown role.
const RoleRule& ruleFor(const std::string& role);
// A file name's words: letters and digits, lower case, a digit run after letters apart ("vox2").
std::vector<std::string> nameTokens(const std::string& text);
// The General MIDI family whose program name's words stand in a row among `tokens`
// ("ch03_acoustic_grand" -> piano); "" when none does. Longer names first.
std::string generalMidiFamily(const std::vector<std::string>& tokens);

// The General MIDI family a track sounds most like, by a Gaussian naive Bayes classifier
// over the corpus's families (automix/corpus/sound_families.csv, priors from their part
// counts), from its log centroid, low share, log onsets a second, duty cycle and log flatness.
std::string familyFromSound(double centroidHz, double lowShare, double onsetsPerSecond, double dutyCycle, double flatness);

}  // namespace bounce::automix_detail
