// A whole-sample delay for one channel, run a block at a time: copies and swaps over
// contiguous runs (which vectorise) instead of a ring index per sample. Used for latency
// compensation and for look-ahead delays.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace bounce {

class DelayLine {
public:
    // Allocates.
    void prepare(std::size_t delayFrames) {
        ring_.assign(delayFrames, 0.0f);
        oldest_ = 0;
    }
    void reset() noexcept {
        std::fill(ring_.begin(), ring_.end(), 0.0f);
        oldest_ = 0;
    }
    std::size_t frames() const noexcept { return ring_.size(); }

    // x[i] becomes the input delayFrames earlier, in place; any number of frames. No
    // allocation.
    void process(float* x, std::size_t n) noexcept {
        const std::size_t d = ring_.size();
        if (d == 0 || n == 0) return;
        if (n <= d) {
            // The n oldest come out, the n newest go in, at the same ring positions.
            swapWithRing(x, n);
            return;
        }
        // The last d inputs go into the ring, the ring's d samples come out in their place,
        // and a rotation puts those first: [ring, x[0 .. n - d)].
        swapWithRing(x + (n - d), d);
        std::rotate(x, x + (n - d), x + n);
    }

private:
    // Swaps x[0 .. n) with ring positions oldest_ .. oldest_ + n (wrapping), n <= size,
    // and moves oldest_ past them.
    void swapWithRing(float* x, std::size_t n) noexcept {
        const std::size_t d = ring_.size();
        const std::size_t first = std::min(n, d - oldest_);
        std::swap_ranges(x, x + first, ring_.data() + oldest_);
        std::swap_ranges(x + first, x + n, ring_.data());
        oldest_ += n;
        if (oldest_ >= d) oldest_ -= d;
    }

    std::vector<float> ring_;
    std::size_t oldest_ = 0;  // the next sample to come out
};

}  // namespace bounce
