#include "mix_graph.h"

#include "bounce/atomic_output.h"
#include "bounce/error.h"
#include "bounce/fast_math.h"
#include "bounce/processor_registry.h"
#include "bounce/time_pitch.h"

#include <cmath>
#include <filesystem>
#include <set>

namespace bounce::mixing {
namespace fs = std::filesystem;
namespace {

std::vector<InsertLane> insertLanesFor(const std::vector<AutomationLane>& lanes, const std::vector<InsertSpec>& inserts, double rate) {
    std::vector<InsertLane> result;
    for (const auto& lane : lanes) {
        const auto path = insertParameterPath(lane.parameter);
        if (!path || path->first >= inserts.size()) continue;
        InsertLane l;
        l.insert = path->first;
        l.path = path->second;
        l.cursor = std::make_unique<LaneCursor>(&lane, rate);
        l.spec = inserts[path->first];
        l.descriptor = findProcessorDescriptor(l.spec.type);
        if (!l.descriptor) continue;  // the session reader refused it already
        result.push_back(std::move(l));
    }
    return result;
}

// Insert parameters follow their lanes every 32 frames (0.7 ms at 48 kHz); each processor
// glides between the values it is given, so the result is smooth and on time.
constexpr std::size_t kInsertAutomationFrames = 32;

}  // namespace

// ---------------------------------------------------------------- compile

MixGraph::MixGraph(const Session& session, const std::string& scratchFolder) : rate_(session.sampleRate) {
    const bool anySolo = std::any_of(session.tracks.begin(), session.tracks.end(), [](const TrackSpec& t) { return t.solo; });
    nodes_.reserve(session.tracks.size() + session.buses.size() + session.returns.size() + 1);
    // Node order is processing order: tracks, buses (feeders first), returns, master.
    for (const auto& t : session.tracks) addTrack(t, scratchFolder, anySolo);
    for (const BusSpec* b : busesInOrder(session)) addStrip(NodeKind::Bus, *b);
    for (const auto& r : session.returns) addStrip(NodeKind::Return, r);
    addStrip(NodeKind::Master, session.master);
    // Connections: main outputs and sends.
    for (const auto& t : session.tracks)
        connect(index(t.name, NodeKind::Track), t.bus.empty() ? masterIndex() : index(t.bus, NodeKind::Bus), t.sends, t.automation);
    for (const auto& b : session.buses)
        connect(index(b.name, NodeKind::Bus), b.output.empty() ? masterIndex() : index(b.output, NodeKind::Bus), b.sends, b.automation);
    for (const auto& r : session.returns) connect(index(r.name, NodeKind::Return), masterIndex(), {}, r.automation);
    prepareAndBalanceLatency();
}

void MixGraph::addTrack(const TrackSpec& t, const std::string& scratchFolder, bool anySolo) {
    Node& n = add(NodeKind::Track, t.name);
    n.track = &t;
    if (t.changesPitchOrTime()) {
        // Rendered once, before the mix, to a float file the track then reads.
        if (scratchFolder.empty()) throw Error("mix: cannot create a temporary folder for pitch and time changes");
        TrackSpec changed = t;
        changed.file = (fs::path(scratchFolder) / (std::to_string(nodes_.size()) + ".wav")).string();
        scratchFiles_.push_back(std::make_unique<ScratchPath>(changed.file));
        changed.regionStartSeconds = 0.0;
        changed.regionEndSeconds.reset();
        const SoundFileInfo info = SoundFileReader(t.file).info();
        const auto start = static_cast<long long>(std::llround(t.regionStartSeconds * info.sampleRate));
        long long end = info.frames;
        if (t.regionEndSeconds) end = std::min(end, static_cast<long long>(std::llround(*t.regionEndSeconds * info.sampleRate)));
        renderTimePitch(t.file, start, end, {t.timeRatio, t.pitchSemitones, t.preserveFormants}, changed.file);
        n.source = std::make_unique<TrackSource>(changed, rate_, kBlockFrames);
    } else {
        n.source = std::make_unique<TrackSource>(t, rate_, kBlockFrames);
    }
    n.channels = n.source->channels();
    n.gainDb = t.gainDb;
    n.pan = t.pan;
    n.panLaw = t.panLaw;
    n.width = t.width;
    n.silent = t.mute || (anySolo && !t.solo);
    n.clipGain = dbToGain(normalizationGainDb(t)) * (t.invertPolarity ? -1.0 : 1.0);
    n.gainLane = laneFor(t.automation, "gain_db", rate_);
    n.panLane = laneFor(t.automation, "pan", rate_);
    for (const auto& insert : t.inserts) n.inserts.add(createProcessor(insert, n.channels));
    n.insertLanes = insertLanesFor(t.automation, t.inserts, rate_);
}

// A bus, a return or the master: one shape (StripSpec), stereo.
void MixGraph::addStrip(NodeKind kind, const StripSpec& strip) {
    Node& n = add(kind, strip.name);
    n.gainDb = strip.gainDb;
    n.pan = strip.pan;
    n.panLaw = strip.panLaw;
    n.silent = strip.mute;
    n.gainLane = laneFor(strip.automation, "gain_db", rate_);
    if (kind != NodeKind::Master) n.panLane = laneFor(strip.automation, "pan", rate_);
    for (const auto& insert : strip.inserts) n.inserts.add(createProcessor(insert, 2));
    n.insertLanes = insertLanesFor(strip.automation, strip.inserts, rate_);
}

// Prepares every node, then balances latency in processing order: a node's input latency
// is the largest output latency among what feeds it; each connection is delayed by the
// difference.
void MixGraph::prepareAndBalanceLatency() {
    for (auto& n : nodes_) {
        n.inserts.prepare({rate_, static_cast<int>(kBlockFrames), n.channels});
        n.input.resize(2, kBlockFrames);
        n.work.resize(n.channels, kBlockFrames);
        n.panned.resize(2, kBlockFrames);
        n.faderDb.assign(kBlockFrames, 0.0);
    }
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
        Node& n = nodes_[i];
        n.inputLatency = 0;
        for (const auto& source : nodes_)
            for (const auto& c : source.outputs)
                if (c.destination == static_cast<int>(i)) n.inputLatency = std::max(n.inputLatency, source.outputLatency);
        n.outputLatency = n.inputLatency + n.inserts.latencyFrames();
    }
    for (auto& n : nodes_)
        for (auto& c : n.outputs) {
            c.compensation.prepare(nodes_[static_cast<std::size_t>(c.destination)].inputLatency - n.outputLatency);
            c.scratch.resize(2, kBlockFrames);
        }
}

