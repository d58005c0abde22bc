// `bounce batch master|check|analyze DIR -o OUT`: a folder (a label's catalogue) through one
// command, on this machine or, with a broker, on `bounce worker`s anywhere (issue 24;
// docs/scale-out.md). With a broker the jobs are named by what they are (the input's path,
// size and time, the output, the options), so a submitter run again after an interruption
// finds its jobs instead of queueing them twice, and waits for the rest. A summary of every
// file's result is written as CSV and JSON into OUT.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace bounce {

struct CatalogueProgress {
    std::size_t total = 0, done = 0, failed = 0, running = 0;
    std::uint64_t workers = 0;  // with a broker: workers alive
};

struct CatalogueSettings {
    std::string kind;  // master, check or analyze
    std::string inputDir, outputDir;
    // bounce master's options by name (applyMasterOption), for master; `target` for check.
    std::vector<std::pair<std::string, std::string>> options;
    std::string queueUrl;  // "": on this machine, `jobs` at a time
    int jobs = 0;          // 0: the number of cores
    std::function<void(const CatalogueProgress&)> onProgress;
};

struct CatalogueItem {
    std::string input, output;     // the file's path, and its result's (the master, or the JSON report)
    std::string id;                // its job's id
    nlohmann::ordered_json state;  // the final state: {"state": "done", figures...} or {"state": "failed", "error": ...}
};

// Every audio file under inputDir (sorted; sub-folders mirrored under outputDir), run;
// writes OUT/batch-summary.csv and OUT/batch-summary.json. Throws ConfigError for bad
// settings (a kind, an option, a folder) before any work.
std::vector<CatalogueItem> runCatalogue(const CatalogueSettings& settings);

// One file's job as queued ({"kind": "master"|"check"|"analyze", "input", "output",
// "report", "options"}): runs it, its outputs flushed to the disk, and returns its final state.
// Throws on failure. What `bounce worker` runs for a batch.
nlohmann::ordered_json runFileJob(const nlohmann::ordered_json& payload);

}  // namespace bounce
