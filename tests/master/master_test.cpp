// bounce master: every target reached on varied programmes, measured by libebur128 in the
// test; ceilings never crossed by an ideal reconstruction; formats, dither, metadata, and bad input.
#include "bounce/check.h"
#include "bounce/error.h"
#include "bounce/master.h"
#include "bounce/master_options.h"
#include "ideal_peak.h"
#include "peers.h"
#include "signals.h"
#include "spectrum.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <taglib/fileref.h>
#include <taglib/aifffile.h>
#include <taglib/attachedpictureframe.h>
#include <taglib/flacfile.h>
#include <taglib/id3v2tag.h>
#include <taglib/wavfile.h>
#include <taglib/tag.h>
#include <taglib/tpropertymap.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <map>
#include <memory>
#include <numbers>
#include <thread>
#include <tuple>
#include <unistd.h>
#include <sys/wait.h>

namespace bounce::test {
namespace {
namespace fs = std::filesystem;

struct Programme {
    const char* name;
    double rate;
    int channels;
    double seconds;
};

// Programmes of different character, synthesised.
AudioBuffer makeProgramme(const Programme& p) {
    const std::string name = p.name;
    if (name == "dense-loud") {
        auto x = pinkishNoise(p.rate, p.seconds, -10.0, p.channels, 1);
        for (int c = 0; c < p.channels; ++c)
            for (std::size_t i = 0; i < x.frames(); ++i) x.channel(c)[i] = std::clamp(x.channel(c)[i], -0.7f, 0.7f);
        return x;
    }
    if (name == "sparse-quiet") {
        auto x = pinkishNoise(p.rate, p.seconds, -38.0, p.channels, 2);
        for (std::size_t i = 0; i < x.frames(); ++i) {
            const double t = static_cast<double>(i) / p.rate;
            if (std::fmod(t, 3.0) > 1.2) scale(x, i, 1, 0.05);  // long quiet gaps
        }
        return x;
    }
    if (name == "bass-heavy") {
        auto x = pinkishNoise(p.rate, p.seconds, -30.0, p.channels, 3);
        for (int c = 0; c < p.channels; ++c)
            for (std::size_t i = 0; i < x.frames(); ++i)
                x.channel(c)[i] += static_cast<float>(0.4 * std::sin(2 * std::numbers::pi * 45.0 * static_cast<double>(i) / p.rate));
        return x;
    }
    if (name == "peaky") {
        auto x = pinkishNoise(p.rate, p.seconds, -32.0, p.channels, 4);
        for (std::size_t i = 0; i < x.frames(); i += static_cast<std::size_t>(p.rate / 4))  // a hard click every 250 ms
            for (int c = 0; c < p.channels; ++c)
                for (std::size_t k = 0; k < 40 && i + k < x.frames(); ++k)
                    x.channel(c)[i + k] += (k % 2 ? -0.9f : 0.9f) * static_cast<float>(1.0 - k / 40.0);
        return x;
    }
    if (name == "near-silent") return pinkishNoise(p.rate, p.seconds, -62.0, p.channels, 5);
    return pinkishNoise(p.rate, p.seconds, -20.0, p.channels, 6);  // mono, 96 kHz, long
}

class MasterTargets : public ::testing::TestWithParam<Programme> {};

TEST_P(MasterTargets, EveryTargetIsReachedAndNoCeilingCrossed) {
    const auto dir = makeTempDir("master");
    const Programme p = GetParam();
    writeFile(dir + "/in.wav", makeProgramme(p).view(), p.rate, SampleFormat::Float32);
    for (const auto& target : loudnessTargets()) {
        MasterSettings s;
        s.target = target.name;
        const std::string out = dir + "/out-" + target.name + ".wav";
        const MasterResult r = masterFile(dir + "/in.wav", out, s);
        double rate = 0;
        const auto audio = readWholeFile(out, &rate);
        if (target.sampleRate > 0) {
            EXPECT_EQ(rate, target.sampleRate) << target.name;
        }
        const auto peer = measureWithLibebur128(audio.view(), rate);
        ASSERT_TRUE(peer.integratedLufs) << target.name;
        EXPECT_NEAR(*peer.integratedLufs, target.integratedLufs, 0.2) << p.name << " -> " << target.name << " (" << r.passes << " passes)";
        // The ceiling holds against an ideal reconstruction of the delivered file (FFT
        // interpolation, tests/support/ideal_peak), and where the limiter worked the file
        // sits less than 0.1 dB under it: the margin is not bought wholesale. libebur128's
        // 4x interpolator reads up to 0.15 dB above the ideal on dense limited material
        // (its 49-tap filter's passband ripple rises above 0 dB towards Nyquist: on the stress
        // corpus it over-reads a 15 kHz tone by 0.1 dB), so against it the ceiling holds
        // within that. (Measured here: up to 0.11 dB over with LR4 crossovers in the
        // multiband, 0.14 dB with the linear-phase ones, on the mono programme at -11 LUFS.)
        const double ideal = idealTruePeakDbtp(audio.view());
        EXPECT_LE(ideal, target.ceilingDbtp) << p.name << " -> " << target.name;
        EXPECT_LE(peer.truePeakDbtp, target.ceilingDbtp + 0.15) << p.name << " -> " << target.name;
        double limitedDb = 0;
        for (const auto& stage : r.stages)
            if (stage.name == "limiter") limitedDb = stage.effect.at("max_gain_reduction_db");
        if (limitedDb > 0.5) {
            EXPECT_LT(target.ceilingDbtp - ideal, 0.1) << p.name << " -> " << target.name << ", limiter " << limitedDb << " dB";
        }
        ASSERT_TRUE(r.output.truePeakDbtp);
        EXPECT_NEAR(*r.output.truePeakDbtp, ideal, 0.04) << p.name << " -> " << target.name;
        fs::remove(out);
    }
    fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Programmes, MasterTargets,
                         ::testing::Values(Programme{"dense-loud", 44100, 2, 12}, Programme{"sparse-quiet", 48000, 2, 15},
                                           Programme{"bass-heavy", 44100, 2, 12}, Programme{"peaky", 48000, 2, 12},
                                           Programme{"near-silent", 44100, 2, 12}, Programme{"mono", 48000, 1, 12},
                                           Programme{"hi-res", 96000, 2, 10}, Programme{"eight-minutes", 22050, 2, 480}),
                         [](const auto& info) {
                             std::string n = info.param.name;
                             for (auto& ch : n)
                                 if (ch == '-') ch = '_';
                             return n;
                         });

class MasterCli : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = makeTempDir("master-cli");
        writeFile(dir_ + "/mix.wav", pinkishNoise(44100, 6.0, -24, 2, 8).view(), 44100, SampleFormat::Pcm24);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string dir_;
};

// Codec-safe delivery: a dense, loud master whose lossy round trips overshoot (clipped
// noise pushed 2 dB past the loud target: the limiter works on it). With
// --codec-safe every round trip, encoded and decoded by ffmpeg here in the test and read by
// the ideal reconstruction, stays under the ceiling; the ceiling comes down only as far as
// that needs (the worst round trip ends within 0.3 dB of it).
TEST_F(MasterCli, CodecSafeKeepsTheDecodedRoundTripsUnderTheCeiling) {
    if (!haveTool("ffmpeg")) GTEST_SKIP() << "ffmpeg is not installed: the codec round trips are not run";
    auto loud = pinkishNoise(44100, 8.0, -10.0, 2, 21);
    for (int c = 0; c < 2; ++c)
        for (std::size_t i = 0; i < loud.frames(); ++i) loud.channel(c)[i] = std::clamp(loud.channel(c)[i], -0.7f, 0.7f);
    writeFile(dir_ + "/loud.wav", loud.view(), 44100, SampleFormat::Pcm24);
    MasterSettings s;
    s.target = "spotify-loud";  // -11 LUFS, -1 dBTP
    s.lufs = -9.0;              // louder: the limiter works, and the round trips overshoot
    s.codecSafe = true;
    const MasterResult r = masterFile(dir_ + "/loud.wav", dir_ + "/safe.wav", s);
    EXPECT_TRUE(r.codecSafeReached);
    EXPECT_GT(r.codecLoweringDb, 0.0) << "this programme's round trips overshoot: the test needs them to";
    ASSERT_EQ(r.codecChecks.size(), 3u);
    double worst = -120.0;
    for (const auto& [codec, encoder, extension, kbps] :
         {std::tuple{"aac", "aac", ".m4a", "256k"}, std::tuple{"mp3", "libmp3lame", ".mp3", "320k"},
          std::tuple{"opus", "libopus", ".opus", "160k"}}) {
        const std::string encoded = dir_ + "/rt" + extension, decoded = dir_ + "/rt-" + codec + ".wav";
        ASSERT_EQ(runCommand({"ffmpeg", "-nostdin", "-v", "error", "-y", "-i", dir_ + "/safe.wav", "-c:a", encoder, "-b:a", kbps, encoded})
                      .exitCode,
                  0);
        ASSERT_EQ(runCommand({"ffmpeg", "-nostdin", "-v", "error", "-y", "-i", encoded, "-c:a", "pcm_f32le", decoded}).exitCode, 0);
        double rate = 0;
        const double peak = idealTruePeakDbtp(readWholeFile(decoded, &rate).view());
        EXPECT_LE(peak, -1.0) << codec;
        worst = std::max(worst, peak);
    }
    EXPECT_GT(worst, -1.3) << "lowered further than the round trips needed";
    double rate = 0;
    EXPECT_LE(idealTruePeakDbtp(readWholeFile(dir_ + "/safe.wav", &rate).view()), -1.0);
}

// The report's gain-reduction curve lines up with the music: a burst 14 dB louder from 2 s
// to 4 s is where the limiter works (more than 3 dB on average), the quiet parts are not
// (under 0.5 dB), and the curve's largest is near the stage's reported maximum (which
// multiplies its three stages' deepest gains, wherever each was: a bound the curve meets
// within half a decibel).
TEST_F(MasterCli, TheGainReductionCurveFollowsWhereTheLimiterWorks) {
    AudioBuffer burst = pinkishNoise(44100, 6.0, -26.0, 2, 31);
    scale(burst, 2 * 44100, 2 * 44100, dbToLinear(14.0));
    writeFile(dir_ + "/burst.wav", burst.view(), 44100, SampleFormat::Pcm24);
    MasterSettings s;
    s.target = "spotify";
    s.lufs = -9.0;  // loud: the burst (which the gated loudness is) is limited hard, the rest 14 dB under is not
    const MasterResult r = masterFile(dir_ + "/burst.wav", dir_ + "/burst.master.wav", s);
    ASSERT_TRUE(r.limiterRan);
    ASSERT_GT(r.gainReduction.size(), 20u);
    const auto meanBetween = [&](double from, double to) {
        double sum = 0.0;
        int n = 0;
        for (const auto& p : r.gainReduction)
            if (p.seconds > from && p.seconds <= to) {
                sum += p.limiterDb;
                ++n;
            }
        return n ? sum / n : -1.0;
    };
    EXPECT_GT(meanBetween(2.3, 3.8), 3.0);
    EXPECT_LT(meanBetween(0.3, 1.7), 0.5);
    EXPECT_LT(meanBetween(4.5, 5.8), 0.5);
    double largest = 0.0, last = -1.0;
    for (const auto& p : r.gainReduction) {
        EXPECT_GT(p.seconds, last);
        last = p.seconds;
        largest = std::max(largest, p.limiterDb);
    }
    EXPECT_NEAR(last, 6.0, 0.2);
    double reported = 0.0;
    for (const auto& stage : r.stages)
        if (stage.name == "limiter") reported = stage.effect.at("max_gain_reduction_db");
    EXPECT_LE(largest, reported + 1e-9);
    EXPECT_GT(largest, reported - 0.5);
}

TEST_F(MasterCli, CodecSafeWithoutFfmpegFailsClearly) {
    const auto r =
        runCommand({"/usr/bin/env", "PATH=/nonexistent", BOUNCE_CLI, "master", "--codec-safe", dir_ + "/mix.wav", "-o", dir_ + "/out.wav"});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.err.find("ffmpeg"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir_ + "/out.wav"));
    const auto unknown = runCommand({BOUNCE_CLI, "master", "--codec-safe=flac", dir_ + "/mix.wav", "-o", dir_ + "/out.wav"});
    EXPECT_EQ(unknown.exitCode, 2);
    EXPECT_NE(unknown.err.find("unknown codec 'flac'"), std::string::npos) << unknown.err;
}

