#include "commands.h"

#include "bounce/album.h"
#include "bounce/album_report.h"
#include "bounce/atomic_output.h"
#include "bounce/sound_file.h"

#include <iostream>
#include <memory>

namespace bounce::cli {
namespace {

struct AlbumArgs {
    std::string manifest, outputDir, target = "spotify", loudness = "album", format = "wav", bits, jsonPath;
    int bitrateKbps = 0, vbrQuality = -1;
    std::optional<double> lufs, ceiling;
    bool cd = false;
};

int runAlbum(const AlbumArgs& a) {
    const AlbumManifest manifest = readAlbumManifest(a.manifest);
    AlbumSettings s;
    s.outputDir = a.outputDir;
    s.target = a.target;
    s.lufs = a.lufs;
    s.ceilingDbtp = a.ceiling;
    s.loudness = a.loudness == "track" ? AlbumLoudness::Track : AlbumLoudness::Album;
    s.cd = a.cd;
    s.format = a.format;
    s.bitrateKbps = a.bitrateKbps;
    s.vbrQuality = a.vbrQuality;
    s.onProgress = terminalProgress("album");
    s.bits = a.bits;
    const AlbumResult result = renderAlbum(manifest, s);
    if (!a.jsonPath.empty()) {
        std::vector<std::string> inputs = albumInputs(manifest);
        for (const auto& t : result.tracks) inputs.push_back(t.path);
        for (const auto& path : {result.continuousPath, result.cdPath, result.cuePath})
            if (!path.empty()) inputs.push_back(path);
        writeTextFile(a.jsonPath, albumToJson(result).dump(2) + "\n", inputs);
    }
    if (!quiet()) std::cout << albumSummary(result);
    return kExitOk;
}

}  // namespace

std::function<int()> addAlbumCommand(CLI::App& app) {
    auto a = std::make_shared<AlbumArgs>();
    CLI::App* cmd = app.add_subcommand("album",
                                       "Master songs into an album: gaps or crossfades, one loudness rule, per-track files, one continuous "
                                       "file, a CD image and CUE sheet");
    cmd->add_option("manifest", a->manifest, "The album manifest (TOML, docs/album.md)")->required();
    cmd->add_option("-o,--output", a->outputDir, "Output folder")->required();
    cmd->add_option("--target", a->target, "Loudness target (as bounce master: spotify, apple, ebu-r128, cd, ...; default spotify)");
    cmd->add_option("--lufs", a->lufs, "The loudest song's integrated loudness (overrides the target's)");
    cmd->add_option("--ceiling", a->ceiling, "True-peak ceiling in dBTP (overrides the target's)");
    cmd->add_option(
           "--loudness", a->loudness,
           "album: the loudest song at the target, the others keep their distance; track: every song at the target (default album)")
        ->check(CLI::IsMember({"album", "track"}));
    cmd->add_flag("--cd", a->cd, "Also a Red Book image (44.1 kHz, 16-bit, dithered) with a CUE sheet; checks the CD's limits");
    addDeliveryOptions(cmd, a->format, a->bitrateKbps, a->vbrQuality, "wav");
    cmd->add_option("--bits", a->bits, "16, 24 or 32f (default: the target's, else 24; 16 is dithered)")
        ->check(CLI::IsMember(outputBitsChoices()));
    cmd->add_option("--json", a->jsonPath, "Write the album report as JSON");
    return [a] { return runAlbum(*a); };
}

}  // namespace bounce::cli
