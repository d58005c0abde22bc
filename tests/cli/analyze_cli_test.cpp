// `bounce analyze` as a user runs it: output contract, bad input, memory on long files.
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

namespace bounce::test {
namespace {
namespace fs = std::filesystem;

const std::string kBounce = BOUNCE_CLI;

class AnalyzeCli : public ::testing::Test {
protected:
    void SetUp() override { dir_ = makeTempDir("cli"); }
    void TearDown() override { fs::remove_all(dir_); }
    std::string path(const std::string& name) const { return dir_ + "/" + name; }
    std::string dir_;
};

// A failure is one line on stderr naming the file, and exit code 1.
void expectOneLineError(const CommandResult& r, const std::string& file) {
    EXPECT_EQ(r.exitCode, 1) << r.err;
    EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
}

nlohmann::json analyzeJson(const std::string& file) {
    const auto r = runCommand({kBounce, "analyze", "--json", file});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return nlohmann::json::parse(r.out);
}

TEST_F(AnalyzeCli, JsonHasExactlyTheDocumentedKeys) {
    const auto audio = toneSequence(48000, 2, {{5.0, -23.0}});
    writeFile(path("tone.wav"), audio.view(), 48000, SampleFormat::Pcm24);
    const auto j = analyzeJson(path("tone.wav"));
    std::vector<std::string> keys;
    for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
    std::sort(keys.begin(), keys.end());
    std::vector<std::string> expected = {"path",
                                         "sample_rate",
                                         "channels",
                                         "duration_s",
                                         "integrated_lufs",
                                         "loudness_range_lu",
                                         "max_momentary_lufs",
                                         "max_short_term_lufs",
                                         "sample_peak_dbfs",
                                         "true_peak_dbtp",
                                         "rms_dbfs",
                                         "crest_db",
                                         "dc_offset_dbfs",
                                         "correlation",
                                         "clipped_samples",
                                         "leading_silence_s",
                                         "trailing_silence_s"};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(keys, expected);
    EXPECT_NEAR(j["integrated_lufs"].get<double>(), -23.0, 0.1);
    EXPECT_EQ(j["sample_rate"].get<double>(), 48000);
    EXPECT_EQ(j["channels"].get<int>(), 2);
}

TEST_F(AnalyzeCli, SeveralFilesGiveOneJsonObjectPerLine) {
    const auto a = sine(44100, 1.0, 440, -10, 1);
    writeFile(path("a.wav"), a.view(), 44100);
    writeFile(path("b.flac"), a.view(), 44100, SampleFormat::Pcm16, FileFormat::Flac);
    const auto r = runCommand({kBounce, "analyze", "--json", path("a.wav"), path("b.flac")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    std::istringstream lines(r.out);
    std::string line;
    int count = 0;
    while (std::getline(lines, line)) {
        EXPECT_EQ(nlohmann::json::parse(line)["channels"], 1);
        ++count;
    }
    EXPECT_EQ(count, 2);
}

TEST_F(AnalyzeCli, CurveHasARowEvery100Milliseconds) {
    const auto audio = toneSequence(48000, 2, {{4.05, -20.0}});
    writeFile(path("tone.wav"), audio.view(), 48000);
    const auto r = runCommand({kBounce, "analyze", "--curve", path("curve.csv"), path("tone.wav")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    std::ifstream csv(path("curve.csv"));
    std::string header, line, last;
    std::getline(csv, header);
    EXPECT_EQ(header, "time_s,momentary_lufs,short_term_lufs");
    int rows = 0;
    while (std::getline(csv, line)) {
        ++rows;
        last = line;
    }
    EXPECT_EQ(rows, 40);
    // 1 kHz stereo at -20 dBFS reads -20.691 + K(1 kHz) = -19.99 LUFS.
    double time = 0, momentary = 0, shortTerm = 0;
    ASSERT_EQ(std::sscanf(last.c_str(), "%lf,%lf,%lf", &time, &momentary, &shortTerm), 3) << last;
    EXPECT_DOUBLE_EQ(time, 4.0);
    EXPECT_NEAR(momentary, -20.0, 0.05);
    EXPECT_NEAR(shortTerm, -20.0, 0.05);
    EXPECT_EQ(runCommand({kBounce, "analyze", "--curve", path("c.csv"), path("tone.wav"), path("tone.wav")}).exitCode, 2);
}

TEST_F(AnalyzeCli, MissingFileTextFileAndDirectory) {
    expectOneLineError(runCommand({kBounce, "analyze", path("missing.wav")}), path("missing.wav"));
    std::ofstream(path("notes.txt")) << "la la la\n";
    expectOneLineError(runCommand({kBounce, "analyze", path("notes.txt")}), path("notes.txt"));
    expectOneLineError(runCommand({kBounce, "analyze", dir_}), dir_);
}

TEST_F(AnalyzeCli, UnreadableFile) {
    const auto a = sine(48000, 0.5, 440, -10, 2);
    writeFile(path("secret.wav"), a.view(), 48000);
    fs::permissions(path("secret.wav"), fs::perms::none);
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
    // Root reads anything: run the check as nobody when we are root.
    std::vector<std::string> argv = {kBounce, "analyze", path("secret.wav")};
    if (::geteuid() == 0) {
        if (!haveTool("setpriv")) GTEST_SKIP() << "no setpriv to drop root";
        argv.insert(argv.begin(), {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
    }
    const auto r = runCommand(argv);
    if (r.exitCode == 127 || (r.err.find("Permission denied") != std::string::npos && r.err.find("bounce:") == std::string::npos))
        GTEST_SKIP() << "cannot run the binary as another user here: " << r.err;
    expectOneLineError(r, path("secret.wav"));
    EXPECT_NE(r.err.find("cannot read"), std::string::npos) << r.err;
}

TEST_F(AnalyzeCli, TruncatedWavIsMeasuredAsFarAsItGoesWithAWarning) {
    const auto a = toneSequence(48000, 2, {{5.0, -23.0}});
    writeFile(path("whole.wav"), a.view(), 48000, SampleFormat::Pcm16);
    const auto size = fs::file_size(path("whole.wav"));
    fs::copy_file(path("whole.wav"), path("cut.wav"));
    fs::resize_file(path("cut.wav"), size / 2 + 1);  // odd size: cuts a frame in half too
    const auto r = runCommand({kBounce, "analyze", "--json", path("cut.wav")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_NEAR(j["duration_s"].get<double>(), 2.5, 0.01);
    EXPECT_NEAR(j["integrated_lufs"].get<double>(), -23.0, 0.1);
    EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
}

TEST_F(AnalyzeCli, EmptyAndOneFrameFilesHaveNullLoudness) {
    writeFile(path("empty.wav"), AudioBuffer(2, 0).view(), 48000);
    auto j = analyzeJson(path("empty.wav"));
    EXPECT_EQ(j["duration_s"].get<double>(), 0.0);
    EXPECT_TRUE(j["integrated_lufs"].is_null());
    EXPECT_TRUE(j["true_peak_dbtp"].is_null());
    EXPECT_TRUE(j["correlation"].is_null());

    AudioBuffer one(2, 1);
    one.channel(0)[0] = 0.5f;
    writeFile(path("one.wav"), one.view(), 48000);
    j = analyzeJson(path("one.wav"));
    EXPECT_TRUE(j["integrated_lufs"].is_null());
    EXPECT_TRUE(j["max_momentary_lufs"].is_null());
    EXPECT_NEAR(j["sample_peak_dbfs"].get<double>(), -6.0206, 0.001);
    EXPECT_GE(j["true_peak_dbtp"].get<double>(), -6.0206 - 1e-3);
}

TEST_F(AnalyzeCli, SilentFileHasNullLoudnessAndFullSilence) {
    writeFile(path("silence.wav"), AudioBuffer(2, 48000 * 3).view(), 48000, SampleFormat::Pcm16);
    const auto j = analyzeJson(path("silence.wav"));
    for (const char* key : {"integrated_lufs", "loudness_range_lu", "max_momentary_lufs", "max_short_term_lufs", "sample_peak_dbfs",
                            "true_peak_dbtp", "rms_dbfs", "crest_db"})
        EXPECT_TRUE(j[key].is_null()) << key;
    EXPECT_NEAR(j["leading_silence_s"].get<double>(), 3.0, 1e-6);
}

TEST_F(AnalyzeCli, NanFileIsRefusedWithTheFirstPosition) {
    AudioBuffer nans(2, 48000);
    for (int c = 0; c < 2; ++c) std::fill_n(nans.channel(c), nans.frames(), std::numeric_limits<float>::quiet_NaN());
    writeFile(path("nan.wav"), nans.view(), 48000, SampleFormat::Float32);
    const auto r = runCommand({kBounce, "analyze", path("nan.wav")});
    expectOneLineError(r, path("nan.wav"));
    EXPECT_NE(r.err.find("NaN"), std::string::npos) << r.err;
}

TEST_F(AnalyzeCli, EightChannelsAndExtremeRates) {
    const auto eight = pinkishNoise(48000, 4.0, -25.0, 8, 4);
    writeFile(path("eight.wav"), eight.view(), 48000, SampleFormat::Pcm24);
    auto j = analyzeJson(path("eight.wav"));
    EXPECT_EQ(j["channels"], 8);
    EXPECT_FALSE(j["integrated_lufs"].is_null());

    for (double rate : {8000.0, 384000.0}) {
        const auto tone = toneSequence(rate, 2, {{4.0, -23.0}});
        const std::string file = path("rate" + std::to_string(static_cast<int>(rate)) + ".wav");
        writeFile(file, tone.view(), rate, SampleFormat::Pcm24);
        j = analyzeJson(file);
        EXPECT_EQ(j["sample_rate"].get<double>(), rate);
        EXPECT_NEAR(j["integrated_lufs"].get<double>(), -23.0, 0.1) << rate;
        EXPECT_NEAR(j["true_peak_dbtp"].get<double>(), -23.0, 0.1) << rate;
    }
}

TEST_F(AnalyzeCli, UsageErrorsExitWith2) {
    EXPECT_EQ(runCommand({kBounce, "analyze"}).exitCode, 2);
    EXPECT_EQ(runCommand({kBounce, "analyze", "--no-such-flag", "x.wav"}).exitCode, 2);
    EXPECT_EQ(runCommand({kBounce}).exitCode, 2);
}

TEST_F(AnalyzeCli, SixtyMinuteFileAnalysesInUnder100MB) {
    // 60 minutes of stereo 48 kHz, 16-bit (330 MiB), written in blocks.
    const std::string file = path("hour.wav");
    {
        SF_INFO info{};
        info.samplerate = 48000;
        info.channels = 2;
        info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
        SNDFILE* f = sf_open(file.c_str(), SFM_WRITE, &info);
        ASSERT_NE(f, nullptr);
        std::vector<short> block(2 * 48000);
        std::minstd_rand rng(1);
        for (int second = 0; second < 3600; ++second) {
            const int level = 2000 + (second % 60) * 100;
            for (auto& s : block) s = static_cast<short>(static_cast<int>(rng() % (2 * level + 1)) - level);
            sf_writef_short(f, block.data(), 48000);
        }
        sf_close(f);
    }
    const auto r = runCommand({kBounce, "analyze", "--json", file});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NEAR(nlohmann::json::parse(r.out)["duration_s"].get<double>(), 3600.0, 1e-6);
    RecordProperty("peak_rss_kb", static_cast<int>(r.maxRssKb));
    if (kRssIsMeaningful) {
        EXPECT_LT(r.maxRssKb, 100 * 1024) << "peak RSS " << r.maxRssKb << " kB";
    }
}

}  // namespace
}  // namespace bounce::test
