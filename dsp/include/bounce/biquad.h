// Second-order IIR sections: designs, analytic responses, and a multichannel cascade.
//
// Coefficients follow H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2) (a0
// normalised to 1), as in the RBJ Audio EQ Cookbook and ITU-R BS.1770.
//
// Designs: the RBJ Audio EQ Cookbook (bilinear transform, prewarped at the centre
// frequency) for every type; and M. Vicanek, "Matched Second Order Digital Filters"
// (2016) for low-pass, high-pass, band-pass and peak, which match the analog
// prototype's magnitude at DC, the centre frequency and Nyquist and so avoid the bilinear
// transform's "cramping" of responses towards Nyquist (a 16 kHz bell at 44.1 kHz keeps
// its width). `matched = true` picks Vicanek's where it exists.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

namespace bounce {

enum class FilterType { LowPass, HighPass, BandPass, Notch, Peak, LowShelf, HighShelf, AllPass };

struct BiquadCoefficients {
    double b0 = 1.0, b1 = 0.0, b2 = 0.0, a1 = 0.0, a2 = 0.0;

    // |H(e^jw)| in dB at `freqHz` for a filter running at `sampleRate`.
    double magnitudeDb(double freqHz, double sampleRate) const noexcept;
};

// One second-order section. `q` is the quality factor (for shelves, the RBJ shelf Q;
// 0.7071 gives the steepest monotonic shelf); `gainDb` is used by peak and shelves.
BiquadCoefficients designBiquad(FilterType type, double freqHz, double q, double gainDb, double sampleRate, bool matched = true);

// A first-order low- or high-pass (b2 = a2 = 0), bilinear, prewarped.
BiquadCoefficients designFirstOrder(FilterType type, double freqHz, double sampleRate);

// A Butterworth low- or high-pass of `order` 1..8 (6 dB/oct per order) as a cascade of
// second-order sections (plus one first-order section for odd orders). Returns the
// number of sections written to `sections` (at most 4).
int designButterworth(FilterType type, int order, double freqHz, double sampleRate, bool matched,
                      std::array<BiquadCoefficients, 4>& sections);

// Runs up to kMaxSections sections in series on each channel, in double precision
// (transposed direct form II). No allocation after prepare().
class BiquadCascade {
public:
    static constexpr int kMaxSections = 8;

    void prepare(int channels);
    void reset() noexcept;
    // Takes effect at once; states are kept, so call between samples of a smooth ramp.
    void setSections(const BiquadCoefficients* sections, int count) noexcept;
    int sections() const noexcept { return count_; }
    const BiquadCoefficients& section(int i) const noexcept { return coefficients_[static_cast<std::size_t>(i)]; }

    void process(float* samples, std::size_t frames, int channel) noexcept;
    // Channels `firstChannel` and `firstChannel + 1` at once (two lanes of one SIMD
    // register): the same arithmetic per channel as process(), about twice as fast.
    void processPair(float* left, float* right, std::size_t frames, int firstChannel) noexcept;
    double magnitudeDb(double freqHz, double sampleRate) const noexcept;

    // Several cascades in series (an equaliser's bands), all sections per sample in one
    // loop, so that their recursions overlap instead of each band waiting on its own pass
    // over the block; between the cascades the signal stays in double. Returns false
    // (and does nothing) when they hold more than kMaxSections sections together.
    static bool processSeries(BiquadCascade* const* cascades, int count, float* samples, std::size_t frames, int channel) noexcept;
    static bool processSeriesPair(BiquadCascade* const* cascades, int count, float* left, float* right, std::size_t frames,
                                  int firstChannel) noexcept;

    // One section's state on one channel, for kernels that run several filters at once
    // (Equalizer::processAcross).
    double& state1(int channel, int section) noexcept { return states_[static_cast<std::size_t>(channel * kMaxSections + section)].s1; }
    double& state2(int channel, int section) noexcept { return states_[static_cast<std::size_t>(channel * kMaxSections + section)].s2; }

private:
    struct State {
        double s1 = 0.0, s2 = 0.0;
    };
    std::array<BiquadCoefficients, kMaxSections> coefficients_{};
    int count_ = 0;
    int channels_ = 0;
    std::vector<State> states_;  // channel-major: [channel][section]
};

}  // namespace bounce
