// Dither and quantisation to 16 or 24 bits: the last stage before an integer file, and
// only there (a processor chain runs in float; nothing else in Bounce quantises).
//
// TPDF: the sum of two independent uniform values of +-0.5 LSB is added before rounding,
// which makes the quantisation error independent of the signal (Lipshitz, Wannamaker
// and Vanderkooy, "Quantization and Dither: A Theoretical Survey", JAES 1992): its
// power is LSB^2/4 (LSB^2/6 dither + LSB^2/12 rounding), its spectrum flat.
// Noise-shaped: the same TPDF dither, with the total error fed back through Lipshitz's
// 5-tap "minimally audible" E-weighted filter (JAES 1991), which moves the noise up to
// where the ear is least sensitive at 44.1 and 48 kHz; at other rates it falls back to
// flat TPDF, as SoX does.
//
// The output is float on the integer grid (k / 2^(bits-1)), clipped to the integer
// range, so the file writer's conversion is exact. A fixed seed makes it deterministic.
#pragma once

#include "bounce/processor.h"

#include <array>
#include <cstdint>
#include <vector>

namespace bounce {

enum class DitherType { Tpdf, NoiseShaped, None };  // None: plain rounding

struct DitherParams {
    int bits = 24;  // 8 .. 24
    DitherType type = DitherType::Tpdf;
    std::uint64_t seed = 0x2545F4914F6CDD1Dull;
};

class Dither final : public Processor {
public:
    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override;
    void process(AudioView io) noexcept override;
    void setParams(const DitherParams& params) noexcept;

    // True when noise shaping is in effect (NoiseShaped at 44.1 or 48 kHz).
    bool shaping() const noexcept { return shaping_; }

private:
    double nextUniform() noexcept;  // [-0.5, 0.5)

    DitherParams params_;
    double sampleRate_ = 48000.0;
    bool shaping_ = false;
    std::uint64_t state_ = 1;
    std::vector<std::array<double, 5>> errorHistory_;  // per channel, newest first
};

}  // namespace bounce
