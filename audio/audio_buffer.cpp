#include "bounce/audio_buffer.h"

#include <algorithm>

namespace bounce {

AudioBuffer::AudioBuffer(const AudioBuffer& other) : samples_(other.samples_), frames_(other.frames_) {
    pointers_.resize(other.pointers_.size());
    rebuildPointers();
}

AudioBuffer& AudioBuffer::operator=(const AudioBuffer& other) {
    if (this != &other) {
        samples_ = other.samples_;
        frames_ = other.frames_;
        pointers_.resize(other.pointers_.size());
        rebuildPointers();
    }
    return *this;
}

void AudioBuffer::resize(int channels, std::size_t frames) {
    frames_ = frames;
    samples_.assign(static_cast<std::size_t>(std::max(channels, 0)) * frames, 0.0f);
    pointers_.resize(static_cast<std::size_t>(std::max(channels, 0)));
    rebuildPointers();
}

void AudioBuffer::clear() noexcept { std::fill(samples_.begin(), samples_.end(), 0.0f); }

void AudioBuffer::rebuildPointers() {
    constPointers_.resize(pointers_.size());
    for (std::size_t c = 0; c < pointers_.size(); ++c) {
        pointers_[c] = samples_.data() + c * frames_;
        constPointers_[c] = pointers_[c];
    }
}

}  // namespace bounce
