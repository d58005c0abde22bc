#include "commands.h"

#include "bounce/chain_file.h"
#include "bounce/error.h"
#include "bounce/output_writer.h"
#include "bounce/processor_chain.h"
#include "bounce/processor_registry.h"
#include "bounce/sound_file.h"
#include "bounce/standard_streams.h"

#include <iostream>
#include <memory>
#include <string>

namespace bounce::cli {
namespace {

struct ProcessArgs {
    std::string input;
    std::string output;
    std::string chainPath;
    std::string bits;
    std::string dither = "tpdf";
    std::string format;
    int bitrateKbps = 0;
    int vbrQuality = -1;
};

// Without --bits: float, or 24 bits where the container holds integers only (FLAC, ALAC).
SampleFormat sampleFormatFor(const std::string& bits, FileFormat format) {
    if (bits.empty()) return outputSampleFormat(format == FileFormat::Flac || format == FileFormat::Alac ? "24" : "32f", format);
    return outputSampleFormat(bits, format);
}

int runProcess(const ProcessArgs& args) {
    // "-": standard input and output, through scratch files (StandardStreams).
    StandardStreams streams;
    const std::string output = streams.output(args.output, outputExtension(args.format));
    const FileFormat container = writableFormatForPath(output, args.format);  // refused before any work
    const auto inserts = readChainFile(args.chainPath);
    const std::string input = streams.input(args.input);
    SoundFileReader reader(input);
    reader.refuseNonFinite();  // as analyze and master do: NaN is not audio
    const SoundFileInfo& info = reader.info();

    ProcessorChain chain;
    for (const auto& insert : inserts) chain.add(createProcessor(insert, info.channels));

    constexpr std::size_t kBlockFrames = 4096;
    chain.prepare({info.sampleRate, static_cast<int>(kBlockFrames), info.channels});

    // 16-bit outputs are dithered as the last step, the only quantisation (OutputSpec).
    OutputSpec spec;
    spec.path = output;
    // Nothing this run reads may be replaced: the input, the chain file, the files its
    // inserts name (impulse responses).
    spec.inputs = {input, args.chainPath};
    for (const auto& insert : inserts)
        for (const auto& file : insertInputFiles(insert)) spec.inputs.push_back(file);
    spec.inputRate = info.sampleRate;
    spec.channels = info.channels;
    spec.container = container;
    spec.bitrateKbps = args.bitrateKbps;
    spec.vbrQuality = args.vbrQuality;
    spec.sampleFormat = sampleFormatFor(args.bits, spec.container);
    spec.dither = args.dither == "shaped" ? DitherType::NoiseShaped : args.dither == "none" ? DitherType::None : DitherType::Tpdf;
    OutputWriter writer(spec);
    std::uint64_t frames = 0, read = 0;
    const auto progress = terminalProgress("processing");
    renderAligned(
        chain, info.channels, kBlockFrames,
        [&](AudioView block) {
            const std::size_t got = reader.read(block);
            read += got;
            if (progress && info.frames > 0) progress(std::min(1.0, static_cast<double>(read) / static_cast<double>(info.frames)));
            return got;
        },
        [&](ConstAudioView block) {
            writer.write(block);
            frames += block.frames();
        });
    writer.close();
    if (progress) progress(1.0);
    streams.sendOutput();
    if (!quiet())
        (streams.outputIsStandard() ? std::cerr : std::cout)
            << (streams.outputIsStandard() ? "standard output" : args.output) << ": " << frames << " frames, " << inserts.size()
            << " insert" << (inserts.size() == 1 ? "" : "s") << ", latency " << chain.latencyFrames() << " frames compensated"
            << (writer.outputRate() != info.sampleRate
                    ? " (at " + std::to_string(static_cast<long>(info.sampleRate)) + " Hz; written at " +
                          std::to_string(static_cast<long>(writer.outputRate())) + " Hz, the nearest rate the format holds)"
                    : std::string())
            << "\n";
    return kExitOk;
}

}  // namespace

std::function<int()> addProcessCommand(CLI::App& app) {
    auto args = std::make_shared<ProcessArgs>();
    CLI::App* cmd = app.add_subcommand("process", "Run a file through a chain of processors (as sox runs effects)");
    cmd->add_option("input", args->input, "Input sound file")->required();
    cmd->add_option("-o,--output", args->output, "Output file (.wav .aiff .flac .mp3 .m4a .opus .ogg .w64)")->required();
    addDeliveryOptions(cmd, args->format, args->bitrateKbps, args->vbrQuality, "from -o's name");
    cmd->add_option("--chain", args->chainPath, "Chain file of [[insert]] tables")->required();
    cmd->add_option("--bits", args->bits, "Output sample format: 16 (dithered), 24 or 32f (default 32f; 24 for FLAC and ALAC)")
        ->check(CLI::IsMember(outputBitsChoices()));
    cmd->add_option("--dither", args->dither, "Dither for 16-bit output: tpdf, shaped or none (default tpdf)")
        ->check(CLI::IsMember({"tpdf", "shaped", "none"}));
    return [args] { return runProcess(*args); };
}

}  // namespace bounce::cli
