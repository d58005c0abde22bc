// Polyphase FIR oversampling, shared by every nonlinear stage.
//
// Up and down filters are the same linear-phase Kaiser-windowed sinc (100 dB stopband).
// The band from 0.4535 fs to 0.5465 fs (20 to 24.1 kHz at 44.1 kHz) is the transition:
// whatever a nonlinearity puts there folds back only above 20 kHz, so the audible band
// stays clean while the filters stay short. Group delays add to a whole number of
// input frames, reported by latencyFrames().
#pragma once

#include <cstddef>
#include <vector>

namespace bounce {

class Oversampler {
public:
    // factor: 2, 4, 8 or 16. Allocates.
    void prepare(int channels, int factor, int maxBlockFrames);
    void reset() noexcept;

    int factor() const noexcept { return factor_; }
    int latencyFrames() const noexcept { return latency_; }

    // Upsamples `frames` input frames of `channel` (at most maxBlockFrames); returns the
    // frames * factor oversampled samples, which the caller may modify in place before
    // downsample().
    float* upsample(int channel, const float* input, std::size_t frames) noexcept;
    // Decimates the channel's oversampled block back into `output` (frames frames).
    void downsample(int channel, float* output, std::size_t frames) noexcept;

private:
    int factor_ = 1;
    int tapsPerPhase_ = 0;  // up: taps per phase
    int taps_ = 0;          // down: full filter length
    int latency_ = 0;
    // Up filter as a matrix: upMatrix_[m * lanes + p] = h[p + m L] (p < L, padded to a
    // multiple of 4 phases): every phase of one input sample is one broadcast
    // multiply-add per tap m, newest input first.
    std::vector<float> upMatrix_;
    int upLanes_ = 4;
    std::vector<float> down_;  // reversed
    struct Channel {
        std::vector<float> input;        // [history tapsPerPhase-1 | block]
        std::vector<float> oversampled;  // [history taps-1 | block * factor]
    };
    std::vector<Channel> channels_;
    std::size_t maxBlock_ = 0;
};

// Dot product of two float arrays, vectorised: the FIR kernel.
float dotProduct(const float* a, const float* b, int n) noexcept;
// The largest of n floats, and 0 if that is larger (n may be 0): for peak arrays.
float largestValue(const float* x, std::size_t n) noexcept;
// The largest magnitude of n floats, infinities and NaNs left out (0 when n is 0).
float largestMagnitude(const float* x, std::size_t n) noexcept;

}  // namespace bounce
