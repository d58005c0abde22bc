// "-" as standard input and output (issue 20): the same master through a pipe as from
// files, byte for byte in its samples; pipes both ways through process and analyze; and
// the errors name the streams, not the scratch files behind them.
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace bounce::test {
namespace {
namespace fs = std::filesystem;

const std::string kBounce = BOUNCE_CLI;

class DashForStreams : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = makeTempDir("pipes");
        writeFile(dir_ + "/song.wav", pinkishNoise(44100.0, 5.0, -24.0, 2, 21).view(), 44100.0, SampleFormat::Pcm24);
        std::ofstream(dir_ + "/chain.toml") << "[[insert]]\ntype = \"gain\"\ngain_db = -3\n";
    }
    void TearDown() override { fs::remove_all(dir_); }
    CommandResult shell(const std::string& line) { return runCommand({"sh", "-c", "cd '" + dir_ + "' && " + line}); }
    std::string dir_;
};

TEST_F(DashForStreams, MasterFromStandardInputToStandardOutputIsTheFileMaster) {
    const auto piped = shell("cat song.wav | " + kBounce + " master - -o - --format flac > piped.flac");
    ASSERT_EQ(piped.exitCode, 0) << piped.err;
    EXPECT_NE(piped.err.find("wrote standard output"), std::string::npos) << "the summary goes to stderr: " << piped.err;
    const auto files = runCommand({kBounce, "master", dir_ + "/song.wav", "-o", dir_ + "/file.flac"});
    ASSERT_EQ(files.exitCode, 0) << files.err;
    const AudioBuffer a = readWholeFile(dir_ + "/piped.flac");
    const AudioBuffer b = readWholeFile(dir_ + "/file.flac");
    ASSERT_EQ(a.frames(), b.frames());
    for (int c = 0; c < 2; ++c)
        for (std::size_t i = 0; i < a.frames(); ++i) ASSERT_EQ(a.channel(c)[i], b.channel(c)[i]) << "frame " << i;
}

// A WAV written to a pipe by a peer (sox: no length in its header) in, through a chain
// and out to a peer's pipe, then measured from standard input.
TEST_F(DashForStreams, ProcessAndAnalyzeInAPipelineWithPeers) {
    if (!haveTool("sox")) GTEST_SKIP() << "sox missing";
    const auto r = shell("sox song.wav -t wav - | " + kBounce + " process - -o - --chain chain.toml | " + kBounce + " analyze --json -");
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto piped = nlohmann::json::parse(r.out);
    EXPECT_EQ(piped.at("path"), "standard input");
    const auto direct = nlohmann::json::parse(runCommand({kBounce, "analyze", "--json", dir_ + "/song.wav"}).out);
    EXPECT_NEAR(piped.at("integrated_lufs").get<double>(), direct.at("integrated_lufs").get<double>() - 3.0, 0.01);
    EXPECT_NEAR(piped.at("duration_s").get<double>(), 5.0, 1e-6);
}

TEST_F(DashForStreams, ErrorsNameTheStreams) {
    const auto empty = shell(kBounce + " analyze - < /dev/null");
    EXPECT_EQ(empty.exitCode, 1);
    EXPECT_NE(empty.err.find("standard input: not a readable sound file"), std::string::npos) << empty.err;
    EXPECT_EQ(empty.err.find("bounce-stdio"), std::string::npos) << "names a scratch file: " << empty.err;
    const auto nowhere = shell("cat song.wav | " + kBounce + " master -");
    EXPECT_EQ(nowhere.exitCode, 2);
    EXPECT_NE(nowhere.err.find("-o FILE, or -o - for standard output"), std::string::npos) << nowhere.err;
    const auto batch = shell("cat song.wav | " + kBounce + " master - song.wav -o out/");
    EXPECT_EQ(batch.exitCode, 2);
    EXPECT_NE(batch.err.find("standard input"), std::string::npos) << batch.err;
}

}  // namespace
}  // namespace bounce::test
