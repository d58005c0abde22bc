#include "bounce/processor_registry.h"

#include "bounce/crossover.h"
#include "bounce/dither.h"
#include "bounce/dynamics.h"
#include "bounce/equalizer.h"
#include "bounce/error.h"
#include "bounce/limiter.h"
#include "bounce/linear_phase_eq.h"
#include "bounce/lv2_effect.h"
#include "bounce/time_effects.h"
#include "bounce/saturation.h"
#include "bounce/stereo.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <stdexcept>

namespace bounce {

// ---- reading a table against its descriptors ----

const ParamDescriptor& ParamReader::descriptor(const std::string& key) const {
    for (const auto& p : params_)
        if (p.key == key) return p;
    // A factory asked for a key its descriptor does not list: a bug here, not in the file.
    throw std::logic_error("processor registry: no descriptor for key " + key);
}

double ParamReader::number(const std::string& key) const {
    const auto& d = descriptor(key);
    return table_.number(key, d.required ? std::numeric_limits<double>::quiet_NaN() : d.defaultValue, d.minValue, d.maxValue);
}

double ParamReader::requiredNumber(const std::string& key) const {
    const auto& d = descriptor(key);
    return table_.number(key, std::numeric_limits<double>::quiet_NaN(), d.minValue, d.maxValue);
}

int ParamReader::integer(const std::string& key) const {
    const auto& d = descriptor(key);
    const int value = table_.integer(key, static_cast<int>(d.defaultValue), static_cast<int>(d.minValue), static_cast<int>(d.maxValue));
    if (!d.allowed.empty() && std::find(d.allowed.begin(), d.allowed.end(), static_cast<double>(value)) == d.allowed.end()) {
        std::string list;
        for (std::size_t i = 0; i < d.allowed.size(); ++i)
            list += (i == 0 ? "" : i + 1 == d.allowed.size() ? " or " : ", ") + formatParamNumber(d.allowed[i]);
        table_.fail(key, key + " must be " + list + " (got " + std::to_string(value) + ")");
    }
    return value;
}

bool ParamReader::flag(const std::string& key) const { return table_.flag(key, descriptor(key).defaultValue != 0.0); }

bool ParamReader::flag(const std::string& key, bool fallback) const {
    descriptor(key);
    return table_.flag(key, fallback);
}

std::string ParamReader::choice(const std::string& key) const {
    const auto& d = descriptor(key);
    return table_.choice(key, d.defaultText, d.choices);
}

std::string ParamReader::text(const std::string& key) const {
    const auto& d = descriptor(key);
    const std::string value = table_.text(key, d.defaultText);
    if (d.required && value.empty()) table_.fail(key, key + " is required" + (d.note.empty() ? "" : " (" + d.note + ")"));
    return value;
}

namespace {

constexpr double kMaxFreqHz = 96000.0;

// ---- descriptor builders: one line per key ----

ParamDescriptor number(std::string key, std::string unit, double fallback, double min, double max, std::string note = {}) {
    ParamDescriptor d;
    d.key = std::move(key);
    d.unit = std::move(unit);
    d.defaultValue = fallback;
    d.minValue = min;
    d.maxValue = max;
    d.note = std::move(note);
    return d;
}

ParamDescriptor required(std::string key, std::string unit, double min, double max, std::string note = {}) {
    ParamDescriptor d = number(std::move(key), std::move(unit), 0.0, min, max, std::move(note));
    d.required = true;
    return d;
}

ParamDescriptor integer(std::string key, std::string unit, int fallback, int min, int max, std::vector<double> allowed = {},
                        std::string note = {}) {
    ParamDescriptor d = number(std::move(key), std::move(unit), fallback, min, max, std::move(note));
    d.kind = ParamKind::Integer;
    d.allowed = std::move(allowed);
    return d;
}

ParamDescriptor flag(std::string key, bool fallback, std::string note = {}) {
    ParamDescriptor d;
    d.key = std::move(key);
    d.kind = ParamKind::Flag;
    d.defaultValue = fallback ? 1.0 : 0.0;
    d.note = std::move(note);
    return d;
}

ParamDescriptor choice(std::string key, std::vector<std::string> choices, std::string fallback, std::string note = {}) {
    ParamDescriptor d;
    d.key = std::move(key);
    d.kind = ParamKind::Choice;
    d.choices = std::move(choices);
    d.defaultText = std::move(fallback);
    d.note = std::move(note);
    return d;
}

ParamDescriptor text(std::string key, bool isRequired, std::string fallback, std::string note) {
    ParamDescriptor d;
    d.key = std::move(key);
    d.kind = ParamKind::Text;
    d.required = isRequired;
    d.defaultText = std::move(fallback);
    d.note = std::move(note);
    return d;
}

ParamDescriptor file(std::string key, std::string note) {
    ParamDescriptor d = text(std::move(key), true, "", std::move(note));
    d.isFile = true;
    return d;
}

// A file parameter's path: a relative one is relative to the file the insert was written in.
std::string resolvedFile(const ParamTable& p, const std::string& value) {
    std::filesystem::path path(value);
    if (path.is_relative()) path = std::filesystem::path(p.source).parent_path() / path;
    return path.string();
}

ParamDescriptor tables(std::string key, std::string note) {
    ParamDescriptor d;
    d.key = std::move(key);
    d.kind = ParamKind::Tables;
    d.note = std::move(note);
    return d;
}

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

struct BandType {
    const char* name;
    EqBandType type;
};
constexpr BandType kBandTypes[] = {
    {"peak", EqBandType::Peak},       {"low_shelf", EqBandType::LowShelf}, {"high_shelf", EqBandType::HighShelf},
    {"lowpass", EqBandType::LowPass}, {"highpass", EqBandType::HighPass},  {"bandpass", EqBandType::BandPass},
    {"notch", EqBandType::Notch},     {"tilt", EqBandType::Tilt},
};

// The keys of one filter (a single-filter insert, or a band of an eq).
std::vector<ParamDescriptor> filterParams(EqBandType type) {
    const EqBand defaults;
    switch (type) {
    case EqBandType::LowPass:
    case EqBandType::HighPass:
        return {required("freq_hz", "Hz", 1.0, kMaxFreqHz),
                integer("slope_db_oct", "dB/oct", defaults.slopeDbOct, 6, 48, {6, 12, 18, 24, 30, 36, 42, 48}, "Butterworth above 12"),
                number("q", "", defaults.q, 0.1, 20.0, "only at 12 dB/oct"), flag("enabled", defaults.enabled)};
    case EqBandType::Peak:
        return {required("freq_hz", "Hz", 1.0, kMaxFreqHz), required("gain_db", "dB", -48.0, 48.0), number("q", "", defaults.q, 0.05, 40.0),
                flag("enabled", defaults.enabled)};
    case EqBandType::LowShelf:
    case EqBandType::HighShelf:
        return {required("freq_hz", "Hz", 1.0, kMaxFreqHz), required("gain_db", "dB", -48.0, 48.0), number("q", "", defaults.q, 0.1, 4.0),
                flag("enabled", defaults.enabled)};
    case EqBandType::BandPass:
    case EqBandType::Notch:
        return {required("freq_hz", "Hz", 1.0, kMaxFreqHz), number("q", "", defaults.q, 0.05, 40.0), flag("enabled", defaults.enabled)};
    case EqBandType::Tilt:
        return {number("freq_hz", "Hz", 1000.0, 20.0, 20000.0, "the pivot"),
                required("gain_db", "dB", -12.0, 12.0, "total change from lows to highs"), flag("enabled", defaults.enabled)};
    }
    return {};
}

// filterParams() made once per band type: what the bands of an eq are read against
// (automation reads them every 32 frames).
const std::vector<ParamDescriptor>& filterKeys(EqBandType type) {
    static const std::vector<std::vector<ParamDescriptor>> keys = [] {
        std::vector<std::vector<ParamDescriptor>> all;
        for (int t = 0; t <= static_cast<int>(EqBandType::Tilt); ++t) all.push_back(filterParams(static_cast<EqBandType>(t)));
        return all;
    }();
    return keys[static_cast<std::size_t>(type)];
}

EqBand readBand(const ParamReader& r, EqBandType type) {
    EqBand band;
    band.type = type;
    band.freqHz = r.number("freq_hz");
    if (type != EqBandType::BandPass && type != EqBandType::Notch && type != EqBandType::LowPass && type != EqBandType::HighPass)
        band.gainDb = r.number("gain_db");
    if (type == EqBandType::LowPass || type == EqBandType::HighPass) band.slopeDbOct = r.integer("slope_db_oct");
    if (type != EqBandType::Tilt) band.q = r.number("q");
    band.enabled = r.flag("enabled");
    return band;
}

EqParams readEqBands(const ParamReader& r) {
    const ParamTable& p = r.table();
    EqParams params;
    params.matched = r.flag("matched");
    const auto& bands = p.tables("band");
    if (bands.size() > static_cast<std::size_t>(EqParams::kMaxBands))
        p.fail("band", "an eq has at most " + std::to_string(EqParams::kMaxBands) + " bands");
    for (const auto& table : bands) {
        const std::string typeName = table.text("type", "");
        const BandType* found = nullptr;
        std::string names;
        for (const auto& b : kBandTypes) {
            names += (names.empty() ? "" : ", ") + std::string(b.name);
            if (typeName == b.name) found = &b;
        }
        if (!found) table.fail("type", "band type must be one of " + names + " (got \"" + typeName + "\")");
        const auto& keys = filterKeys(found->type);
        params.bands[static_cast<std::size_t>(params.bandCount++)] = readBand(ParamReader(table, keys), found->type);
        table.rejectUnknownKeys("an eq band");
    }
    return params;
}

CompressorParams readCompressor(const ParamReader& r) {
    CompressorParams c;
    c.thresholdDb = r.number("threshold_db");
    c.ratio = r.number("ratio");
    c.kneeDb = r.number("knee_db");
    c.attackMs = r.number("attack_ms");
    c.releaseMs = r.number("release_ms");
    c.makeupDb = r.number("makeup_db");
    c.detector = r.choice("detector") == "rms" ? DetectorMode::Rms : DetectorMode::Peak;
    c.rmsMs = r.number("rms_ms");
    c.stereoLink = r.number("stereo_link");
    c.lookaheadMs = r.number("lookahead_ms");
    c.sidechainHighpassHz = r.number("sidechain_hpf_hz");
    return c;
}

std::vector<ParamDescriptor> compressorParams() {
    const CompressorParams c;
    return {
        number("threshold_db", "dBFS", c.thresholdDb, -80.0, 0.0),
        number("ratio", "", c.ratio, 1.0, 100.0),
        number("knee_db", "dB", c.kneeDb, 0.0, 24.0, "soft knee, quadratic"),
        number("attack_ms", "ms", c.attackMs, 0.01, 500.0),
        number("release_ms", "ms", c.releaseMs, 1.0, 5000.0),
        number("makeup_db", "dB", c.makeupDb, -24.0, 24.0),
        choice("detector", {"peak", "rms"}, c.detector == DetectorMode::Rms ? "rms" : "peak"),
        number("rms_ms", "ms", c.rmsMs, 0.1, 1000.0, "RMS averaging time constant"),
        number("stereo_link", "", c.stereoLink, 0.0, 1.0, "1: the loudest channel drives all; 0: independent"),
        number("lookahead_ms", "ms", c.lookaheadMs, 0.0, 20.0, "applied at prepare; the latency"),
        number("sidechain_hpf_hz", "Hz", c.sidechainHighpassHz, 0.0, 2000.0, "0: off; a 12 dB/oct high-pass on the detector"),
    };
}

// The keys of a multiband compressor's band: its upper crossover, then a compressor's.
const std::vector<ParamDescriptor>& multibandBandKeys() {
    static const std::vector<ParamDescriptor> keys = [] {
        std::vector<ParamDescriptor> k = compressorParams();
        k.insert(k.begin(), required("up_to_hz", "Hz", 20.0, 20000.0, "the band's upper crossover; not in the last band"));
        return k;
    }();
    return keys;
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

void requireStereo(const ParamTable& p, const std::string& type, int channels) {
    if (channels != 2)
        throw fileLineError(
            p.source, p.line,
            type + " needs a stereo signal (this one has " + std::to_string(channels) + " channel" + (channels == 1 ? "" : "s") + ")");
}

ProcessorDescriptor describe(std::string type, bool linear, std::vector<ParamDescriptor> params, ProcessorFactory factory) {
    ProcessorDescriptor d;
    d.type = std::move(type);
    d.linear = linear;
    d.params = std::move(params);
    d.factory = std::move(factory);
    return d;
}

constexpr bool kLinear = true;
constexpr bool kNonlinear = false;

void addFilters(std::vector<ProcessorDescriptor>& all) {
    for (const auto& b : kBandTypes) {
        const EqBandType type = b.type;
        auto keys = filterParams(type);
        keys.push_back(flag("matched", EqParams{}.matched, "Vicanek designs where they exist"));
        all.push_back(describe(b.name, kLinear, std::move(keys), [type](const ParamReader& r, int, Processor* existing) {
            EqParams params;
            params.bands[0] = readBand(r, type);
            params.bandCount = 1;
            params.matched = r.flag("matched");
            return apply<Equalizer>(existing, params);
        }));
    }
    all.push_back(describe("eq", kLinear,
                           {flag("matched", EqParams{}.matched, "applies to all bands"),
                            tables("band", "up to 16 filters in series: a `type` and that filter's keys")},
                           [](const ParamReader& r, int, Processor* existing) { return apply<Equalizer>(existing, readEqBands(r)); }));
    ProcessorDescriptor linearPhase = describe(
        "linear_phase_eq", kLinear,
        {integer("length_frames", "frames", LinearPhaseEqParams{}.lengthFrames, 0, 262145, {}, "0: about 0.34 s (16385 taps at 48 kHz)"),
         flag("matched", EqParams{}.matched), tables("band", "as for eq")},
        [](const ParamReader& r, int, Processor* existing) {
            LinearPhaseEqParams params;
            params.lengthFrames = r.integer("length_frames");
            params.eq = readEqBands(r);
            return apply<LinearPhaseEq>(existing, params);
        });
    linearPhase.automatable = false;
    all.push_back(std::move(linearPhase));
}

void addCompressors(std::vector<ProcessorDescriptor>& all) {
    all.push_back(describe("compressor", kNonlinear, compressorParams(),
                           [](const ParamReader& r, int, Processor* existing) { return apply<Compressor>(existing, readCompressor(r)); }));

    ProcessorDescriptor multiband =
        describe("multiband_compressor", kNonlinear,
                 {flag("linear_phase", false, "linear-phase crossovers (latency); false: Linkwitz-Riley 4th order"),
                  tables("band", "2 to 6 bands, low to high: a compressor's keys, and up_to_hz")},
                 [](const ParamReader& r, int, Processor* existing) {
                     const ParamTable& p = r.table();
                     const auto& bandKeys = multibandBandKeys();
                     MultibandCompressorParams params;
                     params.crossover = r.flag("linear_phase") ? CrossoverType::LinearPhase : CrossoverType::Lr4;
                     const auto& bands = p.tables("band");
                     if (bands.size() < 2 || bands.size() > static_cast<std::size_t>(Crossover::kMaxBands))
                         p.fail("band", "a multiband_compressor has 2 to 6 [[insert.band]] tables");
                     params.bandCount = static_cast<int>(bands.size());
                     double previous = 0.0;
                     for (std::size_t b = 0; b < bands.size(); ++b) {
                         const ParamTable& band = bands[b];
                         const ParamReader bandReader(band, bandKeys);
                         if (b + 1 < bands.size()) {
                             const double upTo = bandReader.requiredNumber("up_to_hz");
                             if (upTo <= previous) band.fail("up_to_hz", "up_to_hz must rise from band to band");
                             params.crossoverHz[b] = previous = upTo;
                         } else if (band.has("up_to_hz")) {
                             band.fail("up_to_hz", "the last band has no up_to_hz (it reaches Nyquist)");
                         }
                         params.bands[b] = readCompressor(bandReader);
                         band.rejectUnknownKeys("a multiband_compressor band");
                     }
                     return apply<MultibandCompressor>(existing, params);
                 });
    multiband.tableParams = multibandBandKeys();
    all.push_back(std::move(multiband));
}

void addGateDeEsserAndLimiter(std::vector<ProcessorDescriptor>& all) {
    const GateParams g;
    all.push_back(
        describe("gate", kNonlinear,
                 {number("threshold_db", "dBFS", g.thresholdDb, -100.0, 0.0, "opens at or above"),
                  number("hysteresis_db", "dB", g.hysteresisDb, 0.0, 24.0, "closes below threshold - hysteresis"),
                  number("ratio", "", g.ratio, 1.0, 100.0, "expansion below the threshold; 100 acts as a gate"),
                  number("range_db", "dB", g.rangeDb, -120.0, 0.0, "the most attenuation"),
                  number("attack_ms", "ms", g.attackMs, 0.01, 500.0, "opening"), number("hold_ms", "ms", g.holdMs, 0.0, 2000.0),
                  number("release_ms", "ms", g.releaseMs, 1.0, 5000.0, "closing"), number("stereo_link", "", g.stereoLink, 0.0, 1.0)},
                 [](const ParamReader& r, int, Processor* existing) {
                     GateParams params;
                     params.thresholdDb = r.number("threshold_db");
                     params.hysteresisDb = r.number("hysteresis_db");
                     params.ratio = r.number("ratio");
                     params.rangeDb = r.number("range_db");
                     params.attackMs = r.number("attack_ms");
                     params.holdMs = r.number("hold_ms");
                     params.releaseMs = r.number("release_ms");
                     params.stereoLink = r.number("stereo_link");
                     return apply<Gate>(existing, params);
                 }));

    const DeEsserParams e;
    all.push_back(describe("de_esser", kNonlinear,
                           {number("freq_hz", "Hz", e.freqHz, 1000.0, 20000.0), number("q", "", e.q, 0.3, 4.0),
                            number("threshold_db", "dBFS", e.thresholdDb, -80.0, 0.0), number("ratio", "", e.ratio, 1.0, 100.0),
                            number("range_db", "dB", e.rangeDb, -48.0, 0.0), number("attack_ms", "ms", e.attackMs, 0.01, 100.0),
                            number("release_ms", "ms", e.releaseMs, 1.0, 2000.0)},
                           [](const ParamReader& r, int, Processor* existing) {
                               DeEsserParams params;
                               params.freqHz = r.number("freq_hz");
                               params.q = r.number("q");
                               params.thresholdDb = r.number("threshold_db");
                               params.ratio = r.number("ratio");
                               params.rangeDb = r.number("range_db");
                               params.attackMs = r.number("attack_ms");
                               params.releaseMs = r.number("release_ms");
                               return apply<DeEsser>(existing, params);
                           }));

    const LimiterParams l;
    all.push_back(describe("limiter", kNonlinear,
                           {number("ceiling_dbtp", "dBTP", l.ceilingDbtp, -24.0, 0.0),
                            number("lookahead_ms", "ms", l.lookaheadMs, 0.5, 20.0, "attack; applied at prepare"),
                            number("release_ms", "ms", l.releaseMs, 1.0, 2000.0, "time constant")},
                           [](const ParamReader& r, int, Processor* existing) {
                               LimiterParams params;
                               params.ceilingDbtp = r.number("ceiling_dbtp");
                               params.lookaheadMs = r.number("lookahead_ms");
                               params.releaseMs = r.number("release_ms");
                               return apply<TruePeakLimiter>(existing, params);
                           }));
}

void addSaturation(std::vector<ProcessorDescriptor>& all) {
    const SaturationParams s;
    all.push_back(
        describe("saturation", kNonlinear,
                 {choice("style", {"tape", "tube"}, s.type == SaturationType::Tube ? "tube" : "tape"),
                  number("drive_db", "dB", s.driveDb, 0.0, 36.0), number("mix", "", s.mix, 0.0, 1.0, "the dry path is latency-aligned"),
                  number("bias", "", s.bias, 0.0, 1.0, "tube"), number("output_db", "dB", s.outputDb, -24.0, 24.0),
                  integer("oversampling", "x", s.oversampling, 2, 16, {2, 4, 8, 16}, "applied at prepare")},
                 [](const ParamReader& r, int, Processor* existing) {
                     SaturationParams params;
                     params.type = r.choice("style") == "tube" ? SaturationType::Tube : SaturationType::Tape;
                     params.driveDb = r.number("drive_db");
                     params.mix = r.number("mix");
                     params.bias = r.number("bias");
                     params.outputDb = r.number("output_db");
                     params.oversampling = r.integer("oversampling");
                     return apply<Saturation>(existing, params);
                 }));
}

void addLevelAndStereo(std::vector<ProcessorDescriptor>& all) {
    all.push_back(describe("gain", kLinear, {required("gain_db", "dB", -96.0, 48.0)}, [](const ParamReader& r, int, Processor* existing) {
        return apply<Gain>(existing, GainParams{r.number("gain_db")});
    }));

    ProcessorDescriptor pan = describe(
        "pan", kLinear,
        {required("pan", "", -1.0, 1.0, "-1 left .. 1 right"),
         choice("law", {"-3dB", "-4.5dB", "-6dB", "0dB"}, "-3dB", "the level at the centre: constant power, compromise, linear, balance")},
        [](const ParamReader& r, int channels, Processor* existing) {
            requireStereo(r.table(), "pan", channels);
            PanParams params;
            params.pan = r.number("pan");
            const std::string law = r.choice("law");
            params.law = law == "-3dB"     ? PanLaw::ConstantPower3dB
                         : law == "-4.5dB" ? PanLaw::Compromise4_5dB
                         : law == "-6dB"   ? PanLaw::Linear6dB
                                           : PanLaw::Balance0dB;
            return apply<Pan>(existing, params);
        });
    pan.stereoOnly = true;
    all.push_back(std::move(pan));

    ProcessorDescriptor width =
        describe("width", kLinear,
                 {required("width", "", 0.0, 4.0, "0 mono, 1 unchanged; mid/side, the side scaled"),
                  number("mono_below_hz", "Hz", WidthParams{}.monoBelowHz, 0.0, 500.0, "0: off; else the side is high-passed (24 dB/oct)")},
                 [](const ParamReader& r, int channels, Processor* existing) {
                     requireStereo(r.table(), "width", channels);
                     return apply<Width>(existing, WidthParams{r.number("width"), r.number("mono_below_hz")});
                 });
    width.stereoOnly = true;
    all.push_back(std::move(width));

    all.push_back(describe("polarity", kLinear,
                           {flag("invert", false, "every channel; the flip is faded through zero over 20 ms"),
                            flag("invert_left", false, "stereo; default: invert"), flag("invert_right", false, "stereo; default: invert")},
                           [](const ParamReader& r, int channels, Processor* existing) {
                               const ParamTable& p = r.table();
                               PolarityParams params;
                               const bool all = r.flag("invert");
                               for (int c = 0; c < channels && c < 8; ++c) params.invert[static_cast<std::size_t>(c)] = all;
                               if (p.has("invert_left") || p.has("invert_right")) {
                                   requireStereo(p, "invert_left/invert_right", channels);
                                   params.invert[0] = r.flag("invert_left", all);
                                   params.invert[1] = r.flag("invert_right", all);
                               }
                               return apply<Polarity>(existing, params);
                           }));

    all.push_back(describe("channel_delay", kLinear,
                           {number("left_ms", "ms", 0.0, 0.0, ChannelDelay::kMaxDelayMs, "stereo"),
                            number("right_ms", "ms", 0.0, 0.0, ChannelDelay::kMaxDelayMs, "stereo"),
                            number("delay_ms", "ms", 0.0, 0.0, ChannelDelay::kMaxDelayMs, "other channel counts: required")},
                           [](const ParamReader& r, int channels, Processor* existing) {
                               ChannelDelayParams params;
                               if (channels == 2) {
                                   params.delayMs[0] = r.number("left_ms");
                                   params.delayMs[1] = r.number("right_ms");
                               } else {
                                   const double ms = r.requiredNumber("delay_ms");
                                   for (auto& d : params.delayMs) d = ms;
                               }
                               return apply<ChannelDelay>(existing, params);
                           }));
}

void addTimeEffects(std::vector<ProcessorDescriptor>& all) {
    const DelayParams d;
    all.push_back(describe(
        "delay", kLinear,
        {number("time_ms", "ms", d.timeMs, 1.0, FeedbackDelay::kMaxTimeMs, "ignored when bpm and note are given"),
         number("bpm", "", d.bpm, 0.0, 400.0, "with note: the time is that note at this tempo"),
         text("note", false, "", "\"1/4\", \"1/8d\" (dotted), \"1/16t\" (triplet); needs bpm"),
         number("feedback", "", d.feedback, 0.0, 0.98), number("high_cut_hz", "Hz", d.highCutHz, 200.0, 24000.0, "in the feedback path"),
         number("low_cut_hz", "Hz", d.lowCutHz, 10.0, 2000.0, "in the feedback path"),
         flag("ping_pong", d.pingPong, "repeats alternate left and right"), number("mix", "", d.mix, 0.0, 1.0)},
        [](const ParamReader& r, int, Processor* existing) {
            const ParamTable& p = r.table();
            DelayParams params;
            params.timeMs = r.number("time_ms");
            params.bpm = r.number("bpm");
            if (p.has("note")) {
                if (params.bpm <= 0.0) p.fail("note", "note needs bpm (the tempo it is a fraction of)");
                params.noteBeats = noteBeats(p, r.text("note"));
            } else if (params.bpm > 0.0) {
                p.fail("bpm", "bpm needs note (e.g. note = \"1/8d\")");
            }
            params.feedback = r.number("feedback");
            params.highCutHz = r.number("high_cut_hz");
            params.lowCutHz = r.number("low_cut_hz");
            params.pingPong = r.flag("ping_pong");
            params.mix = r.number("mix");
            return apply<FeedbackDelay>(existing, params);
        }));

    const ReverbParams v;
    all.push_back(describe("reverb", kLinear,
                           {number("predelay_ms", "ms", v.predelayMs, 0.0, 500.0),
                            number("size", "", v.size, 0.1, 1.0, "scales the delay lengths (room size, echo density)"),
                            number("decay_s", "s", v.decayS, 0.1, 20.0, "RT60 at mid frequencies"),
                            number("low_decay_ratio", "", v.lowDecayRatio, 0.25, 4.0, "RT60 below about 200 Hz, relative to mid"),
                            number("high_decay_ratio", "", v.highDecayRatio, 0.1, 1.0, "RT60 above damping_hz, relative to mid"),
                            number("damping_hz", "Hz", v.dampingHz, 1000.0, 20000.0),
                            number("width", "", v.width, 0.0, 1.0, "0 mono .. 1 full stereo wet"), number("mix", "", v.mix, 0.0, 1.0)},
                           [](const ParamReader& r, int, Processor* existing) {
                               ReverbParams params;
                               params.predelayMs = r.number("predelay_ms");
                               params.size = r.number("size");
                               params.decayS = r.number("decay_s");
                               params.lowDecayRatio = r.number("low_decay_ratio");
                               params.highDecayRatio = r.number("high_decay_ratio");
                               params.dampingHz = r.number("damping_hz");
                               params.width = r.number("width");
                               params.mix = r.number("mix");
                               return apply<AlgorithmicReverb>(existing, params);
                           }));

    const ConvolutionReverbParams c;
    ProcessorDescriptor convolution =
        describe("convolution_reverb", kLinear,
                 {file("impulse", "a sound file of the room's response (at most 60 s), relative to the file it is named in"),
                  number("mix", "", c.mix, 0.0, 1.0), number("predelay_ms", "ms", c.predelayMs, 0.0, 500.0),
                  flag("normalize", c.normalize, "scale the response to unit energy")},
                 [](const ParamReader& r, int, Processor* existing) {
                     const ParamTable& p = r.table();
                     ConvolutionReverbParams params;
                     params.impulsePath = resolvedFile(p, r.text("impulse"));
                     if (!std::filesystem::is_regular_file(params.impulsePath))
                         p.fail("impulse", "impulse: no such file " + params.impulsePath);
                     params.mix = r.number("mix");
                     params.predelayMs = r.number("predelay_ms");
                     params.normalize = r.flag("normalize");
                     return apply<ConvolutionReverb>(existing, params);
                 });
    convolution.automatable = false;
    all.push_back(std::move(convolution));
}

void addDither(std::vector<ProcessorDescriptor>& all) {
    all.push_back(describe(
        "dither", kNonlinear, {integer("bits", "bits", DitherParams{}.bits, 8, 24), choice("shape", {"tpdf", "shaped", "none"}, "tpdf")},
        [](const ParamReader& r, int, Processor* existing) {
            DitherParams params;
            params.bits = r.integer("bits");
            const std::string type = r.choice("shape");
            params.type = type == "tpdf" ? DitherType::Tpdf : type == "shaped" ? DitherType::NoiseShaped : DitherType::None;
            return apply<Dither>(existing, params);
        }));
}

// ---- LV2 plugins ----

// The keys of an lv2 insert that are not the plugin's control symbols.
bool isLv2InsertKey(const std::string& key) { return key == "uri" || key == "preset" || key == "state" || key == "state_file"; }

[[noreturn]] void failUnknownUri(const ParamTable& p, const std::string& uri) {
    // Those that share the longest beginning with what was written (a typo, another size of
    // the same plugin), else a pointer to the list.
    std::vector<std::pair<std::size_t, std::string>> near;
    for (const auto& installed : installedLv2Uris()) {
        const auto shared =
            static_cast<std::size_t>(std::mismatch(uri.begin(), uri.end(), installed.begin(), installed.end()).first - uri.begin());
        near.emplace_back(shared, installed);
    }
    std::stable_sort(near.begin(), near.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::string list;
    for (std::size_t i = 0; i < near.size() && i < 5 && near[i].first > 12; ++i) list += (list.empty() ? "" : ", ") + near[i].second;
    p.fail("uri", "uri: no LV2 plugin " + uri + " is installed (" +
                      (list.empty() ? std::to_string(near.size()) + " are; " : "near it: " + list + "; ") + "bounce plugins lists them)");
}

// A control symbol's value, checked against the port's declared range; the port by index.
std::pair<int, float> lv2Control(const ParamTable& p, const Lv2Plugin& plugin, const std::string& symbol) {
    const auto port = std::find_if(plugin.ports.begin(), plugin.ports.end(), [&](const Lv2Port& q) { return q.symbol == symbol; });
    if (port == plugin.ports.end() || port->type != "control" || !port->input) {
        std::string controls;
        for (const auto& q : plugin.ports)
            if (q.type == "control" && q.input) controls += (controls.empty() ? "" : ", ") + q.symbol;
        p.fail(symbol, symbol + ": " + plugin.name + " has " +
                           (port == plugin.ports.end() ? std::string("no port of that symbol")
                                                       : "it as an " + std::string(port->input ? "" : "output ") + port->type + " port") +
                           "; its controls: " + controls);
    }
    const double min = port->minimum.value_or(-std::numeric_limits<double>::max());
    const double max = port->maximum.value_or(std::numeric_limits<double>::max());
    const bool whole = port->whole && std::abs(min) < 1e9 && std::abs(max) < 1e9;
    const double value =
        whole ? p.integer(symbol, 0, static_cast<int>(std::ceil(min)), static_cast<int>(std::floor(max))) : p.number(symbol, 0.0, min, max);
    return {port->index, static_cast<float>(value)};
}

void addLv2(std::vector<ProcessorDescriptor>& all) {
    ParamDescriptor stateFile = text("state_file", false, "", "the same, from a Turtle file (relative to the file it is named in)");
    stateFile.isFile = true;
    ProcessorDescriptor lv2 = describe(
        "lv2", kNonlinear,
        {text("uri", true, "", "the plugin (bounce plugins lists those installed)"),
         text("preset", false, "", "an LV2 preset of the plugin: its URI or label"),
         text("state", false, "", "a saved plugin state (Turtle, state:State), for plugins whose state is more than their controls"),
         std::move(stateFile)},
        [](const ParamReader& r, int channels, Processor* existing) -> std::unique_ptr<Processor> {
            const ParamTable& p = r.table();
            auto* effect = dynamic_cast<Lv2Effect*>(existing);
            std::unique_ptr<Lv2Effect> made;
            if (!effect) {
                Lv2EffectParams params;
                params.uri = r.text("uri");
                if (!findLv2Plugin(params.uri)) failUnknownUri(p, params.uri);
                params.preset = r.text("preset");
                params.state = r.text("state");
                const std::string file = r.text("state_file");
                if (!file.empty()) params.stateFile = resolvedFile(p, file);
                if (!params.state.empty() && !params.stateFile.empty()) p.fail("state_file", "give state or state_file, not both");
                try {
                    made = std::make_unique<Lv2Effect>(params, channels);
                } catch (const ConfigError&) {
                    throw;
                } catch (const Error& e) {
                    p.fail(!params.preset.empty() && std::string(e.what()).rfind("preset", 0) == 0 ? "preset"
                           : std::string(e.what()).rfind("state", 0) == 0 ? (params.stateFile.empty() ? "state" : "state_file")
                                                                          : "uri",
                           e.what());
                }
                effect = made.get();
            }
            // Every other key is a control port's symbol (written in [insert.params] or beside uri).
            for (const auto& [key, entry] : p.entries) {
                if (isLv2InsertKey(key)) continue;
                const auto [index, value] = lv2Control(p, effect->plugin(), key);
                effect->setControl(index, value);
            }
            return made;
        });
    all.push_back(std::move(lv2));
}

}  // namespace

const std::vector<ProcessorDescriptor>& processorDescriptors() {
    static const std::vector<ProcessorDescriptor> all = [] {
        std::vector<ProcessorDescriptor> d;
        addFilters(d);
        addCompressors(d);
        addGateDeEsserAndLimiter(d);
        addSaturation(d);
        addLevelAndStereo(d);
        addTimeEffects(d);
        addDither(d);
        addLv2(d);
        return d;
    }();
    return all;
}

const ProcessorDescriptor* findProcessorDescriptor(const std::string& type) {
    for (const auto& d : processorDescriptors())
        if (d.type == type) return &d;
    return nullptr;
}

std::vector<std::string> processorTypeNames() {
    std::vector<std::string> names;
    for (const auto& d : processorDescriptors()) names.push_back(d.type);
    std::sort(names.begin(), names.end());
    return names;
}

std::unique_ptr<Processor> createProcessor(const InsertSpec& insert, int channels) {
    const ProcessorDescriptor* d = findProcessorDescriptor(insert.type);
    if (!d) {
        std::string names;
        for (const auto& name : processorTypeNames()) names += (names.empty() ? "" : ", ") + name;
        throw fileLineError(insert.params.source, insert.params.line, "unknown insert type \"" + insert.type + "\" (known: " + names + ")");
    }
    auto processor = d->factory(ParamReader(insert.params, d->params), channels, nullptr);
    insert.params.rejectUnknownKeys("a " + insert.type + " insert");
    return processor;
}

bool processorIsAutomatable(const std::string& type) {
    const ProcessorDescriptor* d = findProcessorDescriptor(type);
    return d && d->automatable;
}

bool processorIsLinear(const std::string& type) {
    const ProcessorDescriptor* d = findProcessorDescriptor(type);
    return d && d->linear;
}

std::vector<std::string> insertInputFiles(const InsertSpec& insert) {
    std::vector<std::string> files;
    const ProcessorDescriptor* d = findProcessorDescriptor(insert.type);
    if (!d) return files;
    for (const auto& p : d->params) {
        if (!p.isFile || !insert.params.has(p.key)) continue;
        const auto* value = std::get_if<std::string>(&insert.params.entries.at(p.key).value);
        if (value && !value->empty()) files.push_back(resolvedFile(insert.params, *value));
    }
    return files;
}

void configureProcessor(Processor& processor, const InsertSpec& insert, int channels) {
    if (const ProcessorDescriptor* d = findProcessorDescriptor(insert.type)) configureProcessor(processor, *d, insert, channels);
}

void configureProcessor(Processor& processor, const ProcessorDescriptor& descriptor, const InsertSpec& insert, int channels) {
    if (descriptor.automatable) descriptor.factory(ParamReader(insert.params, descriptor.params), channels, &processor);
}

}  // namespace bounce
