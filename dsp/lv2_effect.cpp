#include "bounce/lv2_effect.h"

#include "bounce/denormals.h"
#include "bounce/error.h"
#include "bounce/insert_spec.h"
#include "lv2_world.h"

#include <lv2/atom/atom.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/options/options.h>
#include <lv2/presets/presets.h>
#include <lv2/state/state.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

namespace bounce {
namespace {

// Room for what a plugin writes to an atom output in one block (notifications to a UI
// nobody shows); 8 KiB, as jalv gives by default.
constexpr std::size_t kAtomBytes = 8192;

struct StateFree {
    void operator()(LilvState* state) const { lilv_state_free(state); }
};
using StateHandle = std::unique_ptr<LilvState, StateFree>;

// The main audio ports: inputs that are not side chains, and the outputs.
std::vector<int> audioPorts(const Lv2Plugin& plugin, bool inputs) {
    std::vector<int> ports;
    for (const auto& p : plugin.ports)
        if (p.type == "audio" && p.input == inputs && !(inputs && p.sidechain)) ports.push_back(p.index);
    return ports;
}

int portIndex(const Lv2Plugin& plugin, const char* symbol) {
    for (const auto& p : plugin.ports)
        if (p.symbol == symbol) return p.index;
    return -1;
}

}  // namespace

struct Lv2Effect::Host {
    struct Instance {
        LilvInstance* lilv = nullptr;
        bool active = false;
        std::vector<float> outputs;                                      // by port index: the output controls this instance writes
        std::vector<std::pair<bool, std::vector<std::uint64_t>>> atoms;  // (input?, an 8-byte-aligned buffer) per atom port
    };

    const Lv2Plugin* description = nullptr;
    const LilvPlugin* plugin = nullptr;
    int channels = 0;
    bool perChannel = false;
    std::vector<int> mainInputs, mainOutputs;
    std::vector<float> controls;      // by port index: the input controls' values, which every instance reads
    std::vector<StateHandle> states;  // a preset, then a saved state: restored into each instance
    int latencyPort = -1;
    int latency = 0;
    std::vector<Instance> instances;
    AudioBuffer in, out;
    std::vector<float> silence;  // side-chain inputs
    LV2_URID sequenceType = 0, chunkType = 0;

    // The options feature: block lengths and the rate, read by plugins at instantiation.
    std::int32_t minBlock = 1, maxBlock = 4096, sequenceBytes = static_cast<std::int32_t>(kAtomBytes);
    float sampleRate = 48000.0f;
    std::vector<LV2_Options_Option> options;
    LV2_Feature mapFeature{}, unmapFeature{}, optionsFeature{}, boundedFeature{};
    const LV2_Feature* features[5] = {};

    ~Host() { release(); }

    static void release(std::vector<Instance>& running) noexcept {
        for (auto& i : running) {
            if (i.active) lilv_instance_deactivate(i.lilv);
            lilv_instance_free(i.lilv);
        }
        running.clear();
    }
    void release() noexcept { release(instances); }

    // Instances with their ports connected, the preset and state restored, activated: one,
    // or one per channel. Throws Error when the plugin does not start.
    std::vector<Instance> start() {
        std::vector<Instance> started;
        try {
            lv2::World& world = lv2::World::instance();
            const std::lock_guard lock(world.mutex());
            for (int i = 0; i < (perChannel ? channels : 1); ++i) {
                Instance instance;
                instance.lilv = lilv_plugin_instantiate(plugin, sampleRate, features);
                if (!instance.lilv)
                    throw Error(description->name + " (" + description->uri + ") did not start at " + formatParamNumber(sampleRate) +
                                " Hz");
                started.push_back(std::move(instance));
                connect(started.back(), i);
                for (const auto& state : states) lilv_state_restore(state.get(), started.back().lilv, nullptr, nullptr, 0, features);
            }
        } catch (...) {
            release(started);
            throw;
        }
        for (auto& instance : started) {
            lilv_instance_activate(instance.lilv);
            instance.active = true;
        }
        return started;
    }

