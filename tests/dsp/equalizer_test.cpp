// Filters and the equaliser: measured response (impulse response, DTFT) against the
// analytic magnitudeDb() within 0.1 dB from 20 Hz to 20 kHz at 44.1, 48 and 96 kHz.
#include "bounce/equalizer.h"
#include "bounce/simd.h"
#include "signals.h"
#include "spectrum.h"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>

namespace bounce::test {
namespace {

EqParams oneBand(EqBandType type, double freqHz, double gainDb, double q, int slope = 12, bool matched = true) {
    EqParams p;
    p.bands[0] = {type, freqHz, gainDb, q, slope, true};
    p.bandCount = 1;
    p.matched = matched;
    return p;
}

struct NamedEq {
    const char* name;
    EqParams params;
};

std::vector<NamedEq> filterCases() {
    std::vector<NamedEq> cases;
    for (bool matched : {true, false}) {
        const auto add = [&](const char* name, EqParams p) {
            p.matched = matched;
            cases.push_back({name, p});
        };
        add("peak 100 Hz +6 dB Q1", oneBand(EqBandType::Peak, 100, 6, 1));
        add("peak 1 kHz -9 dB Q4", oneBand(EqBandType::Peak, 1000, -9, 4));
        add("peak 12 kHz +4 dB Q0.7", oneBand(EqBandType::Peak, 12000, 4, 0.7));
        add("low shelf 200 Hz +6", oneBand(EqBandType::LowShelf, 200, 6, 0.7071));
        add("high shelf 8 kHz -6", oneBand(EqBandType::HighShelf, 8000, -6, 0.7071));
        add("lowpass 1 kHz 12", oneBand(EqBandType::LowPass, 1000, 0, 0.7071, 12));
        add("lowpass 5 kHz 48", oneBand(EqBandType::LowPass, 5000, 0, 0.7071, 48));
        add("lowpass 300 Hz 6", oneBand(EqBandType::LowPass, 300, 0, 0.7071, 6));
        add("highpass 80 Hz 24", oneBand(EqBandType::HighPass, 80, 0, 0.7071, 24));
        add("highpass 30 Hz 48", oneBand(EqBandType::HighPass, 30, 0, 0.7071, 48));
        add("highpass 1 kHz 18", oneBand(EqBandType::HighPass, 1000, 0, 0.7071, 18));
        add("bandpass 2 kHz Q2", oneBand(EqBandType::BandPass, 2000, 0, 2));
        add("notch 1 kHz Q5", oneBand(EqBandType::Notch, 1000, 0, 5));
        add("tilt +3 dB at 1 kHz", oneBand(EqBandType::Tilt, 1000, 3, 0.7071));
    }
    EqParams multi;
    multi.bands[0] = {EqBandType::HighPass, 40, 0, 0.7071, 24, true};
    multi.bands[1] = {EqBandType::Peak, 250, -3, 1.2, 12, true};
    multi.bands[2] = {EqBandType::Peak, 3000, 2, 0.8, 12, true};
    multi.bands[3] = {EqBandType::HighShelf, 10000, 1.5, 0.7071, 12, true};
    multi.bandCount = 4;
    cases.push_back({"4-band master EQ", multi});
    return cases;
}

TEST(Equalizer, MeasuredResponseMatchesAnalyticWithinATenthOfADecibel) {
    for (double rate : {44100.0, 48000.0, 96000.0}) {
        for (const auto& c : filterCases()) {
            Equalizer eq;
            eq.setParams(c.params);
            eq.prepare({rate, 4096, 1});
            const auto ir = impulseResponse(eq, 1, rate >= 96000 ? 1 << 18 : 1 << 17);
            for (double f = 20.0; f <= 20000.0; f *= std::pow(2.0, 1.0 / 12.0)) {
                const double analytic = eq.magnitudeDb(f);
                if (analytic < -80.0) continue;  // below the float noise floor of the measurement
                EXPECT_NEAR(responseDb(ir, f, rate), analytic, 0.1)
                    << c.name << (c.params.matched ? " (matched)" : " (RBJ)") << " at " << f << " Hz, fs " << rate;
            }
        }
    }
}

TEST(Equalizer, HighPass80HzAt24DbPerOctaveIsMinus24At40Hz) {
    for (double rate : {44100.0, 48000.0, 96000.0}) {
        Equalizer eq;
        eq.setParams(oneBand(EqBandType::HighPass, 80, 0, 0.7071, 24));
        eq.prepare({rate, 4096, 1});
        const auto ir = impulseResponse(eq, 1, 1 << 17);
        EXPECT_NEAR(responseDb(ir, 40.0, rate), -24.0, 0.5) << rate;
        EXPECT_NEAR(responseDb(ir, 80.0, rate), -3.01, 0.1) << rate;
        EXPECT_NEAR(responseDb(ir, 1000.0, rate), 0.0, 0.01) << rate;
    }
}

// Vicanek's matched designs keep a bell's shape near Nyquist where the bilinear
// transform squeezes it: compare both to the analog prototype.
TEST(Equalizer, MatchedPeakFollowsTheAnalogPrototypeNearNyquist) {
    const double rate = 44100.0, f0 = 16000.0, q = 1.0, gainDb = 6.0;
    const double g = std::pow(10.0, gainDb / 20.0);
    const auto analogDb = [&](double f) {
        const std::complex<double> s(0.0, f / f0);
        return 20 * std::log10(std::abs((s * s + s * g / q + 1.0) / (s * s + s / q + 1.0)));
    };
    double matchedWorst = 0, rbjWorst = 0;
    for (double f = 10000.0; f <= 20000.0; f += 250.0) {
        matchedWorst =
            std::max(matchedWorst, std::fabs(designBiquad(FilterType::Peak, f0, q, gainDb, rate, true).magnitudeDb(f, rate) - analogDb(f)));
        rbjWorst =
            std::max(rbjWorst, std::fabs(designBiquad(FilterType::Peak, f0, q, gainDb, rate, false).magnitudeDb(f, rate) - analogDb(f)));
    }
    EXPECT_LT(matchedWorst, 1.5);
    EXPECT_LT(matchedWorst, rbjWorst / 2);
    // Both hit the requested gain at the centre.
    EXPECT_NEAR(designBiquad(FilterType::Peak, f0, q, gainDb, rate, true).magnitudeDb(f0, rate), gainDb, 0.01);
}

TEST(Equalizer, MatchedLowAndHighPassFollowTheirAnalogPrototypes) {
    const double rate = 48000.0;
    for (double f0 : {100.0, 1000.0, 10000.0}) {
        for (double f = 20.0; f < 20000.0; f *= 1.1) {
            const std::complex<double> s(0.0, f / f0);
            const double q = 0.7071;
            const double lp = 20 * std::log10(std::abs(1.0 / (s * s + s / q + 1.0)));
            const double hp = 20 * std::log10(std::abs(s * s / (s * s + s / q + 1.0)));
            // Matched at DC and the corner (and, for the high-pass, Nyquist): within 1 dB
            // everywhere the response is above -40 dB.
            if (lp > -40) {
                EXPECT_NEAR(designBiquad(FilterType::LowPass, f0, q, 0, rate, true).magnitudeDb(f, rate), lp, 1.0) << f0 << " " << f;
            }
            if (hp > -40) {
                EXPECT_NEAR(designBiquad(FilterType::HighPass, f0, q, 0, rate, true).magnitudeDb(f, rate), hp, 1.0) << f0 << " " << f;
            }
        }
    }
}

}  // namespace
}  // namespace bounce::test

