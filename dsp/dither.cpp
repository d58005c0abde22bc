#include "bounce/dither.h"

#include <algorithm>
#include <cmath>

namespace bounce {
namespace {
// Lipshitz, Vanderkooy and Wannamaker, "Minimally Audible Noise Shaping", JAES 39(11), 1991:
// the 5-tap E-weighted error filter.
constexpr std::array<double, 5> kShapingFilter = {2.033, -2.165, 1.959, -1.590, 0.6149};
}  // namespace

void Dither::prepare(const ProcessSpec& spec) {
    sampleRate_ = spec.sampleRate;
    errorHistory_.assign(static_cast<std::size_t>(spec.channels), {});
    setParams(params_);
    reset();
}

void Dither::setParams(const DitherParams& params) noexcept {
    params_ = params;
    params_.bits = std::clamp(params.bits, 8, 24);
    shaping_ = params_.type == DitherType::NoiseShaped && (sampleRate_ == 44100.0 || sampleRate_ == 48000.0);
}

void Dither::reset() noexcept {
    state_ = params_.seed ? params_.seed : 1;
    for (auto& h : errorHistory_) h.fill(0.0);
}

double Dither::nextUniform() noexcept {
    // xorshift64*: fast, deterministic, good enough for dither.
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    const std::uint64_t r = state_ * 0x2545F4914F6CDD1Dull;
    return static_cast<double>(r >> 11) * (1.0 / 9007199254740992.0) - 0.5;
}

void Dither::process(AudioView io) noexcept {
    const double scale = std::ldexp(1.0, params_.bits - 1);  // LSBs per unit
    const double lowest = -scale, highest = scale - 1.0;
    for (std::size_t i = 0; i < io.frames(); ++i) {
        for (int c = 0; c < io.channels(); ++c) {
            float& sample = io.channel(c)[i];
            const double x = std::isfinite(sample) ? sample * scale : 0.0;
            auto& history = errorHistory_[static_cast<std::size_t>(c)];
            double shaped = x;
            if (shaping_)
                for (std::size_t k = 0; k < kShapingFilter.size(); ++k) shaped -= kShapingFilter[k] * history[k];
            const double noise = params_.type == DitherType::None ? 0.0 : nextUniform() + nextUniform();
            const double q = std::clamp(std::nearbyint(shaped + noise), lowest, highest);
            if (shaping_) {
                // The error the filter sees excludes clipping, or a clipped run would wind it up.
                const double error = std::clamp(q - shaped, -2.0, 2.0);
                for (std::size_t k = history.size() - 1; k > 0; --k) history[k] = history[k - 1];
                history[0] = error;
            }
            sample = static_cast<float>(q / scale);
        }
    }
}

}  // namespace bounce
