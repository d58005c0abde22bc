// Parametric equaliser: up to 16 bands of peak, shelves, tilt, low/high-pass (6 to
// 48 dB/oct), band-pass and notch, in series. Also the processor behind single-filter
// inserts ("highpass", "peak", ...), which are one-band equalisers.
//
// Frequency, gain and Q glide to new values over 20 ms (coefficients redesigned every 16
// frames while they move), so automation and jumps do not click. Changing a band's type
// or slope switches at once.
#pragma once

#include "bounce/biquad.h"
#include "bounce/processor.h"

#include <array>
#include <cstdint>

namespace bounce {

enum class EqBandType { Peak, LowShelf, HighShelf, LowPass, HighPass, BandPass, Notch, Tilt };

struct EqBand {
    EqBandType type = EqBandType::Peak;
    double freqHz = 1000.0;  // centre, corner, or (tilt) pivot frequency
    double gainDb = 0.0;     // peak, shelves; tilt: total change from lows to highs
    double q = 0.7071;       // peak, band-pass, notch, shelves, 12 dB/oct pass filters
    int slopeDbOct = 12;     // low/high-pass: 6, 12, ..., 48 (Butterworth; 12 uses q)
    bool enabled = true;
};

struct EqParams {
    static constexpr int kMaxBands = 16;
    std::array<EqBand, kMaxBands> bands{};
    int bandCount = 0;
    bool matched = true;  // Vicanek matched designs where they exist (see biquad.h)
};

class Equalizer final : public Processor {
public:
    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override;
    void process(AudioView io) noexcept override;

    void setParams(const EqParams& params) noexcept;
    const EqParams& params() const noexcept { return params_; }

    // The response the current targets give (all bands), in dB.
    double magnitudeDb(double freqHz) const noexcept;

    // Several equalisers, each on its own audio (a mix's tracks): the channels of those at
    // rest with up to 4 sections run two or four to a vector, two vectors per loop, so
    // that their recursions overlap; the others run alone. Each result is bit for bit what
    // process() gives.
    static void processAcross(Equalizer* const* equalizers, const AudioView* ios, int count) noexcept;

private:
    static constexpr int kRedesignFrames = 16;

    struct BandState {
        SmoothedValue freqHz{SmoothedValue::Curve::Multiplicative};
        SmoothedValue gainDb{SmoothedValue::Curve::Linear};
        SmoothedValue q{SmoothedValue::Curve::Multiplicative};
        BiquadCascade cascade;
        bool active = false;
    };

    void design(BandState& state, const EqBand& band, double freqHz, double gainDb, double q) const noexcept;
    bool smoothing() const noexcept;
    // The active bands' cascades in order; their total section count.
    int activeCascades(std::array<BiquadCascade*, EqParams::kMaxBands>& out, int& sections) noexcept;

    ProcessSpec spec_;
    EqParams params_;
    std::array<BandState, EqParams::kMaxBands> bands_;
    std::uint64_t framesProcessed_ = 0;
};

}  // namespace bounce