Node& MixGraph::add(NodeKind kind, const std::string& name) {
    nodes_.emplace_back();
    nodes_.back().kind = kind;
    nodes_.back().name = name;
    return nodes_.back();
}

// A track, a bus and a return may share a name (a track "drums" on a bus "drums"): each
// reference says which kind it means.
int MixGraph::index(const std::string& name, NodeKind kind) const {
    for (std::size_t i = 0; i < nodes_.size(); ++i)
        if (nodes_[i].name == name && nodes_[i].kind == kind) return static_cast<int>(i);
    throw Error("mix: unknown node '" + name + "'");
}

void MixGraph::connect(int from, int to, const std::vector<SendSpec>& sends, const std::vector<AutomationLane>& automation) {
    Node& n = nodes_[static_cast<std::size_t>(from)];
    Connection main;
    main.destination = to;
    n.outputs.push_back(std::move(main));
    for (const auto& s : sends) {
        Connection send;
        send.destination = index(s.to, NodeKind::Return);
        send.send = true;
        send.preFader = s.preFader;
        send.levelDb = s.levelDb;
        send.levelLane = laneFor(automation, "send." + s.to + ".level_db", rate_);
        n.outputs.push_back(std::move(send));
    }
}

std::vector<const BusSpec*> MixGraph::busesInOrder(const Session& session) {
    // A bus comes after every bus that outputs into it.
    std::vector<const BusSpec*> order;
    std::set<std::string> placed;
    while (order.size() < session.buses.size()) {
        for (const auto& b : session.buses) {
            if (placed.count(b.name)) continue;
            const bool ready = std::none_of(session.buses.begin(), session.buses.end(),
                                            [&](const BusSpec& other) { return other.output == b.name && !placed.count(other.name); });
            if (ready) {
                order.push_back(&b);
                placed.insert(b.name);
            }
        }
    }
    return order;
}