// Neutral means neutral: a programme with wide bass (left and right lows independent)
// keeps its side channel from 40 to 100 Hz within 0.1 dB of the input after the gain, and the
// report says the width stage was bypassed. (Below 40 Hz the corrective high-pass acts.)
TEST_F(MasterCli, NeutralKeepsWideBass) {
    const double rate = 44100;
    const std::size_t n = static_cast<std::size_t>(8 * rate);
    AudioBuffer x(2, n);
    const auto bass = [&](std::uint64_t seed) {
        auto noise = pinkishNoise(rate, 8.0, -20.0, 1, seed);
        // A one-pole low-pass twice, about 100 Hz: the lows of each side on their own.
        double a = 0, b = 0;
        const double k = 1.0 - std::exp(-2.0 * std::numbers::pi * 100.0 / rate);
        for (std::size_t i = 0; i < n; ++i) {
            a += k * (noise.channel(0)[i] - a);
            b += k * (a - b);
            noise.channel(0)[i] = static_cast<float>(2.0 * b);
        }
        return noise;
    };
    const auto left = bass(31), right = bass(32), mids = pinkishNoise(rate, 8.0, -24.0, 1, 33);
    for (std::size_t i = 0; i < n; ++i) {
        x.channel(0)[i] = left.channel(0)[i] + mids.channel(0)[i];
        x.channel(1)[i] = right.channel(0)[i] + mids.channel(0)[i];
    }
    writeFile(dir_ + "/wide.wav", x.view(), rate, SampleFormat::Float32);
    MasterSettings s;
    s.bits = "32f";
    const MasterResult r = masterFile(dir_ + "/wide.wav", dir_ + "/wide.master.wav", s);
    double limited = 0;
    for (const auto& stage : r.stages) {
        if (stage.name == "width") {
            EXPECT_NE(stage.detail.find("bypassed"), std::string::npos) << stage.detail;
        }
        if (stage.name == "limiter") limited = stage.effect.at("max_gain_reduction_db");
    }
    double outRate = 0;
    const auto y = readWholeFile(dir_ + "/wide.master.wav", &outRate);
    const auto sideBand = [&](const AudioBuffer& audio) {
        std::vector<double> side(audio.frames());
        for (std::size_t i = 0; i < side.size(); ++i) side[i] = 0.5 * (static_cast<double>(audio.channel(0)[i]) - audio.channel(1)[i]);
        return MagnitudeSpectrum(side, rate).bandPower(40.0, 100.0);
    };
    const double changeDb = 10.0 * std::log10(sideBand(y) / sideBand(x)) - r.gainDb;
    EXPECT_NEAR(changeDb, 0.0, 0.1) << "limiter " << limited << " dB";
}

