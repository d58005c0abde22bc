#include "bounce/master.h"

#include "bounce/atomic_output.h"
#include "bounce/crossover.h"
#include "bounce/difference_probe.h"
#include "bounce/dither.h"
#include "bounce/equalizer.h"
#include "bounce/error.h"
#include "bounce/limiter.h"
#include "bounce/linear_phase_eq.h"
#include "bounce/processor_chain.h"
#include "bounce/output_writer.h"
#include "bounce/saturation.h"
#include "bounce/stereo.h"

#include <algorithm>
#include <functional>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>

namespace bounce {

namespace {

constexpr std::size_t kBlockFrames = 4096;
constexpr double kLoudnessTolerance = 0.15;  // aim inside the issue's +-0.2 LU
// The delivered true peak must sit kDeliveredTruePeakGuardDb (master.h) under the ceiling by
// our meter. Where the limiter works, the loop also raises its ceiling while the delivered
// file sits more than kCeilingMarginWindowDb further under, so that the margin reported
// stays under 0.1 dB.
constexpr double kCeilingMarginWindowDb = 0.05;
constexpr int kMaxPasses = 8;
// Codec-safe delivery: at most this many rounds of round trips, each lowering the aim by
// the decoded over plus kCodecStepDb (encoders' peaks move a little with the level).
constexpr int kMaxCodecRounds = 6;
constexpr double kCodecStepDb = 0.05;
// Once an aim that passes and one that fails are known, bisect down to this gap.
constexpr double kCodecBracketDb = 0.1;

// The style presets: each number is what the style does at intensity 0.5; intensity
// scales the departure from neutral (0 = neutral, 1 = twice the preset).
struct Style {
    double highpassHz = 20;
    double lowShelfDb = 0, lowShelfHz = 150, highShelfDb = 0, highShelfHz = 9000;
    double ratio = 1.5, attackMs = 20, releaseMs = 150, lowBandOffsetDb = 0, thresholdOffsetDb = 3;
    double linearPhase = 1;  // the multiband's crossover: 1 linear phase, 0 LR4 (docs/master.md says why)
    double saturationDriveDb = 0, saturationMix = 0;
    SaturationType saturation = SaturationType::Tape;
    double width = 1.0, monoBelowHz = 0;  // neutral: no stereo change (the wide style folds the lows)
    double limiterReleaseMs = 120, limiterLookaheadMs = 2;
};

// `--set stage.key=value`: every number of the chain, by name, with its range.
void applyOverrides(Style& style, const std::map<std::string, double>& overrides) {
    struct Knob {
        double Style::*field;
        double min, max;
    };
    static const std::map<std::string, Knob> knobs = {
        {"eq.highpass_hz", {&Style::highpassHz, 10, 60}},
        {"eq.low_shelf_db", {&Style::lowShelfDb, -6, 6}},
        {"eq.low_shelf_hz", {&Style::lowShelfHz, 40, 500}},
        {"eq.high_shelf_db", {&Style::highShelfDb, -6, 6}},
        {"eq.high_shelf_hz", {&Style::highShelfHz, 2000, 18000}},
        {"multiband.ratio", {&Style::ratio, 1, 10}},
        {"multiband.attack_ms", {&Style::attackMs, 1, 200}},
        {"multiband.release_ms", {&Style::releaseMs, 20, 2000}},
        {"multiband.threshold_offset_db", {&Style::thresholdOffsetDb, -12, 12}},
        {"multiband.low_band_offset_db", {&Style::lowBandOffsetDb, -12, 12}},
        {"multiband.linear_phase", {&Style::linearPhase, 0, 1}},
        {"saturation.drive_db", {&Style::saturationDriveDb, 0, 24}},
        {"saturation.mix", {&Style::saturationMix, 0, 1}},
        {"width.width", {&Style::width, 0, 2}},
        {"width.mono_below_hz", {&Style::monoBelowHz, 0, 300}},
        {"limiter.release_ms", {&Style::limiterReleaseMs, 5, 1000}},
        {"limiter.lookahead_ms", {&Style::limiterLookaheadMs, 0.5, 10}},
    };
    for (const auto& [key, value] : overrides) {
        const auto it = knobs.find(key);
        if (it == knobs.end()) {
            std::string names;
            for (const auto& [name, knob] : knobs) names += (names.empty() ? "" : ", ") + name;
            throw ConfigError("--set " + key + ": unknown setting (known: " + names + ")");
        }
        if (!(value >= it->second.min && value <= it->second.max))
            throw ConfigError("--set " + key + " must be between " + std::to_string(it->second.min).substr(0, 6) + " and " +
                              std::to_string(it->second.max).substr(0, 6));
        style.*(it->second.field) = value;
    }
    if (style.saturationDriveDb > 0.0 && style.saturationMix == 0.0) style.saturationMix = 1.0;
}

}  // namespace

const std::vector<std::string>& masterStyles() {
    static const std::vector<std::string> styles = {"neutral", "warm", "bright", "punchy", "wide", "loud"};
    return styles;
}

std::string masterStyleNames() {
    std::string names;
    const auto& styles = masterStyles();
    for (std::size_t i = 0; i < styles.size(); ++i) names += (i == 0 ? "" : i + 1 == styles.size() ? " or " : ", ") + styles[i];
    return names;
}

namespace {

Style styleFor(const std::string& name, double intensity) {
    const double k = std::clamp(intensity, 0.0, 1.0) * 2.0;
    Style s;
    if (name == "warm") {
        s.lowShelfDb = 1.5 * k;
        s.highShelfDb = -1.0 * k;
        s.saturation = SaturationType::Tube;
        s.saturationDriveDb = 4.0 * k;
        s.saturationMix = 0.35;
    } else if (name == "bright") {
        s.highShelfDb = 2.0 * k;
        s.lowShelfDb = -0.5 * k;
    } else if (name == "punchy") {
        s.ratio = 1.5 + 1.0 * k;
        s.attackMs = 35;
        s.lowBandOffsetDb = -2.0 * k;
    } else if (name == "wide") {
        s.width = 1.0 + 0.25 * k;
        s.monoBelowHz = 100;  // widening keeps the lows mono (and the bass centred)
    } else if (name == "loud") {
        s.ratio = 1.5 + 1.5 * k;
        s.saturationDriveDb = 3.0 * k;
        s.saturationMix = 0.5;
        s.limiterReleaseMs = 60;
    } else if (name != "neutral") {
        throw ConfigError("--style must be " + masterStyleNames() + " (got \"" + name + "\")");
    }
    return s;
}

// The multiband compressor's settings for a target (the same for the measurement in the
// input's analysis pass and for the chain).
MultibandCompressorParams multibandParams(const Style& style, double targetLufs) {
    // Gentle 3-band compression around the target level: RMS detection, thresholds a
    // little above the programme loudness so only the peaks of each band are touched.
    MultibandCompressorParams mb;
    mb.bandCount = 3;
    mb.crossoverHz = {120.0, 2500.0};
    mb.crossover = style.linearPhase >= 0.5 ? CrossoverType::LinearPhase : CrossoverType::Lr4;
    for (int b = 0; b < 3; ++b) {
        CompressorParams& band = mb.bands[static_cast<std::size_t>(b)];
        band.thresholdDb = std::clamp(targetLufs + style.thresholdOffsetDb + (b == 0 ? style.lowBandOffsetDb : 0.0), -60.0, 0.0);
        band.ratio = style.ratio;
        band.kneeDb = 6.0;
        band.attackMs = style.attackMs;
        band.releaseMs = style.releaseMs;
        band.detector = DetectorMode::Rms;
        band.rmsMs = 30.0;
    }
    return mb;
}

// The energy below 18 Hz (DC excluded) against the whole programme's, per channel: what a
// subsonic high-pass would be there to remove. Means of blocks of about 1/1400 s (a boxcar:
// flat to 0.01 dB at 18 Hz, and what folds down to under 18 Hz comes from within 18 Hz of
// a null of the boxcar, 35 dB down or more), then at that low rate an 8th-order Butterworth
// low-pass at 18 Hz (48 dB/oct: a 35 Hz sub-bass is 46 dB down) after a 2nd-order
// high-pass at 2 Hz (the DC offset is measured on its own). Memory does not grow with the
// length.
class SubsonicMeter {
public:
    static constexpr std::size_t kMaxBlockFrames = 65536;

