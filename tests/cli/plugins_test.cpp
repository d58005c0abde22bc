// LV2 plugins from the command line (issue 22): `bounce plugins` lists the installed ones as
// lilv's own lv2info (the peer) describes them; the lv2 insert in sessions and chains:
// latency compensated so that parallel paths null, a control port automated, clear errors
// that leave nothing written, and x42's true-peak limiter and Bounce's measured against the
// ideal reconstruction.
#include "ideal_peak.h"
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace bounce::test {
namespace {
namespace fs = std::filesystem;

const std::string kBounce = BOUNCE_CLI;
const std::string kLspEq = "http://lsp-plug.in/plugins/lv2/para_equalizer_x16_stereo";

const std::string kX42Limiter = "http://gareus.org/oss/lv2/dpl#stereo";

bool lspInstalled() { return fs::exists("/usr/lib/lv2/lsp-plugins.lv2") && haveTool("lv2info"); }
bool x42Installed() { return fs::exists("/usr/lib/lv2/dpl.lv2"); }

TEST(Plugins, ListsAPluginAsLv2infoDescribesIt) {
    if (!lspInstalled()) GTEST_SKIP() << "lsp-plugins-lv2 or lilv-utils (lv2info) not installed";
    const auto r = runCommand({kBounce, "plugins", "--json", "para_equalizer_x16_stereo"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto plugins = nlohmann::json::parse(r.out);
    ASSERT_EQ(plugins.size(), 1u);
    const auto& eq = plugins[0];
    EXPECT_EQ(eq.at("uri"), kLspEq);
    EXPECT_EQ(eq.at("audio_inputs"), 2);
    EXPECT_EQ(eq.at("audio_outputs"), 2);
    EXPECT_EQ(eq.at("latency_port"), "out_latency");
    EXPECT_TRUE(eq.at("hostable").get<bool>()) << eq.at("not_hostable_because");

    // The peer: lv2info's ports, and the range and default it prints for each control.
    const std::string info = runCommand({"lv2info", kLspEq}).out;
    const std::regex portHeader("\n\tPort [0-9]+:");
    EXPECT_EQ(eq.at("ports").size(),
              static_cast<std::size_t>(std::distance(std::sregex_iterator(info.begin(), info.end(), portHeader), std::sregex_iterator())));
    int compared = 0;
    for (const auto& port : eq.at("ports")) {
        if (port.at("type") != "control" || port.at("direction") != "input") continue;
        const std::regex block("Symbol: +" + port.at("symbol").get<std::string>() +
                               "\n[^\n]*\n\t\tMinimum: +([-0-9.e+]+)\n\t\tMaximum: +([-0-9.e+]+)\n\t\tDefault: +([-0-9.e+]+)");
        std::smatch m;
        if (!std::regex_search(info, m, block)) continue;
        EXPECT_NEAR(port.at("minimum").get<double>(), std::stod(m[1]), 1e-5) << port.at("symbol");
        EXPECT_NEAR(port.at("maximum").get<double>(), std::stod(m[2]), 1e-5) << port.at("symbol");
        EXPECT_NEAR(port.at("default").get<double>(), std::stod(m[3]), 1e-5) << port.at("symbol");
        ++compared;
    }
    EXPECT_GT(compared, 50) << "the controls' ranges were compared with lv2info's";
}

// Every plugin Bounce cannot host says why; instruments (no audio input) are among them.
TEST(Plugins, WhatCannotBeHostedSaysWhy) {
    if (!lspInstalled()) GTEST_SKIP() << "lsp-plugins-lv2 or lilv-utils (lv2info) not installed";
    const auto plugins = nlohmann::json::parse(runCommand({kBounce, "plugins", "--json"}).out);
    ASSERT_GT(plugins.size(), 100u);
    for (const auto& p : plugins) {
        if (p.at("audio_inputs") == 0) {
            EXPECT_FALSE(p.at("hostable").get<bool>()) << p.at("uri");
        }
        if (!p.at("hostable").get<bool>()) {
            EXPECT_FALSE(p.at("not_hostable_because").get<std::string>().empty()) << p.at("uri");
        }
    }
    const auto text = runCommand({kBounce, "plugins", "para_equalizer_x16_stereo"}).out;
    EXPECT_NE(text.find("reports latency"), std::string::npos) << text;
    EXPECT_NE(text.find("g_in"), std::string::npos) << text;
}

// LV2_PATH decides where plugins are looked for; none there is said plainly.
TEST(Plugins, AnEmptyLv2PathFindsNone) {
    const std::string empty = makeTempDir("lv2path");
    const auto r = runCommand({"env", "LV2_PATH=" + empty, kBounce, "plugins"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("no LV2 plugins found"), std::string::npos) << r.out;
    EXPECT_EQ(nlohmann::json::parse(runCommand({"env", "LV2_PATH=" + empty, kBounce, "plugins", "--json"}).out).size(), 0u);
    fs::remove_all(empty);
}

class Lv2Inserts : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = makeTempDir("lv2-inserts");
        // -20 dBFS noise: under x42's threshold, so its limiter only delays it.
        writeFile(dir_ + "/noise.wav", whiteNoise(48000.0, 3.0, 0.1, 2, 7).view(), 48000.0, SampleFormat::Float32);
    }
    static void TearDownTestSuite() { fs::remove_all(dir_); }
    static std::string write(const std::string& name, const std::string& text) {
        std::ofstream(dir_ + "/" + name) << text;
        return dir_ + "/" + name;
    }
    static std::string dir_;
};
std::string Lv2Inserts::dir_;

// Two tracks of the same file, one through x42's lookahead limiter (64 frames of latency,
// reported by its latency port) and inverted: the mix is silence, so the graph delayed the
// other path by exactly the plugin's latency.
TEST_F(Lv2Inserts, ParallelPathsNullAcrossALatencyReportingPlugin) {
    if (!x42Installed()) GTEST_SKIP() << "x42-plugins not installed";
    const std::string session = write("null.toml",
                                      "sample_rate = 48000\n"
                                      "[[track]]\nname = \"dry\"\nfile = \"noise.wav\"\n"
                                      "[[track]]\nname = \"limited\"\nfile = \"noise.wav\"\n"
                                      "[[track.insert]]\ntype = \"lv2\"\nuri = \"" +
                                          kX42Limiter +
                                          "\"\n[track.insert.params]\nthreshold = 0.0\n"
                                          "[[track.insert]]\ntype = \"polarity\"\ninvert = true\n");
    const auto r = runCommand({kBounce, "mix", session, "-o", dir_ + "/null.wav"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const AudioBuffer mix = readWholeFile(dir_ + "/null.wav");
    double peak = 0.0;
    for (int c = 0; c < mix.channels(); ++c)
        for (std::size_t i = 0; i < mix.frames(); ++i) peak = std::max(peak, std::fabs(static_cast<double>(mix.channel(c)[i])));
    EXPECT_LT(20.0 * std::log10(std::max(peak, 1e-12)), -90.0) << "the paths did not null";
}

// A control port automated by symbol (insert.N.SYMBOL): LSP's EQ output gain ramped from
// unity to 0.5 over the second second; the level follows, block by block, without a step.
TEST_F(Lv2Inserts, AControlPortFollowsItsAutomationLane) {
    if (!lspInstalled()) GTEST_SKIP() << "lsp-plugins-lv2 not installed";
    const std::string session = write("automated.toml",
                                      "sample_rate = 48000\n"
                                      "[[track]]\nname = \"noise\"\nfile = \"noise.wav\"\n"
                                      "[[track.insert]]\ntype = \"lv2\"\nuri = \"" +
                                          kLspEq +
                                          "\"\n[[track.automation]]\nparam = \"insert.1.g_out\"\n"
                                          "points = [[1.0, 1.0], [2.0, 0.5]]\n");
    const auto r = runCommand({kBounce, "mix", session, "-o", dir_ + "/automated.wav"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const AudioBuffer in = readWholeFile(dir_ + "/noise.wav"), out = readWholeFile(dir_ + "/automated.wav");
    const auto gainAt = [&](double seconds) {
        const auto from = static_cast<std::size_t>(seconds * 48000.0);
        double a = 0.0, b = 0.0;
        for (std::size_t i = from; i < from + 2400; ++i) {
            a += static_cast<double>(in.channel(0)[i]) * in.channel(0)[i];
            b += static_cast<double>(out.channel(0)[i]) * out.channel(0)[i];
        }
        return std::sqrt(b / a);
    };
    const double before = gainAt(0.5), middle = gainAt(1.475), after = gainAt(2.5);
    EXPECT_NEAR(after / before, 0.5, 0.01);
    EXPECT_NEAR(middle / before, 0.75, 0.03) << "halfway along the lane";
}

// What is wrong with an lv2 insert is said in one line naming the file and line, and no
// output is left behind.
TEST_F(Lv2Inserts, MistakesAreClearErrorsAndNothingIsWritten) {
    if (!lspInstalled()) GTEST_SKIP() << "lsp-plugins-lv2 not installed";
    const auto chain = [&](const std::string& name, const std::string& uri, const std::string& params) {
        return write(name, "[[insert]]\ntype = \"lv2\"\nuri = \"" + uri + "\"\n[insert.params]\n" + params);
    };
    const struct {
        std::string file, expected;
    } cases[] = {
        {chain("uri.toml", "http://lsp-plug.in/plugins/lv2/para_equaliser_x16_stereo", ""),
         "uri.toml:3: uri: no LV2 plugin http://lsp-plug.in/plugins/lv2/para_equaliser_x16_stereo is installed (near it: "},
        {chain("symbol.toml", kLspEq, "gain = 2.0\n"),
         "symbol.toml:5: gain: LSP Parametric Equalizer x16 Stereo has no port of that symbol; "
         "its controls: enabled, g_in, g_out"},
        {chain("range.toml", kLspEq, "f_0 = 30000.0\n"), "range.toml:5: f_0 must be between 10 and 24000 (got 30000)"},
        {chain("whole.toml", kLspEq, "ft_0 = 1.5\n"), "whole.toml:5: ft_0 must be a whole number (got 1.5)"},
        {chain("output.toml", kLspEq, "out_latency = 3.0\n"),
         "output.toml:5: out_latency: LSP Parametric Equalizer x16 Stereo has it as an "
         "output control port"},
        {chain("worker.toml", "http://gareus.org/oss/lv2/convoLV2#Stereo", ""),
         "LV2 Convolution Stereo (http://gareus.org/oss/lv2/convoLV2#Stereo) cannot be hosted: requires "
         "http://lv2plug.in/ns/ext/worker#schedule, which Bounce does not offer"},
    };
    for (const auto& c : cases) {
        const std::string out = dir_ + "/never.wav";
        const auto r = runCommand({kBounce, "process", dir_ + "/noise.wav", "-o", out, "--chain", c.file});
        EXPECT_EQ(r.exitCode, 2) << c.file;
        EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        EXPECT_FALSE(fs::exists(out)) << c.file;
    }
    const std::string preset = write("preset.toml", "[[insert]]\ntype = \"lv2\"\nuri = \"" + kLspEq + "\"\npreset = \"Warm\"\n");
    const auto r = runCommand({kBounce, "process", dir_ + "/noise.wav", "-o", dir_ + "/never.wav", "--chain", preset});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.err.find("preset.toml:4: preset \"Warm\": LSP Parametric Equalizer x16 Stereo has no presets"), std::string::npos) << r.err;
}

// The peer host: the same plugin with the same controls through ffmpeg's lv2 filter (lilv
// as well) gives the same samples as Bounce's lv2 insert.
TEST_F(Lv2Inserts, SoundsAsFfmpegsLv2FilterHostsTheSamePlugin) {
    if (!lspInstalled()) GTEST_SKIP() << "lsp-plugins-lv2 not installed";
    if (runCommand({"ffmpeg", "-hide_banner", "-h", "filter=lv2"}).out.find("Filter lv2") == std::string::npos)
        GTEST_SKIP() << "this ffmpeg has no lv2 filter";
    const std::string chain = write("bell.toml", "[[insert]]\ntype = \"lv2\"\nuri = \"" + kLspEq +
                                                     "\"\n[insert.params]\nft_0 = 1\nfm_0 = 1\nf_0 = 1000.0\ng_0 = 2.0\nq_0 = 1.0\n");
    ASSERT_EQ(runCommand({kBounce, "process", dir_ + "/noise.wav", "-o", dir_ + "/bell.wav", "--chain", chain}).exitCode, 0);
    std::string uri = kLspEq;
    uri.replace(uri.find(':'), 1, "\\:");
    const auto r = runCommand({"ffmpeg", "-nostdin", "-v", "error", "-y", "-i", dir_ + "/noise.wav", "-af",
                               "lv2=p='" + uri + "':c=ft_0=1|fm_0=1|f_0=1000|g_0=2|q_0=1", "-c:a", "pcm_f32le", dir_ + "/bell-ffmpeg.wav"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const AudioBuffer ours = readWholeFile(dir_ + "/bell.wav"), theirs = readWholeFile(dir_ + "/bell-ffmpeg.wav"),
                      input = readWholeFile(dir_ + "/noise.wav");
    ASSERT_EQ(ours.frames(), theirs.frames());
    EXPECT_LT(largestDifference(ours.view(), theirs.view()), 1e-6);
    EXPECT_GT(largestDifference(ours.view(), input.view()), 0.01) << "the bell did nothing";
}

// `bounce plugins --state URI --preset P` prints a state that an insert's state_file takes
// back: the same render as naming the preset.
TEST_F(Lv2Inserts, APrintedStateIsAStateFile) {
    const std::string fat1 = "http://gareus.org/oss/lv2/fat1";
    if (!fs::exists("/usr/lib/lv2/fat1.lv2")) GTEST_SKIP() << "x42-plugins not installed";
    const auto printed = runCommand({kBounce, "plugins", "--state", fat1, "--preset", "Slightly Corrected"});
    ASSERT_EQ(printed.exitCode, 0) << printed.err;
    std::ofstream(dir_ + "/fat1.ttl") << printed.out;
    const std::string byFile = write("by-file.toml", "[[insert]]\ntype = \"lv2\"\nuri = \"" + fat1 + "\"\nstate_file = \"fat1.ttl\"\n");
    const std::string byPreset =
        write("by-preset.toml", "[[insert]]\ntype = \"lv2\"\nuri = \"" + fat1 + "\"\npreset = \"Slightly Corrected\"\n");
    ASSERT_EQ(runCommand({kBounce, "process", dir_ + "/noise.wav", "-o", dir_ + "/by-file.wav", "--chain", byFile}).exitCode, 0);
    ASSERT_EQ(runCommand({kBounce, "process", dir_ + "/noise.wav", "-o", dir_ + "/by-preset.wav", "--chain", byPreset}).exitCode, 0);
    const AudioBuffer a = readWholeFile(dir_ + "/by-file.wav"), b = readWholeFile(dir_ + "/by-preset.wav");
    ASSERT_EQ(a.frames(), b.frames());
    EXPECT_EQ(largestDifference(a.view(), b.view()), 0.0);
    const auto unknown = runCommand({kBounce, "plugins", "--state", "http://example.org/none"});
    EXPECT_NE(unknown.exitCode, 0);
    EXPECT_NE(unknown.err.find("no LV2 plugin http://example.org/none is installed"), std::string::npos) << unknown.err;
}

// x42's digital peak limiter (dpl) in its true-peak mode, hosted as an insert, and Bounce's
// limiter, both at -1 dBTP on the same hot programme (pink noise at -8 dB RMS), both
// measured against the ideal band-limited reconstruction (not either's meter). The finding:
// Bounce's holds its ceiling (-1.05 dBTP); x42's does not: -0.76 dBTP, 0.24 dB over (its
// true-peak detector oversamples 4x and its lookahead is 64 frames). Should x42 come to hold
// it, the second assertion says so and this statement is to be changed.
TEST_F(Lv2Inserts, X42sTruePeakLimiterAndBouncesMeasuredAgainstTheIdealReconstruction) {
    if (!x42Installed()) GTEST_SKIP() << "x42-plugins not installed";
    AudioBuffer hot = pinkishNoise(48000.0, 6.0, -8.0, 2, 9);
    writeFile(dir_ + "/hot.wav", hot.view(), 48000.0, SampleFormat::Float32);
    const std::string x42 =
        write("x42.toml", "[[insert]]\ntype = \"lv2\"\nuri = \"" + kX42Limiter + "\"\n[insert.params]\nthreshold = -1.0\ntruepeak = 1\n");
    const std::string ours = write("ours.toml", "[[insert]]\ntype = \"limiter\"\nceiling_dbtp = -1.0\n");
    ASSERT_EQ(runCommand({kBounce, "process", dir_ + "/hot.wav", "-o", dir_ + "/x42.wav", "--chain", x42}).exitCode, 0);
    ASSERT_EQ(runCommand({kBounce, "process", dir_ + "/hot.wav", "-o", dir_ + "/ours.wav", "--chain", ours}).exitCode, 0);
    const double x42Dbtp = idealTruePeakDbtp(readWholeFile(dir_ + "/x42.wav").view());
    const double oursDbtp = idealTruePeakDbtp(readWholeFile(dir_ + "/ours.wav").view());
    std::cout << "ideal true peak at a -1 dBTP ceiling: x42 dpl " << x42Dbtp << " dBTP, Bounce " << oursDbtp << " dBTP\n";
    EXPECT_LE(oursDbtp, -1.0) << "Bounce's limiter crossed its ceiling";
    EXPECT_GT(x42Dbtp, -1.0) << "x42's limiter now holds the ceiling too";
    EXPECT_LT(x42Dbtp, -0.5) << "x42's limiter did not limit to near its threshold";
}

}  // namespace
}  // namespace bounce::test