// A finished programme with nothing below 30 Hz: pinkish noise through four one-pole
// high-passes at 40 Hz, held to 10 dB of crest (clamped), at `rmsDbfs`.
AudioBuffer finishedNoise(double rate, double seconds, double rmsDbfs, int channels, std::uint64_t seed) {
    auto x = pinkishNoise(rate, seconds, rmsDbfs, channels, seed);
    const double k = std::exp(-2.0 * std::numbers::pi * 40.0 / rate);
    const float limit = static_cast<float>(3.16 * std::pow(10.0, rmsDbfs / 20.0));
    for (int c = 0; c < channels; ++c) {
        float* s = x.channel(c);
        for (int pass = 0; pass < 4; ++pass) {
            double previousIn = 0.0, out = 0.0;
            for (std::size_t i = 0; i < x.frames(); ++i) {
                out = k * (out + s[i] - previousIn);
                previousIn = s[i];
                s[i] = static_cast<float>(out);
            }
        }
        for (std::size_t i = 0; i < x.frames(); ++i) s[i] = std::clamp(s[i], -limit, limit);
    }
    return x;
}

// Issue 16: a finished programme that needs only a level change comes back as exactly that:
// every sample of the 32-bit float master is the input's times the reported gain (as a
// float), bit for bit, and the report says every other stage was bypassed. Dense, sparse,
// wide-bass and mono programmes; then the dense one with a DC offset added, which must come
// back as the input less its mean, times the gain (residual under -60 dB).
TEST_F(MasterCli, AProgrammeNeedingOnlyGainComesBackAsThatGain) {
    const double rate = 44100, seconds = 10;
    const auto frames = static_cast<std::size_t>(rate * seconds);
    std::map<std::string, AudioBuffer> programmes;
    programmes.emplace("dense", finishedNoise(rate, seconds, -20.0, 2, 41));
    {
        AudioBuffer notes(2, frames);
        for (std::size_t i = 0; i < frames; ++i) {
            const double t = static_cast<double>(i) / rate;
            const int note = static_cast<int>(t / 0.6);
            const double within = t - 0.6 * note;
            if (within >= 0.4) continue;  // 0.2 s of silence between notes
            const double fade = std::min({1.0, within / 0.02, (0.4 - within) / 0.02});
            const double envelope = 0.5 - 0.5 * std::cos(std::numbers::pi * fade);
            const double f = 220.0 * (1.0 + 0.25 * (note % 4));
            const double v = std::pow(10.0, -16.0 / 20.0) * envelope * std::sin(2.0 * std::numbers::pi * f * t);
            notes.channel(0)[i] = notes.channel(1)[i] = static_cast<float>(v);
        }
        programmes.emplace("sparse", std::move(notes));
    }
    {
        AudioBuffer wide = finishedNoise(rate, seconds, -23.0, 2, 43);
        for (std::size_t i = 0; i < frames; ++i) {
            const double phase = 2.0 * std::numbers::pi * 55.0 * static_cast<double>(i) / rate;
            const double amplitude = std::pow(10.0, -22.0 / 20.0) * std::min(1.0, static_cast<double>(i) / 4410.0);
            wide.channel(0)[i] += static_cast<float>(amplitude * std::sin(phase));
            wide.channel(1)[i] += static_cast<float>(amplitude * std::sin(phase + std::numbers::pi / 2));
        }
        programmes.emplace("wide_bass", std::move(wide));
    }
    programmes.emplace("mono", finishedNoise(rate, seconds, -20.0, 1, 44));

    for (const auto& [name, x] : programmes) {
        SCOPED_TRACE(name);
        writeFile(dir_ + "/" + name + ".wav", x.view(), rate, SampleFormat::Float32);
        MasterSettings settings;
        settings.bits = "32f";
        const MasterResult r = masterFile(dir_ + "/" + name + ".wav", dir_ + "/" + name + ".master.wav", settings);
        EXPECT_TRUE(r.reachedTarget);
        for (const auto& stage : r.stages) EXPECT_EQ(stage.active, stage.name == "gain") << stage.name << ": " << stage.detail;
        const auto y = readWholeFile(dir_ + "/" + name + ".master.wav");
        ASSERT_EQ(y.frames(), x.frames());
        ASSERT_EQ(y.channels(), x.channels());
        const auto g = static_cast<float>(std::pow(10.0, r.gainDb / 20.0));
        for (int c = 0; c < x.channels(); ++c)
            for (std::size_t i = 0; i < x.frames(); ++i)
                ASSERT_EQ(y.channel(c)[i], x.channel(c)[i] * g) << "channel " << c << ", frame " << i;
    }

    // The dense programme with a DC offset of -40 dBFS in one channel and -46 in the other.
    AudioBuffer offset = finishedNoise(rate, seconds, -20.0, 2, 41);
    const std::array<double, 2> dc{0.01, -0.005};
    std::array<double, 2> mean{};
    for (int c = 0; c < 2; ++c) {
        for (std::size_t i = 0; i < frames; ++i) {
            offset.channel(c)[i] += static_cast<float>(dc[static_cast<std::size_t>(c)]);
            mean[static_cast<std::size_t>(c)] += offset.channel(c)[i];
        }
        mean[static_cast<std::size_t>(c)] /= static_cast<double>(frames);
    }
    writeFile(dir_ + "/offset.wav", offset.view(), rate, SampleFormat::Float32);
    MasterSettings settings;
    settings.bits = "32f";
    const MasterResult r = masterFile(dir_ + "/offset.wav", dir_ + "/offset.master.wav", settings);
    for (const auto& stage : r.stages)
        EXPECT_EQ(stage.active, stage.name == "gain" || stage.name == "dc_offset") << stage.name << ": " << stage.detail;
    const auto y = readWholeFile(dir_ + "/offset.master.wav");
    ASSERT_EQ(y.frames(), offset.frames());
    const double g = std::pow(10.0, r.gainDb / 20.0);
    double signal = 0.0, residual = 0.0;
    for (int c = 0; c < 2; ++c)
        for (std::size_t i = 0; i < frames; ++i) {
            const double expected = (offset.channel(c)[i] - mean[static_cast<std::size_t>(c)]) * g;
            signal += expected * expected;
            residual += (y.channel(c)[i] - expected) * (y.channel(c)[i] - expected);
        }
    EXPECT_LT(10.0 * std::log10(residual / signal), -60.0);
}

