#include "stress_corpus.h"

#include "signals.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

namespace bounce::test {
namespace {

AudioBuffer mono(std::size_t frames) { return AudioBuffer(1, frames); }

void clip(AudioBuffer& a, float limit) {
    for (std::size_t i = 0; i < a.frames(); ++i) a.channel(0)[i] = std::clamp(a.channel(0)[i], -limit, limit);
}

AudioBuffer gaussianWhite(double rate, double seconds, double rms, std::uint64_t seed) {
    auto a = mono(static_cast<std::size_t>(rate * seconds));
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> g(0.0, rms);
    for (std::size_t i = 0; i < a.frames(); ++i) a.channel(0)[i] = static_cast<float>(g(rng));
    return a;
}

// Naive (not band-limited) waveforms: what a careless oscillator writes.
AudioBuffer square(double rate, double seconds, double hz) {
    auto a = mono(static_cast<std::size_t>(rate * seconds));
    for (std::size_t i = 0; i < a.frames(); ++i) a.channel(0)[i] = std::fmod(static_cast<double>(i) * hz / rate, 1.0) < 0.5 ? 0.5f : -0.5f;
    return a;
}

AudioBuffer sawtooth(double rate, double seconds, double hz) {
    auto a = mono(static_cast<std::size_t>(rate * seconds));
    for (std::size_t i = 0; i < a.frames(); ++i)
        a.channel(0)[i] = static_cast<float>(std::fmod(static_cast<double>(i) * hz / rate, 1.0) - 0.5);
    return a;
}

// Dense cymbal-like bursts: white noise through two first differences (+12 dB/octave, the
// energy near Nyquist), decaying over 60 ms, eight a second.
AudioBuffer cymbalBursts(double rate, double seconds, std::uint64_t seed) {
    auto a = gaussianWhite(rate, seconds, 1.0, seed);
    float* x = a.channel(0);
    float d1 = 0, d2 = 0;
    for (std::size_t i = 0; i < a.frames(); ++i) {
        const float v = x[i];
        const float first = v - d1;
        d1 = v;
        const float second = first - d2;
        d2 = first;
        const double t = std::fmod(static_cast<double>(i) / rate, 0.125);
        x[i] = static_cast<float>(0.12 * second * std::exp(-t / 0.06));
    }
    return a;
}

}  // namespace

std::vector<StressSignal> broadbandStressCorpus(double rate) {
    std::vector<StressSignal> corpus;
    {
        auto a = gaussianWhite(rate, 1.0, 1.0, 1);
        clip(a, 1.5f);  // 13 % of samples at full scale: hard-limited
        for (std::size_t i = 0; i < a.frames(); ++i) a.channel(0)[i] *= 0.5f / 1.5f;
        corpus.push_back({"hard-limited white noise", std::move(a)});
    }
    {
        auto a = gaussianWhite(rate, 1.0, 1.0, 2);
        clip(a, 2.5f);  // lightly limited
        for (std::size_t i = 0; i < a.frames(); ++i) a.channel(0)[i] *= 0.2f;
        corpus.push_back({"limited white noise", std::move(a)});
    }
    {
        auto a = pinkishNoise(rate, 1.0, -4.0, 1, 3);
        clip(a, 0.5f);
        corpus.push_back({"hard-limited pink noise", std::move(a)});
    }
    {
        auto a = pinkishNoise(rate, 1.0, -14.0, 1, 4);
        auto tone = sine(rate, 1.0, 3000.0, -12.0, 1, 0.3);
        for (std::size_t i = 0; i < a.frames(); ++i)
            a.channel(0)[i] = std::clamp(2.0f * (a.channel(0)[i] + tone.channel(0)[i]), -0.5f, 0.5f);
        corpus.push_back({"clipped programme", std::move(a)});
    }
    corpus.push_back({"square 997 Hz", square(rate, 0.5, 997.0)});
    corpus.push_back({"square 3 kHz", square(rate, 0.5, 3000.0)});
    corpus.push_back({"sawtooth 440 Hz", sawtooth(rate, 0.5, 440.0)});
    corpus.push_back({"sawtooth 3137 Hz", sawtooth(rate, 0.5, 3137.0)});
    corpus.push_back({"cymbal bursts", cymbalBursts(rate, 1.0, 5)});
    return corpus;
}

std::vector<StressSignal> stressCorpus(double rate) {
    auto corpus = broadbandStressCorpus(rate);
    // Tones from 15 kHz to 0.49 fs, eight starting phases each; 100 ms with 10 ms fades (as
    // EBU Tech 3341's true-peak signals have), so what is read is the tone, not its onset.
    for (double hz : {15000.0, 17000.0, 18900.0, 19600.0, 20045.0, 21000.0, 0.44 * rate, 0.49 * rate}) {
        for (int k = 0; k < 8; ++k) {
            const double phase = k * std::numbers::pi / 8.0;
            auto a = sine(rate, 0.1, hz, -6.0, 1, phase);
            applyFades(a, rate, 0.01);
            corpus.push_back({"tone " + std::to_string(static_cast<int>(hz)) + " Hz, phase " + std::to_string(k) + "/8 pi", std::move(a)});
        }
    }
    return corpus;
}

}  // namespace bounce::test
