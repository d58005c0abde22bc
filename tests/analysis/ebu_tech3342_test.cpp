// EBU Tech 3342 (2016/2023) loudness range cases 1-4, synthesised (1 kHz stereo tones), at
// 48 kHz and 44.1 kHz. Tolerance +-1 LU.
#include "meter_helpers.h"
#include "signals.h"

#include <gtest/gtest.h>

namespace bounce::test {
namespace {

struct RangeCase {
    int number;
    std::vector<ToneSegment> segments;
    double expectedLu;
};

class Tech3342 : public ::testing::TestWithParam<double> {};

TEST_P(Tech3342, Cases1To4) {
    const double rate = GetParam();
    const std::vector<RangeCase> cases = {
        {1, {{20, -20}, {20, -30}}, 10.0},
        {2, {{20, -20}, {20, -15}}, 5.0},
        {3, {{20, -40}, {20, -20}}, 20.0},
        {4, {{20, -50}, {20, -35}, {20, -20}, {20, -35}, {20, -50}}, 15.0},
    };
    for (const auto& rc : cases) {
        const auto audio = toneSequence(rate, 2, rc.segments);
        const auto range = meterFor(audio.view(), rate).loudnessRangeLu();
        ASSERT_TRUE(range.has_value()) << "case " << rc.number;
        EXPECT_NEAR(*range, rc.expectedLu, 1.0) << "case " << rc.number;
    }
}

INSTANTIATE_TEST_SUITE_P(Rates, Tech3342, ::testing::Values(48000.0, 44100.0),
                         [](const auto& info) { return std::to_string(static_cast<int>(info.param)) + "Hz"; });

}  // namespace
}  // namespace bounce::test
