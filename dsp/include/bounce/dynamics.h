// Dynamics: compressor, expander/gate and de-esser.
//
// All three follow Giannoulis, Massberg and Reiss, "Digital Dynamic Range Compressor
// Design - A Tutorial and Analysis" (JAES 60(6), 2012): the level is detected (peak:
// |x|; RMS: a one-pole mean square), a static curve in dB gives the gain change, and
// that gain change is smoothed in the dB domain by a branching one-pole (attack while it
// grows, release while it shrinks). A step in level therefore moves the gain as
// 1 - exp(-t / attack) (or release): the time constants are exactly the set values.
#pragma once

#include "bounce/biquad.h"
#include "bounce/processor.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace bounce {

enum class DetectorMode { Peak, Rms };

// The one-pole, dB-domain branching smoother of a gain reduction (>= 0 dB).
struct GainReductionSmoother {
    double attack = 0.0, release = 0.0;  // one-pole coefficients exp(-1 / (tau fs))
    double state = 0.0;
    static double coefficient(double ms, double sampleRate) noexcept;
    double next(double target) noexcept {
        const double a = target > state ? attack : release;
        state = a * state + (1.0 - a) * target;
        return state;
    }
};

struct CompressorParams {
    double thresholdDb = -18.0;  // -80 .. 0
    double ratio = 4.0;          // 1 .. 100
    double kneeDb = 6.0;         // 0 .. 24, soft knee width
    double attackMs = 10.0;      // 0.01 .. 500
    double releaseMs = 100.0;    // 1 .. 5000
    double makeupDb = 0.0;       // -24 .. 24
    DetectorMode detector = DetectorMode::Peak;
    double rmsMs = 10.0;               // RMS averaging time constant
    double stereoLink = 1.0;           // 0 independent .. 1 fully linked (loudest channel)
    double lookaheadMs = 0.0;          // 0 .. 20, applied at prepare()
    double sidechainHighpassHz = 0.0;  // 0 = off; a 12 dB/oct high-pass on the detector
};

// The static curve: gain change in dB (<= 0) for a detector level in dB.
double compressorCurveDb(double levelDb, double thresholdDb, double ratio, double kneeDb) noexcept;

class Compressor final : public Processor {
public:
    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override;
    void process(AudioView io) noexcept override { process(io, ConstAudioView()); }
    // With an external sidechain (`key`, same channel count and length as io): the
    // detector listens to the key instead of the input.
    void process(AudioView io, ConstAudioView key) noexcept;
    int latencyFrames() const noexcept override { return lookahead_; }
    void setParams(const CompressorParams& params) noexcept;
    const CompressorParams& params() const noexcept { return params_; }

    double maxGainReductionDb() const noexcept { return maxReductionDb_; }
    double meanGainReductionDb() const noexcept;
    // The most gain reduction since the last call (or prepare/reset), for a report's curve
    // over time; starts the next window.
    double takeRecentGainReductionDb() noexcept { return std::exchange(recentMaxReductionDb_, 0.0); }
    // The loudest the detector read since prepare or reset, in dB (peak dBFS, or RMS dBFS
    // with RMS detection; -infinity before any sound): the compressor stayed idle exactly
    // when this is under threshold - knee / 2. Mastering predicts with it whether a stage
    // would act on the programme at another gain (the level moves with the gain, dB for dB).
    double maxDetectorLevelDb() const noexcept;

    // The fast path (linked detection on the signal itself, no lookahead, parameters at
    // rest) for several compressors at once, each on its own audio (same channel count and
    // length): what a multiband does with its bands. Up to 8 compressors and 8 channels;
    // the same result as processing each alone.
    bool canProcessLinked() const noexcept;
    // detectOnly: run the detectors only (maxDetectorLevelDb), leaving the audio and the
    // gain state as they are.
    static void processLinkedGroup(Compressor* const* group, const AudioView* ios, int count, bool detectOnly = false) noexcept;

private:
    void processLinked(AudioView io) noexcept;
    void linkedTargets(AudioView io, std::size_t start, std::size_t frames, bool rms, double threshold, double ratio, double knee,
                       double quietBelow) noexcept;
    void applyLinkedGains(AudioView io, std::size_t start, std::size_t frames) noexcept;
    void trackLoudest(AudioView io, std::size_t start, std::size_t frames, bool rms) noexcept;
    void filterKeys(ConstAudioView source, std::size_t start, std::size_t frames) noexcept;

