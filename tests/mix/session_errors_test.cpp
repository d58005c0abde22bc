// Every session mistake: a one-line `session.toml:LINE: message`, exit code 2, nothing written.
#include "bounce/sound_file.h"
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace bounce::test {
namespace {
namespace fs = std::filesystem;

class SessionErrors : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = makeTempDir("session");
        writeFile(dir_ + "/kick.wav", sine(48000, 0.5, 60, -6, 1).view(), 48000);
    }
    void TearDown() override { fs::remove_all(dir_); }

    // Runs bounce mix on `text`; expects exit 2, the message at `line`, and no output.
    void expectError(const std::string& text, int line, const std::string& words) {
        const std::string session = dir_ + "/session.toml";
        std::ofstream(session) << text;
        const auto r = runCommand({BOUNCE_CLI, "mix", session, "-o", dir_ + "/mix.wav", "--stems", dir_ + "/stems"});
        EXPECT_EQ(r.exitCode, 2) << r.err;
        EXPECT_NE(r.err.find(session + ":" + std::to_string(line) + ": "), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(words), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        EXPECT_FALSE(fs::exists(dir_ + "/mix.wav"));
        EXPECT_FALSE(fs::exists(dir_ + "/stems"));
    }
    std::string dir_;
};

const char* kTrack = "sample_rate = 48000\n[[track]]\nname = \"kick\"\nfile = \"kick.wav\"\n";

TEST_F(SessionErrors, TheSmallestSessionWorks) {
    std::ofstream(dir_ + "/session.toml") << "sample_rate = 48000\n\n[[track]]\nname = \"kick\"\nfile = \"kick.wav\"\n"
                                             "gain_db = -3.0\npan = 0.0\nbus = \"drums\"\n\n[[bus]]\nname = \"drums\"\ngain_db = 0.0\n";
    const auto r = runCommand({BOUNCE_CLI, "mix", dir_ + "/session.toml", "-o", dir_ + "/mix.wav"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_TRUE(fs::exists(dir_ + "/mix.wav"));
}

TEST_F(SessionErrors, UnknownKey) { expectError(std::string(kTrack) + "gian_db = 3\n", 5, "unknown key 'gian_db'"); }
TEST_F(SessionErrors, UnknownTopLevelKey) { expectError(std::string("title = \"x\"\n") + kTrack, 1, "unknown key 'title'"); }
TEST_F(SessionErrors, WrongType) { expectError(std::string(kTrack) + "gain_db = \"loud\"\n", 5, "gain_db must be a number"); }
TEST_F(SessionErrors, MissingFile) {
    expectError("sample_rate = 48000\n[[track]]\nname = \"snare\"\nfile = \"snare.wav\"\n", 4, "snare.wav: no such file");
}
TEST_F(SessionErrors, UnknownBus) { expectError(std::string(kTrack) + "bus = \"drms\"\n", 2, "unknown bus 'drms'"); }
TEST_F(SessionErrors, UnknownReturn) {
    expectError(std::string(kTrack) + "[[track.send]]\nto = \"hall\"\n", 5, "send to unknown return 'hall'");
}
TEST_F(SessionErrors, BusCycle) {
    expectError(std::string(kTrack) + "bus = \"a\"\n[[bus]]\nname = \"a\"\noutput = \"b\"\n[[bus]]\nname = \"b\"\noutput = \"a\"\n", 6,
                "cycle: a -> b -> a");
}
TEST_F(SessionErrors, UnusableSampleRate) {
    expectError("sample_rate = 5\n[[track]]\nname = \"kick\"\nfile = \"kick.wav\"\n", 1, "sample_rate must be between 8000 and 384000");
}
TEST_F(SessionErrors, BadInsertKeyNamesItsLine) {
    expectError(std::string(kTrack) + "[[track.insert]]\ntype = \"highpass\"\nfreq = 80\n", 5, "freq_hz is required");
}
TEST_F(SessionErrors, BadAutomation) {
    expectError(std::string(kTrack) + "[[track.automation]]\nparam = \"volume\"\npoints = [[0, 0]]\n", 6, "param must be one of");
}
TEST_F(SessionErrors, TomlSyntax) { expectError(std::string(kTrack) + "gain_db = = 3\n", 5, ""); }

}  // namespace
}  // namespace bounce::test

namespace bounce::test {
namespace {

TEST(MixMemory, SixtyMinuteSessionRendersInUnder300MB) {
    // One hour at 16 kHz (the buffers, not the rate, decide the memory): two tracks from one
    // 16-bit file, a bus with a compressor, a reverb return; 16-bit output.
    const auto dir = makeTempDir("hour");
    {
        SoundFileWriter writer(dir + "/long.wav", {16000, 1, FileFormat::Wav, SampleFormat::Pcm16});
        const auto minute = pinkishNoise(16000, 60.0, -20, 1, 3);
        for (int m = 0; m < 60; ++m) writer.write(minute.view());
        writer.close();
    }
    std::ofstream(dir + "/session.toml") << "sample_rate = 16000\ntail_s = 0\n"
                                            "[[track]]\nname = \"a\"\nfile = \"long.wav\"\nbus = \"b\"\n[[track.send]]\nto = \"r\"\n"
                                            "[[track]]\nname = \"c\"\nfile = \"long.wav\"\npan = 0.5\nbus = \"b\"\n"
                                            "[[bus]]\nname = \"b\"\n[[bus.insert]]\ntype = \"compressor\"\n"
                                            "[[return]]\nname = \"r\"\n[[return.insert]]\ntype = \"reverb\"\nmix = 1.0\n"
                                            "[master]\nbits = \"16\"\n";
    const auto r = runCommand({BOUNCE_CLI, "mix", dir + "/session.toml", "-o", dir + "/mix.wav"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    RecordProperty("peak_rss_kb", static_cast<int>(r.maxRssKb));
    EXPECT_LT(r.maxRssKb, 300 * 1024) << "peak RSS " << r.maxRssKb << " kB";
    SoundFileReader mix(dir + "/mix.wav");
    EXPECT_EQ(mix.info().frames, 3600LL * 16000);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bounce::test
