#include "commands.h"

#include "bounce/catalogue.h"
#include "bounce/error.h"
#include "bounce/master_options.h"

#include <cstdio>
#include <iostream>
#include <memory>

namespace bounce::cli {
namespace {

struct BatchArgs {
    std::string kind, inputDir, outputDir, queueUrl;
    int jobs = 0;
};

// The options after the folder that are bounce master's (--target spotify, --set a=b, or
// --name=value), as name and value.
std::vector<std::pair<std::string, std::string>> optionPairs(const std::vector<std::string>& extras) {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (std::size_t i = 0; i < extras.size(); ++i) {
        const std::string& word = extras[i];
        if (word == "-q" || word == "--quiet" || word == "-v" || word == "--verbose") {  // bounce's own, after the command
            verbosity() = word == "-q" || word == "--quiet" ? Verbosity::Quiet : Verbosity::Verbose;
            continue;
        }
        if (word.rfind("--", 0) != 0) throw ConfigError("bounce batch: '" + word + "' is not an option (one folder only)");
        const auto equals = word.find('=');
        if (equals != std::string::npos) {
            pairs.emplace_back(word.substr(2, equals - 2), word.substr(equals + 1));
        } else if (word == "--dry-run" || word == "--strict") {
            pairs.emplace_back(word.substr(2), "true");
        } else {
            if (i + 1 >= extras.size()) throw ConfigError("bounce batch: " + word + " needs a value");
            pairs.emplace_back(word.substr(2), extras[++i]);
        }
        const std::string& name = pairs.back().first;
        const auto& names = masterOptionNames();
        if (name != "format" && std::find(names.begin(), names.end(), name) == names.end())
            throw ConfigError("bounce batch: no option --" + name + " (bounce master's options: see bounce master --help)");
    }
    return pairs;
}

int runBatchCommand(const BatchArgs& a, const std::vector<std::string>& extras) {
    CatalogueSettings s;
    s.kind = a.kind;
    s.inputDir = a.inputDir;
    s.outputDir = a.outputDir;
    s.queueUrl = a.queueUrl;
    s.jobs = a.jobs;
    s.options = optionPairs(extras);
    // Progress across the workers on one line (on a terminal), or a line per change.
    std::size_t lastFinished = static_cast<std::size_t>(-1);
    s.onProgress = [&](const CatalogueProgress& p) {
        if (quiet()) return;
        const std::size_t finished = p.done + p.failed;
        const bool terminal = ::isatty(2);
        if (!terminal && finished == lastFinished) return;
        lastFinished = finished;
        char line[160];
        std::snprintf(line, sizeof line, "batch %s: %zu/%zu done, %zu failed, %zu running%s", a.kind.c_str(), p.done, p.total, p.failed,
                      p.running, a.queueUrl.empty() ? "" : (", workers " + std::to_string(p.workers)).c_str());
        std::fprintf(stderr, terminal ? "\r%s   " : "%s\n", line);
    };
    const auto items = runCatalogue(s);
    if (::isatty(2) && !quiet()) std::fprintf(stderr, "\n");
    std::size_t failed = 0;
    for (const auto& item : items)
        if (item.state.value("state", "") != "done") {
            ++failed;
            std::cerr << "bounce: " << item.input << ": " << item.state.value("error", std::string("failed")) << "\n";
        }
    if (!quiet())
        std::cout << items.size() - failed << " of " << items.size() << " files done; summary in " << a.outputDir
                  << "/batch-summary.csv and " << a.outputDir << "/batch-summary.json\n";
    return failed > 0 ? kExitFailed : kExitOk;
}

}  // namespace

std::function<int()> addBatchCommand(CLI::App& app) {
    auto a = std::make_shared<BatchArgs>();
    CLI::App* cmd = app.add_subcommand(
        "batch", "A folder through master, check or analyze, here or on bounce workers (--queue); a summary in CSV and JSON");
    cmd->add_option("kind", a->kind, "master, check or analyze")->required()->check(CLI::IsMember({"master", "check", "analyze"}));
    cmd->add_option("folder", a->inputDir, "The folder of audio files (sub-folders too)")->required()->check(CLI::ExistingDirectory);
    cmd->add_option("-o,--output", a->outputDir, "The folder for the results (sub-folders mirrored) and batch-summary.csv/.json")
        ->required();
    cmd->add_option("--queue", a->queueUrl,
                    "A broker (redis://HOST:PORT): the files go to bounce workers, which must see them at the same paths; run the "
                    "command again to resume");
    cmd->add_option("--jobs", a->jobs, "Files at a time without --queue (default: the machine's cores)")->check(CLI::Range(1, 256));
    cmd->footer("Options after the folder are bounce master's (--target, --lufs, --format, --set ...); check takes --target.");
    cmd->allow_extras();
    return [a, cmd] { return runBatchCommand(*a, cmd->remaining()); };
}

}  // namespace bounce::cli
