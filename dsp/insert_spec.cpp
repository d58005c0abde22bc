#include "bounce/insert_spec.h"

#include "bounce/error.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace bounce {
namespace {

std::size_t editDistance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

}  // namespace

std::string formatParamNumber(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
}

std::string ParamTable::where(const std::string& key) const {
    const auto it = entries.find(key);
    const int at = it != entries.end() ? it->second.line : line;
    return fileLine(source, at);
}

void ParamTable::fail(const std::string& key, const std::string& message) const { throw ConfigError(where(key) + message); }

double ParamTable::number(const std::string& key, double fallback, double min, double max) const {
    read_[key] = true;
    const auto it = entries.find(key);
    if (it == entries.end()) {
        if (!std::isnan(fallback)) return fallback;
        std::string hint;
        for (const auto& [other, entry] : entries)
            if (!read_.count(other) && (editDistance(other, key) <= 2 || key.rfind(other, 0) == 0 || other.rfind(key, 0) == 0))
                hint = "; '" + other + "' on line " + std::to_string(entry.line) + " looks like a misspelling of it";
        throw fileLineError(source, line, key + " is required" + hint);
    }
    const double* v = std::get_if<double>(&it->second.value);
    if (!v) fail(key, key + " must be a number");
    if (!std::isfinite(*v) || *v < min || *v > max)
        fail(key, key + " must be between " + formatParamNumber(min) + " and " + formatParamNumber(max) + " (got " + formatParamNumber(*v) +
                      ")");
    return *v;
}

int ParamTable::integer(const std::string& key, int fallback, int min, int max) const {
    const double v = number(key, fallback, min, max);
    if (v != std::floor(v)) fail(key, key + " must be a whole number (got " + formatParamNumber(v) + ")");
    return static_cast<int>(v);
}

bool ParamTable::flag(const std::string& key, bool fallback) const {
    read_[key] = true;
    const auto it = entries.find(key);
    if (it == entries.end()) return fallback;
    const bool* v = std::get_if<bool>(&it->second.value);
    if (!v) fail(key, key + " must be true or false");
    return *v;
}

std::string ParamTable::text(const std::string& key, const std::string& fallback) const {
    read_[key] = true;
    const auto it = entries.find(key);
    if (it == entries.end()) return fallback;
    const std::string* v = std::get_if<std::string>(&it->second.value);
    if (!v) fail(key, key + " must be a string");
    return *v;
}

std::string ParamTable::choice(const std::string& key, const std::string& fallback, std::initializer_list<const char*> allowed) const {
    return choice(key, fallback, std::vector<std::string>(allowed.begin(), allowed.end()));
}

std::string ParamTable::choice(const std::string& key, const std::string& fallback, const std::vector<std::string>& allowed) const {
    const std::string v = text(key, fallback);
    std::string list;
    for (const auto& a : allowed) {
        if (v == a) return v;
        list += (list.empty() ? "" : ", ") + std::string("\"") + a + "\"";
    }
    fail(key, key + " must be one of " + list + " (got \"" + v + "\")");
}

const std::vector<ParamTable>& ParamTable::tables(const std::string& key) const {
    static const std::vector<ParamTable> kNone;
    read_[key] = true;
    const auto it = entries.find(key);
    if (it == entries.end()) return kNone;
    const auto* v = std::get_if<std::vector<ParamTable>>(&it->second.value);
    if (!v) fail(key, key + " must be an array of tables ([[" + key + "]])");
    return *v;
}

const NumberRows& ParamTable::rows(const std::string& key, std::size_t width) const {
    static const NumberRows kNone;
    read_[key] = true;
    const auto it = entries.find(key);
    if (it == entries.end()) return kNone;
    const auto* v = std::get_if<NumberRows>(&it->second.value);
    if (!v) fail(key, key + " must be an array of [" + std::to_string(width) + " numbers] arrays");
    for (const auto& row : *v)
        if (row.size() != width) fail(key, key + ": every entry must hold " + std::to_string(width) + " numbers");
    return *v;
}

const ParamValue* ParamTable::raw(const std::string& key) const {
    read_[key] = true;
    const auto it = entries.find(key);
    return it == entries.end() ? nullptr : &it->second.value;
}

void ParamTable::rejectUnknownKeys(const std::string& what) const {
    for (const auto& [key, entry] : entries) {
        if (read_.count(key)) continue;
        std::string known;
        for (const auto& [k, used] : read_) known += (known.empty() ? "" : ", ") + k;
        fail(key, "unknown key '" + key + "' in " + what + (known.empty() ? "" : " (known: " + known + ")"));
    }
}

}  // namespace bounce
