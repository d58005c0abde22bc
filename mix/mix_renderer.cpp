#include "bounce/mix_renderer.h"

#include "bounce/atomic_output.h"
#include "bounce/error.h"
#include "bounce/output_writer.h"
#include "bounce/processor_registry.h"
#include "mix_graph.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <stdlib.h>

namespace bounce {
namespace fs = std::filesystem;
using mixing::kBlockFrames;

namespace {

// One output file of the mix (the mix, or a stem) at the session's bits and rate, 16 bits
// TPDF-dithered (OutputSpec's one policy); the mix is measured as written.
std::unique_ptr<OutputWriter> openOutput(const std::string& path, const std::vector<std::string>& inputs, OutputSet& set,
                                         double sessionRate, double outputRate, const std::string& bits, const MixRenderOptions& options,
                                         bool analyse) {
    OutputSpec spec;
    spec.path = path;
    spec.inputs = inputs;
    spec.set = &set;
    spec.container = writableFormatForPath(path, options.format);
    spec.sampleFormat = outputSampleFormat(bits, spec.container);
    spec.bitrateKbps = options.bitrateKbps;
    spec.vbrQuality = options.vbrQuality;
    spec.inputRate = sessionRate;
    spec.outputRate = outputRate;
    return std::make_unique<OutputWriter>(spec, analyse ? std::make_unique<ProgramAnalyzer>(outputRate, 2) : nullptr);
}

std::string stemFileName(const std::string& name, const std::string& extension) {
    std::string safe;
    for (char ch : name) safe += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') ? ch : '_';
    return safe + extension;
}

// The stems: what each direct input of the master delivers; through copies of the master
// chain (and fader) when it is linear, so that they sum to the mix; taken before it
// otherwise (delayed by its latency, so they still line up with the mix).
class StemOutputs {
public:
    StemOutputs(const Session& session, const MixRenderOptions& options, mixing::MixGraph& graph, const std::vector<std::string>& inputs,
                OutputSet& set, double outputRate, const std::string& bits, MixResult& result)
        : session_(session), rate_(session.sampleRate) {
        linearMaster_ = std::all_of(session.master.inserts.begin(), session.master.inserts.end(),
                                    [](const InsertSpec& i) { return processorIsLinear(i.type); });
        set.createFolder(options.stemsFolder);
        const std::string extension = fs::path(options.outputPath).extension().string();
        // Two stems whose names become one file name ("a b" and "a_b") would share it.
        const auto names = graph.stemNames();
        for (std::size_t i = 0; i < names.size(); ++i)
            for (std::size_t j = i + 1; j < names.size(); ++j)
                if (stemFileName(names[i], extension) == stemFileName(names[j], extension))
                    throw ConfigError(session.path + ": the stems of '" + names[i] + "' and '" + names[j] + "' would both be " +
                                      stemFileName(names[i], extension) + "; rename one");
        for (const auto& name : names) {
            inputs_.emplace_back(2, kBlockFrames);
            const std::string path = (fs::path(options.stemsFolder) / stemFileName(name, extension)).string();
            std::error_code ec;
            if (fs::weakly_canonical(path, ec) == fs::weakly_canonical(options.outputPath, ec))
                throw ConfigError(path + ": the stem of '" + name + "' would replace the mix; write the mix elsewhere");
            writers_.push_back(openOutput(path, inputs, set, rate_, outputRate, bits, options, false));
            result.stems.push_back(path);
            auto chain = std::make_unique<ProcessorChain>();
            if (linearMaster_)
                for (const auto& insert : session.master.inserts) chain->add(createProcessor(insert, 2));
            chain->prepare({rate_, static_cast<int>(kBlockFrames), 2});
            chains_.push_back(std::move(chain));
            gainLanes_.push_back(mixing::laneFor(session.master.automation, "gain_db", rate_));
            delays_.emplace_back();
            delays_.back().prepare(linearMaster_ ? 0 : graph.master().inserts.latencyFrames());
        }
        if (!linearMaster_ && !session.master.inserts.empty())
            result.notes.push_back(
                "the master chain is not linear (it has dynamics or saturation), so the stems are taken "
                "before it and sum to the mix before the master chain");
    }

    std::vector<AudioBuffer>* inputs() { return &inputs_; }

    // Stems run their own copies of the master chain over every frame, so their state
    // follows the master's; only the written range is cut.
    void process(std::uint64_t at, std::size_t frames) {
        for (std::size_t s = 0; s < writers_.size(); ++s) {
            AudioView stem = inputs_[s].view().subView(0, frames);
            if (!linearMaster_) {
                delays_[s].process(stem);
                continue;
            }
            chains_[s]->process(stem);
            for (std::size_t k = 0; k < frames; ++k) {
                const double db = gainLanes_[s] ? gainLanes_[s]->valueAt(at + k) : session_.master.gainDb;
                const auto g = static_cast<float>(dbToGain(db));
                stem.channel(0)[k] *= g;
                stem.channel(1)[k] *= g;
            }
        }
    }

    void write(std::size_t offset, std::size_t count) {
        for (std::size_t s = 0; s < writers_.size(); ++s) writers_[s]->write(ConstAudioView(inputs_[s].view()).subView(offset, count));
    }

