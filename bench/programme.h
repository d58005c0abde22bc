// The benchmark programme: 4 minutes of stereo 44.1 kHz with the spectrum and dynamics of
// mixed music (pinkish noise under a level envelope, plus tones), deterministic.
#pragma once

#include "bounce/audio_buffer.h"

#include <cmath>
#include <cstdint>
#include <numbers>

namespace bounce::bench {

inline AudioBuffer benchmarkProgramme(double sampleRate = 44100.0, double seconds = 240.0, int channels = 2,
                                      std::uint64_t seed = 0) {
    const auto frames = static_cast<std::size_t>(sampleRate * seconds);
    AudioBuffer audio(channels, frames);
    for (int c = 0; c < channels; ++c) {
        std::uint64_t state = 0x9E3779B97F4A7C15ull * (static_cast<std::uint64_t>(c + 1) + 17 * seed);
        double b0 = 0, b1 = 0, b2 = 0;
        float* x = audio.channel(c);
        for (std::size_t i = 0; i < frames; ++i) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            const double white = static_cast<double>(state >> 11) * (2.0 / 9007199254740992.0) - 1.0;
            b0 = 0.99765 * b0 + white * 0.0990460;
            b1 = 0.96300 * b1 + white * 0.2965164;
            b2 = 0.57000 * b2 + white * 1.0526913;
            const double t = static_cast<double>(i) / sampleRate;
            const double envelope = 0.55 + 0.45 * std::sin(2 * std::numbers::pi * 0.05 * t);
            const double tone = 0.1 * std::sin(2 * std::numbers::pi * (110.0 + 7.0 * static_cast<double>(seed)) * t + c);
            x[i] = static_cast<float>(envelope * (0.08 * (b0 + b1 + b2 + white * 0.1848) + tone));
        }
    }
    return audio;
}

}  // namespace bounce::bench
