#include "bounce/equalizer.h"

#include "bounce/denormals.h"
#include "bounce/simd.h"

#include <algorithm>
#include <cmath>

namespace bounce {
namespace {

constexpr double kRampMs = 20.0;

FilterType filterTypeOf(EqBandType type) {
    switch (type) {
    case EqBandType::Peak: return FilterType::Peak;
    case EqBandType::LowShelf: return FilterType::LowShelf;
    case EqBandType::HighShelf: return FilterType::HighShelf;
    case EqBandType::LowPass: return FilterType::LowPass;
    case EqBandType::HighPass: return FilterType::HighPass;
    case EqBandType::BandPass: return FilterType::BandPass;
    case EqBandType::Notch: return FilterType::Notch;
    case EqBandType::Tilt: return FilterType::LowShelf;
    }
    return FilterType::Peak;
}

}  // namespace

void Equalizer::prepare(const ProcessSpec& spec) {
    spec_ = spec;
    for (auto& band : bands_) {
        band.cascade.prepare(spec.channels);
        band.freqHz.prepare(spec.sampleRate, kRampMs);
        band.gainDb.prepare(spec.sampleRate, kRampMs);
        band.q.prepare(spec.sampleRate, kRampMs);
    }
    // Start at the targets, without a glide from defaults.
    for (int b = 0; b < params_.bandCount; ++b) {
        auto& state = bands_[static_cast<std::size_t>(b)];
        const auto& band = params_.bands[static_cast<std::size_t>(b)];
        state.freqHz.setCurrentAndTarget(band.freqHz);
        state.gainDb.setCurrentAndTarget(band.gainDb);
        state.q.setCurrentAndTarget(band.q);
        design(state, band, band.freqHz, band.gainDb, band.q);
    }
    reset();
}

void Equalizer::reset() noexcept {
    for (auto& band : bands_) band.cascade.reset();
    framesProcessed_ = 0;
}

void Equalizer::setParams(const EqParams& params) noexcept {
    const int previousCount = params_.bandCount;
    const EqParams previous = params_;
    params_ = params;
    params_.bandCount = std::clamp(params.bandCount, 0, EqParams::kMaxBands);
    for (int b = 0; b < params_.bandCount; ++b) {
        auto& state = bands_[static_cast<std::size_t>(b)];
        const auto& band = params_.bands[static_cast<std::size_t>(b)];
        const bool isNew = b >= previousCount;
        const auto& old = previous.bands[static_cast<std::size_t>(b)];
        if (isNew || old.type != band.type || old.slopeDbOct != band.slopeDbOct || previous.matched != params_.matched) {
            // A new band or a new shape: no sensible glide; switch at once.
            state.freqHz.setCurrentAndTarget(band.freqHz);
            state.gainDb.setCurrentAndTarget(band.gainDb);
            state.q.setCurrentAndTarget(band.q);
            if (isNew) state.cascade.reset();
        } else {
            state.freqHz.setTarget(band.freqHz);
            state.gainDb.setTarget(band.gainDb);
            state.q.setTarget(band.q);
        }
        design(state, band, state.freqHz.current(), state.gainDb.current(), state.q.current());
    }
}

void Equalizer::design(BandState& state, const EqBand& band, double freqHz, double gainDb, double q) const noexcept {
    const double fs = spec_.sampleRate;
    state.active = band.enabled;
    std::array<BiquadCoefficients, 4> sections{};
    int count = 0;
    switch (band.type) {
    case EqBandType::LowPass:
    case EqBandType::HighPass: {
        const int order = std::clamp(band.slopeDbOct / 6, 1, 8);
        if (order == 2) {
            sections[0] = designBiquad(filterTypeOf(band.type), freqHz, q, 0.0, fs, params_.matched);
            count = 1;
        } else {
            count = designButterworth(filterTypeOf(band.type), order, freqHz, fs, params_.matched, sections);
        }
        break;
    }
    case EqBandType::Tilt:
        // Opposite half-gain shelves about the pivot, gentle (Q 0.5): a straight-ish tilt.
        sections[0] = designBiquad(FilterType::LowShelf, freqHz, 0.5, -gainDb / 2, fs, false);
        sections[1] = designBiquad(FilterType::HighShelf, freqHz, 0.5, gainDb / 2, fs, false);
        count = 2;
        break;
    default:
        sections[0] = designBiquad(filterTypeOf(band.type), freqHz, q, gainDb, fs, params_.matched);
        count = 1;
        break;
    }
    state.cascade.setSections(sections.data(), count);
}

bool Equalizer::smoothing() const noexcept {
    for (int b = 0; b < params_.bandCount; ++b) {
        const auto& s = bands_[static_cast<std::size_t>(b)];
        if (s.freqHz.isSmoothing() || s.gainDb.isSmoothing() || s.q.isSmoothing()) return true;
    }
    return false;
}

void Equalizer::process(AudioView io) noexcept {
    ScopedFlushDenormals flushDenormals;
    std::size_t position = 0;
    while (position < io.frames()) {
        std::size_t frames = io.frames() - position;
        if (smoothing()) {
            // Redesign on a fixed 16-frame grid, so the result does not depend on block size.
            frames = std::min<std::size_t>(frames, kRedesignFrames - framesProcessed_ % kRedesignFrames);
            for (int b = 0; b < params_.bandCount; ++b) {
                auto& s = bands_[static_cast<std::size_t>(b)];
                if (!(s.freqHz.isSmoothing() || s.gainDb.isSmoothing() || s.q.isSmoothing())) continue;
                s.freqHz.skip(static_cast<int>(frames));
                s.gainDb.skip(static_cast<int>(frames));
                s.q.skip(static_cast<int>(frames));
                design(s, params_.bands[static_cast<std::size_t>(b)], s.freqHz.current(), s.gainDb.current(), s.q.current());
            }
        }
        // All active bands in one pass (their sections in series, per sample); band by band
        // when they hold more sections than one pass takes.
        std::array<BiquadCascade*, EqParams::kMaxBands> active{};
        int sections = 0;
        const int count = activeCascades(active, sections);
        int c = 0;
        for (; c + 1 < io.channels(); c += 2) {
            float* l = io.channel(c) + position;
            float* r = io.channel(c + 1) + position;
            if (!BiquadCascade::processSeriesPair(active.data(), count, l, r, frames, c))
                for (int b = 0; b < count; ++b) active[static_cast<std::size_t>(b)]->processPair(l, r, frames, c);
        }
        for (; c < io.channels(); ++c) {
            float* x = io.channel(c) + position;
            if (!BiquadCascade::processSeries(active.data(), count, x, frames, c))
                for (int b = 0; b < count; ++b) active[static_cast<std::size_t>(b)]->process(x, frames, c);
        }
        position += frames;
        framesProcessed_ += frames;
    }
}

int Equalizer::activeCascades(std::array<BiquadCascade*, EqParams::kMaxBands>& out, int& sections) noexcept {
    int count = 0;
    sections = 0;
    for (int b = 0; b < params_.bandCount; ++b) {
        auto& band = bands_[static_cast<std::size_t>(b)];
        if (!band.active) continue;
        out[static_cast<std::size_t>(count++)] = &band.cascade;
        sections += band.cascade.sections();
    }
    return count;
}

namespace {

#if defined(__GNUC__)
using simd::Double2;

// One lane of processAcross: a channel of an equaliser at rest.
struct EqLane {
    std::array<BiquadCascade*, EqParams::kMaxBands> cascades{};
    int cascadeCount = 0;
    int channel = 0;
    float* samples = nullptr;
};

using simd::Double4;

// J vectors of W lanes (V holds W doubles), S sections each, per sample: BiquadCascade's
// transposed direct form II, lane for lane in the same order (no FMA), so each lane's
// bytes are process()'s whatever the width.
template <typename V, int W, int J, int S>
inline __attribute__((always_inline)) void runLanesBody(EqLane* const* lanes, std::size_t frames) noexcept {
    V b0[J][S], b1[J][S], b2[J][S], a1[J][S], a2[J][S], z1[J][S], z2[J][S];
    float* x[J][W];
    for (int j = 0; j < J; ++j) {
        for (int lane = 0; lane < W; ++lane) {
            const EqLane& l = *lanes[W * j + lane];
            x[j][lane] = l.samples;
            int k = 0;
            for (int c = 0; c < l.cascadeCount; ++c)
                for (int section = 0; section < l.cascades[static_cast<std::size_t>(c)]->sections(); ++section, ++k) {
                    BiquadCascade& cascade = *l.cascades[static_cast<std::size_t>(c)];
                    const BiquadCoefficients& q = cascade.section(section);
                    b0[j][k][lane] = q.b0;
                    b1[j][k][lane] = q.b1;
                    b2[j][k][lane] = q.b2;
                    a1[j][k][lane] = q.a1;
                    a2[j][k][lane] = q.a2;
                    z1[j][k][lane] = cascade.state1(l.channel, section);
                    z2[j][k][lane] = cascade.state2(l.channel, section);
                }
        }
    }
    for (std::size_t i = 0; i < frames; ++i) {
        for (int j = 0; j < J; ++j) {
            V v;
            for (int lane = 0; lane < W; ++lane) v[lane] = static_cast<double>(x[j][lane][i]);
            for (int k = 0; k < S; ++k) {
                const V y = b0[j][k] * v + z1[j][k];
                z1[j][k] = b1[j][k] * v - a1[j][k] * y + z2[j][k];
                z2[j][k] = b2[j][k] * v - a2[j][k] * y;
                v = y;
            }
            for (int lane = 0; lane < W; ++lane) x[j][lane][i] = static_cast<float>(v[lane]);
        }
    }
    for (int j = 0; j < J; ++j) {
        for (int lane = 0; lane < W; ++lane) {
            const EqLane& l = *lanes[W * j + lane];
            int k = 0;
            for (int c = 0; c < l.cascadeCount; ++c)
                for (int section = 0; section < l.cascades[static_cast<std::size_t>(c)]->sections(); ++section, ++k) {
                    // A NaN or infinity would circulate for ever: start the section again.
                    const bool finite = std::isfinite(z1[j][k][lane]) && std::isfinite(z2[j][k][lane]);
                    l.cascades[static_cast<std::size_t>(c)]->state1(l.channel, section) = finite ? z1[j][k][lane] : 0.0;
                    l.cascades[static_cast<std::size_t>(c)]->state2(l.channel, section) = finite ? z2[j][k][lane] : 0.0;
                }
        }
    }
}

template <int J, int S>
void runLanes2(EqLane* const* lanes, std::size_t frames) noexcept {
    runLanesBody<Double2, 2, J, S>(lanes, frames);
}

template <int J, int S>
__attribute__((target("avx"))) void runLanes4(EqLane* const* lanes, std::size_t frames) noexcept {
    runLanesBody<Double4, 4, J, S>(lanes, frames);
}

// One or two vectors of `width` lanes (2, or 4 with AVX). Two keep the CPU busy while
// each waits on its recursion; more spill their coefficients out of the registers
// (measured: slower).
template <int S>
void runLaneGroup(EqLane* const* lanes, int vectors, int width, std::size_t frames) noexcept {
    if (width == 4) {
        if (vectors == 1)
            runLanes4<1, S>(lanes, frames);
        else
            runLanes4<2, S>(lanes, frames);
    } else {
        if (vectors == 1)
            runLanes2<1, S>(lanes, frames);
        else
            runLanes2<2, S>(lanes, frames);
    }
}
#endif

}  // namespace

void Equalizer::processAcross(Equalizer* const* equalizers, const AudioView* ios, int count) noexcept {
#if defined(__GNUC__)
    ScopedFlushDenormals flushDenormals;
    constexpr int kMaxLanes = 64;
    constexpr int kMaxSectionsAcross = 4;
    EqLane lanes[kMaxLanes];
    // Lanes by section count (1 .. 4).
    EqLane* bySections[kMaxSectionsAcross + 1][kMaxLanes + 4];  // + room to pad the last vector
    int laneCount[kMaxSectionsAcross + 1] = {};
    int used = 0;
    const std::size_t frames = count > 0 ? ios[0].frames() : 0;
    for (int e = 0; e < count; ++e) {
        Equalizer& eq = *equalizers[e];
        const AudioView& io = ios[e];
        std::array<BiquadCascade*, EqParams::kMaxBands> cascades{};
        int sections = 0;
        const int cascadeCount = eq.activeCascades(cascades, sections);
        if (eq.smoothing() || sections < 1 || sections > kMaxSectionsAcross || io.frames() != frames || used + io.channels() > kMaxLanes) {
            eq.process(io);
            continue;
        }
        for (int c = 0; c < io.channels(); ++c) {
            EqLane& lane = lanes[used++];
            lane.cascades = cascades;
            lane.cascadeCount = cascadeCount;
            lane.channel = c;
            lane.samples = io.channel(c);
            bySections[sections][laneCount[sections]++] = &lane;
        }
        eq.framesProcessed_ += frames;
    }
    const int width = wideKernels() ? 4 : 2;
    constexpr int kVectors = 2;  // vectors per loop (runLaneGroup)
    for (int s = 1; s <= kMaxSectionsAcross; ++s) {
        // Lanes short of a whole vector run beside copies of the last one (the same input,
        // state and result again).
        while (laneCount[s] % width != 0) {
            bySections[s][laneCount[s]] = bySections[s][laneCount[s] - 1];
            ++laneCount[s];
        }
        for (int first = 0; first < laneCount[s]; first += kVectors * width) {
            const int vectors = std::min(kVectors, (laneCount[s] - first) / width);
            EqLane* const* group = bySections[s] + first;
            switch (s) {
            case 1: runLaneGroup<1>(group, vectors, width, frames); break;
            case 2: runLaneGroup<2>(group, vectors, width, frames); break;
            case 3: runLaneGroup<3>(group, vectors, width, frames); break;
            default: runLaneGroup<4>(group, vectors, width, frames); break;
            }
        }
    }
#else
    for (int e = 0; e < count; ++e) equalizers[e]->process(ios[e]);
#endif
}

double Equalizer::magnitudeDb(double freqHz) const noexcept {
    double db = 0.0;
    for (int b = 0; b < params_.bandCount; ++b) {
        const auto& band = params_.bands[static_cast<std::size_t>(b)];
        if (!band.enabled) continue;
        BandState state;
        design(state, band, band.freqHz, band.gainDb, band.q);
        db += state.cascade.magnitudeDb(freqHz, spec_.sampleRate);
    }
    return db;
}

}  // namespace bounce
