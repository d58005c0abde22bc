#include "bounce/master_options.h"

#include "bounce/error.h"
#include "bounce/sound_file.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace bounce {
namespace {

[[noreturn]] void fail(const std::string& name, const std::string& what, const std::string& value) {
    throw ConfigError("--" + name + " " + what + " (got \"" + value + "\")");
}

double number(const std::string& name, const std::string& value, double min, double max) {
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (value.empty() || !end || *end != '\0' || !(v >= min && v <= max)) {
        char range[96];
        std::snprintf(range, sizeof range, "must be a number from %g to %g", min, max);
        fail(name, range, value);
    }
    return v;
}

std::vector<std::string> commaList(const std::string& text) {
    std::vector<std::string> items;
    for (std::size_t start = 0; start < text.size();) {
        std::size_t end = text.find(',', start);
        if (end == std::string::npos) end = text.size();
        if (end > start) items.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return items;
}

// "tone=1,width=0.5,...": the amounts of reference matching.
MatchAmounts matchAmounts(const std::string& text) {
    MatchAmounts amounts;
    for (const auto& item : commaList(text)) {
        const auto equals = item.find('=');
        const std::string key = item.substr(0, equals);
        double* slot = key == "tone"       ? &amounts.tone
                       : key == "width"    ? &amounts.width
                       : key == "loudness" ? &amounts.loudness
                       : key == "dynamics" ? &amounts.dynamics
                                           : nullptr;
        if (!slot || equals == std::string::npos) fail("match", "takes tone|width|loudness|dynamics=0..1, comma-separated", item);
        *slot = number("match", item.substr(equals + 1), 0.0, 1.0);
    }
    return amounts;
}

bool flag(const std::string& name, const std::string& value) {
    if (value == "true" || value.empty()) return true;
    if (value == "false") return false;
    fail(name, "is a flag (true or false)", value);
}

}  // namespace

const std::vector<std::string>& masterOptionNames() {
    static const std::vector<std::string> names = {
        "target", "lufs",  "ceiling", "style",   "intensity",  "rate", "bits",      "dither", "title",   "artist", "album",   "date",
        "isrc",   "genre", "track",   "artwork", "codec-safe", "set",  "reference", "match",  "dry-run", "strict", "bitrate", "quality"};
    return names;
}

void applyMasterOption(MasterSettings& s, const std::string& name, const std::string& given) {
    // Names of things (targets, styles, dithers) in any case: "Spotify" is spotify.
    const bool named = name == "target" || name == "style" || name == "dither";
    std::string value = given;
    if (named) std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
    if (name == "target") {
        if (!findLoudnessTarget(value)) {
            std::string names;
            for (const auto& t : loudnessTargets()) names += (names.empty() ? "" : ", ") + t.name;
            fail(name, "must be one of " + names, value);
        }
        s.target = value;
        s.targetGiven = true;
    } else if (name == "lufs") {
        s.lufs = number(name, value, kMinTargetLufs, kMaxTargetLufs);
    } else if (name == "ceiling") {
        s.ceilingDbtp = number(name, value, kMinCeilingDbtp, kMaxCeilingDbtp);
    } else if (name == "style") {
        if (std::find(masterStyles().begin(), masterStyles().end(), value) == masterStyles().end())
            fail(name, "must be " + masterStyleNames(), value);
        s.style = value;
    } else if (name == "intensity") {
        s.intensity = number(name, value, 0.0, 1.0);
    } else if (name == "rate") {
        s.outputRate = number(name, value, 8000.0, 384000.0);
    } else if (name == "bits") {
        if (std::find(outputBitsChoices().begin(), outputBitsChoices().end(), value) == outputBitsChoices().end())
            fail(name, "must be 16, 24 or 32f", value);
        s.bits = value;
    } else if (name == "quality") {
        s.vbrQuality = static_cast<int>(number(name, value, 0.0, 9.0));
    } else if (name == "bitrate") {
        s.bitrateKbps = static_cast<int>(number(name, value, 32.0, 512.0));
    } else if (name == "dither") {
        if (value != "tpdf" && value != "shaped" && value != "none") fail(name, "must be tpdf, shaped or none", value);
        s.dither = value;
    } else if (name == "title" || name == "artist" || name == "album" || name == "date" || name == "genre" || name == "isrc" ||
               name == "artwork") {
        if (name == "isrc" && !isValidIsrc(value)) fail(name, "must be 12 characters of ISO 3901 (CC-XXX-YY-NNNNN)", value);
        std::string Metadata::*member = name == "title"    ? &Metadata::title
                                        : name == "artist" ? &Metadata::artist
                                        : name == "album"  ? &Metadata::album
                                        : name == "date"   ? &Metadata::date
                                        : name == "genre"  ? &Metadata::genre
                                        : name == "isrc"   ? &Metadata::isrc
                                                           : &Metadata::artworkPath;
        s.metadata.*member = value;
    } else if (name == "track") {
        int n = 0, m = 0;
        char tail = 0;
        const int fields = std::sscanf(value.c_str(), "%d/%d%c", &n, &m, &tail);
        if (fields < 1 || fields > 2 || n < 1 || (fields == 2 && m < n)) fail(name, "must be N or N/M", value);
        s.metadata.trackNumber = n;
        s.metadata.trackTotal = fields == 2 ? m : 0;
    } else if (name == "codec-safe") {
        s.codecSafe = true;
        s.codecSafeCodecs = value == "all" || value.empty() || value == "true" ? std::vector<std::string>{} : commaList(value);
    } else if (name == "set") {
        const auto equals = value.find('=');
        if (equals == std::string::npos || equals == 0) fail(name, "takes stage.key=number", value);
        char* end = nullptr;
        const std::string number = value.substr(equals + 1);
        const double v = std::strtod(number.c_str(), &end);
        if (number.empty() || !end || *end != '\0') fail(name, "takes stage.key=number", value);
        s.overrides[value.substr(0, equals)] = v;
    } else if (name == "reference") {
        s.references.push_back(value);
    } else if (name == "match") {
        s.match = matchAmounts(value);
    } else if (name == "dry-run") {
        s.dryRun = flag(name, value);
    } else if (name == "strict") {
        s.strict = flag(name, value);
    } else {
        throw ConfigError("unknown option \"" + name + "\" of bounce master");
    }
}

}  // namespace bounce
