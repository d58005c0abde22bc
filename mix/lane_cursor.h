// Automation read frame by frame: a cursor over one lane that only moves forward (no
// search per frame). Inline: the mix evaluates it for every frame of a moving fader.
#pragma once

#include "bounce/session.h"

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bounce::mixing {

constexpr double kHoldRampSeconds = 0.005;  // a held automation step glides over 5 ms

// Evaluates a lane frame by frame, moving forward only (no search per frame).
class LaneCursor {
public:
    explicit LaneCursor(const AutomationLane* lane, double sampleRate) : lane_(lane), sampleRate_(sampleRate) {}
    bool active() const noexcept { return lane_ != nullptr; }

    double valueAt(std::uint64_t frame) noexcept {
        const auto& points = lane_->points;
        const double t = static_cast<double>(frame) / sampleRate_;
        while (next_ < points.size() && points[next_].first <= t) ++next_;
        if (next_ == 0) return points.front().second;
        const auto& [t0, v0] = points[next_ - 1];
        if (lane_->curve == AutomationCurve::Hold) {
            // The step glides over 5 ms from where it is written, so it does not click.
            if (next_ >= 2 && t - t0 < kHoldRampSeconds) {
                const double previous = points[next_ - 2].second;
                return previous + (v0 - previous) * (t - t0) / kHoldRampSeconds;
            }
            return v0;
        }
        if (next_ == points.size()) return v0;
        const auto& [t1, v1] = points[next_];
        if (t1 <= t0) return v1;
        const double x = (t - t0) / (t1 - t0);
        if (lane_->curve == AutomationCurve::Exponential && v0 != 0.0 && v1 != 0.0 && (v0 > 0.0) == (v1 > 0.0))
            return v0 * std::pow(v1 / v0, x);
        return v0 + (v1 - v0) * x;
    }

private:
    const AutomationLane* lane_;
    double sampleRate_;
    std::size_t next_ = 0;
};

inline const AutomationLane* findLane(const std::vector<AutomationLane>& lanes, const std::string& parameter) {
    for (const auto& lane : lanes)
        if (lane.parameter == parameter) return &lane;
    return nullptr;
}

inline std::unique_ptr<LaneCursor> laneFor(const std::vector<AutomationLane>& lanes, const std::string& parameter, double rate) {
    const AutomationLane* lane = findLane(lanes, parameter);
    return lane ? std::make_unique<LaneCursor>(lane, rate) : nullptr;
}

}  // namespace bounce::mixing
