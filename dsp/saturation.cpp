#include "bounce/saturation.h"

#include "bounce/denormals.h"
#include "bounce/fast_math.h"
#include "ring.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace bounce {
namespace {
constexpr double kRampMs = 20.0;
constexpr double kDcBlockerHz = 5.0;
}  // namespace

void Saturation::setParams(const SaturationParams& params) noexcept {
    params_ = params;
    drive_.setTarget(dbToGain(std::clamp(params.driveDb, 0.0, 36.0)));
    mix_.setTarget(std::clamp(params.mix, 0.0, 1.0));
    output_.setTarget(dbToGain(std::clamp(params.outputDb, -24.0, 24.0)));
    bias_.setTarget(std::clamp(params.bias, 0.0, 1.0));
}

void Saturation::prepare(const ProcessSpec& spec) {
    spec_ = spec;
    oversampler_.prepare(spec.channels, params_.oversampling, spec.maxBlockFrames);
    for (auto* s : {&drive_, &mix_, &output_, &bias_}) s->prepare(spec.sampleRate, kRampMs);
    drive_.setCurrentAndTarget(dbToGain(std::clamp(params_.driveDb, 0.0, 36.0)));
    mix_.setCurrentAndTarget(std::clamp(params_.mix, 0.0, 1.0));
    output_.setCurrentAndTarget(dbToGain(std::clamp(params_.outputDb, -24.0, 24.0)));
    bias_.setCurrentAndTarget(std::clamp(params_.bias, 0.0, 1.0));
    driveBlock_.assign(static_cast<std::size_t>(spec.maxBlockFrames), 1.0f);
    biasBlock_.assign(static_cast<std::size_t>(spec.maxBlockFrames), 0.0f);
    tanhBias_.assign(static_cast<std::size_t>(spec.maxBlockFrames), 0.0f);
    normBlock_.assign(static_cast<std::size_t>(spec.maxBlockFrames), 1.0f);
    dry_.assign(static_cast<std::size_t>(spec.channels), std::vector<float>(static_cast<std::size_t>(latencyFrames()) + 1));
    wet_.assign(static_cast<std::size_t>(spec.maxBlockFrames), 0.0f);
    dcState_.assign(static_cast<std::size_t>(spec.channels), 0.0);
    dcPrevious_.assign(static_cast<std::size_t>(spec.channels), 0.0);
    dcCoefficient_ = std::exp(-2.0 * std::numbers::pi * kDcBlockerHz / spec.sampleRate);
    reset();
}

void Saturation::reset() noexcept {
    oversampler_.reset();
    for (auto& line : dry_) std::fill(line.begin(), line.end(), 0.0f);
    dryWrite_ = 0;
    std::fill(dcState_.begin(), dcState_.end(), 0.0);
    std::fill(dcPrevious_.begin(), dcPrevious_.end(), 0.0);
}

// y = (tanh(d x + b) - tanh b) * norm over the oversampled block, four samples at a time
// (drive and bias are held per input frame, so each lane looks its frame's values up).
void Saturation::shape(float* samples, std::size_t count, int factor, bool tube) noexcept {
    const std::size_t perFrame = static_cast<std::size_t>(factor);
    const std::size_t frames = count / perFrame;
#if defined(__GNUC__)
    using simd::Float4;
    if (perFrame % 4 == 0) {
        // Whole groups of four within one frame: its drive and bias broadcast.
        for (std::size_t f = 0; f < frames; ++f) {
            const Float4 d = simd::splat<Float4>(driveBlock_[f]);
            const Float4 b = simd::splat<Float4>(tube ? biasBlock_[f] : 0.0f);
            const Float4 tb = simd::splat<Float4>(tube ? tanhBias_[f] : 0.0f);
            const Float4 norm = simd::splat<Float4>(normBlock_[f]);
            for (std::size_t k = 0; k < perFrame; k += 4) {
                float* s = samples + f * perFrame + k;
                const Float4 y = fast::tanhv(d * simd::load<Float4>(s) + b);
                simd::store(s, (y - tb) * norm);
            }
        }
        return;
    }
    // Factor 2: lanes from two frames; the last frame of an odd count is padded.
    for (std::size_t f = 0; f < frames; f += 2) {
        const std::size_t g = std::min(f + 1, frames - 1);
        const Float4 d = {driveBlock_[f], driveBlock_[f], driveBlock_[g], driveBlock_[g]};
        const Float4 b = tube ? Float4{biasBlock_[f], biasBlock_[f], biasBlock_[g], biasBlock_[g]} : Float4{};
        const Float4 tb = tube ? Float4{tanhBias_[f], tanhBias_[f], tanhBias_[g], tanhBias_[g]} : Float4{};
        const Float4 norm = {normBlock_[f], normBlock_[f], normBlock_[g], normBlock_[g]};
        float x[4] = {};
        const std::size_t lanes = std::min<std::size_t>(4, count - f * perFrame);
        std::copy_n(samples + f * perFrame, lanes, x);
        float y[4];
        simd::store(y, (fast::tanhv(d * simd::load<Float4>(x) + b) - tb) * norm);
        std::copy_n(y, lanes, samples + f * perFrame);
    }
#else
    for (std::size_t j = 0; j < count; ++j) {
        const std::size_t f = j / perFrame;
        const double b = tube ? biasBlock_[f] : 0.0;
        samples[j] = static_cast<float>((std::tanh(driveBlock_[f] * samples[j] + b) - (tube ? tanhBias_[f] : 0.0)) * normBlock_[f]);
    }
#endif
}

