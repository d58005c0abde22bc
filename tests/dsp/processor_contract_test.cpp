// The processor contract, checked on every processor type: block-size independence,
// reset determinism, latency, recovery from NaN/inf, and no click on a parameter jump.
#include "bounce/crossover.h"
#include "bounce/dither.h"
#include "bounce/dynamics.h"
#include "bounce/equalizer.h"
#include "bounce/error.h"
#include "bounce/limiter.h"
#include "bounce/saturation.h"
#include "bounce/stereo.h"
#include "bounce/time_effects.h"
#include "inserts.h"
#include "signals.h"
#include "spectrum.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <numbers>
#include <limits>

namespace bounce::test {
namespace {

constexpr double kRate = 48000.0;

struct ContractCase {
    std::string name;
    std::string type;
    std::vector<Param> params;
    // A second set of parameters (a jump), applied as automation applies it
    // (configureProcessor); empty for types that are not automatable.
    std::vector<Param> jump;
    bool nonlinear = false;  // skip the impulse-response checks
    // Linear-phase processors delay an impulse's peak, not its onset, by their latency;
    // nonlinear ones are measured with a small impulse where they are nearly linear.
    bool delayAtPeak = false;
    float impulse = 1.0f;
};

void PrintTo(const ContractCase& c, std::ostream* os) { *os << c.name; }

// A short decaying response on disk, for the convolution reverb.
std::string contractImpulsePath() {
    static const std::string path = [] {
        const std::string file = makeTempDir("contract") + "/room.wav";
        auto ir = whiteNoise(48000, 0.3, 0.5, 2, 21);
        for (int c = 0; c < 2; ++c)
            for (std::size_t i = 0; i < ir.frames(); ++i)
                ir.channel(c)[i] *= static_cast<float>(std::exp(-static_cast<double>(i) / 3000.0));
        writeFile(file, ir.view(), 48000, SampleFormat::Float32);
        return file;
    }();
    return path;
}

std::vector<ParamTable> threeBands(double thresholdDb) {
    return {makeTable({{"up_to_hz", 200.0}, {"threshold_db", thresholdDb}}),
            makeTable({{"up_to_hz", 3000.0}, {"threshold_db", thresholdDb}}), makeTable({{"threshold_db", thresholdDb}})};
}

std::vector<Param> lspBell(double gain) {
    return {{"uri", std::string("http://lsp-plug.in/plugins/lv2/para_equalizer_x16_stereo")},
            {"ft_0", 1.0},
            {"fm_0", 6.0},
            {"f_0", 1000.0},
            {"g_0", gain},
            {"q_0", 1.0}};
}

// One case per insert type of the registry (EveryInsertTypeHasAContractCase holds the
// list to it), and one more for the linear-phase multiband.
std::vector<ContractCase> contractCases() {
    const auto eqBands = [](double gainDb) {
        return std::vector<ParamTable>{makeTable({{"type", std::string("highpass")}, {"freq_hz", 40.0}}),
                                       makeTable({{"type", std::string("peak")}, {"freq_hz", 2000.0}, {"gain_db", gainDb}})};
    };
    return {
        {"peak", "peak", {{"freq_hz", 1000.0}, {"gain_db", 6.0}, {"q", 1.0}}, {{"freq_hz", 1000.0}, {"gain_db", -12.0}, {"q", 1.0}}},
        {"low_shelf", "low_shelf", {{"freq_hz", 150.0}, {"gain_db", 4.0}}, {{"freq_hz", 300.0}, {"gain_db", -6.0}}},
        {"high_shelf", "high_shelf", {{"freq_hz", 6000.0}, {"gain_db", -4.0}}, {{"freq_hz", 3000.0}, {"gain_db", 6.0}}},
        {"lowpass", "lowpass", {{"freq_hz", 8000.0}, {"slope_db_oct", 12.0}}, {{"freq_hz", 2000.0}, {"slope_db_oct", 12.0}}},
        {"highpass", "highpass", {{"freq_hz", 80.0}, {"slope_db_oct", 24.0}}, {{"freq_hz", 400.0}, {"slope_db_oct", 24.0}}},
        {"bandpass", "bandpass", {{"freq_hz", 1000.0}, {"q", 0.7}}, {{"freq_hz", 300.0}, {"q", 0.7}}},
        {"notch", "notch", {{"freq_hz", 1000.0}, {"q", 2.0}}, {{"freq_hz", 300.0}, {"q", 2.0}}},
        {"tilt", "tilt", {{"gain_db", 2.0}}, {{"gain_db", -4.0}}},
        {"eq", "eq", {{"band", eqBands(4.0)}}, {{"band", eqBands(-6.0)}}},
        {"linear_phase_eq",
         "linear_phase_eq",
         {{"band", std::vector<ParamTable>{makeTable({{"type", std::string("peak")}, {"freq_hz", 2000.0}, {"gain_db", 4.0}})}}},
         {},
         false,
         true},
        {"compressor",
         "compressor",
         {{"threshold_db", -30.0}, {"ratio", 4.0}, {"lookahead_ms", 1.0}},
         {{"threshold_db", -10.0}, {"ratio", 2.0}, {"lookahead_ms", 1.0}},
         false,
         false,
         1e-3f},
        {"multiband_compressor", "multiband_compressor", {{"band", threeBands(-30.0)}}, {{"band", threeBands(-40.0)}}, false, false, 1e-3f},
        {"multiband_compressor_linear_phase",
         "multiband_compressor",
         {{"linear_phase", true}, {"band", threeBands(-30.0)}},
         {{"linear_phase", true}, {"band", threeBands(-40.0)}},
         false,
         false,
         1e-3f},
        {"gate", "gate", {{"threshold_db", -60.0}}, {{"threshold_db", -3.0}, {"range_db", -20.0}}, true},
        {"de_esser", "de_esser", {{"threshold_db", -30.0}}, {{"freq_hz", 1000.0}, {"threshold_db", -40.0}}, false, false, 1e-3f},
        {"limiter", "limiter", {{"ceiling_dbtp", -1.0}}, {{"ceiling_dbtp", -12.0}}},
        {"saturation",
         "saturation",
         {{"drive_db", 6.0}, {"style", std::string("tube")}},
         {{"drive_db", 18.0}, {"style", std::string("tube")}, {"mix", 0.5}},
         false,
         true,
         1e-4f},
        {"gain", "gain", {{"gain_db", -6.0}}, {{"gain_db", 6.0}}},
        {"pan", "pan", {{"pan", -0.5}}, {{"pan", 0.8}}},
        {"width", "width", {{"width", 1.0}}, {{"width", 0.0}}},
        {"polarity", "polarity", {{"invert", false}}, {{"invert", true}}},
        {"channel_delay", "channel_delay", {{"left_ms", 0.0}, {"right_ms", 5.0}}, {{"left_ms", 3.0}, {"right_ms", 0.0}}, true},
        {"delay",
         "delay",
         {{"time_ms", 120.0}, {"feedback", 0.4}, {"ping_pong", true}},
         {{"time_ms", 200.0}, {"feedback", 0.6}, {"ping_pong", true}, {"mix", 0.5}}},
        {"reverb", "reverb", {{"decay_s", 1.5}, {"predelay_ms", 5.0}}, {{"decay_s", 1.5}, {"predelay_ms", 5.0}, {"mix", 0.6}}},
        {"convolution_reverb", "convolution_reverb", {{"impulse", contractImpulsePath()}, {"mix", 0.3}}, {}},
        {"dither", "dither", {{"bits", 16.0}}, {{"bits", 20.0}}, true},
        // Hosted LV2 plugins (install-deps installs both): LSP's parametric EQ, one bell band
        // of the cookbook's design, and x42's lookahead limiter (64 frames of latency), whose
        // small impulse stays under its threshold.
        {"lv2_lsp_equalizer", "lv2", lspBell(2.0), lspBell(0.5)},
        {"lv2_x42_limiter",
         "lv2",
         {{"uri", std::string("http://gareus.org/oss/lv2/dpl#stereo")}, {"threshold", -1.0}},
         {{"uri", std::string("http://gareus.org/oss/lv2/dpl#stereo")}, {"threshold", -6.0}},
         false,
         false,
         1e-3f},
    };
}

TEST(ProcessorRegistry, EveryInsertTypeHasAContractCase) {
    const auto cases = contractCases();
    for (const auto& d : processorDescriptors()) {
        const bool covered = std::any_of(cases.begin(), cases.end(), [&](const ContractCase& c) { return c.type == d.type; });
        EXPECT_TRUE(covered) << d.type << " has no case in contractCases()";
        // A type that takes automation must show that a jump does not click.
        if (d.automatable)
            for (const auto& c : cases)
                if (c.type == d.type) {
                    EXPECT_FALSE(c.jump.empty()) << c.name << " is automatable but has no jump";
                }
    }
}

// The range of every number and integer key, from the descriptors: its ends are accepted,
// a value just past either end is an error that names the key.
TEST(ProcessorRegistry, EveryRangeIsCheckedAtItsEnds) {
    const auto cases = contractCases();
    for (const auto& d : processorDescriptors()) {
        const auto base = std::find_if(cases.begin(), cases.end(), [&](const ContractCase& c) { return c.type == d.type; });
        ASSERT_NE(base, cases.end()) << d.type;
        for (const auto& p : d.params) {
            if (p.kind != ParamKind::Number && p.kind != ParamKind::Integer) continue;
            // delay_ms is the key of mono and multichannel inserts; bpm at its top needs a note.
            const int channels = p.key == "delay_ms" ? 1 : 2;
            const auto errorFor = [&](double value) -> std::string {
                auto params = base->params;
                params.erase(std::remove_if(params.begin(), params.end(), [&](const Param& q) { return q.first == p.key; }), params.end());
                params.emplace_back(p.key, value);
                try {
                    makeProcessor(d.type, params, channels);
                } catch (const ConfigError& e) {
                    return e.what();
                }
                return "";
            };
            const std::string outOfRange = p.key + " must be";
            const double step = p.kind == ParamKind::Integer ? 1.0 : std::max(1e-6, 1e-6 * (p.maxValue - p.minValue));
            for (double end : {p.minValue, p.maxValue})
                EXPECT_EQ(errorFor(end).find(outOfRange), std::string::npos)
                    << d.type << "." << p.key << " = " << end << ": " << errorFor(end);
            EXPECT_NE(errorFor(p.minValue - step).find(outOfRange), std::string::npos) << d.type << "." << p.key << " below " << p.minValue;
            EXPECT_NE(errorFor(p.maxValue + step).find(outOfRange), std::string::npos) << d.type << "." << p.key << " above " << p.maxValue;
        }
    }
}

AudioBuffer render(Processor& p, const AudioBuffer& input, std::size_t block) {
    AudioBuffer out = input;
    for (std::size_t i = 0; i < out.frames(); i += block) p.process(out.view().subView(i, std::min(block, out.frames() - i)));
    return out;
}

bool identical(const AudioBuffer& a, const AudioBuffer& b) {
    for (int c = 0; c < a.channels(); ++c)
        for (std::size_t i = 0; i < a.frames(); ++i)
            if (std::memcmp(&a.channel(c)[i], &b.channel(c)[i], sizeof(float)) != 0) return false;
    return true;
}

class ProcessorContract : public ::testing::TestWithParam<ContractCase> {
protected:
    std::unique_ptr<Processor> make() const {
        auto p = makeProcessor(GetParam().type, GetParam().params, 2);
        p->prepare({kRate, 4096, 2});
        return p;
    }
};

TEST_P(ProcessorContract, BlockSizeDoesNotChangeTheOutput) {
    const auto input = pinkishNoise(kRate, 1.0, -18.0, 2, 1);
    auto reference = make();
    const auto expected = render(*reference, input, 4096);
    for (std::size_t block : {1u, 17u, 512u}) {
        auto p = make();
        EXPECT_TRUE(identical(render(*p, input, block), expected)) << "block " << block;
    }
}

TEST_P(ProcessorContract, ResetThenTheSameInputGivesTheSameBytes) {
    const auto input = pinkishNoise(kRate, 0.5, -18.0, 2, 2);
    auto p = make();
    const auto first = render(*p, input, 512);
    p->reset();
    EXPECT_TRUE(identical(render(*p, input, 512), first));
}

TEST_P(ProcessorContract, LatencyIsTheMeasuredImpulseDelay) {
    if (GetParam().nonlinear) GTEST_SKIP() << "not a linear time-invariant processor";
    auto p = make();
    auto ir = impulseResponse(*p, 2, std::max<std::size_t>(8192, 2 * static_cast<std::size_t>(p->latencyFrames()) + 1024), 4096,
                              GetParam().impulse);
    for (auto& v : ir) v /= GetParam().impulse;
    std::size_t measured = 0;
    if (GetParam().delayAtPeak) {
        for (std::size_t i = 0; i < ir.size(); ++i)
            if (std::fabs(ir[i]) > std::fabs(ir[measured])) measured = i;
    } else {
        while (measured < ir.size() && std::fabs(ir[measured]) < 1e-7) ++measured;
    }
    EXPECT_EQ(static_cast<int>(measured), p->latencyFrames());
}

TEST_P(ProcessorContract, NanAndInfinityDoNotPoisonLaterBlocks) {
    auto poisoned = make();
    auto clean = make();
    AudioBuffer bad(2, 512), zeros(2, 512);
    bad.channel(0)[10] = std::numeric_limits<float>::quiet_NaN();
    bad.channel(1)[20] = std::numeric_limits<float>::infinity();
    poisoned->process(bad.view());
    clean->process(zeros.view());
    const auto input = pinkishNoise(kRate, 1.0, -18.0, 2, 3);
    const auto a = render(*poisoned, input, 512);
    const auto b = render(*clean, input, 512);
    double worst = 0;
    for (int c = 0; c < 2; ++c)
        for (std::size_t i = a.frames() / 2; i < a.frames(); ++i) {
            ASSERT_TRUE(std::isfinite(a.channel(c)[i])) << "frame " << i;
            worst = std::max(worst, std::fabs(static_cast<double>(a.channel(c)[i]) - b.channel(c)[i]));
        }
    EXPECT_LT(worst, 1e-3);
}

TEST_P(ProcessorContract, AParameterJumpDoesNotClick) {
    if (GetParam().jump.empty()) GTEST_SKIP() << "not automatable, or no continuous parameter";
    // A 200 Hz sine at -6 dBFS; its largest sample-to-sample step is 2 pi 200/48000 x 0.5.
    const auto input = sine(kRate, 1.0, 200.0, -6.0, 2);
    auto p = make();
    AudioBuffer out = input;
    const std::size_t half = out.frames() / 2;
    p->process(out.view().subView(0, half));
    configureProcessor(*p, makeInsert(GetParam().type, GetParam().jump), 2);
    p->process(out.view().subView(half, out.frames() - half));
    const double sineStep = 2 * std::numbers::pi * 200.0 / kRate * 0.5;
    double worst = 0;
    for (int c = 0; c < 2; ++c)
        for (std::size_t i = half - 100; i < half + 4800; ++i)
            worst = std::max(worst, std::fabs(static_cast<double>(out.channel(c)[i]) - out.channel(c)[i - 1]));
    // The processed sine may be up to 4x louder (+12 dB boosts); a click is a step far above that.
    EXPECT_LT(worst, 4.0 * sineStep) << "largest step " << worst;
}

INSTANTIATE_TEST_SUITE_P(AllProcessors, ProcessorContract, ::testing::ValuesIn(contractCases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace bounce::test