    SubsonicMeter(double sampleRate, int channels)
        : factor_(std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(sampleRate / 1400.0)))),
          counts_(static_cast<std::size_t>(channels), 0),
          sums_(static_cast<std::size_t>(channels), 0.0),
          low_(static_cast<std::size_t>(channels), 0.0),
          decimated_(kMaxBlockFrames / factor_ + 2) {
        const double lowRate = sampleRate / static_cast<double>(factor_);
        std::array<BiquadCoefficients, 4> lowPass{}, highPass{};
        const int lowSections = designButterworth(FilterType::LowPass, 8, 18.0, lowRate, false, lowPass);
        const int highSections = designButterworth(FilterType::HighPass, 2, 2.0, lowRate, false, highPass);
        std::vector<BiquadCoefficients> sections(highPass.begin(), highPass.begin() + highSections);
        sections.insert(sections.end(), lowPass.begin(), lowPass.begin() + lowSections);
        filter_.prepare(channels);
        filter_.setSections(sections.data(), static_cast<int>(sections.size()));
    }

    // At most kMaxBlockFrames frames. No allocation.
    void add(ConstAudioView block) noexcept {
        for (int c = 0; c < block.channels(); ++c) {
            const auto ch = static_cast<std::size_t>(c);
            const float* x = block.channel(c);
            std::size_t i = 0, produced = 0, count = counts_[ch];
            double sum = sums_[ch];
            while (i < block.frames()) {
                const std::size_t n = std::min(factor_ - count, block.frames() - i);
                float part = 0.0f;  // at most ~70 samples: float is plenty for a measurement
                for (std::size_t k = 0; k < n; ++k) part += x[i + k];
                sum += part;
                i += n;
                count += n;
                if (count == factor_) {
                    decimated_[produced++] = static_cast<float>(sum / static_cast<double>(factor_));
                    sum = 0.0;
                    count = 0;
                }
            }
            counts_[ch] = count;
            sums_[ch] = sum;
            filter_.process(decimated_.data(), produced, c);
            for (std::size_t k = 0; k < produced; ++k) low_[ch] += static_cast<double>(decimated_[k]) * decimated_[k];
        }
    }

    // The loudest channel's energy below 18 Hz against its mean square over `frames`, dB
    // (-inf when there is none).
    double levelDb(const std::vector<ChannelAnalysis>& channels, std::uint64_t frames) const noexcept {
        double most = 0.0;
        for (std::size_t c = 0; c < low_.size() && c < channels.size(); ++c) {
            const double whole = channels[c].meanSquare * static_cast<double>(frames);
            if (whole > 0.0) most = std::max(most, low_[c] * static_cast<double>(factor_) / whole);
        }
        return most > 0.0 ? 10.0 * std::log10(most) : -std::numeric_limits<double>::infinity();
    }

private:
    std::size_t factor_;
    std::vector<std::size_t> counts_;
    std::vector<double> sums_, low_;
    std::vector<float> decimated_;
    BiquadCascade filter_;
};

// What the programme needs from each stage, measured in the one pass that analyses the
// input (docs/master.md, "Only what the programme needs").
struct ProgrammeNeeds {
    AnalysisResult input;
    SpectrumProfile profile;              // for reference matching and the phase of the bass
    std::array<double, 3> bandLevelDb{};  // the multiband's detectors at unity gain, loudest reading
    double subsonicDb = -std::numeric_limits<double>::infinity();
};

// Counts the frames a pass has read and tells `progress` (if any) the fraction of the
// file's `totalFrames` that is.
class PassProgress {
public:
    PassProgress(const std::function<void(double)>& progress, std::int64_t totalFrames) : progress_(progress), total_(totalFrames) {}
    void read(std::size_t frames) {
        read_ += frames;
        if (progress_ && total_ > 0) progress_(std::min(1.0, static_cast<double>(read_) / static_cast<double>(total_)));
    }

private:
    const std::function<void(double)>& progress_;
    std::int64_t total_;
    std::uint64_t read_ = 0;
};

// `progress` (optional) is told the fraction of the file read so far.
ProgrammeNeeds measureProgrammeNeeds(const std::string& path, const Style& style, double targetLufs,
                                     const std::function<void(double)>& progress) {
    const SoundFileInfo info = SoundFileReader(path).info();
    PassProgress passProgress(progress, info.frames);
    ProgrammeNeeds needs;
    MultibandCompressor multiband;
    multiband.setParams(multibandParams(style, targetLufs));
    constexpr std::size_t kAnalysisBlock = 8192;  // analyzeFile's block
    multiband.prepare({info.sampleRate, static_cast<int>(kAnalysisBlock), info.channels});
    SubsonicMeter subsonic(info.sampleRate, info.channels);
    AnalyzeOptions options;
    options.spectrumProfile = &needs.profile;
    options.onBlock = [&](ConstAudioView block) {
        multiband.measure(block);
        subsonic.add(block);
        passProgress.read(block.frames());
    };
    needs.input = analyzeFile(path, options);
    // The crossover's latency: its last frames come out with the flush (as in the render).
    AudioBuffer zeros(info.channels, kAnalysisBlock);
    for (std::size_t left = static_cast<std::size_t>(multiband.latencyFrames()); left > 0;) {
        const std::size_t n = std::min(left, kAnalysisBlock);
        multiband.measure(ConstAudioView(zeros.view()).subView(0, n));
        left -= n;
    }
    for (int b = 0; b < 3; ++b) needs.bandLevelDb[static_cast<std::size_t>(b)] = multiband.maxDetectorLevelDb(b);
    needs.subsonicDb = needs.input.integratedLufs ? subsonic.levelDb(needs.input.perChannel, needs.input.frames)
                                                  : -std::numeric_limits<double>::infinity();
    return needs;
}

// A static DC offset under this is left alone (it costs under 0.01 dB of headroom).
constexpr double kDcOffsetActionDbfs = -60.0;
// Subsonic energy (below 18 Hz, against the programme's) from which the high-pass runs:
// 12 dB/oct from the first, 24 dB/oct from the second.
constexpr double kSubsonicGentleDb = -30.0, kSubsonicSteepDb = -20.0;
// A stage predicted idle must be idle by this much (float rounding of the prediction).
constexpr double kIdleMarginDb = 0.05;

// Which stages run, and why (or why not): decided from the input's measurement for the
// gain of this pass, so that a stage with nothing to do is not in the signal path.
struct StagePlan {
    bool dcRemoval = false;
    std::vector<double> dcOffset;
    int highpassSlopeDbOct = 0;  // 0: no high-pass
    bool equalizer = false;      // any band at all
    bool multiband = true;
    bool limiter = true;
    std::string dcWhy, eqWhy, multibandWhy, limiterWhy;
    std::string widthWhy;  // why the width stage runs (when it does)
};

// A width of 1 with stereo lows changes nothing: not in the signal path (mid/side and
// back again is not bit-exact in float).
bool widthActive(const Style& style, int channels) { return channels == 2 && (style.width != 1.0 || style.monoBelowHz > 0.0); }

// The subsonic high-pass: where asked for (--set eq.highpass_hz) at 24 dB/oct; else only
// where there is content below 18 Hz, and then the gentlest slope that does it. Decides the
// corrective EQ.
void planHighpass(const ProgrammeNeeds& needs, const Style& style, const std::map<std::string, double>& overrides, StagePlan& plan) {
    char text[240];
    if (overrides.count("eq.highpass_hz")) {
        plan.highpassSlopeDbOct = 24;
        std::snprintf(text, sizeof text, "high-pass at %.0f Hz, 24 dB/oct, as set", style.highpassHz);
    } else if (needs.subsonicDb > kSubsonicGentleDb) {
        plan.highpassSlopeDbOct = needs.subsonicDb > kSubsonicSteepDb ? 24 : 12;
        std::snprintf(text, sizeof text, "subsonic content %.1f dB against the programme below 18 Hz: high-pass at %.0f Hz, %d dB/oct",
                      needs.subsonicDb, style.highpassHz, plan.highpassSlopeDbOct);
    } else {
        std::snprintf(text, sizeof text, "no high-pass: %s below 18 Hz (it runs from %.0f dB)",
                      std::isfinite(needs.subsonicDb)
                          ? (std::to_string(std::lround(needs.subsonicDb)) + " dB against the programme").c_str()
                          : "nothing",
                      kSubsonicGentleDb);
    }
    plan.eqWhy = text;
    if (style.lowShelfDb != 0 || style.highShelfDb != 0) plan.eqWhy += std::string("; the style's shelves");
    plan.equalizer = plan.highpassSlopeDbOct > 0 || style.lowShelfDb != 0 || style.highShelfDb != 0;
    if (!plan.equalizer) plan.eqWhy = "idle, bypassed (" + plan.eqWhy + ", no tone change)";
}

