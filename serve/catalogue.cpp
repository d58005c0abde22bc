#include "bounce/catalogue.h"

#include "bounce/analysis.h"
#include "bounce/analysis_report.h"
#include "bounce/atomic_output.h"
#include "bounce/batch.h"
#include "bounce/check.h"
#include "bounce/check_report.h"
#include "bounce/error.h"
#include "bounce/job_queue.h"
#include "bounce/master.h"
#include "bounce/master_options.h"
#include "bounce/master_report.h"
#include "bounce/sound_file.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace bounce {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

const std::set<std::string>& audioExtensions() {
    static const std::set<std::string> extensions = {".wav", ".w64", ".aif", ".aiff", ".flac", ".mp3", ".ogg", ".opus", ".m4a"};
    return extensions;
}

std::string lowered(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// A job's id from what it is: FNV-1a (64 bits) of the kind, the input's path, size and
// modification time, the output and the options. The same file and settings give the same
// id (a resumed batch finds its jobs); a changed file gives a new one.
std::string jobIdOf(const Json& payload, const fs::path& input) {
    std::error_code ec;
    const auto size = fs::file_size(input, ec);
    const auto time = fs::last_write_time(input, ec).time_since_epoch().count();
    const std::string key = payload.dump() + "|" + std::to_string(size) + "|" + std::to_string(time);
    std::uint64_t hash = 0xcbf29ce484222325ull;
    for (unsigned char c : key) hash = (hash ^ c) * 0x100000001b3ull;
    char id[17];
    std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(hash));
    return id;
}

MasterSettings masterSettingsOf(const Json& options) {
    MasterSettings s;
    for (const auto& pair : options) {
        const std::string name = pair.at(0).get<std::string>(), value = pair.at(1).get<std::string>();
        if (name == "format") {
            s.format = value;
        } else {
            applyMasterOption(s, name, value);
        }
    }
    return s;
}

std::string optionValue(const Json& options, const std::string& name) {
    for (const auto& pair : options)
        if (pair.at(0) == name) return pair.at(1).get<std::string>();
    return {};
}

// The result's file for an input: NAME.master.EXT, NAME.check.json or NAME.analysis.json,
// in the output folder's mirror of the input's sub-folder.
std::string outputFor(const CatalogueSettings& s, const fs::path& input) {
    const fs::path relative = fs::relative(input, s.inputDir);
    const fs::path folder = fs::path(s.outputDir) / relative.parent_path();
    const std::string stem = input.stem().string();
    if (s.kind == "master") {
        std::string format;
        for (const auto& [name, value] : s.options)
            if (name == "format") format = value;
        return (folder / (stem + ".master" + (format.empty() ? std::string(".wav") : extensionFor(outputFormatNamed(format))))).string();
    }
    return (folder / (stem + (s.kind == "check" ? ".check.json" : ".analysis.json"))).string();
}

void checkSettings(const CatalogueSettings& s) {
    if (s.kind != "master" && s.kind != "check" && s.kind != "analyze")
        throw ConfigError("bounce batch " + s.kind + ": give master, check or analyze");
    std::error_code ec;
    if (!fs::is_directory(s.inputDir, ec)) throw ConfigError(s.inputDir + ": not a folder");
    if (s.outputDir.empty()) throw ConfigError("bounce batch: say where the results go (-o FOLDER)");
    MasterSettings scratch;
    for (const auto& [name, value] : s.options) {
        if (s.kind == "analyze") throw ConfigError("bounce batch analyze takes no option --" + name);
        if (s.kind == "check" && name != "target") throw ConfigError("bounce batch check takes --target only, not --" + name);
        if (s.kind == "check" && !findLoudnessTarget(value)) throw ConfigError("--target " + value + ": no such target");
        if (s.kind != "master") continue;
        if (name == "format") {
            outputFormatNamed(value);
        } else {
            applyMasterOption(scratch, name, value);  // throws ConfigError naming the option
        }
    }
}

