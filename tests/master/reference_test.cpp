// bounce master --reference: the synthetic case (colour and narrow a programme, use
// the original as the reference), at mixed sample rates; loudness measured by libebur128.
#include "bounce/error.h"
#include "bounce/master.h"
#include "bounce/sound_file.h"
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace bounce::test {
namespace {
namespace fs = std::filesystem;

class MasterReference : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = makeTempDir("master-ref");
        // Input at 44.1 kHz, coloured; references are the same kind of programme, uncoloured,
        // at 48 and 96 kHz and 6 dB louder.
        writeFile(dir_ + "/in.wav", colourAndNarrow(pinkishNoise(44100, 20.0, -24.0, 2, 41), 44100).view(), 44100);
        writeFile(dir_ + "/ref48.wav", pinkishNoise(48000, 20.0, -18.0, 2, 42).view(), 48000);
        writeFile(dir_ + "/ref96.wav", pinkishNoise(96000, 12.0, -18.0, 2, 43).view(), 96000);
    }
    void TearDown() override {
        if (!std::getenv("BOUNCE_KEEP_TEST_FILES")) fs::remove_all(dir_);
    }
    std::string dir_;
};

TEST_F(MasterReference, MatchesToneWidthAndLoudnessAtMixedRates) {
    for (const std::string ref : {"ref48.wav", "ref96.wav"}) {
        MasterSettings s;
        s.references = {dir_ + "/" + ref};
        const std::string out = dir_ + "/out.wav";
        const MasterResult r = masterFile(dir_ + "/in.wav", out, s);
        ASSERT_TRUE(r.match.has_value());
        EXPECT_LT(r.distanceAfterDb, r.distanceBeforeDb) << ref;
        EXPECT_LT(r.distanceAfterDb, 0.6) << ref;
        EXPECT_GT(r.distanceBeforeDb, 1.5) << ref;
        // Width back to the reference's within 10 % (side/mid amplitude ratio).
        EXPECT_NEAR(std::sqrt(r.outputWidth / r.match->referenceWidth), 1.0, 0.1) << ref;
        double rate = 0;
        const auto audio = readWholeFile(out, &rate);
        EXPECT_EQ(rate, 44100);
        const auto peer = measureWithLibebur128(audio.view(), rate);
        const auto refAudio = readWholeFile(dir_ + "/" + ref, &rate);
        const auto refPeer = measureWithLibebur128(refAudio.view(), rate);
        ASSERT_TRUE(peer.integratedLufs && refPeer.integratedLufs);
        EXPECT_NEAR(*peer.integratedLufs, *refPeer.integratedLufs, 0.2) << ref;
        EXPECT_LE(peer.truePeakDbtp, r.ceilingDbtp) << ref;
    }
}

TEST_F(MasterReference, ToneAndWidthAtZeroLeaveTheSpectrum) {
    MasterSettings s;
    s.references = {dir_ + "/ref48.wav"};
    s.match = {0.0, 0.0, 1.0, 0.0};
    const MasterResult r = masterFile(dir_ + "/in.wav", dir_ + "/out.wav", s);
    const auto input = analyzeSpectrumProfile(dir_ + "/in.wav");
    const auto output = analyzeSpectrumProfile(dir_ + "/out.wav");
    EXPECT_LT(spectralDistanceDb(input, output), 0.3);
    EXPECT_NEAR(r.distanceAfterDb, r.distanceBeforeDb, 0.3);
}

TEST_F(MasterReference, SeveralReferencesAndAGivenLoudness) {
    MasterSettings s;
    s.references = {dir_ + "/ref48.wav", dir_ + "/ref96.wav"};
    s.lufs = -16.0;
    const MasterResult r = masterFile(dir_ + "/in.wav", dir_ + "/out.wav", s);
    ASSERT_EQ(r.references.size(), 2u);
    for (const auto& ref : r.references) EXPECT_LT(ref.distanceAfterDb, ref.distanceBeforeDb) << ref.path;
    double rate = 0;
    const auto audio = readWholeFile(dir_ + "/out.wav", &rate);
    EXPECT_NEAR(*measureWithLibebur128(audio.view(), rate).integratedLufs, -16.0, 0.2);
}

