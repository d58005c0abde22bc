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

private:
    std::vector<std::unique_ptr<Processor>> processors_;
};

// Streams audio from `read` (returns frames read into the view, 0 at the end) through a
// prepared `processor` into `write`, trimming the processor's latency at the start and
// flushing it with silence at the end: output frame n lines up with input frame n, and
// the output is exactly as long as the input.
void renderAligned(Processor& processor, int channels, std::size_t blockFrames,
                   const std::function<std::size_t(AudioView)>& read, const std::function<void(ConstAudioView)>& write);

}  // namespace bounce
