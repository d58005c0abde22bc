#include "commands.h"

#include "bounce/atomic_output.h"
#include "bounce/error.h"
#include "bounce/master.h"
#include "bounce/master_options.h"
#include "bounce/batch.h"
#include "bounce/batch_report.h"
#include "bounce/master_report.h"
#include "bounce/sound_file.h"
#include "bounce/standard_streams.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include <unistd.h>

namespace bounce::cli {
namespace {

struct MasterArgs {
    std::vector<std::string> inputs;
    std::string output, format, jsonPath, reportPath;
    int jobs = 0;
    // The library's options as given, by name (masterOptionNames()): one parse for the CLI
    // and the service (applyMasterOption).
    std::map<std::string, std::vector<std::string>> values;
    bool dryRun = false, strict = false;
    std::string codecSafe;  // the --codec-safe list
    bool codecSafeGiven = false;
};

MasterSettings settingsFrom(MasterArgs& args) {
    MasterSettings s;
    for (const auto& name : masterOptionNames())
        for (const auto& value : args.values[name]) applyMasterOption(s, name, value);
    if (args.codecSafeGiven) applyMasterOption(s, "codec-safe", args.codecSafe);
    applyMasterOption(s, "dry-run", args.dryRun ? "true" : "false");
    applyMasterOption(s, "strict", args.strict ? "true" : "false");
    s.format = args.format;
    s.verbose = verbose();
    return s;
}

// IN.master.EXT, in `folder` (or beside the input when it is empty).
std::string defaultOutput(const std::string& input, const std::string& folder, const std::string& format) {
    const std::filesystem::path in(input);
    const std::string name = in.stem().string() + ".master" + outputExtension(format);
    return ((folder.empty() ? in.parent_path() : std::filesystem::path(folder)) / name).string();
}

int runOne(const MasterArgs& args, MasterSettings s) {
    // "-": standard input and output (spooled through scratch files: StandardStreams).
    StandardStreams streams;
    if (args.inputs.front() == kStandardStream && args.output.empty())
        throw ConfigError("reading standard input: say where the master goes (-o FILE, or -o - for standard output)");
    const std::string extension = outputExtension(args.format);
    const std::string output =
        args.output.empty() ? defaultOutput(args.inputs.front(), "", args.format) : streams.output(args.output, extension);
    writableFormatForPath(output, args.format);  // a name or --format Bounce cannot write: refused before any work
    const std::string input = streams.input(args.inputs.front());
    s.onProgress = terminalProgress("mastering");
    // The report may not replace an input or the master itself: refused before any work.
    std::vector<std::string> reportInputs = masterInputs(input, s);
    reportInputs.push_back(output);
    if (!args.jsonPath.empty()) ensureNotAnInput(args.jsonPath, reportInputs);
    if (!args.reportPath.empty()) {
        ensureNotAnInput(args.reportPath, reportInputs);
        if (s.dryRun) throw ConfigError("--report draws the master it wrote: not with --dry-run");
    }
    MasterResult result = masterFile(input, output, s);
    if (streams.outputIsStandard()) result.output.path = "standard output";
    if (args.inputs.front() == kStandardStream) result.input.path = "standard input";
    // With the master on standard output, the summary goes to standard error.
    if (!quiet()) (streams.outputIsStandard() ? std::cerr : std::cout) << masterSummary(result, s.dryRun);
    for (const auto& w : result.warnings) std::cerr << "bounce: warning: " << w << "\n";
    if (!args.jsonPath.empty()) writeTextFile(args.jsonPath, masterToJson(result, s).dump(2) + "\n", reportInputs);
    if (!args.reportPath.empty()) {
        MasterHtmlOptions page;
        page.title =
            std::filesystem::path(args.inputs.front() == kStandardStream ? "standard input" : args.inputs.front()).filename().string();
        writeTextFile(args.reportPath, masterReportPage(result, s, input, output, page), reportInputs);
        if (!quiet()) (streams.outputIsStandard() ? std::cerr : std::cout) << "wrote " << args.reportPath << " (open it in a browser)\n";
    }
    if (!s.dryRun) streams.sendOutput();
    return kExitOk;
}

// Many inputs (or -o naming a folder): each mastered into the folder with its own report
// (NAME.master.json beside NAME.master.wav), --jobs at a time; one failure does not stop
// the rest, and the exit code says some failed.
int runMany(const MasterArgs& args, const MasterSettings& settings) {
    if (!args.jsonPath.empty())
        throw ConfigError("--json names one report; a batch writes NAME.master.json beside each master (drop --json)");
    if (!args.reportPath.empty()) throw ConfigError("--report names one page: master one file with it");
    const std::string& folder = args.output;
    for (const auto& input : args.inputs)
        if (input == kStandardStream) throw ConfigError("- (standard input) can be the only input, not one of a batch");
    std::vector<std::string> outputs;
    for (const auto& input : args.inputs) {
        outputs.push_back(defaultOutput(input, folder, args.format));
        writableFormatForPath(outputs.back(), args.format);
        for (std::size_t j = 0; j + 1 < outputs.size(); ++j)
            if (outputs[j] == outputs.back())
                throw ConfigError(args.inputs[j] + " and " + input + " would both be mastered to " + outputs.back());
    }
    std::error_code ec;
    if (!folder.empty() && !std::filesystem::is_directory(folder, ec) && !std::filesystem::create_directories(folder, ec))
        throw ConfigError(folder + ": cannot make the output folder (" + ec.message() + ")");
    std::vector<MasterResult> results(args.inputs.size());
    BatchProgress progress("mastered", args.inputs.size());
    const auto outcomes = runBatch(
        args.inputs.size(), args.jobs,
        [&](std::size_t i) {
            const std::string report = std::filesystem::path(outputs[i]).replace_extension(".json").string();
            std::vector<std::string> reportInputs = masterInputs(args.inputs[i], settings);
            reportInputs.push_back(outputs[i]);
            ensureNotAnInput(report, reportInputs);
            results[i] = masterFile(args.inputs[i], outputs[i], settings);
            if (!settings.dryRun) writeTextFile(report, masterToJson(results[i], settings).dump(2) + "\n", reportInputs);
        },
        [&](std::size_t i, const BatchOutcome& outcome) {
            progress.finished(args.inputs[i], outcome, outcome.ok ? outputs[i] : "");
            for (const auto& w : results[i].warnings) std::cerr << "bounce: " << args.inputs[i] << ": warning: " << w << "\n";
        });
    std::vector<BatchRow> rows;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        BatchRow row{args.inputs[i], outcomes[i].ok, {}, outcomes[i].error};
        if (row.ok) {
            const MasterResult& r = results[i];
            row.cells = {formatNumber(r.output.integratedLufs, 1), formatNumber(r.output.truePeakDbtp, 2), std::to_string(r.passes),
                         settings.dryRun ? "(dry run)" : outputs[i]};
        }
        rows.push_back(std::move(row));
    }
    if (!quiet()) std::cout << batchSummary("mastered", {"LUFS", "dBTP", "passes", "output"}, rows);
    return progress.failures() > 0 ? kExitFailed : kExitOk;
}

int runMaster(MasterArgs args) {
    const MasterSettings s = settingsFrom(args);
    std::error_code ec;
    const bool toFolder = !args.output.empty() && (args.output.back() == '/' || std::filesystem::is_directory(args.output, ec));
    if (args.inputs.size() == 1 && !toFolder) return runOne(args, s);
    return runMany(args, s);
}

}  // namespace

