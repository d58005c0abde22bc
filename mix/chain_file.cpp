#include "bounce/chain_file.h"

#include "bounce/error.h"
#include "bounce/toml_params.h"

#include <filesystem>

namespace bounce {

std::vector<InsertSpec> readChainFile(const std::string& path) {
    const toml::table root = readTomlFile(path, "chain file");
    std::vector<InsertSpec> inserts;
    for (const auto& [key, node] : root) {
        const int line = static_cast<int>(node.source().begin.line);
        if (key.str() != "insert")
            throw fileLineError(path, line, "unknown key '" + std::string(key.str()) + "' (a chain file holds [[insert]] tables)");
        const auto* array = node.as_array();
        if (!array || !array->is_array_of_tables()) throw fileLineError(path, line, "insert must be written as [[insert]] tables");
        for (const auto& element : *array) inserts.push_back(insertSpecFromToml(*element.as_table(), path));
    }
    return inserts;
}

}  // namespace bounce
