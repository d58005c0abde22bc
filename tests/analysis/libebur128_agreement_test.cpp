// Agreement with libebur128 1.2.6, the reference meter, run in the test on the same
// programmes: integrated within 0.05 LU, loudness range within 0.1 LU, true peak within
// 0.1 dB.
#include "meter_helpers.h"
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>

namespace bounce::test {
namespace {

// Noise bursts of stepped levels with gaps of digital silence: exercises both gates.
AudioBuffer burstProgramme(double rate, int channels, std::uint64_t seed) {
    const double levels[] = {-18, -30, -12, -24, -45, -15, -20, -60, -16, -28, -22, -14};
    std::vector<AudioBuffer> parts;
    for (std::size_t i = 0; i < std::size(levels); ++i) {
        parts.push_back(pinkishNoise(rate, 2.0 + 0.7 * static_cast<double>(i % 3), levels[i], channels, seed + i));
        parts.push_back(AudioBuffer(channels, static_cast<std::size_t>(rate * (0.3 + 0.4 * static_cast<double>(i % 2)))));
    }
    std::vector<const AudioBuffer*> pointers;
    for (const auto& p : parts) pointers.push_back(&p);
    return concatenate(pointers);
}

// Tones of several frequencies and levels with an envelope, over pinkish noise.
AudioBuffer toneProgramme(double rate, int channels) {
    auto audio = pinkishNoise(rate, 40.0, -30.0, channels, 99);
    const double freqs[] = {55.0, 220.0, 997.0, 3150.0, 7000.0};
    for (int c = 0; c < channels; ++c) {
        float* x = audio.channel(c);
        for (std::size_t i = 0; i < audio.frames(); ++i) {
            const double t = static_cast<double>(i) / rate;
            const double envelope = 0.5 + 0.45 * std::sin(2 * std::numbers::pi * 0.07 * t + c);
            double v = 0;
            for (int k = 0; k < 5; ++k) v += 0.08 * std::sin(2 * std::numbers::pi * freqs[k] * t + k + c);
            x[i] += static_cast<float>(envelope * v);
        }
    }
    return audio;
}

void expectAgreement(ConstAudioView audio, double rate, const char* what) {
    const auto ours = meterFor(audio, rate);
    const auto peer = measureWithLibebur128(audio, rate);
    ASSERT_TRUE(peer.integratedLufs && ours.integratedLufs()) << what;
    EXPECT_NEAR(*ours.integratedLufs(), *peer.integratedLufs, 0.05) << what;
    ASSERT_TRUE(peer.loudnessRangeLu && ours.loudnessRangeLu()) << what;
    EXPECT_NEAR(*ours.loudnessRangeLu(), *peer.loudnessRangeLu, 0.1) << what;
    EXPECT_NEAR(truePeakDbtp(ours), peer.truePeakDbtp, 0.1) << what;
    std::printf("[ %s ] I %.3f vs %.3f LUFS, LRA %.3f vs %.3f LU, TP %.3f vs %.3f dBTP (bounce vs libebur128)\n", what,
                *ours.integratedLufs(), *peer.integratedLufs, *ours.loudnessRangeLu(), *peer.loudnessRangeLu, truePeakDbtp(ours),
                peer.truePeakDbtp);
}

// A programme's 100 ms momentary blocks, as a meter's hop callback reports them.
std::vector<double> momentaryBlocks(ConstAudioView audio, double rate) {
    std::vector<double> blocks;
    LoudnessMeter meter({rate, LoudnessMeter::channelWeightsFor(audio.channels()), false});
    meter.setHopCallback([&](const LoudnessHop& hop) {
        if (hop.momentaryLufs)
            blocks.push_back(*hop.momentaryLufs);
        else if (hop.index >= 3)
            blocks.push_back(-std::numeric_limits<double>::infinity());  // a silent block
    });
    meter.addFrames(audio);
    return blocks;
}

// Loudness from blocks (automix predicts its mix so): one programme's blocks gate to
// libebur128's integrated loudness of its samples; two unrelated programmes' blocks, summed
// as powers, to libebur128's of their sum (the prediction's one assumption).
TEST(Libebur128Agreement, IntegratedLoudnessOfBlocksAndOfTheirPowerSum) {
    const AudioBuffer a = burstProgramme(48000, 2, 11), b = toneProgramme(48000, 2);
    const std::size_t frames = std::min(a.frames(), b.frames());
    AudioBuffer sum(2, frames);
    for (int c = 0; c < 2; ++c)
        for (std::size_t i = 0; i < frames; ++i) sum.channel(c)[i] = a.channel(c)[i] + b.channel(c)[i];
    const auto blocksA = momentaryBlocks(ConstAudioView(a.view()).subView(0, frames), 48000);
    const auto blocksB = momentaryBlocks(ConstAudioView(b.view()).subView(0, frames), 48000);
    const auto aAlone = integratedLufsOfBlocks(blocksA);
    const auto peerA = measureWithLibebur128(ConstAudioView(a.view()).subView(0, frames), 48000).integratedLufs;
    ASSERT_TRUE(aAlone && peerA);
    EXPECT_NEAR(*aAlone, *peerA, 0.05);
    ASSERT_EQ(blocksA.size(), blocksB.size());
    std::vector<double> summed(blocksA.size());
    for (std::size_t i = 0; i < summed.size(); ++i)
        summed[i] = 10.0 * std::log10(std::pow(10.0, blocksA[i] / 10.0) + std::pow(10.0, blocksB[i] / 10.0));
    const auto predicted = integratedLufsOfBlocks(summed);
    const auto peerSum = measureWithLibebur128(sum.view(), 48000).integratedLufs;
    ASSERT_TRUE(predicted && peerSum);
    EXPECT_NEAR(*predicted, *peerSum, 0.1);
    EXPECT_FALSE(integratedLufsOfBlocks({-std::numeric_limits<double>::infinity(), -80.0}));
    std::printf("blocks: %.3f vs %.3f LUFS; power sum of blocks %.3f vs the sum's %.3f LUFS (libebur128)\n", *aAlone, *peerA, *predicted,
                *peerSum);
}

// Each hop's own loudness (the 100 ms blocks automix reads a track's loud passages from) is
// libebur128's loudness of that 100 ms window, at 44.1 and 48 kHz (where it is over -70 LUFS).
TEST(Libebur128Agreement, EachHopsOwnLoudnessIsLibebur128sOver100Ms) {
    for (const double rate : {44100.0, 48000.0}) {
        const AudioBuffer audio = burstProgramme(rate, 2, 12);
        std::vector<std::optional<double>> ours;
        LoudnessMeter meter({rate, LoudnessMeter::channelWeightsFor(2), false});
        meter.setHopCallback([&](const LoudnessHop& hop) { ours.push_back(hop.hopLufs); });
        meter.addFrames(audio.view());
        const std::vector<double> peer = hopLoudnessWithLibebur128(audio.view(), rate);
        ASSERT_EQ(ours.size(), peer.size());
        int compared = 0;
        for (std::size_t i = 0; i < peer.size(); ++i) {
            if (!std::isfinite(peer[i]) || peer[i] < -70.0) continue;
            ASSERT_TRUE(ours[i]) << i;
            EXPECT_NEAR(*ours[i], peer[i], 0.01) << i;
            ++compared;
        }
        EXPECT_GT(compared, 10);
    }
}

TEST(Libebur128Agreement, StereoBursts48k) { expectAgreement(burstProgramme(48000, 2, 1).view(), 48000, "stereo 48k bursts"); }
TEST(Libebur128Agreement, MonoBursts44k1) { expectAgreement(burstProgramme(44100, 1, 2).view(), 44100, "mono 44.1k bursts"); }
TEST(Libebur128Agreement, StereoBursts96k) { expectAgreement(burstProgramme(96000, 2, 3).view(), 96000, "stereo 96k bursts"); }
TEST(Libebur128Agreement, StereoTones44k1) { expectAgreement(toneProgramme(44100, 2).view(), 44100, "stereo 44.1k tones"); }
TEST(Libebur128Agreement, MonoTones48k) { expectAgreement(toneProgramme(48000, 1).view(), 48000, "mono 48k tones"); }

TEST(Libebur128Agreement, FivePointOne48k) {
    // L R C LFE Ls Rs at different levels: the LFE must be ignored by both meters.
    auto audio = burstProgramme(48000, 6, 10);
    const double gains[] = {1.0, 0.8, 0.6, 3.0, 0.5, 0.4};
    for (int c = 0; c < 6; ++c)
        for (std::size_t i = 0; i < audio.frames(); ++i) audio.channel(c)[i] *= static_cast<float>(gains[c] * 0.3);
    expectAgreement(audio.view(), 48000, "5.1 48k bursts");
}

// EBU Tech 3341 cases 15-19. Bounce must meet the tolerance on all; libebur128 1.2.6
// over-reads 17 and 18. Where the two differ by more than 0.1 dB, the standard decides:
// Bounce must be the closer of the two.
TEST(Libebur128Agreement, TruePeakCasesWhereTheStandardWins) {
    struct Case {
        int number;
        double fraction, phaseDegrees, amplitudeDb, expected;
    };
    const Case cases[] = {{15, 0.25, 0, -6.0206, -6},
                          {16, 0.25, 45, -6.0206, -6},
                          {17, 1.0 / 6, 60, -6.0206, -6},
                          {18, 0.125, 67.5, -6.0206, -6},
                          {19, 0.25, 45, 3.0103, 3}};
    for (double rate : {48000.0, 44100.0}) {
        for (const auto& c : cases) {
            auto audio = sine(rate, 5.0, c.fraction * rate, c.amplitudeDb, 2, c.phaseDegrees * std::numbers::pi / 180);
            applyFades(audio, rate, 0.01);
            const double ours = truePeakDbtp(meterFor(audio.view(), rate));
            const double peer = measureWithLibebur128(audio.view(), rate).truePeakDbtp;
            std::printf("[ case %d at %.0f Hz ] expected %+.2f dBTP: bounce %+.3f, libebur128 %+.3f\n", c.number, rate, c.expected, ours,
                        peer);
            EXPECT_LE(ours, c.expected + 0.2) << "case " << c.number;
            EXPECT_GE(ours, c.expected - 0.4) << "case " << c.number;
            if (std::fabs(ours - peer) > 0.1) {
                EXPECT_LT(std::fabs(ours - c.expected), std::fabs(peer - c.expected)) << "case " << c.number;
            }
        }
    }
}

}  // namespace
}  // namespace bounce::test
