#include "bounce/difference_probe.h"

#include <limits>

namespace bounce {

void DifferenceProbe::prepare(const ProcessSpec& spec) {
    inner_->prepare(spec);
    delay_.assign(static_cast<std::size_t>(spec.channels), DelayLine{});
    for (auto& line : delay_) line.prepare(static_cast<std::size_t>(std::max(0, inner_->latencyFrames())));
    aligned_.assign(static_cast<std::size_t>(spec.maxBlockFrames) * static_cast<std::size_t>(spec.channels), 0.0f);
    reset();
}

void DifferenceProbe::reset() noexcept {
    inner_->reset();
    for (auto& line : delay_) line.reset();
    inputEnergy_ = outputEnergy_ = cross_ = 0.0;
}

void DifferenceProbe::process(AudioView io) noexcept {
    const std::size_t frames = io.frames();
    const int channels = std::min<int>(io.channels(), static_cast<int>(delay_.size()));
    // The input as it lines up with this block's output: latency frames ago.
    for (int c = 0; c < channels; ++c) {
        float* aligned = aligned_.data() + static_cast<std::size_t>(c) * frames;
        std::copy_n(io.channel(c), frames, aligned);
        delay_[static_cast<std::size_t>(c)].process(aligned, frames);
    }
    inner_->process(io);
    for (int c = 0; c < channels; ++c) {
        const float* y = io.channel(c);
        const float* x = aligned_.data() + static_cast<std::size_t>(c) * frames;
        // Four partial sums each (the additions' latency, not their count, sets the pace).
        double xx[4] = {}, yy[4] = {}, xy[4] = {};
        std::size_t i = 0;
        for (; i + 4 <= frames; i += 4)
            for (int k = 0; k < 4; ++k) {
                const double a = x[i + static_cast<std::size_t>(k)], b = y[i + static_cast<std::size_t>(k)];
                xx[k] += a * a;
                yy[k] += b * b;
                xy[k] += a * b;
            }
        for (; i < frames; ++i) {
            const double a = x[i], b = y[i];
            xx[0] += a * a;
            yy[0] += b * b;
            xy[0] += a * b;
        }
        // A NaN or infinity would end the measurement: that block is left out.
        const double blockXx = (xx[0] + xx[1]) + (xx[2] + xx[3]), blockYy = (yy[0] + yy[1]) + (yy[2] + yy[3]);
        const double blockXy = (xy[0] + xy[1]) + (xy[2] + xy[3]);
        if (!std::isfinite(blockXx) || !std::isfinite(blockYy) || !std::isfinite(blockXy)) continue;
        inputEnergy_ += blockXx;
        outputEnergy_ += blockYy;
        cross_ += blockXy;
    }
}

double DifferenceProbe::residualDb() const noexcept {
    if (!(inputEnergy_ > 0.0) || !(outputEnergy_ > 0.0)) return -std::numeric_limits<double>::infinity();
    // With the best gain g = <x, y> / <x, x>, the residual energy is <y, y> - <x, y>^2 / <x, x>;
    // against the output's energy, 1 - rho^2 (rho: the correlation of input and output).
    const double residual = outputEnergy_ - cross_ * cross_ / inputEnergy_;
    if (!(residual > 0.0)) return -std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(residual / outputEnergy_);
}

}  // namespace bounce
