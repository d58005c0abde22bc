#include "bounce/equalizer.h"

#include "bounce/denormals.h"

#include <algorithm>

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
        for (int b = 0; b < params_.bandCount; ++b) {
            auto& s = bands_[static_cast<std::size_t>(b)];
            if (!s.active) continue;
            int c = 0;
            for (; c + 1 < io.channels(); c += 2) s.cascade.processPair(io.channel(c) + position, io.channel(c + 1) + position, frames, c);
            for (; c < io.channels(); ++c) s.cascade.process(io.channel(c) + position, frames, c);
        }
        position += frames;
        framesProcessed_ += frames;
    }
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
