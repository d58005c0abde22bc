// bounce mix: the render graph against closed-form expectations and against sox -m.
#include "bounce/error.h"
#include "bounce/mix_renderer.h"
#include "bounce/session.h"
#include "ideal_peak.h"
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace bounce::test {
namespace {
namespace fs = std::filesystem;

class Mix : public ::testing::Test {
protected:
    void SetUp() override { dir_ = makeTempDir("mix"); }
    void TearDown() override { fs::remove_all(dir_); }

    std::string path(const std::string& name) const { return dir_ + "/" + name; }
    // dc.wav: a constant 0.5 in both channels at 48 kHz, to read gains off sample values.
    void writeDc(double seconds) {
        AudioBuffer dc(2, static_cast<std::size_t>(seconds * 48000));
        for (int c = 0; c < 2; ++c) std::fill_n(dc.channel(c), dc.frames(), 0.5f);
        writeFile(path("dc.wav"), dc.view(), 48000);
    }
    std::string writeSession(const std::string& text) {
        std::ofstream(path("session.toml")) << text;
        return path("session.toml");
    }
    AudioBuffer render(const std::string& text, const std::string& stems = "", std::string bits = "32f") {
        MixRenderOptions options;
        options.outputPath = path("mix.wav");
        options.stemsFolder = stems;
        options.bits = bits;
        renderMix(readSessionFile(writeSession(text)), options);
        return readWholeFile(path("mix.wav"));
    }
    std::string dir_;
};

double maxAbsDifferenceDb(const AudioBuffer& a, const AudioBuffer& b, std::size_t offsetB = 0) {
    double worst = 0;
    for (int c = 0; c < a.channels(); ++c)
        for (std::size_t i = 0; i + offsetB < b.frames() && i < a.frames(); ++i)
            worst = std::max(worst, std::fabs(static_cast<double>(a.channel(c)[i]) - b.channel(c)[i + offsetB]));
    return 20 * std::log10(worst + 1e-30);
}

TEST_F(Mix, EqualsSoxMixOfTheSameInputsWithTheSameGains) {
    if (!haveTool("sox")) GTEST_SKIP() << "sox missing";
    writeFile(path("a.wav"), pinkishNoise(48000, 3.0, -20, 2, 1).view(), 48000);
    writeFile(path("b.wav"), sine(48000, 3.0, 440, -12, 2).view(), 48000);
    writeFile(path("c.wav"), whiteNoise(48000, 3.0, 0.1, 2, 2).view(), 48000);
    const auto mix = render(R"(
sample_rate = 48000
tail_s = 0
[[track]]
name = "a"
file = "a.wav"
gain_db = -3
[[track]]
name = "b"
file = "b.wav"
gain_db = 2
[[track]]
name = "c"
file = "c.wav"
gain_db = -6
)");
    const auto r =
        runCommand({"sox", "-m", "-v", std::to_string(dbToGain(-3)), path("a.wav"), "-v", std::to_string(dbToGain(2)), path("b.wav"), "-v",
                    std::to_string(dbToGain(-6)), path("c.wav"), "-e", "floating-point", "-b", "32", path("sox.wav")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto sox = readWholeFile(path("sox.wav"));
    ASSERT_EQ(mix.frames(), sox.frames());
    EXPECT_LT(maxAbsDifferenceDb(mix, sox), -90.0);
}

TEST_F(Mix, StemsSumToTheMixThroughALinearMaster) {
    writeFile(path("a.wav"), pinkishNoise(48000, 2.0, -20, 1, 3).view(), 48000);
    writeFile(path("b.wav"), pinkishNoise(48000, 2.0, -24, 2, 4).view(), 48000);
    writeFile(path("c.wav"), sine(48000, 2.0, 220, -10, 1).view(), 48000);
    const auto mix = render(R"(
sample_rate = 48000
[[track]]
name = "a"
file = "a.wav"
pan = -0.4
bus = "group"
[[track.send]]
to = "verb"
level_db = -6
[[track]]
name = "b"
file = "b.wav"
bus = "group"
[[track.insert]]
type = "compressor"
threshold_db = -30
lookahead_ms = 3
[[track]]
name = "c"
file = "c.wav"
[[bus]]
name = "group"
gain_db = -2
[[return]]
name = "verb"
[[return.insert]]
type = "reverb"
mix = 1.0
[master]
gain_db = -1
[[master.insert]]
type = "eq"
[[master.insert.band]]
type = "high_shelf"
freq_hz = 8000
gain_db = 2
)",
                            path("stems"));
    AudioBuffer sum(2, mix.frames());
    int count = 0;
    for (const auto& entry : fs::directory_iterator(path("stems"))) {
        const auto stem = readWholeFile(entry.path().string());
        ASSERT_EQ(stem.frames(), mix.frames());
        for (int c = 0; c < 2; ++c)
            for (std::size_t i = 0; i < stem.frames(); ++i) sum.channel(c)[i] += stem.channel(c)[i];
        ++count;
    }
    EXPECT_EQ(count, 3);  // the group bus, track c, the reverb return
    EXPECT_LT(maxAbsDifferenceDb(mix, sum), -90.0);
}

// A limiter on the master bus driven hard by full-band noise that starts and stops abruptly:
// the mix as written holds the ceiling against an ideal reconstruction, its first and last
// samples included.
TEST_F(Mix, MasterLimiterHoldsTheCeilingToTheLastSample) {
    writeFile(path("n.wav"), whiteNoise(48000, 1.0, 0.9, 2, 17).view(), 48000);
    const auto mix = render(R"(
sample_rate = 48000
tail_s = 0
[[track]]
name = "noise"
file = "n.wav"
gain_db = 12
[[master.insert]]
type = "limiter"
ceiling_dbtp = -1
)");
    EXPECT_LE(idealTruePeakDbtp(mix.view()), -1.0);
}

TEST_F(Mix, ParallelPathsThroughALookaheadLimiterNull) {
    // The same file twice: straight to master, and inverted through a bus whose lookahead
    // limiter delays it (unity below the ceiling). Compensated, the two cancel.
    writeFile(path("a.wav"), pinkishNoise(48000, 2.0, -30, 2, 5).view(), 48000);
    const auto mix = render(R"(
sample_rate = 48000
[[track]]
name = "dry"
file = "a.wav"
[[track]]
name = "inverted"
file = "a.wav"
invert_polarity = true
bus = "limited"
[[bus]]
name = "limited"
[[bus.insert]]
type = "limiter"
ceiling_dbtp = -1
lookahead_ms = 5
)");
    double peak = 0;
    for (int c = 0; c < 2; ++c)
        for (std::size_t i = 0; i < mix.frames(); ++i) peak = std::max(peak, static_cast<double>(std::fabs(mix.channel(c)[i])));
    EXPECT_LT(20 * std::log10(peak + 1e-30), -120.0);
}

TEST_F(Mix, TheSameSessionGivesTheSameBytes) {
    writeFile(path("a.wav"), pinkishNoise(44100, 2.0, -20, 1, 3).view(), 44100);
    const std::string session = R"(
sample_rate = 48000
[[track]]
name = "a"
file = "a.wav"
pitch_semitones = 2
[[track.insert]]
type = "compressor"
[[track.send]]
to = "verb"
[[return]]
name = "verb"
[[return.insert]]
type = "reverb"
mix = 1.0
[master]
bits = "16"
[[master.insert]]
type = "limiter"
)";
    render(session, "", "16");
    const auto readBytes = [](const std::string& file) {
        std::ifstream in(file, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    const std::string first = readBytes(path("mix.wav"));
    render(session, "", "16");
    EXPECT_EQ(readBytes(path("mix.wav")), first);
}

TEST_F(Mix, PreFaderSendsIgnoreTheFader) {
    writeDc(1);
    // The track's fader is all the way down; only the pre-fader send reaches the master.
    const auto mix = render(R"(
sample_rate = 48000
tail_s = 0
[[track]]
name = "dc"
file = "dc.wav"
gain_db = -96
[[track.send]]
to = "ret"
level_db = -6
pre_fader = true
[[return]]
name = "ret"
)");
    EXPECT_NEAR(20 * std::log10(mix.channel(0)[1000] / 0.5), -6.0, 0.01);
}

// A track and a bus of one name ("drums" on the bus "drums", as automix names them) are two
// nodes: the track sounds through its bus (it was silent: the graph took the track's name
// for the bus's and left the track unconnected), and so does a track named as a return.
TEST_F(Mix, ATrackMayShareItsNameWithABusOrAReturn) {
    writeDc(1);
    const auto mix = render(R"(
sample_rate = 48000
tail_s = 0
[[track]]
name = "drums"
file = "dc.wav"
gain_db = -6
bus = "drums"
[[track.send]]
to = "room"
level_db = -12
[[track]]
name = "room"
file = "dc.wav"
mute = true
[[bus]]
name = "drums"
gain_db = -6
[[return]]
name = "room"
)");
    // Track -6 dB, then the bus -6 dB; plus the send at -6 - 12 dB (post-fader) on its own.
    const double expected = 0.5 * (std::pow(10.0, -12.0 / 20.0) + std::pow(10.0, -18.0 / 20.0));
    EXPECT_NEAR(mix.channel(0)[1000], expected, 1e-5);
    EXPECT_NEAR(mix.channel(1)[1000], expected, 1e-5);
}

TEST_F(Mix, MonoTrackPannedToTheCentreIsMinus3dBEachSide) {
    AudioBuffer dc(1, 48000);
    std::fill_n(dc.channel(0), dc.frames(), 0.5f);
    writeFile(path("dc.wav"), dc.view(), 48000);
    const auto mix = render("sample_rate = 48000\n[[track]]\nname = \"dc\"\nfile = \"dc.wav\"\n");
    EXPECT_NEAR(20 * std::log10(mix.channel(0)[1000] / 0.5), -3.0103, 1e-4);
    EXPECT_NEAR(20 * std::log10(mix.channel(1)[1000] / 0.5), -3.0103, 1e-4);
    const auto linear = render("sample_rate = 48000\n[[track]]\nname = \"dc\"\nfile = \"dc.wav\"\npan_law = \"-6dB\"\npan = 0\n");
    EXPECT_NEAR(20 * std::log10(linear.channel(0)[1000] / 0.5), -6.0206, 1e-4);
}

TEST_F(Mix, AutomationRampsHitTheirValuesAtTheRightSample) {
    writeDc(3);
    const auto mix = render(R"(
sample_rate = 48000
tail_s = 0
[[track]]
name = "dc"
file = "dc.wav"
[[track.automation]]
param = "gain_db"
points = [[1.0, -60.0], [2.0, 0.0]]
)");
    const auto gainDbAt = [&](std::size_t frame) { return 20 * std::log10(mix.channel(0)[frame] / 0.5); };
    EXPECT_NEAR(gainDbAt(47999), -60.0, 1e-3);
    EXPECT_NEAR(gainDbAt(48000), -60.0, 1e-3);
    EXPECT_NEAR(gainDbAt(72000), -30.0, 1e-3);  // halfway, in dB
    EXPECT_NEAR(gainDbAt(96000), 0.0, 1e-4);
    EXPECT_NEAR(gainDbAt(96000 - 48), -0.06, 1e-3);  // 1 ms before the end of the ramp
}

TEST_F(Mix, OffsetsAreSampleExactInSecondsAndBars) {
    AudioBuffer click(2, 100);
    click.channel(0)[0] = click.channel(1)[0] = 0.5f;
    writeFile(path("click.wav"), click.view(), 48000);
    // 120 BPM, 4/4: "2:3" is bar 2 beat 3 = 6 beats = 3 s.
    const auto mix = render(R"(
sample_rate = 48000
tempo_bpm = 120
[[track]]
name = "a"
file = "click.wav"
start = 0.25
[[track]]
name = "b"
file = "click.wav"
start = "2:3"
)");
    std::vector<std::size_t> clicks;
    for (std::size_t i = 0; i < mix.frames(); ++i)
        if (std::fabs(mix.channel(0)[i]) > 0.1f) clicks.push_back(i);
    ASSERT_EQ(clicks.size(), 2u);
    EXPECT_EQ(clicks[0], 12000u);
    EXPECT_EQ(clicks[1], 144000u);
}

// A bar number near INT_MAX (found by fuzz_session: the int product overflowed) is read as
// the time it is, and the mix's length limit then names it: 1134970619 bars of 4 beats at
// 120 BPM is 2 269 941 238 s.
TEST_F(Mix, AFarBarIsReadAsItsTimeAndRefusedByTheLengthLimit) {
    writeDc(0.1);
    try {
        render("tempo_bpm = 120\n[[track]]\nname = \"a\"\nfile = \"dc.wav\"\nstart = \"1134970620:1\"\n");
        FAIL() << "a track 72 years in was mixed";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("ends at 2269941238"), std::string::npos) << e.what();
    }
}

TEST_F(Mix, AFileAtAnotherRateIsResampled) {
    writeFile(path("tone.wav"), sine(44100, 2.0, 1000, -6, 2).view(), 44100);
    const auto mix = render("sample_rate = 48000\ntail_s = 0\n[[track]]\nname = \"t\"\nfile = \"tone.wav\"\n");
    EXPECT_NEAR(static_cast<double>(mix.frames()), 96000.0, 1.0);
    // Zero crossings 1 ms apart at 48 kHz: 48 frames per period.
    std::size_t first = 0, last = 0, crossings = 0;
    for (std::size_t i = 4800; i < 91200; ++i)
        if (mix.channel(0)[i - 1] < 0 && mix.channel(0)[i] >= 0) {
            if (!first) first = i;
            last = i;
            ++crossings;
        }
    EXPECT_NEAR(static_cast<double>(last - first) / static_cast<double>(crossings - 1), 48.0, 0.01);
}

TEST_F(Mix, MuteSoloFadesAndRegion) {
    writeDc(1);
    const auto mix = render(R"(
sample_rate = 48000
tail_s = 0
[[track]]
name = "loud"
file = "dc.wav"
mute = true
[[track]]
name = "cut"
file = "dc.wav"
region_start_s = 0.25
region_end_s = 0.75
fade_in_s = 0.1
fade_shape = "linear"
)");
    // The song spans every region, muted or not; the muted track adds nothing.
    ASSERT_EQ(mix.frames(), 48000u);
    EXPECT_FLOAT_EQ(mix.channel(0)[0], 0.0f);
    EXPECT_NEAR(mix.channel(0)[2400], 0.25, 1e-6);  // halfway through a linear 0.1 s fade
    EXPECT_FLOAT_EQ(mix.channel(0)[12000], 0.5f);
    EXPECT_FLOAT_EQ(mix.channel(0)[23999], 0.5f);  // the region is 0.5 s long
    EXPECT_FLOAT_EQ(mix.channel(0)[24000], 0.0f);
}

TEST_F(Mix, InsertParametersFollowTheirAutomation) {
    // A gain insert automated from -20 dB to 0 dB over a second, on a constant signal.
    writeDc(2);
    const auto mix = render(R"(
sample_rate = 48000
tail_s = 0
[[track]]
name = "dc"
file = "dc.wav"
[[track.insert]]
type = "gain"
gain_db = -20
[[track.automation]]
param = "insert.1.gain_db"
points = [[0.5, -20.0], [1.5, 0.0]]
)");
    const auto gainDbAt = [&](std::size_t frame) { return 20 * std::log10(mix.channel(0)[frame] / 0.5); };
    EXPECT_NEAR(gainDbAt(12000), -20.0, 0.01);
    // Halfway the lane says -10 dB; the insert follows within its 20 ms glide.
    EXPECT_NEAR(gainDbAt(48000), -10.0, 0.5);
    EXPECT_NEAR(gainDbAt(90000), 0.0, 0.01);
    // And an equaliser band's gain, by path.
    writeFile(path("noise.wav"), pinkishNoise(48000, 1.0, -20, 2, 9).view(), 48000);
    EXPECT_NO_THROW(render(R"(
sample_rate = 48000
[[track]]
name = "n"
file = "noise.wav"
[[track.insert]]
type = "eq"
[[track.insert.band]]
type = "peak"
freq_hz = 1000
gain_db = 0
[[track.automation]]
param = "insert.1.band.1.gain_db"
points = [[0.0, -6.0], [1.0, 6.0]]
)"));
}

TEST_F(Mix, AutomationOfAnInsertIsCheckedAgainstItsRange) {
    writeFile(path("noise.wav"), pinkishNoise(48000, 1.0, -20, 2, 9).view(), 48000);
    try {
        render(
            "sample_rate = 48000\n[[track]]\nname = \"n\"\nfile = \"noise.wav\"\n[[track.insert]]\ntype = \"highpass\"\n"
            "freq_hz = 80\n[[track.automation]]\nparam = \"insert.1.freq_hz\"\npoints = [[0, 80], [1, 0.5]]\n");
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("session.toml:10: insert.1.freq_hz automation: freq_hz must be between 1 and 96000"),
                  std::string::npos)
            << e.what();
    }
}

// Frequency from interpolated rising zero crossings over [from, to) frames.
double measuredFrequency(const AudioBuffer& audio, double rate, std::size_t from, std::size_t to) {
    double first = -1, last = -1;
    int periods = -1;
    for (std::size_t i = from + 1; i < to; ++i) {
        const double a = audio.channel(0)[i - 1], b = audio.channel(0)[i];
        if (a < 0 && b >= 0) {
            const double t = static_cast<double>(i - 1) + a / (a - b);
            if (first < 0) first = t;
            last = t;
            ++periods;
        }
    }
    return periods > 0 ? rate * periods / (last - first) : 0.0;
}

TEST_F(Mix, TimeStretchChangesTheLengthByTheRatio) {
    writeFile(path("tone.wav"), sine(48000, 2.0, 440, -6, 1).view(), 48000);
    for (double ratio : {0.8, 1.5}) {
        const auto mix = render(
            "sample_rate = 48000\ntail_s = 0\n[[track]]\nname = \"t\"\nfile = \"tone.wav\"\ntime_ratio = " + std::to_string(ratio) + "\n");
        EXPECT_NEAR(static_cast<double>(mix.frames()) / 48000.0, 2.0 * ratio, 0.001) << ratio;
        // Stretched, not resampled: the pitch stays where it was.
        const auto n = mix.frames();
        EXPECT_NEAR(1200 * std::log2(measuredFrequency(mix, 48000, n / 4, 3 * n / 4) / 440.0), 0.0, 1.0) << ratio;
    }
}

TEST_F(Mix, PitchShiftMovesASineToTheRightFrequency) {
    writeFile(path("tone.wav"), sine(48000, 2.0, 440, -6, 1).view(), 48000);
    const auto mix = render(
        "sample_rate = 48000\ntail_s = 0\n[[track]]\nname = \"t\"\nfile = \"tone.wav\"\n"
        "pitch_semitones = 7\ncents = -30\n");
    ASSERT_NEAR(static_cast<double>(mix.frames()), 96000.0, 48.0);  // same length
    const double expected = 440.0 * std::pow(2.0, 6.7 / 12.0);
    EXPECT_NEAR(1200 * std::log2(measuredFrequency(mix, 48000, 24000, 72000) / expected), 0.0, 1.0);
}

TEST_F(Mix, NormalisationBringsTracksToTheirTargets) {
    writeFile(path("quiet.wav"), sine(48000, 4.0, 997, -40, 2).view(), 48000);
    const auto peak = render(
        "sample_rate = 48000\ntail_s = 0\n[[track]]\nname = \"q\"\nfile = \"quiet.wav\"\n"
        "normalize = \"peak\"\nnormalize_target_db = -6\n");
    double p = 0;
    for (std::size_t i = 0; i < peak.frames(); ++i) p = std::max(p, static_cast<double>(std::fabs(peak.channel(0)[i])));
    EXPECT_NEAR(20 * std::log10(p), -6.0, 0.01);
    MixRenderOptions options;
    options.outputPath = path("loud.wav");
    options.bits = "32f";
    const auto result =
        renderMix(readSessionFile(writeSession(
                      "sample_rate = 48000\ntail_s = 0\n[[track]]\nname = \"q\"\nfile = \"quiet.wav\"\nnormalize = \"loudness\"\n"
                      "normalize_target_db = -20\n")),
                  options);
    ASSERT_TRUE(result.analysis.integratedLufs.has_value());
    EXPECT_NEAR(*result.analysis.integratedLufs, -20.0, 0.05);
}

}  // namespace
}  // namespace bounce::test
