#include "bounce/stereo.h"

#include "ring.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace bounce {
namespace {
constexpr double kRampMs = 20.0;
}

void Gain::prepare(const ProcessSpec& spec) {
    gain_.prepare(spec.sampleRate, kRampMs);
    gain_.setCurrentAndTarget(dbToGain(params_.gainDb));
}

void Gain::setParams(const GainParams& params) noexcept {
    params_ = params;
    gain_.setTarget(dbToGain(params.gainDb));
}

void Gain::process(AudioView io) noexcept {
    for (std::size_t i = 0; i < io.frames(); ++i) {
        const auto g = static_cast<float>(gain_.next());
        for (int c = 0; c < io.channels(); ++c) io.channel(c)[i] *= g;
    }
}

void DcOffsetRemoval::prepare(const ProcessSpec&) {}

void DcOffsetRemoval::process(AudioView io) noexcept {
    for (int c = 0; c < std::min(io.channels(), DcOffsetParams::kMaxChannels); ++c) {
        const auto offset = static_cast<float>(params_.offset[static_cast<std::size_t>(c)]);
        if (offset == 0.0f) continue;
        float* x = io.channel(c);
        for (std::size_t i = 0; i < io.frames(); ++i) x[i] -= offset;
    }
}

std::array<double, 2> panGains(double pan, PanLaw law) noexcept {
    pan = std::clamp(pan, -1.0, 1.0);
    const double theta = (pan + 1.0) * std::numbers::pi / 4.0;
    const double linearLeft = (1.0 - pan) / 2.0, linearRight = (1.0 + pan) / 2.0;
    switch (law) {
    case PanLaw::ConstantPower3dB: return {std::cos(theta), std::sin(theta)};
    case PanLaw::Compromise4_5dB: return {std::sqrt(std::cos(theta) * linearLeft), std::sqrt(std::sin(theta) * linearRight)};
    case PanLaw::Linear6dB: return {linearLeft, linearRight};
    case PanLaw::Balance0dB: return {std::min(1.0, 1.0 - pan), std::min(1.0, 1.0 + pan)};
    }
    return {1.0, 1.0};
}

void Pan::prepare(const ProcessSpec& spec) {
    pan_.prepare(spec.sampleRate, kRampMs);
    pan_.setCurrentAndTarget(params_.pan);
}

void Pan::setParams(const PanParams& params) noexcept {
    params_ = params;
    pan_.setTarget(std::clamp(params.pan, -1.0, 1.0));
}

void Pan::process(AudioView io) noexcept {
    if (io.channels() != 2) return;
    float* left = io.channel(0);
    float* right = io.channel(1);
    auto gains = panGains(pan_.current(), params_.law);
    for (std::size_t i = 0; i < io.frames(); ++i) {
        if (pan_.isSmoothing()) gains = panGains(pan_.next(), params_.law);
        left[i] = static_cast<float>(left[i] * gains[0]);
        right[i] = static_cast<float>(right[i] * gains[1]);
    }
}

void Width::prepare(const ProcessSpec& spec) {
    sampleRate_ = spec.sampleRate;
    width_.prepare(spec.sampleRate, kRampMs);
    width_.setCurrentAndTarget(params_.width);
    sideFilter_.prepare(1);
    side_.assign(static_cast<std::size_t>(spec.maxBlockFrames), 0.0f);
    setParams(params_);
}

void Width::setParams(const WidthParams& params) noexcept {
    params_ = params;
    width_.setTarget(std::max(0.0, params.width));
    if (params.monoBelowHz > 0.0) {
        const auto hp = designBiquad(FilterType::HighPass, params.monoBelowHz, 0.7071, 0.0, sampleRate_, false);
        const BiquadCoefficients sections[] = {hp, hp};  // Linkwitz-Riley slope, 24 dB/oct
        sideFilter_.setSections(sections, 2);
    } else {
        sideFilter_.setSections(nullptr, 0);
    }
}

