// `bounce check`: how a mix will sound on the systems people play it on, and what a
// mastering engineer's QC would flag. docs/playback-systems.md documents the models.
//
// One streaming pass over the file measures it (loudness, true peak, QC statistics, the
// loudness-gated mid/side third-octave profile) while it runs through every playback
// model, each model's output measured the same way (and written as a preview on request).
// Per-band figures come from the profiles: a system's gain per band is its output's band
// power over the input's; what mono loses per band is M^2 / (M^2 + S^2), the mono sum's
// power over the stereo average; a band's L/R correlation is (M^2 - S^2) / (M^2 + S^2).
#pragma once

#include "bounce/analysis.h"
#include "bounce/equalizer.h"
#include "bounce/spectrum_profile.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bounce {

// A playback system: a response (an equaliser, designed from the documented curve), a
// mono fold-down for single-speaker devices, and the headroom of its amplifier (a limiter
// at that level, after the response; 0: none).
struct PlaybackSystem {
    std::string name;
    std::string description;
    EqParams response;
    bool mono = false;
    double headroomDbfs = 0.0;
};

const std::vector<PlaybackSystem>& playbackSystems();
const PlaybackSystem* findPlaybackSystem(const std::string& name);

// Octave bands for reports: ISO centres 31.5 Hz .. 16 kHz.
const std::vector<double>& octaveBandsHz();

// Left and right against each other per octave (from a programme's profile, mid and side
// power: correlation (M - S) / (M + S)), as bounce check judges them. Bands with nothing in
// them (40 dB under the loudest) are not judged. `inverted`: opposed (under -0.3) in at
// least 7 of 10 judged bands, one channel's polarity flipped; otherwise `outOfPhase` lists
// the bands under -0.2 (indices into octaveBandsHz()). Out-of-phase bass is such a band at
// or below 125 Hz.
struct PhaseFindings {
    bool inverted = false;
    int judged = 0, opposed = 0;
    std::vector<std::size_t> outOfPhase;
    std::vector<double> correlation;  // per octave
};
PhaseFindings phaseFindings(const SpectrumProfile& profile);
constexpr double kOutOfPhaseBassUpToHz = 125.0;

enum class Severity { Info, Warning, Error };

struct Finding {
    Severity severity = Severity::Info;
    std::string code;     // stable id, e.g. "true_peak_over"
    std::string message;  // one line for people
    std::optional<double> atSeconds;
};

struct SystemCheck {
    std::string name, description;
    std::vector<double> thirdOctaveDb;  // its output's spectrum (mid + side power per band, as the input profile's bands)
    std::vector<double> bandGainDb;  // per octaveBandsHz(): output over input power
    std::optional<double> loudnessChangeLu;
    bool bassAudible = true;         // the low end's harmonics (80-500 Hz) within 20 dB of the loudest octave
    bool presenceMasked = false;     // 1-4 kHz more than 10 dB under 250-500 Hz
    std::string previewPath;         // when previews were written
};

struct PlatformCheck {
    std::string platform;
    double targetLufs = 0.0;
    double playbackGainDb = 0.0;  // what its normalisation does (negative: turned down)
    bool limitedByPeak = false;   // turning up would put the true peak over its ceiling (players that do not limit stop there)
};

// Two versions of a mix, lined up: what changed from the input to `path`.
struct VersionComparison {
    std::string path;
    std::int64_t lagFrames = 0;                // the other starts this many frames later (negative: earlier)
    std::optional<double> loudnessChangeLu;    // other minus input
    std::vector<double> bandChangeDb;          // per octave band, other over input
    std::vector<double> thirdOctaveHz, thirdOctaveChangeDb;
    double widthChangeDb = 0.0;                // change of the side/mid ratio (overallWidth)
    double nullResidualDbfs = -200.0;          // RMS of the difference, lined up
    double matchedResidualDbfs = -200.0;       // the same after the best single gain on the other
    double matchedGainDb = 0.0;                // that gain
};

// For plots: the meter's 100 ms hops, and the waveform in a fixed number of columns.
struct LoudnessPoint {
    double seconds = 0.0;
    std::optional<double> momentaryLufs, shortTermLufs;
};
struct WaveformColumn {
    float min = 0.0f, max = 0.0f;  // over the channels
    bool clipped = false;          // a sample at full scale
    bool truePeakHigh = false;     // the reconstructed signal above -1 dBTP
};

// A lossy round trip: encoded with ffmpeg, decoded, measured.
struct CodecCheck {
    std::string codec;               // "aac", "mp3", "opus"
    int bitrateKbps = 0;
    bool available = false;          // ffmpeg and the encoder were there and worked
    std::optional<double> truePeakDbtp;  // of the decoded file
};

struct CheckResult {
    AnalysisResult analysis;
    // One point per 100 ms (the one series that grows with the length: 36 000 points, under
    // 1 MB, for an hour) and 800 waveform columns.
    std::vector<LoudnessPoint> loudness;
    std::vector<WaveformColumn> waveform;
    SpectrumProfile profile;
    std::vector<double> monoLossDb;         // per octave band
    std::vector<double> bandCorrelation;    // per octave band, -1 .. 1 (nullopt bands: 1)
    std::vector<SystemCheck> systems;
    std::vector<PlatformCheck> platforms;
    std::vector<Finding> findings;
    std::optional<VersionComparison> against;
    std::vector<CodecCheck> codecs;
};

struct CheckSettings {
    std::vector<std::string> systems;  // empty: all
    std::string previewDir;            // "": no previews
    std::string againstPath;           // "": no comparison
    bool codecs = true;                // lossy round trips through ffmpeg, when it is installed
};

// The lossy codecs a round trip can use, each at the common streaming bit rate bounce
// check measures: aac 256, mp3 320, opus 160 kbit/s.
const std::vector<std::string>& roundTripCodecs();
// Whether ffmpeg can be started from the PATH.
bool ffmpegAvailable();
// Encodes `path` with ffmpeg in each of `codecs` (names from roundTripCodecs(); empty: all),
// decodes it in a private temporary folder and measures the decoded file's true peak.
// A codec ffmpeg cannot encode or decode comes back with available = false.
std::vector<CodecCheck> codecRoundTrips(const std::string& path, const std::vector<std::string>& codecs = {});

// Throws ConfigError for an unknown system, Error for audio that cannot be read.
CheckResult checkFile(const std::string& path, const CheckSettings& settings);

}  // namespace bounce
