// Float samples to integers, the one way Bounce quantises (its writers, libsndfile's and
// FFmpeg's). Private to the audio layer.
#pragma once

#include <algorithm>

namespace bounce::detail {

// Round to nearest (half to even) on the grid the readers use (x * 2^(bits-1)) and clip at
// full scale. libsndfile's clipping converters scale to 32 bits, round, then shift right,
// and the arithmetic shift floors: every 16 and 24-bit sample came out up to one LSB low
// (a -1/2 LSB offset and twice the rounding noise).
// The rounding is the 1.5 * 2^52 trick, exact for |x| < 2^51 and inlined, where std::lrint
// is a library call that made the writer 1.7x slower. A NaN becomes 0.
template <typename Int>
Int quantise(float sample, float scale, float lowest, float highest) noexcept {
    const float clipped = std::clamp(sample * scale, lowest, highest);
    constexpr double kRound = 6755399441055744.0;
    const double rounded = (static_cast<double>(clipped == clipped ? clipped : 0.0f) + kRound) - kRound;
    return static_cast<Int>(rounded);
}

inline short quantise16(float sample) noexcept { return quantise<short>(sample, 32768.0f, -32768.0f, 32767.0f); }
// Left-justified in 32 bits, as libsndfile and FFmpeg take 24-bit samples.
inline int quantise24(float sample) noexcept { return quantise<int>(sample, 8388608.0f, -8388608.0f, 8388607.0f) * 256; }
// 2^31 - 1 is not a float; 2147483520 is the largest float below it.
inline int quantise32(float sample) noexcept { return quantise<int>(sample, 2147483648.0f, -2147483648.0f, 2147483520.0f); }

}  // namespace bounce::detail
