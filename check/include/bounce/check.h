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
#include "bounce/codec_round_trip.h"
#include "bounce/equalizer.h"
#include "bounce/master.h"
#include "bounce/progress.h"
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
    std::vector<double> bandGainDb;     // per octaveBandsHz(): output over input power
    std::optional<double> loudnessChangeLu;
    bool bassAudible = true;      // the low end's harmonics (80-500 Hz) within 20 dB of the loudest octave
    bool presenceMasked = false;  // 1-4 kHz more than 10 dB under 250-500 Hz
    std::string previewPath;      // when previews were written
};

// Two versions of a mix, lined up: what changed from the input to `path`.
struct VersionComparison {
    std::string path;
    std::int64_t lagFrames = 0;  // the other starts this many frames later (negative: earlier)
    // Every change is the input relative to the other: "+" means the input is louder,
    // has more in that band, is wider.
    std::optional<double> loudnessChangeLu;  // input minus other
    std::vector<double> bandChangeDb;        // per octave band, input over other
    std::vector<double> thirdOctaveHz, thirdOctaveChangeDb;
    double widthChangeDb = 0.0;           // of the side/mid ratio (overallWidth), input over other
    double nullResidualDbfs = -200.0;     // RMS of the difference, lined up
    double matchedResidualDbfs = -200.0;  // the same after the best single gain on the other
    double matchedGainDb = 0.0;           // that gain
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
    float truePeak = 0.0f;         // its true peak, linear (0 when under -20 dBTP)
};

// The report's pictures of the programme (CheckResult::views).
struct ProgrammeViews {
    std::vector<float> correlation;  // L/R correlation per waveform column, -1 .. 1; NaN where silent (empty for mono)
    // Vectorscope: sample counts on a scopeSize x scopeSize grid of side (x, left to right) and
    // mid (y, bottom to top), each over +-scopeScale (the programme's sample peak).
    int scopeSize = 0;
    double scopeScale = 1.0;
    std::vector<std::uint32_t> scope;
    // Spectrogram: the mono sum's power per third-octave band (dBFS: a sine at full scale
    // reads 0) in columns of
    // spectrogramColumnSeconds (Hann-windowed 4096-point FFT frames averaged in each).
    std::vector<double> spectrogramHz;
    std::vector<std::vector<float>> spectrogramDb;  // [column][band]
    double spectrogramColumnSeconds = 0.0;
};

struct CheckResult {
    AnalysisResult analysis;
    // One point per 100 ms (the one series that grows with the length: 36 000 points, under
    // 1 MB, for an hour) and 800 waveform columns.
    std::vector<LoudnessPoint> loudness;
    std::vector<WaveformColumn> waveform;
    SpectrumProfile profile;
    std::vector<double> monoLossDb;       // per octave band
    std::vector<double> bandCorrelation;  // per octave band, -1 .. 1 (nullopt bands: 1)
    std::vector<SystemCheck> systems;
    std::vector<PlatformPlayback> platforms;  // platformPlayback(): master's report says the same
    std::vector<Finding> findings;
    std::optional<VersionComparison> against;
    std::vector<CodecCheck> codecs;
    std::optional<TargetVerdict> verdict;  // when a target was chosen
    ProgrammeViews views;
};

struct CheckSettings {
    std::string target;                // a delivery target to pass or fail (loudnessTargets()); "": none
    std::vector<std::string> systems;  // empty: all
    bool playbackSystems = true;       // false: none (the master report's views of its input and output)
    std::string previewDir;            // "": no previews
    std::string againstPath;           // "": no comparison
    bool codecs = true;                // lossy round trips through ffmpeg, when it is installed
    ProgressCallback onProgress;       // the fraction done: the pass over the file, then the round trips
};

// Throws ConfigError for an unknown system, Error for audio that cannot be read.
CheckResult checkFile(const std::string& path, const CheckSettings& settings);

}  // namespace bounce