TEST_F(MasterReference, CliReportAndBadArguments) {
    auto r = runCommand({BOUNCE_CLI, "master", dir_ + "/in.wav", "--reference", dir_ + "/ref48.wav", "--match", "tone=1,dynamics=0.2",
                         "--json", dir_ + "/report.json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("reference match"), std::string::npos);
    std::ifstream in(dir_ + "/report.json");
    const auto j = nlohmann::json::parse(in);
    const auto& m = j["reference_match"];
    EXPECT_GT(m["curve"].size(), 20u);
    EXPECT_LT(m["distance_db"]["after"].get<double>(), m["distance_db"]["before"].get<double>());
    EXPECT_EQ(m["amounts"]["dynamics"].get<double>(), 0.2);
    EXPECT_TRUE(m["crest_db"].contains("reference"));

    // A dry run measures the input against the reference and does not pretend to know the result.
    r = runCommand({BOUNCE_CLI, "master", dir_ + "/in.wav", "--reference", dir_ + "/ref48.wav", "--dry-run", "-o", dir_ + "/dry.wav",
                    "--json", dir_ + "/dry.json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_FALSE(fs::exists(dir_ + "/dry.wav"));
    std::ifstream dryIn(dir_ + "/dry.json");
    const auto dry = nlohmann::json::parse(dryIn);
    EXPECT_TRUE(dry["reference_match"]["distance_db"]["after"].is_null());
    EXPECT_GT(dry["reference_match"]["distance_db"]["before"].get<double>(), 1.0);

    // The output may not be a reference.
    r = runCommand({BOUNCE_CLI, "master", dir_ + "/in.wav", "--reference", dir_ + "/ref48.wav", "-o", dir_ + "/ref48.wav"});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("refusing to overwrite"), std::string::npos) << r.err;
    r = runCommand({BOUNCE_CLI, "master", dir_ + "/in.wav", "--reference", dir_ + "/ref48.wav", "--match", "tone=2"});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.err.find("--match"), std::string::npos);
    r = runCommand({BOUNCE_CLI, "master", dir_ + "/in.wav", "--reference", dir_ + "/missing.wav"});
    EXPECT_NE(r.exitCode, 0);
    EXPECT_NE(r.err.find("missing.wav"), std::string::npos);
    AudioBuffer silence(2, 44100);
    writeFile(dir_ + "/silent.wav", silence.view(), 44100);
    r = runCommand({BOUNCE_CLI, "master", dir_ + "/in.wav", "--reference", dir_ + "/silent.wav"});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("silent.wav"), std::string::npos);
}

TEST_F(MasterReference, TwentyMinuteInputInBoundedMemory) {
    // Twenty minutes of stereo at 16 kHz, 16-bit, against the 96 kHz reference: length and
    // rate are no limit, and the memory does not grow with either.
    {
        SoundFileWriter writer(dir_ + "/long.wav", {16000, 2, FileFormat::Wav, SampleFormat::Pcm16});
        const auto minute = colourAndNarrow(pinkishNoise(16000, 60.0, -26, 2, 12), 16000);
        for (int m = 0; m < 20; ++m) writer.write(minute.view());
        writer.close();
    }
    const auto r =
        runCommand({BOUNCE_CLI, "master", dir_ + "/long.wav", "--reference", dir_ + "/ref96.wav", "--json", dir_ + "/long.json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    RecordProperty("peak_rss_kb", static_cast<int>(r.maxRssKb));
    EXPECT_LT(r.maxRssKb, 200 * 1024) << "peak RSS " << r.maxRssKb << " kB";
    std::ifstream in(dir_ + "/long.json");
    const auto j = nlohmann::json::parse(in);
    EXPECT_LT(j["reference_match"]["distance_db"]["after"].get<double>(), j["reference_match"]["distance_db"]["before"].get<double>());
}

TEST_F(MasterReference, MonoInputMatchesToneAndSaysWidthCannot) {
    writeFile(dir_ + "/mono.wav", pinkishNoise(44100, 10.0, -26.0, 1, 44).view(), 44100);
    MasterSettings s;
    s.references = {dir_ + "/ref48.wav"};
    const MasterResult r = masterFile(dir_ + "/mono.wav", dir_ + "/mono.out.wav", s);
    EXPECT_LE(r.distanceAfterDb, r.distanceBeforeDb + 0.05);
    bool warned = false;
    for (const auto& w : r.warnings) warned |= w.find("mono") != std::string::npos;
    EXPECT_TRUE(warned);
    double rate = 0;
    const auto audio = readWholeFile(dir_ + "/mono.out.wav", &rate);
    EXPECT_EQ(audio.channels(), 1);
    EXPECT_LE(measureWithLibebur128(audio.view(), rate).truePeakDbtp, r.ceilingDbtp);
}

TEST_F(MasterReference, ALowRateReferenceLeavesTheHighsAndSaysSo) {
    writeFile(dir_ + "/ref8k.wav", pinkishNoise(8000, 10.0, -18.0, 2, 45).view(), 8000);
    MasterSettings s;
    s.references = {dir_ + "/ref8k.wav"};
    const MasterResult r = masterFile(dir_ + "/in.wav", dir_ + "/out.wav", s);
    bool warned = false;
    for (const auto& w : r.warnings) warned |= w.find("ref8k.wav") != std::string::npos && w.find("4.0 kHz") != std::string::npos;
    EXPECT_TRUE(warned);
    // Above the reference's last band the curve is flat (held), not extrapolated.
    ASSERT_TRUE(r.match.has_value());
    EXPECT_NEAR(r.match->toneAtDb(8000.0), r.match->toneAtDb(16000.0), 1e-9);
    EXPECT_LT(r.distanceAfterDb, r.distanceBeforeDb);
}

TEST_F(MasterReference, CompareReportsDistancesWithoutWriting) {
    auto r = runCommand({BOUNCE_CLI, "compare", dir_ + "/in.wav", dir_ + "/ref48.wav", dir_ + "/ref96.wav", "--json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["references"].size(), 2u);
    // Against itself the distance is zero; against the references it is what the library says.
    EXPECT_NEAR(j["references"][0]["distance_db"].get<double>(),
                spectralDistanceDb(analyzeSpectrumProfile(dir_ + "/in.wav"), analyzeSpectrumProfile(dir_ + "/ref48.wav")), 0.01);
    r = runCommand({BOUNCE_CLI, "compare", dir_ + "/in.wav", dir_ + "/in.wav"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("0.00 dB"), std::string::npos) << r.out;
    EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 3);  // nothing written
    r = runCommand({BOUNCE_CLI, "compare", dir_ + "/in.wav", dir_ + "/nope.wav"});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("nope.wav"), std::string::npos);
    r = runCommand({BOUNCE_CLI, "compare", dir_ + "/in.wav"});
    EXPECT_EQ(r.exitCode, 2);
}

}  // namespace
}  // namespace bounce::test
