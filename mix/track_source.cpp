#include "track_source.h"

#include "bounce/analysis.h"

#include <algorithm>
#include <cmath>

namespace bounce::mixing {

TrackSource::TrackSource(const TrackSpec& track, double sessionRate, std::size_t maxBlockFrames)
    : reader_(track.file), maxBlockFrames_(maxBlockFrames) {
    reader_.refuseNonFinite();
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
    readBuffer_.resize(channels_, maxBlockFrames_);
    fifo_.resize(static_cast<std::size_t>(channels_));
}

void TrackSource::fill(AudioView out, std::uint64_t at) {
    for (int c = 0; c < channels_; ++c) std::fill_n(out.channel(c), out.frames(), 0.0f);
    const std::uint64_t blockEnd = at + out.frames();
    if (blockEnd <= startFrame_ || at >= endFrame()) return;
    const std::size_t skip = at < startFrame_ ? static_cast<std::size_t>(startFrame_ - at) : 0;
    const std::size_t want = static_cast<std::size_t>(std::min(blockEnd, endFrame()) - std::max(at, startFrame_));
    pull(out.subView(skip, want));
}

void TrackSource::pull(AudioView out) {
    if (!resampler_) {
        const std::size_t got =
            remaining_ > 0 ? reader_.read(out.subView(0, std::min<std::size_t>(out.frames(), static_cast<std::size_t>(remaining_)))) : 0;
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
        const std::size_t want = std::min<std::size_t>(maxBlockFrames_, static_cast<std::size_t>(std::max<std::int64_t>(remaining_, 0)));
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

}  // namespace bounce::mixing
