// The true-peak limiter: a ceiling that is never crossed (measured against an ideal
// reconstruction of the delivered output), unchanged below it, no pumping on a sine.
#include "bounce/limiter.h"
#include "bounce/processor_chain.h"
#include "bounce/true_peak.h"
#include "ideal_peak.h"
#include "signals.h"
#include "stress_corpus.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numbers>

namespace bounce::test {
namespace {

// Runs the limiter as bounce process does (renderAligned): the output lines up with the
// input and is exactly as long.
AudioBuffer limitAligned(const AudioBuffer& input, double rate, const LimiterParams& params, TruePeakLimiter* out = nullptr) {
    TruePeakLimiter local;
    TruePeakLimiter& limiter = out ? *out : local;
    limiter.setParams(params);
    limiter.prepare({rate, 1024, input.channels()});
    AudioBuffer aligned(input.channels(), input.frames());
    std::size_t read = 0, written = 0;
    renderAligned(
        limiter, input.channels(), 1024,
        [&](AudioView block) {
            const std::size_t n = std::min(block.frames(), input.frames() - read);
            for (int c = 0; c < input.channels(); ++c) std::copy_n(input.channel(c) + read, n, block.channel(c));
            read += n;
            return n;
        },
        [&](ConstAudioView block) {
            for (int c = 0; c < input.channels(); ++c) std::copy_n(block.channel(c), block.frames(), aligned.channel(c) + written);
            written += block.frames();
        });
    return aligned;
}

// The ideal band-limited reconstruction's peak (tests/support/ideal_peak: FFT interpolation,
// independent of the product's detector).
double truePeak(const AudioBuffer& audio) { return dbToGain(idealTruePeakDbtp(audio.view())); }

AudioBuffer material(int kind, double rate) {
    switch (kind) {
    case 0: return whiteNoise(rate, 2.0, 0.5, 2, 11);
    case 1: return pinkishNoise(rate, 2.0, -14.0, 2, 12);
    case 2: return sine(rate, 2.0, 997.0, -1.0, 2);
    case 3: return sine(rate, 2.0, rate / 4 * 0.999, -1.0, 2, std::numbers::pi / 4);  // near fs/4: overs between samples
    default: {  // clipped material: flat tops, the worst case for inter-sample overs
        auto x = pinkishNoise(rate, 2.0, -8.0, 2, 13);
        for (int c = 0; c < 2; ++c)
            for (std::size_t i = 0; i < x.frames(); ++i) x.channel(c)[i] = std::clamp(x.channel(c)[i], -0.5f, 0.5f);
        return x;
    }
    }
}

TEST(TruePeakLimiter, CeilingIsNeverCrossed) {
    const char* names[] = {"white noise", "pinkish noise", "997 Hz sine", "sine near fs/4", "clipped"};
    for (double rate : {44100.0, 48000.0}) {
        for (int kind = 0; kind < 5; ++kind) {
            for (double driveDb : {0.0, 6.0, 12.0, 20.0}) {
                for (double ceilingDbtp : {-1.0, -0.1}) {
                    auto input = material(kind, rate);
                    scale(input, 0, input.frames(), dbToGain(driveDb));
                    const auto output = limitAligned(input, rate, {ceilingDbtp, 2.0, 100.0});
                    EXPECT_LE(truePeak(output), dbToGain(ceilingDbtp))
                        << names[kind] << " +" << driveDb << " dB, ceiling " << ceilingDbtp << ", fs " << rate;
                }
            }
        }
    }
}

TEST(TruePeakLimiter, BelowTheCeilingItNullsAgainstItsInput) {
    // Well below the ceiling no stage acts, the guard included: the output is the input.
    const auto input = pinkishNoise(48000, 3.0, -24.0, 2, 14);  // true peak near -12 dBTP
    ASSERT_LT(truePeak(input), dbToGain(-3.0));
    const auto output = limitAligned(input, 48000, {-1.0, 2.0, 100.0});
    double worst = 0;
    for (int c = 0; c < 2; ++c)
        for (std::size_t i = 0; i < input.frames(); ++i)
            worst = std::max(worst, std::fabs(static_cast<double>(output.channel(c)[i]) - input.channel(c)[i]));
    EXPECT_LT(20 * std::log10(worst + 1e-30), -120.0);
}

TEST(TruePeakLimiter, ASteadySineDoesNotPump) {
    // 997 Hz, 6 dB over: once settled, the gain must hold still (no ripple at the sine's
    // rate or its release).
    const double rate = 48000;
    const auto input = sine(rate, 2.0, 997.0, 5.0, 2);
    const auto output = limitAligned(input, rate, {-1.0, 2.0, 50.0});
    double lowest = 1e9, highest = 0;
    for (std::size_t i = static_cast<std::size_t>(0.1 * rate); i < input.frames() - 4800; ++i) {
        if (std::fabs(input.channel(0)[i]) < 0.5) continue;
        const double gain = output.channel(0)[i] / input.channel(0)[i];
        lowest = std::min(lowest, gain);
        highest = std::max(highest, gain);
    }
    EXPECT_LT(20 * std::log10(highest / lowest), 0.01);
}

TEST(TruePeakLimiter, ReleaseTimeConstantIsAsSet) {
    // A burst 12 dB over, then a quiet tone: the gain recovers as 1 - exp(-t / release).
    const double rate = 48000, releaseMs = 100.0;
    const auto loud = sine(rate, 0.5, 1000.0, 11.0, 1);
    const auto quiet = sine(rate, 1.0, 1000.0, -20.0, 1);
    const auto input = concatenate({&loud, &quiet});
    const auto output = limitAligned(input, rate, {-1.0, 2.0, releaseMs});
    // Gain reduction in dB, sampled at the quiet tone's peaks, relative to its start.
    const auto gainAt = [&](double seconds) {
        const auto start = static_cast<std::size_t>(seconds * rate);
        double in = 0, out = 0;
        for (std::size_t i = start; i < start + 48; ++i) {  // one 1 kHz period
            in = std::max(in, static_cast<double>(std::fabs(input.channel(0)[i])));
            out = std::max(out, static_cast<double>(std::fabs(output.channel(0)[i])));
        }
        return out / in;
    };
    const double start = gainAt(0.5 + 0.003);  // just after the hold and the average have passed
    const double later = gainAt(0.5 + 0.003 + releaseMs / 1000.0);
    // After one time constant, 1 - 1/e of the way from `start` to 1.
    const double expected = start + (1.0 - start) * (1.0 - std::exp(-1.0));
    EXPECT_NEAR(later, expected, 0.05 * (1.0 - start));
}

// The promise against the physical truth: the output's ideal band-limited reconstruction
// (tests/support/ideal_peak, FFT interpolation independent of the product) stays at or below
// the ceiling on the stress corpus after +12 and +20 dB of drive.
TEST(TruePeakLimiter, CeilingHoldsUnderIdealReconstruction) {
    for (double rate : {44100.0, 48000.0}) {
        double worstOverDb = -100;
        for (auto& signal : stressCorpus(rate)) {
            for (double driveDb : {12.0, 20.0}) {
                AudioBuffer input = signal.audio;
                scale(input, 0, input.frames(), dbToGain(driveDb));
                const double ceilingDbtp = -1.0;
                const auto output = limitAligned(input, rate, {ceilingDbtp, 2.0, 100.0});
                const double peakDbtp = idealTruePeakDbtp(output.view());
                worstOverDb = std::max(worstOverDb, peakDbtp - ceilingDbtp);
                EXPECT_LE(peakDbtp, ceilingDbtp + 0.001) << signal.name << " +" << driveDb << " dB, fs " << rate;
            }
        }
        std::printf("fs %.0f: the highest output peak is %+.4f dB re the ceiling\n", rate, worstOverDb);
    }
}

}  // namespace
}  // namespace bounce::test
