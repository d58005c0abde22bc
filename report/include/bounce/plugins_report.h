// `bounce plugins`: the installed LV2 plugins as JSON and as text.
#pragma once

#include "bounce/lv2_plugins.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace bounce {

nlohmann::ordered_json pluginsToJson(const std::vector<Lv2Plugin>& plugins);
// One block per plugin: URI, name, class, whether Bounce can host it, and its ports with
// their ranges, defaults and units.
std::string pluginsTable(const std::vector<Lv2Plugin>& plugins);

}  // namespace bounce
