#include "bounce/mix_renderer.h"

#include "bounce/atomic_output.h"
#include "bounce/output_writer.h"
#include "bounce/error.h"
#include "bounce/processor_chain.h"
#include "bounce/processor_registry.h"
#include "bounce/resampler.h"
#include "bounce/sound_file.h"
#include "bounce/time_pitch.h"
#include "bounce/delay_line.h"
#include "bounce/fast_math.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <numbers>
#include <set>

namespace bounce {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kBlockFrames = 1024;
constexpr double kHoldRampSeconds = 0.005;  // a held automation step glides over 5 ms

// ------------------------------------------------------------------ automation

// Evaluates a lane frame by frame, moving forward only (no search per frame).
class LaneCursor {
public:
    explicit LaneCursor(const AutomationLane* lane, double sampleRate) : lane_(lane), sampleRate_(sampleRate) {}
    bool active() const noexcept { return lane_ != nullptr; }

    double valueAt(std::uint64_t frame) noexcept {
        const auto& points = lane_->points;
        const double t = static_cast<double>(frame) / sampleRate_;
        while (next_ < points.size() && points[next_].first <= t) ++next_;
        if (next_ == 0) return points.front().second;
        const auto& [t0, v0] = points[next_ - 1];
        if (lane_->curve == AutomationCurve::Hold) {
            // The step glides over 5 ms from where it is written, so it does not click.
            if (next_ >= 2 && t - t0 < kHoldRampSeconds) {
                const double previous = points[next_ - 2].second;
                return previous + (v0 - previous) * (t - t0) / kHoldRampSeconds;
            }
            return v0;
        }
        if (next_ == points.size()) return v0;
        const auto& [t1, v1] = points[next_];
        if (t1 <= t0) return v1;
        const double x = (t - t0) / (t1 - t0);
        if (lane_->curve == AutomationCurve::Exponential && v0 != 0.0 && v1 != 0.0 && (v0 > 0.0) == (v1 > 0.0))
            return v0 * std::pow(v1 / v0, x);
        return v0 + (v1 - v0) * x;
    }

private:
    const AutomationLane* lane_;
    double sampleRate_;
    std::size_t next_ = 0;
};

const AutomationLane* findLane(const std::vector<AutomationLane>& lanes, const std::string& parameter) {
    for (const auto& lane : lanes)
        if (lane.parameter == parameter) return &lane;
    return nullptr;
}

// ------------------------------------------------------------------ delay line

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

// ------------------------------------------------------------------ track source

// A track's region, read from its file, resampled to the session rate if need be, placed
// on the timeline: frames before the start and after the end are silence.
class TrackSource {
public:
    TrackSource(const TrackSpec& track, double sessionRate) : reader_(track.file) {
        const SoundFileInfo& info = reader_.info();
        channels_ = info.channels;
        const auto regionStart = static_cast<std::int64_t>(std::llround(track.regionStartSeconds * info.sampleRate));
        std::int64_t regionEnd = info.frames;
        if (track.regionEndSeconds)
            regionEnd = std::min(regionEnd, static_cast<std::int64_t>(std::llround(*track.regionEndSeconds * info.sampleRate)));
        remaining_ = std::max<std::int64_t>(0, regionEnd - regionStart);
        if (regionStart > 0 && remaining_ > 0) reader_.seek(regionStart);
        startFrame_ = static_cast<std::uint64_t>(std::llround(track.startSeconds * sessionRate));
        const double ratio = sessionRate / info.sampleRate;
        lengthFrames_ = static_cast<std::uint64_t>(std::llround(static_cast<double>(remaining_) * ratio));
        if (info.sampleRate != sessionRate) resampler_ = std::make_unique<Resampler>(info.sampleRate, sessionRate, channels_);
        readBuffer_.resize(channels_, kBlockFrames);
        fifo_.resize(static_cast<std::size_t>(channels_));
    }

    int channels() const noexcept { return channels_; }
    std::uint64_t startFrame() const noexcept { return startFrame_; }
    std::uint64_t endFrame() const noexcept { return startFrame_ + lengthFrames_; }
    std::uint64_t lengthFrames() const noexcept { return lengthFrames_; }

