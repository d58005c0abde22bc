#include "bounce/processor_chain.h"

#include "bounce/denormals.h"
#include "bounce/dynamics.h"
#include "bounce/equalizer.h"

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

void ProcessorChain::processSideBySide(ProcessorChain* const* chains, const AudioView* ios, std::size_t count) noexcept {
    ScopedFlushDenormals flushDenormals;
    std::size_t longest = 0;
    for (std::size_t j = 0; j < count; ++j) longest = std::max(longest, chains[j]->size());
    constexpr int kGroup = 8;
    constexpr int kEqualizers = 32;
    for (std::size_t k = 0; k < longest; ++k) {
        // Equalisers at this position, run across (Equalizer::processAcross).
        Equalizer* equalizers[kEqualizers];
        AudioView equalizerViews[kEqualizers];
        int equalizerCount = 0;
        // Compressors waiting to run together, by channel count (1 or 2).
        Compressor* waiting[2][kGroup];
        AudioView views[2][kGroup];
        int waitingCount[2] = {0, 0};
        const auto flush = [&](int lane) {
            Compressor::processLinkedGroup(waiting[lane], views[lane], waitingCount[lane]);
            waitingCount[lane] = 0;
        };
        for (std::size_t j = 0; j < count; ++j) {
            if (k >= chains[j]->size()) continue;
            Processor& p = chains[j]->at(k);
            auto* compressor = dynamic_cast<Compressor*>(&p);
            const int channels = ios[j].channels();
            if (compressor && (channels == 1 || channels == 2) && compressor->canProcessLinked()) {
                const int lane = channels - 1;
                waiting[lane][waitingCount[lane]] = compressor;
                views[lane][waitingCount[lane]] = ios[j];
                if (++waitingCount[lane] == kGroup) flush(lane);
            } else if (auto* equalizer = dynamic_cast<Equalizer*>(&p)) {
                equalizers[equalizerCount] = equalizer;
                equalizerViews[equalizerCount] = ios[j];
                if (++equalizerCount == kEqualizers) {
                    Equalizer::processAcross(equalizers, equalizerViews, equalizerCount);
                    equalizerCount = 0;
                }
            } else {
                p.process(ios[j]);
            }
        }
        for (int lane = 0; lane < 2; ++lane)
            if (waitingCount[lane] > 0) flush(lane);
        if (equalizerCount > 0) Equalizer::processAcross(equalizers, equalizerViews, equalizerCount);
    }
}

int ProcessorChain::latencyFrames() const noexcept {
    int total = 0;
    for (const auto& p : processors_) total += p->latencyFrames();
    return total;
}

void ProcessorChain::inputEndsIn(std::uint64_t frames) noexcept {
    for (auto& p : processors_) {
        p->inputEndsIn(frames);
        frames += static_cast<std::uint64_t>(std::max(0, p->latencyFrames()));
    }
}

void renderAligned(Processor& processor, int channels, std::size_t blockFrames, const std::function<std::size_t(AudioView)>& read,
                   const std::function<void(ConstAudioView)>& write) {
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
    processor.inputEndsIn(0);
    while (toFlush > 0) {
        const std::size_t frames = std::min(toFlush, blockFrames);
        block.clear();
        emit(frames);
        toFlush -= frames;
    }
}

}  // namespace bounce
