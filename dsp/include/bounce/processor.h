// The processor contract every effect in Bounce follows (see shared/design.md).
//
//   prepare(spec)   may allocate; called before audio and whenever rate, block size or
//                   channel count change.
//   reset()         clears the signal state (delay lines, envelopes, filter memories),
//                   keeps the parameters; the same input afterwards gives the same bytes.
//   process(io)     in place, any block size up to spec.maxBlockFrames; no allocation,
//                   locks, I/O or logging. NaN or infinity in the input must not poison
//                   later blocks.
//   latencyFrames() exact; the chain and the mix graph compensate it, so that parallel
//                   paths null and offline renders line up with their input.
//   inputEndsIn(n)  optional: the input ends n frames after those processed so far; what
//                   follows is the flush, and the output past the end (latency included)
//                   is cut. An offline render says so (renderAligned); a processor whose
//                   output near the end depends on where it is cut may use it.
//
// Parameters live in one plain struct per processor (`CompressorParams`), set with
// setParams() between blocks; changes are smoothed inside process() so that automation
// and jumps make no zipper noise or clicks. setParams() does not allocate either.
#pragma once

#include "bounce/audio_buffer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace bounce {

struct ProcessSpec {
    double sampleRate = 48000.0;
    int maxBlockFrames = 4096;
    int channels = 2;
};

class Processor {
public:
    virtual ~Processor() = default;
    virtual void prepare(const ProcessSpec& spec) = 0;
    virtual void reset() noexcept = 0;
    virtual void process(AudioView io) noexcept = 0;
    virtual int latencyFrames() const noexcept { return 0; }
    virtual void inputEndsIn(std::uint64_t /*frames*/) noexcept {}
};

// A parameter ramp, as JUCE's SmoothedValue: a change reaches its target in a fixed time,
// linearly (gains) or exponentially (frequencies, where equal ratios should take equal
// times). Sample-accurate and independent of block size.
class SmoothedValue {
public:
    enum class Curve { Linear, Multiplicative };

    SmoothedValue() = default;
    explicit SmoothedValue(Curve curve) : curve_(curve) {}

    // Sets the ramp time; jumps to the current target.
    void prepare(double sampleRate, double rampMs) noexcept {
        rampFrames_ = std::max(1, static_cast<int>(std::lround(sampleRate * rampMs / 1000.0)));
        setCurrentAndTarget(target_);
    }

    void setCurrentAndTarget(double value) noexcept {
        current_ = target_ = value;
        remaining_ = 0;
    }

    void setTarget(double value) noexcept {
        if (value == target_) return;
        target_ = value;
        remaining_ = rampFrames_;
        if (curve_ == Curve::Multiplicative && current_ > 0.0 && value > 0.0)
            step_ = std::pow(value / current_, 1.0 / rampFrames_);
        else
            step_ = (value - current_) / rampFrames_;
    }

    double next() noexcept {
        if (remaining_ == 0) return current_;
        if (--remaining_ == 0) {
            current_ = target_;
        } else if (curve_ == Curve::Multiplicative && step_ > 0.0 && current_ > 0.0) {
            current_ *= step_;
        } else {
            current_ += step_;
        }
        return current_;
    }

    // Advances n frames at once.
    void skip(int frames) noexcept {
        for (int i = 0; i < frames && remaining_ > 0; ++i) next();
    }

    bool isSmoothing() const noexcept { return remaining_ > 0; }
    double current() const noexcept { return current_; }
    double target() const noexcept { return target_; }

private:
    Curve curve_ = Curve::Linear;
    double current_ = 0.0;
    double target_ = 0.0;
    double step_ = 0.0;
    int rampFrames_ = 1;
    int remaining_ = 0;
};

inline double dbToGain(double db) noexcept { return std::pow(10.0, db / 20.0); }
inline double gainToDb(double gain) noexcept { return 20.0 * std::log10(gain); }

}  // namespace bounce
