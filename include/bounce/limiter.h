// Lookahead true-peak limiter: the output's true peak (4x oversampled, BS.1770-4 Annex 2,
// measured with the project's own interpolator) does not exceed the ceiling.
//
// Detection runs on the true-peak interpolator's per-sample peaks (TruePeakDetector), so
// inter-sample overs count, linked across channels so the image does not shift. The gain
// a peak needs is held for the lookahead window W (a running minimum), released
// exponentially, then smoothed by a W-long moving average; the audio is delayed so the
// averaged gain has reached its target when the peak arrives (the scheme of Signalsmith's
// and x42's limiters). The moving average runs in exact fixed point, so below the
// ceiling the gain is exactly 1 and the output nulls against the delayed input.
//
// A gain that changes within the interpolator's span modulates the signal, and the
// modulated signal's inter-sample peaks can land a few hundredths of a dB above what the
// detector saw. So the main stage aims 0.02 dB under the ceiling, and a second, short
// stage (0.5 ms) measures the main stage's actual output the same way and takes off any
// remainder; its corrections are so small that their own modulation is negligible.
//
// latencyFrames() = both stages' windows - 1 + twice the interpolator's 10-frame delay.
#pragma once

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
    int latencyFrames() const noexcept override { return main_.latency + safety_.latency; }
    void setParams(const LimiterParams& params) noexcept;

    // Gain reduction since prepare()/reset(), for reports.
    double maxGainReductionDb() const noexcept;
    double meanGainReductionDb() const noexcept;

private:
    // One stage: detector, needed gain, hold + release + moving average, delay line.
    struct Stage {
        static constexpr double kFixedScale = 1099511627776.0;  // 2^40: exact sums

        void prepare(const ProcessSpec& spec, int window, double releaseCoefficient);
        void reset() noexcept;
        // Limits io in place to `ceiling` (linear); returns nothing, tracks gain stats.
        void process(AudioView io, double ceiling) noexcept;

        int window = 1;
        int latency = 0;
        double releaseCoefficient = 0.0;
        int maxBlock = 4096;
        std::vector<TruePeakDetector> detectors;
        std::vector<std::vector<float>> peaks;  // per channel, one block
        std::vector<DelayLine> delay;  // per channel, latency frames
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
        double sumGainReductionDb = 0.0;
        std::uint64_t frames = 0;
    };

    ProcessSpec spec_;
    LimiterParams params_;
    Stage main_;
    Stage safety_;
};

}  // namespace bounce
