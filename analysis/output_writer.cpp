#include "bounce/output_writer.h"

#include "bounce/error.h"

#include <algorithm>
#include <string>

namespace bounce {

namespace {

// `message` with every `from` replaced by `to`.
std::string replaced(std::string message, const std::string& from, const std::string& to) {
    for (std::size_t at = 0; !from.empty() && (at = message.find(from, at)) != std::string::npos; at += to.size())
        message.replace(at, from.size(), to);
    return message;
}

}  // namespace

// The rate: the one asked for (or the input's), where the container holds it; MP3 above
// 48 kHz and Opus at anything but 48 kHz are converted to the nearest it does.
OutputWriter::OutputWriter(const OutputSpec& spec, std::unique_ptr<ProgramAnalyzer> analyzer)
    : outputRate_(deliverableRate(spec.container, spec.outputRate > 0.0 ? spec.outputRate : spec.inputRate)),
      set_(spec.set),
      analyzer_(std::move(analyzer)) {
    if (!spec.path.empty() && !spec.into) file_ = std::make_unique<AtomicOutputFile>(spec.path, spec.inputs);
    if (AtomicOutputFile* target = spec.into ? spec.into : file_.get()) {
        targetPath_ = target->targetPath();
        tempPath_ = target->tempPath();
        // An encoder that refuses the settings names the output as the user typed it, not
        // its temporary.
        try {
            writer_ = std::make_unique<SoundFileWriter>(
                tempPath_, SoundFileSpec{outputRate_, spec.channels, spec.container, spec.sampleFormat, spec.bitrateKbps, spec.vbrQuality});
        } catch (const ConfigError& e) {
            throw ConfigError(replaced(e.what(), tempPath_, targetPath_));
        } catch (const Error& e) {
            throw Error(replaced(e.what(), tempPath_, targetPath_));
        }
        measureAfterDecoding_ = isLossy(spec.container) && spec.measureDecoded;
    }
    if (outputRate_ != spec.inputRate) resampler_ = std::make_unique<Resampler>(spec.inputRate, outputRate_, spec.channels);
    const bool dithered = spec.dither != DitherType::None && spec.sampleFormat == SampleFormat::Pcm16 && !isLossy(spec.container);
    if (dithered) {
        dither_ = std::make_unique<Dither>();
        dither_->setParams({spec.sampleFormat == SampleFormat::Pcm16 ? 16 : 24, spec.dither});
        dither_->prepare({outputRate_, static_cast<int>(spec.blockFrames), spec.channels});
    }
    scratch_.resize(spec.channels, spec.blockFrames);
}

void OutputWriter::write(ConstAudioView block) {
    if (resampler_) {
        resampler_->process(block, [this](ConstAudioView out) { deliver(out); });
    } else {
        deliver(block);
    }
}

void OutputWriter::deliver(ConstAudioView block) {
    ProgramAnalyzer* analyzer = measureAfterDecoding_ ? nullptr : analyzer_.get();
    if (!dither_) {  // nothing changes the samples: no copy
        if (writer_) writer_->write(block);
        if (analyzer) analyzer->addFrames(block);
        return;
    }
    for (std::size_t start = 0; start < block.frames(); start += scratch_.frames()) {
        const std::size_t n = std::min(scratch_.frames(), block.frames() - start);
        AudioView out = scratch_.view().subView(0, n);
        for (int c = 0; c < scratch_.channels(); ++c) std::copy_n(block.channel(c) + start, n, out.channel(c));
        if (dither_) dither_->process(out);
        if (writer_) writer_->write(out);
        if (analyzer) analyzer->addFrames(out);
    }
}

void OutputWriter::measureDecoded(const std::string& path) {
    SoundFileReader decoded(path);
    AudioBuffer block(decoded.info().channels, scratch_.frames());
    for (std::size_t got; (got = decoded.read(block.view())) > 0;) analyzer_->addFrames(block.view().subView(0, got));
}

AnalysisResult OutputWriter::close() {
    if (resampler_) resampler_->flush([this](ConstAudioView out) { deliver(out); });
    if (writer_) writer_->close();
    if (writer_ && analyzer_ && measureAfterDecoding_) measureDecoded(tempPath_);
    if (file_ && set_) {
        set_->adopt(std::move(file_));
    } else if (file_) {
        file_->commit();
    }
    AnalysisResult r = analyzer_ ? analyzer_->result() : AnalysisResult{};
    r.path = targetPath_;
    return r;
}

}  // namespace bounce
