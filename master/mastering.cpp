#include "bounce/master.h"

#include "bounce/atomic_output.h"
#include "bounce/crossover.h"
#include "bounce/dither.h"
#include "bounce/equalizer.h"
#include "bounce/error.h"
#include "bounce/limiter.h"
#include "bounce/linear_phase_eq.h"
#include "bounce/processor_chain.h"
#include "bounce/resampler.h"
#include "bounce/saturation.h"
#include "bounce/stereo.h"

#include <algorithm>
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
        throw ConfigError("--style must be neutral, warm, bright, punchy, wide or loud (got \"" + name + "\")");
    }
    return s;
}

struct Chain {
    ProcessorChain chain;
    Gain* gain = nullptr;
    MultibandCompressor* multiband = nullptr;
    TruePeakLimiter* limiter = nullptr;
};

// Builds the chain for one pass; describes each stage in `stages` when given.
Chain buildChain(const Style& style, double targetLufs, double limiterCeiling, double gainDb, double sampleRate, int channels,
                 const ReferenceMatch* match, std::vector<MasterStage>* stages) {
    Chain c;
    auto gain = std::make_unique<Gain>();
    gain->setParams({gainDb});
    c.gain = gain.get();
    c.chain.add(std::move(gain));

    EqParams eq;
    eq.bands[0] = {EqBandType::HighPass, style.highpassHz, 0.0, 0.7071, 24, true};
    eq.bandCount = 1;
    if (style.lowShelfDb != 0) eq.bands[static_cast<std::size_t>(eq.bandCount++)] = {EqBandType::LowShelf, style.lowShelfHz, style.lowShelfDb, 0.7071, 12, true};
    if (style.highShelfDb != 0) eq.bands[static_cast<std::size_t>(eq.bandCount++)] = {EqBandType::HighShelf, style.highShelfHz, style.highShelfDb, 0.7071, 12, true};
    auto equalizer = std::make_unique<Equalizer>();
    equalizer->setParams(eq);
    c.chain.add(std::move(equalizer));

    // Reference matching: the measured tone curve on mid and side, plus the side's width
    // gain, as one linear-phase mid/side EQ.
    if (match) {
        auto matchEq = std::make_unique<MidSideCurveEq>();
        matchEq->setParams(match->curveEqParams());
        c.chain.add(std::move(matchEq));
    }

    // Gentle 3-band compression around the target level: RMS detection, thresholds a
    // little above the programme loudness so only the peaks of each band are touched.
    MultibandCompressorParams mb;
    mb.bandCount = 3;
    mb.crossoverHz = {120.0, 2500.0};
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
    auto multiband = std::make_unique<MultibandCompressor>();
    multiband->setParams(mb);
    c.multiband = multiband.get();
    c.chain.add(std::move(multiband));

    if (style.saturationDriveDb > 0.0) {
        SaturationParams sat;
        sat.type = style.saturation;
        sat.driveDb = style.saturationDriveDb;
        sat.mix = style.saturationMix;
        auto saturation = std::make_unique<Saturation>();
        saturation->setParams(sat);
        c.chain.add(std::move(saturation));
    }
    // A width of 1 with stereo lows changes nothing: not in the signal path (mid/side and
    // back again is not bit-exact in float).
    const bool widthActive = channels == 2 && (style.width != 1.0 || style.monoBelowHz > 0.0);
    if (widthActive) {
        auto width = std::make_unique<Width>();
        width->setParams({style.width, style.monoBelowHz});
        c.chain.add(std::move(width));
    }
    auto limiter = std::make_unique<TruePeakLimiter>();
    limiter->setParams({limiterCeiling, style.limiterLookaheadMs, style.limiterReleaseMs});
    c.limiter = limiter.get();
    c.chain.add(std::move(limiter));
    c.chain.prepare({sampleRate, static_cast<int>(kBlockFrames), channels});

    if (stages) {
        stages->push_back({"gain", {{"gain_db", gainDb}}, {}, "make-up gain towards the target"});
        MasterStage eqStage{"corrective_eq", {{"highpass_hz", style.highpassHz}, {"highpass_slope_db_oct", 24.0}}, {}, "high-pass for subsonics"};
        if (style.lowShelfDb != 0) {
            eqStage.settings["low_shelf_hz"] = style.lowShelfHz;
            eqStage.settings["low_shelf_db"] = style.lowShelfDb;
        }
        if (style.highShelfDb != 0) {
            eqStage.settings["high_shelf_hz"] = style.highShelfHz;
            eqStage.settings["high_shelf_db"] = style.highShelfDb;
        }
        // The curve applied, at the octave-band centres.
        Equalizer probe;
        probe.setParams(eq);
        probe.prepare({sampleRate, 16, 1});
        for (double f : {31.5, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0}) {
            char key[32];
            std::snprintf(key, sizeof key, "response_db_at_%g_hz", f);
            eqStage.effect[key] = std::round(probe.magnitudeDb(f) * 100.0) / 100.0;
        }
        stages->push_back(eqStage);
        if (match) {
            MasterStage m{"reference_match", {}, {}, "linear-phase mid/side curve measured against the reference(s)"};
            for (double f : {31.5, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0}) {
                char key[40];
                std::snprintf(key, sizeof key, "tone_db_at_%g_hz", f);
                m.effect[key] = std::round(match->toneAtDb(f) * 100.0) / 100.0;
                std::snprintf(key, sizeof key, "mid_width_db_at_%g_hz", f);
                m.effect[key] = std::round(match->midWidthAtDb(f) * 100.0) / 100.0;
                std::snprintf(key, sizeof key, "side_width_db_at_%g_hz", f);
                m.effect[key] = std::round(match->sideWidthAtDb(f) * 100.0) / 100.0;
            }
            stages->push_back(m);
        }
        stages->push_back({"multiband_compression",
                           {{"crossover_low_hz", 120.0}, {"crossover_high_hz", 2500.0}, {"ratio", style.ratio},
                            {"threshold_db", targetLufs + style.thresholdOffsetDb}, {"attack_ms", style.attackMs}, {"release_ms", style.releaseMs}},
                           {}, "3 bands, RMS detection"});
        if (style.saturationDriveDb > 0.0)
            stages->push_back({"saturation", {{"drive_db", style.saturationDriveDb}, {"mix", style.saturationMix}}, {},
                               style.saturation == SaturationType::Tube ? "tube, 8x oversampled" : "tape, 8x oversampled"});
        if (channels == 2)
            stages->push_back({"width", {{"width", style.width}, {"mono_below_hz", style.monoBelowHz}}, {},
                               widthActive ? "mid/side" : "idle, bypassed (width 1, stereo lows kept)"});
        stages->push_back({"limiter", {{"ceiling_dbtp", limiterCeiling}, {"lookahead_ms", style.limiterLookaheadMs}, {"release_ms", style.limiterReleaseMs}}, {},
                           "true peak, 4x oversampled detection"});
    }
    return c;
}

