#pragma once

#include "bounce/analysis.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace bounce {

class SignalStats {
public:
    SignalStats(int channels, double silenceThresholdLinear);

    void addFrames(ConstAudioView block) noexcept;

    std::uint64_t frames() const noexcept { return framesSeen_; }
    double meanSquare(int channel) const noexcept;
    double dcOffset(int channel) const noexcept;
    // Phase correlation of channels 0 and 1 as a correlation meter shows it:
    // sum(LR) / sqrt(sum(L^2) sum(R^2)), without removing the mean.
    std::optional<double> correlation() const noexcept;
    std::uint64_t clippedSamples(int channel) const noexcept;
    std::uint64_t leadingSilentFrames() const noexcept;
    std::uint64_t trailingSilentFrames() const noexcept;
    std::uint64_t nonFiniteSamples() const noexcept { return nonFinite_; }
    std::uint64_t firstNonFiniteFrame() const noexcept { return firstNonFiniteFrame_; }
    int firstNonFiniteChannel() const noexcept { return firstNonFiniteChannel_; }

private:
    int channels_;
    float silenceThreshold_;
    std::vector<double> sum_;
    std::vector<double> sumSquares_;
    std::vector<std::uint64_t> clipRun_;
    std::vector<std::uint64_t> clipped_;
    double crossLR_ = 0.0;
    std::uint64_t framesSeen_ = 0;
    std::optional<std::uint64_t> firstLoudFrame_;
    std::uint64_t lastLoudFrame_ = 0;
    std::uint64_t nonFinite_ = 0;
    std::uint64_t firstNonFiniteFrame_ = 0;
    int firstNonFiniteChannel_ = 0;
};

}  // namespace bounce
