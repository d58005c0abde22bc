// SpectrumProfile: the long-term third-octave mid/side profile used for reference matching.
// The properties: a known EQ applied to a programme shows up as the difference of the two
// profiles; a known width change shows up in the side/mid ratio; a level change moves
// every band by the same amount and leaves the spectral distance at zero.
#include "bounce/analysis.h"
#include "bounce/equalizer.h"
#include "bounce/linear_phase_eq.h"
#include "bounce/error.h"
#include "bounce/spectrum_profile.h"
#include "bounce/stereo.h"
#include "signals.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

namespace bounce::test {
namespace {

constexpr double kRate = 48000.0;

// The colouring EQ, to read its response from its coefficients (Equalizer::magnitudeDb
// evaluates the applied biquads in closed form; tests/dsp checks it against the RBJ and
// Vicanek formulas).
Equalizer preparedColouringEq() {
    Equalizer eq;
    eq.setParams(colouringEq());
    eq.prepare({kRate, 16, 1});
    return eq;
}

// Band-averaged response (mean power over the third-octave band) of an equaliser, dB.
double bandResponseDb(const Equalizer& eq, double centreHz) {
    double sum = 0;
    const int n = 64;
    for (int i = 0; i < n; ++i) {
        const double f = centreHz * std::pow(2.0, (static_cast<double>(i) / (n - 1) - 0.5) / 3.0);
        sum += std::pow(10.0, eq.magnitudeDb(f) / 10.0);
    }
    return 10.0 * std::log10(sum / n);
}

class SpectrumProfileTest : public ::testing::Test {
protected:
    void SetUp() override { dir_ = makeTempDir("spectrum_profile"); }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string dir_;
};

TEST_F(SpectrumProfileTest, RecoversAKnownEqAndWidthChange) {
    // Decorrelated programme-like noise: mid and side carry equal power.
    const auto input = pinkishNoise(kRate, 20.0, -20.0, 2, 11);
    const auto coloured = colourAndNarrow(input, kRate);
    const auto eq = preparedColouringEq();
    writeFile(dir_ + "/in.wav", input.view(), kRate);
    writeFile(dir_ + "/ref.wav", coloured.view(), kRate);

    const auto in = analyzeSpectrumProfile(dir_ + "/in.wav");
    const auto ref = analyzeSpectrumProfile(dir_ + "/ref.wav");
    ASSERT_EQ(in.bandHz.size(), ref.bandHz.size());
    ASSERT_GT(in.framesUsed, 400u);
    int checked = 0;
    for (std::size_t b = 0; b < in.bandHz.size(); ++b) {
        const double f = in.bandHz[b];
        if (f < 60.0 || f > 12500.0) continue;
        // Mid is only equalised; the side is equalised and halved (-6.02 dB).
        EXPECT_NEAR(ref.midDb[b] - in.midDb[b], bandResponseDb(eq, f), 1.0) << f << " Hz";
        EXPECT_NEAR(ref.sideDb[b] - in.sideDb[b], bandResponseDb(eq, f) - 6.02, 1.0) << f << " Hz";
        ++checked;
    }
    EXPECT_GE(checked, 20);
    EXPECT_NEAR(in.overallWidth(), 1.0, 0.1);
    EXPECT_NEAR(ref.overallWidth() / in.overallWidth(), 0.25, 0.025);  // width 0.5 -> side power x 1/4
    EXPECT_GT(spectralDistanceDb(in, ref), 1.0);
}

TEST_F(SpectrumProfileTest, MatchCurveUndoesAKnownEqAndNarrowing) {
    // The synthetic case: colour and narrow a programme, use the original as the
    // reference: the match must be the inverse EQ (within 1 dB per band, level aside)
    // and widen the side by 2x (within 10 %).
    const auto original = pinkishNoise(kRate, 20.0, -20.0, 2, 21);
    const auto coloured = colourAndNarrow(original, kRate);
    const auto eq = preparedColouringEq();
    writeFile(dir_ + "/original.wav", original.view(), kRate);
    writeFile(dir_ + "/coloured.wav", coloured.view(), kRate);
    const auto input = analyzeSpectrumProfile(dir_ + "/coloured.wav");
    const auto reference = analyzeSpectrumProfile(dir_ + "/original.wav");
    const auto match = matchToReference(input, reference, {});

    std::vector<double> got, want;
    for (std::size_t b = 0; b < match.bandHz.size(); ++b) {
        if (match.bandHz[b] < 60.0 || match.bandHz[b] > 12500.0) continue;
        got.push_back(match.toneDb[b]);
        want.push_back(-bandResponseDb(eq, match.bandHz[b]));
    }
    const auto mean = [](const std::vector<double>& v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.size();
    };
    const double gotMean = mean(got), wantMean = mean(want);
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i] - gotMean, want[i] - wantMean, 1.0) << i;
    for (std::size_t b = 0; b < match.bandHz.size(); ++b) {
        if (match.bandHz[b] < 120.0 || match.bandHz[b] > 12500.0) continue;
        // Side against mid in amplitude: 2x, whatever the split between them.
        EXPECT_NEAR(std::pow(10.0, (match.sideWidthDb[b] - match.midWidthDb[b]) / 20.0), 2.0, 0.2) << match.bandHz[b] << " Hz";
        EXPECT_NEAR(match.widthChangeDb[b], 6.02, 0.83) << match.bandHz[b] << " Hz";
    }
    EXPECT_GT(match.distanceDb, 1.0);

