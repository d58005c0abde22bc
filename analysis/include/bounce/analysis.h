// Programme analysis: everything `bounce analyze` reports about a file, as a plain
// struct. JSON, the text table and later the QC reports are views of this one struct, so
// they cannot disagree.
#pragma once

#include "bounce/audio_buffer.h"
#include "bounce/loudness_meter.h"
#include "bounce/sound_file.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bounce {

struct SpectrumProfile;

// A sample at or beyond this magnitude is at full scale: it covers 16-bit's 32767/32768
// as well as 24-bit's and float's 1.0.
inline constexpr float kFullScaleThreshold = 32767.0f / 32768.0f;
// This many consecutive full-scale samples in a channel are counted as a clip.
inline constexpr int kClipRunSamples = 3;
// Leading and trailing silence: below this sample level in every channel.
inline constexpr double kSilenceThresholdDbfs = -60.0;

struct ChannelAnalysis {
    double samplePeak = 0.0;  // linear
    double truePeak = 0.0;    // linear
    double meanSquare = 0.0;
    double dcOffset = 0.0;  // mean sample value
    std::uint64_t clippedSamples = 0;
};

struct AnalysisResult {
    std::string path;
    std::string formatName;
    double sampleRate = 0.0;
    int channels = 0;
    std::uint64_t frames = 0;
    double durationSeconds = 0.0;

    std::optional<double> integratedLufs;
    std::optional<double> loudnessRangeLu;
    std::optional<double> maxMomentaryLufs;
    std::optional<double> maxShortTermLufs;
    std::optional<double> samplePeakDbfs;
    std::optional<double> truePeakDbtp;
    std::optional<double> rmsDbfs;
    std::optional<double> crestDb;
    std::vector<std::optional<double>> dcOffsetDbfs;  // per channel; nullopt for none at all
    std::optional<double> correlation;                // L/R, -1 .. +1; nullopt for mono or a silent side
    std::uint64_t clippedSamples = 0;
    double leadingSilenceSeconds = 0.0;
    double trailingSilenceSeconds = 0.0;

    std::uint64_t nonFiniteSamples = 0;
    double firstNonFiniteSeconds = 0.0;
    int firstNonFiniteChannel = 0;  // 0-based
    std::vector<ChannelAnalysis> perChannel;
    std::vector<std::string> warnings;
    std::vector<std::pair<std::string, std::string>> tags;  // release metadata, for display
};

// Streams audio through the loudness meter and the signal statistics.
class ProgramAnalyzer {
public:
    // truePeakOnSecondThread: see LoudnessMeter::Settings (for whole files).
    ProgramAnalyzer(double sampleRate, int channels, const std::vector<Speaker>& speakers = {}, bool measureTruePeak = true,
                    bool truePeakOnSecondThread = false);
    ~ProgramAnalyzer();
    ProgramAnalyzer(ProgramAnalyzer&&) noexcept;
    ProgramAnalyzer& operator=(ProgramAnalyzer&&) noexcept;

    void setHopCallback(std::function<void(const LoudnessHop&)> callback);
    // Also accumulate the mid/side spectrum for a SpectrumProfile (reference matching).
    void enableSpectrumProfile();
    // Skip the QC statistics (RMS, DC, correlation, clipping, silence): for measurements
    // that need only loudness and spectrum. result() then reports none of them.
    void disableStatistics();
    // The profile of what was added, gated by `analysis` (this analyzer's result()).
    SpectrumProfile spectrumProfile(const AnalysisResult& analysis) const;
    void addFrames(ConstAudioView block) noexcept;
    AnalysisResult result() const;

    const LoudnessMeter& meter() const noexcept;

private:
    struct State;
    std::unique_ptr<State> state_;
};

struct AnalyzeOptions {
    bool measureTruePeak = true;
    std::function<void(const LoudnessHop&)> onHop;  // for loudness curves
    SpectrumProfile* spectrumProfile = nullptr;     // filled in the same pass when given
    std::function<void(ConstAudioView)> onBlock;    // each block as read: other measurements in the same pass
};

// Reads the file once, in blocks. Throws bounce::Error (naming the file) when it cannot
// be read or holds NaN or infinite samples.
AnalysisResult analyzeFile(const std::string& path, const AnalyzeOptions& options = {});

// The result of an analyzer that was fed a whole file: adds the path, format, tags and
// warnings, and throws bounce::Error (naming the file) when it held NaN or infinity. For
// callers that read a file for another purpose and measure it on the way.
AnalysisResult finishFileAnalysis(const ProgramAnalyzer& analyzer, const SoundFileInfo& info, std::uint64_t framesRead);

// The integrated loudness of a file, quickly (no true peak, no QC statistics); nullopt
// for silence.
std::optional<double> integratedLoudnessOf(const std::string& path);

// 20 log10(linear), nullopt for 0 (and for NaN).
std::optional<double> decibelsFromLinear(double linear) noexcept;

// Power ratios and dB: 10 log10 (floored at -300 dB, so silence stays a number) and back.
inline double powerToDb(double power) noexcept { return 10.0 * std::log10(std::max(power, 1e-30)); }
inline double dbToPower(double db) noexcept { return std::pow(10.0, db / 10.0); }

}  // namespace bounce