// Issue 16: the subsonic high-pass runs only where there is content below 18 Hz to remove,
// at the gentlest slope that does it. An 8 Hz rumble put under a finished programme at
// -15 dB and -25 dB against its energy: the report reads it within 1 dB of that and runs
// 24 and 12 dB/oct, and the rumble comes out at least 25 and 12 dB down (after the gain).
// Without it (the gain-only test above) the high-pass is bypassed.
TEST_F(MasterCli, TheHighPassRunsOnlyWhereThereIsSubsonicContent) {
    const double rate = 44100, seconds = 10;
    for (const auto& [ratioDb, slope, atLeastDb] : {std::tuple{-15.0, 24, 25.0}, std::tuple{-25.0, 12, 12.0}}) {
        SCOPED_TRACE(ratioDb);
        auto x = finishedNoise(rate, seconds, -20.0, 2, 51);
        double meanSquare = 0;  // the left channel's (the high-passes and the clamp took some)
        for (std::size_t i = 0; i < x.frames(); ++i) meanSquare += static_cast<double>(x.channel(0)[i]) * x.channel(0)[i];
        meanSquare /= static_cast<double>(x.frames());
        // The rumble's power at ratioDb against the noise's: against the whole (noise and
        // rumble), ratio / (1 + ratio).
        const double ratio = std::pow(10.0, ratioDb / 10.0);
        const double amplitude = std::sqrt(2.0 * meanSquare * ratio);
        const double expectedDb = 10.0 * std::log10(ratio / (1.0 + ratio));
        for (int c = 0; c < 2; ++c)
            for (std::size_t i = 0; i < x.frames(); ++i)
                x.channel(c)[i] += static_cast<float>(amplitude * std::sin(2.0 * std::numbers::pi * 8.0 * static_cast<double>(i) / rate));
        writeFile(dir_ + "/rumble.wav", x.view(), rate, SampleFormat::Float32);
        MasterSettings settings;
        settings.bits = "32f";
        const MasterResult r = masterFile(dir_ + "/rumble.wav", dir_ + "/rumble.master.wav", settings);
        bool found = false;
        for (const auto& stage : r.stages) {
            if (stage.name != "corrective_eq") continue;
            found = true;
            EXPECT_TRUE(stage.active) << stage.detail;
            EXPECT_EQ(stage.settings.at("highpass_slope_db_oct"), slope) << stage.detail;
            double measured = 0;
            ASSERT_EQ(std::sscanf(stage.detail.c_str(), "subsonic content %lf dB", &measured), 1) << stage.detail;
            EXPECT_NEAR(measured, expectedDb, 1.0) << stage.detail;
            // The difference it made: at least the rumble it took out (against the output).
            ASSERT_TRUE(stage.effect.count("residual_db"));
            EXPECT_GT(stage.effect.at("residual_db"), expectedDb - 1.0);
            EXPECT_LT(stage.effect.at("residual_db"), 0.0);
        }
        EXPECT_TRUE(found);
        const auto y = readWholeFile(dir_ + "/rumble.master.wav");
        const auto rumble = [&](const AudioBuffer& audio) {
            std::vector<double> left(audio.channel(0), audio.channel(0) + audio.frames());
            return MagnitudeSpectrum(left, rate).bandPower(6.0, 10.0);
        };
        EXPECT_GT(10.0 * std::log10(rumble(x) / rumble(y)) + r.gainDb, atLeastDb);
    }
}

