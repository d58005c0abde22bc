#include "bounce/check.h"
#include "bounce/fftw_planning.h"
#include "programme_views.h"

#include "bounce/output_writer.h"
#include "bounce/error.h"
#include "bounce/limiter.h"
#include "bounce/master.h"
#include "bounce/sound_file.h"
#include "bounce/true_peak.h"

#include <fftw3.h>
#include <unistd.h>

#include <algorithm>
#include <complex>
#include <cmath>
#include <limits>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace bounce {
namespace fs = std::filesystem;

namespace {

EqParams curve(std::initializer_list<EqBand> bands) {
    EqParams p;
    for (const auto& b : bands) p.bands[static_cast<std::size_t>(p.bandCount++)] = b;
    return p;
}

EqBand highPass(double hz, int slope) { return {EqBandType::HighPass, hz, 0.0, 0.7071, slope, true}; }
EqBand lowPass(double hz, int slope) { return {EqBandType::LowPass, hz, 0.0, 0.7071, slope, true}; }
EqBand peak(double hz, double db, double q) { return {EqBandType::Peak, hz, db, q, 12, true}; }
EqBand lowShelf(double hz, double db) { return {EqBandType::LowShelf, hz, db, 0.7071, 12, true}; }
EqBand highShelf(double hz, double db) { return {EqBandType::HighShelf, hz, db, 0.7071, 12, true}; }

// One playback model as a stream: response, mono fold-down, headroom limiter; measured,
// and written as a preview when asked.
struct SystemStream {
    const PlaybackSystem* system = nullptr;
    Equalizer eq;
    std::unique_ptr<TruePeakLimiter> limiter;
    std::unique_ptr<ProgramAnalyzer> analyzer;
    std::unique_ptr<OutputWriter> preview;  // 24-bit, undithered: a preview, not a delivery
    AudioBuffer work;
    std::uint64_t latencyLeft = 0;
};

// A mono excerpt (the first `seconds`), for alignment.
std::vector<float> monoExcerpt(const std::string& path, double seconds) {
    SoundFileReader reader(path);
    const int channels = reader.info().channels;
    const auto want = static_cast<std::size_t>(seconds * reader.info().sampleRate);
    std::vector<float> mono;
    AudioBuffer block(channels, 4096);
    while (mono.size() < want) {
        const std::size_t n = reader.read(block.view().subView(0, std::min<std::size_t>(4096, want - mono.size())));
        if (n == 0) break;
        for (std::size_t i = 0; i < n; ++i) {
            float sum = 0;
            for (int c = 0; c < channels; ++c) sum += block.channel(c)[i];
            mono.push_back(sum / static_cast<float>(channels));
        }
    }
    return mono;
}

// The lag (frames) that best lines b up with a: the peak of their cross-correlation
// (FFT), searched within +-maxLag. Positive: b is later.
std::int64_t alignmentLag(const std::vector<float>& a, const std::vector<float>& b, std::int64_t maxLag) {
    std::size_t n = 1;
    while (n < a.size() + b.size()) n *= 2;
    std::vector<float> x(n, 0.0f), y(n, 0.0f);
    std::copy(a.begin(), a.end(), x.begin());
    std::copy(b.begin(), b.end(), y.begin());
    std::vector<std::complex<float>> fx(n / 2 + 1), fy(n / 2 + 1);
    makeFftwPlannerThreadSafe();
    const auto forward = [n](std::vector<float>& in, std::vector<std::complex<float>>& out) {
        fftwf_plan plan =
            fftwf_plan_dft_r2c_1d(static_cast<int>(n), in.data(), reinterpret_cast<fftwf_complex*>(out.data()), FFTW_ESTIMATE);
        fftwf_execute(plan);
        fftwf_destroy_plan(plan);
    };
    forward(x, fx);
    forward(y, fy);
    for (std::size_t k = 0; k < fx.size(); ++k) fx[k] = std::conj(fx[k]) * fy[k];  // correlation: b shifted against a
    std::vector<float> r(n);
    fftwf_plan inverse = fftwf_plan_dft_c2r_1d(static_cast<int>(n), reinterpret_cast<fftwf_complex*>(fx.data()), r.data(), FFTW_ESTIMATE);
    fftwf_execute(inverse);
    fftwf_destroy_plan(inverse);
    std::int64_t best = 0;
    float bestValue = -1e30f;
    for (std::int64_t lag = -maxLag; lag <= maxLag; ++lag) {
        const float v = r[static_cast<std::size_t>((lag + static_cast<std::int64_t>(n)) % static_cast<std::int64_t>(n))];
        if (v > bestValue) {
            bestValue = v;
            best = lag;
        }
    }
    return best;
}

// Streams both files lined up (b read `lag` frames later) and measures their difference.
void measureResidual(const std::string& aPath, const std::string& bPath, std::int64_t lag, VersionComparison& out) {
    SoundFileReader a(aPath), b(bPath);
    const int channels = std::min(a.info().channels, b.info().channels);
    if (lag > 0) b.seek(lag);
    if (lag < 0) a.seek(-lag);
    AudioBuffer x(a.info().channels, 4096), y(b.info().channels, 4096);
    double diff = 0, bb = 0, ab = 0, aa = 0;
    std::uint64_t count = 0;
    for (;;) {
        const std::size_t na = a.read(x.view()), nb = b.read(y.view());
        const std::size_t n = std::min(na, nb);
        if (n == 0) break;
        for (int c = 0; c < channels; ++c)
            for (std::size_t i = 0; i < n; ++i) {
                const double p = x.channel(c)[i], q = y.channel(c)[i];
                diff += (p - q) * (p - q);
                bb += q * q;
                ab += p * q;
                aa += p * p;
            }
        count += n * static_cast<std::uint64_t>(channels);
        if (na != nb) break;
    }
    if (count == 0) return;
    const double frames = static_cast<double>(count);
    out.nullResidualDbfs = powerToDb(diff / frames);
    // The gain g on b that minimises |a - g b|^2 is <a,b> / <b,b>.
    const double g = bb > 0 ? ab / bb : 1.0;
    out.matchedGainDb = g > 0 ? 20.0 * std::log10(g) : 0.0;
    out.matchedResidualDbfs = powerToDb(std::max(aa - 2.0 * g * ab + g * g * bb, 0.0) / frames);
}

}  // namespace