    void close() {
        for (auto& w : writers_) w->close();
    }

private:
    const Session& session_;
    double rate_;
    bool linearMaster_ = true;
    std::vector<AudioBuffer> inputs_;
    std::vector<std::unique_ptr<OutputWriter>> writers_;
    std::vector<std::unique_ptr<ProcessorChain>> chains_;
    std::vector<std::unique_ptr<mixing::LaneCursor>> gainLanes_;
    std::vector<mixing::StereoDelay> delays_;
};

// Every track ends within options.maxSeconds, and so does --end: a track placed a billion
// seconds in, or a file whose header claims more than it holds, would otherwise render
// (and write) without end.
void checkLength(const Session& session, const mixing::MixGraph& graph, const MixRenderOptions& options) {
    const double rate = session.sampleRate;
    const auto limit = static_cast<std::uint64_t>(options.maxSeconds * rate);
    char text[200];
    for (const auto& [track, endFrame] : graph.trackEnds()) {
        if (endFrame <= limit) continue;
        std::snprintf(text, sizeof text, "track '%s' ends at %.1f s; a mix may last %.0f s (bounce mix --max-length allows more)",
                      track->name.c_str(), static_cast<double>(endFrame) / rate, options.maxSeconds);
        throw fileLineError(session.path, track->line, text);
    }
    if (options.endSeconds && *options.endSeconds > options.maxSeconds) {
        std::snprintf(text, sizeof text, "--end %.1f s is beyond the %.0f s a mix may last (--max-length allows more)", *options.endSeconds,
                      options.maxSeconds);
        throw ConfigError(text);
    }
}

}  // namespace

std::vector<std::string> sessionInputs(const Session& session) {
    std::vector<std::string> inputs{session.path};
    const auto addInserts = [&inputs](const std::vector<InsertSpec>& inserts) {
        for (const auto& insert : inserts)
            for (const auto& file : insertInputFiles(insert)) inputs.push_back(file);
    };
    for (const auto& t : session.tracks) {
        inputs.push_back(t.file);
        addInserts(t.inserts);
    }
    for (const auto& b : session.buses) addInserts(b.inserts);
    for (const auto& r : session.returns) addInserts(r.inserts);
    addInserts(session.master.inserts);
    return inputs;
}

MixResult renderMix(const Session& session, const MixRenderOptions& options) {
    // The pitch- and time-changed regions of this render (the graph registers its files).
    const ScratchFolder scratch("mix");
    mixing::MixGraph graph(session, scratch.path());
    MixResult result;
    result.latencyFrames = graph.latency();

    const double rate = session.sampleRate;
    const double outputRate = session.master.outputSampleRate > 0.0 ? session.master.outputSampleRate : rate;
    const std::string bits = options.bits.empty() ? session.master.bits : options.bits;
    checkLength(session, graph, options);
    const auto songEnd = graph.songEndFrame() + static_cast<std::uint64_t>(session.tailSeconds * rate);
    const auto from = static_cast<std::uint64_t>(std::llround(options.startSeconds * rate));
    const std::uint64_t to = options.endSeconds ? static_cast<std::uint64_t>(std::llround(*options.endSeconds * rate)) : songEnd;
    if (to <= from) throw ConfigError("--end must come after --start");

    // The mix and its stems appear together, or none of them.
    OutputSet outputs;
    const std::vector<std::string> inputs = sessionInputs(session);
    const auto mix = openOutput(options.outputPath, inputs, outputs, rate, outputRate, bits, options, true);
    std::unique_ptr<StemOutputs> stems;
    if (!options.stemsFolder.empty())
        stems = std::make_unique<StemOutputs>(session, options, graph, inputs, outputs, outputRate, bits, result);

    // Render [0, to + latency): the master's latency is trimmed from the start.
    const auto latency = static_cast<std::uint64_t>(graph.latency());
    const std::uint64_t total = to + latency;
    graph.inputEndsAt(to);
    int lastPercent = -1;
    for (std::uint64_t at = 0; at < total; at += kBlockFrames) {
        const auto frames = static_cast<std::size_t>(std::min<std::uint64_t>(kBlockFrames, total - at));
        graph.process(at, frames, stems ? stems->inputs() : nullptr);
        // Output frame t comes out of the graph at t + latency.
        const std::uint64_t outStart = at >= latency ? at - latency : 0;
        const std::size_t skip = at >= latency ? 0 : static_cast<std::size_t>(std::min<std::uint64_t>(latency - at, frames));
        if (skip >= frames) continue;
        const std::uint64_t first = std::max(outStart, from);
        const std::uint64_t last = std::min<std::uint64_t>(outStart + (frames - skip), to);
        if (stems) stems->process(at, frames);
        if (first < last) {
            const std::size_t offset = skip + static_cast<std::size_t>(first - outStart);
            const auto count = static_cast<std::size_t>(last - first);
            mix->write(ConstAudioView(graph.master().work.view()).subView(offset, count));
            if (stems) stems->write(offset, count);
        }
        if (options.onProgress) {
            const int percent = static_cast<int>(100 * (at + frames) / total);
            if (percent != lastPercent) options.onProgress(percent / 100.0);
            lastPercent = percent;
        }
    }
    if (stems) stems->close();
    result.analysis = mix->close();
    outputs.commit();
    return result;
}

}  // namespace bounce