    void makeFeatures() {
        lv2::World& world = lv2::World::instance();
        const auto urid = [&](const char* uri) { return world.urid(uri); };
        const LV2_URID intType = urid(LV2_ATOM__Int);
        options = {{LV2_OPTIONS_INSTANCE, 0, urid(LV2_BUF_SIZE__minBlockLength), sizeof(std::int32_t), intType, &minBlock},
                   {LV2_OPTIONS_INSTANCE, 0, urid(LV2_BUF_SIZE__maxBlockLength), sizeof(std::int32_t), intType, &maxBlock},
                   {LV2_OPTIONS_INSTANCE, 0, urid(LV2_BUF_SIZE__nominalBlockLength), sizeof(std::int32_t), intType, &maxBlock},
                   {LV2_OPTIONS_INSTANCE, 0, urid(LV2_BUF_SIZE__sequenceSize), sizeof(std::int32_t), intType, &sequenceBytes},
                   {LV2_OPTIONS_INSTANCE, 0, urid("http://lv2plug.in/ns/ext/parameters#sampleRate"), sizeof(float), urid(LV2_ATOM__Float),
                    &sampleRate},
                   {LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, nullptr}};
        mapFeature = {LV2_URID__map, world.map()};
        unmapFeature = {LV2_URID__unmap, world.unmap()};
        optionsFeature = {LV2_OPTIONS__options, options.data()};
        boundedFeature = {LV2_BUF_SIZE__boundedBlockLength, nullptr};
        features[0] = &mapFeature;
        features[1] = &unmapFeature;
        features[2] = &optionsFeature;
        features[3] = &boundedFeature;
        features[4] = nullptr;
        sequenceType = urid(LV2_ATOM__Sequence);
        chunkType = urid(LV2_ATOM__Chunk);
    }

    // A preset's or a saved state's port values become the controls' starting values.
    void takePortValues(const LilvState* state) {
        lilv_state_emit_port_values(
            state,
            [](const char* symbol, void* self, const void* value, std::uint32_t size, std::uint32_t type) {
                auto* host = static_cast<Host*>(self);
                const int index = portIndex(*host->description, symbol);
                if (index < 0 || host->description->ports[static_cast<std::size_t>(index)].type != "control") return;
                lv2::World& world = lv2::World::instance();
                float v = 0.0f;
                if (type == world.urid(LV2_ATOM__Float) && size == sizeof(float))
                    std::memcpy(&v, value, sizeof v);
                else if (type == world.urid(LV2_ATOM__Double) && size == sizeof(double))
                    v = static_cast<float>(*static_cast<const double*>(value));
                else if (type == world.urid(LV2_ATOM__Int) && size == sizeof(std::int32_t))
                    v = static_cast<float>(*static_cast<const std::int32_t*>(value));
                else
                    return;
                host->controls[static_cast<std::size_t>(index)] = v;
            },
            this);
    }

    void loadPreset(const std::string& wanted) {
        lv2::World& world = lv2::World::instance();
        LilvWorld* w = world.lilv();
        LilvNode* presetClass = lilv_new_uri(w, LV2_PRESETS__Preset);
        LilvNode* label = lilv_new_uri(w, "http://www.w3.org/2000/01/rdf-schema#label");
        LilvNodes* presets = lilv_plugin_get_related(plugin, presetClass);
        std::vector<std::string> labels;  // listed sorted: lilv gives them in no fixed order
        LilvState* found = nullptr;
        LILV_FOREACH(nodes, i, presets) {
            const LilvNode* preset = lilv_nodes_get(presets, i);
            lilv_world_load_resource(w, preset);
            std::string name;
            if (LilvNode* l = lilv_world_get(w, preset, label, nullptr)) {
                name = lilv_node_as_string(l);
                lilv_node_free(l);
            }
            labels.push_back("\"" + name + "\"");
            if (!found && (wanted == lilv_node_as_uri(preset) || wanted == name)) found = lilv_state_new_from_world(w, world.map(), preset);
        }
        lilv_nodes_free(presets);
        lilv_node_free(label);
        lilv_node_free(presetClass);
        std::sort(labels.begin(), labels.end());
        std::string names;
        for (const auto& l : labels) names += (names.empty() ? "" : ", ") + l;
        if (!found)
            throw Error("preset \"" + wanted + "\": " + description->name + " has " +
                        (names.empty() ? std::string("no presets") : "the presets " + names));
        states.emplace_back(found);
    }

    void loadState(const Lv2EffectParams& params) {
        lv2::World& world = lv2::World::instance();
        LilvState* state = nullptr;
        if (params.stateFile.empty()) {
            state = lilv_state_new_from_string(world.lilv(), world.map(), params.state.c_str());
        } else {
            // A state lilv saved (state.ttl, whose subject is the file itself), else a state as
            // `bounce plugins --state` prints it (any subject), read as text.
            state = lilv_state_new_from_file(world.lilv(), world.map(), nullptr, params.stateFile.c_str());
            std::ifstream file(params.stateFile, std::ios::binary);
            const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
            if (!state && !text.empty()) state = lilv_state_new_from_string(world.lilv(), world.map(), text.c_str());
        }
        const std::string what = params.stateFile.empty() ? "state" : "state_file " + params.stateFile;
        if (!state) throw Error(what + ": not an LV2 state (Turtle with a state:State)");
        states.emplace_back(state);
        const LilvNode* uri = lilv_state_get_plugin_uri(state);
        if (!uri || description->uri != lilv_node_as_uri(uri))
            throw Error(what + ": a state of " + (uri ? lilv_node_as_uri(uri) : std::string("no plugin")) + ", not of " + description->uri);
    }

