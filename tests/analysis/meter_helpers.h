#pragma once

#include "bounce/loudness_meter.h"

#include <cmath>
#include <vector>

namespace bounce::test {

// Runs a buffer through a fresh meter in blocks of `blockFrames`.
inline LoudnessMeter meterFor(ConstAudioView audio, double sampleRate, std::vector<double> weights = {}, std::size_t blockFrames = 4096) {
    if (weights.empty()) weights = LoudnessMeter::channelWeightsFor(audio.channels());
    LoudnessMeter meter({sampleRate, weights, true});
    for (std::size_t start = 0; start < audio.frames(); start += blockFrames)
        meter.addFrames(audio.subView(start, std::min(blockFrames, audio.frames() - start)));
    return meter;
}

inline double truePeakDbtp(const LoudnessMeter& meter) {
    double peak = 0;
    for (int c = 0; c < meter.channels(); ++c) peak = std::max(peak, meter.truePeak(c));
    return 20.0 * std::log10(peak);
}

}  // namespace bounce::test