    // Fills the block that starts at timeline frame `at`.
    void fill(AudioView out, std::uint64_t at) {
        for (int c = 0; c < channels_; ++c) std::fill_n(out.channel(c), out.frames(), 0.0f);
        const std::uint64_t blockEnd = at + out.frames();
        if (blockEnd <= startFrame_ || at >= endFrame()) return;
        const std::size_t skip = at < startFrame_ ? static_cast<std::size_t>(startFrame_ - at) : 0;
        const std::size_t want = static_cast<std::size_t>(std::min(blockEnd, endFrame()) - std::max(at, startFrame_));
        pull(out.subView(skip, want));
    }

private:
    void pull(AudioView out) {
        if (!resampler_) {
            const std::size_t got =
                remaining_ > 0 ? reader_.read(out.subView(0, std::min<std::size_t>(out.frames(), static_cast<std::size_t>(remaining_))))
                               : 0;
            remaining_ -= static_cast<std::int64_t>(got);
            return;
        }
        // Keep the FIFO of resampled audio filled, then copy out.
        const auto sink = [this](ConstAudioView block) {
            for (int c = 0; c < channels_; ++c)
                fifo_[static_cast<std::size_t>(c)].insert(fifo_[static_cast<std::size_t>(c)].end(), block.channel(c),
                                                          block.channel(c) + block.frames());
        };
        while (fifo_[0].size() - fifoRead_ < out.frames() && !flushed_) {
            const std::size_t want = std::min<std::size_t>(kBlockFrames, static_cast<std::size_t>(std::max<std::int64_t>(remaining_, 0)));
            const std::size_t got = want > 0 ? reader_.read(readBuffer_.view().subView(0, want)) : 0;
            remaining_ -= static_cast<std::int64_t>(got);
            if (got > 0) {
                resampler_->process(ConstAudioView(readBuffer_.view()).subView(0, got), sink);
            } else {
                resampler_->flush(sink);
                flushed_ = true;
            }
        }
        const std::size_t available = std::min(out.frames(), fifo_[0].size() - fifoRead_);
        for (int c = 0; c < channels_; ++c) std::copy_n(fifo_[static_cast<std::size_t>(c)].data() + fifoRead_, available, out.channel(c));
        fifoRead_ += available;
        if (fifoRead_ > 65536) {  // compact now and then; the FIFO stays a few blocks long
            for (auto& f : fifo_) f.erase(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(fifoRead_));
            fifoRead_ = 0;
        }
    }

    SoundFileReader reader_;
    int channels_ = 0;
    std::int64_t remaining_ = 0;  // source frames of the region still to read
    std::uint64_t startFrame_ = 0, lengthFrames_ = 0;
    std::unique_ptr<Resampler> resampler_;
    AudioBuffer readBuffer_;
    std::vector<std::vector<float>> fifo_;
    std::size_t fifoRead_ = 0;
    bool flushed_ = false;
};

// ------------------------------------------------------------------ graph

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

std::unique_ptr<LaneCursor> laneFor(const std::vector<AutomationLane>& lanes, const std::string& parameter, double rate) {
    const AutomationLane* lane = findLane(lanes, parameter);
    return lane ? std::make_unique<LaneCursor>(lane, rate) : nullptr;
}

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
        result.push_back(std::move(l));
    }
    return result;
}

// Insert parameters follow their lanes every 32 frames (0.7 ms at 48 kHz); each processor
// glides between the values it is given, so the result is smooth and on time.
constexpr std::size_t kInsertAutomationFrames = 32;

double normalizationGainDb(const TrackSpec& track) {
    if (track.normalize == NormalizeMode::None) return 0.0;
    // Measured over the region actually used, with the project's own meter.
    SoundFileReader reader(track.file);
    const auto& info = reader.info();
    const auto start = static_cast<std::int64_t>(std::llround(track.regionStartSeconds * info.sampleRate));
    std::int64_t end = info.frames;
    if (track.regionEndSeconds) end = std::min(end, static_cast<std::int64_t>(std::llround(*track.regionEndSeconds * info.sampleRate)));
    if (start > 0) reader.seek(start);
    ProgramAnalyzer analyzer(info.sampleRate, info.channels, info.speakers, track.normalize == NormalizeMode::Peak);
    AudioBuffer block(info.channels, 8192);
    for (std::int64_t left = end - start; left > 0;) {
        const std::size_t got = reader.read(block.view().subView(0, static_cast<std::size_t>(std::min<std::int64_t>(left, 8192))));
        if (got == 0) break;
        analyzer.addFrames(ConstAudioView(block.view()).subView(0, got));
        left -= static_cast<std::int64_t>(got);
    }
    const auto result = analyzer.result();
    const auto measured = track.normalize == NormalizeMode::Peak ? result.samplePeakDbfs : result.integratedLufs;
    return measured ? track.normalizeTargetDb - *measured : 0.0;
}