struct PassResult {
    AnalysisResult output;
    std::optional<SpectrumProfile> outputProfile;  // when asked for
    double limiterMaxDb = 0.0, limiterMeanDb = 0.0;
    std::array<double, 3> bandMaxDb{};
};

// One pass over the input: chain, rate conversion, dither, (writer), analysis of what is
// delivered.
PassResult renderPass(const std::string& input, Chain& chain, double outputRate, SampleFormat format, FileFormat container,
                      DitherType ditherType, const std::string* writePath, AnalysisResult* inputAnalysis, bool profileOutput) {
    SoundFileReader reader(input);
    const SoundFileInfo& info = reader.info();
    std::unique_ptr<Resampler> resampler;
    if (outputRate != info.sampleRate) resampler = std::make_unique<Resampler>(info.sampleRate, outputRate, info.channels);
    std::unique_ptr<Dither> dither;
    // Dither when the bit depth drops to 16: 24-bit rounding error sits at -144 dBFS,
    // below any converter's own noise, so 24-bit and float outputs are not dithered.
    if (format == SampleFormat::Pcm16) {
        dither = std::make_unique<Dither>();
        dither->setParams({16, ditherType});
        dither->prepare({outputRate, static_cast<int>(kBlockFrames), info.channels});
    }
    std::unique_ptr<SoundFileWriter> writer;
    if (writePath) writer = std::make_unique<SoundFileWriter>(*writePath, SoundFileSpec{outputRate, info.channels, container, format});
    ProgramAnalyzer analyzer(outputRate, info.channels, {}, true, true);  // the true peak on a second core
    if (profileOutput) analyzer.enableSpectrumProfile();
    AudioBuffer scratch(info.channels, kBlockFrames);
    const auto deliver = [&](ConstAudioView block) {
        for (std::size_t start = 0; start < block.frames(); start += kBlockFrames) {
            const std::size_t n = std::min(kBlockFrames, block.frames() - start);
            AudioView out = scratch.view().subView(0, n);
            for (int c = 0; c < info.channels; ++c) std::copy_n(block.channel(c) + start, n, out.channel(c));
            if (dither) dither->process(out);
            if (writer) writer->write(out);
            analyzer.addFrames(out);
        }
    };
    // The first pass also measures the input on the way in (for the report).
    std::unique_ptr<ProgramAnalyzer> inputAnalyzer;
    if (inputAnalysis) inputAnalyzer = std::make_unique<ProgramAnalyzer>(info.sampleRate, info.channels, info.speakers);
    std::uint64_t framesRead = 0;
    renderAligned(chain.chain, info.channels, kBlockFrames,
                  [&](AudioView block) {
                      const std::size_t n = reader.read(block);
                      if (inputAnalyzer) inputAnalyzer->addFrames(ConstAudioView(block).subView(0, n));
                      framesRead += n;
                      return n;
                  },
                  [&](ConstAudioView block) {
                      if (resampler) {
                          resampler->process(block, deliver);
                      } else {
                          deliver(block);
                      }
                  });
    if (resampler) resampler->flush(deliver);
    if (writer) writer->close();
    if (inputAnalysis) *inputAnalysis = finishFileAnalysis(*inputAnalyzer, info, framesRead);
    PassResult r;
    r.output = analyzer.result();
    if (profileOutput) r.outputProfile = analyzer.spectrumProfile(r.output);
    r.limiterMaxDb = chain.limiter->maxGainReductionDb();
    r.limiterMeanDb = chain.limiter->meanGainReductionDb();
    for (int b = 0; b < 3; ++b) r.bandMaxDb[static_cast<std::size_t>(b)] = chain.multiband->maxGainReductionDb(b);
    return r;
}

}  // namespace

