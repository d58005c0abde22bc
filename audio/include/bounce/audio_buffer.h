// Audio buffers and views: the one currency every layer of Bounce passes around.
//
// Audio is planar 32-bit float (one contiguous array per channel), counted in frames
// (one sample per channel). A view does not own its samples and is cheap to copy; a
// buffer owns them. Modelled on CHOC's sample buffers and JUCE's AudioBlock: explicit
// channel and frame counts, sub-views by frame range, no hidden allocation.
#pragma once

#include <cstddef>
#include <type_traits>
#include <vector>

namespace bounce {

template <typename Sample>
class BasicAudioView {
public:
    BasicAudioView() = default;
    BasicAudioView(Sample* const* channelData, int numChannels, std::size_t numFrames, std::size_t frameOffset = 0) noexcept
        : channels_(channelData), numChannels_(numChannels), numFrames_(numFrames), offset_(frameOffset) {}

    // A writable view converts to a read-only one, never the other way round.
    template <typename Other, typename = std::enable_if_t<std::is_same_v<const Other, Sample> && !std::is_same_v<Other, Sample>>>
    BasicAudioView(const BasicAudioView<Other>& other) noexcept
        : channels_(other.channelArray()), numChannels_(other.channels()), numFrames_(other.frames()), offset_(other.frameOffset()) {}

    int channels() const noexcept { return numChannels_; }
    std::size_t frames() const noexcept { return numFrames_; }
    Sample* channel(int index) const noexcept { return channels_[index] + offset_; }

    // Frames [startFrame, startFrame + count) of every channel.
    BasicAudioView subView(std::size_t startFrame, std::size_t count) const noexcept {
        return BasicAudioView(channels_, numChannels_, count, offset_ + startFrame);
    }

    // For conversions between views; not for general use.
    Sample* const* channelArray() const noexcept { return channels_; }
    std::size_t frameOffset() const noexcept { return offset_; }

private:
    Sample* const* channels_ = nullptr;
    int numChannels_ = 0;
    std::size_t numFrames_ = 0;
    std::size_t offset_ = 0;
};

using AudioView = BasicAudioView<float>;
using ConstAudioView = BasicAudioView<const float>;

// Owns planar float audio. Resizing allocates; nothing else does.
class AudioBuffer {
public:
    AudioBuffer() = default;
    AudioBuffer(int channels, std::size_t frames) { resize(channels, frames); }
    AudioBuffer(const AudioBuffer& other);
    AudioBuffer& operator=(const AudioBuffer& other);
    AudioBuffer(AudioBuffer&&) noexcept = default;
    AudioBuffer& operator=(AudioBuffer&&) noexcept = default;

    // Samples are zeroed.
    void resize(int channels, std::size_t frames);
    void clear() noexcept;

    int channels() const noexcept { return static_cast<int>(pointers_.size()); }
    std::size_t frames() const noexcept { return frames_; }
    float* channel(int index) noexcept { return pointers_[index]; }
    const float* channel(int index) const noexcept { return pointers_[index]; }

    AudioView view() noexcept { return AudioView(pointers_.data(), channels(), frames_); }
    ConstAudioView view() const noexcept { return ConstAudioView(constPointers_.data(), channels(), frames_); }

private:
    void rebuildPointers();

    std::vector<float> samples_;
    std::vector<float*> pointers_;
    std::vector<const float*> constPointers_;
    std::size_t frames_ = 0;
};

}  // namespace bounce
