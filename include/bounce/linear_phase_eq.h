// Linear-phase equaliser: the magnitude response of an EqParams band set, realised as a
// symmetric FIR (no phase shift, so it nulls against itself and preserves transients'
// shape), convolved with the partitioned FFT Convolver.
//
// Design by frequency sampling: the target magnitude (Equalizer::magnitudeDb of the
// same bands) on a dense grid, zero phase, inverse FFT, centred and Kaiser-windowed
// (beta 8) to `lengthFrames` taps (default about 0.34 s: 16385 taps at 48 kHz, a
// resolution of a few Hz, enough for low shelves and high-passes down to 30 Hz).
// latencyFrames() = (taps - 1) / 2 + the convolver's partition.
//
// The bands are fixed at prepare(): a new design needs FFTs and memory, which process()
// may not have. (Automate the minimum-phase Equalizer instead.)
#pragma once

#include "bounce/convolver.h"
#include "bounce/equalizer.h"
#include "bounce/processor.h"

#include <vector>

namespace bounce {

struct LinearPhaseEqParams {
    EqParams eq;
    int lengthFrames = 0;  // 0: chosen from the rate (about 0.34 s, odd)
};

class LinearPhaseEq final : public Processor {
public:
    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override;
    void process(AudioView io) noexcept override;
    int latencyFrames() const noexcept override;
    void setParams(const LinearPhaseEqParams& params) { params_ = params; }

    // The realised FIR's exact response (DTFT of its taps), and the design target.
    double magnitudeDb(double freqHz) const noexcept;
    double targetMagnitudeDb(double freqHz) const noexcept { return target_.magnitudeDb(freqHz); }
    const std::vector<float>& taps() const noexcept { return taps_; }

private:
    ProcessSpec spec_;
    LinearPhaseEqParams params_;
    Equalizer target_;
    std::vector<float> taps_;
    std::vector<Convolver> convolvers_;
};

}  // namespace bounce