// An idle limiter comes back when what happens after the chain takes the master over: the
// ceiling set 0.0002 dB over a gain-only master's own peak, then the output at 48 kHz
// (this programme's crests read a little higher after soxr's conversion). The delivered
// file stays under the ceiling by the ideal reconstruction, and the report says the
// limiter ran.
TEST_F(MasterCli, AnIdleLimiterComesBackWhenRateConversionTakesTheMasterOver) {
    const double rate = 44100;
    const auto x = finishedNoise(rate, 6.0, -20.0, 2, 61);
    writeFile(dir_ + "/near.wav", x.view(), rate, SampleFormat::Float32);
    MasterSettings settings;
    settings.bits = "32f";
    const MasterResult first = masterFile(dir_ + "/near.wav", dir_ + "/near.float.wav", settings);
    ASSERT_TRUE(first.output.truePeakDbtp);
    for (const auto& stage : first.stages)
        if (stage.name == "limiter") {
            ASSERT_FALSE(stage.active) << stage.detail;
        }
    settings.outputRate = 48000;
    settings.ceilingDbtp = *first.output.truePeakDbtp + kDeliveredTruePeakGuardDb + 0.0002;
    const MasterResult r = masterFile(dir_ + "/near.wav", dir_ + "/near.16.wav", settings);
    bool limiterRan = false;
    for (const auto& stage : r.stages)
        if (stage.name == "limiter") limiterRan = stage.active;
    EXPECT_TRUE(limiterRan) << std::setprecision(9) << *first.output.truePeakDbtp << " then " << r.output.truePeakDbtp.value_or(0)
                            << ", ceiling " << *settings.ceilingDbtp;
    EXPECT_LE(idealTruePeakDbtp(readWholeFile(dir_ + "/near.16.wav").view()), *settings.ceilingDbtp);
}

// Neutral folds the lows to mono only where bounce check would flag the bass as out of
// phase, and says so: a 50 Hz bass opposed between left and right (it cancels in mono)
// under a finished programme. The master's side channel at 40-60 Hz comes out at least
// 30 dB down (folded), the width stage ran and says why, and bounce check's own finding on
// the input agrees.
TEST_F(MasterCli, NeutralFoldsOutOfPhaseBassToMonoAndSaysSo) {
    const double rate = 44100;
    auto x = finishedNoise(rate, 8.0, -24.0, 2, 71);
    for (std::size_t i = 0; i < x.frames(); ++i) {
        const double bass = 0.1 * std::sin(2.0 * std::numbers::pi * 50.0 * static_cast<double>(i) / rate);
        x.channel(0)[i] += static_cast<float>(bass);
        x.channel(1)[i] -= static_cast<float>(bass);
    }
    writeFile(dir_ + "/opposed.wav", x.view(), rate, SampleFormat::Float32);
    CheckSettings check;
    check.codecs = false;
    const CheckResult flagged = checkFile(dir_ + "/opposed.wav", check);
    bool checkFlags = false;
    for (const auto& f : flagged.findings) checkFlags = checkFlags || f.code == "out_of_phase_bass";
    EXPECT_TRUE(checkFlags);

    MasterSettings settings;
    settings.bits = "32f";
    const MasterResult r = masterFile(dir_ + "/opposed.wav", dir_ + "/opposed.master.wav", settings);
    bool folded = false;
    for (const auto& stage : r.stages)
        if (stage.name == "width") {
            folded = stage.active;
            EXPECT_NE(stage.detail.find("out-of-phase bass"), std::string::npos) << stage.detail;
        }
    EXPECT_TRUE(folded);
    const auto y = readWholeFile(dir_ + "/opposed.master.wav");
    const auto sideBand = [&](const AudioBuffer& audio) {
        std::vector<double> side(audio.frames());
        for (std::size_t i = 0; i < side.size(); ++i) side[i] = 0.5 * (static_cast<double>(audio.channel(0)[i]) - audio.channel(1)[i]);
        return MagnitudeSpectrum(side, rate).bandPower(40.0, 60.0);
    };
    EXPECT_GT(10.0 * std::log10(sideBand(x) / sideBand(y)) + r.gainDb, 30.0);
}

