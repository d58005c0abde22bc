#include "commands.h"

#include "bounce/atomic_output.h"
#include "bounce/error.h"
#include "bounce/master.h"
#include "bounce/master_report.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

namespace bounce::cli {
namespace {

struct MasterArgs {
    std::string input, output, target = "spotify", style = "neutral", format, bits, jsonPath, track, dither = "tpdf";
    double lufs = 1.0, ceiling = 1.0, intensity = 0.5, rate = 0.0;  // 1.0: not given
    bool dryRun = false, strict = false;
    std::string codecSafe;  // the --codec-safe list
    bool codecSafeGiven = false;
    std::vector<std::string> sets;
    Metadata metadata;
    std::vector<std::string> references;
    std::string match;
    CLI::Option* targetOption = nullptr;
};

// "tone=1,width=0.5,...": the amounts of reference matching.
MatchAmounts parseMatchAmounts(const std::string& text) {
    MatchAmounts amounts;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find(',', start);
        if (end == std::string::npos) end = text.size();
        const std::string item = text.substr(start, end - start);
        const auto equals = item.find('=');
        char* stop = nullptr;
        const double value = equals == std::string::npos ? -1.0 : std::strtod(item.c_str() + equals + 1, &stop);
        const std::string key = item.substr(0, equals);
        double* slot = key == "tone" ? &amounts.tone : key == "width" ? &amounts.width : key == "loudness" ? &amounts.loudness
                     : key == "dynamics" ? &amounts.dynamics : nullptr;
        if (!slot || !stop || *stop != '\0' || stop == item.c_str() + equals + 1 || value < 0.0 || value > 1.0)
            throw ConfigError("--match takes tone|width|loudness|dynamics=0..1, comma-separated (got \"" + item + "\")");
        *slot = value;
        start = end + 1;
    }
    return amounts;
}

int runMaster(MasterArgs args) {
    MasterSettings s;
    s.target = args.target;
    if (args.lufs <= 0.0) s.lufs = args.lufs;
    if (args.ceiling <= 0.0) s.ceilingDbtp = args.ceiling;
    s.style = args.style;
    s.intensity = args.intensity;
    s.outputRate = args.rate;
    s.bits = args.bits;
    s.dither = args.dither;
    s.strict = args.strict;
    if (args.codecSafeGiven) {
        s.codecSafe = true;
        for (std::size_t start = 0; args.codecSafe != "all" && start < args.codecSafe.size();) {
            std::size_t end = args.codecSafe.find(',', start);
            if (end == std::string::npos) end = args.codecSafe.size();
            if (end > start) s.codecSafeCodecs.push_back(args.codecSafe.substr(start, end - start));
            start = end + 1;
        }
    }
    s.dryRun = args.dryRun;
    s.metadata = args.metadata;
    s.references = args.references;
    if (!args.match.empty()) s.match = parseMatchAmounts(args.match);
    s.targetGiven = args.targetOption && args.targetOption->count() > 0;
    for (const auto& set : args.sets) {
        const auto equals = set.find('=');
        char* end = nullptr;
        const double value = equals == std::string::npos ? 0.0 : std::strtod(set.c_str() + equals + 1, &end);
        if (equals == std::string::npos || !end || *end != '\0' || end == set.c_str() + equals + 1)
            throw ConfigError("--set takes stage.key=number (got \"" + set + "\")");
        s.overrides[set.substr(0, equals)] = value;
    }
    if (!args.track.empty()) {
        int n = 0, m = 0;
        char tail = 0;
        const int fields = std::sscanf(args.track.c_str(), "%d/%d%c", &n, &m, &tail);
        if (fields < 1 || fields > 2 || n < 1 || (fields == 2 && m < n)) throw ConfigError("--track must be N or N/M (got \"" + args.track + "\")");
        s.metadata.trackNumber = n;
        s.metadata.trackTotal = fields == 2 ? m : 0;
    }
    std::string output = args.output;
    if (output.empty()) {
        const std::filesystem::path in(args.input);
        output = (in.parent_path() / (in.stem().string() + ".master." + (args.format.empty() ? std::string("wav") : args.format))).string();
    } else if (!args.format.empty() && std::filesystem::path(output).extension() != "." + args.format) {
        throw ConfigError("--format " + args.format + " does not match the output name " + output);
    }
    const MasterResult result = masterFile(args.input, output, s);
    std::cout << masterSummary(result, s.dryRun);
    for (const auto& w : result.warnings) std::cerr << "bounce: warning: " << w << "\n";
    if (!args.jsonPath.empty()) {
        AtomicOutputFile report(args.jsonPath, {args.input, output});
        std::ofstream(report.tempPath()) << masterToJson(result, s).dump(2) << "\n";
        report.commit();
    }
    return kExitOk;
}

}  // namespace

