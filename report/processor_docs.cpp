#include "bounce/processor_docs.h"

#include "bounce/error.h"
#include "bounce/processor_registry.h"

#include <algorithm>
#include <sstream>
#include <utility>

namespace bounce {
namespace {

std::string quotedList(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + ("\"" + n + "\"");
    return out;
}

std::string unitOf(const ParamDescriptor& p) {
    switch (p.kind) {
    case ParamKind::Flag: return "bool";
    case ParamKind::Tables: return "tables";
    default: return p.unit;
    }
}

std::string rangeOf(const ParamDescriptor& p) {
    switch (p.kind) {
    case ParamKind::Number: return formatParamNumber(p.minValue) + " .. " + formatParamNumber(p.maxValue);
    case ParamKind::Integer: {
        if (p.allowed.empty()) return formatParamNumber(p.minValue) + " .. " + formatParamNumber(p.maxValue);
        std::string out;
        for (double v : p.allowed) out += (out.empty() ? "" : ", ") + formatParamNumber(v);
        return out;
    }
    case ParamKind::Choice: return quotedList(p.choices);
    default: return "";
    }
}

std::string defaultOf(const ParamDescriptor& p) {
    if (p.required) return "required";
    switch (p.kind) {
    case ParamKind::Number:
    case ParamKind::Integer: return formatParamNumber(p.defaultValue);
    case ParamKind::Flag: return p.defaultValue != 0.0 ? "true" : "false";
    case ParamKind::Choice: return "\"" + p.defaultText + "\"";
    case ParamKind::Text: return p.defaultText.empty() ? "none" : "\"" + p.defaultText + "\"";
    case ParamKind::Tables: return "";
    }
    return "";
}

// One cell for a family: the value most of its types share, then the others by type,
// e.g. "1 .. 96000 (tilt: 20 .. 20000)". Empty values (no note) are left out.
std::string cell(const std::vector<std::pair<std::string, std::string>>& byType) {
    std::vector<std::pair<std::string, std::string>> groups;  // value, types
    std::vector<int> sizes;
    for (const auto& [type, value] : byType) {
        if (value.empty()) continue;
        bool found = false;
        for (std::size_t g = 0; g < groups.size(); ++g)
            if (groups[g].first == value) {
                groups[g].second += ", " + type;
                ++sizes[g];
                found = true;
            }
        if (!found) {
            groups.emplace_back(value, type);
            sizes.push_back(1);
        }
    }
    if (groups.empty()) return "";
    const bool allAgree = groups.size() == 1 && sizes[0] == static_cast<int>(byType.size());
    if (allAgree) return groups[0].first;
    std::size_t most = 0;
    for (std::size_t g = 1; g < groups.size(); ++g)
        if (sizes[g] > sizes[most]) most = g;
    // Shared by more than one type and by more than the others: written without names.
    const bool lead = groups.size() > 1 && sizes[most] > 1;
    std::string out = lead ? groups[most].first : "";
    std::string rest;
    for (std::size_t g = 0; g < groups.size(); ++g)
        if (!lead || g != most) rest += (rest.empty() ? "" : "; ") + groups[g].second + ": " + groups[g].first;
    return lead ? out + " (" + rest + ")" : rest;
}

}  // namespace

std::string processorParamTable(const std::vector<std::string>& types) {
    // "multiband_compressor.band" names the keys of that type's nested tables.
    struct Member {
        std::string name;
        const std::vector<ParamDescriptor>* params;
    };
    std::vector<Member> family;
    for (const auto& t : types) {
        const bool nested = t.size() > 5 && t.compare(t.size() - 5, 5, ".band") == 0;
        const ProcessorDescriptor* d = findProcessorDescriptor(nested ? t.substr(0, t.size() - 5) : t);
        if (!d) throw ConfigError("docs: no insert type \"" + t + "\"");
        family.push_back({d->type, nested ? &d->tableParams : &d->params});
    }
    std::vector<std::string> keys;  // in order of first appearance
    for (const auto& m : family)
        for (const auto& p : *m.params)
            if (std::find(keys.begin(), keys.end(), p.key) == keys.end()) keys.push_back(p.key);

    const bool several = family.size() > 1;
    std::string out = several ? "| key | unit | range | default | used by | notes |\n|---|---|---|---|---|---|\n"
                              : "| key | unit | range | default | notes |\n|---|---|---|---|---|\n";
    for (const auto& key : keys) {
        std::vector<std::pair<std::string, std::string>> unit, range, fallback, note;
        std::string usedBy;
        for (const auto& m : family) {
            const auto it = std::find_if(m.params->begin(), m.params->end(), [&](const ParamDescriptor& p) { return p.key == key; });
            if (it == m.params->end()) continue;
            unit.emplace_back(m.name, unitOf(*it));
            range.emplace_back(m.name, rangeOf(*it));
            fallback.emplace_back(m.name, defaultOf(*it));
            note.emplace_back(m.name, it->note);
            usedBy += (usedBy.empty() ? "" : ", ") + m.name;
        }
        if (unit.size() == family.size()) usedBy = "all";
        out += "| `" + key + "` | " + cell(unit) + " | " + cell(range) + " | " + cell(fallback) + " | ";
        if (several) out += usedBy + " | ";
        out += cell(note) + " |\n";
    }
    return out;
}

std::string withProcessorParamTables(const std::string& markdown) {
    static const std::string open = "<!-- params:", close = "<!-- end params -->";
    std::string out;
    std::size_t at = 0;
    while (true) {
        const std::size_t start = markdown.find(open, at);
        if (start == std::string::npos) break;
        const std::size_t headerEnd = markdown.find("-->", start);
        const std::size_t end = markdown.find(close, headerEnd);
        if (headerEnd == std::string::npos || end == std::string::npos) throw ConfigError("docs: a params block is not closed");
        std::istringstream names(markdown.substr(start + open.size(), headerEnd - start - open.size()));
        std::vector<std::string> types;
        for (std::string t; names >> t;) types.push_back(t);
        out += markdown.substr(at, headerEnd + 3 - at) + "\n" + processorParamTable(types);
        out += close;
        at = end + close.size();
    }
    return out + markdown.substr(at);
}

}  // namespace bounce