// The models: see docs/playback-systems.md for what each approximates and why.
const std::vector<PlaybackSystem>& playbackSystems() {
    static const std::vector<PlaybackSystem> systems = {
        {"earbuds", "in-ear buds, unsealed: bass rolls off below 80 Hz, a 3 kHz ear-canal peak, treble falls above 10 kHz",
         curve({highPass(80.0, 12), peak(3000.0, 5.0, 1.5), lowPass(10000.0, 12)}), false, 0.0},
        {"phone", "a phone's own speaker: nothing below 300 Hz, a resonance near 3 kHz, mono, 6 dB of headroom",
         curve({highPass(300.0, 48), peak(3000.0, 6.0, 1.0), lowPass(12000.0, 12)}), true, -6.0},
        {"laptop", "laptop speakers: nothing below 180 Hz, a presence peak near 4 kHz, 4 dB of headroom",
         curve({highPass(180.0, 24), peak(4000.0, 4.0, 1.0), lowPass(15000.0, 12)}), false, -4.0},
        {"tv", "a flat-screen TV's speakers: bass from 100 Hz, a 2.5 kHz bump for dialogue",
         curve({highPass(100.0, 24), peak(2500.0, 3.0, 1.0), lowPass(14000.0, 12)}), false, -3.0},
        {"car", "a car cabin: +6 dB of cabin gain below 80 Hz, a 250 Hz dip from the doors, softer treble",
         curve({highPass(30.0, 12), lowShelf(80.0, 6.0), peak(250.0, -3.0, 1.4), highShelf(8000.0, -2.0)}), false, 0.0},
        {"club", "a club PA: subs to 30 Hz with +6 dB of sub-bass, treble rolled off",
         curve({highPass(30.0, 24), lowShelf(60.0, 6.0), highShelf(10000.0, -2.0)}), false, 0.0},
    };
    return systems;
}

const PlaybackSystem* findPlaybackSystem(const std::string& name) {
    for (const auto& s : playbackSystems())
        if (s.name == name) return &s;
    return nullptr;
}