void Saturation::process(AudioView io) noexcept {
    ScopedFlushDenormals flushDenormals;
    const int factor = oversampler_.factor();
    const std::size_t ringSize = static_cast<std::size_t>(latencyFrames()) + 1;
    const bool tube = params_.type == SaturationType::Tube;
    for (std::size_t start = 0; start < io.frames(); start += static_cast<std::size_t>(spec_.maxBlockFrames)) {
        const std::size_t frames = std::min(io.frames() - start, static_cast<std::size_t>(spec_.maxBlockFrames));
        // Drive and bias, per input frame (held across that frame's oversampled samples).
        for (std::size_t i = 0; i < frames; ++i) {
            const double d = drive_.next();
            const double b = tube ? bias_.next() : 0.0;
            const double tb = std::tanh(b);
            driveBlock_[i] = static_cast<float>(d);
            biasBlock_[i] = static_cast<float>(b);
            tanhBias_[i] = static_cast<float>(tb);
            // Unity gain for small signals: divide by the curve's slope at the origin.
            normBlock_[i] = static_cast<float>(tube ? 1.0 / (d * (1.0 - tb * tb)) : 1.0 / d);
        }
        // Mix and output gain are applied after the latency-aligned dry signal is fetched;
        // compute them once per frame for all channels.
        const std::size_t writeStart = dryWrite_;
        for (int c = 0; c < io.channels(); ++c) {
            float* x = io.channel(c) + start;
            float* up = oversampler_.upsample(c, x, frames);
            shape(up, frames * static_cast<std::size_t>(factor), factor, tube);
            oversampler_.downsample(c, wet_.data(), frames);
            if (tube) {
                // One-pole DC blocker: the asymmetric curve makes DC from any signal.
                double previousIn = dcPrevious_[static_cast<std::size_t>(c)], previousOut = dcState_[static_cast<std::size_t>(c)];
                for (std::size_t i = 0; i < frames; ++i) {
                    const double in = wet_[i];
                    previousOut = in - previousIn + dcCoefficient_ * previousOut;
                    previousIn = in;
                    wet_[i] = static_cast<float>(previousOut);
                }
                dcPrevious_[static_cast<std::size_t>(c)] = previousIn;
                dcState_[static_cast<std::size_t>(c)] = previousOut;
            }
            // The dry signal, delayed by the oversampler's latency so the two line up.
            auto& line = dry_[static_cast<std::size_t>(c)];
            std::size_t write = writeStart;
            SmoothedValue mix = mix_, output = output_;
            for (std::size_t i = 0; i < frames; ++i) {
                line[write] = std::isfinite(x[i]) ? x[i] : 0.0f;
                write = ringNext(write, ringSize);
                const float dry = line[write];
                const double m = mix.next();
                x[i] = static_cast<float>((m * wet_[i] + (1.0 - m) * dry) * output.next());
            }
            if (c == io.channels() - 1) {
                mix_ = mix;
                output_ = output;
                dryWrite_ = write;
            }
        }
    }
}

}  // namespace bounce