std::function<int()> addMasterCommand(CLI::App& app) {
    auto a = std::make_shared<MasterArgs>();
    CLI::App* cmd = app.add_subcommand("master", "Master a stereo file to a platform's loudness with a true-peak ceiling");
    cmd->add_option("inputs", a->inputs, "The mix to master (several: a batch, see -o and --jobs)")->required();
    cmd->add_option("-o,--output", a->output,
                    "Output file (default IN.master.wav beside the input); with several inputs, or ending in /, a folder for "
                    "NAME.master.wav and its report NAME.master.json");
    cmd->add_option("--jobs", a->jobs, "Masters at a time in a batch (default: the machine's cores)")->check(CLI::Range(1, 256));
    cmd->add_option("--format", a->format, "wav, aiff, flac, alac, mp3, aac, opus, ogg or w64 (default: from -o's name, else wav)")
        ->check(CLI::IsMember(outputFormatChoices(), CLI::ignore_case));
    cmd->add_option("--json", a->jsonPath, "Write the report as JSON");
    cmd->add_option("--report", a->reportPath,
                    "Write an HTML report: mix and master side by side (loudness, true peak and gain reduction over time, spectra, tone, "
                    "width), what was done and why, pass or fail against the target");
    // The library's options: strings here, parsed (and checked) by applyMasterOption.
    const auto option = [&](const std::string& name, const std::string& help) {
        return cmd->add_option("--" + name, a->values[name], help)->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    };
    option("target",
           "spotify, spotify-loud, spotify-quiet, apple, youtube, tidal, amazon, deezer, soundcloud, ebu-r128, atsc-a85, cd (default "
           "spotify; any case)");
    option("lufs", "Integrated loudness target (overrides the target's)");
    option("ceiling", "True-peak ceiling in dBTP (overrides the target's)");
    option("style", masterStyleNames() + " (default neutral)");
    option("intensity", "How far the style goes, 0 .. 1 (default 0.5)");
    option("bits", "16, 24 or 32f (default: the target's, else 24; 16 is dithered; 24-bit rounding sits below any converter's noise)");
    option("dither", "tpdf, shaped or none, at 16 bits (default tpdf)");
    option("rate", "Output sample rate in Hz");
    option("bitrate", "kbit/s of an MP3 or AAC master (default 320 for MP3, 256 for AAC; measured decoded)");
    option("quality", "An MP3 master at a variable bit rate: LAME's scale, 0 (best) to 9, instead of --bitrate");
    option("title", "Title");
    option("artist", "Artist");
    option("album", "Album");
    option("date", "Release date or year");
    option("isrc", "ISRC (12 characters)");
    option("genre", "Genre");
    option("track", "Track number, N or N/M");
    option("artwork", "Cover image (JPEG or PNG)");
    option("reference", "Match tone, width and loudness to this track (repeat for several: their average)")->check(CLI::ExistingFile);
    option("match", "How far to match, e.g. tone=1,width=1,loudness=1,dynamics=0.5 (the defaults)");
    option("set", "Override one stage setting, e.g. --set width.width=1.1 (see docs/master.md)");
    cmd->add_flag("--dry-run", a->dryRun, "Measure and say what would be done; write nothing");
    cmd->add_flag("--strict", a->strict, "Fail when the target cannot be reached without heavy limiting");
    // A flag with an optional value: --codec-safe alone (all codecs), or --codec-safe=aac,opus.
    // A flag never takes the next argument, so the input file cannot be read as the list.
    auto* codecSafe = cmd->add_flag(
        "--codec-safe{all}", a->codecSafe,
        "Keep the decoded AAC/MP3/Opus round trips (ffmpeg) under the ceiling too; optionally =LIST, e.g. --codec-safe=aac,opus");
    return [a, codecSafe] {
        a->codecSafeGiven = codecSafe->count() > 0;
        return runMaster(*a);
    };
}

}  // namespace bounce::cli
