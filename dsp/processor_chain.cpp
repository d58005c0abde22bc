#include "bounce/processor_chain.h"

#include <algorithm>

namespace bounce {

void ProcessorChain::prepare(const ProcessSpec& spec) {
    for (auto& p : processors_) p->prepare(spec);
}

void ProcessorChain::reset() noexcept {
    for (auto& p : processors_) p->reset();
}

void ProcessorChain::process(AudioView io) noexcept {
    for (auto& p : processors_) p->process(io);
}

int ProcessorChain::latencyFrames() const noexcept {
    int total = 0;
    for (const auto& p : processors_) total += p->latencyFrames();
    return total;
}

void renderAligned(Processor& processor, int channels, std::size_t blockFrames,
                   const std::function<std::size_t(AudioView)>& read, const std::function<void(ConstAudioView)>& write) {
    AudioBuffer block(channels, blockFrames);
    std::size_t toSkip = static_cast<std::size_t>(std::max(0, processor.latencyFrames()));
    std::size_t toFlush = toSkip;
    const auto emit = [&](std::size_t frames) {
        processor.process(block.view().subView(0, frames));
        const std::size_t skipped = std::min(toSkip, frames);
        toSkip -= skipped;
        if (frames > skipped) write(ConstAudioView(block.view()).subView(skipped, frames - skipped));
    };
    while (const std::size_t frames = read(block.view())) emit(frames);
    while (toFlush > 0) {
        const std::size_t frames = std::min(toFlush, blockFrames);
        block.clear();
        emit(frames);
        toFlush -= frames;
    }
}

}  // namespace bounce
