#include "bounce/lv2_plugins.h"

#include "lv2_world.h"

#include <algorithm>
#include <cctype>
#include <dlfcn.h>
#include <memory>

namespace bounce {
namespace lv2 {

const std::vector<std::string>& offeredFeatures() {
    static const std::vector<std::string> features = {
        "http://lv2plug.in/ns/ext/urid#map", "http://lv2plug.in/ns/ext/urid#unmap", "http://lv2plug.in/ns/ext/options#options",
        "http://lv2plug.in/ns/ext/buf-size#boundedBlockLength", "http://lv2plug.in/ns/lv2core#isLive"};
    return features;
}

}  // namespace lv2

namespace {

constexpr const char* kLv2Core = "http://lv2plug.in/ns/lv2core#";
constexpr const char* kUnits = "http://lv2plug.in/ns/extensions/units#";
using lv2::offeredFeatures;

std::string lowerCase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// lilv's nodes freed on every path.
struct Node {
    LilvNode* node;
    explicit Node(LilvNode* n) : node(n) {}
    ~Node() { lilv_node_free(node); }
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;
};

std::string unitOf(LilvWorld* world, const LilvPlugin* plugin, const LilvPort* port) {
    const Node unitKey(lilv_new_uri(world, (std::string(kUnits) + "unit").c_str()));
    LilvNodes* units = lilv_port_get_value(plugin, port, unitKey.node);
    std::string unit;
    if (units && lilv_nodes_size(units) > 0) {
        const LilvNode* value = lilv_nodes_get_first(units);
        if (lilv_node_is_blank(value)) {
            // A unit of the plugin's own: a blank node with its units:symbol.
            const Node symbolKey(lilv_new_uri(world, (std::string(kUnits) + "symbol").c_str()));
            if (LilvNode* symbol = lilv_world_get(world, value, symbolKey.node, nullptr)) {
                unit = lilv_node_as_string(symbol);
                lilv_node_free(symbol);
            }
            lilv_nodes_free(units);
            return unit;
        }
        const std::string uri = lilv_node_as_string(value);
        static const std::pair<const char*, const char*> names[] = {
            {"db", "dB"}, {"hz", "Hz"},   {"khz", "kHz"}, {"ms", "ms"},   {"s", "s"},
            {"pc", "%"},  {"bpm", "BPM"}, {"coef", ""},   {"cent", "ct"}, {"semitone12TET", "semitones"}};
        const std::string name = uri.rfind(kUnits, 0) == 0 ? uri.substr(std::string(kUnits).size()) : uri;
        unit = name;
        for (const auto& [key, shown] : names)
            if (name == key) unit = shown;
    }
    lilv_nodes_free(units);
    return unit;
}

Lv2Port describePort(LilvWorld* world, const LilvPlugin* plugin, unsigned index) {
    const LilvPort* port = lilv_plugin_get_port_by_index(plugin, index);
    const auto is = [&](const char* klass) {
        const Node uri(lilv_new_uri(world, klass));
        return lilv_port_is_a(plugin, port, uri.node);
    };
    Lv2Port p;
    p.index = static_cast<int>(index);
    p.symbol = lilv_node_as_string(lilv_port_get_symbol(plugin, port));
    if (LilvNode* name = lilv_port_get_name(plugin, port)) {
        p.name = lilv_node_as_string(name);
        lilv_node_free(name);
    }
    p.type = is(LILV_URI_AUDIO_PORT)                        ? "audio"
             : is(LILV_URI_CONTROL_PORT)                    ? "control"
             : is("http://lv2plug.in/ns/ext/atom#AtomPort") ? "atom"
             : is(LILV_URI_CV_PORT)                         ? "cv"
                                                            : "other";
    p.input = is(LILV_URI_INPUT_PORT);
    const auto has = [&](const char* property) {
        const Node uri(lilv_new_uri(world, (std::string(kLv2Core) + property).c_str()));
        return lilv_port_has_property(plugin, port, uri.node);
    };
    p.optional = has("connectionOptional");
    p.sidechain = has("isSideChain");
    p.whole = has("integer") || has("toggled") || has("enumeration");
    if (p.type == "control") {
        LilvNode *def = nullptr, *min = nullptr, *max = nullptr;
        lilv_port_get_range(plugin, port, &def, &min, &max);
        if (def) p.defaultValue = lilv_node_as_float(def);
        if (min) p.minimum = lilv_node_as_float(min);
        if (max) p.maximum = lilv_node_as_float(max);
        lilv_node_free(def);
        lilv_node_free(min);
        lilv_node_free(max);
        p.unit = unitOf(world, plugin, port);
    }
    return p;
}

// Whether a Bounce host can run it: audio in and out, every required feature offered, and
// no port it must connect that Bounce cannot feed. Atom inputs (a UI's messages, MIDI) get an
// empty sequence each block; CV and unknown inputs cannot be fed.
void judgeHostable(const LilvPlugin* plugin, Lv2Plugin& p) {
    LilvNodes* required = lilv_plugin_get_required_features(plugin);
    LILV_FOREACH(nodes, i, required) {
        const std::string feature = lilv_node_as_uri(lilv_nodes_get(required, i));
        if (std::find(offeredFeatures().begin(), offeredFeatures().end(), feature) == offeredFeatures().end() && p.hostable) {
            p.hostable = false;
            p.notHostable = "requires " + feature + ", which Bounce does not offer";
        }
    }
    lilv_nodes_free(required);
    for (const auto& port : p.ports)
        if (p.hostable && port.input && !port.optional && (port.type == "cv" || port.type == "other")) {
            p.hostable = false;
            p.notHostable =
                "its " + port.type + " input '" + port.symbol + "' must be fed, and Bounce feeds audio, controls and atom sequences";
        }
    if (p.hostable && (p.audioInputs == 0 || p.audioOutputs == 0)) {
        p.hostable = false;
        p.notHostable = p.audioInputs == 0 ? "it has no audio input (an instrument or generator, not an effect)" : "it has no audio output";
    }
}

}  // namespace

namespace lv2 {

World& World::instance() {
    static World* const world = new World();
    return *world;
}

World::World() {
    world_ = lilv_world_new();
    lilv_world_load_all(world_);
    map_.handle = this;
    map_.map = [](LV2_URID_Map_Handle handle, const char* uri) { return static_cast<World*>(handle)->urid(uri); };
    unmap_.handle = this;
    unmap_.unmap = [](LV2_URID_Unmap_Handle handle, LV2_URID urid) -> const char* {
        auto* self = static_cast<World*>(handle);
        const std::lock_guard lock(self->uridMutex_);
        return urid >= 1 && urid <= self->uris_.size() ? self->uris_[urid - 1]->c_str() : nullptr;
    };
}

LV2_URID World::urid(const char* uri) {
    const std::lock_guard lock(uridMutex_);
    const auto [at, added] = urids_.try_emplace(uri, static_cast<LV2_URID>(uris_.size() + 1));
    if (added) uris_.push_back(std::make_unique<std::string>(uri));
    return at->second;
}

const LilvPlugin* World::plugin(const std::string& uri) {
    const Node node(lilv_new_uri(world_, uri.c_str()));
    return node.node ? lilv_plugins_get_by_uri(lilv_world_get_all_plugins(world_), node.node) : nullptr;
}

Lv2Plugin World::describe(const LilvPlugin* plugin) {
    Lv2Plugin p;
    p.uri = lilv_node_as_uri(lilv_plugin_get_uri(plugin));
    if (LilvNode* name = lilv_plugin_get_name(plugin)) {
        p.name = lilv_node_as_string(name);
        lilv_node_free(name);
    }
    if (const LilvPluginClass* klass = lilv_plugin_get_class(plugin)) p.className = lilv_node_as_string(lilv_plugin_class_get_label(klass));
    for (unsigned index = 0; index < lilv_plugin_get_num_ports(plugin); ++index) {
        p.ports.push_back(describePort(world_, plugin, index));
        if (p.ports.back().type == "audio") (p.ports.back().input ? p.audioInputs : p.audioOutputs) += 1;
    }
    if (lilv_plugin_has_latency(plugin)) p.latencyPort = p.ports[lilv_plugin_get_latency_port_index(plugin)].symbol;
    judgeHostable(plugin, p);
    return p;
}

const Lv2Plugin* World::described(const std::string& uri) {
    const std::lock_guard lock(mutex_);
    if (const auto known = described_.find(uri); known != described_.end()) return known->second.get();
    const LilvPlugin* found = plugin(uri);
    if (!found) return nullptr;
    return described_.emplace(uri, std::make_unique<Lv2Plugin>(describe(found))).first->second.get();
}

void World::keepLoaded(const LilvPlugin* plugin) {
    const LilvNode* library = lilv_plugin_get_library_uri(plugin);
    if (!library) return;
    char* path = lilv_file_uri_parse(lilv_node_as_uri(library), nullptr);
    if (!path) return;
    if (!kept_.count(path)) kept_[path] = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    lilv_free(path);
}

std::vector<std::string> World::uris() {
    const std::lock_guard lock(mutex_);
    std::vector<std::string> all;
    const LilvPlugins* plugins = lilv_world_get_all_plugins(world_);
    LILV_FOREACH(plugins, i, plugins) all.emplace_back(lilv_node_as_uri(lilv_plugin_get_uri(lilv_plugins_get(plugins, i))));
    std::sort(all.begin(), all.end());
    return all;
}

std::vector<Lv2Plugin> World::all(const std::string& filter) {
    const std::lock_guard lock(mutex_);
    const std::string wanted = lowerCase(filter);
    std::vector<Lv2Plugin> found;
    const LilvPlugins* plugins = lilv_world_get_all_plugins(world_);
    LILV_FOREACH(plugins, i, plugins) {
        const LilvPlugin* plugin = lilv_plugins_get(plugins, i);
        const std::string uri = lilv_node_as_uri(lilv_plugin_get_uri(plugin));
        std::string name;
        if (LilvNode* n = lilv_plugin_get_name(plugin)) {
            name = lilv_node_as_string(n);
            lilv_node_free(n);
        }
        if (!wanted.empty() && lowerCase(uri).find(wanted) == std::string::npos && lowerCase(name).find(wanted) == std::string::npos)
            continue;
        found.push_back(describe(plugin));
    }
    std::sort(found.begin(), found.end(), [](const Lv2Plugin& a, const Lv2Plugin& b) { return a.uri < b.uri; });
    return found;
}

}  // namespace lv2

std::vector<Lv2Plugin> installedLv2Plugins(const std::string& filter) { return lv2::World::instance().all(filter); }

const Lv2Plugin* findLv2Plugin(const std::string& uri) { return lv2::World::instance().described(uri); }

std::vector<std::string> installedLv2Uris() { return lv2::World::instance().uris(); }

}  // namespace bounce
