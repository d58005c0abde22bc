// bounce check: the playback models against their documented curves (analog prototypes
// computed here from the documented parameters), QC findings on files with one defect
// each and on a clean one, mono loss, platform gains by libebur128.
#include "bounce/check.h"
#include "bounce/error.h"
#include "bounce/equalizer.h"
#include "bounce/sound_file.h"
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <complex>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numbers>

namespace bounce::test {
namespace {

namespace fs = std::filesystem;
using Complex = std::complex<double>;

// Analog prototypes (RBJ cookbook, Butterworth), magnitude in dB at f.
double butterworthDb(double f, double fc, int order, bool highPass) {
    const double x = highPass ? fc / f : f / fc;
    return -10.0 * std::log10(1.0 + std::pow(x, 2.0 * order));
}
double peakDb(double f, double f0, double gainDb, double q) {
    const Complex s(0.0, f / f0);
    const double a = std::pow(10.0, gainDb / 40.0);
    return 20.0 * std::log10(std::abs((s * s + s * (a / q) + 1.0) / (s * s + s / (a * q) + 1.0)));
}
double shelfDb(double f, double f0, double gainDb, bool low) {
    const Complex s(0.0, f / f0);
    const double a = std::pow(10.0, gainDb / 40.0), q = 0.7071, k = std::sqrt(a) / q;
    const Complex h = low ? a * (s * s + k * s + a) / (a * s * s + k * s + 1.0) : a * (a * s * s + k * s + 1.0) / (s * s + k * s + a);
    return 20.0 * std::log10(std::abs(h));
}

// The curves as docs/playback-systems.md states them.
double documentedDb(const std::string& system, double f) {
    if (system == "earbuds") return butterworthDb(f, 80, 2, true) + peakDb(f, 3000, 5, 1.5) + butterworthDb(f, 10000, 2, false);
    if (system == "phone") return butterworthDb(f, 300, 8, true) + peakDb(f, 3000, 6, 1.0) + butterworthDb(f, 12000, 2, false);
    if (system == "laptop") return butterworthDb(f, 180, 4, true) + peakDb(f, 4000, 4, 1.0) + butterworthDb(f, 15000, 2, false);
    if (system == "tv") return butterworthDb(f, 100, 4, true) + peakDb(f, 2500, 3, 1.0) + butterworthDb(f, 14000, 2, false);
    if (system == "car")
        return butterworthDb(f, 30, 2, true) + shelfDb(f, 80, 6, true) + peakDb(f, 250, -3, 1.4) + shelfDb(f, 8000, -2, false);
    if (system == "club") return butterworthDb(f, 30, 4, true) + shelfDb(f, 60, 6, true) + shelfDb(f, 10000, -2, false);
    return 0.0;
}

TEST(PlaybackSystems, EachModelFollowsItsDocumentedCurveWithinOneDecibel) {
    ASSERT_EQ(playbackSystems().size(), 6u);
    for (const auto& system : playbackSystems()) {
        Equalizer eq;
        eq.setParams(system.response);
        eq.prepare({48000.0, 512, 1});
        for (double f = 25.0; f <= 8000.0; f *= std::pow(2.0, 1.0 / 6.0)) {
            const double expected = documentedDb(system.name, f);
            if (expected < -40.0) continue;  // deep in a stop band the dB figure means little
            EXPECT_NEAR(eq.magnitudeDb(f), expected, 1.0) << system.name << " at " << f << " Hz";
        }
    }
}

class Check : public ::testing::Test {
protected:
    void SetUp() override { dir_ = makeTempDir("check"); }
    void TearDown() override {
        if (!std::getenv("BOUNCE_KEEP_TEST_FILES")) fs::remove_all(dir_);
    }
    // Pink noise with a 1 s fade out (a clean ending), stereo, partly correlated.
    AudioBuffer clean(double seconds, std::uint64_t seed) {
        AudioBuffer b = pinkishNoise(44100, seconds, -20.0, 2, seed);
        const AudioBuffer common = pinkishNoise(44100, seconds, -20.0, 1, seed + 100);
        const std::size_t n = b.frames(), fade = 44100;
        for (std::size_t i = 0; i < n; ++i) {
            const float g = i + fade > n ? static_cast<float>(n - i) / static_cast<float>(fade) : 1.0f;
            for (int c = 0; c < 2; ++c) b.channel(c)[i] = g * 0.5f * (b.channel(c)[i] + common.channel(0)[i]);
        }
        return b;
    }
    std::vector<std::string> codes(const std::string& name, const AudioBuffer& audio) {
        writeFile(dir_ + "/" + name, audio.view(), 44100);
        CheckSettings settings;
        settings.codecs = false;
        const CheckResult r = checkFile(dir_ + "/" + name, settings);
        std::vector<std::string> out;
        for (const auto& f : r.findings)
            if (f.severity != Severity::Info) out.push_back(f.code);
        return out;
    }
    std::string dir_;
};

bool has(const std::vector<std::string>& codes, const std::string& code) {
    return std::find(codes.begin(), codes.end(), code) != codes.end();
}

TEST_F(Check, EachDefectIsFlaggedAndACleanFileIsNot) {
    EXPECT_TRUE(codes("clean.wav", clean(8.0, 1)).empty());

    AudioBuffer inverted = clean(8.0, 2);
    for (std::size_t i = 0; i < inverted.frames(); ++i) inverted.channel(1)[i] = -inverted.channel(0)[i];
    EXPECT_TRUE(has(codes("inverted.wav", inverted), "inverted_polarity"));

    AudioBuffer dc = clean(8.0, 3);
    for (std::size_t i = 0; i < dc.frames(); ++i) dc.channel(0)[i] += 0.05f;
    EXPECT_TRUE(has(codes("dc.wav", dc), "dc_offset"));

    AudioBuffer clipped = clean(8.0, 4);
    for (std::size_t i = 44100; i < 44100 + 200; ++i) clipped.channel(0)[i] = 1.0f;
    EXPECT_TRUE(has(codes("clipped.wav", clipped), "clipping"));

    AudioBuffer cut = pinkishNoise(44100, 8.0, -20.0, 2, 5);  // no fade: stops mid-signal
    EXPECT_TRUE(has(codes("cut.wav", cut), "truncated_tail"));

    // Bass (a 60 Hz tone) with right = -left, the rest in phase.
    AudioBuffer bass = clean(8.0, 6);
    for (std::size_t i = 0; i < bass.frames(); ++i) {
        const float b = 0.1f * static_cast<float>(std::sin(2.0 * std::numbers::pi * 60.0 * static_cast<double>(i) / 44100.0)) *
                        std::min(1.0f, static_cast<float>(bass.frames() - i) / 44100.0f);
        bass.channel(0)[i] += b;
        bass.channel(1)[i] -= b;
    }
    const auto bassCodes = codes("bass.wav", bass);
    EXPECT_TRUE(has(bassCodes, "out_of_phase_bass"));
    EXPECT_FALSE(has(bassCodes, "inverted_polarity"));

    // 3 s of silence in the middle.
    AudioBuffer gap = clean(10.0, 7);
    for (std::size_t i = 3 * 44100; i < 6 * 44100; ++i)
        for (int c = 0; c < 2; ++c) gap.channel(c)[i] = 0.0f;
    EXPECT_TRUE(has(codes("gap.wav", gap), "long_silence"));
}

// --target passes or fails by the standards' own tolerances. EBU Tech 3341 case 1: a 1 kHz
// stereo sine at -23.0 dBFS reads -23.0 LUFS; so one at -22.6 dBFS is within R 128's 0.5 LU
// and one at -22.4 is not; ATSC A/85 allows 2 dB around -24; a peak over the ceiling fails.
TEST_F(Check, TargetVerdictsFollowTheStandardsTolerances) {
    const auto verdict = [&](double peakDbfs, const std::string& target) {
        const std::string name = "tone" + std::to_string(static_cast<int>(std::lround(-peakDbfs * 10))) + ".wav";
        AudioBuffer tone = sine(48000.0, 10.0, 1000.0, peakDbfs, 2);
        writeFile(dir_ + "/" + name, tone.view(), 48000.0, SampleFormat::Float32);
        CheckSettings settings;
        settings.codecs = false;
        settings.systems = {"phone"};
        settings.target = target;
        return *checkFile(dir_ + "/" + name, settings).verdict;
    };
    EXPECT_TRUE(verdict(-22.6, "ebu-r128").passes());
    const TargetVerdict loud = verdict(-22.4, "ebu-r128");
    EXPECT_FALSE(loud.passes());
    EXPECT_FALSE(loud.loudnessMet);
    EXPECT_TRUE(loud.peakMet);
    EXPECT_TRUE(verdict(-22.1, "atsc-a85").passes());
    EXPECT_FALSE(verdict(-21.9, "atsc-a85").passes());
    const TargetVerdict hot = verdict(-0.5, "spotify");  // -0.5 dBTP over Spotify's -1
    EXPECT_FALSE(hot.peakMet);
    EXPECT_NE(hot.why.back().find("over it"), std::string::npos) << hot.why.back();
    CheckSettings unknown;
    unknown.target = "radio-1";
    EXPECT_THROW(checkFile(dir_ + "/tone226.wav", unknown), ConfigError);
}

// The report's pictures read the physics: correlation +1 for identical channels, -1 for
// opposed ones, near 0 for independent noise; the vectorscope puts identical channels on
// its vertical (mid) axis and opposed ones on its horizontal (side) axis; the spectrogram
// reads a 1 kHz sine at -20 dBFS as -20 dBFS in its third-octave band.
TEST_F(Check, TheReportsPicturesReadThePhysics) {
    CheckSettings settings;
    settings.codecs = false;
    settings.playbackSystems = false;
    const auto viewsOf = [&](const std::string& name, const AudioBuffer& audio) {
        writeFile(dir_ + "/" + name, audio.view(), 44100, SampleFormat::Float32);
        return checkFile(dir_ + "/" + name, settings).views;
    };
    AudioBuffer same = pinkishNoise(44100, 4.0, -20.0, 2, 41), opposed = same;
    for (std::size_t i = 0; i < same.frames(); ++i) {
        same.channel(1)[i] = same.channel(0)[i];
        opposed.channel(1)[i] = -opposed.channel(0)[i];
    }
    const AudioBuffer independent = pinkishNoise(44100, 4.0, -20.0, 2, 42);
    const auto meanOf = [](const std::vector<float>& v) {
        double sum = 0.0;
        for (float x : v) sum += x;
        return sum / static_cast<double>(v.size());
    };
    const ProgrammeViews a = viewsOf("same.wav", same), b = viewsOf("opposed.wav", opposed), c = viewsOf("independent.wav", independent);
    EXPECT_NEAR(meanOf(a.correlation), 1.0, 1e-4);
    EXPECT_NEAR(meanOf(b.correlation), -1.0, 1e-4);
    EXPECT_NEAR(meanOf(c.correlation), 0.0, 0.1);
    // Identical channels: no side, so every sample in the middle column(s); opposed: the middle row(s).
    const int n = a.scopeSize;
    ASSERT_GT(n, 0);
    std::uint64_t onMidAxis = 0, onSideAxis = 0, total = 0;
    for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x) {
            total += a.scope[static_cast<std::size_t>(y * n + x)];
            if (std::abs(2 * x + 1 - n) <= 1) onMidAxis += a.scope[static_cast<std::size_t>(y * n + x)];
            if (std::abs(2 * y + 1 - n) <= 1) onSideAxis += b.scope[static_cast<std::size_t>(y * n + x)];
        }
    EXPECT_EQ(onMidAxis, total);
    EXPECT_EQ(onSideAxis, total);
    const ProgrammeViews tone = viewsOf("tone.wav", sine(44100, 4.0, 1000.0, -20.0, 2));
    const auto band = std::min_element(tone.spectrogramHz.begin(), tone.spectrogramHz.end(),
                                       [](double p, double q) { return std::fabs(p - 1000.0) < std::fabs(q - 1000.0); }) -
                      tone.spectrogramHz.begin();
    const auto& middle = tone.spectrogramDb[tone.spectrogramDb.size() / 2];
    EXPECT_NEAR(middle[static_cast<std::size_t>(band)], -20.0, 0.3)
        << "band " << band << " of " << middle.size() << " at " << tone.spectrogramHz[static_cast<std::size_t>(band)] << " Hz; columns "
        << tone.spectrogramDb.size();
    EXPECT_LT(middle[static_cast<std::size_t>(band) + 3], -60.0) << "a sine's power leaked an octave away";
}

TEST_F(Check, MonoLossAndPlatformGains) {
    // Identical channels lose nothing in mono; uncorrelated ones lose 3 dB.
    AudioBuffer same = pinkishNoise(44100, 6.0, -20.0, 1, 8);
    AudioBuffer dual(2, same.frames());
    for (int c = 0; c < 2; ++c) std::copy_n(same.channel(0), same.frames(), dual.channel(c));
    writeFile(dir_ + "/same.wav", dual.view(), 44100);
    writeFile(dir_ + "/wide.wav", pinkishNoise(44100, 6.0, -20.0, 2, 9).view(), 44100);
    CheckSettings all, phone;
    all.codecs = phone.codecs = false;
    phone.systems = {"phone"};
    const CheckResult a = checkFile(dir_ + "/same.wav", all);
    const CheckResult b = checkFile(dir_ + "/wide.wav", phone);
    for (std::size_t k = 1; k + 1 < octaveBandsHz().size(); ++k) {
        EXPECT_NEAR(a.monoLossDb[k], 0.0, 0.01) << octaveBandsHz()[k];
        EXPECT_NEAR(b.monoLossDb[k], -3.0, 0.5) << octaveBandsHz()[k];
    }
    ASSERT_EQ(b.systems.size(), 1u);
    EXPECT_LT(b.systems[0].bandGainDb[1], -40.0);  // a phone has nothing at 63 Hz
    // Each platform's gain by docs/targets.md's rules, from libebur128's reading: its target
    // minus the file's loudness; YouTube only turns down; the others turn up only as far as
    // the true peak allows under their ceiling.
    double rate = 0;
    const AudioBuffer audio = readWholeFile(dir_ + "/wide.wav", &rate);
    const auto reading = measureWithLibebur128(ConstAudioView(audio.view()), rate);
    for (const auto& p : b.platforms) {
        const LoudnessTarget* t = findLoudnessTarget(p.platform);
        ASSERT_NE(t, nullptr);
        double expected = t->integratedLufs - *reading.integratedLufs;
        if (p.platform == "youtube") expected = std::min(expected, 0.0);
        if (expected > 0.0) expected = std::min(expected, std::max(0.0, t->ceilingDbtp - reading.truePeakDbtp));
        EXPECT_NEAR(p.playbackGainDb, expected, 0.1) << p.platform;
    }
    EXPECT_EQ(b.platforms.size(), 7u) << "spotify, apple, youtube, tidal, amazon, deezer, soundcloud";
}

// Issue 20: a -16 LUFS master was reported "+2.0 dB" on YouTube, which only turns loud
// content down; bounce check and bounce master's report now read one rule.
TEST_F(Check, YouTubeDoesNotTurnAQuietMasterUp) {
    AudioBuffer quiet = clean(6.0, 31);
    double rate = 44100;
    const double lufs = *measureWithLibebur128(ConstAudioView(quiet.view()), rate).integratedLufs;
    const auto g = static_cast<float>(std::pow(10.0, (-16.0 - lufs) / 20.0));
    for (int c = 0; c < 2; ++c)
        for (std::size_t i = 0; i < quiet.frames(); ++i) quiet.channel(c)[i] *= g;
    writeFile(dir_ + "/minus16.wav", quiet.view(), 44100, SampleFormat::Float32);
    CheckSettings s;
    s.systems = {"car"};
    s.codecs = false;
    const CheckResult r = checkFile(dir_ + "/minus16.wav", s);
    bool sawYouTube = false;
    for (const auto& p : r.platforms) {
        if (p.platform == "youtube") {
            sawYouTube = true;
            EXPECT_EQ(p.playbackGainDb, 0.0);
        }
        if (p.platform == "apple") {  // its target is -16
            EXPECT_NEAR(p.playbackGainDb, 0.0, 0.05);
        }
    }
    EXPECT_TRUE(sawYouTube);
}

// A version of a file with +1 dB at 5 kHz (and 1234 frames of extra lead-in) is lined up
// to the frame, and the change is reported where it is: +1 dB in the 5 kHz third-octave
// band (the EQ's own response there), nothing at 250 Hz, no width change.
TEST_F(Check, VersionComparisonFindsALineUpAndTheChange) {
    const AudioBuffer original = clean(12.0, 11);
    writeFile(dir_ + "/v1.wav", original.view(), 44100);
    EqParams p;
    p.bands[0] = {EqBandType::Peak, 5000.0, 1.0, 1.0, 12, true};
    p.bandCount = 1;
    Equalizer eq;
    eq.setParams(p);
    eq.prepare({44100.0, static_cast<int>(original.frames()), 2});
    AudioBuffer boosted(2, original.frames());
    for (int c = 0; c < 2; ++c) std::copy_n(original.channel(c), original.frames(), boosted.channel(c));
    eq.process(boosted.view());
    const AudioBuffer lead(2, 1234);
    writeFile(dir_ + "/v2.wav", concatenate({&lead, &boosted}).view(), 44100);
    CheckSettings s;
    s.systems = {"car"};
    s.codecs = false;
    s.againstPath = dir_ + "/v2.wav";
    const CheckResult r = checkFile(dir_ + "/v1.wav", s);
    ASSERT_TRUE(r.against);
    const VersionComparison& v = *r.against;
    EXPECT_EQ(v.lagFrames, 1234);
    for (std::size_t b = 0; b < v.thirdOctaveHz.size(); ++b) {
        if (std::fabs(v.thirdOctaveHz[b] - 5011.9) < 1.0) {
            EXPECT_NEAR(v.thirdOctaveChangeDb[b], -eq.magnitudeDb(5000.0), 0.1);  // v1 has less at 5 kHz than v2
        }
        if (std::fabs(v.thirdOctaveHz[b] - 251.2) < 1.0) {
            EXPECT_NEAR(v.thirdOctaveChangeDb[b], 0.0, 0.05);
        }
    }
    EXPECT_NEAR(v.widthChangeDb, 0.0, 0.05);
    EXPECT_LT(*v.loudnessChangeLu, 0.0);  // v1 is the quieter: IN relative to OTHER
    // Lined up, the difference is the EQ's alone: far below the signal.
    EXPECT_LT(v.nullResidualDbfs, -30.0);

    // Against itself: silence.
    s.againstPath = dir_ + "/v1.wav";
    const CheckResult same = checkFile(dir_ + "/v1.wav", s);
    EXPECT_EQ(same.against->lagFrames, 0);
    EXPECT_LT(same.against->nullResidualDbfs, -150.0);
}

// The sign of --against (issue 20): IN relative to OTHER. A copy made 0.9x quieter, checked
// against its original, is 20 log10(0.9) = -0.915 LU and dB in every band, not +.
TEST_F(Check, AgainstReportsTheInputRelativeToTheOther) {
    AudioBuffer original = clean(6.0, 21);
    writeFile(dir_ + "/original.wav", original.view(), 44100, SampleFormat::Float32);
    for (int c = 0; c < 2; ++c)
        for (std::size_t i = 0; i < original.frames(); ++i) original.channel(c)[i] *= 0.9f;
    writeFile(dir_ + "/quieter.wav", original.view(), 44100, SampleFormat::Float32);
    CheckSettings s;
    s.systems = {"car"};
    s.codecs = false;
    s.againstPath = dir_ + "/original.wav";
    const CheckResult r = checkFile(dir_ + "/quieter.wav", s);
    ASSERT_TRUE(r.against);
    const double expected = 20.0 * std::log10(0.9);
    EXPECT_NEAR(*r.against->loudnessChangeLu, expected, 0.01);
    for (std::size_t k = 1; k + 1 < r.against->bandChangeDb.size(); ++k) EXPECT_NEAR(r.against->bandChangeDb[k], expected, 0.01) << k;
    EXPECT_NEAR(r.against->widthChangeDb, 0.0, 0.01);
    EXPECT_NEAR(r.against->matchedGainDb, expected, 0.01) << "the gain on OTHER that matches it to IN";
}

// The HTML report renders in headless Chromium with no console messages, every chart is
// there with data, the JSON and the page carry the same numbers, and a screenshot is kept.
TEST_F(Check, HtmlReportRendersInChromiumAndAgreesWithJson) {
    std::string browser;
    for (const char* name : {"chromium", "chromium-browser"})
        if (haveTool(name)) browser = name;
    if (browser.empty())
        GTEST_SKIP()
            << "Chromium is not installed (apt-get install chromium; scripts/install-deps.sh does): the HTML report is not rendered";
    AudioBuffer audio = clean(6.0, 12);
    for (std::size_t i = 44100; i < 44100 + 50; ++i) audio.channel(0)[i] = 1.0f;  // a clip to mark
    writeFile(dir_ + "/in.wav", audio.view(), 44100);
    writeFile(dir_ + "/v2.wav", clean(6.0, 12).view(), 44100);
    const auto r = runCommand({BOUNCE_CLI, "check", dir_ + "/in.wav", "--no-codecs", "--against", dir_ + "/v2.wav", "--report",
                               dir_ + "/report.html", "--json", dir_ + "/report.json"});
    ASSERT_EQ(r.exitCode, 1) << r.err;  // clipping is an error finding
    const std::vector<std::string> flags = {"--headless",
                                            "--no-sandbox",
                                            "--disable-gpu",
                                            "--disable-quic",
                                            "--no-first-run",
                                            "--disable-background-networking",
                                            "--disable-component-update",
                                            "--disable-sync",
                                            "--user-data-dir=" + dir_ + "/profile",
                                            "--enable-logging=stderr",
                                            "--v=0"};
    std::vector<std::string> dump{browser};
    dump.insert(dump.end(), flags.begin(), flags.end());
    dump.push_back("--dump-dom");
    dump.push_back("file://" + dir_ + "/report.html");
    const auto page = runCommand(dump);
    ASSERT_EQ(page.exitCode, 0) << page.err;
    EXPECT_EQ(page.err.find("CONSOLE"), std::string::npos) << page.err;
    const std::string& dom = page.out;
    for (const char* id : {"chart-loudness", "chart-spectrum", "chart-waveform", "chart-stereo"}) {
        const std::size_t at = dom.find(std::string("id=\"") + id + "\"");
        ASSERT_NE(at, std::string::npos) << id;
        const std::size_t points = dom.find("data-points=\"", at);
        ASSERT_NE(points, std::string::npos) << id;
        EXPECT_GT(std::stoi(dom.substr(points + 13)), 0) << id << " has no data";
        const std::size_t end = dom.find("</section>", at);
        const std::string section = dom.substr(at, end - at);
        EXPECT_TRUE(section.find("<polyline") != std::string::npos || section.find("<path") != std::string::npos ||
                    section.find("class=\"bar\"") != std::string::npos)
            << id;
    }
    EXPECT_NE(dom.find("class=\"marker clip\""), std::string::npos);  // the clip is marked on the waveform
    for (const char* id : {"id=\"systems\"", "id=\"platforms\"", "id=\"against\"", "id=\"findings\""})
        EXPECT_NE(dom.find(id), std::string::npos) << id;

    // The same numbers: loudness and true peak in the summary, every finding's code.
    std::ifstream in(dir_ + "/report.json");
    const auto j = nlohmann::json::parse(in);
    char shown[96];
    std::snprintf(shown, sizeof shown, "data-key=\"integrated_lufs\" data-value=\"%.1f\"", j["analysis"]["integrated_lufs"].get<double>());
    EXPECT_NE(dom.find(shown), std::string::npos) << shown;
    std::snprintf(shown, sizeof shown, "data-key=\"true_peak_dbtp\" data-value=\"%.2f\"", j["analysis"]["true_peak_dbtp"].get<double>());
    EXPECT_NE(dom.find(shown), std::string::npos) << shown;
    for (const auto& f : j["findings"])
        EXPECT_NE(dom.find("data-code=\"" + f["code"].get<std::string>() + "\""), std::string::npos) << f["code"];

    std::vector<std::string> shot{browser};
    shot.insert(shot.end(), flags.begin(), flags.end());
    shot.push_back("--window-size=900,2200");
    shot.push_back("--screenshot=" + dir_ + "/report.png");
    shot.push_back("file://" + dir_ + "/report.html");
    ASSERT_EQ(runCommand(shot).exitCode, 0);
    EXPECT_GT(fs::file_size(dir_ + "/report.png"), 10000u);
    if (const char* keep = std::getenv("BOUNCE_REPORT_SCREENSHOT"))
        fs::copy_file(dir_ + "/report.png", keep, fs::copy_options::overwrite_existing);
}

// A master right at full scale: after a lossy round trip (ffmpeg's AAC) the decoded file
// goes over; a quiet one does not.
TEST_F(Check, LossyRoundTripOversAreFlagged) {
    if (!haveTool("ffmpeg")) GTEST_SKIP() << "ffmpeg is not installed: the codec round trips are not run";
    AudioBuffer hot = pinkishNoise(44100, 6.0, -8.0, 2, 13);
    float peak = 0;
    for (int c = 0; c < 2; ++c)
        for (std::size_t i = 0; i < hot.frames(); ++i) peak = std::max(peak, std::fabs(hot.channel(c)[i]));
    for (int c = 0; c < 2; ++c)
        for (std::size_t i = 0; i < hot.frames(); ++i)
            hot.channel(c)[i] = std::clamp(hot.channel(c)[i] * (0.99f / peak) * 1.5f, -0.99f, 0.99f);
    writeFile(dir_ + "/hot.wav", hot.view(), 44100);
    CheckSettings s;
    s.systems = {"car"};
    const CheckResult r = checkFile(dir_ + "/hot.wav", s);
    ASSERT_FALSE(r.codecs.empty());
    ASSERT_TRUE(r.codecs.front().available) << "ffmpeg's AAC encoder";
    EXPECT_GT(*r.codecs.front().truePeakDbtp, 0.0);
    EXPECT_TRUE(std::any_of(r.findings.begin(), r.findings.end(), [](const Finding& f) { return f.code == "codec_over"; }));
    writeFile(dir_ + "/quiet.wav", clean(6.0, 14).view(), 44100);
    const CheckResult q = checkFile(dir_ + "/quiet.wav", s);
    EXPECT_FALSE(std::any_of(q.findings.begin(), q.findings.end(), [](const Finding& f) { return f.code == "codec_over"; }));
}

TEST_F(Check, CommandWritesPreviewsAndJson) {
    writeFile(dir_ + "/in.wav", clean(5.0, 10).view(), 44100);
    const auto r = runCommand({BOUNCE_CLI, "check", dir_ + "/in.wav", "--no-codecs", "--systems", "phone,car", "--preview", dir_ + "/prev",
                               "--json", dir_ + "/c.json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    std::ifstream in(dir_ + "/c.json");
    const auto j = nlohmann::json::parse(in);
    ASSERT_EQ(j["systems"].size(), 2u);
    for (const auto& s : j["systems"]) {
        ASSERT_TRUE(fs::exists(s["preview"].get<std::string>()));
        SoundFileReader preview(s["preview"].get<std::string>());
        EXPECT_EQ(preview.info().frames, 5 * 44100) << s["name"];  // aligned, same length as the input
    }
    const auto bad = runCommand({BOUNCE_CLI, "check", dir_ + "/in.wav", "--systems", "bicycle"});
    EXPECT_EQ(bad.exitCode, 2);
    EXPECT_NE(bad.err.find("bicycle"), std::string::npos);
}

}  // namespace
}  // namespace bounce::test