namespace {

constexpr std::size_t kBlock = 4096;

std::vector<const PlaybackSystem*> chooseSystems(const CheckSettings& settings) {
    std::vector<const PlaybackSystem*> chosen;
    if (!settings.playbackSystems) return chosen;
    if (settings.systems.empty()) {
        for (const auto& s : playbackSystems()) chosen.push_back(&s);
        return chosen;
    }
    for (const auto& name : settings.systems) {
        const PlaybackSystem* s = findPlaybackSystem(name);
        if (!s) {
            std::string names;
            for (const auto& known : playbackSystems()) names += (names.empty() ? "" : ", ") + known.name;
            throw ConfigError("--systems: unknown system \"" + name + "\" (known: " + names + ")");
        }
        chosen.push_back(s);
    }
    return chosen;
}

// The loudness curve, and the longest silence inside the programme, from the meter's
// 100 ms hops.
class HopWatcher {
public:
    void onHop(const LoudnessHop& hop) {
        curve.push_back({hop.endSeconds, hop.momentaryLufs, hop.shortTermLufs});
        const bool quiet = !hop.momentaryLufs || *hop.momentaryLufs < -60.0;
        if (!quiet) {
            if (loudHops_ > 0 && quietHops_ > 0) {
                const double seconds = static_cast<double>(quietHops_) * 0.1;
                if (seconds > longestQuietS) {
                    longestQuietS = seconds;
                    longestQuietAt = hop.endSeconds - seconds;
                }
            }
            ++loudHops_;
            quietHops_ = 0;
        } else if (loudHops_ > 0) {
            ++quietHops_;
        }
    }

    std::vector<LoudnessPoint> curve;
    double longestQuietS = 0.0, longestQuietAt = 0.0;

private:
    std::uint64_t quietHops_ = 0, loudHops_ = 0;
};

// The waveform's 800 columns over the length the header promises (a longer file piles
// into the last), their clip and true-peak marks, and the last 10 ms (a tail cut
// mid-signal).
class WaveformWatcher {
public:
    static constexpr std::size_t kColumns = 800;

    explicit WaveformWatcher(const SoundFileInfo& info)
        : columns(kColumns),
          channels_(info.channels),
          framesPerColumn_(std::max(1.0, static_cast<double>(std::max<std::int64_t>(info.frames, 1)) / kColumns)),
          tailFrames_(static_cast<std::size_t>(0.01 * info.sampleRate)),
          tail_(tailFrames_ * static_cast<std::size_t>(info.channels), 0.0f),
          truePeaks_(static_cast<std::size_t>(info.channels)),
          peaks_(kBlock) {
        for (auto& d : truePeaks_) d.prepare(info.sampleRate);
    }

    void add(ConstAudioView in) {
        const std::size_t n = in.frames();
        for (std::size_t k = 0; k < n; ++k) {
            WaveformColumn& col = columnAt(frames_ + k);
            for (int c = 0; c < channels_; ++c) {
                const float v = in.channel(c)[k];
                if (!std::isfinite(v)) continue;
                col.min = std::min(col.min, v);
                col.max = std::max(col.max, v);
                if (std::fabs(v) >= kFullScaleThreshold) col.clipped = true;
            }
            for (int c = 0; c < channels_; ++c)
                tail_[tailWrite_ * static_cast<std::size_t>(channels_) + static_cast<std::size_t>(c)] = in.channel(c)[k];
            tailWrite_ = tailWrite_ + 1 == tailFrames_ ? 0 : tailWrite_ + 1;
        }
        // Each column's true peak (the reports' true peak over time) and whether it passes
        // -1 dBTP (the waveform's markers).
        const float markAbove = static_cast<float>(std::pow(10.0, -1.0 / 20.0));
        for (int c = 0; c < channels_; ++c) {
            TruePeakDetector& detector = truePeaks_[static_cast<std::size_t>(c)];
            // Peaks lag the input by the interpolator's delay. A column at a time, with its
            // peak so far as the floor: the detector computes only what can raise it.
            const auto delay = static_cast<std::uint64_t>(detector.delayFrames());
            for (std::size_t k = 0; k < n;) {
                const std::uint64_t at = frames_ + k >= delay ? frames_ + k - delay : 0;
                WaveformColumn& column = columnAt(at);
                const std::size_t count = std::min(n - k, framesLeftInColumn(at));
                const float floor = std::max(kDrawnFrom, column.truePeak);
                detector.process(in.channel(c) + k, count, peaks_.data(), floor);
                for (std::size_t i = 0; i < count; ++i) column.truePeak = std::max(column.truePeak, peaks_[i] > floor ? peaks_[i] : 0.0f);
                column.truePeakHigh = column.truePeak > markAbove;
                k += count;
            }
        }
        frames_ += n;
    }

