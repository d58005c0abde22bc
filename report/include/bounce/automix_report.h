// The JSON view of an AutomixResult: what `bounce automix --json` writes and the Python
// module's automix() returns (docs/automix.md).
#pragma once

#include "bounce/automix.h"

#include <nlohmann/json.hpp>

namespace bounce {

// The lead, the mix's predicted loudness, the files skipped and, per track, what was decided
// and the measurements behind it (levels in LUFS to 0.01, features rounded as printed).
nlohmann::ordered_json automixToJson(const AutomixResult& result);

}  // namespace bounce
