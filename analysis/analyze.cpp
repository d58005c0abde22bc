#include "bounce/analysis.h"

#include "bounce/error.h"
#include "bounce/spectrum_profile.h"
#include "bounce/tags.h"
#include "signal_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace bounce {

std::optional<double> decibelsFromLinear(double linear) noexcept {
    if (!(linear > 0.0) || !std::isfinite(linear)) return std::nullopt;
    return 20.0 * std::log10(linear);
}

struct ProgramAnalyzer::State {
    State(double sampleRate, int channels, const std::vector<Speaker>& speakers, bool truePeak, bool secondThread)
        : meter({sampleRate, LoudnessMeter::channelWeightsFor(channels, speakers), truePeak, secondThread}),
          stats(channels, std::pow(10.0, kSilenceThresholdDbfs / 20.0)) {}
    LoudnessMeter meter;
    SignalStats stats;
    std::unique_ptr<SpectrumAccumulator> spectrum;
    bool statistics = true;
};

ProgramAnalyzer::ProgramAnalyzer(double sampleRate, int channels, const std::vector<Speaker>& speakers, bool measureTruePeak,
                                 bool truePeakOnSecondThread)
    : state_(std::make_unique<State>(sampleRate, channels, speakers, measureTruePeak, truePeakOnSecondThread)) {}
ProgramAnalyzer::~ProgramAnalyzer() = default;
ProgramAnalyzer::ProgramAnalyzer(ProgramAnalyzer&&) noexcept = default;
ProgramAnalyzer& ProgramAnalyzer::operator=(ProgramAnalyzer&&) noexcept = default;

void ProgramAnalyzer::setHopCallback(std::function<void(const LoudnessHop&)> callback) {
    state_->meter.setHopCallback(std::move(callback));
}

void ProgramAnalyzer::disableStatistics() { state_->statistics = false; }

void ProgramAnalyzer::enableSpectrumProfile() {
    state_->spectrum = std::make_unique<SpectrumAccumulator>(state_->meter.sampleRate(), state_->meter.channels());
}

SpectrumProfile ProgramAnalyzer::spectrumProfile(const AnalysisResult& analysis) const {
    if (!state_->spectrum) throw Error("internal: spectrumProfile() without enableSpectrumProfile()");
    return state_->spectrum->profile(analysis);
}

void ProgramAnalyzer::addFrames(ConstAudioView block) noexcept {
    State& s = *state_;
    if (!s.spectrum) {
        s.meter.addFrames(block);
        if (s.statistics) s.stats.addFrames(block);
        return;
    }
    // The spectrum files each FFT frame under the momentary loudness at its end: feed the
    // meter up to each FFT hop first.
    for (std::size_t start = 0; start < block.frames();) {
        const std::size_t n = std::min(block.frames() - start, s.spectrum->framesToNextHop());
        const ConstAudioView part = block.subView(start, n);
        s.meter.addFrames(part);
        if (s.statistics) s.stats.addFrames(part);
        s.spectrum->addFrames(part, s.meter.momentaryLufs());
        start += n;
    }
}

const LoudnessMeter& ProgramAnalyzer::meter() const noexcept { return state_->meter; }

