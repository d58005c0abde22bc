#include "commands.h"

#include "bounce/atomic_output.h"
#include "bounce/error.h"
#include "bounce/master.h"
#include "bounce/master_options.h"
#include "bounce/master_report.h"
#include "bounce/sound_file.h"

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
    std::string input, output, format, jsonPath;
    // The library's options as given, by name (masterOptionNames()): one parse for the CLI
    // and the service (applyMasterOption).
    std::map<std::string, std::vector<std::string>> values;
    bool dryRun = false, strict = false;
    std::string codecSafe;  // the --codec-safe list
    bool codecSafeGiven = false;
};

int runMaster(MasterArgs args) {
    MasterSettings s;
    for (const auto& name : masterOptionNames())
        for (const auto& value : args.values[name]) applyMasterOption(s, name, value);
    if (args.codecSafeGiven) applyMasterOption(s, "codec-safe", args.codecSafe);
    applyMasterOption(s, "dry-run", args.dryRun ? "true" : "false");
    applyMasterOption(s, "strict", args.strict ? "true" : "false");
    if (::isatty(2)) s.onProgress = terminalProgress("mastering");
    std::string output = args.output;
    if (output.empty()) {
        const std::filesystem::path in(args.input);
        const FileFormat format = args.format.empty() ? FileFormat::Wav : outputFormatNamed(args.format);
        output = (in.parent_path() / (in.stem().string() + ".master" + extensionFor(format))).string();
    }
    s.format = args.format;
    writableFormatForPath(output, args.format);  // a name or --format Bounce cannot write: refused before any work
    // The report may not replace an input or the master itself: refused before any work.
    std::vector<std::string> reportInputs = masterInputs(args.input, s);
    reportInputs.push_back(output);
    if (!args.jsonPath.empty()) ensureNotAnInput(args.jsonPath, reportInputs);
    const MasterResult result = masterFile(args.input, output, s);
    std::cout << masterSummary(result, s.dryRun);
    for (const auto& w : result.warnings) std::cerr << "bounce: warning: " << w << "\n";
    if (!args.jsonPath.empty()) {
        writeTextFile(args.jsonPath, masterToJson(result, s).dump(2) + "\n", reportInputs);
    }
    return kExitOk;
}

}  // namespace

std::function<int()> addMasterCommand(CLI::App& app) {
    auto a = std::make_shared<MasterArgs>();
    CLI::App* cmd = app.add_subcommand("master", "Master a stereo file to a platform's loudness with a true-peak ceiling");
    cmd->add_option("input", a->input, "The mix to master")->required();
    cmd->add_option("-o,--output", a->output, "Output file (default IN.master.wav beside the input)");
    cmd->add_option("--format", a->format, "wav, aiff, flac, alac, mp3, aac, opus, ogg or w64 (default: from -o's name, else wav)")
        ->check(CLI::IsMember(outputFormatChoices(), CLI::ignore_case));
    cmd->add_option("--json", a->jsonPath, "Write the report as JSON");
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
