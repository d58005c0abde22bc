// Time effects: feedback delay, algorithmic (FDN) reverb, convolution reverb. All three
// are insert or send effects with a dry/wet `mix`; on a send return use mix = 1.
#pragma once

#include "bounce/biquad.h"
#include "bounce/convolver.h"
#include "bounce/processor.h"

#include <array>
#include <string>
#include <vector>

namespace bounce {

// ---------------------------------------------------------------- Delay

struct DelayParams {
    double timeMs = 375.0;    // 1 .. 4000; ignored when synced
    double bpm = 0.0;         // > 0 syncs the time to a note value at this tempo
    double noteBeats = 0.5;   // the note in quarter-note beats: 1/8 = 0.5, dotted 1/8 = 0.75
    double feedback = 0.35;   // 0 .. 0.98
    double highCutHz = 8000;  // one-pole low-pass in the feedback path (darker repeats)
    double lowCutHz = 80;     // one-pole high-pass in the feedback path
    bool pingPong = false;    // repeats alternate left and right (stereo)
    double mix = 0.3;         // 0 .. 1
};

// Delay time of a note value at a tempo, e.g. ("1/8d", 120) -> 375 ms.
double noteDelayMs(double noteBeats, double bpm) noexcept;

// Feedback delay; the time glides (tape-like) when it changes.
class FeedbackDelay final : public Processor {
public:
    static constexpr double kMaxTimeMs = 4000.0;

    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override;
    void process(AudioView io) noexcept override;
    void setParams(const DelayParams& params) noexcept;

private:
    double targetFrames() const noexcept;

    ProcessSpec spec_;
    DelayParams params_;
    SmoothedValue delayFrames_, mix_, feedback_;
    std::vector<std::vector<float>> lines_;
    std::size_t write_ = 0;
    double highCutCoefficient_ = 0.0, lowCutCoefficient_ = 0.0;
    std::vector<double> lowPassState_, highPassState_, highPassInput_;
};

// ---------------------------------------------------------------- Algorithmic reverb

struct ReverbParams {
    double predelayMs = 10.0;     // 0 .. 500
    double size = 0.7;            // 0.1 .. 1: scales the delay lengths (room size, echo density)
    double decayS = 1.8;          // 0.1 .. 20: RT60 at mid frequencies
    double lowDecayRatio = 1.0;   // RT60 below ~200 Hz relative to mid (0.25 .. 4)
    double highDecayRatio = 0.5;  // RT60 above the damping frequency relative to mid (0.1 .. 1)
    double dampingHz = 6000.0;    // where the high decay takes over
    double width = 1.0;           // 0 mono .. 1 full stereo wet
    double mix = 0.25;            // 0 .. 1
};

// Feedback delay network (Jot and Chaigne 1991; Stautner and Puckette 1982): 8 delay lines
// of mutually prime lengths, a Householder feedback matrix (lossless, dense), and in each
// line a gain and two first-order shelves (low at 200 Hz, high at damping_hz) set so that
// every line loses 60 dB in decayS (scaled per band) whatever its length.
class AlgorithmicReverb final : public Processor {
public:
    static constexpr int kLines = 8;

    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override;
    void process(AudioView io) noexcept override;
    void setParams(const ReverbParams& params) noexcept;

private:
    void designAbsorption() noexcept;

    ProcessSpec spec_;
    ReverbParams params_;
    std::array<std::vector<float>, kLines> lines_;
    std::array<std::size_t, kLines> lengths_{};
    std::array<std::size_t, kLines> positions_{};
    // Per line: mid-band gain times a first-order low shelf and a first-order high shelf,
    // multiplied out into one biquad; stored across lines so the loop vectorises.
    std::array<double, kLines> b0_{}, b1_{}, b2_{}, a1_{}, a2_{};
    std::array<double, kLines> s1_{}, s2_{};
    std::vector<std::vector<float>> predelay_;
    std::size_t predelayWrite_ = 0;
    std::size_t predelayFrames_ = 0;
    SmoothedValue mix_, width_;
};

// ---------------------------------------------------------------- Convolution reverb

struct ConvolutionReverbParams {
    std::string impulsePath;  // a sound file; resampled with soxr when its rate differs
    double mix = 0.3;         // 0 .. 1
    double predelayMs = 0.0;  // 0 .. 500
    bool normalize = true;    // scale the response to unit energy
    int partitionFrames = 0;  // convolution block and latency; 0: chosen from the length
                              // (at least 1024, at most 8 partitions: offline speed)
};

// Partitioned FFT convolution with a recorded response. The response's channels map onto
// the signal's (a mono response is used for every channel). Reading the response happens
// in prepare(), which throws bounce::Error for an unreadable file.
class ConvolutionReverb final : public Processor {
public:
    static constexpr double kMaxImpulseSeconds = 60.0;  // a longer response is refused at prepare

    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override;
    void process(AudioView io) noexcept override;
    int latencyFrames() const noexcept override { return convolvers_.empty() ? 0 : convolvers_[0].latencyFrames(); }
    void setParams(const ConvolutionReverbParams& params) noexcept {
        params_ = params;
        mix_.setTarget(params.mix);
    }

private:
    ProcessSpec spec_;
    ConvolutionReverbParams params_;
    std::vector<Convolver> convolvers_;
    std::vector<std::vector<float>> dry_;  // per channel ring, latency + 1
    std::vector<float> wet_;
    std::size_t dryWrite_ = 0;
    SmoothedValue mix_;
};

}  // namespace bounce
