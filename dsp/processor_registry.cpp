#include "bounce/processor_registry.h"

#include "bounce/crossover.h"
#include "bounce/dither.h"
#include "bounce/dynamics.h"
#include "bounce/equalizer.h"
#include "bounce/error.h"
#include "bounce/limiter.h"
#include "bounce/linear_phase_eq.h"
#include "bounce/time_effects.h"
#include "bounce/saturation.h"
#include "bounce/stereo.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>

namespace bounce {
namespace {

constexpr double kRequired = std::numeric_limits<double>::quiet_NaN();
constexpr double kMaxFreqHz = 96000.0;

// Builds a processor from its table, or (with `existing`) applies the table to one built
// before, so creation and automation read parameters the same way.
using Factory = std::function<std::unique_ptr<Processor>(const ParamTable&, int channels, const std::string& type, Processor* existing)>;

template <typename T, typename Params>
std::unique_ptr<Processor> apply(Processor* existing, const Params& params) {
    if (existing) {
        static_cast<T&>(*existing).setParams(params);
        return nullptr;
    }
    std::unique_ptr<T> created(new T());
    created->setParams(params);
    return created;
}

void requireStereo(const ParamTable& p, const std::string& type, int channels) {
    if (channels != 2)
        throw fileLineError(
            p.source, p.line,
            type + " needs a stereo signal (this one has " + std::to_string(channels) + " channel" + (channels == 1 ? "" : "s") + ")");
}

// One equaliser band from a table; `type` fixes the band type (single-filter inserts) or
// is read from the table's own `type` key (bands of an "eq").
EqBand readBand(const ParamTable& p, EqBandType type) {
    EqBand band;
    band.type = type;
    switch (type) {
    case EqBandType::LowPass:
    case EqBandType::HighPass: {
        band.freqHz = p.number("freq_hz", kRequired, 1.0, kMaxFreqHz);
        band.slopeDbOct = p.integer("slope_db_oct", 12, 6, 48);
        if (band.slopeDbOct % 6 != 0) p.fail("slope_db_oct", "slope_db_oct must be a multiple of 6 (6 to 48)");
        band.q = p.number("q", 0.7071, 0.1, 20.0);
        break;
    }
    case EqBandType::Peak:
        band.freqHz = p.number("freq_hz", kRequired, 1.0, kMaxFreqHz);
        band.gainDb = p.number("gain_db", kRequired, -48.0, 48.0);
        band.q = p.number("q", 0.7071, 0.05, 40.0);
        break;
    case EqBandType::LowShelf:
    case EqBandType::HighShelf:
        band.freqHz = p.number("freq_hz", kRequired, 1.0, kMaxFreqHz);
        band.gainDb = p.number("gain_db", kRequired, -48.0, 48.0);
        band.q = p.number("q", 0.7071, 0.1, 4.0);
        break;
    case EqBandType::BandPass:
    case EqBandType::Notch:
        band.freqHz = p.number("freq_hz", kRequired, 1.0, kMaxFreqHz);
        band.q = p.number("q", 0.7071, 0.05, 40.0);
        break;
    case EqBandType::Tilt:
        band.freqHz = p.number("freq_hz", 1000.0, 20.0, 20000.0);
        band.gainDb = p.number("gain_db", kRequired, -12.0, 12.0);
        break;
    }
    band.enabled = p.flag("enabled", true);
    return band;
}

CompressorParams readCompressor(const ParamTable& p) {
    CompressorParams c;
    c.thresholdDb = p.number("threshold_db", -18.0, -80.0, 0.0);
    c.ratio = p.number("ratio", 4.0, 1.0, 100.0);
    c.kneeDb = p.number("knee_db", 6.0, 0.0, 24.0);
    c.attackMs = p.number("attack_ms", 10.0, 0.01, 500.0);
    c.releaseMs = p.number("release_ms", 100.0, 1.0, 5000.0);
    c.makeupDb = p.number("makeup_db", 0.0, -24.0, 24.0);
    c.detector = p.choice("detector", "peak", {"peak", "rms"}) == "rms" ? DetectorMode::Rms : DetectorMode::Peak;
    c.rmsMs = p.number("rms_ms", 10.0, 0.1, 1000.0);
    c.stereoLink = p.number("stereo_link", 1.0, 0.0, 1.0);
    c.lookaheadMs = p.number("lookahead_ms", 0.0, 0.0, 20.0);
    c.sidechainHighpassHz = p.number("sidechain_hpf_hz", 0.0, 0.0, 2000.0);
    return c;
}

// A note value as in "1/8", "1/8d" (dotted), "1/16t" (triplet), in quarter-note beats.
double noteBeats(const ParamTable& p, const std::string& note) {
    unsigned denominator = 0;
    char modifier = 0;
    const int fields = std::sscanf(note.c_str(), "1/%u%c", &denominator, &modifier);
    const bool valid =
        fields >= 1 &&
        (denominator == 1 || denominator == 2 || denominator == 4 || denominator == 8 || denominator == 16 || denominator == 32) &&
        (fields == 1 || modifier == 'd' || modifier == 't');
    if (!valid) p.fail("note", "note must be like \"1/4\", \"1/8d\" (dotted) or \"1/16t\" (triplet), got \"" + note + "\"");
    double beats = 4.0 / denominator;
    if (fields == 2) beats *= modifier == 'd' ? 1.5 : 2.0 / 3.0;
    return beats;
}

const std::map<std::string, EqBandType>& bandTypes();
EqBand readBand(const ParamTable& p, EqBandType type);

EqParams readEqBands(const ParamTable& p) {
    EqParams params;
    params.matched = p.flag("matched", true);
    const auto& bands = p.tables("band");
    if (bands.size() > static_cast<std::size_t>(EqParams::kMaxBands))
        p.fail("band", "an eq has at most " + std::to_string(EqParams::kMaxBands) + " bands");
    for (const auto& table : bands) {
        std::string names;
        for (const auto& [name, t] : bandTypes()) names += (names.empty() ? "" : ", ") + name;
        const std::string typeName = table.text("type", "");
        const auto it = bandTypes().find(typeName);
        if (it == bandTypes().end()) table.fail("type", "band type must be one of " + names + " (got \"" + typeName + "\")");
        params.bands[static_cast<std::size_t>(params.bandCount++)] = readBand(table, it->second);
        table.rejectUnknownKeys("an eq band");
    }
    return params;
}

const std::map<std::string, EqBandType>& bandTypes() {
    static const std::map<std::string, EqBandType> types = {
        {"peak", EqBandType::Peak},       {"low_shelf", EqBandType::LowShelf}, {"high_shelf", EqBandType::HighShelf},
        {"lowpass", EqBandType::LowPass}, {"highpass", EqBandType::HighPass},  {"bandpass", EqBandType::BandPass},
        {"notch", EqBandType::Notch},     {"tilt", EqBandType::Tilt},
    };
    return types;
}

const std::map<std::string, Factory>& factories() {
    static const std::map<std::string, Factory> table = [] {
        std::map<std::string, Factory> f;
        for (const auto& [name, bandType] : bandTypes()) {
            const EqBandType type = bandType;
            f[name] = [type](const ParamTable& p, int, const std::string&, Processor* existing) {
                EqParams params;
                params.bands[0] = readBand(p, type);
                params.bandCount = 1;
                params.matched = p.flag("matched", true);
                return apply<Equalizer>(existing, params);
            };
        }
        f["eq"] = [](const ParamTable& p, int, const std::string&, Processor* existing) {
            return apply<Equalizer>(existing, readEqBands(p));
        };
        f["linear_phase_eq"] = [](const ParamTable& p, int, const std::string&, Processor* existing) {
            LinearPhaseEqParams params;
            params.lengthFrames = p.integer("length_frames", 0, 0, 262145);
            params.eq = readEqBands(p);
            return apply<LinearPhaseEq>(existing, params);
        };
        f["delay"] = [](const ParamTable& p, int, const std::string&, Processor* existing) {
            DelayParams d;
            d.timeMs = p.number("time_ms", 375.0, 1.0, FeedbackDelay::kMaxTimeMs);
            d.bpm = p.number("bpm", 0.0, 0.0, 400.0);
            if (p.has("note")) {
                if (d.bpm <= 0.0) p.fail("note", "note needs bpm (the tempo it is a fraction of)");
                d.noteBeats = noteBeats(p, p.text("note", "1/8"));
            } else if (d.bpm > 0.0) {
                p.fail("bpm", "bpm needs note (e.g. note = \"1/8d\")");
            }
            d.feedback = p.number("feedback", 0.35, 0.0, 0.98);
            d.highCutHz = p.number("high_cut_hz", 8000.0, 200.0, 24000.0);
            d.lowCutHz = p.number("low_cut_hz", 80.0, 10.0, 2000.0);
            d.pingPong = p.flag("ping_pong", false);
            d.mix = p.number("mix", 0.3, 0.0, 1.0);
            return apply<FeedbackDelay>(existing, d);
        };
        f["reverb"] = [](const ParamTable& p, int, const std::string&, Processor* existing) {
            ReverbParams r;
            r.predelayMs = p.number("predelay_ms", 10.0, 0.0, 500.0);
            r.size = p.number("size", 0.7, 0.1, 1.0);
            r.decayS = p.number("decay_s", 1.8, 0.1, 20.0);
            r.lowDecayRatio = p.number("low_decay_ratio", 1.0, 0.25, 4.0);
            r.highDecayRatio = p.number("high_decay_ratio", 0.5, 0.1, 1.0);
            r.dampingHz = p.number("damping_hz", 6000.0, 1000.0, 20000.0);
            r.width = p.number("width", 1.0, 0.0, 1.0);
            r.mix = p.number("mix", 0.25, 0.0, 1.0);
            return apply<AlgorithmicReverb>(existing, r);
        };
        f["convolution_reverb"] = [](const ParamTable& p, int, const std::string&, Processor* existing) {
            ConvolutionReverbParams r;
            const std::string file = p.text("impulse", "");
            if (file.empty()) p.fail("impulse", "impulse is required (a sound file of the room's response)");
            // A relative path is relative to the file the insert was written in.
            std::filesystem::path path(file);
            if (path.is_relative()) path = std::filesystem::path(p.source).parent_path() / path;
            if (!std::filesystem::is_regular_file(path)) p.fail("impulse", "impulse: no such file " + path.string());
            r.impulsePath = path.string();
            r.mix = p.number("mix", 0.3, 0.0, 1.0);
            r.predelayMs = p.number("predelay_ms", 0.0, 0.0, 500.0);
            r.normalize = p.flag("normalize", true);
            return apply<ConvolutionReverb>(existing, r);
        };
        f["gain"] = [](const ParamTable& p, int, const std::string&, Processor* existing) {
            return apply<Gain>(existing, GainParams{p.number("gain_db", kRequired, -96.0, 48.0)});
        };
        f["pan"] = [](const ParamTable& p, int channels, const std::string& type, Processor* existing) {
            requireStereo(p, type, channels);
            PanParams params;
            params.pan = p.number("pan", kRequired, -1.0, 1.0);
            const std::string law = p.choice("law", "-3dB", {"-3dB", "-4.5dB", "-6dB", "0dB"});
            params.law = law == "-3dB"     ? PanLaw::ConstantPower3dB
                         : law == "-4.5dB" ? PanLaw::Compromise4_5dB
                         : law == "-6dB"   ? PanLaw::Linear6dB
                                           : PanLaw::Balance0dB;
            return apply<Pan>(existing, params);
        };
        f["width"] = [](const ParamTable& p, int channels, const std::string& type, Processor* existing) {
            requireStereo(p, type, channels);
            return apply<Width>(existing, WidthParams{p.number("width", kRequired, 0.0, 4.0), p.number("mono_below_hz", 0.0, 0.0, 500.0)});
        };
        f["polarity"] = [](const ParamTable& p, int channels, const std::string&, Processor* existing) {
            PolarityParams params;
            const bool all = p.flag("invert", false);
            for (int c = 0; c < channels && c < 8; ++c) params.invert[static_cast<std::size_t>(c)] = all;
            if (p.has("invert_left") || p.has("invert_right")) {
                requireStereo(p, "invert_left/invert_right", channels);
                params.invert[0] = p.flag("invert_left", all);
                params.invert[1] = p.flag("invert_right", all);
            }
            return apply<Polarity>(existing, params);
        };
        f["channel_delay"] = [](const ParamTable& p, int channels, const std::string&, Processor* existing) {
            ChannelDelayParams params;
            if (channels == 2) {
                params.delayMs[0] = p.number("left_ms", 0.0, 0.0, ChannelDelay::kMaxDelayMs);
                params.delayMs[1] = p.number("right_ms", 0.0, 0.0, ChannelDelay::kMaxDelayMs);
            } else {
                const double ms = p.number("delay_ms", kRequired, 0.0, ChannelDelay::kMaxDelayMs);
                for (auto& d : params.delayMs) d = ms;
            }
            return apply<ChannelDelay>(existing, params);
        };
        f["limiter"] = [](const ParamTable& p, int, const std::string&, Processor* existing) {
            LimiterParams params;
            params.ceilingDbtp = p.number("ceiling_dbtp", -1.0, -24.0, 0.0);
            params.lookaheadMs = p.number("lookahead_ms", 2.0, 0.5, 20.0);
            params.releaseMs = p.number("release_ms", 100.0, 1.0, 2000.0);
            return apply<TruePeakLimiter>(existing, params);
        };
        f["saturation"] = [](const ParamTable& p, int, const std::string&, Processor* existing) {
            SaturationParams params;
            params.type = p.choice("style", "tape", {"tape", "tube"}) == "tube" ? SaturationType::Tube : SaturationType::Tape;
            params.driveDb = p.number("drive_db", 6.0, 0.0, 36.0);
            params.mix = p.number("mix", 1.0, 0.0, 1.0);
            params.bias = p.number("bias", 0.3, 0.0, 1.0);
            params.outputDb = p.number("output_db", 0.0, -24.0, 24.0);
            params.oversampling = p.integer("oversampling", 8, 2, 16);
            if (params.oversampling != 2 && params.oversampling != 4 && params.oversampling != 8 && params.oversampling != 16)
                p.fail("oversampling", "oversampling must be 2, 4, 8 or 16");
            return apply<Saturation>(existing, params);
        };
        f["compressor"] = [](const ParamTable& p, int, const std::string&, Processor* existing) {
            return apply<Compressor>(existing, readCompressor(p));
        };
        f["multiband_compressor"] = [](const ParamTable& p, int, const std::string&, Processor* existing) {
            MultibandCompressorParams params;
            params.crossover = p.flag("linear_phase", false) ? CrossoverType::LinearPhase : CrossoverType::Lr4;
            const auto& bands = p.tables("band");
            if (bands.size() < 2 || bands.size() > static_cast<std::size_t>(Crossover::kMaxBands))
                p.fail("band", "a multiband_compressor has 2 to 6 [[insert.band]] tables");
            params.bandCount = static_cast<int>(bands.size());
            double previous = 0.0;
            for (std::size_t b = 0; b < bands.size(); ++b) {
                const ParamTable& band = bands[b];
                if (b + 1 < bands.size()) {
                    const double upTo = band.number("up_to_hz", kRequired, 20.0, 20000.0);
                    if (upTo <= previous) band.fail("up_to_hz", "up_to_hz must rise from band to band");
                    params.crossoverHz[b] = previous = upTo;
                } else if (band.has("up_to_hz")) {
                    band.fail("up_to_hz", "the last band has no up_to_hz (it reaches Nyquist)");
                }
                params.bands[b] = readCompressor(band);
                band.rejectUnknownKeys("a multiband_compressor band");
            }
            return apply<MultibandCompressor>(existing, params);
        };
        f["gate"] = [](const ParamTable& p, int, const std::string&, Processor* existing) {
            GateParams g;
            g.thresholdDb = p.number("threshold_db", -50.0, -100.0, 0.0);
            g.hysteresisDb = p.number("hysteresis_db", 6.0, 0.0, 24.0);
            g.ratio = p.number("ratio", 10.0, 1.0, 100.0);
            g.rangeDb = p.number("range_db", -60.0, -120.0, 0.0);
            g.attackMs = p.number("attack_ms", 0.5, 0.01, 500.0);
            g.holdMs = p.number("hold_ms", 50.0, 0.0, 2000.0);
            g.releaseMs = p.number("release_ms", 100.0, 1.0, 5000.0);
            g.stereoLink = p.number("stereo_link", 1.0, 0.0, 1.0);
            return apply<Gate>(existing, g);
        };
        f["de_esser"] = [](const ParamTable& p, int, const std::string&, Processor* existing) {
            DeEsserParams d;
            d.freqHz = p.number("freq_hz", 7000.0, 1000.0, 20000.0);
            d.q = p.number("q", 1.0, 0.3, 4.0);
            d.thresholdDb = p.number("threshold_db", -30.0, -80.0, 0.0);
            d.ratio = p.number("ratio", 4.0, 1.0, 100.0);
            d.rangeDb = p.number("range_db", -12.0, -48.0, 0.0);
            d.attackMs = p.number("attack_ms", 1.0, 0.01, 100.0);
            d.releaseMs = p.number("release_ms", 60.0, 1.0, 2000.0);
            return apply<DeEsser>(existing, d);
        };
        f["dither"] = [](const ParamTable& p, int, const std::string&, Processor* existing) {
            DitherParams params;
            params.bits = p.integer("bits", 24, 8, 24);
            const std::string type = p.choice("shape", "tpdf", {"tpdf", "shaped", "none"});
            params.type = type == "tpdf" ? DitherType::Tpdf : type == "shaped" ? DitherType::NoiseShaped : DitherType::None;
            return apply<Dither>(existing, params);
        };
        return f;
    }();
    return table;
}

}  // namespace

std::unique_ptr<Processor> createProcessor(const InsertSpec& insert, int channels) {
    const auto it = factories().find(insert.type);
    if (it == factories().end()) {
        std::string names;
        for (const auto& name : processorTypeNames()) names += (names.empty() ? "" : ", ") + name;
        throw fileLineError(insert.params.source, insert.params.line, "unknown insert type \"" + insert.type + "\" (known: " + names + ")");
    }
    auto processor = it->second(insert.params, channels, insert.type, nullptr);
    insert.params.rejectUnknownKeys("a " + insert.type + " insert");
    return processor;
}

bool processorIsAutomatable(const std::string& type) {
    // These take their parameters when prepared (filter designs that need FFTs or files).
    return type != "linear_phase_eq" && type != "convolution_reverb" && factories().count(type) != 0;
}

void configureProcessor(Processor& processor, const InsertSpec& insert, int channels) {
    const auto it = factories().find(insert.type);
    if (it == factories().end() || !processorIsAutomatable(insert.type)) return;
    it->second(insert.params, channels, insert.type, &processor);
}

std::vector<std::string> processorTypeNames() {
    std::vector<std::string> names;
    for (const auto& [name, factory] : factories()) names.push_back(name);
    return names;
}

}  // namespace bounce