void writeSummary(const CatalogueSettings& s, const std::vector<CatalogueItem>& items) {
    Json rows = Json::array();
    std::string csv = "input,output,state,integrated_lufs,true_peak_dbtp,error\n";
    const auto quoted = [](const std::string& text) {
        std::string out = "\"";
        for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
        return out + "\"";
    };
    for (const auto& item : items) {
        Json row = {{"input", item.input}, {"output", item.output}, {"id", item.id}};
        for (const auto& [key, value] : item.state.items()) row[key] = value;
        rows.push_back(row);
        const auto figure = [&](const char* name) {
            return item.state.contains(name) && item.state[name].is_number() ? item.state[name].dump() : std::string();
        };
        csv += quoted(item.input) + "," + quoted(item.output) + "," + item.state.value("state", "unknown") + "," +
               figure("integrated_lufs") + "," + figure("true_peak_dbtp") + "," + quoted(item.state.value("error", "")) + "\n";
    }
    std::vector<std::string> inputs;
    for (const auto& item : items) inputs.push_back(item.input);
    writeTextFile((fs::path(s.outputDir) / "batch-summary.csv").string(), csv, inputs);
    writeTextFile((fs::path(s.outputDir) / "batch-summary.json").string(),
                  Json{{"kind", s.kind}, {"input", s.inputDir}, {"files", rows}}.dump(2) + "\n", inputs);
}

}  // namespace

Json runFileJob(const Json& payload) {
    const std::string kind = payload.at("kind").get<std::string>();
    const std::string input = payload.at("input").get<std::string>();
    const std::string output = payload.at("output").get<std::string>();
    const Json& options = payload.at("options");
    fs::create_directories(fs::path(output).parent_path());
    Json state = {{"state", "done"}, {"progress", 100}, {"output", output}};
    if (kind == "master") {
        const MasterSettings settings = masterSettingsOf(options);
        const std::string report = payload.at("report").get<std::string>();
        ensureNotAnInput(report, {input, output});
        const MasterResult result = masterFile(input, output, settings);
        writeTextFile(report, masterToJson(result, settings).dump(2) + "\n", {input, output});
        syncToDisk(output);
        syncToDisk(report);
        state["integrated_lufs"] = rounded(result.output.integratedLufs, 1);
        state["true_peak_dbtp"] = rounded(result.output.truePeakDbtp, 2);
        state["passes"] = result.passes;
    } else if (kind == "check") {
        CheckSettings settings;
        settings.target = optionValue(options, "target");
        settings.codecs = false;  // lossy round trips: bounce check on the file itself
        const CheckResult result = checkFile(input, settings);
        writeTextFile(output, checkToJson(result).dump(2) + "\n", {input});
        syncToDisk(output);
        state["integrated_lufs"] = rounded(result.analysis.integratedLufs, 1);
        state["true_peak_dbtp"] = rounded(result.analysis.truePeakDbtp, 2);
        std::size_t errors = 0;
        for (const auto& f : result.findings) errors += f.severity == Severity::Error;
        state["errors"] = errors;
        if (result.verdict) state["verdict"] = result.verdict->passes() ? "passes" : "fails";
    } else if (kind == "analyze") {
        const AnalysisResult result = analyzeFile(input);
        writeTextFile(output, analysisToJson(result).dump(2) + "\n", {input});
        syncToDisk(output);
        state["integrated_lufs"] = rounded(result.integratedLufs, 1);
        state["true_peak_dbtp"] = rounded(result.truePeakDbtp, 2);
        state["loudness_range_lu"] = rounded(result.loudnessRangeLu, 1);
    } else {
        throw Error("a job of an unknown kind '" + kind + "' (a newer version's?)");
    }
    return state;
}