// A folder for the pitch- and time-changed regions of one render, removed with it.
class ScratchFolder {
public:
    ScratchFolder() {
        std::string pattern = (fs::temp_directory_path() / "bounce-mix-XXXXXX").string();
        if (::mkdtemp(pattern.data())) path_ = pattern;
    }
    ~ScratchFolder() {
        std::error_code ec;
        if (!path_.empty()) fs::remove_all(path_, ec);
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

class MixGraph {
public:
    MixGraph(const Session& session, const ScratchFolder& scratch) : session_(session), rate_(session.sampleRate) {
        const bool anySolo = std::any_of(session.tracks.begin(), session.tracks.end(), [](const TrackSpec& t) { return t.solo; });
        nodes_.reserve(session.tracks.size() + session.buses.size() + session.returns.size() + 1);
        // Node order is processing order: tracks, buses (feeders first), returns, master.
        for (const auto& t : session.tracks) {
            Node& n = add(NodeKind::Track, t.name);
            n.track = &t;
            if (t.changesPitchOrTime()) {
                // Rendered once, before the mix, to a float file the track then reads.
                if (scratch.path().empty()) throw Error("mix: cannot create a temporary folder for pitch and time changes");
                TrackSpec changed = t;
                changed.file = (fs::path(scratch.path()) / (std::to_string(nodes_.size()) + ".wav")).string();
                changed.regionStartSeconds = 0.0;
                changed.regionEndSeconds.reset();
                const SoundFileInfo info = SoundFileReader(t.file).info();
                const auto start = static_cast<long long>(std::llround(t.regionStartSeconds * info.sampleRate));
                long long end = info.frames;
                if (t.regionEndSeconds) end = std::min(end, static_cast<long long>(std::llround(*t.regionEndSeconds * info.sampleRate)));
                renderTimePitch(t.file, start, end, {t.timeRatio, t.pitchSemitones, t.preserveFormants}, changed.file);
                n.source = std::make_unique<TrackSource>(changed, rate_);
            } else {
                n.source = std::make_unique<TrackSource>(t, rate_);
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
        for (const BusSpec* b : busesInOrder(session)) {
            Node& n = add(NodeKind::Bus, b->name);
            n.gainDb = b->gainDb;
            n.pan = b->pan;
            n.panLaw = b->panLaw;
            n.silent = b->mute;
            n.gainLane = laneFor(b->automation, "gain_db", rate_);
            n.panLane = laneFor(b->automation, "pan", rate_);
            for (const auto& insert : b->inserts) n.inserts.add(createProcessor(insert, 2));
            n.insertLanes = insertLanesFor(b->automation, b->inserts, rate_);
        }
        for (const auto& r : session.returns) {
            Node& n = add(NodeKind::Return, r.name);
            n.gainDb = r.gainDb;
            n.pan = r.pan;
            n.panLaw = r.panLaw;
            n.silent = r.mute;
            n.gainLane = laneFor(r.automation, "gain_db", rate_);
            n.panLane = laneFor(r.automation, "pan", rate_);
            for (const auto& insert : r.inserts) n.inserts.add(createProcessor(insert, 2));
            n.insertLanes = insertLanesFor(r.automation, r.inserts, rate_);
        }
        {
            Node& m = add(NodeKind::Master, "master");
            m.gainDb = session.master.gainDb;
            m.gainLane = laneFor(session.master.automation, "gain_db", rate_);
            for (const auto& insert : session.master.inserts) m.inserts.add(createProcessor(insert, 2));
            m.insertLanes = insertLanesFor(session.master.automation, session.master.inserts, rate_);
        }
        // Connections: main outputs and sends.
        for (const auto& t : session.tracks) connect(index(t.name), t.bus.empty() ? masterIndex() : index(t.bus), t.sends, t.automation);
        for (const auto& b : session.buses)
            connect(index(b.name), b.output.empty() ? masterIndex() : index(b.output), b.sends, b.automation);
        for (const auto& r : session.returns) connect(index(r.name), masterIndex(), {}, r.automation);

        // Prepare, then balance latency in processing order.
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

    int masterIndex() const { return static_cast<int>(nodes_.size()) - 1; }
    Node& master() { return nodes_.back(); }
    std::vector<Node>& nodes() { return nodes_; }
    int latency() const { return nodes_.back().outputLatency; }
    // Before rendering: the delivered timeline ends at `timelineEnd`; each node's inserts hear
    // of it where it reaches them (after their input latency).
    void inputEndsAt(std::uint64_t timelineEnd) noexcept {
        for (auto& n : nodes_) n.inserts.inputEndsIn(timelineEnd + static_cast<std::uint64_t>(n.inputLatency));
    }

    std::uint64_t songEndFrame() const {
        std::uint64_t end = 0;
        for (const auto& n : nodes_)
            if (n.source) end = std::max(end, n.source->endFrame());
        return end;
    }

    // Processes one block at timeline frame `at`. `masterInput` receives, per master
    // input connection (in node order), what that connection delivered: the stems.
    void process(std::uint64_t at, std::size_t frames, std::vector<AudioBuffer>* stemInputs) {
        for (auto& n : nodes_) n.input.clear();
        // The tracks first, side by side: their inserts run position by position across all
        // tracks (ProcessorChain::processSideBySide), so that like processors overlap.
        // Tracks with automated inserts run alone, in sub-blocks.
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
        std::size_t stemIndex = 0;
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
            Node& n = nodes_[i];
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
            // Fast path: nothing moves and nothing is delayed. Fold pan, fader and send level
            // into two gains and add straight into the destinations.
            const bool staticPan = !n.panLane && n.width == 1.0 && !n.gainLane;
            bool allFast = staticPan && !n.silent;
            for (const auto& c : n.outputs)
                allFast =
                    allFast && !c.levelLane && c.compensation.frames() == 0 && !(stemInputs && c.destination == masterIndex() && !c.send);
            if (allFast) {
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
                continue;
            }
            AudioView panned = n.panned.view().subView(0, frames);
            panOrBalance(n, work, panned, at);
            // The fader as a linear gain: per frame when automated (lanes only move forward,
            // so each is evaluated once per frame), one number otherwise.
            const bool faderMoves = n.gainLane != nullptr;
            if (faderMoves)
                for (std::size_t k = 0; k < frames; ++k) n.faderDb[k] = n.gainLane->valueAt(at + k);
            const double staticFader = n.silent ? 0.0 : dbToGain(n.gainDb);
            // Outputs: fader (and send level), then compensation, then the sum.
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
        // Master fader.
        Node& m = master();
        for (std::size_t k = 0; k < frames; ++k) {
            const auto g = static_cast<float>(dbToGain(m.gainLane ? m.gainLane->valueAt(at + k) : m.gainDb));
            m.work.channel(0)[k] *= g;
            m.work.channel(1)[k] *= g;
        }
    }

    // Names of the master's direct inputs (the stems), in node order.
    std::vector<std::string> stemNames() const {
        std::vector<std::string> names;
        for (std::size_t i = 0; i + 1 < nodes_.size(); ++i)
            for (const auto& c : nodes_[i].outputs)
                if (c.destination == static_cast<int>(nodes_.size()) - 1 && !c.send) names.push_back(nodes_[i].name);
        return names;
    }

private:
    Node& add(NodeKind kind, const std::string& name) {
        nodes_.emplace_back();
        nodes_.back().kind = kind;
        nodes_.back().name = name;
        return nodes_.back();
    }

    int index(const std::string& name) const {
        for (std::size_t i = 0; i < nodes_.size(); ++i)
            if (nodes_[i].name == name && nodes_[i].kind != NodeKind::Track) return static_cast<int>(i);
        for (std::size_t i = 0; i < nodes_.size(); ++i)
            if (nodes_[i].name == name) return static_cast<int>(i);
        throw Error("mix: unknown node '" + name + "'");
    }

    void connect(int from, int to, const std::vector<SendSpec>& sends, const std::vector<AutomationLane>& automation) {
        Node& n = nodes_[static_cast<std::size_t>(from)];
        Connection main;
        main.destination = to;
        n.outputs.push_back(std::move(main));
        for (const auto& s : sends) {
            Connection send;
            send.destination = index(s.to);
            send.send = true;
            send.preFader = s.preFader;
            send.levelDb = s.levelDb;
            send.levelLane = laneFor(automation, "send." + s.to + ".level_db", rate_);
            n.outputs.push_back(std::move(send));
        }
    }

    static std::vector<const BusSpec*> busesInOrder(const Session& session) {
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

    void processInserts(Node& n, AudioView work, std::uint64_t at) {
        if (n.insertLanes.empty()) {
            n.inserts.process(work);
            return;
        }
        for (std::size_t start = 0; start < work.frames(); start += kInsertAutomationFrames) {
            const std::size_t frames = std::min(kInsertAutomationFrames, work.frames() - start);
            for (auto& lane : n.insertLanes) {
                setInsertParameter(lane.spec, lane.path, lane.cursor->valueAt(at + start));
                configureProcessor(n.inserts.at(lane.insert), lane.spec, n.channels);
            }
            n.inserts.process(work.subView(start, frames));
        }
    }

    void applyClipGainAndFades(Node& n, AudioView work, std::uint64_t at) {
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

    // Mono: panned into stereo with the track's law. Stereo: width, then balance (a
    // stereo file at the centre keeps its level).
    void panOrBalance(Node& n, AudioView in, AudioView out, std::uint64_t at) {
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

    void deliverSilence(Node& n, std::size_t frames, std::vector<AudioBuffer>& stems, std::size_t& stemIndex) {
        for (auto& c : n.outputs)
            if (c.destination == masterIndex() && !c.send) {
                AudioBuffer& stem = stems[stemIndex++];
                for (int ch = 0; ch < 2; ++ch) std::fill_n(stem.channel(ch), frames, 0.0f);
            }
    }

    const Session& session_;
    double rate_;
    std::vector<Node> nodes_;
    // processSideBySide()'s lists, kept to avoid allocating per block.
    std::vector<ProcessorChain*> sideBySideChains_;
    std::vector<AudioView> sideBySideViews_;
};

// One output file of the mix (the mix, or a stem) at the session's bits and rate, 16 and
// 24 bits TPDF-dithered; the mix is measured as written.
std::unique_ptr<OutputWriter> openOutput(const std::string& path, const std::vector<std::string>& inputs, double sessionRate,
                                         double outputRate, const std::string& bits, bool analyse) {
    OutputSpec spec;
    spec.path = path;
    spec.inputs = inputs;
    spec.container = fileFormatForPath(path);
    if (spec.container == FileFormat::Other || spec.container == FileFormat::Mp3)
        throw ConfigError(path + ": unknown output format (use .wav, .w64, .aiff or .flac)");
    spec.sampleFormat = outputSampleFormat(bits, spec.container);
    spec.inputRate = sessionRate;
    spec.outputRate = outputRate;
    return std::make_unique<OutputWriter>(spec, analyse ? std::make_unique<ProgramAnalyzer>(outputRate, 2) : nullptr);
}

std::string stemFileName(const std::string& name, const std::string& extension) {
    std::string safe;
    for (char ch : name) safe += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') ? ch : '_';
    return safe + extension;
}

}  // namespace

MixResult renderMix(const Session& session, const MixRenderOptions& options) {
    const ScratchFolder scratch;
    MixGraph graph(session, scratch);
    MixResult result;
    result.latencyFrames = graph.latency();

    const double rate = session.sampleRate;
    const double outputRate = session.master.outputSampleRate > 0.0 ? session.master.outputSampleRate : rate;
    const std::string bits = options.bits.empty() ? session.master.bits : options.bits;
    const auto songEnd = graph.songEndFrame() + static_cast<std::uint64_t>(session.tailSeconds * rate);
    const auto from = static_cast<std::uint64_t>(std::llround(options.startSeconds * rate));
    const std::uint64_t to = options.endSeconds ? static_cast<std::uint64_t>(std::llround(*options.endSeconds * rate)) : songEnd;
    if (to <= from) throw ConfigError("--end must come after --start");

    std::vector<std::string> inputs;
    for (const auto& t : session.tracks) inputs.push_back(t.file);
    inputs.push_back(session.path);
    const auto mix = openOutput(options.outputPath, inputs, rate, outputRate, bits, true);

    // Stems: what each direct input of the master delivers; through copies of the master
    // chain when it is linear (then the stems sum to the mix), before it otherwise.
    const auto stemNames = graph.stemNames();
    std::vector<AudioBuffer> stemInputs;
    std::vector<std::unique_ptr<OutputWriter>> stems;
    std::vector<std::unique_ptr<ProcessorChain>> stemChains;
    const bool linearMaster = std::all_of(session.master.inserts.begin(), session.master.inserts.end(),
                                          [](const InsertSpec& i) { return processorIsLinear(i.type); });
    std::vector<std::unique_ptr<LaneCursor>> stemGainLanes;
    std::vector<StereoDelay> stemDelays;  // non-linear master: stems still line up with the mix
    if (!options.stemsFolder.empty()) {
        std::error_code ec;
        fs::create_directories(options.stemsFolder, ec);
        if (!fs::is_directory(options.stemsFolder)) throw ConfigError(options.stemsFolder + ": cannot create the stems folder");
        const std::string extension = fs::path(options.outputPath).extension().string();
        for (const auto& name : stemNames) {
            stemInputs.emplace_back(2, kBlockFrames);
            const std::string path = (fs::path(options.stemsFolder) / stemFileName(name, extension)).string();
            stems.push_back(openOutput(path, inputs, rate, outputRate, bits, false));
            result.stems.push_back(path);
            auto chain = std::make_unique<ProcessorChain>();
            if (linearMaster)
                for (const auto& insert : session.master.inserts) chain->add(createProcessor(insert, 2));
            chain->prepare({rate, static_cast<int>(kBlockFrames), 2});
            stemChains.push_back(std::move(chain));
            stemGainLanes.push_back(laneFor(session.master.automation, "gain_db", rate));
            stemDelays.emplace_back();
            stemDelays.back().prepare(linearMaster ? 0 : graph.master().inserts.latencyFrames());
        }
        if (!linearMaster && !session.master.inserts.empty())
            result.notes.push_back(
                "the master chain is not linear (it has dynamics or saturation), so the stems are taken "
                "before it and sum to the mix before the master chain");
    }

    // Render [0, to + latency): the master's latency is trimmed from the start.
    const auto latency = static_cast<std::uint64_t>(graph.latency());
    const std::uint64_t total = to + latency;
    graph.inputEndsAt(to);
    int lastPercent = -1;
    for (std::uint64_t at = 0; at < total; at += kBlockFrames) {
        const auto frames = static_cast<std::size_t>(std::min<std::uint64_t>(kBlockFrames, total - at));
        graph.process(at, frames, stems.empty() ? nullptr : &stemInputs);
        // Output frame t comes out of the graph at t + latency.
        const std::uint64_t outStart = at >= latency ? at - latency : 0;
        const std::size_t skip = at >= latency ? 0 : static_cast<std::size_t>(std::min<std::uint64_t>(latency - at, frames));
        if (skip >= frames) continue;
        const std::uint64_t first = std::max(outStart, from);
        const std::uint64_t last = std::min<std::uint64_t>(outStart + (frames - skip), to);
        // Stems run their own copies of the master chain over every frame, so their state
        // follows the master's; only the written range is cut.
        for (std::size_t s = 0; s < stems.size(); ++s) {
            AudioView stem = stemInputs[s].view().subView(0, frames);
            if (!linearMaster) {
                stemDelays[s].process(stem);
            } else {
                stemChains[s]->process(stem);
                for (std::size_t k = 0; k < frames; ++k) {
                    const double db = stemGainLanes[s] ? stemGainLanes[s]->valueAt(at + k) : session.master.gainDb;
                    const auto g = static_cast<float>(dbToGain(db));
                    stem.channel(0)[k] *= g;
                    stem.channel(1)[k] *= g;
                }
            }
        }
        if (first < last) {
            const std::size_t offset = skip + static_cast<std::size_t>(first - outStart);
            const auto count = static_cast<std::size_t>(last - first);
            mix->write(ConstAudioView(graph.master().work.view()).subView(offset, count));
            for (std::size_t s = 0; s < stems.size(); ++s) stems[s]->write(ConstAudioView(stemInputs[s].view()).subView(offset, count));
        }
        if (options.onProgress) {
            const int percent = static_cast<int>(100 * (at + frames) / total);
            if (percent != lastPercent) options.onProgress(percent / 100.0);
            lastPercent = percent;
        }
    }
    for (auto& s : stems) s->close();
    result.analysis = mix->close();
    return result;
}

}  // namespace bounce
