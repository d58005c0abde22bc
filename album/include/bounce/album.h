// Albums: songs in order, with gaps or crossfades, mastered with one chain and brought to
// consistent loudness, delivered as per-track files, one continuous file and (for CD) a
// 44.1 kHz / 16-bit image with a CUE sheet. docs/album.md describes the manifest.
//
// The render: every song is mastered (bounce master's chain and closed loop) to a
// temporary float file at the album's rate; then one streaming pass lays the songs on the
// album's timeline (gaps of silence, equal-power crossfades), runs the whole through a
// true-peak limiter at the ceiling (it only acts where a crossfade sums over), quantises
// once (dither only to 16 bits) and writes every output from that one stream, cutting the
// per-track files at the track boundaries, so that they play back to back as the
// continuous file, sample for sample. Memory does not grow with the album's length.
#pragma once

#include "bounce/analysis.h"
#include "bounce/progress.h"
#include "bounce/session.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bounce {

struct AlbumTrackSpec {
    int line = 0;  // in the manifest, for messages
    std::string file;
    std::string title, artist, isrc;
    std::optional<double> gapSeconds;  // silence before this track; default 2 s (0 before the first)
    double crossfadeSeconds = 0.0;     // overlap into the next track
    FadeShape crossfadeCurve = FadeShape::EqualPower;
    bool trimSilence = false;  // cut digital silence (below -60 dBFS) at head and tail
    std::string style;         // mastering style; "": the album's
    std::optional<double> intensity;
    double loudnessOffsetLu = 0.0;  // this track louder (+) or quieter (-) than the rule gives
};

struct AlbumManifest {
    std::string path;
    std::string title, artist, date, upc, artworkPath, genre;
    std::string style = "neutral";
    double intensity = 0.5;
    std::vector<AlbumTrackSpec> tracks;
};

// Throws ConfigError "manifest.toml:LINE: message" for an unknown key, a wrong type, a
// missing or unreadable file, a bad ISRC or UPC, a crossfade into a track with a gap.
AlbumManifest readAlbumManifest(const std::string& path);

enum class AlbumLoudness {
    Album,  // the same chain for every song, then one album-wide rule: the loudest song at
            // the target, the others keep their distance to it (AES TD1008)
    Track,  // every song to the target
};

struct AlbumSettings {
    std::string outputDir;
    std::string target = "spotify";
    std::optional<double> lufs, ceilingDbtp;
    AlbumLoudness loudness = AlbumLoudness::Album;
    bool cd = false;              // also a Red Book image: 44.1 kHz, 16 bits, dithered, and a CUE sheet
    std::string format = "wav";   // per-track and continuous files: one of outputFormatChoices()
    int bitrateKbps = 0;          // mp3 and aac; 0: the format's default
    int vbrQuality = -1;          // mp3: LAME's VBR scale 0..9; -1: constant bit rate
    ProgressCallback onProgress;  // the fraction done: mastering the songs (90 %), then the files
    std::string bits;             // "16", "24", "32f"; "": the target's, else 24
};

struct AlbumTrackResult {
    int number = 0;
    std::string title, artist, path;  // path: the per-track file
    std::uint64_t index00 = 0;        // where its pre-gap (silence before it) starts, frames
    std::uint64_t index01 = 0;        // where it starts
    std::uint64_t end = 0;            // where its file ends (the next track's start)
    double gapSeconds = 0.0;
    double crossfadeSeconds = 0.0;                       // into the next
    std::optional<double> inputLufs;                     // the song as given
    std::optional<double> integratedLufs, truePeakDbtp;  // as delivered (its file)
};

struct AlbumResult {
    double sampleRate = 0.0;
    std::uint64_t frames = 0;  // the album's timeline: the CD image's with cd (tracks' positions are on it)
    // With cd, the first track's 2 s pre-gap: it belongs to the CD image only, so the
    // per-track and continuous files start this many frames into the timeline.
    std::uint64_t cdPregapFrames = 0;
    std::vector<AlbumTrackResult> tracks;
    std::optional<double> integratedLufs, loudnessRangeLu, truePeakDbtp;  // the continuous file
    double ceilingDbtp = 0.0, targetLufs = 0.0;
    std::string continuousPath, cdPath, cuePath, reportTarget;
    std::vector<std::string> warnings;
};

// Renders the album into settings.outputDir (created if needed): "NN - Title.ext" per
// track, "Artist - Title.ext" for the whole, and with cd the image and its CUE sheet.
// Throws ConfigError for bad settings and Red Book violations (with cd), Error for audio.
AlbumResult renderAlbum(const AlbumManifest& manifest, const AlbumSettings& settings);

// Every file an album run reads (the songs, the manifest, the artwork): what none of its
// outputs, reports included, may replace.
std::vector<std::string> albumInputs(const AlbumManifest& manifest);

// Red Book (IEC 60908) limits on a CD layout at 44.1 kHz: at most 99 tracks, each at
// least 4 s, at most 79.8 minutes in all, a 2 s pre-gap before the first track, ISRCs of
// 12 characters (ISO 3901) and a 13-digit catalogue number. Returns one message per
// violation (empty when the layout is fine).
std::vector<std::string> redBookProblems(const std::vector<AlbumTrackResult>& tracks, std::uint64_t totalFrames,
                                         const std::vector<std::string>& isrcs, const std::string& upc);

// The CUE sheet of a continuous 44.1 kHz image (`fileName`), INDEX times in CD frames
// (1/75 s, 588 samples).
std::string cueSheet(const AlbumManifest& manifest, const std::vector<AlbumTrackResult>& tracks, const std::string& fileName);

// A catalogue number (UPC-A, 12 digits, or EAN-13) checked and written as 13 digits;
// throws ConfigError naming `what` when it is not one.
std::string normalisedCatalogueNumber(const std::string& code, const std::string& what);

}  // namespace bounce