    std::uint64_t frames() const noexcept { return frames_; }
    // The RMS level of the last 10 ms, or nullopt when the file is shorter.
    std::optional<double> tailDbfs() const {
        if (frames_ <= tailFrames_) return std::nullopt;
        double squares = 0;
        for (float v : tail_) squares += static_cast<double>(v) * v;
        return powerToDb(squares / static_cast<double>(std::max<std::size_t>(tail_.size(), 1)));
    }

    std::vector<WaveformColumn> columns;

private:
    // Columns' true peaks are drawn from -20 dBTP up (the detector skips what is under it).
    static constexpr float kDrawnFrom = 0.1f;

    WaveformColumn& columnAt(std::uint64_t frame) {
        return columns[std::min(kColumns - 1, static_cast<std::size_t>(static_cast<double>(frame) / framesPerColumn_))];
    }
    // Frames from `frame` to the next column's first (the last column runs on).
    std::size_t framesLeftInColumn(std::uint64_t frame) const {
        const auto index = static_cast<std::size_t>(static_cast<double>(frame) / framesPerColumn_);
        if (index >= kColumns - 1) return std::numeric_limits<std::size_t>::max();
        std::uint64_t next = static_cast<std::uint64_t>(std::ceil(static_cast<double>(index + 1) * framesPerColumn_));
        while (static_cast<std::size_t>(static_cast<double>(next) / framesPerColumn_) <= index) ++next;
        return static_cast<std::size_t>(std::max<std::uint64_t>(1, next - frame));
    }

    int channels_;
    double framesPerColumn_;
    std::size_t tailFrames_;
    std::vector<float> tail_;
    std::size_t tailWrite_ = 0;
    std::vector<TruePeakDetector> truePeaks_;
    std::vector<float> peaks_;
    std::uint64_t frames_ = 0;
};

// The chosen playback systems, run side by side over the programme.
class SystemBank {
public:
    SystemBank(const std::vector<const PlaybackSystem*>& chosen, double rate, int channels, const std::string& path,
               const std::string& againstPath, const std::string& previewDir, OutputSet& previews)
        : streams(chosen.size()), channels_(channels) {
        for (std::size_t i = 0; i < chosen.size(); ++i) {
            SystemStream& s = streams[i];
            s.system = chosen[i];
            s.eq.setParams(chosen[i]->response);
            s.eq.prepare({rate, static_cast<int>(kBlock), channels});
            if (chosen[i]->headroomDbfs < 0.0) {
                s.limiter = std::make_unique<TruePeakLimiter>();
                s.limiter->setParams({chosen[i]->headroomDbfs, 2.0, 100.0});
                s.limiter->prepare({rate, static_cast<int>(kBlock), channels});
                s.latencyLeft = static_cast<std::uint64_t>(s.limiter->latencyFrames());
            }
            // Loudness and spectrum only: a system's true peak is not reported.
            s.analyzer = std::make_unique<ProgramAnalyzer>(rate, channels, std::vector<Speaker>{}, false);
            s.analyzer->enableSpectrumProfile();
            s.analyzer->disableStatistics();
            s.work.resize(channels, kBlock);
            if (!previewDir.empty()) {
                OutputSpec spec;
                spec.path = (fs::path(previewDir) / (fs::path(path).stem().string() + "." + chosen[i]->name + ".wav")).string();
                spec.inputs = {path, againstPath};
                spec.inputRate = rate;
                spec.channels = channels;
                spec.sampleFormat = SampleFormat::Pcm24;
                spec.dither = DitherType::None;
                spec.blockFrames = kBlock;
                spec.set = &previews;
                s.preview = std::make_unique<OutputWriter>(spec);
            }
        }
    }

    void process(ConstAudioView in) {
        // The responses side by side (Equalizer::processAcross: their recursions overlap).
        equalizers_.clear();
        views_.clear();
        for (SystemStream& s : streams) {
            AudioView w = s.work.view().subView(0, in.frames());
            for (int c = 0; c < channels_; ++c) std::copy_n(in.channel(c), in.frames(), w.channel(c));
            equalizers_.push_back(&s.eq);
            views_.push_back(w);
        }
        Equalizer::processAcross(equalizers_.data(), views_.data(), static_cast<int>(equalizers_.size()));
        for (SystemStream& s : streams) {
            AudioView w = s.work.view().subView(0, in.frames());
            if (s.system->mono && channels_ == 2)
                for (std::size_t k = 0; k < w.frames(); ++k) w.channel(0)[k] = w.channel(1)[k] = 0.5f * (w.channel(0)[k] + w.channel(1)[k]);
            if (s.limiter) s.limiter->process(w);
            // The limiter's look-ahead: its first output frames are silence before the start.
            const std::size_t skip = static_cast<std::size_t>(std::min<std::uint64_t>(s.latencyLeft, w.frames()));
            s.latencyLeft -= skip;
            const ConstAudioView out = ConstAudioView(w).subView(skip, w.frames() - skip);
            s.analyzer->addFrames(out);
            if (s.preview) s.preview->write(out);
        }
    }

