// Streaming sample-rate conversion on libsoxr.
//
// Feed blocks of any size; converted audio comes out through a sink, in blocks of at most
// maxBlockFrames. soxr compensates its own filter delay, so the output starts at the
// input's first sample, and flush() returns the tail: a whole file converted in blocks is
// identical to the file converted in one call.
#pragma once

#include "bounce/audio_buffer.h"

#include <functional>
#include <vector>

struct soxr;

namespace bounce {

enum class ResamplerQuality { Quick, Low, Medium, High, VeryHigh };

class Resampler {
public:
    using Sink = std::function<void(ConstAudioView)>;

    Resampler(double inputRate, double outputRate, int channels, ResamplerQuality quality = ResamplerQuality::VeryHigh,
              std::size_t maxBlockFrames = 4096);
    ~Resampler();
    Resampler(const Resampler&) = delete;
    Resampler& operator=(const Resampler&) = delete;

    void process(ConstAudioView input, const Sink& sink);
    // Drains the filter at the end of the stream; process() may not be called afterwards.
    void flush(const Sink& sink);

    double inputRate() const noexcept { return inputRate_; }
    double outputRate() const noexcept { return outputRate_; }

private:
    double inputRate_;
    double outputRate_;
    int channels_;
    soxr* soxr_ = nullptr;
    AudioBuffer output_;
    std::vector<const float*> inputPointers_;
    std::vector<float*> outputPointers_;
};

}  // namespace bounce