// A static DC offset: taken away (the high-pass, when it runs, removes it anyway). Returns
// the largest offset (linear).
double planDcRemoval(const ProgrammeNeeds& needs, StagePlan& plan) {
    char text[240];
    double largestDc = 0.0;
    for (const auto& ch : needs.input.perChannel) {
        largestDc = std::max(largestDc, std::fabs(ch.dcOffset));
        plan.dcOffset.push_back(ch.dcOffset);
    }
    const double dcDbfs = largestDc > 0.0 ? 20.0 * std::log10(largestDc) : -std::numeric_limits<double>::infinity();
    if (dcDbfs >= kDcOffsetActionDbfs && plan.highpassSlopeDbOct == 0) {
        plan.dcRemoval = true;
        std::snprintf(text, sizeof text, "a static offset of %.1f dBFS taken away (the measured mean of each channel)", dcDbfs);
    } else if (dcDbfs >= kDcOffsetActionDbfs) {
        std::snprintf(text, sizeof text, "idle, bypassed (the offset, %.1f dBFS, goes with the high-pass)", dcDbfs);
    } else {
        std::snprintf(text, sizeof text, "idle, bypassed (%s under %.0f dBFS)", std::isfinite(dcDbfs) ? "offset" : "no offset",
                      kDcOffsetActionDbfs);
    }
    plan.dcWhy = text;
    return largestDc;
}

StagePlan planStages(const ProgrammeNeeds& needs, const Style& style, const std::map<std::string, double>& overrides, double targetLufs,
                     double gainDb, double aimDbtp, bool matching, bool limiterForced) {
    StagePlan plan;
    char text[240];
    planHighpass(needs, style, overrides, plan);
    const double largestDc = planDcRemoval(needs, plan);

    // The multiband compressor is idle when no band's detector reaches where its knee starts
    // at this gain (the levels move with the gain dB for dB; a shelf's boost is added, and
    // with reference matching it is not predicted).
    const MultibandCompressorParams mb = multibandParams(style, targetLufs);
    const double boost = std::max({0.0, style.lowShelfDb, style.highShelfDb});
    double closest = -std::numeric_limits<double>::infinity();  // the band nearest its knee: level - knee start
    for (int b = 0; b < 3; ++b) {
        const CompressorParams& band = mb.bands[static_cast<std::size_t>(b)];
        closest =
            std::max(closest, needs.bandLevelDb[static_cast<std::size_t>(b)] + gainDb + boost - (band.thresholdDb - band.kneeDb / 2.0));
    }
    plan.multiband = style.ratio > 1.0 && (matching || closest > -kIdleMarginDb);
    if (style.ratio <= 1.0) {
        plan.multibandWhy = "off, bypassed (ratio 1)";
    } else if (!plan.multiband) {
        std::snprintf(text, sizeof text, "idle, bypassed (the band nearest its threshold stays %.1f dB under its knee at this gain)",
                      -closest);
        plan.multibandWhy = text;
    } else {
        plan.multibandWhy = "3 bands, RMS detection";
    }

    // The limiter is idle when the chain before it is linear and level-only (gain, a DC
    // offset taken away) and the peak at this gain stays under the aim; the delivered file
    // is measured after every pass, and a peak over brings the limiter back.
    const bool levelOnly =
        !plan.equalizer && !plan.multiband && !matching && style.saturationDriveDb <= 0.0 && !widthActive(style, needs.input.channels);
    // The peak at this gain: the input's (a removed offset can move it by at most itself).
    const double predicted = gainToDb(dbToGain(needs.input.truePeakDbtp.value_or(-200.0)) + (plan.dcRemoval ? largestDc : 0.0)) + gainDb;
    plan.limiter = limiterForced || !levelOnly || predicted > aimDbtp;
    if (!plan.limiter) {
        std::snprintf(text, sizeof text, "idle, bypassed (the peak at this gain, %.2f dBTP, stays under the %.2f dBTP aim)", predicted,
                      aimDbtp);
        plan.limiterWhy = text;
    } else {
        plan.limiterWhy = "true peak, ideal reconstruction";
    }
    return plan;
}

struct Chain {
    ProcessorChain chain;
    Gain* gain = nullptr;
    MultibandCompressor* multiband = nullptr;
    TruePeakLimiter* limiter = nullptr;
    // Every stage but the gain runs inside a probe that measures the difference it makes.
    std::vector<std::pair<std::string, DifferenceProbe*>> probes;

    template <typename P>
    P* addProbed(const std::string& stage, std::unique_ptr<P> processor) {
        P* raw = processor.get();
        auto probe = std::make_unique<DifferenceProbe>(std::move(processor));
        probes.emplace_back(stage, probe.get());
        chain.add(std::move(probe));
        return raw;
    }
};

// The corrective EQ the plan asks for: the high-pass, the style's shelves.
EqParams correctiveEq(const Style& style, const StagePlan& plan) {
    EqParams eq;
    eq.bandCount = 0;
    if (plan.highpassSlopeDbOct > 0)
        eq.bands[static_cast<std::size_t>(eq.bandCount++)] = {
            EqBandType::HighPass, style.highpassHz, 0.0, 0.7071, plan.highpassSlopeDbOct, true};
    if (style.lowShelfDb != 0)
        eq.bands[static_cast<std::size_t>(eq.bandCount++)] = {EqBandType::LowShelf, style.lowShelfHz, style.lowShelfDb, 0.7071, 12, true};
    if (style.highShelfDb != 0)
        eq.bands[static_cast<std::size_t>(eq.bandCount++)] = {
            EqBandType::HighShelf, style.highShelfHz, style.highShelfDb, 0.7071, 12, true};
    return eq;
}

MasterStage eqStage(const Style& style, const StagePlan& plan, double sampleRate) {
    MasterStage stage{"corrective_eq", {}, {}, plan.eqWhy, plan.equalizer};
    if (plan.highpassSlopeDbOct > 0) {
        stage.settings["highpass_hz"] = style.highpassHz;
        stage.settings["highpass_slope_db_oct"] = plan.highpassSlopeDbOct;
    }
    if (style.lowShelfDb != 0) {
        stage.settings["low_shelf_hz"] = style.lowShelfHz;
        stage.settings["low_shelf_db"] = style.lowShelfDb;
    }
    if (style.highShelfDb != 0) {
        stage.settings["high_shelf_hz"] = style.highShelfHz;
        stage.settings["high_shelf_db"] = style.highShelfDb;
    }
    if (plan.equalizer) {
        // The curve applied, at the octave-band centres.
        Equalizer probe;
        probe.setParams(correctiveEq(style, plan));
        probe.prepare({sampleRate, 16, 1});
        for (double f : octaveBandsHz()) {
            char key[32];
            std::snprintf(key, sizeof key, "response_db_at_%g_hz", f);
            stage.effect[key] = std::round(probe.magnitudeDb(f) * 100.0) / 100.0;
        }
    }
    return stage;
}

MasterStage referenceStage(const ReferenceMatch& match) {
    MasterStage m{"reference_match", {}, {}, "linear-phase mid/side curve measured against the reference(s)"};
    for (double f : octaveBandsHz()) {
        char key[40];
        std::snprintf(key, sizeof key, "tone_db_at_%g_hz", f);
        m.effect[key] = std::round(match.toneAtDb(f) * 100.0) / 100.0;
        std::snprintf(key, sizeof key, "mid_width_db_at_%g_hz", f);
        m.effect[key] = std::round(match.midWidthAtDb(f) * 100.0) / 100.0;
        std::snprintf(key, sizeof key, "side_width_db_at_%g_hz", f);
        m.effect[key] = std::round(match.sideWidthAtDb(f) * 100.0) / 100.0;
    }
    return m;
}