    // Flushes the limiters' look-ahead with silence.
    void flush() {
        for (SystemStream& s : streams) {
            if (!s.limiter) continue;
            s.limiter->inputEndsIn(0);
            for (auto left = static_cast<std::size_t>(s.limiter->latencyFrames()); left > 0;) {
                AudioView w = s.work.view().subView(0, std::min(left, kBlock));
                for (int c = 0; c < channels_; ++c) std::fill_n(w.channel(c), w.frames(), 0.0f);
                s.limiter->process(w);
                s.analyzer->addFrames(w);
                if (s.preview) s.preview->write(w);
                left -= w.frames();
            }
        }
    }

    std::vector<SystemStream> streams;

private:
    int channels_;
    std::vector<Equalizer*> equalizers_;
    std::vector<AudioView> views_;
};

// What each system does to the programme, octave by octave, against its input (r.profile).
std::vector<SystemCheck> systemChecks(std::vector<SystemStream>& streams, const CheckResult& r) {
    const auto& octaves = octaveBandsHz();
    std::vector<SystemCheck> checks;
    for (SystemStream& s : streams) {
        SystemCheck c;
        c.name = s.system->name;
        c.description = s.system->description;
        const AnalysisResult out = s.analyzer->result();
        const SpectrumProfile outProfile = s.analyzer->spectrumProfile(out);
        for (std::size_t k = 0; k < octaves.size(); ++k) {
            const double before = octaveBandPower(r.profile, k), after = octaveBandPower(outProfile, k);
            c.bandGainDb.push_back(before > 0 && after > 0 ? powerToDb(after / before) : -120.0);
        }
        for (std::size_t b = 0; b < outProfile.bandHz.size(); ++b) c.thirdOctaveDb.push_back(outProfile.totalDb(b));
        if (out.integratedLufs && r.analysis.integratedLufs) c.loudnessChangeLu = *out.integratedLufs - *r.analysis.integratedLufs;
        double outLoudest = 0;
        for (std::size_t k = 0; k < octaves.size(); ++k) outLoudest = std::max(outLoudest, octaveBandPower(outProfile, k));
        c.bassAudible = outProfile.powerBetween(80.0, 500.0) >= outLoudest * dbToPower(-20.0);
        c.presenceMasked = outProfile.powerBetween(1000.0, 4000.0) < outProfile.powerBetween(250.0, 500.0) * dbToPower(-10.0);
        if (s.preview) c.previewPath = s.preview->close().path;
        checks.push_back(c);
    }
    return checks;
}

// What the programme measured against the delivery rules, and what is left of its
// stereo in mono.
class FindingsWriter {
public:
    explicit FindingsWriter(CheckResult& r) : r_(r) {}

    void add(Severity s, const char* code, const std::string& message, std::optional<double> at = std::nullopt) {
        r_.findings.push_back({s, code, message, at});
    }

    void levels() {
        const AnalysisResult& a = r_.analysis;
        if (a.truePeakDbtp && *a.truePeakDbtp > 0.0) {
            std::snprintf(text_, sizeof text_, "true peak %+.2f dBTP: over full scale, it will clip on playback", *a.truePeakDbtp);
            add(Severity::Error, "true_peak_over", text_);
        } else if (a.truePeakDbtp && *a.truePeakDbtp > -1.0) {
            std::snprintf(text_, sizeof text_, "true peak %+.2f dBTP: above -1 dBTP, lossy encoding may clip it", *a.truePeakDbtp);
            add(Severity::Warning, "true_peak_high", text_);
        }
        if (a.clippedSamples > 0)
            add(Severity::Error, "clipping", std::to_string(a.clippedSamples) + " samples in clipped runs (3 or more at full scale)");
        for (std::size_t c = 0; c < a.dcOffsetDbfs.size(); ++c)
            if (a.dcOffsetDbfs[c] && *a.dcOffsetDbfs[c] > -40.0) {
                std::snprintf(text_, sizeof text_, "DC offset of %.1f dBFS in channel %zu", *a.dcOffsetDbfs[c], c + 1);
                add(Severity::Warning, "dc_offset", text_);
            }
    }