namespace bounce::test {
namespace {

// Equalisers run across (Equalizer::processAcross, and through it a mix's tracks side by
// side) give each one's own result bit for bit: mono and stereo, 1 to 5 sections (5 runs
// alone), one still gliding to new settings, on either vector width.
TEST(Equalizer, RunAcrossEqualsEachAloneBitForBit) {
    const auto eqWith = [](std::initializer_list<EqBand> bands) {
        EqParams p;
        for (const auto& b : bands) p.bands[static_cast<std::size_t>(p.bandCount++)] = b;
        return p;
    };
    const std::vector<EqParams> settings = {
        eqWith({{EqBandType::HighPass, 60, 0, 0.7071, 12, true}, {EqBandType::Peak, 2500, 2, 1.0, 12, true}}),
        eqWith({{EqBandType::Peak, 300, -3, 2.0, 12, true}}),
        eqWith({{EqBandType::LowShelf, 120, 3, 0.7071, 12, true}, {EqBandType::HighPass, 40, 0, 0.7071, 24, true}}),
        eqWith({{EqBandType::HighPass, 30, 0, 0.7071, 48, true}, {EqBandType::Peak, 1000, 1, 1.0, 12, true}}),
        eqWith({{EqBandType::HighShelf, 8000, -2, 0.7071, 12, true}}),
    };
    for (bool wide : {true, false}) {
        const bool previous = setWideKernels(wide);
        std::vector<Equalizer> across(7), alone(7);
        std::vector<AudioBuffer> a, b;
        for (std::size_t i = 0; i < across.size(); ++i) {
            const int channels = i % 3 == 0 ? 1 : 2;
            for (auto* eq : {&across[i], &alone[i]}) {
                eq->setParams(settings[i % settings.size()]);
                eq->prepare({48000.0, 512, channels});
            }
            a.push_back(pinkishNoise(48000.0, 0.5, -12.0, channels, 40 + i));
            b.push_back(pinkishNoise(48000.0, 0.5, -12.0, channels, 40 + i));
        }
        // One of them glides to a new gain half way through.
        EqParams moved = settings[1];
        moved.bands[0].gainDb = 4.0;
        for (std::size_t start = 0; start < a[0].frames(); start += 512) {
            if (start == 12288) {
                across[1].setParams(moved);
                alone[1].setParams(moved);
            }
            const std::size_t n = std::min<std::size_t>(512, a[0].frames() - start);
            std::vector<Equalizer*> pointers;
            std::vector<AudioView> views;
            for (std::size_t i = 0; i < across.size(); ++i) {
                pointers.push_back(&across[i]);
                views.push_back(a[i].view().subView(start, n));
                alone[i].process(b[i].view().subView(start, n));
            }
            Equalizer::processAcross(pointers.data(), views.data(), static_cast<int>(pointers.size()));
        }
        setWideKernels(previous);
        for (std::size_t i = 0; i < a.size(); ++i)
            for (int c = 0; c < a[i].channels(); ++c)
                for (std::size_t k = 0; k < a[i].frames(); ++k)
                    ASSERT_EQ(a[i].channel(c)[k], b[i].channel(c)[k])
                        << "eq " << i << " channel " << c << " frame " << k << (wide ? " wide" : "");
    }
}

}  // namespace
}  // namespace bounce::test
