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

#include <functional>
#include <vector>

namespace bounce {

// The frequency-sampling design above for any magnitude response (dB at a frequency in
// Hz): `taps` odd (0: a power of two, plus one, of at least `defaultSeconds`). Used by
// LinearPhaseEq and MidSideCurveEq.
std::vector<float> designLinearPhaseFir(const std::function<double(double)>& magnitudeDb, double sampleRate, int taps,
                                        double defaultSeconds = 0.34);
// A FIR's exact response (its DTFT) at one frequency.
double firMagnitudeDb(const std::vector<float>& taps, double freqHz, double sampleRate) noexcept;

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
    std::vector<Convolver> convolvers_;  // one per channel pair (and one for an odd last channel)
};

// Mid/side curve EQ: an arbitrary magnitude curve for mid and another for side, each a
// set of points (Hz, dB) joined linearly in log frequency and held flat beyond the ends,
// realised as linear-phase FIRs (designLinearPhaseFir) and run on M = (L+R)/2 and
// S = (L-R)/2. This is what reference matching applies: a matching curve is measured,
// not built from parametric bands. Mono input gets the mid curve. Fixed at prepare().
struct MidSideCurveEqParams {
    std::vector<double> curveHz;  // ascending
    std::vector<double> midDb;
    std::vector<double> sideDb;
    int lengthFrames = 0;  // 0: about 0.17 s (8193 taps at 44.1 and 48 kHz)
};

class MidSideCurveEq final : public Processor {
public:
    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override;
    void process(AudioView io) noexcept override;
    int latencyFrames() const noexcept override;
    void setParams(const MidSideCurveEqParams& params) { params_ = params; }

    // The realised responses, and the curves (interpolated) they were designed from.
    double midMagnitudeDb(double freqHz) const noexcept { return firMagnitudeDb(midTaps_, freqHz, spec_.sampleRate); }
    double sideMagnitudeDb(double freqHz) const noexcept { return firMagnitudeDb(sideTaps_, freqHz, spec_.sampleRate); }
    static double curveAtDb(const std::vector<double>& hz, const std::vector<double>& db, double freqHz) noexcept;

private:
    ProcessSpec spec_;
    MidSideCurveEqParams params_;
    std::vector<float> midTaps_, sideTaps_;
    Convolver convolver_;  // mid and side as a pair (mono: mid alone)
    std::vector<float> midBuffer_, sideBuffer_;
};

}  // namespace bounce
