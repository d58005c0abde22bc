// The benchmark programme: 4 minutes of stereo 44.1 kHz with the spectrum and dynamics of
// mixed music (pinkish noise under a level envelope, plus tones), deterministic.
#pragma once

#include "bounce/audio_buffer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace bounce::bench {

// A xorshift64 step and the white sample (-1 .. 1) it gives: deterministic on every machine.
inline double nextWhite(std::uint64_t& state) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<double>(state >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

inline AudioBuffer benchmarkProgramme(double sampleRate = 44100.0, double seconds = 240.0, int channels = 2, std::uint64_t seed = 0) {
    const auto frames = static_cast<std::size_t>(sampleRate * seconds);
    AudioBuffer audio(channels, frames);
    for (int c = 0; c < channels; ++c) {
        std::uint64_t state = 0x9E3779B97F4A7C15ull * (static_cast<std::uint64_t>(c + 1) + 17 * seed);
        double b0 = 0, b1 = 0, b2 = 0;
        float* x = audio.channel(c);
        for (std::size_t i = 0; i < frames; ++i) {
            const double white = nextWhite(state);
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

// A finished song that needs only a level change to reach a platform's target: the same
// kind of pinkish noise without its lowest pole and high-passed at 30 Hz (nothing
// subsonic), under a gentler envelope (no band reaches the mastering compressor's knee),
// with its peaks held to 10 dB over the noise's RMS. For timing the gain-only master.
inline AudioBuffer finishedProgramme(double sampleRate = 44100.0, double seconds = 240.0, int channels = 2, std::uint64_t seed = 0) {
    const auto frames = static_cast<std::size_t>(sampleRate * seconds);
    AudioBuffer audio(channels, frames);
    const double highPass = std::exp(-2.0 * std::numbers::pi * 30.0 / sampleRate);
    for (int c = 0; c < channels; ++c) {
        std::uint64_t state = 0x9E3779B97F4A7C15ull * (static_cast<std::uint64_t>(c + 1) + 17 * seed);
        double b1 = 0, b2 = 0, in1 = 0, out1 = 0, in2 = 0, out2 = 0;
        float* x = audio.channel(c);
        for (std::size_t i = 0; i < frames; ++i) {
            const double white = nextWhite(state);
            b1 = 0.96300 * b1 + white * 0.2965164;
            b2 = 0.57000 * b2 + white * 1.0526913;
            const double noise = b1 + b2 + white * 0.1848;
            out1 = highPass * (out1 + noise - in1);  // two one-pole high-passes at 30 Hz
            in1 = noise;
            out2 = highPass * (out2 + out1 - in2);
            in2 = out1;
            const double t = static_cast<double>(i) / sampleRate;
            const double envelope = 0.8 + 0.2 * std::sin(2 * std::numbers::pi * 0.05 * t);
            const double tone = 0.03 * std::sin(2 * std::numbers::pi * (110.0 + 7.0 * static_cast<double>(seed)) * t + c);
            x[i] = static_cast<float>(std::clamp(envelope * 0.05 * out2, -0.19, 0.19) + tone);
        }
    }
    return audio;
}

}  // namespace bounce::bench
