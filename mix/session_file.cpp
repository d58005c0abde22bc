#include "bounce/session.h"

#include "bounce/error.h"
#include "bounce/processor_registry.h"
#include "bounce/sound_file.h"
#include "bounce/toml_params.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

namespace bounce {
namespace fs = std::filesystem;

double fadeGain(FadeShape shape, double x) noexcept {
    x = std::clamp(x, 0.0, 1.0);
    switch (shape) {
    case FadeShape::Linear: return x;
    case FadeShape::EqualPower: return std::sin(x * std::numbers::pi / 2.0);
    case FadeShape::Exponential: return x <= 0.0 ? 0.0 : std::pow(10.0, 3.0 * (x - 1.0));  // 60 dB over the fade
    }
    return x;
}

double AutomationLane::valueAt(double seconds) const noexcept {
    if (points.empty()) return 0.0;
    if (seconds <= points.front().first) return points.front().second;
    if (seconds >= points.back().first) return points.back().second;
    const auto next =
        std::upper_bound(points.begin(), points.end(), seconds, [](double t, const std::pair<double, double>& p) { return t < p.first; });
    const auto& [t1, v1] = *next;
    const auto& [t0, v0] = *(next - 1);
    if (curve == AutomationCurve::Hold || t1 <= t0) return v0;
    const double x = (seconds - t0) / (t1 - t0);
    if (curve == AutomationCurve::Exponential && v0 != 0.0 && v1 != 0.0 && (v0 > 0.0) == (v1 > 0.0)) return v0 * std::pow(v1 / v0, x);
    return v0 + (v1 - v0) * x;
}

std::optional<std::pair<std::size_t, std::vector<std::string>>> insertParameterPath(const std::string& parameter) {
    if (parameter.rfind("insert.", 0) != 0) return std::nullopt;
    std::vector<std::string> parts;
    std::size_t from = 0;
    while (from <= parameter.size()) {
        const std::size_t dot = parameter.find('.', from);
        parts.push_back(parameter.substr(from, dot == std::string::npos ? std::string::npos : dot - from));
        if (dot == std::string::npos) break;
        from = dot + 1;
    }
    if (parts.size() < 3 || parts[1].empty() || parts[1].find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    const auto index = static_cast<std::size_t>(std::stoul(parts[1]));
    if (index == 0) return std::nullopt;
    return std::make_pair(index - 1, std::vector<std::string>(parts.begin() + 2, parts.end()));
}

bool setInsertParameter(InsertSpec& insert, const std::vector<std::string>& path, double value) {
    ParamTable* table = &insert.params;
    for (std::size_t i = 0; i + 1 < path.size(); i += 2) {
        auto it = table->entries.find(path[i]);
        if (it == table->entries.end()) return false;
        auto* tables = std::get_if<std::vector<ParamTable>>(&it->second.value);
        if (!tables || path[i + 1].find_first_not_of("0123456789") != std::string::npos || path[i + 1].empty()) return false;
        const auto index = std::stoul(path[i + 1]);
        if (index == 0 || index > tables->size()) return false;
        table = &(*tables)[index - 1];
    }
    if (path.size() % 2 == 0) return false;
    auto& entry = table->entries[path.back()];
    if (!entry.line) entry.line = table->line;
    entry.value = value;
    return true;
}

namespace {

constexpr double kRequired = std::numeric_limits<double>::quiet_NaN();

struct Context {
    std::string path;
    fs::path folder;
    double tempoBpm = 120.0;
    int beatsPerBar = 4;

    [[noreturn]] void fail(int line, const std::string& message) const { throw fileLineError(path, line, message); }
};

PanLaw readPanLaw(const ParamTable& t) {
    const std::string law = t.choice("pan_law", "-3dB", {"-3dB", "-4.5dB", "-6dB", "0dB"});
    return law == "-3dB"     ? PanLaw::ConstantPower3dB
           : law == "-4.5dB" ? PanLaw::Compromise4_5dB
           : law == "-6dB"   ? PanLaw::Linear6dB
                             : PanLaw::Balance0dB;
}

// A time on the session timeline: seconds, or "bar:beat" (both 1-based, beat may be
// fractional) at the session tempo.
double readTime(const ParamTable& t, const std::string& key, const Context& context) {
    const ParamValue* value = t.raw(key);
    if (!value) return 0.0;
    if (const double* seconds = std::get_if<double>(value)) {
        if (*seconds < 0.0 || !std::isfinite(*seconds)) t.fail(key, key + " must be 0 or more seconds");
        return *seconds;
    }
    if (const std::string* text = std::get_if<std::string>(value)) {
        int bar = 0;
        double beat = 0.0;
        char tail = 0;
        if (std::sscanf(text->c_str(), "%d:%lf%c", &bar, &beat, &tail) != 2 || bar < 1 || beat < 1.0 || beat >= context.beatsPerBar + 1.0)
            t.fail(key, key + " must be seconds or \"bar:beat\" like \"5:1\" (got \"" + *text + "\")");
        // In double: a bar number near INT_MAX times the bar's beats overflows an int.
        const double beats = (static_cast<double>(bar) - 1.0) * context.beatsPerBar + (beat - 1.0);
        return beats * 60.0 / context.tempoBpm;
    }
    t.fail(key, key + " must be seconds or \"bar:beat\"");
}

InsertSpec insertFromTable(const ParamTable& table) {
    InsertSpec insert;
    insert.type = table.text("type", "");
    if (insert.type.empty()) throw fileLineError(table.source, table.line, "an insert needs a type");
    insert.params = table;
    insert.params.entries.erase("type");
    return insert;
}

std::vector<InsertSpec> readInserts(const ParamTable& t, int channels) {
    std::vector<InsertSpec> inserts;
    for (const auto& table : t.tables("insert")) {
        inserts.push_back(insertFromTable(table));
        createProcessor(inserts.back(), channels);  // validates keys and ranges, with lines
    }
    return inserts;
}

std::vector<SendSpec> readSends(const ParamTable& t) {
    std::vector<SendSpec> sends;
    for (const auto& table : t.tables("send")) {
        SendSpec send;
        send.line = table.line;
        send.to = table.text("to", "");
        if (send.to.empty()) table.fail("to", "a send needs `to`, the return it feeds");
        send.levelDb = table.number("level_db", 0.0, -96.0, 24.0);
        send.preFader = table.flag("pre_fader", false);
        table.rejectUnknownKeys("a send");
        sends.push_back(send);
    }
    return sends;
}

std::vector<AutomationLane> readAutomation(const ParamTable& t, const std::set<std::string>& parameters,
                                           const std::vector<InsertSpec>* inserts = nullptr, int channels = 2) {
    std::vector<AutomationLane> lanes;
    for (const auto& table : t.tables("automation")) {
        AutomationLane lane;
        lane.line = table.line;
        lane.parameter = table.text("param", "");
        const auto insertPath = inserts ? insertParameterPath(lane.parameter) : std::nullopt;
        if (insertPath) {
            // An insert's parameter: check every point against that parameter's range by
            // building the insert with it.
            if (insertPath->first >= inserts->size())
                table.fail("param", lane.parameter + ": there is no insert " + std::to_string(insertPath->first + 1));
            const InsertSpec& target = (*inserts)[insertPath->first];
            if (!processorIsAutomatable(target.type))
                table.fail("param", lane.parameter + ": a " + target.type + " takes its parameters once, before the render");
            const std::string curve = table.choice("curve", "linear", {"linear", "exponential", "hold"});
            lane.curve = curve == "linear" ? AutomationCurve::Linear
                         : curve == "hold" ? AutomationCurve::Hold
                                           : AutomationCurve::Exponential;
            const auto& rows = table.rows("points", 2);
            if (rows.empty()) table.fail("points", "points must list at least one [time_s, value]");
            for (const auto& row : rows) {
                if (row[0] < 0.0 || (!lane.points.empty() && row[0] < lane.points.back().first))
                    table.fail("points", "automation times must be 0 or more and in order");
                InsertSpec probe = target;
                if (!setInsertParameter(probe, insertPath->second, row[1]))
                    table.fail("param", lane.parameter + ": no such parameter in the " + target.type + " insert");
                try {
                    createProcessor(probe, channels);
                } catch (const ConfigError& e) {
                    const std::string message = e.what();
                    const auto colon = message.find(": ", message.find(':', message.find(':') + 1));
                    table.fail("points",
                               lane.parameter + " automation: " + (colon == std::string::npos ? message : message.substr(colon + 2)));
                }
                lane.points.emplace_back(row[0], row[1]);
            }
            table.rejectUnknownKeys("an automation lane");
            lanes.push_back(std::move(lane));
            continue;
        }
        if (!parameters.count(lane.parameter)) {
            std::string known;
            for (const auto& p : parameters) known += (known.empty() ? "" : ", ") + p;
            if (inserts) known += ", insert.<n>.<key>";
            table.fail("param", "param must be one of " + known + " (got \"" + lane.parameter + "\")");
        }
        const std::string curve = table.choice("curve", "linear", {"linear", "exponential", "hold"});
        lane.curve = curve == "linear" ? AutomationCurve::Linear : curve == "hold" ? AutomationCurve::Hold : AutomationCurve::Exponential;
        const auto& rows = table.rows("points", 2);
        if (rows.empty()) table.fail("points", "points must list at least one [time_s, value]");
        const bool isPan = lane.parameter == "pan";
        for (const auto& row : rows) {
            if (row[0] < 0.0 || (!lane.points.empty() && row[0] < lane.points.back().first))
                table.fail("points", "automation times must be 0 or more and in order");
            if (isPan ? (row[1] < -1.0 || row[1] > 1.0) : (row[1] < -120.0 || row[1] > 24.0))
                table.fail("points", isPan ? "pan points must be between -1 and 1" : "level points must be between -120 and 24 dB");
            lane.points.emplace_back(row[0], row[1]);
        }
        table.rejectUnknownKeys("an automation lane");
        lanes.push_back(std::move(lane));
    }
    return lanes;
}

std::set<std::string> sendParameters(const std::vector<SendSpec>& sends, std::set<std::string> base) {
    for (const auto& s : sends) base.insert("send." + s.to + ".level_db");
    return base;
}

TrackSpec readTrack(const ParamTable& t, const Context& context) {
    TrackSpec track;
    track.line = t.line;
    track.name = t.text("name", "");
    if (track.name.empty()) context.fail(t.line, "a track needs a name");
    const std::string file = t.text("file", "");
    if (file.empty()) context.fail(t.line, "track '" + track.name + "' needs a file");
    fs::path path(file);
    if (path.is_relative()) path = context.folder / path;
    track.file = path.string();
    int channels = 0;
    try {
        SoundFileReader reader(track.file);
        channels = reader.info().channels;
        if (channels > 2)
            t.fail("file", "track '" + track.name + "': " + file + " has " + std::to_string(channels) +
                               " channels; a stereo mix takes mono or stereo files");
        if (reader.info().frames <= 0) t.fail("file", "track '" + track.name + "': " + file + " holds no audio");
    } catch (const ConfigError&) {
        throw;
    } catch (const Error& e) {
        t.fail("file", "track '" + track.name + "': " + e.what());
    }
    track.role = t.text("role", "");
    track.startSeconds = readTime(t, "start", context);
    track.regionStartSeconds = t.number("region_start_s", 0.0, 0.0, 1e7);
    if (t.has("region_end_s")) {
        track.regionEndSeconds = t.number("region_end_s", 0.0, 0.0, 1e7);
        if (*track.regionEndSeconds <= track.regionStartSeconds) t.fail("region_end_s", "region_end_s must be after region_start_s");
    }
    track.gainDb = t.number("gain_db", 0.0, -96.0, 24.0);
    track.pan = t.number("pan", 0.0, -1.0, 1.0);
    track.panLaw = readPanLaw(t);
    track.width = t.number("width", 1.0, 0.0, 4.0);
    track.invertPolarity = t.flag("invert_polarity", false);
    track.mute = t.flag("mute", false);
    track.solo = t.flag("solo", false);
    track.fadeInSeconds = t.number("fade_in_s", 0.0, 0.0, 600.0);
    track.fadeOutSeconds = t.number("fade_out_s", 0.0, 0.0, 600.0);
    const std::string shape = t.choice("fade_shape", "equal_power", {"linear", "equal_power", "exponential"});
    track.fadeShape = shape == "linear" ? FadeShape::Linear : shape == "exponential" ? FadeShape::Exponential : FadeShape::EqualPower;
    const std::string normalize = t.choice("normalize", "none", {"none", "peak", "loudness"});
    track.normalize = normalize == "peak" ? NormalizeMode::Peak : normalize == "loudness" ? NormalizeMode::Loudness : NormalizeMode::None;
    track.normalizeTargetDb = t.number("normalize_target_db", track.normalize == NormalizeMode::Peak ? -6.0 : -23.0, -70.0, 0.0);
    track.bus = t.text("bus", "");
    if (track.bus == "master") track.bus.clear();
    track.pitchSemitones = t.number("pitch_semitones", 0.0, -24.0, 24.0) + t.number("cents", 0.0, -100.0, 100.0) / 100.0;
    track.timeRatio = t.number("time_ratio", 1.0, 0.25, 4.0);
    if (t.has("source_tempo_bpm")) {
        if (t.has("time_ratio")) t.fail("source_tempo_bpm", "give time_ratio or source_tempo_bpm, not both");
        // A loop recorded at its own tempo, stretched to the session's.
        track.timeRatio = t.number("source_tempo_bpm", 120.0, 20.0, 400.0) / context.tempoBpm;
        if (track.timeRatio < 0.25 || track.timeRatio > 4.0) t.fail("source_tempo_bpm", "that tempo change is beyond 4x");
    }
    track.preserveFormants = t.flag("preserve_formants", false);
    track.inserts = readInserts(t, channels);
    track.sends = readSends(t);
    track.automation = readAutomation(t, sendParameters(track.sends, {"gain_db", "pan"}), &track.inserts, channels);
    t.rejectUnknownKeys("track '" + track.name + "'");
    return track;
}

// The keys every strip has: gain_db and the inserts; and but for the master's, a name,
// pan, pan_law and mute. `what` names it in messages ("bus", "return").
void readStrip(const ParamTable& t, const Context& context, const std::string& what, StripSpec& strip) {
    strip.line = t.line;
    if (what != "master") {
        strip.name = t.text("name", "");
        if (strip.name.empty()) context.fail(t.line, "a " + what + " needs a name");
        strip.pan = t.number("pan", 0.0, -1.0, 1.0);
        strip.panLaw = readPanLaw(t);
        strip.mute = t.flag("mute", false);
    }
    strip.gainDb = t.number("gain_db", 0.0, -96.0, 24.0);
    strip.inserts = readInserts(t, 2);
}

BusSpec readBus(const ParamTable& t, const Context& context) {
    BusSpec bus;
    readStrip(t, context, "bus", bus);
    bus.output = t.text("output", "");
    if (bus.output == "master") bus.output.clear();
    bus.sends = readSends(t);
    bus.automation = readAutomation(t, sendParameters(bus.sends, {"gain_db", "pan"}), &bus.inserts);
    t.rejectUnknownKeys("bus '" + bus.name + "'");
    return bus;
}

ReturnSpec readReturn(const ParamTable& t, const Context& context) {
    ReturnSpec r;
    readStrip(t, context, "return", r);
    r.automation = readAutomation(t, {"gain_db", "pan"}, &r.inserts);
    t.rejectUnknownKeys("return '" + r.name + "'");
    return r;
}

MasterSpec readMaster(const ParamTable& m, const Context& context) {
    MasterSpec master;
    readStrip(m, context, "master", master);
    master.automation = readAutomation(m, {"gain_db"}, &master.inserts);
    master.outputSampleRate = m.number("sample_rate", 0.0, 0.0, 384000.0);
    if (master.outputSampleRate != 0.0 && master.outputSampleRate < 8000.0)
        m.fail("sample_rate", "the output sample_rate must be between 8000 and 384000 Hz");
    master.bits = m.choice("bits", "24", outputBitsChoices());
    m.rejectUnknownKeys("[master]");
    return master;
}

// The file's top level: the scalars (tempo is needed to read bar:beat times, so they are
// read first) and the tables, each kind in its list.
struct SessionTables {
    ParamTable top;
    std::vector<ParamTable> tracks, buses, returns;
    std::optional<ParamTable> master;
};

SessionTables sessionTables(const toml::table& root, const std::string& path, const Context& context) {
    SessionTables tables;
    tables.top.source = path;
    tables.top.line = 1;
    for (const auto& entry : root) {
        // Named, not a structured binding: the lambda below captures it (clang 14 cannot
        // capture a binding).
        const toml::node& node = entry.second;
        const std::string name(entry.first.str());
        const int line = static_cast<int>(node.source().begin.line);
        const auto tablesOf = [&](std::vector<ParamTable>& into) {
            const auto* array = node.as_array();
            if (!array || !array->is_array_of_tables()) context.fail(line, name + " must be written as [[" + name + "]] tables");
            for (const auto& element : *array) into.push_back(paramTableFromToml(*element.as_table(), path));
        };
        if (name == "track") {
            tablesOf(tables.tracks);
        } else if (name == "bus") {
            tablesOf(tables.buses);
        } else if (name == "return") {
            tablesOf(tables.returns);
        } else if (name == "master") {
            if (!node.is_table()) context.fail(line, "master must be a [master] table");
            tables.master = paramTableFromToml(*node.as_table(), path);
        } else if (name == "sample_rate" || name == "tempo_bpm" || name == "beats_per_bar" || name == "tail_s") {
            if (!node.is_number()) context.fail(line, name + " must be a number");
            tables.top.entries[name] = {node.is_integer() ? static_cast<double>(node.as_integer()->get()) : node.as_floating_point()->get(),
                                        line};
        } else {
            context.fail(line, "unknown key '" + name +
                                   "' (a session holds sample_rate, tempo_bpm, beats_per_bar, tail_s, "
                                   "[[track]], [[bus]], [[return]] and [master])");
        }
    }
    return tables;
}

// Names are unique; every reference resolves; buses form no cycle.
void checkRouting(const Session& session, const Context& context) {
    std::map<std::string, int> buses, returns, tracks;
    for (const auto& t : session.tracks)
        if (!tracks.emplace(t.name, t.line).second) context.fail(t.line, "a second track named '" + t.name + "'");
    for (const auto& b : session.buses)
        if (!buses.emplace(b.name, b.line).second || b.name == "master") context.fail(b.line, "a second bus named '" + b.name + "'");
    for (const auto& r : session.returns)
        if (!returns.emplace(r.name, r.line).second || buses.count(r.name))
            context.fail(r.line, "the name '" + r.name + "' is already used by another bus or return");
    const auto listOf = [](const std::map<std::string, int>& names) {
        std::string list;
        for (const auto& [name, line] : names) list += (list.empty() ? "" : ", ") + name;
        return list.empty() ? std::string("none") : list;
    };
    const auto checkSends = [&](const std::vector<SendSpec>& sends) {
        for (const auto& s : sends)
            if (!returns.count(s.to)) context.fail(s.line, "send to unknown return '" + s.to + "' (returns: " + listOf(returns) + ")");
    };
    for (const auto& t : session.tracks) {
        if (!t.bus.empty() && !buses.count(t.bus))
            context.fail(t.line, "track '" + t.name + "' feeds unknown bus '" + t.bus + "' (buses: " + listOf(buses) + ")");
        checkSends(t.sends);
    }
    for (const auto& b : session.buses) {
        if (!b.output.empty() && !buses.count(b.output))
            context.fail(b.line, "bus '" + b.name + "' outputs to unknown bus '" + b.output + "' (buses: " + listOf(buses) + ")");
        checkSends(b.sends);
    }
    for (const auto& b : session.buses) {
        // Follow the outputs; coming back to the start is a cycle.
        std::string chain = b.name, at = b.output;
        std::set<std::string> seen{b.name};
        while (!at.empty()) {
            chain += " -> " + at;
            if (!seen.insert(at).second) context.fail(b.line, "buses feed each other in a cycle: " + chain);
            at = std::find_if(session.buses.begin(), session.buses.end(), [&](const BusSpec& x) { return x.name == at; })->output;
        }
    }
}

}  // namespace

Session readSessionFile(const std::string& path) {
    const toml::table root = readTomlFile(path, "session file");
    Context context;
    context.path = path;
    context.folder = fs::path(path).parent_path();
    Session session;
    session.path = path;
    const SessionTables tables = sessionTables(root, path, context);
    const ParamTable& top = tables.top;
    session.sampleRate = top.number("sample_rate", 0.0, 8000.0, 384000.0);
    if (session.sampleRate != std::floor(session.sampleRate)) top.fail("sample_rate", "sample_rate must be a whole number of Hz");
    session.tempoBpm = context.tempoBpm = top.number("tempo_bpm", 120.0, 20.0, 400.0);
    session.beatsPerBar = context.beatsPerBar = top.integer("beats_per_bar", 4, 1, 32);
    session.tailSeconds = top.number("tail_s", 2.0, 0.0, 60.0);

    for (const auto& t : tables.tracks) session.tracks.push_back(readTrack(t, context));
    for (const auto& t : tables.buses) session.buses.push_back(readBus(t, context));
    for (const auto& t : tables.returns) session.returns.push_back(readReturn(t, context));
    if (tables.master) session.master = readMaster(*tables.master, context);
    if (session.tracks.empty()) context.fail(1, "a session needs at least one [[track]]");
    if (session.sampleRate == 0.0) {
        // Not given: the rate of the first track's file.
        session.sampleRate = SoundFileReader(session.tracks.front().file).info().sampleRate;
    }
    checkRouting(session, context);
    return session;
}

}  // namespace bounce