TEST_F(MasterCli, DefaultsBesideTheInputAndTheReport) {
    const auto r = runCommand({BOUNCE_CLI, "master", dir_ + "/mix.wav", "--json", dir_ + "/report.json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    SoundFileReader out(dir_ + "/mix.master.wav");
    EXPECT_EQ(out.info().sampleFormat, SampleFormat::Pcm24);
    EXPECT_EQ(out.info().sampleRate, 44100);
    std::ifstream in(dir_ + "/report.json");
    const auto j = nlohmann::json::parse(in);
    EXPECT_NEAR(j["output"]["integrated_lufs"].get<double>(), -14.0, 0.2);
    EXPECT_TRUE(j["reached_target"].get<bool>());
    EXPECT_FALSE(j["stages"].empty());
    EXPECT_FALSE(j["platform_playback"].empty());
    EXPECT_TRUE(j["input"].contains("true_peak_dbtp"));
    EXPECT_NEAR(j["ceiling_margin_db"].get<double>(), -1.0 - j["output"]["true_peak_dbtp"].get<double>(), 0.001);
}

TEST_F(MasterCli, StageSettingsAreSettableAndReported) {
    // The multiband forced to work (thresholds 12 dB under the target) with LR4 crossovers:
    // the report then gives their phase rotation.
    const auto r = runCommand({BOUNCE_CLI, "master", dir_ + "/mix.wav", "-o", dir_ + "/set.wav", "--set", "width.width=1.3", "--set",
                               "saturation.drive_db=2", "--set", "eq.highpass_hz=30", "--set", "multiband.linear_phase=0", "--set",
                               "multiband.threshold_offset_db=-12", "--json", dir_ + "/set.json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    std::ifstream in(dir_ + "/set.json");
    const auto j = nlohmann::json::parse(in);
    std::map<std::string, nlohmann::json> stages;
    for (const auto& stage : j["stages"]) stages[stage["name"]] = stage;
    EXPECT_DOUBLE_EQ(stages["width"]["settings"]["width"].get<double>(), 1.3);
    EXPECT_DOUBLE_EQ(stages["saturation"]["settings"]["drive_db"].get<double>(), 2.0);
    EXPECT_DOUBLE_EQ(stages["corrective_eq"]["settings"]["highpass_hz"].get<double>(), 30.0);
    const auto& multiband = stages["multiband_compression"];
    ASSERT_TRUE(multiband["active"].get<bool>()) << multiband.dump();
    EXPECT_EQ(multiband["settings"]["linear_phase"].get<double>(), 0.0);
    // LR4 at 120 Hz and 2.5 kHz: -180 degrees at the first split, -360 per split far above.
    EXPECT_NEAR(multiband["effect"]["phase_rotation_deg_at_125_hz"].get<double>(), -190.0, 15.0) << multiband.dump();
    EXPECT_NEAR(multiband["effect"]["phase_rotation_deg_at_16000_hz"].get<double>(), -700.0, 25.0) << multiband.dump();
    EXPECT_NEAR(j["output"]["integrated_lufs"].get<double>(), -14.0, 0.2);
}

TEST_F(MasterCli, BitDepthRateAndDither) {
    // A tone, then two seconds of digital silence: in 16 bits the silence carries the
    // dither's noise (about LSB/2 RMS); in 24 bits it stays silent.
    const auto tone = sine(48000, 3.0, 440, -20, 2);
    const AudioBuffer silence(2, 96000);
    writeFile(dir_ + "/t.wav", concatenate({&tone, &silence}).view(), 48000, SampleFormat::Float32);
    for (const std::string bits : {"16", "24", "32f"}) {
        const std::string out = dir_ + "/t" + bits + ".wav";
        const auto r = runCommand({BOUNCE_CLI, "master", dir_ + "/t.wav", "-o", out, "--bits", bits, "--rate", "44100"});
        ASSERT_EQ(r.exitCode, 0) << r.err;
        SoundFileReader reader(out);
        EXPECT_EQ(reader.info().sampleRate, 44100);
        EXPECT_EQ(reader.info().sampleFormat, bits == "16"   ? SampleFormat::Pcm16
                                              : bits == "24" ? SampleFormat::Pcm24
                                                             : SampleFormat::Float32);
        const auto audio = readWholeFile(out);
        double power = 0;
        const std::size_t from = audio.frames() - 44100;  // the last second: silence in the input
        for (std::size_t i = from; i < audio.frames(); ++i) power += static_cast<double>(audio.channel(0)[i]) * audio.channel(0)[i];
        const double rmsLsb = std::sqrt(power / 44100.0) * 32768.0;
        if (bits == "16") {
            EXPECT_NEAR(rmsLsb, 0.5, 0.1);
        } else {
            EXPECT_LT(rmsLsb, 0.01) << bits;
        }
    }
}

std::string bytesOf(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(MasterCli, MetadataIsReadBackByTagLibAndFfprobeAndArtworkRoundTrips) {
    // A tiny PNG (1x1).
    const unsigned char png[] = {0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0,    0,    0,    0x0D, 0x49, 0x48, 0x44, 0x52, 0,
                                 0,    0,    1,    0,    0,    0,    1,    8,    6,    0,    0,    0,    0x1F, 0x15, 0xC4, 0x89, 0,
                                 0,    0,    0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0,    1,    0,    0,    5,    0,    1,
                                 0x0D, 0x0A, 0x2D, 0xB4, 0,    0,    0,    0,    0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82};
    std::ofstream(dir_ + "/cover.png", std::ios::binary).write(reinterpret_cast<const char*>(png), sizeof png);
    for (const std::string ext : {"wav", "flac", "aiff"}) {
        const std::string out = dir_ + "/tagged." + ext;
        const auto r = runCommand({BOUNCE_CLI,  "master",    dir_ + "/mix.wav",  "-o",      out,     "--title",
                                   "Über Song", "--artist",  "The Band",         "--album", "First", "--date",
                                   "2026",      "--isrc",    "GB-AYE-26-00001",  "--genre", "Pop",   "--track",
                                   "3/10",      "--artwork", dir_ + "/cover.png"});
        ASSERT_EQ(r.exitCode, 0) << ext << ": " << r.err;
        TagLib::FileRef file(out.c_str());
        ASSERT_FALSE(file.isNull()) << ext;
        EXPECT_EQ(file.tag()->title().to8Bit(true), "Über Song") << ext;
        EXPECT_EQ(file.tag()->artist().to8Bit(true), "The Band") << ext;
        EXPECT_EQ(file.tag()->album().to8Bit(true), "First") << ext;
        EXPECT_EQ(file.tag()->track(), 3u) << ext;
        const auto properties = file.file()->properties();
        ASSERT_TRUE(properties.contains("ISRC")) << ext;
        EXPECT_EQ(properties["ISRC"].front().to8Bit(true), "GB-AYE-26-00001") << ext;
        // The artwork, byte for byte: the FLAC PICTURE block, or the ID3v2 APIC frame.
        TagLib::ByteVector picture;
        if (ext == "flac") {
            TagLib::FLAC::File flac(out.c_str());
            ASSERT_EQ(flac.pictureList().size(), 1u);
            picture = flac.pictureList().front()->data();
        } else {
            std::unique_ptr<TagLib::File> tagged;
            TagLib::ID3v2::Tag* id3 = nullptr;
            if (ext == "wav") {
                auto* wav = new TagLib::RIFF::WAV::File(out.c_str());
                id3 = wav->ID3v2Tag();
                tagged.reset(wav);
            } else {
                auto* aiff = new TagLib::RIFF::AIFF::File(out.c_str());
                id3 = aiff->tag();
                tagged.reset(aiff);
            }
            const auto frames = id3->frameListMap()["APIC"];
            ASSERT_EQ(frames.size(), 1u) << ext;
            picture = static_cast<TagLib::ID3v2::AttachedPictureFrame*>(frames.front())->picture();
        }
        EXPECT_EQ(std::string(picture.data(), picture.size()), bytesOf(dir_ + "/cover.png")) << ext;
        if (haveTool("ffprobe")) {
            const auto probe = runCommand({"ffprobe", "-v", "error", "-show_entries", "format_tags", "-of", "json", out});
            ASSERT_EQ(probe.exitCode, 0) << probe.err;
            const auto tags = nlohmann::json::parse(probe.out)["format"]["tags"];
            bool found = false;
            for (auto it = tags.begin(); it != tags.end(); ++it)
                if (it.value() == "Über Song") found = true;
            EXPECT_TRUE(found) << ext << ": " << probe.out;
        }
    }
    // bounce analyze shows them.
    const auto shown = runCommand({BOUNCE_CLI, "analyze", dir_ + "/tagged.flac"});
    EXPECT_NE(shown.out.find("Über Song"), std::string::npos) << shown.out;
    EXPECT_NE(shown.out.find("GB-AYE-26-00001"), std::string::npos) << shown.out;
    // The FLAC's picture, byte for byte, through ffmpeg (attached picture stream).
    if (haveTool("ffmpeg")) {
        const auto r = runCommand({"ffmpeg", "-nostdin", "-v", "error", "-i", dir_ + "/tagged.flac", "-map", "0:v", "-c", "copy", "-f",
                                   "image2", dir_ + "/cover-out.png"});
        ASSERT_EQ(r.exitCode, 0) << r.err;
        EXPECT_EQ(bytesOf(dir_ + "/cover-out.png"), bytesOf(dir_ + "/cover.png"));
    }
}

// The one parse of bounce master's options (issue 17), which the CLI and the service both
// use: each name sets its field, repeatable ones add up, and a bad value names its option.
// Progress is reported, never printed by the library: the fractions rise from the input's
// analysis to 1 when the file is written (the CLI shows them on a terminal, the service in
// its job state).
TEST_F(MasterCli, ProgressRisesToOneThroughTheCallback) {
    writeFile(dir_ + "/p.wav", finishedNoise(44100, 3.0, -20.0, 2, 81).view(), 44100, SampleFormat::Float32);
    MasterSettings s;
    std::vector<double> seen;
    s.onProgress = [&](double f) { seen.push_back(f); };
    masterFile(dir_ + "/p.wav", dir_ + "/p.master.wav", s);
    ASSERT_GE(seen.size(), 3u);
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    EXPECT_GT(seen.front(), 0.0);
    EXPECT_EQ(seen.back(), 1.0);
}

TEST(MasterOptions, OneParseForTheCliAndTheService) {
    MasterSettings s;
    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{{"target", "apple"},
                                                                                      {"lufs", "-16"},
                                                                                      {"ceiling", "-1.5"},
                                                                                      {"style", "warm"},
                                                                                      {"intensity", "0.25"},
                                                                                      {"rate", "48000"},
                                                                                      {"bits", "16"},
                                                                                      {"dither", "shaped"},
                                                                                      {"title", "T"},
                                                                                      {"isrc", "GB-AYE-26-00001"},
                                                                                      {"track", "3/12"},
                                                                                      {"codec-safe", "aac,opus"},
                                                                                      {"set", "width.width=1.1"},
                                                                                      {"set", "limiter.release_ms=80"},
                                                                                      {"match", "tone=0.5"},
                                                                                      {"strict", "true"}})
        applyMasterOption(s, name, value);
    EXPECT_EQ(s.target, "apple");
    EXPECT_TRUE(s.targetGiven);
    EXPECT_EQ(s.lufs, -16.0);
    EXPECT_EQ(s.ceilingDbtp, -1.5);
    EXPECT_EQ(s.style, "warm");
    EXPECT_EQ(s.intensity, 0.25);
    EXPECT_EQ(s.outputRate, 48000.0);
    EXPECT_EQ(s.bits, "16");
    EXPECT_EQ(s.dither, "shaped");
    EXPECT_EQ(s.metadata.title, "T");
    EXPECT_EQ(s.metadata.trackNumber, 3);
    EXPECT_EQ(s.metadata.trackTotal, 12);
    EXPECT_TRUE(s.codecSafe);
    EXPECT_EQ(s.codecSafeCodecs, (std::vector<std::string>{"aac", "opus"}));
    EXPECT_EQ(s.overrides.size(), 2u);
    EXPECT_EQ(s.match.tone, 0.5);
    EXPECT_TRUE(s.strict);
    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{{"lufs", "loud"},
                                                                                      {"lufs", "-3"},
                                                                                      {"style", "metal"},
                                                                                      {"bits", "20"},
                                                                                      {"track", "0"},
                                                                                      {"isrc", "123"},
                                                                                      {"set", "width"},
                                                                                      {"match", "colour=1"},
                                                                                      {"target", "radio"},
                                                                                      {"volume", "11"}}) {
        try {
            applyMasterOption(s, name, value);
            ADD_FAILURE() << name << "=" << value << " was taken";
        } catch (const ConfigError& e) {
            EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
        }
    }
}

TEST_F(MasterCli, BadInputGivesClearErrors) {
    const auto expectUsage = [&](std::vector<std::string> args, const std::string& words) {
        args.insert(args.begin(), {BOUNCE_CLI, "master", dir_ + "/mix.wav", "-o", dir_ + "/x.wav"});
        const auto r = runCommand(args);
        EXPECT_EQ(r.exitCode, 2) << r.err;
        EXPECT_NE(r.err.find(words), std::string::npos) << r.err;
        EXPECT_FALSE(fs::exists(dir_ + "/x.wav"));
    };
    expectUsage({"--isrc", "123"}, "--isrc must be 12 characters");
    expectUsage({"--target", "radio"}, "--target must be one of");
    std::ofstream(dir_ + "/not-an-image.png") << "hello";
    expectUsage({"--artwork", dir_ + "/not-an-image.png"}, "not a JPEG or PNG image");
    expectUsage({"--style", "vintage"}, "--style must be");
    expectUsage({"--set", "width.wide=2"}, "--set width.wide: unknown setting");
    expectUsage({"--set", "width.width=9"}, "--set width.width must be between");
    // The input is never the output.
    const auto same = runCommand({BOUNCE_CLI, "master", dir_ + "/mix.wav", "-o", dir_ + "/mix.wav"});
    EXPECT_EQ(same.exitCode, 1);
    EXPECT_NE(same.err.find("refusing to overwrite"), std::string::npos) << same.err;
    // A dry run writes nothing.
    const auto dry = runCommand({BOUNCE_CLI, "master", dir_ + "/mix.wav", "--dry-run"});
    EXPECT_EQ(dry.exitCode, 0) << dry.err;
    EXPECT_NE(dry.out.find("would master"), std::string::npos);
    EXPECT_FALSE(fs::exists(dir_ + "/mix.master.wav"));
}

TEST_F(MasterCli, SixtyMinuteFileMastersInUnder200MB) {
    // One hour, mono 16 kHz, 16-bit: the buffers, not the rate, decide the memory.
    {
        SoundFileWriter writer(dir_ + "/hour.wav", {16000, 1, FileFormat::Wav, SampleFormat::Pcm16});
        const auto minute = pinkishNoise(16000, 60.0, -24, 1, 10);
        for (int m = 0; m < 60; ++m) writer.write(minute.view());
        writer.close();
    }
    const auto r = runCommand({BOUNCE_CLI, "master", dir_ + "/hour.wav", "-o", dir_ + "/hour.master.wav"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    RecordProperty("peak_rss_kb", static_cast<int>(r.maxRssKb));
    EXPECT_LT(r.maxRssKb, 200 * 1024) << "peak RSS " << r.maxRssKb << " kB";
}

TEST_F(MasterCli, AnInterruptedRunLeavesNoOutput) {
    writeFile(dir_ + "/long.wav", pinkishNoise(44100, 240.0, -20, 2, 9).view(), 44100, SampleFormat::Float32);
    for (int signal : {SIGINT, SIGTERM, SIGHUP}) {
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::execl(BOUNCE_CLI, BOUNCE_CLI, "master", (dir_ + "/long.wav").c_str(), "-o", (dir_ + "/long.master.wav").c_str(), nullptr);
            ::_exit(127);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(700));
        ::kill(pid, signal);
        int status = 0;
        ::waitpid(pid, &status, 0);
        EXPECT_FALSE(fs::exists(dir_ + "/long.master.wav"));
        for (const auto& entry : fs::directory_iterator(dir_))
            EXPECT_EQ(entry.path().filename().string().find(".bounce-"), std::string::npos) << entry.path();
    }
}

}  // namespace
}  // namespace bounce::test