MasterStage multibandStage(const Style& style, const StagePlan& plan, double targetLufs, double sampleRate) {
    MasterStage stage{"multiband_compression",
                      {{"crossover_low_hz", 120.0},
                       {"crossover_high_hz", 2500.0},
                       {"ratio", style.ratio},
                       {"threshold_db", targetLufs + style.thresholdOffsetDb},
                       {"attack_ms", style.attackMs},
                       {"release_ms", style.releaseMs},
                       {"linear_phase", style.linearPhase >= 0.5 ? 1.0 : 0.0}},
                      {},
                      plan.multibandWhy,
                      plan.multiband};
    if (plan.multiband && style.linearPhase < 0.5) {
        // LR4 sums flat in magnitude but turns the phase: how far, at octave centres.
        Crossover lr4;
        lr4.prepare(1, sampleRate);
        const double splits[] = {120.0, 2500.0};
        lr4.setFrequencies(splits, 2);
        for (double f : octaveBandsHz()) {
            char key[48];
            std::snprintf(key, sizeof key, "phase_rotation_deg_at_%g_hz", f);
            stage.effect[key] = std::round(lr4.sumPhaseDegrees(f));
        }
        stage.detail += ", LR4 crossovers (they turn the phase)";
    } else if (plan.multiband) {
        stage.detail += ", linear-phase crossovers";
    }
    return stage;
}

// Every stage of the chain as the report shows it, those bypassed too.
void describeChain(std::vector<MasterStage>& stages, const Style& style, const StagePlan& plan, double targetLufs, double limiterCeiling,
                   double gainDb, double sampleRate, int channels, const ReferenceMatch* match) {
    MasterStage dcStage{"dc_offset", {}, {}, plan.dcWhy, plan.dcRemoval};
    for (std::size_t ch = 0; ch < plan.dcOffset.size(); ++ch)
        dcStage.settings["offset_channel" + std::to_string(ch + 1)] = plan.dcRemoval ? plan.dcOffset[ch] : 0.0;
    stages.push_back(dcStage);
    stages.push_back({"gain", {{"gain_db", gainDb}}, {}, "make-up gain towards the target"});
    stages.push_back(eqStage(style, plan, sampleRate));
    if (match) stages.push_back(referenceStage(*match));
    stages.push_back(multibandStage(style, plan, targetLufs, sampleRate));
    if (style.saturationDriveDb > 0.0)
        stages.push_back({"saturation",
                          {{"drive_db", style.saturationDriveDb}, {"mix", style.saturationMix}},
                          {},
                          style.saturation == SaturationType::Tube ? "tube, 8x oversampled" : "tape, 8x oversampled"});
    const bool width = widthActive(style, channels);
    if (channels == 2)
        stages.push_back({"width",
                          {{"width", style.width}, {"mono_below_hz", style.monoBelowHz}},
                          {},
                          width ? (plan.widthWhy.empty() ? "mid/side" : plan.widthWhy) : "idle, bypassed (width 1, stereo lows kept)",
                          width});
    stages.push_back(
        {"limiter",
         {{"ceiling_dbtp", limiterCeiling}, {"lookahead_ms", style.limiterLookaheadMs}, {"release_ms", style.limiterReleaseMs}},
         {},
         plan.limiterWhy,
         plan.limiter});
}

// Builds the chain for one pass (only the stages the plan runs); describes every stage in
// `stages` when given, those bypassed too.
Chain buildChain(const Style& style, const StagePlan& plan, double targetLufs, double limiterCeiling, double gainDb, double sampleRate,
                 int channels, const ReferenceMatch* match, std::vector<MasterStage>* stages) {
    Chain c;
    if (plan.dcRemoval) {
        DcOffsetParams dc;
        for (std::size_t ch = 0; ch < plan.dcOffset.size() && ch < dc.offset.size(); ++ch) dc.offset[ch] = plan.dcOffset[ch];
        auto removal = std::make_unique<DcOffsetRemoval>();
        removal->setParams(dc);
        c.addProbed("dc_offset", std::move(removal));
    }
    auto gain = std::make_unique<Gain>();
    gain->setParams({gainDb});
    c.gain = gain.get();
    c.chain.add(std::move(gain));
    if (plan.equalizer) {
        auto equalizer = std::make_unique<Equalizer>();
        equalizer->setParams(correctiveEq(style, plan));
        c.addProbed("corrective_eq", std::move(equalizer));
    }
    // Reference matching: the measured tone curve on mid and side, plus the side's width
    // gain, as one linear-phase mid/side EQ.
    if (match) {
        auto matchEq = std::make_unique<MidSideCurveEq>();
        matchEq->setParams(match->curveEqParams());
        c.addProbed("reference_match", std::move(matchEq));
    }
    if (plan.multiband) {
        auto multiband = std::make_unique<MultibandCompressor>();
        multiband->setParams(multibandParams(style, targetLufs));
        c.multiband = c.addProbed("multiband_compression", std::move(multiband));
    }
    if (style.saturationDriveDb > 0.0) {
        SaturationParams sat;
        sat.type = style.saturation;
        sat.driveDb = style.saturationDriveDb;
        sat.mix = style.saturationMix;
        auto saturation = std::make_unique<Saturation>();
        saturation->setParams(sat);
        c.addProbed("saturation", std::move(saturation));
    }
    if (widthActive(style, channels)) {
        auto width = std::make_unique<Width>();
        width->setParams({style.width, style.monoBelowHz});
        c.addProbed("width", std::move(width));
    }
    if (plan.limiter) {
        auto limiter = std::make_unique<TruePeakLimiter>();
        limiter->setParams({limiterCeiling, style.limiterLookaheadMs, style.limiterReleaseMs});
        c.limiter = c.addProbed("limiter", std::move(limiter));
    }
    c.chain.prepare({sampleRate, static_cast<int>(kBlockFrames), channels});
    if (stages) describeChain(*stages, style, plan, targetLufs, limiterCeiling, gainDb, sampleRate, channels, match);
    return c;
}

struct PassResult {
    AnalysisResult output;
    std::optional<SpectrumProfile> outputProfile;  // when asked for
    double limiterMaxDb = 0.0, limiterMeanDb = 0.0;
    std::array<double, 3> bandMaxDb{};
    std::map<std::string, double> residualDb;  // per stage that ran: the difference it made
    std::vector<MasterResult::GainReductionPoint> gainReduction;
};

// What the dynamics took in the blocks rendered since the last call, as one point.
void recordGainReduction(Chain& chain, double seconds, std::vector<MasterResult::GainReductionPoint>& into) {
    MasterResult::GainReductionPoint point;
    point.seconds = seconds;
    if (chain.limiter) point.limiterDb = chain.limiter->takeRecentGainReductionDb();
    if (chain.multiband)
        for (int b = 0; b < 3; ++b) point.bandsDb[static_cast<std::size_t>(b)] = chain.multiband->takeRecentGainReductionDb(b);
    into.push_back(point);
}

// One pass over the input: the chain, then the delivery (rate conversion, dither, the
// writer when `into` is given, the analysis of what is delivered).
// `progress` (optional) is told the fraction of the input rendered so far.
// How the master is delivered: rate, container, sample format, dither and (lossy) bit rate.
struct Delivery {
    double rate = 0.0;
    FileFormat container = FileFormat::Wav;
    SampleFormat format = SampleFormat::Pcm24;
    DitherType dither = DitherType::Tpdf;
    int bitrateKbps = 0;
    int vbrQuality = -1;
};