namespace {

// Every audio file under the input folder, as items and the payloads of their jobs.
void collectItems(const CatalogueSettings& s, std::vector<CatalogueItem>& items, std::vector<Json>& payloads) {
    std::vector<fs::path> inputs;
    for (const auto& entry : fs::recursive_directory_iterator(s.inputDir)) {
        if (!entry.is_regular_file() || !audioExtensions().count(lowered(entry.path().extension().string()))) continue;
        // Not a result of an earlier batch written into the folder itself.
        if (entry.path().filename().string().find(".master.") != std::string::npos) continue;
        inputs.push_back(fs::absolute(entry.path()).lexically_normal());
    }
    std::sort(inputs.begin(), inputs.end());
    if (inputs.empty()) throw ConfigError(s.inputDir + ": no audio files in it (wav, flac, aiff, mp3, ogg, opus, m4a, w64)");
    Json options = Json::array();
    for (const auto& [name, value] : s.options) options.push_back({name, value});
    for (const auto& input : inputs) {
        CatalogueItem item;
        item.input = input.string();
        item.output = outputFor(s, input);
        Json payload = {{"kind", s.kind}, {"input", item.input}, {"output", item.output}, {"options", options}};
        if (s.kind == "master") payload["report"] = fs::path(item.output).replace_extension(".json").string();
        item.id = jobIdOf(payload, input);
        items.push_back(std::move(item));
        payloads.push_back(std::move(payload));
    }
    std::set<std::string> outputs;
    for (const auto& item : items)
        if (!outputs.insert(item.output).second) throw ConfigError("two files would both go to " + item.output);
}

void runHere(const CatalogueSettings& s, std::vector<CatalogueItem>& items, const std::vector<Json>& payloads,
             CatalogueProgress& progress) {
    runBatch(
        items.size(), s.jobs,
        [&](std::size_t i) {
            try {
                items[i].state = runFileJob(payloads[i]);
            } catch (const std::exception& e) {
                items[i].state = {{"state", "failed"}, {"progress", 100}, {"error", e.what()}};
            }
        },
        [&](std::size_t i, const BatchOutcome&) {
            ++(items[i].state.value("state", "") == "done" ? progress.done : progress.failed);
            if (s.onProgress) s.onProgress(progress);
        });
}

void runOnWorkers(const CatalogueSettings& s, std::vector<CatalogueItem>& items, const std::vector<Json>& payloads,
                  CatalogueProgress& progress) {
    RedisJobQueue queue(s.queueUrl);
    // Submit what the broker does not know yet (a resumed batch: only what is missing).
    std::vector<std::string> ids;
    for (const auto& item : items) ids.push_back(item.id);
    const auto known = queue.states(ids);
    for (std::size_t i = 0; i < items.size(); ++i)
        if (!known[i]) queue.enqueue(items[i].id, payloads[i].dump());
    // Then follow them until each is finished: only the unfinished are asked after, in one
    // round trip, and less often the more there are (a 10 000-file catalogue asks every
    // 5 s), so that a submitter costs the broker little beside the workers.
    std::vector<std::size_t> unfinished(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) unfinished[i] = i;
    while (!unfinished.empty()) {
        ids.clear();
        for (const std::size_t i : unfinished) ids.push_back(items[i].id);
        const auto states = queue.states(ids);
        std::vector<std::size_t> still;
        progress.running = 0;
        for (std::size_t k = 0; k < unfinished.size(); ++k) {
            const std::size_t i = unfinished[k];
            Json state = Json::parse(states[k].value_or("{}"), nullptr, false);
            if (state.is_discarded() || !states[k]) state = {{"state", "failed"}, {"error", "its job is gone from the broker"}};
            const std::string name = state.value("state", "");
            progress.done += name == "done";
            progress.failed += name == "failed";
            progress.running += name == "running";
            if (name != "done" && name != "failed") still.push_back(i);
            items[i].state = std::move(state);
        }
        unfinished = std::move(still);
        progress.workers = queue.figures(std::chrono::seconds(60)).workers;
        if (s.onProgress) s.onProgress(progress);
        if (!unfinished.empty())
            std::this_thread::sleep_for(
                std::chrono::duration<double>(std::clamp(static_cast<double>(unfinished.size()) / 2000.0, 0.5, 5.0)));
    }
}

}  // namespace

std::vector<CatalogueItem> runCatalogue(const CatalogueSettings& settings) {
    checkSettings(settings);
    CatalogueSettings s = settings;
    s.inputDir = fs::absolute(settings.inputDir).lexically_normal().string();
    s.outputDir = fs::absolute(settings.outputDir).lexically_normal().string();
    std::vector<CatalogueItem> items;
    std::vector<Json> payloads;
    collectItems(s, items, payloads);
    fs::create_directories(s.outputDir);
    CatalogueProgress progress;
    progress.total = items.size();
    if (s.queueUrl.empty()) {
        runHere(s, items, payloads, progress);
    } else {
        runOnWorkers(s, items, payloads, progress);
    }
    writeSummary(s, items);
    return items;
}

}  // namespace bounce