    ProcessSpec spec_;
    CompressorParams params_;
    int lookahead_ = 0;
    SmoothedValue threshold_, ratio_{SmoothedValue::Curve::Multiplicative}, knee_, makeup_;
    std::vector<GainReductionSmoother> smoothers_;
    std::vector<double> meanSquare_;
    double rmsCoefficient_ = 0.0;
    BiquadCascade sidechainFilter_;
    std::vector<std::vector<float>> keys_;   // per channel detector input, one block
    std::vector<std::vector<float>> delay_;  // per channel ring, lookahead + 1
    std::size_t delayWrite_ = 0;
    std::vector<double> levels_;  // per channel, this frame
    double quietThresholdDb_ = 1e9, quietKneeDb_ = 1e9, quietBelow_ = 0.0;
    std::vector<float> work_;   // per-frame targets, then gains, for one sub-block
    std::vector<float> level_;  // per-frame RMS detector (mean square), for one sub-block
    double maxReductionDb_ = 0.0;
    double recentMaxReductionDb_ = 0.0;
    double sumReductionDb_ = 0.0;
    double loudestLevel_ = 0.0;  // linear: peak, or mean square for RMS
    std::uint64_t frames_ = 0;
};

struct GateParams {
    double thresholdDb = -50.0;  // opens at or above this
    double hysteresisDb = 6.0;   // closes below threshold - hysteresis
    double ratio = 10.0;         // expansion ratio below the threshold; 100 is a gate
    double rangeDb = -60.0;      // the most attenuation, -120 .. 0
    double attackMs = 0.5;       // opening
    double holdMs = 50.0;        // stays open this long after the level falls
    double releaseMs = 100.0;    // closing
    double stereoLink = 1.0;
};

// Downward expander / gate with hysteresis and hold.
class Gate final : public Processor {
public:
    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override;
    void process(AudioView io) noexcept override;
    void setParams(const GateParams& params) noexcept;
    bool isOpen(int channel) const noexcept { return open_[static_cast<std::size_t>(channel)]; }

private:
    ProcessSpec spec_;
    GateParams params_;
    std::vector<GainReductionSmoother> smoothers_;
    std::vector<bool> open_;
    std::vector<int> holdRemaining_;
    std::vector<double> peak_;  // peak envelope per channel (instant attack, 10 ms release)
    double peakRelease_ = 0.0;
};

struct DeEsserParams {
    double freqHz = 7000.0;  // 1 .. 20 kHz: centre of the band that is detected and reduced
    double q = 1.0;          // 0.3 .. 4: its width
    double thresholdDb = -30.0;
    double ratio = 4.0;
    double rangeDb = -12.0;  // the most reduction of the band
    double attackMs = 1.0;
    double releaseMs = 60.0;
};

// Split-band de-esser: only the band around freq_hz is detected and turned down. The band
// is a constant-peak band-pass (RBJ), which has zero phase at its centre, so
// x - c BP(x) is a bell cut of depth c there and leaves the rest of the spectrum alone;
// with no reduction (c = 0) the output is the input bit for bit.
class DeEsser final : public Processor {
public:
    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override;
    void process(AudioView io) noexcept override;
    void setParams(const DeEsserParams& params) noexcept;
    double maxGainReductionDb() const noexcept { return maxReductionDb_; }

private:
    ProcessSpec spec_;
    DeEsserParams params_;
    BiquadCascade band_;
    std::vector<std::vector<float>> high_;  // per channel, one block
    std::vector<GainReductionSmoother> smoothers_;
    double envelope_ = 0.0;
    double maxReductionDb_ = 0.0;
};

}  // namespace bounce
