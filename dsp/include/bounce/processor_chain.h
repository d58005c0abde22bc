// Processors in series, and the offline render that lines output up with input.
#pragma once

#include "bounce/processor.h"

#include <functional>
#include <memory>
#include <vector>

namespace bounce {

class ProcessorChain final : public Processor {
public:
    void add(std::unique_ptr<Processor> processor) { processors_.push_back(std::move(processor)); }
    std::size_t size() const noexcept { return processors_.size(); }
    Processor& at(std::size_t i) noexcept { return *processors_[i]; }

    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override;
    void process(AudioView io) noexcept override;
    // The sum of the members' latencies.
    int latencyFrames() const noexcept override;
    // Each member hears of the end as it reaches it: after the latencies before it.
    void inputEndsIn(std::uint64_t frames) noexcept override;

    // Several chains, each on its own audio, processed insert by insert across all of
    // them: every chain's first insert, then every second one... Compressors at the same
    // position (at rest, same channel count) run side by side (Compressor::
    // processLinkedGroup) and so do equalisers (Equalizer::processAcross), so that their
    // recursions overlap; the result is each chain's own, bit for bit. For a mix's tracks.
    static void processSideBySide(ProcessorChain* const* chains, const AudioView* ios, std::size_t count) noexcept;

private:
    std::vector<std::unique_ptr<Processor>> processors_;
};

// Streams audio from `read` (returns frames read into the view, 0 at the end) through a
// prepared `processor` into `write`, trimming the processor's latency at the start and
// flushing it with silence at the end: output frame n lines up with input frame n, and
// the output is exactly as long as the input.
void renderAligned(Processor& processor, int channels, std::size_t blockFrames, const std::function<std::size_t(AudioView)>& read,
                   const std::function<void(ConstAudioView)>& write);

}  // namespace bounce
