// Chain files: an ordered list of [[insert]] tables, the same tables a session file's
// inserts use (docs/processors.md).
//
//   [[insert]]
//   type = "highpass"
//   freq_hz = 80
//   slope_db_oct = 24
#pragma once

#include "bounce/insert_spec.h"

#include <string>
#include <vector>

namespace bounce {

// Throws ConfigError "path:line: message" on a TOML syntax error, a missing or
// non-string `type`, a value of an unsupported kind, or any top-level key but `insert`.
std::vector<InsertSpec> readChainFile(const std::string& path);

}  // namespace bounce
