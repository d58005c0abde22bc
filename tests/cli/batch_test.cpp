// Batches (issue 20): many files through master, analyze and check, --jobs at a time, one
// broken file not stopping the rest, a summary that names it, an exit code that says so.
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace bounce::test {
namespace {
namespace fs = std::filesystem;

const std::string kBounce = BOUNCE_CLI;

class Batch : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = makeTempDir("batch");
        fs::create_directories(dir_ + "/in");
        // 19 songs at different levels and one file that is not audio, in the middle.
        for (int i = 0; i < 20; ++i) {
            char name[32];
            std::snprintf(name, sizeof name, "/in/song%02d.wav", i);
            inputs_.push_back(dir_ + name);
            if (i == 7) {
                std::ofstream(inputs_.back()) << "this is not a sound file\n";
                continue;
            }
            writeFile(inputs_.back(), pinkishNoise(44100.0, 3.0, -30.0 + i, 2, static_cast<std::uint64_t>(i + 1)).view(), 44100.0,
                      SampleFormat::Pcm24);
        }
    }
    static void TearDownTestSuite() { fs::remove_all(dir_); }
    static std::vector<std::string> command(std::vector<std::string> head) {
        head.insert(head.begin(), kBounce);
        head.insert(head.begin() + 2, inputs_.begin(), inputs_.end());
        return head;
    }
    static std::string dir_;
    static std::vector<std::string> inputs_;
};
std::string Batch::dir_;
std::vector<std::string> Batch::inputs_;

TEST_F(Batch, TwentyMastersWithOneBrokenDoNineteenAndSaySo) {
    const std::string out = dir_ + "/masters/";
    const auto r = runCommand(command({"master", "-o", out, "--jobs", "2", "--target", "apple"}));
    EXPECT_EQ(r.exitCode, 1) << "some failed: the exit code says so";
    int masters = 0, reports = 0;
    for (const auto& entry : fs::directory_iterator(out)) {
        masters += entry.path().extension() == ".wav";
        reports += entry.path().extension() == ".json";
    }
    EXPECT_EQ(masters, 19);
    EXPECT_EQ(reports, 19);
    EXPECT_FALSE(fs::exists(out + "song07.master.wav"));
    // The summary names the broken one and counts.
    EXPECT_NE(r.out.find("song07.wav  FAILED"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("mastered 19 of 20; 1 failed"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("song07.wav: not a readable sound file"), std::string::npos) << r.err;
    // Each master is what the target asks, by a peer's meter, and its report says so.
    for (const int i : {0, 19}) {
        char stem[32];
        std::snprintf(stem, sizeof stem, "song%02d.master", i);
        const auto reading = measureWithLibebur128(readWholeFile(out + stem + ".wav").view(), 44100.0);
        ASSERT_TRUE(reading.integratedLufs);
        EXPECT_NEAR(*reading.integratedLufs, -16.0, 0.2) << stem;  // apple
        std::ifstream json(out + stem + ".json");
        EXPECT_NEAR(nlohmann::json::parse(json).at("output").at("integrated_lufs").get<double>(), *reading.integratedLufs, 0.15);
    }
}

// Measured --jobs at a time, printed in the order given.
TEST_F(Batch, AnalyzePrintsInTheOrderGivenAndExitsOneForTheBrokenFile) {
    const auto r = runCommand(command({"analyze", "--json", "--jobs", "3"}));
    EXPECT_EQ(r.exitCode, 1);
    std::istringstream lines(r.out);
    std::vector<std::string> paths;
    for (std::string line; std::getline(lines, line);) paths.push_back(nlohmann::json::parse(line).at("path"));
    std::vector<std::string> expected = inputs_;
    expected.erase(expected.begin() + 7);
    EXPECT_EQ(paths, expected);
    const auto table = runCommand(command({"analyze", "--jobs", "2"}));
    EXPECT_NE(table.out.find("analysed 19 of 20; 1 failed"), std::string::npos) << table.out;
}

TEST_F(Batch, CheckWritesAReportPerFileAndASummary) {
    const std::vector<std::string> some = {inputs_[0], inputs_[7], inputs_[12]};
    std::vector<std::string> argv{kBounce, "check"};
    argv.insert(argv.end(), some.begin(), some.end());
    argv.insert(argv.end(), {"--no-codecs", "--json", dir_ + "/checks", "--jobs", "2"});
    const auto r = runCommand(argv);
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_TRUE(fs::exists(dir_ + "/checks/song00.check.json"));
    EXPECT_TRUE(fs::exists(dir_ + "/checks/song12.check.json"));
    EXPECT_FALSE(fs::exists(dir_ + "/checks/song07.check.json"));
    EXPECT_NE(r.out.find("checked 2 of 3; 1 failed"), std::string::npos) << r.out;
}

// Mistakes in the batch itself are usage errors, found before any work.
TEST_F(Batch, CollidingNamesAndOneJsonForManyAreRefusedBeforeAnyWork) {
    fs::create_directories(dir_ + "/other");
    fs::copy_file(inputs_[0], dir_ + "/other/song00.wav", fs::copy_options::overwrite_existing);
    const auto collide = runCommand({kBounce, "master", inputs_[0], dir_ + "/other/song00.wav", "-o", dir_ + "/collide/"});
    EXPECT_EQ(collide.exitCode, 2);
    EXPECT_NE(collide.err.find("would both be mastered to"), std::string::npos) << collide.err;
    EXPECT_FALSE(fs::exists(dir_ + "/collide"));
    const auto json = runCommand({kBounce, "master", inputs_[0], inputs_[1], "-o", dir_ + "/j/", "--json", dir_ + "/r.json"});
    EXPECT_EQ(json.exitCode, 2);
    EXPECT_NE(json.err.find("--json"), std::string::npos) << json.err;
}

// --quiet before or after the command's name: nothing on stdout, the work still done;
// --verbose: each pass and the time taken, on stderr.
TEST_F(Batch, QuietMeansNothingOnStandardOutputAndVerboseSaysEachStep) {
    const auto loud = runCommand({kBounce, "master", inputs_[0], "-o", dir_ + "/v.wav", "-v"});
    EXPECT_EQ(loud.exitCode, 0) << loud.err;
    EXPECT_NE(loud.err.find("pass 1: gain"), std::string::npos) << loud.err;
    EXPECT_NE(loud.err.find("bounce: master took"), std::string::npos) << loud.err;
    for (const auto& argv : {std::vector<std::string>{kBounce, "-q", "master", inputs_[0], "-o", dir_ + "/q1.wav"},
                             std::vector<std::string>{kBounce, "master", inputs_[0], "-o", dir_ + "/q2.wav", "--quiet"}}) {
        const auto r = runCommand(argv);
        EXPECT_EQ(r.exitCode, 0) << r.err;
        EXPECT_EQ(r.out, "");
        EXPECT_TRUE(fs::exists(argv[argv.size() - (argv[1] == "-q" ? 1 : 2)]));
    }
}

}  // namespace
}  // namespace bounce::test
