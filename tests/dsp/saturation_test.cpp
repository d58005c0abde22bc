// The shared oversampler and the saturation built on it: a clean round trip, aliasing
// below -80 dBFS, and harmonics where the curves' Taylor series put them.
#include "bounce/oversampler.h"
#include "bounce/saturation.h"
#include "bounce/simd.h"
#include "signals.h"
#include "spectrum.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>

namespace bounce::test {
namespace {

TEST(Oversampler, RoundTripIsFlatToTwentyKilohertzAndDelayedByItsLatency) {
    for (int factor : {2, 4, 8, 16}) {
        const double rate = 44100;
        Oversampler os;
        os.prepare(1, factor, 4096);
        std::vector<double> ir(16384, 0.0);
        std::vector<float> block(4096, 0.0f);
        for (std::size_t start = 0; start < ir.size(); start += block.size()) {
            std::fill(block.begin(), block.end(), 0.0f);
            if (start == 0) block[0] = 1.0f;
            os.upsample(0, block.data(), block.size());
            os.downsample(0, block.data(), block.size());
            for (std::size_t i = 0; i < block.size(); ++i) ir[start + i] = block[i];
        }
        std::size_t peak = 0;
        for (std::size_t i = 0; i < ir.size(); ++i)
            if (std::fabs(ir[i]) > std::fabs(ir[peak])) peak = i;
        EXPECT_EQ(static_cast<int>(peak), os.latencyFrames()) << factor;
        for (double f = 20; f <= 20000; f *= 1.1) EXPECT_NEAR(responseDb(ir, f, rate), 0.0, 0.01) << factor << "x at " << f;
    }
}

// Spectrum of one channel's steady state: 1 s after a 0.5 s settle, so every component of
// a 15 kHz tone and its aliases lands on an exact 1 Hz bin (no window needed).
std::vector<double> steadySecond(const AudioBuffer& audio, double rate) {
    const auto start = static_cast<std::size_t>(0.5 * rate);
    return std::vector<double>(audio.channel(0) + start, audio.channel(0) + start + static_cast<std::size_t>(rate));
}

double worstAliasDbfs(const SaturationParams& params) {
    const double rate = 44100, tone = 15000;
    auto audio = sine(rate, 2.0, tone, -1.0, 1);
    Saturation s;
    s.setParams(params);
    s.prepare({rate, 4096, 1});
    s.process(audio.view());
    const auto x = steadySecond(audio, rate);
    MagnitudeSpectrum spectrum(x, rate, x.size());
    // Amplitude of a bin-centred sine of amplitude A in an N-point DFT is A N / 2.
    const double scale = 2.0 / static_cast<double>(x.size());
    double worst = -300;
    for (std::size_t k = 20; k <= 20000; ++k) {
        if (k > tone - 3 && k < tone + 3) continue;  // the tone itself
        worst = std::max(worst, 20 * std::log10(std::sqrt(spectrum.power(k)) * scale + 1e-30));
    }
    return worst;
}

TEST(Saturation, AliasingOfA15kHzSineStaysBelowMinus80Dbfs) {
    for (auto type : {SaturationType::Tape, SaturationType::Tube}) {
        SaturationParams p;
        p.type = type;
        p.driveDb = 12.0;
        EXPECT_LT(worstAliasDbfs(p), -80.0) << (type == SaturationType::Tape ? "tape" : "tube");
    }
    // The measurement can see aliasing: at 2x the same drive folds harmonics into the band.
    SaturationParams coarse;
    coarse.driveDb = 12.0;
    coarse.oversampling = 2;
    EXPECT_GT(worstAliasDbfs(coarse), -80.0);
}

struct Harmonics {
    double h1, h2, h3;  // amplitudes
};

Harmonics harmonicsOf(const SaturationParams& params, double amplitude) {
    const double rate = 48000, f = 1000;
    auto audio = sine(rate, 2.0, f, 20 * std::log10(amplitude), 1);
    Saturation s;
    s.setParams(params);
    s.prepare({rate, 4096, 1});
    s.process(audio.view());
    const auto x = steadySecond(audio, rate);
    MagnitudeSpectrum spectrum(x, rate, x.size());
    const double scale = 2.0 / static_cast<double>(x.size());
    return {std::sqrt(spectrum.power(1000)) * scale, std::sqrt(spectrum.power(2000)) * scale, std::sqrt(spectrum.power(3000)) * scale};
}

TEST(Saturation, WideAndNarrowKernelsGiveTheSameBytes) {
    for (int factor : {2, 4, 8, 16}) {
        SaturationParams p;
        p.type = SaturationType::Tube;
        p.driveDb = 12;
        p.oversampling = factor;
        const auto input = pinkishNoise(48000, 0.5, -12, 2, 31);
        std::array<AudioBuffer, 2> outputs;
        const bool previous = setWideKernels(true);
        for (int pass = 0; pass < 2; ++pass) {
            setWideKernels(pass == 0);
            Saturation s;
            s.setParams(p);
            s.prepare({48000, 4096, 2});
            outputs[static_cast<std::size_t>(pass)] = input;
            s.process(outputs[static_cast<std::size_t>(pass)].view());
        }
        setWideKernels(previous);
        for (int c = 0; c < 2; ++c)
            for (std::size_t i = 0; i < input.frames(); ++i)
                ASSERT_EQ(outputs[0].channel(c)[i], outputs[1].channel(c)[i]) << factor << "x, frame " << i;
    }
}

TEST(Saturation, TapeIsSymmetricOddHarmonicsOnly) {
    SaturationParams p;
    p.type = SaturationType::Tape;
    p.driveDb = 12.0;
    const auto h = harmonicsOf(p, 0.5);
    EXPECT_LT(20 * std::log10(h.h2 / h.h1), -100.0);
    EXPECT_GT(20 * std::log10(h.h3 / h.h1), -40.0);
}

TEST(Saturation, TubeHarmonicsFollowTheCurvesTaylorSeries) {
    // y = (tanh(D x + b) - tanh b) / (D t1); for x = a sin: H2 = |t2| D a^2 / (4 t1),
    // H3 = |t3| D^2 a^3 / (24 t1), with t1..t3 the derivatives of tanh at b.
    SaturationParams p;
    p.type = SaturationType::Tube;
    p.driveDb = 6.0206;  // D = 2
    p.bias = 0.3;
    const double a = 0.05, D = 2.0, T = std::tanh(0.3);
    const double t1 = 1 - T * T, t2 = -2 * T * t1, t3 = (6 * T * T - 2) * t1;
    const auto h = harmonicsOf(p, a);
    EXPECT_NEAR(20 * std::log10(h.h1), 20 * std::log10(a), 0.05);
    EXPECT_NEAR(20 * std::log10(h.h2 / h.h1), 20 * std::log10(std::fabs(t2) * D * a * a / (4 * t1) / a), 0.5);
    EXPECT_NEAR(20 * std::log10(h.h3 / h.h1), 20 * std::log10(std::fabs(t3) * D * D * a * a * a / (24 * t1) / a), 0.5);
}

TEST(Saturation, SmallSignalsPassAtUnityAndMixZeroIsTheDelayedDryPath) {
    SaturationParams p;
    p.driveDb = 18.0;
    const auto h = harmonicsOf(p, 0.001);
    EXPECT_NEAR(20 * std::log10(h.h1 / 0.001), 0.0, 0.01);
    p.mix = 0.0;
    auto audio = whiteNoise(48000, 0.5, 0.9, 1, 3);
    const auto input = audio;
    Saturation s;
    s.setParams(p);
    s.prepare({48000, 4096, 1});
    s.process(audio.view());
    const auto latency = static_cast<std::size_t>(s.latencyFrames());
    for (std::size_t i = latency; i < audio.frames(); ++i) ASSERT_EQ(audio.channel(0)[i], input.channel(0)[i - latency]);
}

}  // namespace
}  // namespace bounce::test