std::function<int()> addMasterCommand(CLI::App& app) {
    auto a = std::make_shared<MasterArgs>();
    CLI::App* cmd = app.add_subcommand("master", "Master a stereo file to a platform's loudness with a true-peak ceiling");
    cmd->add_option("input", a->input, "The mix to master")->required();
    cmd->add_option("-o,--output", a->output, "Output file (default IN.master.wav beside the input)");
    a->targetOption = cmd->add_option("--target", a->target, "spotify, spotify-loud, spotify-quiet, apple, youtube, tidal, amazon, deezer, soundcloud, ebu-r128, atsc-a85, cd");
    cmd->add_option("--lufs", a->lufs, "Integrated loudness target (overrides the target's)");
    cmd->add_option("--ceiling", a->ceiling, "True-peak ceiling in dBTP (overrides the target's)");
    cmd->add_option("--style", a->style, masterStyleNames());
    cmd->add_option("--intensity", a->intensity, "How far the style goes, 0 .. 1")->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--format", a->format, "wav, flac or aiff")->check(CLI::IsMember({"wav", "flac", "aiff"}));
    cmd->add_option("--bits", a->bits, "16, 24 or 32f (16 and 24 are dithered)")->check(CLI::IsMember(outputBitsChoices()));
    cmd->add_option("--dither", a->dither, "tpdf or shaped")->check(CLI::IsMember({"tpdf", "shaped"}));
    cmd->add_option("--rate", a->rate, "Output sample rate in Hz")->check(CLI::Range(8000.0, 384000.0));
    cmd->add_option("--title", a->metadata.title, "Title");
    cmd->add_option("--artist", a->metadata.artist, "Artist");
    cmd->add_option("--album", a->metadata.album, "Album");
    cmd->add_option("--date", a->metadata.date, "Release date or year");
    cmd->add_option("--isrc", a->metadata.isrc, "ISRC (12 characters)");
    cmd->add_option("--genre", a->metadata.genre, "Genre");
    cmd->add_option("--track", a->track, "Track number, N or N/M");
    cmd->add_option("--artwork", a->metadata.artworkPath, "Cover image (JPEG or PNG)");
    cmd->add_option("--json", a->jsonPath, "Write the report as JSON");
    cmd->add_option("--reference", a->references, "Match tone, width and loudness to this track (repeat for several: their average)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--match", a->match, "How far to match, e.g. tone=1,width=1,loudness=1,dynamics=0.5 (the defaults)");
    cmd->add_option("--set", a->sets, "Override one stage setting, e.g. --set width.width=1.1 (see docs/master.md)");
    cmd->add_flag("--dry-run", a->dryRun, "Measure and say what would be done; write nothing");
    cmd->add_flag("--strict", a->strict, "Fail when the target cannot be reached without heavy limiting");
    // A flag with an optional value: --codec-safe alone (all codecs), or --codec-safe=aac,opus.
    // A flag never takes the next argument, so the input file cannot be read as the list.
    auto* codecSafe = cmd->add_flag("--codec-safe{all}", a->codecSafe,
                                    "Keep the decoded AAC/MP3/Opus round trips (ffmpeg) under the ceiling too; optionally =LIST, e.g. --codec-safe=aac,opus");
    return [a, codecSafe] {
        a->codecSafeGiven = codecSafe->count() > 0;
        return runMaster(*a);
    };
}

}  // namespace bounce::cli
