// QC statistics of ProgramAnalyzer against values known in closed form.
#include "bounce/analysis.h"
#include "meter_helpers.h"
#include "signals.h"

#include <gtest/gtest.h>

#include <cmath>

namespace bounce::test {
namespace {

AnalysisResult analyse(ConstAudioView audio, double rate, std::size_t block = 4096) {
    ProgramAnalyzer analyzer(rate, audio.channels());
    for (std::size_t i = 0; i < audio.frames(); i += block) analyzer.addFrames(audio.subView(i, std::min(block, audio.frames() - i)));
    return analyzer.result();
}

TEST(SignalStats, SineRmsCrestAndCorrelation) {
    const auto audio = sine(48000, 2.0, 1000.0, -6.0);
    const auto r = analyse(audio.view(), 48000);
    EXPECT_NEAR(*r.rmsDbfs, -6.0 - 3.0103, 0.001);
    EXPECT_NEAR(*r.crestDb, 3.0103, 0.001);
    EXPECT_NEAR(*r.correlation, 1.0, 1e-9);
    EXPECT_NEAR(*r.samplePeakDbfs, -6.0, 0.001);
    EXPECT_EQ(r.clippedSamples, 0u);
    EXPECT_NEAR(r.durationSeconds, 2.0, 1e-9);
}

TEST(SignalStats, OppositePolarityAndUncorrelatedNoise) {
    auto audio = sine(48000, 1.0, 440.0, -10.0);
    for (std::size_t i = 0; i < audio.frames(); ++i) audio.channel(1)[i] = -audio.channel(0)[i];
    EXPECT_NEAR(*analyse(audio.view(), 48000).correlation, -1.0, 1e-9);
    const auto noise = whiteNoise(48000, 5.0, 0.5, 2, 5);
    EXPECT_NEAR(*analyse(noise.view(), 48000).correlation, 0.0, 0.01);
    const auto mono = sine(48000, 1.0, 440.0, -10.0, 1);
    EXPECT_FALSE(analyse(mono.view(), 48000).correlation.has_value());
}

TEST(SignalStats, DcOffsetPerChannel) {
    AudioBuffer audio(2, 48000);
    for (std::size_t i = 0; i < audio.frames(); ++i) audio.channel(0)[i] = 0.01f;  // -40 dBFS of DC
    const auto r = analyse(audio.view(), 48000);
    EXPECT_NEAR(*r.dcOffsetDbfs[0], -40.0, 0.001);
    EXPECT_FALSE(r.dcOffsetDbfs[1].has_value());
}

TEST(SignalStats, ClippedSamplesAreRunsAtFullScaleAcrossBlocks) {
    auto audio = sine(48000, 1.0, 100.0, -20.0, 1);
    // One run of 5 at +1.0 straddling a block boundary (block 17), one of 2 (not a clip),
    // one of 3 at -1.0 at the very end.
    for (int i = 0; i < 5; ++i) audio.channel(0)[15 + i] = 1.0f;
    for (int i = 0; i < 2; ++i) audio.channel(0)[1000 + i] = 1.0f;
    for (int i = 0; i < 3; ++i) audio.channel(0)[audio.frames() - 1 - i] = -1.0f;
    EXPECT_EQ(analyse(audio.view(), 48000, 17).clippedSamples, 8u);
}

TEST(SignalStats, LeadingAndTrailingSilence) {
    const auto tone = sine(48000, 1.0, 1000.0, -20.0);
    const AudioBuffer head(2, 24000), tail(2, 12000);
    const auto audio = concatenate({&head, &tone, &tail});
    const auto r = analyse(audio.view(), 48000, 1000);
    // The sine starts at 0 (phase 0) and its first sample above -60 dBFS is frame 1.
    EXPECT_NEAR(r.leadingSilenceSeconds, 0.5 + 1.0 / 48000, 1e-9);
    EXPECT_NEAR(r.trailingSilenceSeconds, 0.25, 2.0 / 48000);
    const AudioBuffer silence(2, 48000);
    const auto s = analyse(silence.view(), 48000);
    EXPECT_DOUBLE_EQ(s.leadingSilenceSeconds, 1.0);
    EXPECT_FALSE(s.integratedLufs.has_value());
    EXPECT_FALSE(s.truePeakDbtp.has_value());
    EXPECT_FALSE(s.loudnessRangeLu.has_value());
}

TEST(LoudnessMeter, BlockSizeDoesNotChangeAnyReading) {
    const auto audio = pinkishNoise(44100, 12.0, -20.0, 2, 11);
    const auto reference = meterFor(audio.view(), 44100, {}, 4096);
    for (std::size_t block : {1u, 17u, 512u}) {
        const auto m = meterFor(audio.view(), 44100, {}, block);
        EXPECT_DOUBLE_EQ(*m.integratedLufs(), *reference.integratedLufs()) << block;
        EXPECT_DOUBLE_EQ(*m.loudnessRangeLu(), *reference.loudnessRangeLu()) << block;
        EXPECT_DOUBLE_EQ(*m.maxMomentaryLufs(), *reference.maxMomentaryLufs()) << block;
        EXPECT_DOUBLE_EQ(truePeakDbtp(m), truePeakDbtp(reference)) << block;
    }
}

TEST(LoudnessMeter, ResetGivesIdenticalReadings) {
    const auto audio = pinkishNoise(48000, 6.0, -20.0, 2, 12);
    auto meter = meterFor(audio.view(), 48000);
    const double first = *meter.integratedLufs();
    meter.reset();
    meter.addFrames(audio.view());
    EXPECT_DOUBLE_EQ(*meter.integratedLufs(), first);
}

TEST(LoudnessMeter, NanDoesNotPoisonLaterBlocks) {
    auto audio = toneSequence(48000, 2, {{10.0, -23.0}});
    audio.channel(0)[1000] = std::nanf("");
    audio.channel(1)[1000] = INFINITY;
    const auto meter = meterFor(audio.view(), 48000);
    ASSERT_TRUE(meter.integratedLufs().has_value());
    EXPECT_NEAR(*meter.integratedLufs(), -23.0, 0.1);
    EXPECT_NEAR(*meter.shortTermLufs(), -23.0, 0.1);
}

TEST(LoudnessMeter, ChannelWeightsFollowBs1770Table3) {
    EXPECT_EQ(LoudnessMeter::channelWeightsFor(6), (std::vector<double>{1, 1, 1, 0, 1.41, 1.41}));
    EXPECT_EQ(LoudnessMeter::channelWeightsFor(8), (std::vector<double>{1, 1, 1, 0, 1, 1, 1.41, 1.41}));
    using S = Speaker;
    // 5.1 declared with back speakers: they are the surrounds.
    EXPECT_EQ(LoudnessMeter::channelWeightsFor(6, {S::Left, S::Right, S::Center, S::Lfe, S::LeftBack, S::RightBack}),
              (std::vector<double>{1, 1, 1, 0, 1.41, 1.41}));
}

}  // namespace
}  // namespace bounce::test
