// The mix as a graph, compiled once from a Session and run block by block.
//
// Compile: tracks, buses (feeders first), returns and the master become nodes in
// processing order; connections are main outputs and sends; latency is balanced as
// tracktion_graph does in its compile pass: every node knows the latency of what reaches
// it, and every connection into a summing node is delayed by the difference, so parallel
// paths arrive sample-aligned. Render: one block at a time, tracks side by side, then
// each node's inserts, pan and fader into its destinations.
#pragma once

#include "bounce/atomic_output.h"
#include "bounce/audio_buffer.h"
#include "bounce/delay_line.h"
#include "bounce/processor_chain.h"
#include "bounce/processor_registry.h"
#include "bounce/session.h"
#include "lane_cursor.h"
#include "track_source.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bounce::mixing {

constexpr std::size_t kBlockFrames = 1024;

// Delays a stereo stream by a whole number of frames (latency compensation).
class StereoDelay {
public:
    std::size_t frames() const noexcept { return lines_[0].frames(); }
    void prepare(int frames) {
        for (auto& line : lines_) line.prepare(static_cast<std::size_t>(std::max(frames, 0)));
    }
    void process(AudioView io) noexcept {
        for (int c = 0; c < 2; ++c) lines_[static_cast<std::size_t>(c)].process(io.channel(c), io.frames());
    }

private:
    std::array<DelayLine, 2> lines_;
};

enum class NodeKind { Track, Bus, Return, Master };

struct Connection {
    int destination = -1;  // node index
    bool send = false;
    bool preFader = false;
    double levelDb = 0.0;
    std::unique_ptr<LaneCursor> levelLane;
    StereoDelay compensation;
    AudioBuffer scratch;  // stereo, one block
};

// An automated insert parameter: the lane, and a copy of the insert's table to write into.
struct InsertLane {
    std::size_t insert = 0;
    std::vector<std::string> path;
    std::unique_ptr<LaneCursor> cursor;
    InsertSpec spec;
    const ProcessorDescriptor* descriptor = nullptr;  // spec.type's, found once
};

struct Node {
    NodeKind kind = NodeKind::Bus;
    std::string name;
    int channels = 2;  // of the insert chain (tracks: the file's; others: 2)
    ProcessorChain inserts;
    double gainDb = 0.0;
    double pan = 0.0;
    PanLaw panLaw = PanLaw::ConstantPower3dB;
    double width = 1.0;
    bool silent = false;  // muted (or not soloed)
    std::unique_ptr<LaneCursor> gainLane, panLane;
    std::unique_ptr<TrackSource> source;
    const TrackSpec* track = nullptr;
    double clipGain = 1.0;        // normalisation and polarity, before the inserts
    AudioBuffer input;            // stereo sum of what reaches a bus, return or master
    AudioBuffer work;             // `channels` wide: the insert chain runs here
    AudioBuffer panned;           // stereo, before the fader
    std::vector<double> faderDb;  // per frame of the block
    std::vector<Connection> outputs;
    std::vector<InsertLane> insertLanes;
    int inputLatency = 0;
    int outputLatency = 0;
};

class MixGraph {
public:
    MixGraph(const Session& session, const std::string& scratchFolder);

    int masterIndex() const { return static_cast<int>(nodes_.size()) - 1; }
    Node& master() { return nodes_.back(); }
    int latency() const { return nodes_.back().outputLatency; }
    // Before rendering: the delivered timeline ends at `timelineEnd`; each node's inserts hear
    // of it where it reaches them (after their input latency).
    void inputEndsAt(std::uint64_t timelineEnd) noexcept;
    std::uint64_t songEndFrame() const;
    // Each track and the timeline frame where it ends.
    std::vector<std::pair<const TrackSpec*, std::uint64_t>> trackEnds() const;
    // Names of the master's direct inputs (the stems), in node order.
    std::vector<std::string> stemNames() const;

    // Processes one block at timeline frame `at`. `stemInputs` receives, per master input
    // connection (in node order), what that connection delivered: the stems.
    void process(std::uint64_t at, std::size_t frames, std::vector<AudioBuffer>* stemInputs);

private:
    // Compile.
    Node& add(NodeKind kind, const std::string& name);
    void addTrack(const TrackSpec& t, const std::string& scratchFolder, bool anySolo);
    void addStrip(NodeKind kind, const StripSpec& strip);
    int index(const std::string& name, NodeKind kind) const;
    void connect(int from, int to, const std::vector<SendSpec>& sends, const std::vector<AutomationLane>& automation);
    void prepareAndBalanceLatency();
    static std::vector<const BusSpec*> busesInOrder(const Session& session);

    // Render.
    void renderTracks(std::uint64_t at, std::size_t frames);
    void processInserts(Node& n, AudioView work, std::uint64_t at);
    void applyClipGainAndFades(Node& n, AudioView work, std::uint64_t at);
    bool takesFastPath(const Node& n, bool withStems) const;
    void sumFast(Node& n, AudioView work, std::size_t frames);
    void sumThroughOutputs(Node& n, AudioView work, std::uint64_t at, std::size_t frames, std::vector<AudioBuffer>* stemInputs,
                           std::size_t& stemIndex);
    void panOrBalance(Node& n, AudioView in, AudioView out, std::uint64_t at);
    void applyMasterFader(std::uint64_t at, std::size_t frames);
    void deliverSilence(Node& n, std::size_t frames, std::vector<AudioBuffer>& stems, std::size_t& stemIndex);

    double rate_;
    std::vector<Node> nodes_;
    std::vector<std::unique_ptr<ScratchPath>> scratchFiles_;  // the pitch- and time-changed regions
    // processSideBySide()'s lists, kept to avoid allocating per block.
    std::vector<ProcessorChain*> sideBySideChains_;
    std::vector<AudioView> sideBySideViews_;
};

}  // namespace bounce::mixing
