// EBU Tech 3341 (2016/2023) minimum requirements, with the test signals synthesised as
// Table 1 of the document describes them, at 48 kHz and again at 44.1 kHz.
#include "meter_helpers.h"
#include "signals.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace bounce::test {
namespace {

constexpr double kLoudnessTolerance = 0.1;  // M, S, I: +-0.1 LU
constexpr double kTruePeakOver = 0.2;       // true peak: +0.2 / -0.4 dB
constexpr double kTruePeakUnder = 0.4;

class Tech3341 : public ::testing::TestWithParam<double> {
protected:
    double rate() const { return GetParam(); }
};

TEST_P(Tech3341, Case1_Sine1kHzAtMinus23) {
    const auto audio = toneSequence(rate(), 2, {{20.0, -23.0}});
    const auto meter = meterFor(audio.view(), rate());
    EXPECT_NEAR(*meter.momentaryLufs(), -23.0, kLoudnessTolerance);
    EXPECT_NEAR(*meter.shortTermLufs(), -23.0, kLoudnessTolerance);
    EXPECT_NEAR(*meter.integratedLufs(), -23.0, kLoudnessTolerance);
    EXPECT_NEAR(*meter.maxMomentaryLufs(), -23.0, kLoudnessTolerance);
    EXPECT_NEAR(*meter.maxShortTermLufs(), -23.0, kLoudnessTolerance);
}

TEST_P(Tech3341, Case2_Sine1kHzAtMinus33) {
    const auto audio = toneSequence(rate(), 2, {{20.0, -33.0}});
    const auto meter = meterFor(audio.view(), rate());
    EXPECT_NEAR(*meter.momentaryLufs(), -33.0, kLoudnessTolerance);
    EXPECT_NEAR(*meter.shortTermLufs(), -33.0, kLoudnessTolerance);
    EXPECT_NEAR(*meter.integratedLufs(), -33.0, kLoudnessTolerance);
}

TEST_P(Tech3341, Case3_RelativeGateExcludesQuietParts) {
    const auto audio = toneSequence(rate(), 2, {{10.0, -36.0}, {60.0, -23.0}, {10.0, -36.0}});
    EXPECT_NEAR(*meterFor(audio.view(), rate()).integratedLufs(), -23.0, kLoudnessTolerance);
}

TEST_P(Tech3341, Case4_AbsoluteAndRelativeGates) {
    const auto audio = toneSequence(rate(), 2, {{10.0, -72.0}, {10.0, -36.0}, {60.0, -23.0}, {10.0, -36.0}, {10.0, -72.0}});
    EXPECT_NEAR(*meterFor(audio.view(), rate()).integratedLufs(), -23.0, kLoudnessTolerance);
}

TEST_P(Tech3341, Case5_LevelSteps) {
    const auto audio = toneSequence(rate(), 2, {{20.0, -26.0}, {20.1, -20.0}, {20.0, -26.0}});
    EXPECT_NEAR(*meterFor(audio.view(), rate()).integratedLufs(), -23.0, kLoudnessTolerance);
}

TEST_P(Tech3341, Case6_FivePointZeroWithSurroundWeights) {
    // L, R at -28 dBFS, C at -24 dBFS, Ls, Rs at -30 dBFS: only the 1.41 surround weight
    // gives -23.
    const auto front = toneSequence(rate(), 1, {{20.0, -28.0}});
    const auto centre = toneSequence(rate(), 1, {{20.0, -24.0}});
    const auto surround = toneSequence(rate(), 1, {{20.0, -30.0}});
    AudioBuffer audio(5, front.frames());
    const AudioBuffer* sources[] = {&front, &front, &centre, &surround, &surround};
    for (int c = 0; c < 5; ++c) std::copy_n(sources[c]->channel(0), front.frames(), audio.channel(c));
    EXPECT_NEAR(*meterFor(audio.view(), rate()).integratedLufs(), -23.0, kLoudnessTolerance);
}

TEST_P(Tech3341, Case9_ShortTermIsConstantOverAPeriodicSignal) {
    // 1.34 s at -20 dBFS and 1.66 s at -30 dBFS, repeated: every 3 s window holds one period.
    std::vector<ToneSegment> segments;
    for (int i = 0; i < 5; ++i) {
        segments.push_back({1.34, -20.0});
        segments.push_back({1.66, -30.0});
    }
    const auto audio = toneSequence(rate(), 2, segments);
    LoudnessMeter meter({rate(), {1.0, 1.0}, false});
    int readings = 0;
    meter.setHopCallback([&](const LoudnessHop& hop) {
        if (!hop.shortTermLufs) return;
        ++readings;
        EXPECT_NEAR(*hop.shortTermLufs, -23.0, kLoudnessTolerance) << "at " << hop.endSeconds << " s";
    });
    meter.addFrames(audio.view());
    EXPECT_GT(readings, 100);
}

struct PeakCase {
    int number;
    double fractionOfRate;  // tone frequency as a fraction of fs
    double phaseDegrees;
    double peakDbfs;  // the sine's amplitude
    double expectedDbtp;
};

// Tech 3341 Table 1, cases 15-19: sines whose samples miss the waveform's peaks.
const PeakCase kPeakCases[] = {
    {15, 1.0 / 4.0, 0.0, -6.0206, -6.0},  {16, 1.0 / 4.0, 45.0, -6.0206, -6.0}, {17, 1.0 / 6.0, 60.0, -6.0206, -6.0},
    {18, 1.0 / 8.0, 67.5, -6.0206, -6.0}, {19, 1.0 / 4.0, 45.0, 3.0103, 3.0},  // samples at 0 dBFS, waveform at +3 dBTP
};

AudioBuffer peakCaseSignal(const PeakCase& pc, double rate) {
    auto audio = sine(rate, 5.0, pc.fractionOfRate * rate, pc.peakDbfs, 2, pc.phaseDegrees * std::numbers::pi / 180.0);
    applyFades(audio, rate, 0.010);
    return audio;
}

TEST_P(Tech3341, Cases15To19_TruePeak) {
    for (const auto& pc : kPeakCases) {
        const auto meter = meterFor(peakCaseSignal(pc, rate()).view(), rate());
        const double reading = truePeakDbtp(meter);
        EXPECT_LE(reading, pc.expectedDbtp + kTruePeakOver) << "case " << pc.number;
        EXPECT_GE(reading, pc.expectedDbtp - kTruePeakUnder) << "case " << pc.number;
    }
}

INSTANTIATE_TEST_SUITE_P(Rates, Tech3341, ::testing::Values(48000.0, 44100.0),
                         [](const auto& info) { return std::to_string(static_cast<int>(info.param)) + "Hz"; });

}  // namespace
}  // namespace bounce::test