PassResult renderPass(const std::string& input, Chain& chain, const Delivery& delivered, AtomicOutputFile* into, bool profileOutput,
                      const std::function<void(double)>& progress) {
    SoundFileReader reader(input);
    const SoundFileInfo& info = reader.info();
    PassProgress passProgress(progress, info.frames);
    OutputSpec spec;
    spec.into = into;  // none: measure only
    spec.inputRate = info.sampleRate;
    spec.outputRate = delivered.rate;
    spec.channels = info.channels;
    spec.container = delivered.container;
    spec.sampleFormat = delivered.format;
    spec.dither = delivered.dither;
    spec.bitrateKbps = delivered.bitrateKbps;
    spec.vbrQuality = delivered.vbrQuality;
    spec.blockFrames = kBlockFrames;
    // A lossy pass is measured before the encoder (stable from pass to pass, so that the
    // loop converges as for a lossless file); the decoded file is measured after the loop.
    spec.measureDecoded = false;
    auto measure =
        std::make_unique<ProgramAnalyzer>(delivered.rate, info.channels, std::vector<Speaker>{}, true, true);  // true peak on a second core
    if (profileOutput) measure->enableSpectrumProfile();
    OutputWriter delivery(spec, std::move(measure));
    PassResult r;
    std::uint64_t rendered = 0, recorded = 0;  // input frames read (the chain has processed them before each read); drawn
    const auto record = [&] {
        if (rendered == recorded) return;
        recordGainReduction(chain, static_cast<double>(rendered) / info.sampleRate, r.gainReduction);
        recorded = rendered;
    };
    renderAligned(
        chain.chain, info.channels, kBlockFrames,
        [&](AudioView block) {
            record();
            const std::size_t got = reader.read(block);
            passProgress.read(got);
            rendered += got;
            return got;
        },
        [&](ConstAudioView block) { delivery.write(block); });
    record();
    r.output = delivery.close();
    if (profileOutput) r.outputProfile = delivery.analyzer()->spectrumProfile(r.output);
    if (chain.limiter) {
        r.limiterMaxDb = chain.limiter->maxGainReductionDb();
        r.limiterMeanDb = chain.limiter->meanGainReductionDb();
    }
    if (chain.multiband)
        for (int b = 0; b < 3; ++b) r.bandMaxDb[static_cast<std::size_t>(b)] = chain.multiband->maxGainReductionDb(b);
    for (const auto& [stage, probe] : chain.probes) r.residualDb[stage] = probe->residualDb();
    return r;
}

}  // namespace

namespace {

// The target, and the loudness and ceiling asked for (the target's unless overridden),
// checked; into result.
const LoudnessTarget* resolveTarget(const MasterSettings& settings, MasterResult& result) {
    const LoudnessAim aim = resolveLoudnessAim(settings.target, settings.lufs, settings.ceilingDbtp);
    result.targetLufs = aim.lufs;
    result.ceilingDbtp = aim.ceilingDbtp;
    for (double amount : {settings.match.tone, settings.match.width, settings.match.loudness, settings.match.dynamics})
        if (!(amount >= 0.0 && amount <= 1.0)) throw ConfigError("--match amounts must be between 0 and 1");
    return aim.target;
}

// Neutral leaves the stereo alone, but for bass that bounce check would flag as out of
// phase (it cancels in mono: on a club system, a phone, a vinyl cut): then the side is
// folded to mono below twice the flagged octave's centre (the width stage's 24 dB/oct
// high-pass on the side takes the octave down 30 dB or more), at most 160 Hz, and the
// report says so. Not where a style, --set or a reference decides the width of the lows.
// Returns why the width stage runs ("" when it was not asked to).
std::string foldOutOfPhaseBass(const ProgrammeNeeds& needs, const MasterSettings& settings, int channels, Style& style,
                               MasterResult& result) {
    std::string widthWhy;
    if (channels == 2 && style.monoBelowHz == 0.0 && !settings.overrides.count("width.mono_below_hz") && settings.references.empty()) {
        const PhaseFindings phase = phaseFindings(needs.profile);
        std::optional<std::size_t> highest;
        for (std::size_t k : phase.outOfPhase)
            if (octaveBandsHz()[k] <= kOutOfPhaseBassUpToHz) highest = k;
        if (highest) {
            const double centre = octaveBandsHz()[*highest];
            style.monoBelowHz = std::min(std::round(2.0 * centre), 160.0);
            char text[240];
            std::snprintf(text, sizeof text,
                          "out-of-phase bass at %g Hz (correlation %.2f, as bounce check flags it): the side below %.0f Hz folded to mono",
                          centre, phase.correlation[*highest], style.monoBelowHz);
            widthWhy = text;
            result.warnings.push_back(widthWhy);
        }
    }
    return widthWhy;
}

// Reference matching: each reference's profile (and what it lacks), their average, the
// curves to match it, and what the references decide: the loudness (unless given), the
// width of the lows, how dense the multiband makes the programme. Returns the average.
SpectrumProfile matchReferences(const MasterSettings& settings, const SpectrumProfile& inputProfile, double inputLufs, Style& style,
                                MasterResult& result, std::vector<SpectrumProfile>& profiles) {
    for (const auto& path : settings.references) {
        profiles.push_back(analyzeSpectrumProfile(path));
        if (!profiles.back().integratedLufs) throw Error(path + ": the reference is silent; there is nothing to match");
        if (!profiles.back().bandHz.empty() && profiles.back().bandHz.back() < 12000.0 &&
            inputProfile.bandHz.size() > profiles.back().bandHz.size()) {
            char text[200];
            std::snprintf(text, sizeof text, "%s: a %.0f Hz file has nothing above %.1f kHz: the tone above is left as it is", path.c_str(),
                          profiles.back().sampleRate, profiles.back().sampleRate / 2000.0);
            result.warnings.push_back(text);
        }
        result.references.push_back({path, profiles.back().integratedLufs, profiles.back().crestDb, profiles.back().overallWidth(),
                                     spectralDistanceDb(inputProfile, profiles.back()), 0.0});
    }
    SpectrumProfile referenceProfile = averageProfiles(profiles);
    result.match = matchToReference(inputProfile, referenceProfile, settings.match);
    result.distanceBeforeDb = result.match->distanceDb;
    if (!settings.lufs && !settings.targetGiven) {
        result.targetLufs = inputLufs + settings.match.loudness * (*referenceProfile.integratedLufs - inputLufs);
        result.targetLufs = std::clamp(result.targetLufs, kMinTargetLufs, kMaxTargetLufs);
    }
    // The references decide the width, the low end's too: the style's mono-lows stage
    // would undo a reference's wide lows (unless asked for with --set).
    if (!settings.overrides.count("width.mono_below_hz")) style.monoBelowHz = 0.0;
    // Dynamics: a reference denser than the input (lower peak-to-loudness ratio) pulls
    // the multiband thresholds down, half a dB per dB of crest difference at full amount.
    if (inputProfile.crestDb && referenceProfile.crestDb) {
        const double denser = std::clamp(*inputProfile.crestDb - *referenceProfile.crestDb, 0.0, 12.0);
        style.thresholdOffsetDb -= settings.match.dynamics * 0.5 * denser;
    }
    return referenceProfile;
}

// Codec-safe delivery's search for the highest aim whose lossy round trips stay under the
// ceiling (docs/master.md, the loop, step 4): down from the file's peak by the decoded over
// and a twentieth of a dB (twice that, four times... while a step leaves the worst round
// trip where it was: an encoder's overs need not sit on the file's highest peaks); once
// one aim passes and another fails, bisection to a tenth of a dB; at most kMaxCodecRounds
// rounds, and one more to deliver the best.
class CodecAimSearch {
public:
    explicit CodecAimSearch(double targetDbtp) : target_(targetDbtp) {}

