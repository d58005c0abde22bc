#include "bounce/simd.h"
#include "bounce/true_peak.h"
#include "signals.h"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <limits>
#include <numbers>
#include <vector>

namespace bounce::test {
namespace {

double phaseGainDb(const TruePeakDetector& d, int phase, double fractionOfRate) {
    const auto taps = d.screenTaps(phase);
    std::complex<double> h = 0;
    for (int k = 0; k < TruePeakDetector::kScreenTaps; ++k)
        h += static_cast<double>(taps[static_cast<std::size_t>(k)]) * std::polar(1.0, -2.0 * std::numbers::pi * fractionOfRate * k);
    return 20.0 * std::log10(std::abs(h));
}

TEST(TruePeak, ScreenPhasesAreFlatToAThirdOfTheRate) {
    TruePeakDetector d;
    d.prepare(48000.0);
    for (int p = 0; p < TruePeakDetector::kOversampling; ++p)
        for (double f = 0.0; f <= 0.33; f += 0.005) EXPECT_NEAR(phaseGainDb(d, p, f), 0.0, 0.005) << "phase " << p << " f " << f;
}

// The reconstruction filter as the header describes it: every fractional position passes
// DC to 0.49 fs within 0.001 dB (the design's Kaiser transition is centred on fs/2).
TEST(TruePeak, ReconstructionIsFlatTo049Fs) {
    for (int f = 1; f < TruePeakDetector::kFinePhases; f += 3) {
        const float* taps = TruePeakDetector::reconstructionTaps(f);
        for (double x = 0.0; x <= 0.49; x += 0.01) {
            std::complex<double> h = 0;
            for (int k = 0; k < TruePeakDetector::kReconstructionTaps; ++k)
                h += static_cast<double>(taps[k]) * std::polar(1.0, -2.0 * std::numbers::pi * x * k);
            ASSERT_NEAR(20.0 * std::log10(std::abs(h)), 0.0, 0.001) << "position " << f << "/64, " << x << " fs";
        }
    }
}

TEST(TruePeak, NeverBelowSamplePeakAndIndependentOfBlockSize) {
    const auto noise = pinkishNoise(44100.0, 2.0, -12.0, 1, 7);
    double reference = -1;
    for (std::size_t block : {1u, 17u, 512u, 4096u}) {
        TruePeakDetector d;
        d.prepare(44100.0);
        for (std::size_t i = 0; i < noise.frames(); i += block) d.process(noise.channel(0) + i, std::min(block, noise.frames() - i));
        EXPECT_GE(d.peak(), d.samplePeak());
        if (reference < 0) reference = d.peak();
        EXPECT_FLOAT_EQ(d.peak(), reference) << "block " << block;
    }
}

TEST(TruePeak, WideAndNarrowKernelsAgreeBitForBit) {
    const auto noise = whiteNoise(48000.0, 1.0, 0.9, 1, 17);
    std::vector<float> wide(noise.frames()), narrow(noise.frames());
    const bool previous = setWideKernels(true);
    TruePeakDetector a;
    a.prepare(48000.0);
    a.process(noise.channel(0), noise.frames(), wide.data());
    setWideKernels(false);
    TruePeakDetector b;
    b.prepare(48000.0);
    b.process(noise.channel(0), noise.frames(), narrow.data());
    setWideKernels(previous);
    EXPECT_EQ(a.peak(), b.peak());
    for (std::size_t i = 0; i < wide.size(); ++i) ASSERT_EQ(wide[i], narrow[i]) << i;
    // In pieces that cut the blocks of 8 the tail bound is summed over (the partial sums
    // then run sample by sample, whole blocks four at a time with the wide kernel).
    for (bool w : {true, false}) {
        const bool before = setWideKernels(w);
        TruePeakDetector d;
        d.prepare(48000.0);
        std::vector<float> pieces(noise.frames());
        for (std::size_t i = 0; i < noise.frames(); i += 301)
            d.process(noise.channel(0) + i, std::min<std::size_t>(301, noise.frames() - i), pieces.data() + i);
        setWideKernels(before);
        EXPECT_EQ(d.peak(), a.peak()) << (w ? "wide" : "narrow");
        for (std::size_t i = 0; i < pieces.size(); ++i) ASSERT_EQ(pieces[i], wide[i]) << i << (w ? " wide" : " narrow");
    }
}

// The skip (interpolation left out where it cannot matter) must not change a decision. The
// screen: the running peak is bit-identical with and without a floor, and every per-sample
// peak is on the same side of the floor, and the same value above it. The reconstruction:
// the same side of the floor (but within 0.001 of it, where a crest may be sought from the
// screen's grid or the reconstruction's), within 0.01 dB above it, and at most the floor
// below it. A programme with quiet and loud parts, so that both skipping and computing
// happen; both kernels.
TEST(TruePeak, SkippingBelowTheFloorChangesNoDecision) {
    const auto quiet = pinkishNoise(44100.0, 1.0, -30.0, 1, 3);
    const auto loud = pinkishNoise(44100.0, 1.0, -8.0, 1, 4);
    const auto programme = concatenate({&quiet, &loud, &quiet});
    const float floor = 0.5f;
    for (auto mode : {TruePeakDetector::Mode::Screen, TruePeakDetector::Mode::Reconstruction}) {
        const bool exact = mode == TruePeakDetector::Mode::Screen;
        for (bool wide : {true, false}) {
            const bool previous = setWideKernels(wide);
            std::vector<float> full(programme.frames()), skipped(programme.frames());
            TruePeakDetector a, b, c;
            for (auto* d : {&a, &b, &c}) d->prepare(44100.0, mode);
            a.process(programme.channel(0), programme.frames(), full.data());
            b.process(programme.channel(0), programme.frames(), skipped.data(), floor);
            for (std::size_t i = 0; i < programme.frames(); i += 300)
                c.process(programme.channel(0) + i, std::min<std::size_t>(300, programme.frames() - i));
            setWideKernels(previous);
            std::size_t above = 0, below = 0;
            for (std::size_t i = 0; i < full.size(); ++i) {
                if (exact || std::fabs(full[i] - floor) > 1e-3f) {
                    ASSERT_EQ(full[i] > floor, skipped[i] > floor) << i;
                }
                if (full[i] > floor) {
                    if (exact) {
                        ASSERT_EQ(full[i], skipped[i]) << i;
                    } else {
                        ASSERT_NEAR(skipped[i], full[i], full[i] * 1.2e-3) << i;
                    }
                    ++above;
                } else {
                    ASSERT_LE(skipped[i], exact ? full[i] : floor) << i;
                    ++below;
                }
            }
            EXPECT_GT(above, 100u);
            EXPECT_GT(below, 100u);
            // Peak only (the analysers' case): the running peak skips only what cannot raise it.
            if (exact) {
                EXPECT_EQ(c.peak(), a.peak()) << (wide ? "wide" : "narrow");
            } else {
                EXPECT_NEAR(c.peak(), a.peak(), a.peak() * 1.2e-3) << (wide ? "wide" : "narrow");
            }
        }
    }
}

TEST(TruePeak, FindsAPeakBetweenTheLastSamples) {
    // A lone fs/4 tone at 45° whose final samples are the stream's last: the reading
    // needs the interpolator's tail.
    const auto tone = sine(48000.0, 0.01, 12000.0, 0.0, 1, std::numbers::pi / 4);
    TruePeakDetector d;
    d.prepare(48000.0);
    d.process(tone.channel(0), tone.frames());
    EXPECT_NEAR(20 * std::log10(d.peak()), 0.0, 0.2);
    EXPECT_NEAR(20 * std::log10(d.samplePeak()), -3.01, 0.01);
}

TEST(TruePeak, NanAndInfinityAreReadAsSilence) {
    // As processors output them: the reading is that of the signal with those samples at 0.
    auto tone = sine(48000.0, 0.5, 1000.0, -6.0, 1);
    auto zeroed = tone;
    tone.channel(0)[1000] = std::numeric_limits<float>::quiet_NaN();
    tone.channel(0)[2000] = std::numeric_limits<float>::infinity();
    zeroed.channel(0)[1000] = zeroed.channel(0)[2000] = 0.0f;
    TruePeakDetector d, reference;
    d.prepare(48000.0);
    reference.prepare(48000.0);
    d.process(tone.channel(0), tone.frames());
    reference.process(zeroed.channel(0), zeroed.frames());
    EXPECT_TRUE(std::isfinite(d.peak()));
    EXPECT_EQ(d.peak(), reference.peak());
}

}  // namespace
}  // namespace bounce::test