void MixGraph::inputEndsAt(std::uint64_t timelineEnd) noexcept {
    for (auto& n : nodes_) n.inserts.inputEndsIn(timelineEnd + static_cast<std::uint64_t>(n.inputLatency));
}

std::vector<std::pair<const TrackSpec*, std::uint64_t>> MixGraph::trackEnds() const {
    std::vector<std::pair<const TrackSpec*, std::uint64_t>> ends;
    for (const auto& n : nodes_)
        if (n.source) ends.emplace_back(n.track, n.source->endFrame());
    return ends;
}

std::uint64_t MixGraph::songEndFrame() const {
    std::uint64_t end = 0;
    for (const auto& n : nodes_)
        if (n.source) end = std::max(end, n.source->endFrame());
    return end;
}

std::vector<std::string> MixGraph::stemNames() const {
    std::vector<std::string> names;
    for (std::size_t i = 0; i + 1 < nodes_.size(); ++i)
        for (const auto& c : nodes_[i].outputs)
            if (c.destination == static_cast<int>(nodes_.size()) - 1 && !c.send) names.push_back(nodes_[i].name);
    return names;
}

// ---------------------------------------------------------------- render

void MixGraph::process(std::uint64_t at, std::size_t frames, std::vector<AudioBuffer>* stemInputs) {
    for (auto& n : nodes_) n.input.clear();
    renderTracks(at, frames);
    std::size_t stemIndex = 0;
    for (Node& n : nodes_) {
        AudioView work = n.work.view().subView(0, frames);
        if (n.kind == NodeKind::Track) {
            if (n.silent) {
                if (stemInputs) deliverSilence(n, frames, *stemInputs, stemIndex);
                continue;
            }
        } else {
            for (int c = 0; c < 2; ++c) std::copy_n(n.input.channel(c), frames, work.channel(c));
            processInserts(n, work, at);
        }
        if (n.kind == NodeKind::Master) break;
        if (takesFastPath(n, stemInputs != nullptr)) {
            sumFast(n, work, frames);
        } else {
            sumThroughOutputs(n, work, at, frames, stemInputs, stemIndex);
        }
    }
    applyMasterFader(at, frames);
}

// The tracks first, side by side: their inserts run position by position across all
// tracks (ProcessorChain::processSideBySide), so that like processors overlap. Tracks
// with automated inserts run alone, in sub-blocks.
void MixGraph::renderTracks(std::uint64_t at, std::size_t frames) {
    sideBySideChains_.clear();
    sideBySideViews_.clear();
    for (auto& n : nodes_) {
        if (n.kind != NodeKind::Track || n.silent) continue;
        AudioView work = n.work.view().subView(0, frames);
        n.source->fill(work, at);
        applyClipGainAndFades(n, work, at);
        if (n.insertLanes.empty()) {
            sideBySideChains_.push_back(&n.inserts);
            sideBySideViews_.push_back(work);
        } else {
            processInserts(n, work, at);
        }
    }
    ProcessorChain::processSideBySide(sideBySideChains_.data(), sideBySideViews_.data(), sideBySideChains_.size());
}

// Nothing moves and nothing is delayed (and no stem is taken from it).
bool MixGraph::takesFastPath(const Node& n, bool withStems) const {
    bool fast = !n.panLane && n.width == 1.0 && !n.gainLane && !n.silent;
    for (const auto& c : n.outputs)
        fast = fast && !c.levelLane && c.compensation.frames() == 0 && !(withStems && c.destination == masterIndex() && !c.send);
    return fast;
}

