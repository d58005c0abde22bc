// Harmonic saturation: tape (symmetric, odd harmonics) and tube (asymmetric, adds even
// harmonics) waveshapers, run oversampled (8x by default) through the shared
// Oversampler so that harmonics above Nyquist do not fold back into the audible band.
//
//   tape: y = tanh(D x) / D
//   tube: y = (tanh(D x + b) - tanh(b)) / (D sech^2 b), b = bias; a 5 Hz DC blocker after
//
// Both are normalised to unity gain for small signals, so `drive_db` sets how hard the
// signal is pushed into the curve without changing its level much. `mix` blends the
// (latency-aligned) dry signal back in. Small-signal harmonic levels follow from the
// curve's Taylor series (see docs/processors.md), which the tests check.
#pragma once

#include "bounce/oversampler.h"
#include "bounce/processor.h"

#include <vector>

namespace bounce {

enum class SaturationType { Tape, Tube };

struct SaturationParams {
    SaturationType type = SaturationType::Tape;
    double driveDb = 6.0;   // 0 .. 36
    double mix = 1.0;       // 0 dry .. 1 wet
    double bias = 0.3;      // tube only, 0 .. 1
    double outputDb = 0.0;  // -24 .. 24
    int oversampling = 8;   // 2, 4, 8, 16; applied at prepare()
};

class Saturation final : public Processor {
public:
    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override;
    void process(AudioView io) noexcept override;
    int latencyFrames() const noexcept override { return oversampler_.latencyFrames(); }
    void setParams(const SaturationParams& params) noexcept;

private:
    void shape(float* samples, std::size_t count, int factor, bool tube) noexcept;

    ProcessSpec spec_;
    SaturationParams params_;
    Oversampler oversampler_;
    SmoothedValue drive_{SmoothedValue::Curve::Multiplicative};
    SmoothedValue mix_{SmoothedValue::Curve::Linear};
    SmoothedValue output_{SmoothedValue::Curve::Linear};
    SmoothedValue bias_{SmoothedValue::Curve::Linear};
    std::vector<float> driveBlock_;        // per input frame of the current block
    std::vector<float> biasBlock_;         // per input frame
    std::vector<float> tanhBias_;          // per input frame
    std::vector<float> normBlock_;         // per input frame
    std::vector<std::vector<float>> dry_;  // per channel ring, latency + 1
    std::vector<float> wet_;               // one channel, one block
    std::size_t dryWrite_ = 0;
    std::vector<double> dcState_;  // per channel: previous input, previous output
    std::vector<double> dcPrevious_;
    double dcCoefficient_ = 0.0;
};

}  // namespace bounce
