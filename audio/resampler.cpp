#include "bounce/resampler.h"

#include "bounce/error.h"

#include <soxr.h>

namespace bounce {
namespace {

unsigned long soxrRecipe(ResamplerQuality quality) {
    switch (quality) {
    case ResamplerQuality::Quick: return SOXR_QQ;
    case ResamplerQuality::Low: return SOXR_LQ;
    case ResamplerQuality::Medium: return SOXR_MQ;
    case ResamplerQuality::High: return SOXR_HQ;
    case ResamplerQuality::VeryHigh: return SOXR_VHQ;
    }
    return SOXR_VHQ;
}

}  // namespace

Resampler::Resampler(double inputRate, double outputRate, int channels, ResamplerQuality quality, std::size_t maxBlockFrames)
    : inputRate_(inputRate), outputRate_(outputRate), channels_(channels) {
    if (!(inputRate > 0.0) || !(outputRate > 0.0) || channels <= 0) throw Error("resampler: invalid rates or channel count");
    const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_S, SOXR_FLOAT32_S);  // planar in and out
    const soxr_quality_spec_t q = soxr_quality_spec(soxrRecipe(quality), 0);
    soxr_error_t error = nullptr;
    soxr_ = soxr_create(inputRate, outputRate, static_cast<unsigned>(channels), &error, &io, &q, nullptr);
    if (error || !soxr_) throw Error(std::string("resampler: ") + (error ? error : "cannot create"));
    output_.resize(channels, maxBlockFrames);
    inputPointers_.resize(static_cast<std::size_t>(channels));
    outputPointers_.resize(static_cast<std::size_t>(channels));
    for (int c = 0; c < channels; ++c) outputPointers_[static_cast<std::size_t>(c)] = output_.channel(c);
}

Resampler::~Resampler() {
    if (soxr_) soxr_delete(soxr_);
}

void Resampler::process(ConstAudioView input, const Sink& sink) {
    if (input.channels() != channels_) throw Error("resampler: channel count changed mid-stream");
    std::size_t consumed = 0;
    std::size_t produced = 0;
    do {
        for (int c = 0; c < channels_; ++c) inputPointers_[static_cast<std::size_t>(c)] = input.channel(c) + consumed;
        std::size_t used = 0;
        produced = 0;
        // A non-null input with frames left (or none) asks for what is ready; soxr keeps
        // what does not fit the output block for the next call.
        const soxr_error_t error = soxr_process(soxr_, inputPointers_.data(), input.frames() - consumed, &used, outputPointers_.data(),
                                                output_.frames(), &produced);
        if (error) throw Error(std::string("resampler: ") + error);
        consumed += used;
        if (produced > 0) sink(output_.view().subView(0, produced));
    } while (consumed < input.frames() || produced == output_.frames());
}

void Resampler::flush(const Sink& sink) {
    std::size_t produced = 0;
    do {
        produced = 0;
        // A null input tells soxr the stream has ended: it returns the filter's tail.
        const soxr_error_t error = soxr_process(soxr_, nullptr, 0, nullptr, outputPointers_.data(), output_.frames(), &produced);
        if (error) throw Error(std::string("resampler: ") + error);
        if (produced > 0) sink(output_.view().subView(0, produced));
    } while (produced > 0);
}

}  // namespace bounce