    // After round `round`, whose file peaked at `effective` and whose worst round trip read
    // `worst`: the next aim, or nullopt when this render is the one to deliver. `warning` is
    // set when the rounds ran out with a round trip still over.
    std::optional<double> next(int round, double effective, double worst, std::string& warning) {
        const bool passed = worst <= target_;
        if (passed) {
            passing_ = std::max(passing_, effective);
            anyPassed_ = true;
        } else {
            failing_ = std::min(failing_, effective);
            anyFailed_ = true;
        }
        if (finalRound_) return std::nullopt;
        double next = 0.0;
        if (anyPassed_ && anyFailed_) {
            // Bracketed: bisect while the bracket is wider than a tenth of a dB, then deliver
            // the highest aim that passed.
            if (failing_ - passing_ <= kCodecBracketDb || round + 1 >= kMaxCodecRounds) {
                if (passed && effective == passing_) return std::nullopt;  // this render is that one
                next = passing_;
                finalRound_ = true;
            } else {
                next = 0.5 * (passing_ + failing_);
            }
        } else if (passed) {
            return std::nullopt;  // passed at the first aim: nothing was lowered
        } else if (round >= kMaxCodecRounds) {
            char text[200];
            std::snprintf(text, sizeof text,
                          "codec-safe: after %d rounds a decoded round trip still peaks at %+.2f dBTP, over the %.1f dBTP ceiling", round,
                          worst, target_ + kDeliveredTruePeakGuardDb);
            warning = text;
            return std::nullopt;
        } else {
            if (round > 1 && worst >= previousWorst_ - 0.01) stepScale_ *= 2.0;
            next = effective - ((worst - target_) + kCodecStepDb) * stepScale_;
        }
        previousWorst_ = worst;
        return next;
    }

private:
    double target_, stepScale_ = 1.0, previousWorst_ = 0.0;
    double passing_ = -120.0, failing_ = 0.0;  // the highest aim that passed, the lowest that failed
    bool anyPassed_ = false, anyFailed_ = false, finalRound_ = false;
};

// The report's stages (as the delivered pass built them, the bypassed ones too): what each
// did in that pass, then the conversions after the chain.
void describeStages(MasterResult& result, double limiterCeiling, const SoundFileInfo& info, double outputRate, SampleFormat format,
                    DitherType ditherType, const PassResult& pass) {
    for (auto& stage : result.stages) {
        // The difference the stage made: its output against its time-aligned, gain-matched
        // input, dB against the output (DifferenceProbe; -200: none at all).
        if (const auto it = pass.residualDb.find(stage.name); it != pass.residualDb.end() && stage.active)
            stage.effect["residual_db"] = std::isfinite(it->second) ? std::round(std::max(it->second, -200.0) * 10.0) / 10.0 : -200.0;
        if (stage.name == "limiter") {
            stage.effect["max_gain_reduction_db"] = pass.limiterMaxDb;
            stage.effect["mean_gain_reduction_db"] = pass.limiterMeanDb;
            stage.settings["internal_ceiling_dbtp"] = limiterCeiling;
        }
        if (stage.name == "multiband_compression")
            for (int b = 0; b < 3; ++b)
                stage.effect["band" + std::to_string(b + 1) + "_max_gain_reduction_db"] = pass.bandMaxDb[static_cast<std::size_t>(b)];
    }
    if (outputRate != info.sampleRate)
        result.stages.push_back({"resample", {{"from_hz", info.sampleRate}, {"to_hz", outputRate}}, {}, "soxr, very high quality"});
    if (format == SampleFormat::Pcm16)
        result.stages.push_back({"dither", {{"bits", 16.0}}, {}, ditherType == DitherType::NoiseShaped ? "TPDF, noise-shaped" : "TPDF"});
}

// Honest warnings: what the user should know about the input and what was done to it.
// The report's curves: the dynamics over time (the delivered pass's), and the tone applied
// on purpose per third-octave band (the corrective EQ's response, plus the match's tone).
void describeForCharts(const StagePlan& plan, const Style& style, const PassResult& pass, const std::vector<double>& bandHz,
                       double sampleRate, MasterResult& result) {
    result.gainReduction = pass.gainReduction;
    result.limiterRan = plan.limiter;
    result.multibandRan = plan.multiband;
    Equalizer eq;
    eq.setParams(correctiveEq(style, plan));
    eq.prepare({sampleRate, 64, 2});
    for (double hz : bandHz) {
        if (hz >= sampleRate / 2.0) break;
        double db = plan.equalizer ? eq.magnitudeDb(hz) : 0.0;
        if (result.match) db += result.match->toneAtDb(hz);
        result.appliedEqDb.emplace_back(hz, db);
    }
}

void addWarnings(MasterResult& result, const MasterSettings& settings, const StagePlan& plan, double limiterMaxDb, int channels) {
    if (!result.reachedTarget) result.warnings.push_back("the target was not reached within " + std::to_string(kMaxPasses) + " passes");
    if (result.codecLoweringDb > 0.0) {
        char text[200];
        std::snprintf(text, sizeof text, "%s: the limiter's ceiling was lowered by %.2f dB so that %s stay%s under the ceiling",
                      settings.codecSafe ? "codec-safe" : "lossy master", result.codecLoweringDb,
                      settings.codecSafe ? "the lossy round trips" : "the decoded file", settings.codecSafe ? "" : "s");
        result.warnings.push_back(text);
    }
    if (limiterMaxDb > settings.maxLimiterReductionDb) {
        char text[200];
        std::snprintf(text, sizeof text,
                      "reaching %.1f LUFS takes up to %.1f dB of limiting (more than %.0f dB): this programme is too dynamic for "
                      "that target",
                      result.targetLufs, limiterMaxDb, settings.maxLimiterReductionDb);
        if (settings.strict) throw Error(std::string("target unreachable with --strict: ") + text + "; nothing was written");
        result.warnings.push_back(std::string(text) + "; the master does what was asked");
    }
    if (result.match && channels == 1 && settings.match.width > 0.0 && result.match->referenceWidth > 0.01)
        result.warnings.push_back("the input is mono: the references' width cannot be matched (the master stays mono)");
    if (result.input.clippedSamples > 0)
        result.warnings.push_back("the input clips (" + std::to_string(result.input.clippedSamples) + " samples in full-scale runs)");
    for (std::size_t c = 0; c < result.input.dcOffsetDbfs.size(); ++c)
        if (result.input.dcOffsetDbfs[c] && *result.input.dcOffsetDbfs[c] > -40.0)
            result.warnings.push_back("the input has DC offset in channel " + std::to_string(c + 1) +
                                      (plan.dcRemoval                ? " (taken away)"
                                       : plan.highpassSlopeDbOct > 0 ? " (removed by the high-pass)"
                                                                     : ""));
    if (result.output.correlation && *result.output.correlation < 0.0)
        result.warnings.push_back("left and right are out of phase on average (correlation below 0): the master will lose level in mono");
}

}  // namespace

namespace {

// BOUNCE_DEBUG_MASTER=1 prints each pass and how long each phase took.
class PhaseTimer {
public:
    explicit PhaseTimer(bool verbose)
        : debug_(verbose || std::getenv("BOUNCE_DEBUG_MASTER") != nullptr), start_(std::chrono::steady_clock::now()) {}
    bool debug() const noexcept { return debug_; }
    void done(const char* what) {
        const auto now = std::chrono::steady_clock::now();
        if (debug_) std::fprintf(stderr, "%-22s %.3f s\n", what, std::chrono::duration<double>(now - start_).count());
        start_ = now;
    }

private:
    bool debug_;
    std::chrono::steady_clock::time_point start_;
};

Delivery resolveDelivery(const MasterSettings& settings, const LoudnessTarget& target, const SoundFileInfo& info,
                         const std::string& outputPath) {
    Delivery d;
    d.rate = settings.outputRate > 0.0 ? settings.outputRate : target.sampleRate > 0.0 ? target.sampleRate : info.sampleRate;
    const std::string bits = !settings.bits.empty() ? settings.bits : !target.bits.empty() ? target.bits : "24";
    d.container = writableFormatForPath(outputPath, settings.format);
    d.bitrateKbps = settings.bitrateKbps;
    d.vbrQuality = settings.vbrQuality;
    if (isLossy(d.container)) {
        // The encoder takes the float render: no word length, no dither. A rate it cannot
        // hold (MP3 above 48 kHz) becomes the nearest it can, unless asked for explicitly.
        if (!settings.bits.empty()) throw ConfigError("--bits does not apply to a lossy master (" + outputPath + ")");
        if (settings.outputRate > 0.0 && deliverableRate(d.container, d.rate) != d.rate)
            throw ConfigError("--rate " + std::to_string(static_cast<long>(d.rate)) + " cannot be held by " + outputPath);
        d.rate = deliverableRate(d.container, d.rate);
        d.format = SampleFormat::Float32;
        d.dither = DitherType::None;
        return d;
    }
    if (settings.bitrateKbps > 0) throw ConfigError("--bitrate applies to MP3 and AAC masters, not " + outputPath);
    if (settings.vbrQuality >= 0) throw ConfigError("--quality is LAME's VBR scale, for MP3 masters, not " + outputPath);
    d.format = outputSampleFormat(bits, d.container);
    d.dither = settings.dither == "shaped" ? DitherType::NoiseShaped : settings.dither == "none" ? DitherType::None : DitherType::Tpdf;
    return d;
}

void checkCodecSafeSettings(const MasterSettings& settings) {
    if (!settings.codecSafe) return;
    if (settings.dryRun) throw ConfigError("--codec-safe measures the written file: it cannot be combined with --dry-run");
    for (const auto& codec : settings.codecSafeCodecs)
        if (std::find(roundTripCodecs().begin(), roundTripCodecs().end(), codec) == roundTripCodecs().end())
            throw ConfigError("--codec-safe: unknown codec '" + codec + "' (aac, mp3 or opus)");
    if (!ffmpegAvailable())
        throw ConfigError("--codec-safe needs ffmpeg on the PATH to encode and decode the round trips (apt-get install ffmpeg)");
}

// The closed loop: render passes, each measured as delivered, until the loudness is
// within kLoudnessTolerance of the target with the true peak under the aim (and not
// limited needlessly far under it). What the last pass rendered is kept for the report.
class LoudnessLoop {
public:
    struct Inputs {
        const std::string& inputPath;
        const SoundFileInfo& info;
        const ProgrammeNeeds& needs;
        const Style& style;
        const MasterSettings& settings;
        const ReferenceMatch* match;
        const std::string& widthWhy;
        const Delivery& delivery;
        AtomicOutputFile* output;
        bool profileOutput;
    };