    void connect(Instance& instance, int channel) {
        LilvInstance* lilv = instance.lilv;
        instance.outputs.assign(description->ports.size(), 0.0f);
        for (const auto& p : description->ports) {
            const auto index = static_cast<std::uint32_t>(p.index);
            if (p.type == "control") {
                lilv_instance_connect_port(lilv, index, p.input ? &controls[index] : &instance.outputs[index]);
            } else if (p.type == "atom") {
                instance.atoms.emplace_back(p.input, std::vector<std::uint64_t>(kAtomBytes / sizeof(std::uint64_t)));
                lilv_instance_connect_port(lilv, index, instance.atoms.back().second.data());
            } else if (p.type == "audio" && p.input && p.sidechain) {
                lilv_instance_connect_port(lilv, index, silence.data());
            } else if (p.type == "audio") {
                const auto& main = p.input ? mainInputs : mainOutputs;
                const auto k = static_cast<int>(std::find(main.begin(), main.end(), p.index) - main.begin());
                AudioBuffer& buffer = p.input ? in : out;
                lilv_instance_connect_port(lilv, index, buffer.channel(perChannel ? channel : k));
            } else {
                lilv_instance_connect_port(lilv, index, nullptr);  // optional (judged hostable)
            }
        }
    }

    // Empty sequences in, room to write out: what a block's atom ports need.
    void readyAtoms(Instance& instance) noexcept {
        for (auto& [input, buffer] : instance.atoms) {
            auto* sequence = reinterpret_cast<LV2_Atom_Sequence*>(buffer.data());
            if (input) {
                sequence->atom.size = sizeof(LV2_Atom_Sequence_Body);
                sequence->atom.type = sequenceType;
            } else {
                sequence->atom.size = static_cast<std::uint32_t>(kAtomBytes - sizeof(LV2_Atom));
                sequence->atom.type = chunkType;
            }
            sequence->body.unit = 0;
            sequence->body.pad = 0;
        }
    }

