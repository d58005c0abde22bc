// The LV2 plugins installed (lilv's world: the standard LV2 paths, or LV2_PATH), described
// as `bounce plugins` lists them and as the `lv2` insert checks its parameters against
// them: each port's symbol, kind, direction, range, default and unit, the
// latency port, and whether Bounce can host the plugin (and why not).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace bounce {

struct Lv2Port {
    int index = 0;
    std::string symbol, name;
    std::string type;        // "audio", "control", "atom", "cv", "other"
    bool input = true;       // else an output
    bool optional = false;   // lv2:connectionOptional
    bool sidechain = false;  // lv2:isSideChain (an audio input fed silence by the lv2 insert)
    bool whole = false;      // lv2:integer, lv2:toggled or lv2:enumeration: whole numbers only
    std::optional<double> minimum, maximum, defaultValue;
    std::string unit;  // "dB", "Hz", "ms", ... (LV2 units), empty when the port declares none
};

struct Lv2Plugin {
    std::string uri, name, className;
    std::vector<Lv2Port> ports;
    std::string latencyPort;  // the symbol of the port that reports latency; empty: none
    bool hostable = true;     // Bounce offers what it requires
    std::string notHostable;  // why not (a required feature, no audio input, ...)
    int audioInputs = 0, audioOutputs = 0;
};

// Every installed plugin whose URI or name contains `filter` (any case; empty: all), sorted
// by URI. The LV2 paths are read once per process, on first use.
std::vector<Lv2Plugin> installedLv2Plugins(const std::string& filter = "");
// The installed plugin with this URI, described once per process; nullptr when none is.
const Lv2Plugin* findLv2Plugin(const std::string& uri);
// Every installed plugin's URI, sorted.
std::vector<std::string> installedLv2Uris();

}  // namespace bounce