    // Amounts scale the curves; zero leaves everything flat.
    const auto none = matchToReference(input, reference, {0.0, 0.0, 1.0, 0.5});
    for (std::size_t b = 0; b < none.bandHz.size(); ++b) {
        EXPECT_EQ(none.toneDb[b], 0.0);
        EXPECT_EQ(none.sideWidthDb[b], 0.0);
        EXPECT_EQ(none.midWidthDb[b], 0.0);
    }
    const auto half = matchToReference(input, reference, {0.5, 0.5, 1.0, 0.5});
    for (std::size_t b = 0; b < half.bandHz.size(); ++b) EXPECT_NEAR(half.toneDb[b], 0.5 * match.toneDb[b], 1e-9);

    // The predicted loudness change of the curves is what applying them does (BS.1770).
    MidSideCurveEq apply;
    apply.setParams(match.curveEqParams());
    apply.prepare({kRate, 4096, 2});
    auto matched = coloured;
    for (std::size_t i = 0; i < matched.frames(); i += 4096)
        apply.process(matched.view().subView(i, std::min<std::size_t>(4096, matched.frames() - i)));
    writeFile(dir_ + "/matched.wav", matched.view(), kRate);
    const double actual = *analyzeFile(dir_ + "/matched.wav").integratedLufs - *input.integratedLufs;
    EXPECT_NEAR(match.predictedLoudnessChangeDb(input), actual, 0.2);
}

TEST_F(SpectrumProfileTest, AverageOfReferencesIgnoresTheirLevels) {
    const auto a = pinkishNoise(kRate, 10.0, -20.0, 2, 31);
    auto louder = a;
    scale(louder, 0, louder.frames(), dbToLinear(8.0));
    writeFile(dir_ + "/a.wav", a.view(), kRate);
    writeFile(dir_ + "/loud.wav", louder.view(), kRate);
    const auto pa = analyzeSpectrumProfile(dir_ + "/a.wav");
    const auto pl = analyzeSpectrumProfile(dir_ + "/loud.wav");
    const auto avg = averageProfiles({pa, pl});
    EXPECT_NEAR(*avg.integratedLufs, *pa.integratedLufs + 4.0, 0.01);
    EXPECT_LT(spectralDistanceDb(avg, pa), 0.01);
    EXPECT_NEAR(avg.overallWidth(), pa.overallWidth(), 1e-6);
}

