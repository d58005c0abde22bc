#include "bounce/k_weighting.h"
#include "meter_helpers.h"
#include "signals.h"

#include <gtest/gtest.h>

namespace bounce::test {
namespace {

TEST(KWeighting, At48kHzEqualsTheBs1770Tables) {
    // ITU-R BS.1770-4 Annex 1, Tables 1 and 2.
    const auto k = KWeighting::design(48000.0);
    EXPECT_NEAR(k.shelf.b0, 1.53512485958697, 1e-9);
    EXPECT_NEAR(k.shelf.b1, -2.69169618940638, 1e-9);
    EXPECT_NEAR(k.shelf.b2, 1.19839281085285, 1e-9);
    EXPECT_NEAR(k.shelf.a1, -1.69065929318241, 1e-9);
    EXPECT_NEAR(k.shelf.a2, 0.73248077421585, 1e-9);
    EXPECT_EQ(k.highPass.b0, 1.0);
    EXPECT_EQ(k.highPass.b1, -2.0);
    EXPECT_EQ(k.highPass.b2, 1.0);
    EXPECT_NEAR(k.highPass.a1, -1.99004745483398, 1e-9);
    EXPECT_NEAR(k.highPass.a2, 0.99007225036621, 1e-9);
}

TEST(KWeighting, DesignedResponseIsTheSameCurveAtEveryRate) {
    // Designed from the analog prototype, the curve must not move with the rate (up to
    // bilinear warping near Nyquist): compare to 48 kHz from 20 Hz to 8 kHz.
    const auto reference = KWeighting::design(48000.0);
    for (double rate : {44100.0, 88200.0, 96000.0, 192000.0}) {
        const auto k = KWeighting::design(rate);
        for (double f = 20.0; f <= 8000.0; f *= 1.25)
            EXPECT_NEAR(k.magnitudeDb(f), reference.magnitudeDb(f), 0.05) << f << " Hz at " << rate;
    }
}

TEST(KWeighting, MeterReadsSinesAsTheAnalyticResponsePredicts) {
    // A stereo sine of peak A reads -0.691 + 20 log10(A) + K(f) LUFS (two channels of
    // mean square A^2/2). This checks the meter's filter kernel against the design.
    for (double rate : {44100.0, 48000.0, 96000.0}) {
        const auto k = KWeighting::design(rate);
        for (double f : {25.0, 40.0, 60.0, 100.0, 250.0, 1000.0, 3000.0, 8000.0, 16000.0}) {
            const auto audio = sine(rate, 4.0, f, -20.0);
            const auto meter = meterFor(audio.view(), rate);
            EXPECT_NEAR(*meter.shortTermLufs(), -20.691 + k.magnitudeDb(f), 0.02) << f << " Hz at " << rate;
        }
    }
}

}  // namespace
}  // namespace bounce::test
