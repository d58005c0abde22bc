// Level and stereo-image processors: gain, pan (named pan laws), mid/side width,
// polarity, per-channel delay. All changes are smoothed over 20 ms.
#pragma once

#include "bounce/biquad.h"
#include "bounce/processor.h"

#include <array>
#include <vector>

namespace bounce {

struct GainParams {
    double gainDb = 0.0;
};

class Gain final : public Processor {
public:
    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override {}
    void process(AudioView io) noexcept override;
    void setParams(const GainParams& params) noexcept;

private:
    SmoothedValue gain_{SmoothedValue::Curve::Linear};
    GainParams params_;
};

struct DcOffsetParams {
    static constexpr int kMaxChannels = 8;
    std::array<double, kMaxChannels> offset{};  // per channel, the mean sample value to take away
};

// Takes a constant offset away from each channel. For a static DC offset (a converter's or
// a plug-in's) this is the whole cure and touches nothing else: any high-pass, however
// low, also turns the phase of the bass (a first-order one at 1 Hz by 1.4 degrees at
// 40 Hz, a residual 32 dB under a 40 Hz tone), where the subtraction leaves the rest of
// the signal as it was, within float rounding. A drifting offset is subsonic content: a
// high-pass's job. Offsets change at once (set them before the audio starts).
class DcOffsetRemoval final : public Processor {
public:
    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override {}
    void process(AudioView io) noexcept override;
    void setParams(const DcOffsetParams& params) noexcept { params_ = params; }

private:
    DcOffsetParams params_;
};

// Pan laws by the level at the centre: -3 dB (constant power, sin/cos), -4.5 dB (the
// geometric mean of constant power and linear), -6 dB (linear), 0 dB (balance: the far
// side is turned down, the near side left alone).
enum class PanLaw { ConstantPower3dB, Compromise4_5dB, Linear6dB, Balance0dB };

// Left and right gains for a pan position in -1 (left) .. +1 (right).
std::array<double, 2> panGains(double pan, PanLaw law) noexcept;

struct PanParams {
    double pan = 0.0;  // -1 left .. +1 right
    PanLaw law = PanLaw::ConstantPower3dB;
};

// On a stereo signal: scales left and right by panGains(). Needs 2 channels.
class Pan final : public Processor {
public:
    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override {}
    void process(AudioView io) noexcept override;
    void setParams(const PanParams& params) noexcept;

private:
    SmoothedValue pan_{SmoothedValue::Curve::Linear};
    PanParams params_;
};

struct WidthParams {
    double width = 1.0;        // side level: 0 mono, 1 unchanged, 2 twice as wide
    double monoBelowHz = 0.0;  // 0 off; else the side signal is high-passed here (24 dB/oct): mono lows
};

// Mid/side width: M = (L + R) / 2, S = (L - R) / 2 scaled by width; with monoBelowHz the
// side is high-passed, so the low end is mono (as vinyl and club systems like it). Needs
// 2 channels.
class Width final : public Processor {
public:
    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override { sideFilter_.reset(); }
    void process(AudioView io) noexcept override;
    void setParams(const WidthParams& params) noexcept;

private:
    SmoothedValue width_{SmoothedValue::Curve::Linear};
    WidthParams params_;
    double sampleRate_ = 48000.0;
    BiquadCascade sideFilter_;
    std::vector<float> side_;
};

struct PolarityParams {
    std::array<bool, 8> invert{};  // per channel
};

// Polarity inversion, faded through zero over 20 ms when it changes (a flip is a step).
class Polarity final : public Processor {
public:
    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override {}
    void process(AudioView io) noexcept override;
    void setParams(const PolarityParams& params) noexcept;

private:
    std::array<SmoothedValue, 8> sign_{};
    PolarityParams params_;
};

struct ChannelDelayParams {
    std::array<double, 8> delayMs{};  // per channel, 0 .. 1000 ms
};

// Delays channels by whole samples (a Haas offset, a microphone alignment). The delay is
// the effect, not latency: latencyFrames() is 0. A change crossfades from the old delay
// to the new over 20 ms.
class ChannelDelay final : public Processor {
public:
    static constexpr double kMaxDelayMs = 1000.0;

    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override;
    void process(AudioView io) noexcept override;
    void setParams(const ChannelDelayParams& params) noexcept;

private:
    struct Line {
        std::vector<float> buffer;
        std::size_t write = 0;
        std::size_t delay = 0;
        std::size_t previousDelay = 0;
        int fadeRemaining = 0;
    };
    std::size_t framesFor(double ms) const noexcept;

    ProcessSpec spec_;
    ChannelDelayParams params_;
    std::vector<Line> lines_;
    int fadeFrames_ = 1;
};

}  // namespace bounce
