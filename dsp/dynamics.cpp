#include "bounce/dynamics.h"

#include "bounce/denormals.h"

#include <algorithm>
#include <cmath>

namespace bounce {
namespace {

constexpr double kRampMs = 20.0;
constexpr double kFloorDb = -200.0;
constexpr double kPeakEnvelopeReleaseMs = 10.0;

double levelDb(double linear) noexcept { return linear > 1e-10 ? 20.0 * std::log10(linear) : kFloorDb; }

}  // namespace

double GainReductionSmoother::coefficient(double ms, double sampleRate) noexcept {
    return ms <= 0.0 ? 0.0 : std::exp(-1.0 / (ms * 0.001 * sampleRate));
}

double compressorCurveDb(double levelDb, double thresholdDb, double ratio, double kneeDb) noexcept {
    const double over = levelDb - thresholdDb;
    const double slope = 1.0 / ratio - 1.0;
    if (2.0 * over < -kneeDb) return 0.0;
    if (kneeDb > 0.0 && 2.0 * std::fabs(over) <= kneeDb) {
        const double x = over + kneeDb / 2.0;
        return slope * x * x / (2.0 * kneeDb);
    }
    return slope * over;
}

// ---------------------------------------------------------------- Compressor

void Compressor::setParams(const CompressorParams& params) noexcept {
    params_ = params;
    threshold_.setTarget(std::clamp(params.thresholdDb, -80.0, 0.0));
    ratio_.setTarget(std::clamp(params.ratio, 1.0, 100.0));
    knee_.setTarget(std::clamp(params.kneeDb, 0.0, 24.0));
    makeup_.setTarget(std::clamp(params.makeupDb, -24.0, 24.0));
    for (auto& s : smoothers_) {
        s.attack = GainReductionSmoother::coefficient(std::clamp(params.attackMs, 0.01, 500.0), spec_.sampleRate);
        s.release = GainReductionSmoother::coefficient(std::clamp(params.releaseMs, 1.0, 5000.0), spec_.sampleRate);
    }
    rmsCoefficient_ = GainReductionSmoother::coefficient(std::clamp(params.rmsMs, 0.1, 1000.0), spec_.sampleRate);
    if (params.sidechainHighpassHz > 0.0) {
        const auto hp = designBiquad(FilterType::HighPass, params.sidechainHighpassHz, 0.7071, 0.0, spec_.sampleRate, false);
        sidechainFilter_.setSections(&hp, 1);
    } else {
        sidechainFilter_.setSections(nullptr, 0);
    }
}

void Compressor::prepare(const ProcessSpec& spec) {
    spec_ = spec;
    for (auto* s : {&threshold_, &ratio_, &knee_, &makeup_}) s->prepare(spec.sampleRate, kRampMs);
    smoothers_.assign(static_cast<std::size_t>(spec.channels), {});
    sidechainFilter_.prepare(spec.channels);
    setParams(params_);
    threshold_.setCurrentAndTarget(std::clamp(params_.thresholdDb, -80.0, 0.0));
    ratio_.setCurrentAndTarget(std::clamp(params_.ratio, 1.0, 100.0));
    knee_.setCurrentAndTarget(std::clamp(params_.kneeDb, 0.0, 24.0));
    makeup_.setCurrentAndTarget(std::clamp(params_.makeupDb, -24.0, 24.0));
    lookahead_ = static_cast<int>(std::lround(std::clamp(params_.lookaheadMs, 0.0, 20.0) * 0.001 * spec.sampleRate));
    keys_.assign(static_cast<std::size_t>(spec.channels), std::vector<float>(static_cast<std::size_t>(spec.maxBlockFrames)));
    delay_.assign(static_cast<std::size_t>(spec.channels), std::vector<float>(static_cast<std::size_t>(lookahead_) + 1));
    meanSquare_.assign(static_cast<std::size_t>(spec.channels), 0.0);
    levels_.assign(static_cast<std::size_t>(spec.channels), kFloorDb);
    reset();
}

void Compressor::reset() noexcept {
    for (auto& s : smoothers_) s.state = 0.0;
    std::fill(meanSquare_.begin(), meanSquare_.end(), 0.0);
    sidechainFilter_.reset();
    for (auto& line : delay_) std::fill(line.begin(), line.end(), 0.0f);
    delayWrite_ = 0;
    maxReductionDb_ = sumReductionDb_ = 0.0;
    frames_ = 0;
}

void Compressor::process(AudioView io, ConstAudioView key) noexcept {
    ScopedFlushDenormals flushDenormals;
    const int channels = io.channels();
    const bool external = key.channels() == channels && key.frames() >= io.frames();
    const bool rms = params_.detector == DetectorMode::Rms;
    const double link = std::clamp(params_.stereoLink, 0.0, 1.0);
    const std::size_t ringSize = static_cast<std::size_t>(lookahead_) + 1;
    for (std::size_t start = 0; start < io.frames(); start += static_cast<std::size_t>(spec_.maxBlockFrames)) {
        const std::size_t frames = std::min(io.frames() - start, static_cast<std::size_t>(spec_.maxBlockFrames));
        for (int c = 0; c < channels; ++c) {
            float* k = keys_[static_cast<std::size_t>(c)].data();
            const float* source = external ? key.channel(c) + start : io.channel(c) + start;
            for (std::size_t i = 0; i < frames; ++i) k[i] = std::isfinite(source[i]) ? source[i] : 0.0f;
            sidechainFilter_.process(k, frames, c);
        }
        for (std::size_t i = 0; i < frames; ++i) {
            const double threshold = threshold_.next(), ratio = ratio_.next(), knee = knee_.next(), makeup = makeup_.next();
            double loudest = kFloorDb;
            for (int c = 0; c < channels; ++c) {
                const double x = keys_[static_cast<std::size_t>(c)][i];
                double level;
                if (rms) {
                    double& ms = meanSquare_[static_cast<std::size_t>(c)];
                    ms = rmsCoefficient_ * ms + (1.0 - rmsCoefficient_) * x * x;
                    level = levelDb(std::sqrt(ms));
                } else {
                    level = levelDb(std::fabs(x));
                }
                levels_[static_cast<std::size_t>(c)] = level;
                loudest = std::max(loudest, level);
            }
            const std::size_t readPosition = (delayWrite_ + 1) % ringSize;
            double frameReduction = 0.0;
            for (int c = 0; c < channels; ++c) {
                const double level = link * loudest + (1.0 - link) * levels_[static_cast<std::size_t>(c)];
                const double reduction = smoothers_[static_cast<std::size_t>(c)].next(-compressorCurveDb(level, threshold, ratio, knee));
                frameReduction = std::max(frameReduction, reduction);
                auto& line = delay_[static_cast<std::size_t>(c)];
                float& sample = io.channel(c)[start + i];
                line[delayWrite_] = std::isfinite(sample) ? sample : 0.0f;
                sample = static_cast<float>(line[readPosition] * dbToGain(makeup - reduction));
            }
            delayWrite_ = readPosition;
            maxReductionDb_ = std::max(maxReductionDb_, frameReduction);
            sumReductionDb_ += frameReduction;
            ++frames_;
        }
    }
}

double Compressor::meanGainReductionDb() const noexcept {
    return frames_ ? sumReductionDb_ / static_cast<double>(frames_) : 0.0;
}

// ---------------------------------------------------------------- Gate

void Gate::setParams(const GateParams& params) noexcept {
    params_ = params;
    // The smoother's "attack" acts while the reduction grows: that is the gate closing.
    for (auto& s : smoothers_) {
        s.attack = GainReductionSmoother::coefficient(std::clamp(params.releaseMs, 1.0, 5000.0), spec_.sampleRate);
        s.release = GainReductionSmoother::coefficient(std::clamp(params.attackMs, 0.01, 500.0), spec_.sampleRate);
    }
}

void Gate::prepare(const ProcessSpec& spec) {
    spec_ = spec;
    smoothers_.assign(static_cast<std::size_t>(spec.channels), {});
    open_.assign(static_cast<std::size_t>(spec.channels), false);
    holdRemaining_.assign(static_cast<std::size_t>(spec.channels), 0);
    peak_.assign(static_cast<std::size_t>(spec.channels), 0.0);
    peakRelease_ = GainReductionSmoother::coefficient(kPeakEnvelopeReleaseMs, spec.sampleRate);
    setParams(params_);
    reset();
}

void Gate::reset() noexcept {
    // Start closed, fully attenuated: a gate opens on signal, it does not fade out at the start.
    const double range = -std::clamp(params_.rangeDb, -120.0, 0.0);
    for (auto& s : smoothers_) s.state = range;
    std::fill(open_.begin(), open_.end(), false);
    std::fill(holdRemaining_.begin(), holdRemaining_.end(), 0);
    std::fill(peak_.begin(), peak_.end(), 0.0);
}

void Gate::process(AudioView io) noexcept {
    ScopedFlushDenormals flushDenormals;
    const int channels = io.channels();
    const double link = std::clamp(params_.stereoLink, 0.0, 1.0);
    const double threshold = params_.thresholdDb, closeBelow = params_.thresholdDb - std::max(0.0, params_.hysteresisDb);
    const double maxReduction = -std::clamp(params_.rangeDb, -120.0, 0.0);
    const double slope = std::max(params_.ratio, 1.0) - 1.0;
    const int holdFrames = static_cast<int>(std::lround(std::max(0.0, params_.holdMs) * 0.001 * spec_.sampleRate));
    for (std::size_t i = 0; i < io.frames(); ++i) {
        double loudest = kFloorDb;
        for (int c = 0; c < channels; ++c) {
            const float x = io.channel(c)[i];
            double& p = peak_[static_cast<std::size_t>(c)];
            p = std::max(std::isfinite(x) ? std::fabs(static_cast<double>(x)) : 0.0, p * peakRelease_);
            loudest = std::max(loudest, levelDb(p));
        }
        for (int c = 0; c < channels; ++c) {
            const auto ch = static_cast<std::size_t>(c);
            const double level = link * loudest + (1.0 - link) * levelDb(peak_[ch]);
            if (level >= threshold) {
                open_[ch] = true;
                holdRemaining_[ch] = holdFrames;
            } else if (level < closeBelow) {
                if (holdRemaining_[ch] > 0) {
                    --holdRemaining_[ch];
                } else {
                    open_[ch] = false;
                }
            }
            const double target = open_[ch] ? 0.0 : std::min(maxReduction, (threshold - level) * slope);
            const double reduction = smoothers_[ch].next(target);
            float& sample = io.channel(c)[i];
            sample = std::isfinite(sample) ? static_cast<float>(sample * dbToGain(-reduction)) : 0.0f;
        }
    }
}

// ---------------------------------------------------------------- De-esser

void DeEsser::setParams(const DeEsserParams& params) noexcept {
    params_ = params;
    const auto bp = designBiquad(FilterType::BandPass, std::clamp(params.freqHz, 1000.0, 20000.0), std::clamp(params.q, 0.3, 4.0),
                                 0.0, spec_.sampleRate, false);
    band_.setSections(&bp, 1);
    for (auto& s : smoothers_) {
        s.attack = GainReductionSmoother::coefficient(std::clamp(params.attackMs, 0.01, 100.0), spec_.sampleRate);
        s.release = GainReductionSmoother::coefficient(std::clamp(params.releaseMs, 1.0, 2000.0), spec_.sampleRate);
    }
}

void DeEsser::prepare(const ProcessSpec& spec) {
    spec_ = spec;
    band_.prepare(spec.channels);
    smoothers_.assign(1, {});
    high_.assign(static_cast<std::size_t>(spec.channels), std::vector<float>(static_cast<std::size_t>(spec.maxBlockFrames)));
    setParams(params_);
    reset();
}

void DeEsser::reset() noexcept {
    band_.reset();
    for (auto& s : smoothers_) s.state = 0.0;
    envelope_ = 0.0;
    maxReductionDb_ = 0.0;
}

void DeEsser::process(AudioView io) noexcept {
    ScopedFlushDenormals flushDenormals;
    const int channels = io.channels();
    const double envelopeRelease = GainReductionSmoother::coefficient(kPeakEnvelopeReleaseMs, spec_.sampleRate);
    const double maxReduction = -std::clamp(params_.rangeDb, -48.0, 0.0);
    for (std::size_t start = 0; start < io.frames(); start += static_cast<std::size_t>(spec_.maxBlockFrames)) {
        const std::size_t frames = std::min(io.frames() - start, static_cast<std::size_t>(spec_.maxBlockFrames));
        for (int c = 0; c < channels; ++c) {
            float* high = high_[static_cast<std::size_t>(c)].data();
            const float* x = io.channel(c) + start;
            for (std::size_t i = 0; i < frames; ++i) high[i] = std::isfinite(x[i]) ? x[i] : 0.0f;
            band_.process(high, frames, c);
        }
        for (std::size_t i = 0; i < frames; ++i) {
            // One linked envelope of the band: sibilance is turned down in both channels alike.
            double loudest = 0.0;
            for (int c = 0; c < channels; ++c) loudest = std::max(loudest, std::fabs(static_cast<double>(high_[static_cast<std::size_t>(c)][i])));
            envelope_ = std::max(loudest, envelope_ * envelopeRelease);
            const double target = std::min(maxReduction, -compressorCurveDb(levelDb(envelope_), params_.thresholdDb, params_.ratio, 0.0));
            const double reduction = smoothers_[0].next(target);
            maxReductionDb_ = std::max(maxReductionDb_, reduction);
            const double cut = 1.0 - dbToGain(-reduction);
            for (int c = 0; c < channels; ++c) {
                float& sample = io.channel(c)[start + i];
                const double dry = std::isfinite(sample) ? sample : 0.0;
                sample = static_cast<float>(dry - cut * high_[static_cast<std::size_t>(c)][i]);
            }
        }
    }
}

}  // namespace bounce
