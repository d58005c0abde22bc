// How much a processor changes what passes through it: the probe wraps it, runs it as it
// is, and measures the difference between its output and its input, time-aligned (by the
// processor's latency) and gain-matched (the input scaled by the gain that best fits the
// output, least squares): the null test a mastering engineer does by ear, as the residual's
// level against the output's. A stage that only changes the level reads -infinity (float
// rounding: about -140 dB); noise added 20 dB under the signal reads -20 dB; an idle LR4
// crossover's phase turn on a full-range programme reads a few dB under 0 (most of the
// output is not the input any more, though it sounds alike). Mastering reports it per stage,
// so that a user sees which stage changed the sound.
#pragma once

#include "bounce/delay_line.h"
#include "bounce/processor.h"

#include <memory>
#include <vector>

namespace bounce {

class DifferenceProbe final : public Processor {
public:
    explicit DifferenceProbe(std::unique_ptr<Processor> inner) : inner_(std::move(inner)) {}

    Processor& inner() noexcept { return *inner_; }

    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override;
    void process(AudioView io) noexcept override;
    int latencyFrames() const noexcept override { return inner_->latencyFrames(); }
    void inputEndsIn(std::uint64_t frames) noexcept override { inner_->inputEndsIn(frames); }

    // 10 log10 of min over g of sum (y - g x)^2 / sum y^2, over every channel and frame so
    // far (1 - rho^2, at most 0 dB); -infinity when the output is the input times a
    // constant, or silent.
    double residualDb() const noexcept;

private:
    std::unique_ptr<Processor> inner_;
    std::vector<DelayLine> delay_;  // per channel: the input as it lines up with the output
    std::vector<float> aligned_;    // one block, channel after channel
    // Sums in double: a residual 90 dB down needs more than float's 24 bits.
    double inputEnergy_ = 0.0, outputEnergy_ = 0.0, cross_ = 0.0;
};

}  // namespace bounce