AnalysisResult ProgramAnalyzer::result() const {
    const LoudnessMeter& meter = state_->meter;
    const SignalStats& stats = state_->stats;
    AnalysisResult r;
    r.sampleRate = meter.sampleRate();
    r.channels = meter.channels();
    r.frames = meter.framesAdded();
    r.durationSeconds = static_cast<double>(r.frames) / r.sampleRate;
    r.integratedLufs = meter.integratedLufs();
    r.loudnessRangeLu = meter.loudnessRangeLu();
    r.maxMomentaryLufs = meter.maxMomentaryLufs();
    r.maxShortTermLufs = meter.maxShortTermLufs();

    double samplePeak = 0.0, truePeak = 0.0, meanSquare = 0.0;
    for (int c = 0; c < r.channels; ++c) {
        ChannelAnalysis ch;
        ch.samplePeak = meter.samplePeak(c);
        ch.truePeak = meter.truePeak(c);
        ch.meanSquare = stats.meanSquare(c);
        ch.dcOffset = stats.dcOffset(c);
        ch.clippedSamples = stats.clippedSamples(c);
        samplePeak = std::max(samplePeak, ch.samplePeak);
        truePeak = std::max(truePeak, ch.truePeak);
        meanSquare += ch.meanSquare / r.channels;
        r.clippedSamples += ch.clippedSamples;
        r.dcOffsetDbfs.push_back(decibelsFromLinear(std::fabs(ch.dcOffset)));
        r.perChannel.push_back(ch);
    }
    r.samplePeakDbfs = decibelsFromLinear(samplePeak);
    r.truePeakDbtp = decibelsFromLinear(truePeak);
    r.rmsDbfs = decibelsFromLinear(std::sqrt(meanSquare));
    if (r.samplePeakDbfs && r.rmsDbfs) r.crestDb = *r.samplePeakDbfs - *r.rmsDbfs;
    r.correlation = stats.correlation();
    r.leadingSilenceSeconds = static_cast<double>(stats.leadingSilentFrames()) / r.sampleRate;
    r.trailingSilenceSeconds = static_cast<double>(stats.trailingSilentFrames()) / r.sampleRate;
    r.nonFiniteSamples = stats.nonFiniteSamples();
    r.firstNonFiniteSeconds = static_cast<double>(stats.firstNonFiniteFrame()) / r.sampleRate;
    r.firstNonFiniteChannel = stats.firstNonFiniteChannel();
    return r;
}

AnalysisResult analyzeFile(const std::string& path, const AnalyzeOptions& options) {
    SoundFileReader reader(path);
    const SoundFileInfo& info = reader.info();
    // A whole file: the true peak on a second thread (the same readings, about half the time
    // on two cores).
    ProgramAnalyzer analyzer(info.sampleRate, info.channels, info.speakers, options.measureTruePeak, true);
    if (options.onHop) analyzer.setHopCallback(options.onHop);
    if (options.spectrumProfile) analyzer.enableSpectrumProfile();

    AudioBuffer block(info.channels, 8192);
    std::uint64_t framesRead = 0;
    while (const std::size_t frames = reader.read(block.view())) {
        analyzer.addFrames(ConstAudioView(block.view()).subView(0, frames));
        if (options.onBlock) options.onBlock(ConstAudioView(block.view()).subView(0, frames));
        framesRead += frames;
    }

    AnalysisResult result = finishFileAnalysis(analyzer, info, framesRead);
    if (options.spectrumProfile) *options.spectrumProfile = analyzer.spectrumProfile(result);
    return result;
}

AnalysisResult finishFileAnalysis(const ProgramAnalyzer& analyzer, const SoundFileInfo& info, std::uint64_t framesRead) {
    const std::string& path = info.path;
    AnalysisResult result = analyzer.result();
    result.path = path;
    result.formatName = info.formatName;
    result.tags = readTags(path);
    if (result.nonFiniteSamples > 0) {
        // A file of NaNs has no loudness; reporting one would be a lie.
        char where[96];
        std::snprintf(where, sizeof where, "first at %.3f s in channel %d", result.firstNonFiniteSeconds, result.firstNonFiniteChannel + 1);
        throw Error(path + ": holds " + std::to_string(result.nonFiniteSamples) + " non-finite samples (NaN or infinity), " + where +
                    "; cannot measure it");
    }
    result.warnings.insert(result.warnings.end(), info.warnings.begin(), info.warnings.end());
    if (info.frames > 0 && static_cast<std::int64_t>(framesRead) < info.frames)
        result.warnings.push_back("the header promises " + std::to_string(info.frames) + " frames but only " + std::to_string(framesRead) +
                                  " could be read (truncated file?)");
    return result;
}

std::optional<double> integratedLoudnessOf(const std::string& path) {
    SoundFileReader reader(path);
    const SoundFileInfo& info = reader.info();
    LoudnessMeter meter({info.sampleRate, LoudnessMeter::channelWeightsFor(info.channels, info.speakers), false});
    AudioBuffer block(info.channels, 8192);
    while (const std::size_t frames = reader.read(block.view())) meter.addFrames(ConstAudioView(block.view()).subView(0, frames));
    return meter.integratedLufs();
}

}  // namespace bounce
