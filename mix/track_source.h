// A track as the mix graph reads it: its region from the file, resampled to the session
// rate if need be, on the timeline; and the gain its normalisation asks for.
#pragma once

#include "bounce/audio_buffer.h"
#include "bounce/resampler.h"
#include "bounce/session.h"
#include "bounce/sound_file.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace bounce::mixing {

// A track's region, read from its file, resampled to the session rate if need be, placed
// on the timeline: frames before the start and after the end are silence.
class TrackSource {
public:
    // `maxBlockFrames`: the largest block fill() is asked for.
    TrackSource(const TrackSpec& track, double sessionRate, std::size_t maxBlockFrames);

    int channels() const noexcept { return channels_; }
    std::uint64_t startFrame() const noexcept { return startFrame_; }
    std::uint64_t endFrame() const noexcept { return startFrame_ + lengthFrames_; }
    std::uint64_t lengthFrames() const noexcept { return lengthFrames_; }

    // Fills the block that starts at timeline frame `at`.
    void fill(AudioView out, std::uint64_t at);

private:
    void pull(AudioView out);

    SoundFileReader reader_;
    int channels_ = 0;
    std::int64_t remaining_ = 0;  // source frames of the region still to read
    std::uint64_t startFrame_ = 0, lengthFrames_ = 0;
    std::unique_ptr<Resampler> resampler_;
    AudioBuffer readBuffer_;
    std::vector<std::vector<float>> fifo_;
    std::size_t fifoRead_ = 0;
    bool flushed_ = false;
    std::size_t maxBlockFrames_;
};

// The gain (dB) that takes the track's region to its normalize target; 0 when it has none.
double normalizationGainDb(const TrackSpec& track);

}  // namespace bounce::mixing