    LoudnessLoop(const Inputs& in, double gainDb, double limiterCeiling) : in_(in), gain_(gainDb), limiterCeiling_(limiterCeiling) {}

    // Passes (at most kMaxPasses) toward the target under `aim` dBTP; result.passes and
    // result.reachedTarget updated.
    void run(double aim, MasterResult& result, PhaseTimer& timer);

    void setLimiterCeiling(double dbtp) { limiterCeiling_ = dbtp; }
    const PassResult& pass() const noexcept { return pass_; }
    const StagePlan& plan() const noexcept { return plan_; }
    // What the delivered render ran with (the loop may change gain and ceiling after its
    // last pass when it gives up).
    std::vector<MasterStage> renderedStages;
    double renderedGain = 0.0, renderedCeiling = 0.0;
    // A lossy delivery: the last pass's file as decoded, and the loudness the codec added
    // to what went into it (runClosedLoop).
    std::optional<AnalysisResult> decoded;
    double codecLoudnessDb = 0.0;

private:
    // The next gain: a secant step, as the limiter makes loudness grow more slowly than gain.
    void stepGain(double loudness, double targetLufs);

    const Inputs& in_;
    double gain_;
    double limiterCeiling_;
    bool limiterForced_ = false;  // a delivered peak over the aim brought an idle limiter back
    double previousGain_ = 0.0, previousLoudness_ = 0.0;
    bool havePrevious_ = false;
    StagePlan plan_;
    PassResult pass_;
};

void LoudnessLoop::run(double aim, MasterResult& result, PhaseTimer& timer) {
    havePrevious_ = false;
    result.reachedTarget = false;
    for (int p = 1; p <= kMaxPasses; ++p) {
        plan_ = planStages(in_.needs, in_.style, in_.settings.overrides, result.targetLufs, gain_, std::min(aim, limiterCeiling_),
                           in_.match != nullptr, limiterForced_);
        plan_.widthWhy = in_.widthWhy;
        // The stages are described as this pass builds them: the report says what ran.
        renderedStages.clear();
        Chain chain = buildChain(in_.style, plan_, result.targetLufs, limiterCeiling_, gain_, in_.info.sampleRate, in_.info.channels,
                                 in_.match, &renderedStages);
        renderedGain = gain_;
        renderedCeiling = limiterCeiling_;
        // Progress: the analysis was the first 20 %; passes until the target is met are not
        // known ahead, so each takes half of what is left, reported as it renders.
        const double from = 1.0 - 0.8 * std::pow(0.5, p - 1), to = 1.0 - 0.8 * std::pow(0.5, p);
        std::function<void(double)> passProgress;
        if (in_.settings.onProgress) passProgress = [&](double f) { in_.settings.onProgress(from + (to - from) * f); };
        pass_ = renderPass(in_.inputPath, chain, in_.delivery, in_.output, in_.profileOutput, passProgress);
        ++result.passes;
        // A lossy delivery: what the encoder takes, plus what the codec changed last time
        // (its low-pass takes a little loudness away): the decoded file is what must land.
        const double loudness = pass_.output.integratedLufs.value_or(-120.0) + codecLoudnessDb;
        const double truePeak = pass_.output.truePeakDbtp.value_or(-120.0);
        timer.done("render pass");
        if (timer.debug())
            std::fprintf(stderr, "pass %d: gain %.3f -> %.3f LUFS, %.3f dBTP, limiter %.2f dB\n", p, gain_, loudness, truePeak,
                         pass_.limiterMaxDb);
        const bool loudnessOk = std::fabs(loudness - result.targetLufs) <= kLoudnessTolerance;
        const bool peakOk = truePeak <= aim;
        // Limiting harder than the ceiling needs costs loudness and density for nothing.
        const bool limited = pass_.limiterMaxDb > 0.01;
        const bool marginOk = !limited || truePeak >= aim - kCeilingMarginWindowDb;
        if (loudnessOk && peakOk && marginOk) {
            result.reachedTarget = true;
            return;
        }
        if (!peakOk && !plan_.limiter) {
            limiterForced_ = true;  // rate conversion or dither took an idle master over
        } else if (!peakOk) {
            limiterCeiling_ -= (truePeak - aim) + 0.005;
        }
        if (!marginOk) limiterCeiling_ = std::min(limiterCeiling_ + (aim - truePeak) - kCeilingMarginWindowDb / 2, 0.0);
        if (!loudnessOk) stepGain(loudness, result.targetLufs);
        if (pass_.limiterMaxDb > 30.0 && !loudnessOk) return;  // it will not get there
    }
}

void LoudnessLoop::stepGain(double loudness, double targetLufs) {
    double slope = 1.0;
    if (havePrevious_ && gain_ != previousGain_) {
        // More gain never makes a master quieter on one ceiling; a secant that says it did
        // spans a lowered ceiling (a new curve), and its clamped slope would throw the gain
        // far off: step as if unlimited instead.
        const double secant = (loudness - previousLoudness_) / (gain_ - previousGain_);
        if (secant > 0.0) slope = std::clamp(secant, 0.1, 1.2);
    }
    previousGain_ = gain_;
    previousLoudness_ = loudness;
    havePrevious_ = true;
    gain_ += (targetLufs - loudness) / slope;
}

// The delivered file's lossy round trips, decoded and measured: the worst true peak.
double worstCodecPeak(const std::string& deliveredPath, const MasterSettings& settings, int round, MasterResult& result) {
    result.codecChecks = codecRoundTrips(deliveredPath, settings.codecSafeCodecs);
    result.codecRounds = round;
    double worst = -120.0;
    for (const auto& c : result.codecChecks) {
        if (!c.available) throw Error("--codec-safe: ffmpeg could not round-trip " + c.codec + " (is its encoder in this ffmpeg build?)");
        worst = std::max(worst, c.truePeakDbtp.value_or(-120.0));
    }
    return worst;
}

// A lossy master: the delivered file itself, decoded, must keep under the ceiling (an
// encoder's overshoot is a few tenths of a dB, more at low bit rates). The passes measure
// what goes into the encoder, which converges as a lossless master does; then the file is
// decoded and measured, and while it crosses, the aim comes down by the overshoot. Sets
// `next` lower when needed; false when the rounds ran out with the file still over.
bool lowerForTheDecodedFile(LoudnessLoop& loop, const std::string& path, int round, double aim, double guardedCeiling,
                            std::optional<double>& next, MasterResult& result, PhaseTimer& timer) {
    loop.decoded = analyzeFile(path);
    timer.done("decoded measurement");
    const double decodedPeak = loop.decoded->truePeakDbtp.value_or(-120.0);
    const double decodedLufs = loop.decoded->integratedLufs.value_or(-120.0);
    if (timer.debug()) std::fprintf(stderr, "round %d: decoded %.3f LUFS, %.3f dBTP\n", round, decodedLufs, decodedPeak);
    const bool loudnessOk = std::fabs(decodedLufs - result.targetLufs) <= kLoudnessTolerance;
    loop.codecLoudnessDb += decodedLufs - (loop.pass().output.integratedLufs.value_or(-120.0) + loop.codecLoudnessDb);
    if (decodedPeak <= guardedCeiling && loudnessOk) return true;
    if (round >= kMaxCodecRounds) {
        char text[200];
        std::snprintf(text, sizeof text, "after %d rounds the decoded file still peaks at %+.2f dBTP, over the %.1f dBTP ceiling", round,
                      decodedPeak, guardedCeiling + kDeliveredTruePeakGuardDb);
        result.warnings.push_back(text);
        return false;
    }
    if (decodedPeak > guardedCeiling) next = std::min(next.value_or(aim), aim - (decodedPeak - guardedCeiling) - kCodecStepDb);
    if (!next) next = aim;  // the loudness only: again at the same aim, with the codec's loudness known
    return true;
}

// The closed loop. With --codec-safe, an outer loop round it: the delivered file's lossy
// round trips are decoded and measured, and while one crosses the ceiling (less the
// meter's guard) the aim comes down (CodecAimSearch). At most kMaxCodecRounds rounds, and
// one to deliver the best.
void runClosedLoop(LoudnessLoop& loop, const MasterSettings& settings, const Delivery& delivery, AtomicOutputFile* output,
                   MasterResult& result, PhaseTimer& timer) {
    const double guardedCeiling = result.ceilingDbtp - kDeliveredTruePeakGuardDb;
    const bool decode = isLossy(delivery.container) && output;
    CodecAimSearch codecSearch(guardedCeiling);
    double codecLoweringDb = 0.0;
    for (int round = 1;; ++round) {
        const double aim = guardedCeiling - codecLoweringDb;
        loop.run(aim, result, timer);
        std::optional<double> next;
        if (settings.codecSafe) {
            const double worst = worstCodecPeak(output->tempPath(), settings, round, result);
            timer.done("codec round trips");
            if (timer.debug()) std::fprintf(stderr, "codec round %d: worst decoded %.3f dBTP\n", round, worst);
            // The same guard as the file's own peak: the decoded files are read by this meter.
            // Where the file's peak actually is (under the aim when the limiter was idle).
            const double effective = std::min(loop.pass().output.truePeakDbtp.value_or(aim), aim);
            if (worst <= guardedCeiling) result.codecSafeReached = true;
            std::string warning;
            next = codecSearch.next(round, effective, worst, warning);
            if (!warning.empty()) result.warnings.push_back(warning);
        }
        if (decode && !lowerForTheDecodedFile(loop, output->tempPath(), round, aim, guardedCeiling, next, result, timer)) break;
        if (!next) break;
        codecLoweringDb = guardedCeiling - *next;
        loop.setLimiterCeiling(*next);
    }
    result.codecLoweringDb = codecLoweringDb;
}

// A lossy master's codec settings, and whether its measurement is of the decoded file.
void describeLossyDelivery(const Delivery& delivery, bool decoded, MasterResult& result) {
    if (!isLossy(delivery.container)) return;
    result.vbrQuality = delivery.vbrQuality;
    result.bitrateKbps = delivery.vbrQuality >= 0                ? 0
                         : delivery.bitrateKbps > 0              ? delivery.bitrateKbps
                         : delivery.container == FileFormat::Mp3 ? kDefaultMp3Kbps
                         : delivery.container == FileFormat::Aac ? kDefaultAacKbps
                                                                 : 0;
    result.measuredDecoded = decoded;
}

// The delivered file against the references.
void compareWithReferences(const SpectrumProfile& outputProfile, const SpectrumProfile& referenceProfile,
                           const std::vector<SpectrumProfile>& profiles, MasterResult& result) {
    result.distanceAfterDb = spectralDistanceDb(outputProfile, referenceProfile);
    result.outputCrestDb = outputProfile.crestDb;
    result.outputWidth = outputProfile.overallWidth();
    for (std::size_t i = 0; i < profiles.size(); ++i) result.references[i].distanceAfterDb = spectralDistanceDb(outputProfile, profiles[i]);
}

}  // namespace

