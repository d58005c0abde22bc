#include "bounce/chain_file.h"

#include "bounce/error.h"
#include "bounce/toml_params.h"

#include <filesystem>

namespace bounce {

std::vector<InsertSpec> readChainFile(const std::string& path) {
    if (!std::filesystem::is_regular_file(path)) throw ConfigError(path + ": no such chain file");
    toml::table root;
    try {
        root = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        throw ConfigError(path + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
    }
    std::vector<InsertSpec> inserts;
    for (const auto& [key, node] : root) {
        const int line = static_cast<int>(node.source().begin.line);
        if (key.str() != "insert")
            throw ConfigError(path + ":" + std::to_string(line) + ": unknown key '" + std::string(key.str()) +
                              "' (a chain file holds [[insert]] tables)");
        const auto* array = node.as_array();
        if (!array || !array->is_array_of_tables())
            throw ConfigError(path + ":" + std::to_string(line) + ": insert must be written as [[insert]] tables");
        for (const auto& element : *array) inserts.push_back(insertSpecFromToml(*element.as_table(), path));
    }
    return inserts;
}

}  // namespace bounce
