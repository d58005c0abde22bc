// An insert as written in a chain or session file: a processor type and its parameters,
// with the file and line each came from, so every error can point at the line.
//
// This is the plain-struct boundary between the file formats (TOML, in mix/) and the
// processor library (dsp/), which never sees TOML.
#pragma once

#include <initializer_list>
#include <cstddef>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace bounce {

class ParamTable;
// A row of numbers, e.g. one automation point [time_s, value].
using NumberRows = std::vector<std::vector<double>>;
using ParamValue = std::variant<double, bool, std::string, std::vector<ParamTable>, NumberRows>;

class ParamTable {
public:
    struct Entry {
        ParamValue value;
        int line = 0;
    };

    std::string source;  // the file, for messages
    int line = 0;        // where the table starts
    std::map<std::string, Entry> entries;

    bool has(const std::string& key) const { return entries.count(key) != 0; }

    // Readers: a missing key gives the fallback (a NaN fallback makes the key required); a wrong type or a value out of range
    // throws ConfigError "source:line: key must be ..."; a read key counts as known.
    double number(const std::string& key, double fallback, double min, double max) const;
    int integer(const std::string& key, int fallback, int min, int max) const;
    bool flag(const std::string& key, bool fallback) const;
    std::string choice(const std::string& key, const std::string& fallback, std::initializer_list<const char*> allowed) const;
    std::string choice(const std::string& key, const std::string& fallback, const std::vector<std::string>& allowed) const;
    std::string text(const std::string& key, const std::string& fallback) const;
    // Nested [[key]] tables (e.g. an equaliser's bands); empty when absent.
    const std::vector<ParamTable>& tables(const std::string& key) const;
    // An array of number arrays (key = [[0, -6], [2, 0]]), each `width` long.
    const NumberRows& rows(const std::string& key, std::size_t width) const;
    // A number, or a string (e.g. a time as seconds or "bars:beats"); nullopt if absent.
    const ParamValue* raw(const std::string& key) const;

    // Throws ConfigError naming the first key no reader asked for.
    void rejectUnknownKeys(const std::string& what) const;

    [[noreturn]] void fail(const std::string& key, const std::string& message) const;
    std::string where(const std::string& key) const;

private:
    mutable std::map<std::string, bool> read_;
};

// A parameter's number as messages and docs/processors.md print it (shortest form: 0.7071,
// 96000, -0.5): one formatter, so the docs' ranges read as the errors do.
std::string formatParamNumber(double v);

struct InsertSpec {
    std::string type;
    ParamTable params;  // everything but `type`
};

}  // namespace bounce
