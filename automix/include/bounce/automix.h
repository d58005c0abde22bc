// `bounce automix`: a first mix of a folder of tracks, written as an editable session
// file (docs/automix.md). Each track is labelled (from its name, else from its sound),
// grouped into a bus, balanced by the level of its loud passages toward its role's level
// relative to the lead, panned by role, high-passed where its own spectrum allows, and given role
// dynamics and a send to one shared reverb. Every decision is a comment in the file.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace bounce {

struct AutomixTrack {
    std::string file;  // as written in the session (relative to it)
    std::string name;  // from the file name
    std::string role;  // a General MIDI family (piano, guitar, bass, strings, reed...) or a studio role (kick, vocal...): docs/automix.md
    std::string roleReason;  // "file name 'kick_in'" or the audio features that decided
    std::string bus;         // drums, bass, music, vocals, fx
    int channels = 1;
    std::optional<double> activeLufs;  // BS.1770 gated: the parts where it plays
    // The level of its loud passages: the power mean of its loudest 10 % of 100 ms blocks
    // (K-weighted, over BS.1770's -70 LUFS gate). Its balance is set by this (docs/automix.md).
    std::optional<double> loudLufs;
    // The level of its hits: the same of its loudest 3 %. A drum's balance (any role on the
    // drums bus) is set by this.
    std::optional<double> hitsLufs;
    double gainDb = 0.0;
    double pan = 0.0;
    std::optional<double> highpassHz;
    bool compressor = false;
    std::optional<double> sendDb;  // to the reverb
    struct Cut {
        double freqHz = 0.0, gainDb = 0.0;  // a peak EQ cut, Q 1.4, at most 6 dB
        std::string because;                // the track it makes room for
        double overDb = 0.0;                // how far this track sat over it there
        double loudnessChangeLu = 0.0;      // what the cut takes off the track's loudness (K-weighted spectrum)
    };
    std::vector<Cut> cuts;
    std::vector<double> octaveDb;                   // its level per octave band (31.5 Hz .. 16 kHz) after its gain
    std::vector<double> bandHz, bandWeightedPower;  // third octaves, K-weighted power (for what a cut costs)
    // Its loudness in each 100 ms alone (K-weighted; -inf when silent): its loud passages come
    // from these, and the mix's predicted loudness from their power sums, four to a 400 ms
    // gating block as BS.1770 builds them: 144 kB for an hour.
    std::vector<float> hopLufs;
    // Features (from the loudness-gated spectrum and the meter's hops).
    double centroidHz = 0.0, lowShare = 0.0, onsetsPerSecond = 0.0;
    double dutyCycle = 0.0;  // the share of 10 ms frames within 20 dB of its loudest
    double flatness = 0.0;   // spectral flatness, 100 Hz .. 8 kHz in third octaves
};

struct AutomixResult {
    std::vector<AutomixTrack> tracks;
    std::string session;  // the TOML text
    double sampleRate = 0.0;
    double estimatedMixLufs = 0.0;  // the mix's integrated loudness, predicted from the tracks' blocks
    std::string leadRole;
    std::vector<std::string> skipped;  // files in the folder that are not audio Bounce reads, each with why
};

// The role a file name implies ("" when it says nothing).
std::string roleFromName(const std::string& fileName);

// Reads every audio file in `folder` that Bounce reads (any format libsndfile takes:
// WAV, FLAC, AIFF, Ogg, Opus, MP3...; sorted by name; the rest in `skipped`) and proposes
// the mix; `sessionDir` is where the session will live (file paths are written relative
// to it). Throws ConfigError when the folder holds no audio.
AutomixResult automix(const std::string& folder, const std::string& sessionDir);

// The tracks' files as this process opens them: their names in the session, joined to the
// session's folder.
std::vector<std::string> automixTrackPaths(const AutomixResult& result, const std::string& sessionDir);
// Writes the proposed session to `path` (automix() was given its folder as sessionDir) as
// every output is written: to a temporary renamed into place, and never over a track.
void writeAutomixSession(const AutomixResult& result, const std::string& path);

}  // namespace bounce
