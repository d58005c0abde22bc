// Lookahead true-peak limiter: the output's ideal band-limited reconstruction (what a
// perfect converter plays) does not exceed the ceiling.
//
// Detection runs on per-sample true peaks (TruePeakDetector), linked across channels so
// the image does not shift. The gain a peak needs is held for the lookahead window W (a
// running minimum), released exponentially, then smoothed by a W-long moving average; the
// audio is delayed so the averaged gain has reached its target when the peak arrives (the
// scheme of Signalsmith's and x42's limiters). The moving average runs in exact fixed
// point, so wherever no stage acts the gain is exactly 1.
//
// A gain that changes modulates the signal, and the modulated signal's reconstruction can
// crest above what the detector saw. So the work is done in stages, each measuring the
// actual output of the one before:
//   1. main: the musical limiter (lookahead, release), on the detector's fast 4x screen,
//      aiming 0.02 dB under the ceiling;
//   2. guard: a linear-phase low-pass flat to 0.49 fs that takes out the top 1 % of the
//      band (21.6 - 22.05 kHz at 44.1 kHz), only within 2048 samples of material less
//      than 6 dB under the ceiling (elsewhere the output is the input, bit for bit). The
//      reconstruction of content within a few hundredths of a percent of Nyquist depends
//      on samples tens of thousands away (the sinc's tail, summed coherently), so no
//      detector with a finite reach can bound it; without such content the detector's
//      4096-tap reconstruction is the ideal one;
//   3. safety: a 0.5 ms limiter on the full reconstruction, aiming 0.05 dB under and
//      taking off 1.5 times the over it sees, at most 0.05 dB extra (lowering the samples
//      next to a crest can raise a neighbouring crest through the sinc's negative lobes);
//   4. final: the same, aiming 0.003 dB under, for what the safety stage's own gain
//      changes leave. On the stress corpus driven 12 and 20 dB over (tests/dsp/
//      limiter_test.cpp, measured against an FFT reconstruction) the output's highest
//      peak is 0.02 to 0.03 dB under the ceiling.
// The output is cut to the input's span as an offline render does (renderAligned: the
// guard's ringing outside it is not delivered, so the later stages do not see it either;
// inputEndsIn() tells where the input ends).
//
// latencyFrames() = the three stages' windows - 3 + the guard's 3071 + the detectors' delays
// (16 for the screen, 2049 for each reconstruction): lookahead + 1 ms + 7182 frames.
#pragma once

#include "bounce/convolver.h"
#include "bounce/delay_line.h"
#include "bounce/processor.h"
#include "bounce/true_peak.h"

#include <cstdint>
#include <vector>

namespace bounce {

struct LimiterParams {
    double ceilingDbtp = -1.0;  // -24 .. 0
    double lookaheadMs = 2.0;   // 0.5 .. 20; the attack time; applied at prepare()
    double releaseMs = 100.0;   // 1 .. 2000, time constant of the gain's recovery
};

class TruePeakLimiter final : public Processor {
public:
    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override;
    void process(AudioView io) noexcept override;
    int latencyFrames() const noexcept override { return main_.latency + guard_.latency + safety_.latency + final_.latency; }
    void setParams(const LimiterParams& params) noexcept;
    void inputEndsIn(std::uint64_t frames) noexcept override { inputEnd_ = inputFrames_ + frames; }

    // Gain reduction since prepare()/reset(), for reports.
    double maxGainReductionDb() const noexcept;
    double meanGainReductionDb() const noexcept;
    // The most gain reduction since the last call (or prepare/reset), for a report's curve
    // over time; starts the next window.
    double takeRecentGainReductionDb() noexcept;

private:
    // One stage: detector, needed gain, hold + release + moving average, delay line.
    struct Stage {
        static constexpr double kFixedScale = 1099511627776.0;  // 2^40: exact sums

        void prepare(const ProcessSpec& spec, int window, double releaseCoefficient, TruePeakDetector::Mode mode);
        void reset() noexcept;
        // Limits io in place to `ceiling` (linear); returns nothing, tracks gain stats.
        void process(AudioView io, double ceiling) noexcept;

        int window = 1;
        // The gain taken is (ceiling / peak) x max((ceiling / peak) ^ overCorrection, extraFloor).
        double overCorrection = 0.0;
        double extraFloor = 1.0;
        int latency = 0;
        double releaseCoefficient = 0.0;
        int maxBlock = 4096;
        std::vector<TruePeakDetector> detectors;
        std::vector<std::vector<float>> peaks;  // per channel, one block
        std::vector<DelayLine> delay;           // per channel, latency frames
        std::vector<double> minValues;
        std::vector<std::uint64_t> minIndices;
        std::size_t minHead = 0, minSize = 0;
        std::uint64_t frame = 0;
        double previousNeed = 1.0;
        double released = 1.0;
        std::vector<std::int64_t> average;
        std::size_t averagePosition = 0;
        std::int64_t averageSum = 0;
        double minGain = 1.0;
        double recentMinGain = 1.0;  // since the last takeRecentGainReductionDb()
        double sumGainReductionDb = 0.0;
        std::uint64_t frames = 0;
    };

    ProcessSpec spec_;
    LimiterParams params_;
    Stage main_;
    // The guard: the top 1 % of the band, low-passed out where the limiter works.
    struct Guard {
        void prepare(const ProcessSpec& spec);
        void reset() noexcept;
        // In place; `threshold` (linear) is the sample level from which the guard acts.
        void process(AudioView io, double threshold) noexcept;
        int latency = 0;
        std::vector<Convolver> lowPass;             // per channel
        std::vector<DelayLine> dryDelay;            // per channel, latency frames
        std::vector<DelayLine> lowPassDelay;        // per channel, latency - the low-pass's own
        std::vector<std::vector<float>> lowPassed;  // per channel, one block
        std::vector<float> amount;                  // one block: the guard's share, 0 .. 1
        std::vector<unsigned char> held;            // ring of the last kRampFrames 'held' flags
        std::size_t heldPosition = 0;
        int heldCount = 0;
        std::uint64_t frame = 0;
        std::uint64_t lastLoud = 0;
        bool anyLoud = false;
    };
    Guard guard_;
    std::uint64_t inputFrames_ = 0;        // since reset()
    std::uint64_t inputEnd_ = UINT64_MAX;  // once told
    Stage safety_;
    Stage final_;
};

}  // namespace bounce
