// Views of a CheckResult: the JSON report of `bounce check --json` and the summary. The
// analysis object uses the same keys as `bounce analyze --json`.
#pragma once

#include "bounce/check.h"

#include <nlohmann/json.hpp>
#include <string>

namespace bounce {

const char* severityName(Severity s) noexcept;
nlohmann::ordered_json checkToJson(const CheckResult& result);
std::string checkSummary(const CheckResult& result);

}  // namespace bounce
