// Sample statistics for QC that the loudness meter does not give: RMS, DC, L/R
// correlation, clipping runs, leading/trailing silence, non-finite samples.
#include "signal_stats.h"

#include <algorithm>
#include <cmath>

namespace bounce {

SignalStats::SignalStats(int channels, double silenceThresholdLinear)
    : channels_(channels), silenceThreshold_(static_cast<float>(silenceThresholdLinear)),
      sum_(static_cast<std::size_t>(channels), 0.0), sumSquares_(static_cast<std::size_t>(channels), 0.0),
      clipRun_(static_cast<std::size_t>(channels), 0), clipped_(static_cast<std::size_t>(channels), 0) {}

void SignalStats::addFrames(ConstAudioView block) noexcept {
    const std::size_t frames = block.frames();
    for (int c = 0; c < channels_; ++c) {
        const auto ch = static_cast<std::size_t>(c);
        const float* x = block.channel(c);
        double sum = 0.0, sumSquares = 0.0;
        std::uint64_t run = clipRun_[ch];
        for (std::size_t i = 0; i < frames; ++i) {
            const float v = x[i];
            if (!std::isfinite(v)) {
                if (nonFinite_ == 0) {
                    firstNonFiniteFrame_ = framesSeen_ + i;
                    firstNonFiniteChannel_ = c;
                }
                ++nonFinite_;
                continue;
            }
            sum += v;
            sumSquares += static_cast<double>(v) * v;
            if (std::fabs(v) >= kFullScaleThreshold) {
                ++run;
            } else {
                if (run >= kClipRunSamples) clipped_[ch] += run;
                run = 0;
            }
        }
        clipRun_[ch] = run;
        sum_[ch] += sum;
        sumSquares_[ch] += sumSquares;
    }
    if (channels_ >= 2) {
        const float* l = block.channel(0);
        const float* r = block.channel(1);
        double cross = 0.0;
        for (std::size_t i = 0; i < frames; ++i)
            if (std::isfinite(l[i]) && std::isfinite(r[i])) cross += static_cast<double>(l[i]) * r[i];
        crossLR_ += cross;
    }
    // Silence: the first and last frame where any channel reaches the threshold. Scanning
    // from the block's end finds the last one at once in anything but silence.
    const auto loudAt = [&](std::size_t i) {
        for (int c = 0; c < channels_; ++c)
            if (std::fabs(block.channel(c)[i]) >= silenceThreshold_) return true;
        return false;
    };
    for (std::size_t i = frames; i-- > 0;) {
        if (loudAt(i)) {
            lastLoudFrame_ = framesSeen_ + i;
            if (!firstLoudFrame_) {
                std::size_t first = 0;
                while (!loudAt(first)) ++first;
                firstLoudFrame_ = framesSeen_ + first;
            }
            break;
        }
    }
    framesSeen_ += frames;
}

std::uint64_t SignalStats::clippedSamples(int channel) const noexcept {
    const auto ch = static_cast<std::size_t>(channel);
    return clipped_[ch] + (clipRun_[ch] >= kClipRunSamples ? clipRun_[ch] : 0);
}

double SignalStats::meanSquare(int channel) const noexcept {
    return framesSeen_ ? sumSquares_[static_cast<std::size_t>(channel)] / static_cast<double>(framesSeen_) : 0.0;
}

double SignalStats::dcOffset(int channel) const noexcept {
    return framesSeen_ ? sum_[static_cast<std::size_t>(channel)] / static_cast<double>(framesSeen_) : 0.0;
}

std::optional<double> SignalStats::correlation() const noexcept {
    if (channels_ < 2) return std::nullopt;
    const double energy = sumSquares_[0] * sumSquares_[1];
    if (!(energy > 0.0)) return std::nullopt;
    return std::clamp(crossLR_ / std::sqrt(energy), -1.0, 1.0);
}

std::uint64_t SignalStats::leadingSilentFrames() const noexcept {
    return firstLoudFrame_ ? *firstLoudFrame_ : framesSeen_;
}

std::uint64_t SignalStats::trailingSilentFrames() const noexcept {
    return firstLoudFrame_ ? framesSeen_ - 1 - lastLoudFrame_ : framesSeen_;
}

}  // namespace bounce
