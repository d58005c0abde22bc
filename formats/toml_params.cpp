#include "bounce/toml_params.h"

#include <filesystem>

#include "bounce/error.h"

namespace bounce {

toml::table readTomlFile(const std::string& path, const std::string& what) {
    if (!std::filesystem::is_regular_file(path)) throw ConfigError(path + ": no such " + what);
    try {
        return toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        throw fileLineError(path, static_cast<long long>(e.source().begin.line), std::string(e.description()));
    }
}
namespace {

int lineOf(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

}  // namespace

ParamTable paramTableFromToml(const toml::table& table, const std::string& source, const char* skipKey) {
    ParamTable params;
    params.source = source;
    params.line = lineOf(table);
    ParamTable written;  // [insert.params]: keys written apart, read as the table's own
    for (const auto& [key, node] : table) {
        const std::string name(key.str());
        if (skipKey && name == skipKey) continue;
        if (const auto* apart = node.as_table(); apart && name == "params") {
            written = paramTableFromToml(*apart, source);
            continue;
        }
        ParamTable::Entry entry;
        entry.line = lineOf(node);
        if (const auto* v = node.as_floating_point()) {
            entry.value = v->get();
        } else if (const auto* i = node.as_integer()) {
            entry.value = static_cast<double>(i->get());
        } else if (const auto* b = node.as_boolean()) {
            entry.value = b->get();
        } else if (const auto* s = node.as_string()) {
            entry.value = s->get();
        } else if (const auto* array = node.as_array(); array && array->is_array_of_tables()) {
            std::vector<ParamTable> tables;
            for (const auto& element : *array) tables.push_back(paramTableFromToml(*element.as_table(), source));
            entry.value = std::move(tables);
        } else if (array && !array->empty() && array->front().is_array()) {
            NumberRows rows;
            for (const auto& element : *array) {
                const auto* row = element.as_array();
                std::vector<double> numbers;
                for (const auto& cell : row ? *row : toml::array{}) {
                    if (const auto* f = cell.as_floating_point())
                        numbers.push_back(f->get());
                    else if (const auto* i = cell.as_integer())
                        numbers.push_back(static_cast<double>(i->get()));
                    else
                        throw fileLineError(source, lineOf(cell), name + " holds numbers only");
                }
                if (!row) throw fileLineError(source, lineOf(element), name + " must be an array of arrays");
                rows.push_back(std::move(numbers));
            }
            entry.value = std::move(rows);
        } else {
            throw fileLineError(source, entry.line, name + " must be a number, true/false, a string or [[" + name + "]] tables");
        }
        params.entries.emplace(name, std::move(entry));
    }
    for (auto& [name, entry] : written.entries) {
        if (const auto twice = params.entries.find(name); twice != params.entries.end())
            throw fileLineError(source, entry.line, name + " is given twice: here and on line " + std::to_string(twice->second.line));
        params.entries.emplace(name, std::move(entry));
    }
    return params;
}

InsertSpec insertSpecFromToml(const toml::table& table, const std::string& source) {
    InsertSpec insert;
    const auto* type = table.get("type");
    if (!type) throw fileLineError(source, lineOf(table), "an insert needs a type (e.g. type = \"highpass\")");
    if (!type->is_string()) throw fileLineError(source, lineOf(*type), "type must be a string");
    insert.type = type->as_string()->get();
    insert.params = paramTableFromToml(table, source, "type");
    return insert;
}

}  // namespace bounce
