#include "bounce/stereo.h"
#include "signals.h"

#include <gtest/gtest.h>

#include <cmath>

namespace bounce::test {
namespace {

TEST(PanLaws, CentreLevelsAreTheirNames) {
    EXPECT_NEAR(20 * std::log10(panGains(0, PanLaw::ConstantPower3dB)[0]), -3.01, 0.01);
    EXPECT_NEAR(20 * std::log10(panGains(0, PanLaw::Compromise4_5dB)[0]), -4.52, 0.01);
    EXPECT_NEAR(20 * std::log10(panGains(0, PanLaw::Linear6dB)[0]), -6.02, 0.01);
    EXPECT_NEAR(20 * std::log10(panGains(0, PanLaw::Balance0dB)[0]), 0.0, 1e-9);
    for (auto law : {PanLaw::ConstantPower3dB, PanLaw::Compromise4_5dB, PanLaw::Linear6dB, PanLaw::Balance0dB}) {
        const auto left = panGains(-1, law);
        EXPECT_NEAR(left[0], 1.0, 1e-12);
        EXPECT_NEAR(left[1], 0.0, 1e-12);
        const auto g = panGains(0.3, law);
        const auto mirrored = panGains(-0.3, law);
        EXPECT_NEAR(g[0], mirrored[1], 1e-12);
    }
    // Constant power: L^2 + R^2 = 1 everywhere.
    for (double p = -1; p <= 1; p += 0.1) {
        const auto g = panGains(p, PanLaw::ConstantPower3dB);
        EXPECT_NEAR(g[0] * g[0] + g[1] * g[1], 1.0, 1e-12);
    }
}

TEST(Width, ZeroIsMonoOneIsIdentityAndSideScales) {
    auto input = pinkishNoise(48000, 0.5, -20, 2, 5);
    for (double width : {0.0, 1.0, 2.0}) {
        Width w;
        w.setParams({width});
        w.prepare({48000, 4096, 2});
        AudioBuffer out = input;
        w.process(out.view());
        for (std::size_t i = 0; i < out.frames(); ++i) {
            const double midIn = 0.5 * (input.channel(0)[i] + input.channel(1)[i]);
            const double sideIn = 0.5 * (input.channel(0)[i] - input.channel(1)[i]);
            const double midOut = 0.5 * (out.channel(0)[i] + out.channel(1)[i]);
            const double sideOut = 0.5 * (out.channel(0)[i] - out.channel(1)[i]);
            ASSERT_NEAR(midOut, midIn, 1e-6);
            ASSERT_NEAR(sideOut, sideIn * width, 1e-6);
        }
    }
}

TEST(ChannelDelay, DelaysByWholeSamples) {
    ChannelDelay d;
    ChannelDelayParams p;
    p.delayMs[1] = 1.0;  // 48 samples at 48 kHz
    d.setParams(p);
    d.prepare({48000, 4096, 2});
    auto input = whiteNoise(48000, 0.1, 0.5, 2, 6);
    AudioBuffer out = input;
    d.process(out.view());
    for (std::size_t i = 0; i < out.frames(); ++i) {
        ASSERT_EQ(out.channel(0)[i], input.channel(0)[i]);
        ASSERT_EQ(out.channel(1)[i], i >= 48 ? input.channel(1)[i - 48] : 0.0f);
    }
}

}  // namespace
}  // namespace bounce::test