// Pan, fader and send level folded into two gains, added straight into the destinations.
void MixGraph::sumFast(Node& n, AudioView work, std::size_t frames) {
    const bool mono = work.channels() == 1;
    const auto pan = panGains(n.pan, mono ? n.panLaw : PanLaw::Balance0dB);
    const double fader = dbToGain(n.gainDb);
    const float* l = work.channel(0);
    const float* r = work.channel(mono ? 0 : 1);
    for (const auto& c : n.outputs) {
        const double level = (c.send ? dbToGain(c.levelDb) : 1.0) * ((!c.send || !c.preFader) ? fader : 1.0);
        const auto gl = static_cast<float>(pan[0] * level), gr = static_cast<float>(pan[1] * level);
        Node& destination = nodes_[static_cast<std::size_t>(c.destination)];
        float* dl = destination.input.channel(0);
        float* dr = destination.input.channel(1);
        for (std::size_t k = 0; k < frames; ++k) {
            dl[k] += l[k] * gl;
            dr[k] += r[k] * gr;
        }
    }
}

// Pan, then per output: fader (and send level), compensation, the sum (and the stem).
void MixGraph::sumThroughOutputs(Node& n, AudioView work, std::uint64_t at, std::size_t frames, std::vector<AudioBuffer>* stemInputs,
                                 std::size_t& stemIndex) {
    AudioView panned = n.panned.view().subView(0, frames);
    panOrBalance(n, work, panned, at);
    // The fader as a linear gain: per frame when automated (lanes only move forward, so
    // each is evaluated once per frame), one number otherwise.
    const bool faderMoves = n.gainLane != nullptr;
    if (faderMoves)
        for (std::size_t k = 0; k < frames; ++k) n.faderDb[k] = n.gainLane->valueAt(at + k);
    const double staticFader = n.silent ? 0.0 : dbToGain(n.gainDb);
    for (auto& c : n.outputs) {
        AudioView out = c.scratch.view().subView(0, frames);
        const bool withFader = !c.send || !c.preFader;
        const double staticSend = c.send ? dbToGain(c.levelDb) : 1.0;
        const float* l = panned.channel(0);
        const float* r = panned.channel(1);
        float* outL = out.channel(0);
        float* outR = out.channel(1);
        if (n.silent) {
            std::fill_n(outL, frames, 0.0f);
            std::fill_n(outR, frames, 0.0f);
        } else if (!(withFader && faderMoves) && !c.levelLane) {
            const auto g = static_cast<float>((withFader ? staticFader : 1.0) * staticSend);
            for (std::size_t k = 0; k < frames; ++k) {
                outL[k] = l[k] * g;
                outR[k] = r[k] * g;
            }
        } else {
            for (std::size_t k = 0; k < frames; ++k) {
                double db = c.send ? (c.levelLane ? c.levelLane->valueAt(at + k) : c.levelDb) : 0.0;
                db += withFader ? (faderMoves ? n.faderDb[k] : n.gainDb) : 0.0;
                const auto g = static_cast<float>(fast::dbToGain(db));
                outL[k] = l[k] * g;
                outR[k] = r[k] * g;
            }
        }
        c.compensation.process(out);
        Node& destination = nodes_[static_cast<std::size_t>(c.destination)];
        for (int ch = 0; ch < 2; ++ch)
            for (std::size_t k = 0; k < frames; ++k) destination.input.channel(ch)[k] += out.channel(ch)[k];
        if (stemInputs && c.destination == masterIndex() && !c.send) {
            AudioBuffer& stem = (*stemInputs)[stemIndex++];
            for (int ch = 0; ch < 2; ++ch) std::copy_n(out.channel(ch), frames, stem.channel(ch));
        }
    }
}

void MixGraph::applyMasterFader(std::uint64_t at, std::size_t frames) {
    Node& m = master();
    for (std::size_t k = 0; k < frames; ++k) {
        const auto g = static_cast<float>(dbToGain(m.gainLane ? m.gainLane->valueAt(at + k) : m.gainDb));
        m.work.channel(0)[k] *= g;
        m.work.channel(1)[k] *= g;
    }
}