TEST_F(SpectrumProfileTest, LevelChangeMovesEveryBandAndLeavesDistanceZero) {
    const auto input = pinkishNoise(kRate, 10.0, -20.0, 2, 3);
    auto louder = input;
    scale(louder, 0, louder.frames(), dbToLinear(6.0));
    writeFile(dir_ + "/a.wav", input.view(), kRate);
    writeFile(dir_ + "/b.wav", louder.view(), kRate);
    const auto a = analyzeSpectrumProfile(dir_ + "/a.wav");
    const auto b = analyzeSpectrumProfile(dir_ + "/b.wav");
    for (std::size_t i = 0; i < a.bandHz.size(); ++i) EXPECT_NEAR(b.midDb[i] - a.midDb[i], 6.0, 0.01);
    EXPECT_NEAR(*b.integratedLufs - *a.integratedLufs, 6.0, 0.01);
    EXPECT_NEAR(*a.crestDb, *b.crestDb, 0.01);
    EXPECT_LT(spectralDistanceDb(a, b), 0.01);
}

TEST_F(SpectrumProfileTest, QuietPartsDoNotColourTheAverage) {
    // A loud programme with a long quiet intro of a different colour (a 100 Hz tone):
    // the relative gate keeps the intro out, so the profile matches the loud part alone.
    const auto intro = sine(kRate, 10.0, 100.0, -30.0);
    const auto body = pinkishNoise(kRate, 10.0, -20.0, 2, 5);
    const auto whole = concatenate({&intro, &body});
    writeFile(dir_ + "/whole.wav", whole.view(), kRate);
    writeFile(dir_ + "/body.wav", body.view(), kRate);
    const auto a = analyzeSpectrumProfile(dir_ + "/whole.wav");
    const auto b = analyzeSpectrumProfile(dir_ + "/body.wav");
    // Band for band, at the same absolute level: an ungated average would sit 3 dB lower
    // (half the frames are the intro) and carry the tone at 100 Hz.
    ASSERT_EQ(a.bandHz.size(), b.bandHz.size());
    for (std::size_t i = 0; i < a.bandHz.size(); ++i) {
        if (a.bandHz[i] < 40.0) continue;
        EXPECT_NEAR(a.midDb[i], b.midDb[i], 0.3) << a.bandHz[i] << " Hz";
    }
    EXPECT_LT(spectralDistanceDb(a, b), 0.2);
}

TEST_F(SpectrumProfileTest, SampleRatesCompareBandForBand) {
    const auto a48 = pinkishNoise(48000, 10.0, -20.0, 2, 9);
    writeFile(dir_ + "/a48.wav", a48.view(), 48000);
    const auto a44 = pinkishNoise(44100, 10.0, -20.0, 2, 9);
    writeFile(dir_ + "/a44.wav", a44.view(), 44100);
    const auto p48 = analyzeSpectrumProfile(dir_ + "/a48.wav");
    const auto p44 = analyzeSpectrumProfile(dir_ + "/a44.wav");
    EXPECT_GT(p48.bandHz.back(), 19000.0);
    EXPECT_LT(spectralDistanceDb(p48, p44), 1.0);
}

TEST_F(SpectrumProfileTest, MonoAndSilentFiles) {
    const auto mono = pinkishNoise(kRate, 5.0, -20.0, 1, 4);
    writeFile(dir_ + "/mono.wav", mono.view(), kRate);
    const auto m = analyzeSpectrumProfile(dir_ + "/mono.wav");
    EXPECT_LT(m.overallWidth(), 1e-6);
    AudioBuffer silence(2, 48000 * 3);
    writeFile(dir_ + "/silence.wav", silence.view(), kRate);
    const auto s = analyzeSpectrumProfile(dir_ + "/silence.wav");
    EXPECT_FALSE(s.integratedLufs.has_value());
    EXPECT_EQ(s.framesUsed, 0u);
    EXPECT_THROW(analyzeSpectrumProfile(dir_ + "/missing.wav"), Error);
}

}  // namespace
}  // namespace bounce::test
