// Linkwitz-Riley 4th-order crossover, 2 to 6 bands, and the multiband compressor on it.
//
// Each split is an LR4 pair (two cascaded 2nd-order Butterworth sections, Q 0.7071, for
// the low-pass and for the high-pass). LP4 + HP4 is the 2nd-order all-pass at the split
// frequency, so every band below a split is passed through that all-pass too: then all
// bands carry the same phase and sum to a flat (all-pass) response. All sections are
// bilinear designs at the same prewarped frequency, so the identity holds exactly in the
// digital domain, not only in the analog prototype.
#pragma once

#include "bounce/biquad.h"
#include "bounce/convolver.h"
#include "bounce/delay_line.h"
#include "bounce/dynamics.h"
#include "bounce/processor.h"

#include <array>
#include <vector>

namespace bounce {

class Crossover {
public:
    static constexpr int kMaxBands = 6;

    void prepare(int channels, double sampleRate);
    void reset() noexcept;
    // Split frequencies, ascending, 1 .. 5 of them (bands = count + 1). Switches at once.
    void setFrequencies(const double* frequencies, int count) noexcept;
    int bands() const noexcept { return splits_ + 1; }

    // Splits `frames` samples of `channel` into bands[0 .. bands()-1] (each `frames` long).
    void process(int channel, const float* input, float* const* bands, std::size_t frames) noexcept;
    // Channels firstChannel and firstChannel + 1 at once (same arithmetic, one SIMD pair).
    void processPair(int firstChannel, const float* left, const float* right, float* const* bandsLeft, float* const* bandsRight,
                     std::size_t frames) noexcept;

    // The analytic response of one band, and of the sum of all bands.
    double bandMagnitudeDb(int band, double freqHz) const noexcept;
    // The phase of the bands' sum (an all-pass: each split's LP4 + HP4), in degrees, from 0
    // at DC down by 360 per split towards Nyquist.
    double sumPhaseDegrees(double freqHz) const noexcept;

    // Sections per channel: each split has 2 low-pass, 2 high-pass and one all-pass per
    // band below it.
    static constexpr int kMaxSections = 4 * (kMaxBands - 1) + (kMaxBands - 1) * (kMaxBands - 2) / 2;

private:
    double sampleRate_ = 48000.0;
    int splits_ = 0;
    int channels_ = 0;
    std::array<BiquadCoefficients, kMaxBands - 1> lowPass_{}, highPass_{}, allPass_{};
    // Transposed direct form II states, [channel][section] (s1 then s2).
    std::vector<std::array<double, 2 * kMaxSections>> states_;
};

// The linear-phase alternative (FIR, through the partitioned convolver): each split k is a
// Kaiser-windowed sinc low-pass L_k; the bands are L_0 x, (L_k - L_k-1) x and x - L_last x,
// the input delayed to match. They sum to the delayed input exactly (to float rounding:
// a null under -120 dB), whatever the filters, so the phase of nothing is turned; the
// price is latency (about 5 / f_low seconds: 42 ms at 120 Hz) and, where the bands are
// then treated differently, ringing before a transient as well as after (each band's
// filter is symmetric). Each filter's transition runs from f/2 to 3f/2 (f the split),
// about the overlap of LR4's bands; stop band 80 dB down. The FIR lengths follow the
// lowest split.
class LinearPhaseCrossover {
public:
    void prepare(int channels, double sampleRate, int maxBlockFrames);
    void reset() noexcept;
    // Split frequencies, ascending, 1 .. 5 of them. Allocates (designs and plans): call
    // from prepare or between renders, not in the audio path.
    void setFrequencies(const double* frequencies, int count);
    int bands() const noexcept { return splits_ + 1; }
    int latencyFrames() const noexcept { return latency_; }
    int filterTaps() const noexcept { return taps_; }

    // As Crossover::process; any number of frames up to maxBlockFrames.
    void process(int channel, const float* input, float* const* bands, std::size_t frames) noexcept;

private:
    double sampleRate_ = 48000.0;
    int channels_ = 0, maxBlock_ = 0, splits_ = 0, taps_ = 0, latency_ = 0;
    std::array<double, Crossover::kMaxBands - 1> frequencies_{};
    // Per channel: one convolver per pair of splits (preparePair), and the direct path.
    std::vector<std::vector<Convolver>> convolvers_;
    std::vector<DelayLine> direct_;
    std::vector<std::vector<float>> lowPassed_;  // per split, one block
};

enum class CrossoverType { Lr4, LinearPhase };

struct MultibandCompressorParams {
    int bandCount = 3;  // 2 .. 6
    std::array<double, Crossover::kMaxBands - 1> crossoverHz{120.0, 2500.0, 8000.0, 12000.0, 16000.0};
    std::array<CompressorParams, Crossover::kMaxBands> bands{};  // lookahead: the first band's, for all
    // Takes effect at prepare(), and so do the split frequencies of the linear-phase
    // crossover (its FIRs are designed there; setParams moves LR4's splits at once).
    CrossoverType crossover = CrossoverType::Lr4;
};

class MultibandCompressor final : public Processor {
public:
    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override;
    void process(AudioView io) noexcept override;
    int latencyFrames() const noexcept override;
    void setParams(const MultibandCompressorParams& params) noexcept;

    double maxGainReductionDb(int band) const noexcept { return compressors_[static_cast<std::size_t>(band)].maxGainReductionDb(); }
    double takeRecentGainReductionDb(int band) noexcept { return compressors_[static_cast<std::size_t>(band)].takeRecentGainReductionDb(); }
    double maxDetectorLevelDb(int band) const noexcept { return compressors_[static_cast<std::size_t>(band)].maxDetectorLevelDb(); }
    // The crossover and the bands' detectors only (maxDetectorLevelDb), the audio left as it
    // is: what the compressor would read, at a fraction of its cost (off the linked fast
    // path, Compressor::canProcessLinked, the bands' compressors run in full on the split
    // bands, still leaving `in` alone).
    void measure(ConstAudioView in) noexcept;

private:
    void splitAndCompress(ConstAudioView in, std::size_t start, std::size_t frames, bool detectOnly) noexcept;

    ProcessSpec spec_;
    MultibandCompressorParams params_;
    Crossover crossover_;
    LinearPhaseCrossover linearPhase_;
    bool linear_ = false;  // linearPhase_ splits (as prepared)
    std::array<Compressor, Crossover::kMaxBands> compressors_;
    // bandBuffers_[band][channel]: one block.
    std::vector<std::vector<std::vector<float>>> bandBuffers_;
};

}  // namespace bounce
