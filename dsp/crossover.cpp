#include "bounce/crossover.h"

#include "bounce/denormals.h"

#include <algorithm>
#include <cstring>

namespace bounce {
namespace {
constexpr double kButterworthQ = 0.70710678118654752;
}

void Crossover::prepare(int channels, double sampleRate) {
    sampleRate_ = sampleRate;
    for (auto& c : lowPass_) c.prepare(channels);
    for (auto& c : highPass_) c.prepare(channels);
    for (auto& row : allPass_)
        for (auto& c : row) c.prepare(channels);
}

void Crossover::reset() noexcept {
    for (auto& c : lowPass_) c.reset();
    for (auto& c : highPass_) c.reset();
    for (auto& row : allPass_)
        for (auto& c : row) c.reset();
}

void Crossover::setFrequencies(const double* frequencies, int count) noexcept {
    splits_ = std::clamp(count, 1, kMaxBands - 1);
    for (int k = 0; k < splits_; ++k) {
        const double f = frequencies[k];
        const auto lp = designBiquad(FilterType::LowPass, f, kButterworthQ, 0.0, sampleRate_, false);
        const auto hp = designBiquad(FilterType::HighPass, f, kButterworthQ, 0.0, sampleRate_, false);
        const auto ap = designBiquad(FilterType::AllPass, f, kButterworthQ, 0.0, sampleRate_, false);
        const BiquadCoefficients lp2[] = {lp, lp}, hp2[] = {hp, hp};
        lowPass_[static_cast<std::size_t>(k)].setSections(lp2, 2);
        highPass_[static_cast<std::size_t>(k)].setSections(hp2, 2);
        for (int b = 0; b < k; ++b) allPass_[static_cast<std::size_t>(k)][static_cast<std::size_t>(b)].setSections(&ap, 1);
    }
}

void Crossover::process(int channel, const float* input, float* const* bands, std::size_t frames) noexcept {
    // The highest band doubles as the running "rest above the splits so far".
    float* rest = bands[splits_];
    std::memcpy(rest, input, frames * sizeof(float));
    for (int k = 0; k < splits_; ++k) {
        std::memcpy(bands[k], rest, frames * sizeof(float));
        lowPass_[static_cast<std::size_t>(k)].process(bands[k], frames, channel);
        highPass_[static_cast<std::size_t>(k)].process(rest, frames, channel);
        for (int b = 0; b < k; ++b) allPass_[static_cast<std::size_t>(k)][static_cast<std::size_t>(b)].process(bands[b], frames, channel);
    }
}

void Crossover::processPair(int firstChannel, const float* left, const float* right, float* const* bandsLeft,
                            float* const* bandsRight, std::size_t frames) noexcept {
    float* restL = bandsLeft[splits_];
    float* restR = bandsRight[splits_];
    std::memcpy(restL, left, frames * sizeof(float));
    std::memcpy(restR, right, frames * sizeof(float));
    for (int k = 0; k < splits_; ++k) {
        std::memcpy(bandsLeft[k], restL, frames * sizeof(float));
        std::memcpy(bandsRight[k], restR, frames * sizeof(float));
        lowPass_[static_cast<std::size_t>(k)].processPair(bandsLeft[k], bandsRight[k], frames, firstChannel);
        highPass_[static_cast<std::size_t>(k)].processPair(restL, restR, frames, firstChannel);
        for (int b = 0; b < k; ++b)
            allPass_[static_cast<std::size_t>(k)][static_cast<std::size_t>(b)].processPair(bandsLeft[b], bandsRight[b], frames, firstChannel);
    }
}

double Crossover::bandMagnitudeDb(int band, double freqHz) const noexcept {
    double db = 0.0;
    for (int k = 0; k < splits_; ++k) {
        if (band == k) db += lowPass_[static_cast<std::size_t>(k)].magnitudeDb(freqHz, sampleRate_);
        if (band > k) db += highPass_[static_cast<std::size_t>(k)].magnitudeDb(freqHz, sampleRate_);
        // All-passes have unit magnitude.
    }
    return db;
}

void MultibandCompressor::setParams(const MultibandCompressorParams& params) noexcept {
    const bool splitsChanged = params.bandCount != params_.bandCount || params.crossoverHz != params_.crossoverHz;
    params_ = params;
    params_.bandCount = std::clamp(params.bandCount, 2, Crossover::kMaxBands);
    for (int b = 0; b < Crossover::kMaxBands; ++b) {
        CompressorParams band = params_.bands[static_cast<std::size_t>(b)];
        band.lookaheadMs = params_.bands[0].lookaheadMs;  // bands must stay aligned to sum
        compressors_[static_cast<std::size_t>(b)].setParams(band);
    }
    if (splitsChanged) crossover_.setFrequencies(params_.crossoverHz.data(), params_.bandCount - 1);
}

void MultibandCompressor::prepare(const ProcessSpec& spec) {
    spec_ = spec;
    crossover_.prepare(spec.channels, spec.sampleRate);
    crossover_.setFrequencies(params_.crossoverHz.data(), params_.bandCount - 1);
    setParams(params_);
    for (auto& c : compressors_) c.prepare(spec);
    bandBuffers_.assign(static_cast<std::size_t>(Crossover::kMaxBands),
                        std::vector<std::vector<float>>(static_cast<std::size_t>(spec.channels),
                                                        std::vector<float>(static_cast<std::size_t>(spec.maxBlockFrames))));
    reset();
}

void MultibandCompressor::reset() noexcept {
    crossover_.reset();
    for (auto& c : compressors_) c.reset();
}

int MultibandCompressor::latencyFrames() const noexcept { return compressors_[0].latencyFrames(); }

void MultibandCompressor::process(AudioView io) noexcept {
    ScopedFlushDenormals flushDenormals;
    const int bands = crossover_.bands();
    const int channels = io.channels();
    std::array<float*, Crossover::kMaxBands> bandPointers{};
    for (std::size_t start = 0; start < io.frames(); start += static_cast<std::size_t>(spec_.maxBlockFrames)) {
        const std::size_t frames = std::min(io.frames() - start, static_cast<std::size_t>(spec_.maxBlockFrames));
        int c = 0;
        for (; c + 1 < channels; c += 2) {
            std::array<float*, Crossover::kMaxBands> right{};
            for (int b = 0; b < bands; ++b) {
                bandPointers[static_cast<std::size_t>(b)] = bandBuffers_[static_cast<std::size_t>(b)][static_cast<std::size_t>(c)].data();
                right[static_cast<std::size_t>(b)] = bandBuffers_[static_cast<std::size_t>(b)][static_cast<std::size_t>(c + 1)].data();
            }
            crossover_.processPair(c, io.channel(c) + start, io.channel(c + 1) + start, bandPointers.data(), right.data(), frames);
        }
        for (; c < channels; ++c) {
            for (int b = 0; b < bands; ++b) bandPointers[static_cast<std::size_t>(b)] = bandBuffers_[static_cast<std::size_t>(b)][static_cast<std::size_t>(c)].data();
            crossover_.process(c, io.channel(c) + start, bandPointers.data(), frames);
        }
        for (int b = 0; b < bands; ++b) {
            std::array<float*, 8> channelPointers{};
            for (int c = 0; c < channels && c < 8; ++c)
                channelPointers[static_cast<std::size_t>(c)] = bandBuffers_[static_cast<std::size_t>(b)][static_cast<std::size_t>(c)].data();
            compressors_[static_cast<std::size_t>(b)].process(AudioView(channelPointers.data(), std::min(channels, 8), frames));
        }
        for (int c = 0; c < channels; ++c) {
            float* out = io.channel(c) + start;
            std::fill(out, out + frames, 0.0f);
            for (int b = 0; b < bands; ++b) {
                const float* band = bandBuffers_[static_cast<std::size_t>(b)][static_cast<std::size_t>(c)].data();
                for (std::size_t i = 0; i < frames; ++i) out[i] += band[i];
            }
        }
    }
}

}  // namespace bounce