void Width::process(AudioView io) noexcept {
    if (io.channels() != 2) return;
    for (std::size_t start = 0; start < io.frames(); start += side_.size()) {
        const std::size_t frames = std::min(side_.size(), io.frames() - start);
        float* left = io.channel(0) + start;
        float* right = io.channel(1) + start;
        for (std::size_t i = 0; i < frames; ++i) side_[i] = 0.5f * (left[i] - right[i]);
        sideFilter_.process(side_.data(), frames, 0);
        for (std::size_t i = 0; i < frames; ++i) {
            const double w = width_.next();
            const double mid = 0.5 * (static_cast<double>(left[i]) + right[i]);
            const double side = side_[i] * w;
            left[i] = static_cast<float>(mid + side);
            right[i] = static_cast<float>(mid - side);
        }
    }
}

void Polarity::prepare(const ProcessSpec& spec) {
    for (std::size_t c = 0; c < sign_.size(); ++c) {
        sign_[c].prepare(spec.sampleRate, kRampMs);
        sign_[c].setCurrentAndTarget(params_.invert[c] ? -1.0 : 1.0);
    }
}

void Polarity::setParams(const PolarityParams& params) noexcept {
    params_ = params;
    for (std::size_t c = 0; c < sign_.size(); ++c) sign_[c].setTarget(params.invert[c] ? -1.0 : 1.0);
}

void Polarity::process(AudioView io) noexcept {
    for (int c = 0; c < std::min<int>(io.channels(), static_cast<int>(sign_.size())); ++c) {
        auto& sign = sign_[static_cast<std::size_t>(c)];
        float* x = io.channel(c);
        for (std::size_t i = 0; i < io.frames(); ++i) x[i] = static_cast<float>(x[i] * sign.next());
    }
}

std::size_t ChannelDelay::framesFor(double ms) const noexcept {
    return static_cast<std::size_t>(std::lround(std::clamp(ms, 0.0, kMaxDelayMs) * spec_.sampleRate / 1000.0));
}

void ChannelDelay::prepare(const ProcessSpec& spec) {
    spec_ = spec;
    fadeFrames_ = std::max(1, static_cast<int>(spec.sampleRate * kRampMs / 1000.0));
    lines_.assign(static_cast<std::size_t>(spec.channels), Line{});
    for (std::size_t c = 0; c < lines_.size(); ++c) {
        lines_[c].buffer.assign(framesFor(kMaxDelayMs) + 1, 0.0f);
        lines_[c].delay = lines_[c].previousDelay = c < params_.delayMs.size() ? framesFor(params_.delayMs[c]) : 0;
    }
}

void ChannelDelay::reset() noexcept {
    for (auto& line : lines_) {
        std::fill(line.buffer.begin(), line.buffer.end(), 0.0f);
        line.write = 0;
        line.previousDelay = line.delay;
        line.fadeRemaining = 0;
    }
}

void ChannelDelay::setParams(const ChannelDelayParams& params) noexcept {
    params_ = params;
    for (std::size_t c = 0; c < lines_.size() && c < params.delayMs.size(); ++c) {
        const std::size_t delay = framesFor(params.delayMs[c]);
        if (delay == lines_[c].delay) continue;
        lines_[c].previousDelay = lines_[c].delay;
        lines_[c].delay = delay;
        lines_[c].fadeRemaining = fadeFrames_;
    }
}

void ChannelDelay::process(AudioView io) noexcept {
    for (int c = 0; c < std::min<int>(io.channels(), static_cast<int>(lines_.size())); ++c) {
        Line& line = lines_[static_cast<std::size_t>(c)];
        const std::size_t size = line.buffer.size();
        float* x = io.channel(c);
        for (std::size_t i = 0; i < io.frames(); ++i) {
            line.buffer[line.write] = std::isfinite(x[i]) ? x[i] : 0.0f;
            float out = line.buffer[ringWrap(line.write + size - line.delay, size)];
            if (line.fadeRemaining > 0) {
                const float old = line.buffer[ringWrap(line.write + size - line.previousDelay, size)];
                const float t = static_cast<float>(line.fadeRemaining) / static_cast<float>(fadeFrames_);
                out = t * old + (1.0f - t) * out;
                --line.fadeRemaining;
            }
            x[i] = out;
            line.write = ringNext(line.write, size);
        }
    }
}

}  // namespace bounce