    void run(std::size_t frames) noexcept {
        for (auto& instance : instances) {
            readyAtoms(instance);
            lilv_instance_run(instance.lilv, static_cast<std::uint32_t>(frames));
        }
    }
};

Lv2Effect::Lv2Effect(const Lv2EffectParams& params, int channels) : host_(std::make_unique<Host>()) {
    Host& h = *host_;
    h.description = findLv2Plugin(params.uri);
    if (!h.description) throw Error("no LV2 plugin " + params.uri + " is installed (bounce plugins lists those that are)");
    const Lv2Plugin& d = *h.description;
    if (!d.hostable) throw Error(d.name + " (" + d.uri + ") cannot be hosted: " + d.notHostable);
    h.channels = channels;
    h.mainInputs = audioPorts(d, true);
    h.mainOutputs = audioPorts(d, false);
    const auto ins = static_cast<int>(h.mainInputs.size()), outs = static_cast<int>(h.mainOutputs.size());
    h.perChannel = ins == 1 && outs == 1 && channels > 1;
    if (!h.perChannel && (ins != channels || outs != channels))
        throw Error(d.name + " has " + std::to_string(ins) + " audio input" + (ins == 1 ? "" : "s") + " and " + std::to_string(outs) +
                    " output" + (outs == 1 ? "" : "s") + "; on " + std::to_string(channels) + " channel" + (channels == 1 ? "" : "s") +
                    " it needs " + std::to_string(channels) + " of each, or one of each (run once per channel)");
    h.controls.assign(d.ports.size(), 0.0f);
    for (const auto& p : d.ports)
        if (p.type == "control" && p.input)
            h.controls[static_cast<std::size_t>(p.index)] = static_cast<float>(p.defaultValue.value_or(p.minimum.value_or(0.0)));
    if (!d.latencyPort.empty()) h.latencyPort = portIndex(d, d.latencyPort.c_str());
    h.makeFeatures();
    lv2::World& world = lv2::World::instance();
    const std::lock_guard lock(world.mutex());
    h.plugin = world.plugin(d.uri);
    world.keepLoaded(h.plugin);
    if (!params.preset.empty()) h.loadPreset(params.preset);
    if (!params.state.empty() || !params.stateFile.empty()) h.loadState(params);
    for (const auto& state : h.states) h.takePortValues(state.get());
}

Lv2Effect::~Lv2Effect() = default;

const Lv2Plugin& Lv2Effect::plugin() const noexcept { return *host_->description; }

void Lv2Effect::setControl(int portIndex, float value) noexcept { host_->controls[static_cast<std::size_t>(portIndex)] = value; }

float Lv2Effect::control(int portIndex) const noexcept { return host_->controls[static_cast<std::size_t>(portIndex)]; }

void Lv2Effect::prepare(const ProcessSpec& spec) {
    Host& h = *host_;
    h.release();
    h.sampleRate = static_cast<float>(spec.sampleRate);
    h.maxBlock = std::max(1, spec.maxBlockFrames);
    const auto frames = static_cast<std::size_t>(h.maxBlock);
    h.in.resize(h.channels, frames);
    h.out.resize(h.channels, frames);
    h.silence.assign(frames, 0.0f);
    h.instances = h.start();
    // LV2 plugins report their latency from run(): one short block of silence, read; then
    // fresh instances, so that the audio meets the plugin as it was.
    h.run(std::min<std::size_t>(frames, 64));
    const float reported = h.latencyPort >= 0 ? h.instances.front().outputs[static_cast<std::size_t>(h.latencyPort)] : 0.0f;
    h.latency = std::isfinite(reported) && reported > 0.0f ? static_cast<int>(std::lround(reported)) : 0;
    reset();
}

// LV2's deactivate and activate do not clear every plugin's memory (LSP's filters and x42's
// lookahead kept theirs in the contract test): a reset starts new instances.
void Lv2Effect::reset() noexcept {
    Host& h = *host_;
    if (h.instances.empty()) return;
    try {
        auto fresh = h.start();
        h.release();
        h.instances = std::move(fresh);
    } catch (...) {
        // Could not start again (it started before): the old ones, restarted as LV2 allows.
        for (auto& instance : h.instances) {
            lilv_instance_deactivate(instance.lilv);
            lilv_instance_activate(instance.lilv);
        }
    }
}

void Lv2Effect::process(AudioView io) noexcept {
    Host& h = *host_;
    const ScopedFlushDenormals noDenormals;
    for (std::size_t at = 0; at < io.frames();) {
        const std::size_t frames = std::min(io.frames() - at, static_cast<std::size_t>(h.maxBlock));
        // A NaN or an infinity would stay in a plugin's filters for good: silence in its place.
        for (int c = 0; c < h.channels; ++c) {
            const float* from = io.channel(c) + at;
            float* to = h.in.channel(c);
            for (std::size_t i = 0; i < frames; ++i) to[i] = std::isfinite(from[i]) ? from[i] : 0.0f;
        }
        h.run(frames);
        for (int c = 0; c < h.channels; ++c) std::copy_n(h.out.channel(c), frames, io.channel(c) + at);
        at += frames;
    }
}

int Lv2Effect::latencyFrames() const noexcept { return host_->latency; }

std::string Lv2Effect::savedState() const {
    const Host& h = *host_;
    if (h.instances.empty()) throw Error(h.description->name + ": its state is saved from a prepared instance");
    lv2::World& world = lv2::World::instance();
    const LV2_URID floatType = world.urid(LV2_ATOM__Float);
    struct Context {
        const Host* host;
        LV2_URID floatType;
    } context{&h, floatType};
    const auto portValue = [](const char* symbol, void* data, std::uint32_t* size, std::uint32_t* type) -> const void* {
        const auto* c = static_cast<const Context*>(data);
        const int index = portIndex(*c->host->description, symbol);
        const auto& port = c->host->description->ports[static_cast<std::size_t>(std::max(index, 0))];
        if (index < 0 || port.type != "control" || !port.input) return nullptr;
        *size = sizeof(float);
        *type = c->floatType;
        return &c->host->controls[static_cast<std::size_t>(index)];
    };
    const std::lock_guard lock(world.mutex());
    StateHandle state(lilv_state_new_from_instance(h.plugin, h.instances.front().lilv, world.map(), nullptr, nullptr, nullptr, nullptr,
                                                   portValue, &context, LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE, h.features));
    if (!state) throw Error(h.description->name + ": lilv could not save its state");
    char* text = lilv_state_to_string(world.lilv(), world.map(), world.unmap(), state.get(), "urn:bounce:state", nullptr);
    if (!text) throw Error(h.description->name + ": lilv could not write its state");
    // lilv (0.24) writes the prefixed names without their @prefix lines, which its own reader
    // then refuses: they are written here (a repeated @prefix is valid Turtle).
    std::string turtle =
        "@prefix atom: <http://lv2plug.in/ns/ext/atom#> .\n"
        "@prefix lv2: <http://lv2plug.in/ns/lv2core#> .\n"
        "@prefix pset: <http://lv2plug.in/ns/ext/presets#> .\n"
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix state: <http://lv2plug.in/ns/ext/state#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n\n";
    turtle += text;
    lilv_free(text);
    return turtle;
}

}  // namespace bounce