std::vector<std::string> masterInputs(const std::string& inputPath, const MasterSettings& settings) {
    std::vector<std::string> inputs{inputPath};
    inputs.insert(inputs.end(), settings.references.begin(), settings.references.end());
    if (!settings.metadata.artworkPath.empty()) inputs.push_back(settings.metadata.artworkPath);
    return inputs;
}

MasterResult masterFile(const std::string& inputPath, const std::string& outputPath, const MasterSettings& settings) {
    MasterResult result;
    PhaseTimer timer(settings.verbose);
    const LoudnessTarget* target = resolveTarget(settings, result);
    Style style = styleFor(settings.style, settings.intensity);
    applyOverrides(style, settings.overrides);
    validateMetadata(settings.metadata);

    // Pass 0: the input's full analysis, and in the same read what each stage would have
    // to do (the multiband's band levels, subsonic content, DC offset).
    const SoundFileInfo info = SoundFileReader(inputPath).info();
    if (info.channels > 2)
        throw ConfigError(inputPath + ": mastering takes mono or stereo files (this one has " + std::to_string(info.channels) +
                          " channels)");
    std::function<void(double)> analysisProgress;
    if (settings.onProgress) analysisProgress = [&settings](double f) { settings.onProgress(0.2 * f); };
    const ProgrammeNeeds needs = measureProgrammeNeeds(inputPath, style, result.targetLufs, analysisProgress);
    result.input = needs.input;
    const std::optional<double> inputLufs = needs.input.integratedLufs;
    timer.done("input analysis");
    if (settings.onProgress) settings.onProgress(0.2);
    if (!inputLufs) throw Error(inputPath + ": the input is silent (no block above -70 LUFS); there is nothing to master");
    std::optional<SpectrumProfile> referenceProfile;
    std::vector<SpectrumProfile> profiles;  // one per reference
    if (!settings.references.empty()) {
        referenceProfile = matchReferences(settings, needs.profile, *inputLufs, style, result, profiles);
        timer.done("reference analysis");
    }
    const std::string widthWhy = foldOutOfPhaseBass(needs, settings, info.channels, style, result);
    const Delivery delivery = resolveDelivery(settings, *target, info, outputPath);
    checkCodecSafeSettings(settings);
    std::unique_ptr<AtomicOutputFile> output;
    if (!settings.dryRun) output = std::make_unique<AtomicOutputFile>(outputPath, masterInputs(inputPath, settings));

    double gain = result.targetLufs - *inputLufs;
    if (result.match) gain -= result.match->predictedLoudnessChangeDb(needs.profile);
    const LoudnessLoop::Inputs loopInputs{inputPath,    info,
                                          needs,        style,
                                          settings,     result.match ? &*result.match : nullptr,
                                          widthWhy,     delivery,
                                          output.get(), referenceProfile.has_value()};
    LoudnessLoop loop(loopInputs, gain, result.ceilingDbtp - kDeliveredTruePeakGuardDb);
    runClosedLoop(loop, settings, delivery, output.get(), result, timer);

    const PassResult& pass = loop.pass();
    result.gainDb = loop.renderedGain;
    result.output = loop.decoded ? *loop.decoded : pass.output;  // a lossy file: as decoded
    result.output.path = settings.dryRun ? std::string() : outputPath;
    describeLossyDelivery(delivery, loop.decoded.has_value(), result);
    result.stages = std::move(loop.renderedStages);
    describeStages(result, loop.renderedCeiling, info, delivery.rate, delivery.format, delivery.dither, pass);
    result.playback = platformPlayback(result.output);
    describeForCharts(loop.plan(), style, pass, needs.profile.bandHz, info.sampleRate, result);
    addWarnings(result, settings, loop.plan(), pass.limiterMaxDb, info.channels);
    // Dry runs have no file to measure against the references.
    if (referenceProfile && output) {
        compareWithReferences(*pass.outputProfile, *referenceProfile, profiles, result);
        timer.done("output profile");
    }
    if (output) {
        // Players of the formats that carry ReplayGain normalise by it: tagged always,
        // with what the file delivers (decoded, for a lossy one).
        Metadata tags = settings.metadata;
        if (carriesReplayGain(delivery.container) && result.output.integratedLufs) {
            GainTags gain;
            gain.trackLufs = *result.output.integratedLufs;
            gain.trackTruePeakDbtp = result.output.truePeakDbtp.value_or(0.0);
            for (auto& tag : replayGainTags(gain, delivery.container)) tags.extraTags.push_back(std::move(tag));
        }
        if (!tags.empty()) writeMetadata(output->tempPath(), tags);
        output->commit();
    }
    if (settings.onProgress) settings.onProgress(1.0);
    return result;
}

}  // namespace bounce