MasterResult masterFile(const std::string& inputPath, const std::string& outputPath, const MasterSettings& settings) {
    MasterResult result;
    // BOUNCE_DEBUG_MASTER=1 prints each pass and how long each phase took.
    const bool debug = std::getenv("BOUNCE_DEBUG_MASTER") != nullptr;
    auto phaseStart = std::chrono::steady_clock::now();
    const auto phaseDone = [&](const char* what) {
        const auto now = std::chrono::steady_clock::now();
        if (debug) std::fprintf(stderr, "%-22s %.3f s\n", what, std::chrono::duration<double>(now - phaseStart).count());
        phaseStart = now;
    };
    const LoudnessTarget* target = findLoudnessTarget(settings.target);
    if (!target) {
        std::string names;
        for (const auto& t : loudnessTargets()) names += (names.empty() ? "" : ", ") + t.name;
        throw ConfigError("--target must be one of " + names + " (got \"" + settings.target + "\")");
    }
    result.targetLufs = settings.lufs.value_or(target->integratedLufs);
    result.ceilingDbtp = settings.ceilingDbtp.value_or(target->ceilingDbtp);
    if (result.targetLufs < -40.0 || result.targetLufs > -5.0) throw ConfigError("--lufs must be between -40 and -5");
    for (double amount : {settings.match.tone, settings.match.width, settings.match.loudness, settings.match.dynamics})
        if (!(amount >= 0.0 && amount <= 1.0)) throw ConfigError("--match amounts must be between 0 and 1");
    if (result.ceilingDbtp < -12.0 || result.ceilingDbtp > 0.0) throw ConfigError("--ceiling must be between -12 and 0 dBTP");
    Style style = styleFor(settings.style, settings.intensity);
    applyOverrides(style, settings.overrides);
    validateMetadata(settings.metadata);

    // Pass 0: the input's loudness, quickly (its full analysis comes with the first pass).
    const SoundFileInfo info = SoundFileReader(inputPath).info();
    if (info.channels > 2) throw ConfigError(inputPath + ": mastering takes mono or stereo files (this one has " + std::to_string(info.channels) + " channels)");
    std::optional<double> inputLufs;
    std::optional<SpectrumProfile> inputProfile, referenceProfile;
    std::vector<SpectrumProfile> profiles;  // one per reference
    if (settings.references.empty()) {
        inputLufs = integratedLoudnessOf(inputPath);
    } else {
        // The profile's pass is the input's full analysis: the render pass need not repeat it.
        inputProfile = analyzeSpectrumProfile(inputPath, &result.input);
        inputLufs = inputProfile->integratedLufs;
    }
    phaseDone("input analysis");
    if (!inputLufs) throw Error(inputPath + ": the input is silent (no block above -70 LUFS); there is nothing to master");
    if (!settings.references.empty()) {
        for (const auto& path : settings.references) {
            profiles.push_back(analyzeSpectrumProfile(path));
            if (!profiles.back().integratedLufs) throw Error(path + ": the reference is silent; there is nothing to match");
            if (!profiles.back().bandHz.empty() && profiles.back().bandHz.back() < 12000.0 &&
                inputProfile->bandHz.size() > profiles.back().bandHz.size()) {
                char text[200];
                std::snprintf(text, sizeof text, "%s: a %.0f Hz file has nothing above %.1f kHz: the tone above is left as it is",
                              path.c_str(), profiles.back().sampleRate, profiles.back().sampleRate / 2000.0);
                result.warnings.push_back(text);
            }
            result.references.push_back({path, profiles.back().integratedLufs, profiles.back().crestDb, profiles.back().overallWidth(),
                                         spectralDistanceDb(*inputProfile, profiles.back()), 0.0});
        }
        phaseDone("reference analysis");
        referenceProfile = averageProfiles(profiles);
        result.match = matchToReference(*inputProfile, *referenceProfile, settings.match);
        result.distanceBeforeDb = result.match->distanceDb;
        if (!settings.lufs && !settings.targetGiven) {
            result.targetLufs = *inputLufs + settings.match.loudness * (*referenceProfile->integratedLufs - *inputLufs);
            result.targetLufs = std::clamp(result.targetLufs, -40.0, -5.0);
        }
        // The references decide the width, the low end's too: the style's mono-lows stage
        // would undo a reference's wide lows (unless asked for with --set).
        if (!settings.overrides.count("width.mono_below_hz")) style.monoBelowHz = 0.0;
        // Dynamics: a reference denser than the input (lower peak-to-loudness ratio) pulls
        // the multiband thresholds down, half a dB per dB of crest difference at full amount.
        if (inputProfile->crestDb && referenceProfile->crestDb) {
            const double denser = std::clamp(*inputProfile->crestDb - *referenceProfile->crestDb, 0.0, 12.0);
            style.thresholdOffsetDb -= settings.match.dynamics * 0.5 * denser;
        }
    }
    const ReferenceMatch* matchPtr = result.match ? &*result.match : nullptr;
    const double outputRate = settings.outputRate > 0.0 ? settings.outputRate : target->sampleRate > 0.0 ? target->sampleRate : info.sampleRate;
    const std::string bits = !settings.bits.empty() ? settings.bits : !target->bits.empty() ? target->bits : "24";
    const FileFormat container = fileFormatForPath(outputPath);
    if (container != FileFormat::Wav && container != FileFormat::Flac && container != FileFormat::Aiff)
        throw ConfigError(outputPath + ": masters are written as .wav, .flac or .aiff");
    const SampleFormat format = bits == "16" ? SampleFormat::Pcm16 : bits == "24" ? SampleFormat::Pcm24 : SampleFormat::Float32;
    if (container == FileFormat::Flac && format == SampleFormat::Float32) throw ConfigError("FLAC holds 16 or 24 bits: use --bits 16 or 24");
    const DitherType ditherType = settings.dither == "shaped" ? DitherType::NoiseShaped : DitherType::Tpdf;

    if (settings.codecSafe) {
        if (settings.dryRun) throw ConfigError("--codec-safe measures the written file: it cannot be combined with --dry-run");
        for (const auto& codec : settings.codecSafeCodecs)
            if (std::find(roundTripCodecs().begin(), roundTripCodecs().end(), codec) == roundTripCodecs().end())
                throw ConfigError("--codec-safe: unknown codec '" + codec + "' (aac, mp3 or opus)");
        if (!ffmpegAvailable()) throw ConfigError("--codec-safe needs ffmpeg on the PATH to encode and decode the round trips (apt-get install ffmpeg)");
    }

    std::unique_ptr<AtomicOutputFile> output;
    if (!settings.dryRun) {
        std::vector<std::string> inputs{inputPath};
        inputs.insert(inputs.end(), settings.references.begin(), settings.references.end());
        output = std::make_unique<AtomicOutputFile>(outputPath, inputs);
    }

    // The closed loop. With --codec-safe, an outer loop round it: the delivered file's lossy
    // round trips are decoded and measured, and while one crosses the ceiling (less the
    // meter's guard) the aim comes down from the file's peak by that over and a twentieth of
    // a dB (twice that, four times... while a step leaves the round trips where they were);
    // once one aim passes and another fails, bisection finds the highest that passes within
    // a tenth of a dB. At most kMaxCodecRounds rounds, and one to deliver the best.
    double gain = result.targetLufs - *inputLufs;
    if (result.match) gain -= result.match->predictedLoudnessChangeDb(*inputProfile);
    double codecLoweringDb = 0.0, codecStepScale = 1.0, previousWorst = 0.0;
    std::optional<double> passingAim, failingAim;  // the highest aim that passed, the lowest that failed
    bool finalRound = false;
    double limiterCeiling = result.ceilingDbtp - kDeliveredTruePeakGuardDb;
    PassResult pass;
    for (int round = 1;; ++round) {
        const double aim = result.ceilingDbtp - kDeliveredTruePeakGuardDb - codecLoweringDb;
        double previousGain = 0.0, previousLoudness = 0.0;
        bool havePrevious = false;
        result.reachedTarget = false;
        for (int p = 1; p <= kMaxPasses; ++p) {
            Chain chain = buildChain(style, result.targetLufs, limiterCeiling, gain, info.sampleRate, info.channels, matchPtr, nullptr);
            pass = renderPass(inputPath, chain, outputRate, format, container, ditherType, output ? &output->tempPath() : nullptr,
                              round == 1 && p == 1 && !inputProfile ? &result.input : nullptr, referenceProfile.has_value());
            ++result.passes;
            const double loudness = pass.output.integratedLufs.value_or(-120.0);
            const double truePeak = pass.output.truePeakDbtp.value_or(-120.0);
            phaseDone("render pass");
            if (debug) std::fprintf(stderr, "pass %d: gain %.3f -> %.3f LUFS, %.3f dBTP, limiter %.2f dB\n", p, gain, loudness, truePeak, pass.limiterMaxDb);
            const bool loudnessOk = std::fabs(loudness - result.targetLufs) <= kLoudnessTolerance;
            const bool peakOk = truePeak <= aim;
            // Limiting harder than the ceiling needs costs loudness and density for nothing.
            const bool limited = pass.limiterMaxDb > 0.01;
            const bool marginOk = !limited || truePeak >= aim - kCeilingMarginWindowDb;
            if (loudnessOk && peakOk && marginOk) {
                result.reachedTarget = true;
                break;
            }
            if (!peakOk) limiterCeiling -= (truePeak - aim) + 0.005;
            if (!marginOk) limiterCeiling = std::min(limiterCeiling + (aim - truePeak) - kCeilingMarginWindowDb / 2, 0.0);
            if (!loudnessOk) {
                // Secant step: the limiter makes loudness grow more slowly than gain.
                double slope = 1.0;
                if (havePrevious && gain != previousGain) {
                    // More gain never makes a master quieter on one ceiling; a secant that says it
                    // did spans a lowered ceiling (a new curve), and its clamped slope would throw
                    // the gain far off: step as if unlimited instead.
                    const double secant = (loudness - previousLoudness) / (gain - previousGain);
                    if (secant > 0.0) slope = std::clamp(secant, 0.1, 1.2);
                }
                previousGain = gain;
                previousLoudness = loudness;
                havePrevious = true;
                gain += (result.targetLufs - loudness) / slope;
            }
            if (pass.limiterMaxDb > 30.0 && !loudnessOk) break;  // it will not get there
        }
        if (!settings.codecSafe) break;
        result.codecChecks = codecRoundTrips(output->tempPath(), settings.codecSafeCodecs);
        result.codecRounds = round;
        double worst = -120.0;
        for (const auto& c : result.codecChecks) {
            if (!c.available)
                throw Error("--codec-safe: ffmpeg could not round-trip " + c.codec + " (is its encoder in this ffmpeg build?)");
            worst = std::max(worst, c.truePeakDbtp.value_or(-120.0));
        }
        phaseDone("codec round trips");
        if (debug) std::fprintf(stderr, "codec round %d: worst decoded %.3f dBTP\n", round, worst);
        // The same guard as the file's own peak: the decoded files are read by this meter.
        const double target = result.ceilingDbtp - kDeliveredTruePeakGuardDb;
        const bool passed = worst <= target;
        // Where the file's peak actually is (under the aim when the limiter was idle).
        const double effective = std::min(pass.output.truePeakDbtp.value_or(aim), aim);
        if (passed) {
            result.codecSafeReached = true;
            passingAim = std::max(passingAim.value_or(-120.0), effective);
        } else {
            failingAim = std::min(failingAim.value_or(0.0), effective);
        }
        if (finalRound) break;
        double next = 0.0;
        if (passingAim && failingAim) {
            // Bracketed: bisect while the bracket is wider than a tenth of a dB, then deliver
            // the highest aim that passed.
            if (*failingAim - *passingAim <= kCodecBracketDb || round + 1 >= kMaxCodecRounds) {
                if (passed && effective == *passingAim) break;  // this render is that one
                next = *passingAim;
                finalRound = true;
            } else {
                next = 0.5 * (*passingAim + *failingAim);
            }
        } else if (passed) {
            break;  // passed at the first aim: nothing was lowered
        } else if (round >= kMaxCodecRounds) {
            char text[200];
            std::snprintf(text, sizeof text, "codec-safe: after %d rounds a decoded round trip still peaks at %+.2f dBTP, over the %.1f dBTP ceiling",
                          round, worst, result.ceilingDbtp);
            result.warnings.push_back(text);
            break;
        } else {
            // Down from the file's peak by the decoded over. A codec's overs need not sit on
            // the file's highest peaks (a dense passage under them can decode higher), so a
            // step that left the worst round trip where it was doubles.
            if (round > 1 && worst >= previousWorst - 0.01) codecStepScale *= 2.0;
            next = effective - ((worst - target) + kCodecStepDb) * codecStepScale;
        }
        previousWorst = worst;
        codecLoweringDb = target - next;
        limiterCeiling = next;
    }
    result.codecLoweringDb = codecLoweringDb;
    result.gainDb = gain;
    result.output = pass.output;
    result.output.path = settings.dryRun ? std::string() : outputPath;

    // Describe the chain as it ran in the last pass.
    {
        Chain described = buildChain(style, result.targetLufs, limiterCeiling, gain, info.sampleRate, info.channels, matchPtr, &result.stages);
        for (auto& stage : result.stages) {
            if (stage.name == "limiter") {
                stage.effect["max_gain_reduction_db"] = pass.limiterMaxDb;
                stage.effect["mean_gain_reduction_db"] = pass.limiterMeanDb;
                stage.settings["internal_ceiling_dbtp"] = limiterCeiling;
            }
            if (stage.name == "multiband_compression")
                for (int b = 0; b < 3; ++b) stage.effect["band" + std::to_string(b + 1) + "_max_gain_reduction_db"] = pass.bandMaxDb[static_cast<std::size_t>(b)];
        }
        if (outputRate != info.sampleRate)
            result.stages.push_back({"resample", {{"from_hz", info.sampleRate}, {"to_hz", outputRate}}, {}, "soxr, very high quality"});
        if (format == SampleFormat::Pcm16)
            result.stages.push_back({"dither", {{"bits", 16.0}}, {}, ditherType == DitherType::NoiseShaped ? "TPDF, noise-shaped" : "TPDF"});
    }

    // What each platform's normalisation will do to the delivered loudness.
    if (result.output.integratedLufs) {
        std::set<std::string> seen;
        for (const auto& t : loudnessTargets()) {
            if (t.name == "cd" || t.name.find('-') != std::string::npos) continue;
            result.playback.push_back({t.name, t.integratedLufs, t.integratedLufs - *result.output.integratedLufs});
        }
    }

    // Honest warnings.
    if (!result.reachedTarget)
        result.warnings.push_back("the target was not reached within " + std::to_string(kMaxPasses) + " passes");
    if (result.codecLoweringDb > 0.0) {
        char text[200];
        std::snprintf(text, sizeof text, "codec-safe: the ceiling was lowered by %.2f dB so that the lossy round trips stay under it",
                      result.codecLoweringDb);
        result.warnings.push_back(text);
    }
    if (pass.limiterMaxDb > settings.maxLimiterReductionDb) {
        char text[200];
        std::snprintf(text, sizeof text,
                      "reaching %.1f LUFS takes up to %.1f dB of limiting (more than %.0f dB): this programme is too dynamic for "
                      "that target; the master does what was asked",
                      result.targetLufs, pass.limiterMaxDb, settings.maxLimiterReductionDb);
        result.warnings.push_back(text);
        if (settings.strict) throw Error(std::string("target unreachable with --strict: ") + text);
    }
    if (result.match && info.channels == 1 && settings.match.width > 0.0 && result.match->referenceWidth > 0.01)
        result.warnings.push_back("the input is mono: the references' width cannot be matched (the master stays mono)");
    if (result.input.clippedSamples > 0)
        result.warnings.push_back("the input clips (" + std::to_string(result.input.clippedSamples) + " samples in full-scale runs)");
    for (std::size_t c = 0; c < result.input.dcOffsetDbfs.size(); ++c)
        if (result.input.dcOffsetDbfs[c] && *result.input.dcOffsetDbfs[c] > -40.0)
            result.warnings.push_back("the input has DC offset in channel " + std::to_string(c + 1) + " (removed by the high-pass)");
    if (result.output.correlation && *result.output.correlation < 0.0)
        result.warnings.push_back("left and right are out of phase on average (correlation below 0): the master will lose level in mono");

    // The delivered file against the references (dry runs have no file to measure).
    if (referenceProfile && output) {
        const SpectrumProfile& outputProfile = *pass.outputProfile;
        result.distanceAfterDb = spectralDistanceDb(outputProfile, *referenceProfile);
        result.outputCrestDb = outputProfile.crestDb;
        result.outputWidth = outputProfile.overallWidth();
        for (std::size_t i = 0; i < profiles.size(); ++i) result.references[i].distanceAfterDb = spectralDistanceDb(outputProfile, profiles[i]);
        phaseDone("output profile");
    }

    if (output) {
        if (!settings.metadata.empty()) writeMetadata(output->tempPath(), settings.metadata);
        output->commit();
    }
    return result;
}

}  // namespace bounce
