// The one lilv world of a process (private to the dsp layer): the installed LV2 plugins read
// once, on first use, from the standard LV2 paths or LV2_PATH; their descriptions (what
// `bounce plugins` lists and the lv2 insert checks its parameters against), and the URID map
// every hosted plugin shares. lilv's world is not thread-safe: every use holds mutex().
#pragma once

#include "bounce/lv2_plugins.h"

#include <lilv/lilv.h>
#include <lv2/urid/urid.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace bounce::lv2 {

class World {
public:
    // Created on first use and never destroyed: hosted plugins (a Python object, a batch's
    // thread) may outlive any order of static destructors.
    static World& instance();

    std::mutex& mutex() noexcept { return mutex_; }
    LilvWorld* lilv() noexcept { return world_; }
    // Caller holds mutex(). nullptr when no such plugin is installed.
    const LilvPlugin* plugin(const std::string& uri);
    // The description of an installed plugin, made once; nullptr when there is none.
    const Lv2Plugin* described(const std::string& uri);
    std::vector<Lv2Plugin> all(const std::string& filter);
    std::vector<std::string> uris();
    // Keeps a plugin's binary loaded for the life of the process (caller holds mutex()):
    // lilv unloads it with its last instance, and a reset starts new instances, so each would
    // load it and run its static set-up again; and what a plugin keeps in its globals would
    // look leaked to LeakSanitizer once its library is gone.
    void keepLoaded(const LilvPlugin* plugin);

    // urid:map and urid:unmap, for every plugin Bounce hosts (thread-safe, as LV2 asks).
    LV2_URID_Map* map() noexcept { return &map_; }
    LV2_URID_Unmap* unmap() noexcept { return &unmap_; }
    LV2_URID urid(const char* uri);

private:
    World();
    Lv2Plugin describe(const LilvPlugin* plugin);  // caller holds mutex()

    std::mutex mutex_;
    LilvWorld* world_ = nullptr;
    std::map<std::string, std::unique_ptr<Lv2Plugin>> described_;
    std::map<std::string, void*> kept_;  // binary path -> its dlopen handle, never closed
    std::mutex uridMutex_;
    std::unordered_map<std::string, LV2_URID> urids_;
    std::vector<std::unique_ptr<std::string>> uris_;  // index + 1 = URID; stable c_str()
    LV2_URID_Map map_{};
    LV2_URID_Unmap unmap_{};
};

// The features a Bounce host offers a plugin: URIs to numbers and back, the options
// interface with the block length and the rate, bounded blocks.
const std::vector<std::string>& offeredFeatures();

}  // namespace bounce::lv2
