#include "bounce/resampler.h"
#include "signals.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

namespace bounce::test {
namespace {

AudioBuffer resampleAll(const AudioBuffer& input, double from, double to, std::size_t block) {
    Resampler resampler(from, to, input.channels());
    std::vector<std::vector<float>> out(static_cast<std::size_t>(input.channels()));
    const auto sink = [&](ConstAudioView v) {
        for (int c = 0; c < v.channels(); ++c)
            out[static_cast<std::size_t>(c)].insert(out[static_cast<std::size_t>(c)].end(), v.channel(c), v.channel(c) + v.frames());
    };
    for (std::size_t i = 0; i < input.frames(); i += block)
        resampler.process(input.view().subView(i, std::min(block, input.frames() - i)), sink);
    resampler.flush(sink);
    AudioBuffer result(input.channels(), out[0].size());
    for (int c = 0; c < input.channels(); ++c)
        std::copy(out[static_cast<std::size_t>(c)].begin(), out[static_cast<std::size_t>(c)].end(), result.channel(c));
    return result;
}

TEST(Resampler, ConvertsLengthLevelAndFrequency) {
    const auto input = sine(44100, 2.0, 1000.0, -6.0, 2);
    const auto output = resampleAll(input, 44100, 48000, 4096);
    EXPECT_NEAR(static_cast<double>(output.frames()), 2.0 * 48000, 2.0);
    // Compare the middle against the ideal 1 kHz sine at 48 kHz (soxr removes its delay).
    double worst = 0;
    const double amplitude = dbToLinear(-6.0);
    for (std::size_t i = 4800; i < 4800 * 19; ++i) {
        const double ideal = amplitude * std::sin(2 * std::numbers::pi * 1000.0 * static_cast<double>(i) / 48000.0);
        worst = std::max(worst, std::fabs(output.channel(1)[i] - ideal));
    }
    EXPECT_LT(20 * std::log10(worst), -90.0);
}

TEST(Resampler, BlockSizeDoesNotChangeTheOutput) {
    const auto input = whiteNoise(48000, 0.5, 0.5, 2, 3);
    const auto reference = resampleAll(input, 48000, 44100, 100000);
    for (std::size_t block : {1u, 17u, 512u, 4096u}) {
        const auto output = resampleAll(input, 48000, 44100, block);
        ASSERT_EQ(output.frames(), reference.frames()) << block;
        for (std::size_t i = 0; i < output.frames(); ++i) ASSERT_NEAR(output.channel(0)[i], reference.channel(0)[i], 1e-6f) << block;
    }
}

}  // namespace
}  // namespace bounce::test
