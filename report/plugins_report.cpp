#include "bounce/plugins_report.h"

#include "bounce/analysis_report.h"

#include <cstdio>
#include <sstream>

namespace bounce {

nlohmann::ordered_json pluginsToJson(const std::vector<Lv2Plugin>& plugins) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& p : plugins) {
        nlohmann::ordered_json ports = nlohmann::ordered_json::array();
        for (const auto& port : p.ports)
            ports.push_back({{"index", port.index},
                             {"symbol", port.symbol},
                             {"name", port.name},
                             {"type", port.type},
                             {"direction", port.input ? "input" : "output"},
                             {"optional", port.optional},
                             {"minimum", rounded(port.minimum, 6)},
                             {"maximum", rounded(port.maximum, 6)},
                             {"default", rounded(port.defaultValue, 6)},
                             {"unit", port.unit}});
        out.push_back({{"uri", p.uri},
                       {"name", p.name},
                       {"class", p.className},
                       {"audio_inputs", p.audioInputs},
                       {"audio_outputs", p.audioOutputs},
                       {"latency_port", p.latencyPort.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(p.latencyPort)},
                       {"hostable", p.hostable},
                       {"not_hostable_because", p.notHostable},
                       {"ports", ports}});
    }
    return out;
}

std::string pluginsTable(const std::vector<Lv2Plugin>& plugins) {
    std::ostringstream out;
    char line[512];
    for (const auto& p : plugins) {
        out << p.uri << "\n  " << p.name << (p.className.empty() ? "" : " (" + p.className + ")") << ", " << p.audioInputs << " in, "
            << p.audioOutputs << " out" << (p.latencyPort.empty() ? "" : ", reports latency") << "\n";
        if (!p.hostable) out << "  cannot be hosted: " << p.notHostable << "\n";
        for (const auto& port : p.ports) {
            if (port.type != "control" || !port.input) continue;
            std::snprintf(line, sizeof line, "    %-24s %10g .. %-10g default %-8g %s\n", port.symbol.c_str(), port.minimum.value_or(0.0),
                          port.maximum.value_or(0.0), port.defaultValue.value_or(0.0), port.unit.c_str());
            out << line;
        }
    }
    if (plugins.empty()) out << "no LV2 plugins found (searched LV2_PATH, or ~/.lv2, /usr/local/lib/lv2 and /usr/lib/lv2)\n";
    return out.str();
}

}  // namespace bounce