    void stereo(const PhaseFindings& phase) {
        if (phase.inverted) {
            std::snprintf(text_, sizeof text_,
                          "left and right are opposed in %d of %d bands (correlation %.2f): one channel's polarity is probably inverted",
                          phase.opposed, phase.judged, r_.analysis.correlation.value_or(0.0));
            add(Severity::Error, "inverted_polarity", text_);
            return;
        }
        const auto& octaves = octaveBandsHz();
        for (std::size_t k : phase.outOfPhase) {
            const bool bass = octaves[k] <= kOutOfPhaseBassUpToHz;
            std::snprintf(text_, sizeof text_, "%s: out of phase at %g Hz (correlation %.2f); mono loses %.1f dB there",
                          bass ? "out-of-phase bass" : "phase problem", octaves[k], r_.bandCorrelation[k], -r_.monoLossDb[k]);
            add(bass ? Severity::Error : Severity::Warning, bass ? "out_of_phase_bass" : "phase", text_);
        }
    }

    void edges(const HopWatcher& hops, const WaveformWatcher& waveform) {
        const AnalysisResult& a = r_.analysis;
        if (a.leadingSilenceSeconds > 2.0) {
            std::snprintf(text_, sizeof text_, "%.1f s of silence at the start", a.leadingSilenceSeconds);
            add(Severity::Warning, "leading_silence", text_, 0.0);
        }
        if (a.trailingSilenceSeconds > 4.0) {
            std::snprintf(text_, sizeof text_, "%.1f s of silence at the end", a.trailingSilenceSeconds);
            add(Severity::Warning, "trailing_silence", text_, a.durationSeconds - a.trailingSilenceSeconds);
        }
        if (hops.longestQuietS >= 2.0) {
            std::snprintf(text_, sizeof text_, "%.1f s of silence inside the programme, from %.1f s", hops.longestQuietS,
                          hops.longestQuietAt);
            add(Severity::Warning, "long_silence", text_, hops.longestQuietAt);
        }
        if (const auto tail = waveform.tailDbfs(); tail && *tail > -40.0) {
            std::snprintf(text_, sizeof text_,
                          "the audio is still at %.1f dBFS RMS in its last 10 ms: the end is cut mid-signal (no fade or tail)", *tail);
            add(Severity::Warning, "truncated_tail", text_, a.durationSeconds);
        }
    }

    void codecs(const std::string& path) {
        r_.codecs = codecRoundTrips(path);
        for (const auto& c : r_.codecs)
            if (c.truePeakDbtp && *c.truePeakDbtp > 0.0) {
                std::snprintf(text_, sizeof text_, "after %s at %d kbit/s the true peak is %+.2f dBTP: the decoded file clips",
                              c.codec.c_str(), c.bitrateKbps, *c.truePeakDbtp);
                add(Severity::Warning, "codec_over", text_);
            }
    }

private:
    CheckResult& r_;
    char text_[256] = {};
};

// Another version of the same programme (--against): loudness, tone and width changes,
// and, lined up, what is left of their difference.
VersionComparison compareVersions(const std::string& path, const std::string& otherPath, double rate, const CheckResult& r) {
    VersionComparison v;
    v.path = otherPath;
    const SoundFileInfo otherInfo = SoundFileReader(v.path).info();
    if (otherInfo.sampleRate != rate)
        throw ConfigError("--against: " + v.path + " is at " + std::to_string(static_cast<int>(otherInfo.sampleRate)) + " Hz, " + path +
                          " at " + std::to_string(static_cast<int>(rate)) + " Hz: compare versions at one rate");
    AnalysisResult otherAnalysis;
    const SpectrumProfile other = analyzeSpectrumProfile(v.path, &otherAnalysis);
    // IN relative to OTHER: "+" means IN is louder, brighter in that band, wider (issue 20:
    // the other way round read as a copy made quieter being louder than its original).
    if (otherAnalysis.integratedLufs && r.analysis.integratedLufs)
        v.loudnessChangeLu = *r.analysis.integratedLufs - *otherAnalysis.integratedLufs;
    for (std::size_t k = 0; k < octaveBandsHz().size(); ++k) {
        const double in = octaveBandPower(r.profile, k), reference = octaveBandPower(other, k);
        v.bandChangeDb.push_back(in > 0 && reference > 0 ? powerToDb(in / reference) : 0.0);
    }
    for (std::size_t b = 0; b < r.profile.bandHz.size() && b < other.bandHz.size(); ++b) {
        v.thirdOctaveHz.push_back(r.profile.bandHz[b]);
        v.thirdOctaveChangeDb.push_back(r.profile.totalDb(b) - other.totalDb(b));
    }
    const double wIn = r.profile.overallWidth(), wOther = other.overallWidth();
    v.widthChangeDb = wIn > 0 && wOther > 0 ? 10.0 * std::log10(wIn / wOther) : 0.0;
    // Line them up on their first 30 s (versions differ by an edit's offset, not more
    // than 10 s), then compare the whole overlap.
    v.lagFrames = alignmentLag(monoExcerpt(path, 30.0), monoExcerpt(v.path, 30.0), static_cast<std::int64_t>(10.0 * rate));
    measureResidual(path, v.path, v.lagFrames, v);
    return v;
}

}  // namespace

