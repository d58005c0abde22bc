#include "bounce/chain_file.h"
#include "bounce/error.h"
#include "bounce/processor_registry.h"
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace bounce::test {
namespace {

class ChainFile : public ::testing::Test {
protected:
    void SetUp() override { dir_ = makeTempDir("chain"); }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string write(const std::string& text) {
        const std::string path = dir_ + "/chain.toml";
        std::ofstream(path) << text;
        return path;
    }
    // The ConfigError message a chain gives when its processors are built for `channels`.
    std::string errorOf(const std::string& text, int channels = 2) {
        try {
            for (const auto& insert : readChainFile(write(text))) createProcessor(insert, channels);
        } catch (const ConfigError& e) {
            return e.what();
        }
        return "";
    }
    std::string dir_;
};

TEST_F(ChainFile, ReadsTheIssueExample) {
    const auto inserts = readChainFile(
        write("[[insert]]\ntype = \"highpass\"\nfreq_hz = 80\nslope_db_oct = 24\n\n[[insert]]\ntype = \"gain\"\ngain_db = -1.0\n"));
    ASSERT_EQ(inserts.size(), 2u);
    EXPECT_EQ(inserts[0].type, "highpass");
    EXPECT_EQ(inserts[0].params.line, 1);
    EXPECT_NO_THROW(createProcessor(inserts[0], 2));
    EXPECT_NO_THROW(createProcessor(inserts[1], 2));
}

TEST_F(ChainFile, ErrorsNameTheLine) {
    const std::string path = dir_ + "/chain.toml";
    EXPECT_EQ(errorOf("[[insert]]\ntype = \"highpas\"\nfreq_hz = 80\n").rfind(path + ":1: unknown insert type \"highpas\"", 0), 0u);
    EXPECT_EQ(errorOf("[[insert]]\ntype = \"highpass\"\nfreq_hz = 80\nslope = 24\n").rfind(path + ":4: unknown key 'slope'", 0), 0u);
    EXPECT_EQ(errorOf("[[insert]]\ntype = \"highpass\"\nfreq_hz = \"80\"\n"), path + ":3: freq_hz must be a number");
    EXPECT_EQ(errorOf("[[insert]]\ntype = \"highpass\"\nfreq_hz = 80\nslope_db_oct = 27\n"),
              path + ":4: slope_db_oct must be 6, 12, 18, 24, 30, 36, 42 or 48 (got 27)");
    EXPECT_EQ(errorOf("\n[[insert]]\ntype = \"gain\"\ngain_db = 100\n"), path + ":4: gain_db must be between -96 and 48 (got 100)");
    EXPECT_EQ(errorOf("[[insert]]\ntype = \"width\"\nwidth = 1.5\n", 1), path + ":1: width needs a stereo signal (this one has 1 channel)");
    EXPECT_NE(errorOf("[[insert]]\ntype = \"gain\"\ngain_db = = 3\n").find(path + ":3:"), std::string::npos);
    EXPECT_EQ(errorOf("[[insert]]\nfreq_hz = 80\n"), path + ":1: an insert needs a type (e.g. type = \"highpass\")");
    EXPECT_EQ(errorOf("title = \"x\"\n"), path + ":1: unknown key 'title' (a chain file holds [[insert]] tables)");
    EXPECT_EQ(errorOf("[[insert]]\ntype = \"eq\"\n[[insert.band]]\ntype = \"peak\"\nfreq_hz = 100\ngain_db = 3\nwidth = 2\n")
                  .rfind(path + ":7: unknown key 'width' in an eq band", 0),
              0u);
}

TEST_F(ChainFile, ProcessCommandOutputLinesUpWithItsInput) {
    // gain +6 then -6: the output must null against the input.
    const auto input = pinkishNoise(44100, 2.0, -20.0, 2, 8);
    writeFile(dir_ + "/in.wav", input.view(), 44100, SampleFormat::Float32);
    const auto chain = write("[[insert]]\ntype = \"gain\"\ngain_db = 6\n[[insert]]\ntype = \"gain\"\ngain_db = -6\n");
    const auto r = runCommand({BOUNCE_CLI, "process", dir_ + "/in.wav", "-o", dir_ + "/out.wav", "--chain", chain});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto output = readWholeFile(dir_ + "/out.wav");
    ASSERT_EQ(output.frames(), input.frames());
    double worst = 0;
    for (int c = 0; c < 2; ++c)
        for (std::size_t i = 0; i < input.frames(); ++i)
            worst = std::max(worst, std::fabs(static_cast<double>(output.channel(c)[i]) - input.channel(c)[i]));
    EXPECT_LT(20 * std::log10(worst + 1e-30), -120.0);
}

TEST_F(ChainFile, ProcessCommandErrorsExitWith2AndWriteNothing) {
    const auto input = sine(44100, 0.5, 440, -6, 2);
    writeFile(dir_ + "/in.wav", input.view(), 44100);
    const auto chain = write("[[insert]]\ntype = \"gain\"\ngain = 3\n");
    const auto r = runCommand({BOUNCE_CLI, "process", dir_ + "/in.wav", "-o", dir_ + "/out.wav", "--chain", chain});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.err.find("chain.toml:1: gain_db is required; 'gain' on line 3 looks like a misspelling of it"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/out.wav"));
    // Refuses to overwrite its input.
    const auto good = write("[[insert]]\ntype = \"gain\"\ngain_db = 3\n");
    const auto same = runCommand({BOUNCE_CLI, "process", dir_ + "/in.wav", "-o", dir_ + "/in.wav", "--chain", good});
    EXPECT_EQ(same.exitCode, 1);
    EXPECT_NE(same.err.find("refusing to overwrite"), std::string::npos) << same.err;
}

TEST_F(ChainFile, SixteenBitOutputIsDithered) {
    const auto input = sine(48000, 1.0, 1000, -100, 1);
    writeFile(dir_ + "/in.wav", input.view(), 48000, SampleFormat::Float32);
    const auto chain = write("[[insert]]\ntype = \"gain\"\ngain_db = 0\n");
    ASSERT_EQ(runCommand({BOUNCE_CLI, "process", dir_ + "/in.wav", "-o", dir_ + "/out.wav", "--chain", chain, "--bits", "16"}).exitCode, 0);
    const auto out = readWholeFile(dir_ + "/out.wav");
    // Rounded without dither, a 0.3 LSB sine would be all zeros; dithered, it is noise of about LSB/2 RMS.
    double power = 0;
    for (std::size_t i = 0; i < out.frames(); ++i) power += static_cast<double>(out.channel(0)[i]) * out.channel(0)[i];
    const double rmsLsb = std::sqrt(power / static_cast<double>(out.frames())) * 32768.0;
    EXPECT_NEAR(rmsLsb, 0.5, 0.1);
}

}  // namespace
}  // namespace bounce::test
