// Mastering: one stereo file in, a release-ready file out, and an account of what was done.
//
// The chain (each stage a processor from the library, each reported):
//   DC offset removal -> gain -> corrective EQ (a 20 Hz high-pass where there is subsonic
//        content, the style's shelves) -> multiband compression (3 bands, gentle)
//        -> saturation (off unless the style asks) -> stereo width (off unless the style
//        asks) -> true-peak limiter
//        -> sample-rate conversion (soxr, very high quality) -> dither (only to 16 bits)
// A stage with nothing to do on this programme at this gain is not in the signal path
// (docs/master.md, "Only what the programme needs"): a master that needs only gain is the
// input times that gain.
//
// Reaching the target is a closed loop: measure the input, set the gain, render, measure
// the delivered file exactly as written (after conversion and dither), and correct the
// gain (and, if the delivered true peak is over, the limiter's ceiling) until the
// integrated loudness is within 0.2 LU of the target and the true peak is at or below the
// ceiling (by a guard of 0.08 dB, so that other BS.1770 meters agree). Each pass
// streams the file; nothing holds the whole song.
#pragma once

#include "bounce/analysis.h"
#include "bounce/codec_round_trip.h"
#include "bounce/progress.h"
#include "bounce/sound_file.h"
#include "bounce/spectrum_profile.h"

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bounce {

// A delivery target: a platform's normalisation loudness and its true-peak ceiling
// (docs/targets.md gives the sources).
// What a platform's loudness normalisation does to a master (docs/targets.md): the one
// statement of it that bounce master's and bounce check's reports both read.
enum class Normalisation {
    None,       // not a streaming platform (broadcast, CD): nothing at playback
    DownOnly,   // louder masters are turned down, quieter ones left alone (YouTube)
    UpAndDown,  // turned down, or up as far as the true-peak headroom to its ceiling allows
};

struct LoudnessTarget {
    std::string name;
    double integratedLufs = -14.0;
    double ceilingDbtp = -1.0;
    double sampleRate = 0.0;  // 0: keep the input's
    std::string bits;         // "": the default (24)
    std::string note;
    Normalisation normalisation = Normalisation::None;
    bool listenerSetting = false;  // a variant a listener chooses (spotify-loud): not listed as a platform
    // How far the integrated loudness may be from the target and still meet it: the standard's
    // own for broadcast (EBU R 128: 0.5 LU; ATSC A/85 RP: 2 dB), 1 LU for the platforms and
    // the CD guide (they normalise or are no standard: Bounce's own tolerance, said as such).
    double toleranceLu = 1.0;
    std::string toleranceSource;  // where the tolerance comes from
};

const std::vector<LoudnessTarget>& loudnessTargets();

// The mastering styles, neutral first (docs/master.md lists each one's departures): the one
// list the library, the CLI, the album manifest and the service check against.
const std::vector<std::string>& masterStyles();
// "neutral, warm, bright, punchy, wide or loud": for messages and help.
std::string masterStyleNames();
// nullptr when unknown.
const LoudnessTarget* findLoudnessTarget(const std::string& name);

// What a master or an album may aim at (--lufs, --ceiling).
constexpr double kMinTargetLufs = -40.0, kMaxTargetLufs = -5.0;
constexpr double kMinCeilingDbtp = -12.0, kMaxCeilingDbtp = 0.0;

// A run's aim: the named target's loudness and ceiling unless overridden, checked (NaN
// fails too: a library caller may pass one). Throws ConfigError naming the option.
struct LoudnessAim {
    const LoudnessTarget* target = nullptr;
    double lufs = 0.0;
    double ceilingDbtp = 0.0;
};
LoudnessAim resolveLoudnessAim(const std::string& target, std::optional<double> lufs, std::optional<double> ceilingDbtp);

struct Metadata {
    std::string title, artist, album, date, isrc, genre;
    int trackNumber = 0, trackTotal = 0;
    std::string artworkPath;
    // Further text tags (name, value), e.g. ReplayGain: TXXX frames in ID3v2, fields in
    // FLAC's Vorbis comment.
    std::vector<std::pair<std::string, std::string>> extraTags;
    bool empty() const noexcept {
        return title.empty() && artist.empty() && album.empty() && date.empty() && isrc.empty() && genre.empty() && trackNumber == 0 &&
               artworkPath.empty() && extraTags.empty();
    }
};

// A delivered file's true peak sits at least this far under its ceiling by Bounce's meter:
// the meter's largest under-reading of an ideal reconstruction seen on delivered masters
// (after rate conversion and dither; docs/loudness.md). bounce master and bounce album.
constexpr double kDeliveredTruePeakGuardDb = 0.04;

struct MasterSettings {
    std::string target = "spotify";
    std::optional<double> lufs;          // overrides the target's loudness
    std::optional<double> ceilingDbtp;   // overrides the target's ceiling
    std::string style = "neutral";       // one of masterStyles()
    double intensity = 0.5;              // 0 .. 1: how far the style goes
    double outputRate = 0.0;             // 0: the target's, else the input's
    std::string bits;                    // "16", "24", "32f"; "": the target's, else 24
    std::string dither = "tpdf";         // tpdf or shaped (only when reducing to 16/24 bits)
    std::string format;                  // one of outputFormatChoices(); "": from the output's name
    int bitrateKbps = 0;                 // MP3 and AAC masters; 0: the format's default (320, 256)
    int vbrQuality = -1;                 // MP3 masters: LAME's VBR scale 0 (best) .. 9; -1: constant bit rate
    bool verbose = false;                // each phase's time and each pass's loudness, peak and limiting on stderr
    double maxLimiterReductionDb = 8.0;  // beyond this the target is called unreachable
    bool strict = false;                 // unreachable: fail instead of doing it anyway
    bool dryRun = false;
    // Per-stage settings over the style's: "stage.key" -> value (docs/master.md lists them).
    std::map<std::string, double> overrides;
    Metadata metadata;
    // Reference matching (docs/reference-matching.md): match tone, width and loudness to
    // these files' average. The loudness is the references' unless `lufs` is given or
    // `targetGiven` is set.
    std::vector<std::string> references;
    MatchAmounts match;
    bool targetGiven = false;
    // Codec-safe delivery: the decoded round trips through these lossy codecs (names from
    // roundTripCodecs(), check.h) must also stay at or below the ceiling; the ceiling is
    // lowered only as much as that needs. Needs ffmpeg.
    ProgressCallback onProgress;  // the fraction done (the input's analysis, then each pass)
    bool codecSafe = false;
    std::vector<std::string> codecSafeCodecs;  // empty: all of roundTripCodecs()
};

struct MasterStage {
    std::string name;
    std::map<std::string, double> settings;  // numbers, in the processors' units
    std::map<std::string, double> effect;    // e.g. max_gain_reduction_db
    std::string detail;                      // what it did and why, or why it was bypassed
    bool active = true;                      // false: not in the signal path (nothing to do)
};

struct PlatformPlayback {
    std::string platform;
    double targetLufs = 0.0;
    double playbackGainDb = 0.0;  // what its normalisation does to this file (negative: turned down)
    bool limitedByPeak = false;   // turning it up to the target would put its true peak over the ceiling
};

// What each streaming platform's normalisation does to a file of this loudness and true
// peak (by the targets' Normalisation): bounce master's report and bounce check's.
std::vector<PlatformPlayback> platformPlayback(const AnalysisResult& measured);

// A file measured against a delivery target: it meets it when its integrated loudness is
// within the target's tolerance and its true peak at or under the ceiling. `why` says, for
// people, what each failure means (e.g. what the platform's normalisation will do).
struct TargetVerdict {
    std::string target, note;
    double targetLufs = 0.0, toleranceLu = 0.0, ceilingDbtp = 0.0;
    std::string toleranceSource;
    std::optional<double> integratedLufs, truePeakDbtp;
    bool loudnessMet = false, peakMet = false;
    bool passes() const noexcept { return loudnessMet && peakMet; }
    std::vector<std::string> why;  // one line per criterion, met or not
};
TargetVerdict judgeAgainstTarget(const AnalysisResult& measured, const LoudnessTarget& target);

struct MasterResult {
    AnalysisResult input;
    AnalysisResult output;  // the delivered file (or, dry run, what it would be)
    // Lossy deliveries (MP3, AAC, Opus, Vorbis): the codec's bit rate, and `output` was
    // measured on the decoded file (not on a dry run, which writes nothing).
    int bitrateKbps = 0;
    int vbrQuality = -1;  // an MP3 at LAME's VBR scale (bitrateKbps 0)
    bool measuredDecoded = false;
    double targetLufs = 0.0, ceilingDbtp = 0.0;
    double gainDb = 0.0;  // the make-up gain before the chain
    int passes = 0;
    bool reachedTarget = false;
    std::vector<MasterStage> stages;
    std::vector<PlatformPlayback> playback;
    std::vector<std::string> warnings;

    // Reference matching, when references were given.
    struct Reference {
        std::string path;
        std::optional<double> integratedLufs, crestDb;
        double width = 0.0;
        double distanceBeforeDb = 0.0, distanceAfterDb = 0.0;  // input / output to this one
    };
    std::vector<Reference> references;
    std::optional<ReferenceMatch> match;                   // the curves applied (after the amounts)
    double distanceBeforeDb = 0.0, distanceAfterDb = 0.0;  // to the references' average
    std::optional<double> outputCrestDb;
    double outputWidth = 0.0;

    // Codec-safe delivery (when asked for): the last round trips and how far the ceiling
    // the limiter aims at was lowered for them, in how many rounds.
    std::vector<CodecCheck> codecChecks;
    double codecLoweringDb = 0.0;
    int codecRounds = 0;
    bool codecSafeReached = false;

    // For the report's charts. What the dynamics took over time in the delivered pass: one
    // point a block of the render (about 0.1 s; the one series that grows with the length,
    // 36 000 points for an hour), the limiter's and each multiband band's most reduction.
    struct GainReductionPoint {
        double seconds = 0.0;
        double limiterDb = 0.0;
        std::array<double, 3> bandsDb{};
    };
    std::vector<GainReductionPoint> gainReduction;
    bool multibandRan = false, limiterRan = false;
    // The tone the chain applied on purpose (the corrective EQ, and the reference match's
    // tone when there is one), per third-octave band: (Hz, dB).
    std::vector<std::pair<double, double>> appliedEqDb;
};

// ISO 3901 (hyphens allowed, ignored).
bool isValidIsrc(const std::string& isrc);
// Throws ConfigError for a bad ISRC, artwork that is not a JPEG or PNG file, a bad track
// number.
void validateMetadata(const Metadata& metadata);
// Writes the tags into a .wav (RIFF INFO and ID3v2), .aiff (ID3v2) or .flac (Vorbis
// comment, picture) file with TagLib. Throws Error when it cannot.
void writeMetadata(const std::string& path, const Metadata& metadata);

// The loudness a player's volume normalisation reads from the tags.
struct GainTags {
    double trackLufs = 0.0;
    double trackTruePeakDbtp = 0.0;
    std::optional<double> albumLufs, albumTruePeakDbtp;
};
// ReplayGain 2.0 tags (gain to -18 LUFS, linear peak) in every format, and the R128 gains
// (Q7.8 dB to -23 LUFS) in FLAC and Opus: for Metadata::extraTags.
std::vector<std::pair<std::string, std::string>> replayGainTags(const GainTags& gain, FileFormat container);
// Formats whose players read ReplayGain from the tags (a master in them is tagged always).
bool carriesReplayGain(FileFormat container) noexcept;

// Throws ConfigError for bad settings (unknown target or style, bad ISRC, artwork that is
// not JPEG/PNG, the output being the input) and Error for audio failures; with strict,
// also when the target is unreachable. Writes to a temporary name and renames at the end.
// Every file a master run reads (the input, the references, the artwork): what none of
// its outputs, reports included, may replace.
std::vector<std::string> masterInputs(const std::string& inputPath, const MasterSettings& settings);

MasterResult masterFile(const std::string& inputPath, const std::string& outputPath, const MasterSettings& settings);

}  // namespace bounce