CheckResult checkFile(const std::string& path, const CheckSettings& settings) {
    const std::vector<const PlaybackSystem*> chosen = chooseSystems(settings);
    // An unknown target is refused before the pass, listing the known ones.
    const LoudnessTarget* target = settings.target.empty() ? nullptr : resolveLoudnessAim(settings.target, {}, {}).target;
    SoundFileReader reader(path);
    const SoundFileInfo info = reader.info();
    OutputSet previews;  // all of them at the end, or none
    if (!settings.previewDir.empty()) previews.createFolder(settings.previewDir);

    // One pass: the programme measured, its waveform drawn, the systems played.
    ProgramAnalyzer input(info.sampleRate, info.channels, info.speakers);
    input.enableSpectrumProfile();
    HopWatcher hops;
    input.setHopCallback([&hops](const LoudnessHop& hop) { hops.onHop(hop); });
    WaveformWatcher waveform(info);
    detail::ProgrammeViewWatcher views(info.sampleRate, info.channels, info.frames, WaveformWatcher::kColumns);
    SystemBank systems(chosen, info.sampleRate, info.channels, path, settings.againstPath, settings.previewDir, previews);
    AudioBuffer block(info.channels, kBlock);
    const double passShare = settings.codecs ? 0.7 : 1.0;  // the round trips take about the rest
    std::uint64_t read = 0;
    while (const std::size_t n = reader.read(block.view())) {
        const ConstAudioView in = ConstAudioView(block.view()).subView(0, n);
        input.addFrames(in);
        waveform.add(in);
        views.add(in);
        systems.process(in);
        read += n;
        if (settings.onProgress && info.frames > 0)
            settings.onProgress(passShare * std::min(1.0, static_cast<double>(read) / static_cast<double>(info.frames)));
    }
    systems.flush();

    CheckResult r;
    r.analysis = finishFileAnalysis(input, info, waveform.frames());
    r.loudness = std::move(hops.curve);
    r.waveform = std::move(waveform.columns);
    r.views = views.finish();
    r.profile = input.spectrumProfile(r.analysis);
    const PhaseFindings phase = phaseFindings(r.profile);
    r.bandCorrelation = phase.correlation;
    for (std::size_t k = 0; k < octaveBandsHz().size(); ++k) {
        const double m = octaveBandPower(r.profile, k, true, false), s = octaveBandPower(r.profile, k, false, true);
        r.monoLossDb.push_back(m + s > 0 ? powerToDb(m / (m + s)) : 0.0);
    }
    r.systems = systemChecks(systems.streams, r);
    r.platforms = platformPlayback(r.analysis);
    if (target) r.verdict = judgeAgainstTarget(r.analysis, *target);

    FindingsWriter findings(r);
    findings.levels();
    if (info.channels == 2) findings.stereo(phase);
    findings.edges(hops, waveform);
    if (settings.codecs) findings.codecs(path);
    if (r.findings.empty()) findings.add(Severity::Info, "clean", "no problems found");

    if (!settings.againstPath.empty()) r.against = compareVersions(path, settings.againstPath, info.sampleRate, r);
    previews.commit();
    if (settings.onProgress) settings.onProgress(1.0);
    return r;
}

}  // namespace bounce
