#include "bounce/crossover.h"
#include "bounce/difference_probe.h"
#include "bounce/limiter.h"
#include "bounce/stereo.h"
#include "signals.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

namespace bounce::test {
namespace {

constexpr double kRate = 44100.0;

double probed(std::unique_ptr<Processor> processor, const AudioBuffer& input, std::size_t block = 1000) {
    DifferenceProbe probe(std::move(processor));
    probe.prepare({kRate, 4096, input.channels()});
    EXPECT_EQ(probe.latencyFrames(), probe.inner().latencyFrames());
    AudioBuffer x = input;
    for (std::size_t start = 0; start < x.frames(); start += block)
        probe.process(x.view().subView(start, std::min(block, x.frames() - start)));
    return probe.residualDb();
}

// The probe's reading against signals whose difference is known: a gain is no difference
// (the float product's rounding aside); a polarity flip is a gain of -1; an idle limiter
// (latency several thousand frames) is aligned, so it reads as nothing; an independent
// noise added 20 dB under the input reads -20 dB against the sum (10 log10 (0.01 / 1.01)).
TEST(DifferenceProbe, ReadsTheGainMatchedResidual) {
    const auto noise = pinkishNoise(kRate, 2.0, -20.0, 2, 3);
    auto gain = std::make_unique<Gain>();
    gain->setParams({-6.0});
    EXPECT_LT(probed(std::move(gain), noise), -130.0);

    auto polarity = std::make_unique<Polarity>();
    polarity->setParams({{true, true}});
    EXPECT_LT(probed(std::move(polarity), noise), -130.0);

    auto idle = std::make_unique<TruePeakLimiter>();
    idle->setParams({0.0, 2.0, 100.0});
    EXPECT_LT(probed(std::move(idle), noise), -100.0);

    struct AddNoise final : Processor {
        AudioBuffer noise = pinkishNoise(kRate, 2.0, -40.0, 2, 9);
        std::size_t at = 0;
        void prepare(const ProcessSpec&) override {}
        void reset() noexcept override { at = 0; }
        void process(AudioView io) noexcept override {
            for (int c = 0; c < io.channels(); ++c)
                for (std::size_t i = 0; i < io.frames(); ++i) io.channel(c)[i] += noise.channel(c)[at + i];
            at += io.frames();
        }
    };
    EXPECT_NEAR(probed(std::make_unique<AddNoise>(), noise), 10.0 * std::log10(0.01 / 1.01), 0.1);

    // An idle LR4 multiband turns the phase around its crossovers: a large residual.
    MultibandCompressorParams mb;
    mb.bandCount = 3;
    mb.crossoverHz = {120.0, 2500.0};
    for (auto& b : mb.bands) b.thresholdDb = 0.0;
    auto multiband = std::make_unique<MultibandCompressor>();
    multiband->setParams(mb);
    const double rotation = probed(std::move(multiband), noise);
    RecordProperty("lr4_rotation_db", std::to_string(rotation));
    EXPECT_GT(rotation, -10.0);
    EXPECT_LT(rotation, 0.0);
}

}  // namespace
}  // namespace bounce::test
