#include "commands.h"

#include <unistd.h>

#include "bounce/error.h"
#include "bounce/mix_renderer.h"
#include "bounce/session.h"
#include "bounce/sound_file.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

namespace bounce::cli {
namespace {

struct MixArgs {
    std::string session;
    std::string output;
    std::string stems;
    double start = 0.0;
    double end = -1.0;
    double maxLength = 24.0 * 3600.0;
    std::string format;
    std::string bits;
    int bitrateKbps = 0;
    int vbrQuality = -1;
};

std::string formatted(std::optional<double> v, const char* unit) {
    if (!v) return std::string("- ") + unit;
    char text[32];
    std::snprintf(text, sizeof text, "%.1f %s", *v, unit);
    return text;
}

int runMix(const MixArgs& args) {
    const Session session = readSessionFile(args.session);
    MixRenderOptions options;
    options.outputPath = args.output;
    if (options.outputPath.empty()) {
        options.outputPath = (std::filesystem::path(args.session).parent_path() / ("mix" + outputExtension(args.format))).string();
    }
    options.format = args.format;
    options.bitrateKbps = args.bitrateKbps;
    options.vbrQuality = args.vbrQuality;
    writableFormatForPath(options.outputPath, args.format);  // refused before any work
    options.stemsFolder = args.stems;
    options.startSeconds = args.start;
    options.maxSeconds = args.maxLength;
    if (args.end >= 0.0) options.endSeconds = args.end;
    options.bits = args.bits;
    options.onProgress = terminalProgress("mixing");
    const MixResult result = renderMix(session, options);

    const AnalysisResult& a = result.analysis;
    if (!quiet()) {
        std::cout << result.analysis.path << ": " << formatted(a.durationSeconds, "s") << ", " << formatted(a.integratedLufs, "LUFS")
                  << " integrated, " << formatted(a.truePeakDbtp, "dBTP") << " true peak, " << a.clippedSamples << " clipped samples\n";
        if (!result.stems.empty()) {
            std::cout << "stems:";
            for (const auto& s : result.stems) std::cout << " " << s;
            std::cout << "\n";
        }
    }
    for (const auto& note : result.notes) std::cerr << "bounce: note: " << note << "\n";
    if (a.clippedSamples > 0) std::cerr << "bounce: warning: the mix clips (" << a.clippedSamples << " samples at full scale)\n";
    return kExitOk;
}

}  // namespace

std::function<int()> addMixCommand(CLI::App& app) {
    auto args = std::make_shared<MixArgs>();
    CLI::App* cmd = app.add_subcommand("mix", "Render a session file of tracks, buses, sends and inserts to a stereo mix and stems");
    cmd->add_option("session", args->session, "Session file (TOML, see docs/session.md)")->required();
    cmd->add_option("-o,--output", args->output, "Mix file (.wav .aiff .flac .mp3 .m4a ...); default mix.wav beside the session");
    cmd->add_option("--stems", args->stems, "Write one file per bus, return and ungrouped track into this folder");
    cmd->add_option("--start", args->start, "Render from this time (seconds; default 0)")->check(CLI::NonNegativeNumber);
    cmd->add_option("--end", args->end, "Render up to this time (seconds; default: the end of the song and its tail)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--max-length", args->maxLength, "The longest mix to render, in seconds (default 86400: 24 h)")
        ->check(CLI::Range(1.0, 7.0 * 24 * 3600));
    addDeliveryOptions(cmd, args->format, args->bitrateKbps, args->vbrQuality, "from -o's name, else wav");
    cmd->add_option("--bits", args->bits, "16 (dithered), 24 or 32f; default: the session's [master] bits")
        ->check(CLI::IsMember(outputBitsChoices()));
    return [args] { return runMix(*args); };
}

}  // namespace bounce::cli