void MixGraph::processInserts(Node& n, AudioView work, std::uint64_t at) {
    if (n.insertLanes.empty()) {
        n.inserts.process(work);
        return;
    }
    for (std::size_t start = 0; start < work.frames(); start += kInsertAutomationFrames) {
        const std::size_t frames = std::min(kInsertAutomationFrames, work.frames() - start);
        for (auto& lane : n.insertLanes) {
            setInsertParameter(lane.spec, lane.path, lane.cursor->valueAt(at + start));
            configureProcessor(n.inserts.at(lane.insert), *lane.descriptor, lane.spec, n.channels);
        }
        n.inserts.process(work.subView(start, frames));
    }
}

void MixGraph::applyClipGainAndFades(Node& n, AudioView work, std::uint64_t at) {
    const TrackSpec& t = *n.track;
    const double fs = rate_;
    const std::uint64_t start = n.source->startFrame(), length = n.source->lengthFrames();
    const auto fadeIn = static_cast<std::uint64_t>(t.fadeInSeconds * fs);
    const auto fadeOut = static_cast<std::uint64_t>(t.fadeOutSeconds * fs);
    const bool fading = (fadeIn > 0 && at < start + fadeIn) || (fadeOut > 0 && at + work.frames() + fadeOut >= start + length);
    if (!fading) {
        if (n.clipGain == 1.0) return;
        const auto g = static_cast<float>(n.clipGain);
        for (int c = 0; c < work.channels(); ++c)
            for (std::size_t k = 0; k < work.frames(); ++k) work.channel(c)[k] *= g;
        return;
    }
    for (std::size_t k = 0; k < work.frames(); ++k) {
        double g = n.clipGain;
        if (fading) {
            const std::uint64_t frame = at + k;
            if (frame >= start && frame < start + length) {
                const std::uint64_t into = frame - start, left = start + length - frame;
                if (fadeIn > 0 && into < fadeIn) g *= fadeGain(t.fadeShape, static_cast<double>(into) / static_cast<double>(fadeIn));
                if (fadeOut > 0 && left <= fadeOut)
                    g *= fadeGain(t.fadeShape, static_cast<double>(left - 1) / static_cast<double>(fadeOut));
            }
        }
        if (g != 1.0)
            for (int c = 0; c < work.channels(); ++c) work.channel(c)[k] = static_cast<float>(work.channel(c)[k] * g);
    }
}

void MixGraph::panOrBalance(Node& n, AudioView in, AudioView out, std::uint64_t at) {
    const bool mono = in.channels() == 1;
    const PanLaw law = mono ? n.panLaw : PanLaw::Balance0dB;
    const auto fixed = panGains(n.pan, law);
    if (!n.panLane && n.width == 1.0) {
        const auto gl = static_cast<float>(fixed[0]), gr = static_cast<float>(fixed[1]);
        const float* l = in.channel(0);
        const float* r = in.channel(mono ? 0 : 1);
        for (std::size_t k = 0; k < in.frames(); ++k) {
            out.channel(0)[k] = l[k] * gl;
            out.channel(1)[k] = r[k] * gr;
        }
        return;
    }
    for (std::size_t k = 0; k < in.frames(); ++k) {
        const auto g = n.panLane ? panGains(n.panLane->valueAt(at + k), law) : fixed;
        if (mono) {
            out.channel(0)[k] = static_cast<float>(in.channel(0)[k] * g[0]);
            out.channel(1)[k] = static_cast<float>(in.channel(0)[k] * g[1]);
        } else {
            double l = in.channel(0)[k], r = in.channel(1)[k];
            if (n.width != 1.0) {
                const double mid = 0.5 * (l + r), side = 0.5 * (l - r) * n.width;
                l = mid + side;
                r = mid - side;
            }
            out.channel(0)[k] = static_cast<float>(l * g[0]);
            out.channel(1)[k] = static_cast<float>(r * g[1]);
        }
    }
}

void MixGraph::deliverSilence(Node& n, std::size_t frames, std::vector<AudioBuffer>& stems, std::size_t& stemIndex) {
    for (auto& c : n.outputs)
        if (c.destination == masterIndex() && !c.send) {
            AudioBuffer& stem = stems[stemIndex++];
            for (int ch = 0; ch < 2; ++ch) std::fill_n(stem.channel(ch), frames, 0.0f);
        }
}

}  // namespace bounce::mixing
