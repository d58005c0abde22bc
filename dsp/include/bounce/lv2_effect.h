// An installed LV2 plugin as a Bounce processor (the `lv2` insert): hosted through lilv with
// the same contract as Bounce's own processors. The plugin is instantiated at prepare() (LV2
// needs the rate), its latency port read there and reported, so the chain and the mix graph
// compensate it; controls change between blocks (automation; the plugin smooths, or not, as
// its authors chose). A plugin with one audio input and output on a multichannel track runs
// once per channel; one whose main inputs and outputs match the channels runs once. Side-chain
// inputs hear silence, atom inputs an empty sequence each block.
#pragma once

#include "bounce/lv2_plugins.h"
#include "bounce/processor.h"

#include <memory>
#include <string>

namespace bounce {

struct Lv2EffectParams {
    std::string uri;
    std::string preset;     // a preset's URI or label (rdfs:label), applied before the controls
    std::string state;      // a saved state in Turtle (state:State), restored before the controls
    std::string stateFile;  // the same, from a file
};

class Lv2Effect final : public Processor {
public:
    // Throws Error naming what is wrong: no such plugin, one Bounce cannot host (and why), a
    // channel count it cannot run on, an unknown preset, a state that does not load.
    Lv2Effect(const Lv2EffectParams& params, int channels);
    ~Lv2Effect() override;
    Lv2Effect(const Lv2Effect&) = delete;
    Lv2Effect& operator=(const Lv2Effect&) = delete;

    const Lv2Plugin& plugin() const noexcept;
    // An input control by port index (the caller checked it is one, and its range). Between
    // blocks; no allocation.
    void setControl(int portIndex, float value) noexcept;
    float control(int portIndex) const noexcept;
    // The plugin's state as it stands (after prepare): its controls and, for plugins that
    // keep more, their own properties, as Turtle (a state:State lilv writes and reads), to
    // give back as the insert's `state`. Throws Error before prepare.
    std::string savedState() const;

    void prepare(const ProcessSpec& spec) override;
    void reset() noexcept override;
    void process(AudioView io) noexcept override;
    int latencyFrames() const noexcept override;

private:
    struct Host;
    std::unique_ptr<Host> host_;
};

}  // namespace bounce
