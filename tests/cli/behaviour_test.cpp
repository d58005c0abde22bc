// The command as sox and ffmpeg users expect it (issue 20): names in any case, the same
// option meaning the same in every command, messages that say what happened, usage lines
// that name `bounce`.
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

namespace bounce::test {
namespace {
namespace fs = std::filesystem;

const std::string kBounce = BOUNCE_CLI;

class Behaviour : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = makeTempDir("behaviour");
        writeFile(dir_ + "/in.wav", pinkishNoise(44100.0, 6.0, -20.0, 2, 3).view(), 44100.0, SampleFormat::Pcm24);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string dir_;
};

TEST_F(Behaviour, TargetStyleAndDitherNamesInAnyCase) {
    const auto r = runCommand({kBounce, "master", dir_ + "/in.wav", "-o", dir_ + "/o.wav", "--target", "Apple", "--style", "WARM",
                               "--dither", "Shaped", "--bits", "16"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("target -16.0 LUFS"), std::string::npos) << r.out;  // Apple's
}

// --dither none means no dither in master as in process: the 16 and 24-bit files are the
// float one rounded, every sample within half an LSB of it; with TPDF some sample is
// further. The float render is the reference, not a meter.
TEST_F(Behaviour, DitherNoneMeansTheSameInMasterAndProcess) {
    std::ofstream(dir_ + "/chain.toml") << "[[insert]]\ntype = \"gain\"\ngain_db = -1\n";
    const auto render = [&](const std::string& command, const std::string& bits, const std::string& dither) {
        const std::string out = dir_ + "/" + command + "-" + bits + "-" + dither + ".wav";
        std::vector<std::string> args{kBounce, command, dir_ + "/in.wav", "-o", out, "--bits", bits, "--dither", dither};
        if (command == "process") args.insert(args.end(), {"--chain", dir_ + "/chain.toml"});
        const auto r = runCommand(args);
        EXPECT_EQ(r.exitCode, 0) << command << ": " << r.err;
        return readWholeFile(out);
    };
    const auto largestDifferenceLsb = [](const AudioBuffer& a, const AudioBuffer& b, int bits) {
        double worst = 0.0;
        for (int c = 0; c < 2; ++c)
            for (std::size_t i = 0; i < std::min(a.frames(), b.frames()); ++i)
                worst = std::max(worst, std::fabs(static_cast<double>(a.channel(c)[i]) - b.channel(c)[i]) * std::ldexp(1.0, bits - 1));
        return worst;
    };
    for (const std::string command : {"process", "master"}) {
        const AudioBuffer exact = render(command, "32f", "tpdf");
        const AudioBuffer dithered = render(command, "16", "tpdf");
        // Undithered, every sample is the float render rounded to the nearest step: no error
        // beyond half an LSB (a floor, as libsndfile's clipping converters do, gives up to one).
        for (const int bits : {16, 24}) {
            const AudioBuffer rounded = render(command, std::to_string(bits), "none");
            ASSERT_EQ(rounded.frames(), exact.frames()) << command;
            EXPECT_LE(largestDifferenceLsb(rounded, exact, bits), 0.5 + 1e-6) << command << " at " << bits << " bits";
        }
        EXPECT_GT(largestDifferenceLsb(dithered, exact, 16), 0.5) << command << ": TPDF did not dither";
    }
}

TEST_F(Behaviour, UsageLinesNameBounceAndHelpShowsTheDefaults) {
    const auto r = runCommand({kBounce, "master", "--help"});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_NE(r.out.find("Usage: bounce master"), std::string::npos) << r.out.substr(0, 200);
    EXPECT_NE(r.out.find("default spotify"), std::string::npos);
    EXPECT_NE(r.out.find("default neutral"), std::string::npos);
    // The other commands' options with a default say it too.
    const std::vector<std::pair<std::string, std::vector<std::string>>> expected = {
        {"album", {"default spotify", "default album", "default wav"}},
        {"process", {"default tpdf", "default 32f"}},
        {"mix", {"default 0", "default 86400"}},
        {"check", {"default all"}},
    };
    for (const auto& [command, defaults] : expected) {
        const auto help = runCommand({kBounce, command, "--help"});
        EXPECT_NE(help.out.find("Usage: bounce " + command), std::string::npos) << command;
        for (const auto& text : defaults) EXPECT_NE(help.out.find(text), std::string::npos) << command << ": " << text;
    }
}

// On a terminal (script(1) gives the command one), master, check and process show their
// progress with the time left on stderr; --quiet shows none.
TEST_F(Behaviour, ProgressWithTimeLeftOnATerminal) {
    if (!haveTool("script")) GTEST_SKIP() << "script (util-linux) missing";
    std::ofstream(dir_ + "/gain.toml") << "[[insert]]\ntype = \"gain\"\ngain_db = -1\n";
    const std::string in = dir_ + "/in.wav";
    const std::vector<std::pair<std::string, std::string>> commands = {
        {"mastering", "master " + in + " -o " + dir_ + "/p.wav"},
        {"checking", "check --no-codecs " + in},
        {"processing", "process " + in + " -o " + dir_ + "/q.wav --chain " + dir_ + "/gain.toml"}};
    for (const auto& [label, command] : commands) {
        const auto shown = runCommand({"script", "-qec", kBounce + " " + command, "/dev/null"});
        EXPECT_EQ(shown.exitCode, 0) << command << ": " << shown.out;
        EXPECT_NE(shown.out.find("\r" + label), std::string::npos) << command;
        EXPECT_NE(shown.out.find("ETA "), std::string::npos) << command;
        const auto quiet = runCommand({"script", "-qec", kBounce + " -q " + command, "/dev/null"});
        EXPECT_EQ(quiet.out.find("\r" + label), std::string::npos) << command;
    }
}

// A --strict refusal says that nothing was written, and nothing was.
TEST_F(Behaviour, StrictFailureSaysNothingWasWritten) {
    // Clicks at full scale over near-silence: reaching -8 LUFS takes far more than 6 dB of limiting.
    AudioBuffer clicks(2, 44100 * 6);
    for (std::size_t i = 0; i < clicks.frames(); i += 4410)
        for (int c = 0; c < 2; ++c) clicks.channel(c)[i] = 0.99f;
    const AudioBuffer bed = pinkishNoise(44100.0, 6.0, -50.0, 2, 4);
    for (int c = 0; c < 2; ++c)
        for (std::size_t i = 0; i < clicks.frames(); ++i) clicks.channel(c)[i] += bed.channel(c)[i];
    writeFile(dir_ + "/clicks.wav", clicks.view(), 44100.0, SampleFormat::Float32);
    const auto r = runCommand({kBounce, "master", dir_ + "/clicks.wav", "-o", dir_ + "/o.wav", "--lufs", "-8", "--strict"});
    EXPECT_NE(r.exitCode, 0);
    EXPECT_NE(r.err.find("nothing was written"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir_ + "/o.wav"));
}

TEST_F(Behaviour, CheckSaysWhereItWroteTheReport) {
    const auto r = runCommand({kBounce, "check", dir_ + "/in.wav", "--no-codecs", "--report", dir_ + "/r.html"});
    EXPECT_NE(r.out.find("wrote " + dir_ + "/r.html"), std::string::npos) << r.out;
    EXPECT_TRUE(fs::exists(dir_ + "/r.html"));
}

// bounce automix takes every format Bounce reads and names what it skipped (issue 20: it
// looked at .wav, .flac and .aif(f) names only).
TEST_F(Behaviour, AutomixTakesEveryReadableFormatAndNamesWhatItSkipped) {
    fs::create_directories(dir_ + "/tracks");
    writeFile(dir_ + "/tracks/bass.wav", pinkishNoise(44100.0, 4.0, -20.0, 1, 5).view(), 44100.0, SampleFormat::Pcm24);
    writeFile(dir_ + "/tracks/keys.ogg", pinkishNoise(44100.0, 4.0, -20.0, 2, 6).view(), 44100.0, SampleFormat::Float32, FileFormat::Ogg);
    std::ofstream(dir_ + "/tracks/notes.txt") << "take 3 was the one";
    const auto r = runCommand({kBounce, "automix", dir_ + "/tracks", "-o", dir_ + "/session.toml"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.err.find("skipped " + dir_ + "/tracks/notes.txt"), std::string::npos) << r.err;
    std::ifstream in(dir_ + "/session.toml");
    const std::string session((std::istreambuf_iterator<char>(in)), {});
    EXPECT_NE(session.find("keys.ogg"), std::string::npos);
    EXPECT_NE(session.find("bass.wav"), std::string::npos);
}

}  // namespace
}  // namespace bounce::test
