// TOML -> ParamTable, keeping line numbers. The only place toml++ types meet the library's
// plain structs.
#pragma once

#include "bounce/insert_spec.h"

#include <toml++/toml.h>

#include <string>

namespace bounce {

// Reads a TOML file the user wrote; throws ConfigError "path: no such <what>" when it is not
// there, and "path:line: ..." for a syntax error.
toml::table readTomlFile(const std::string& path, const std::string& what);

// A table's keys with their lines. A sub-table named `params` ([insert.params], where an lv2
// insert's control symbols are written) is read as the table's own keys; a key given both
// there and beside it is an error.
ParamTable paramTableFromToml(const toml::table& table, const std::string& source, const char* skipKey = nullptr);

InsertSpec insertSpecFromToml(const toml::table& table, const std::string& source);

}  // namespace bounce
