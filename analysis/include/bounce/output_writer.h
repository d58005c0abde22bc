// The one way a rendered stream becomes a delivered file: rate conversion (soxr), dither
// to the final integer bits (the only quantisation), the writer, a measurement of exactly
// what is written, and the commit (a temporary renamed onto the target, so an interrupted
// run leaves nothing half-written). Used by bounce mix (the mix and stems), master, album,
// process and check's previews.
#pragma once

#include "bounce/analysis.h"
#include "bounce/atomic_output.h"
#include "bounce/audio_buffer.h"
#include "bounce/dither.h"
#include "bounce/resampler.h"
#include "bounce/sound_file.h"

#include <memory>
#include <string>
#include <vector>

namespace bounce {

struct OutputSpec {
    std::string path;                 // the target; empty (and no `into`): measure only, write nothing
    std::vector<std::string> inputs;  // files the target must not be
    // Or write into this output's temporary (path and inputs are then its), and leave the
    // commit to its owner (who tags or checks the file first, or writes it again in a later
    // pass).
    AtomicOutputFile* into = nullptr;
    // Or, with a path, commit with the rest of this set (close() hands the file over):
    // outputs that belong together appear together.
    OutputSet* set = nullptr;
    double inputRate = 48000.0;
    double outputRate = 0.0;  // 0: the input rate
    int channels = 2;
    FileFormat container = FileFormat::Wav;
    SampleFormat sampleFormat = SampleFormat::Float32;  // lossy containers: ignored (they take float)
    int bitrateKbps = 0;                                // lossy containers; 0: the format's default
    int vbrQuality = -1;                                // MP3: LAME's V scale 0..9; -1: constant bit rate
    // A lossy file is measured as a listener hears it, decoded (encoders move peaks and, a
    // little, loudness); false: as it went into the encoder (bounce master's passes, which
    // measure the decoded file once they have converged).
    bool measureDecoded = true;
    // The dither at the final quantisation: 16-bit outputs are dithered (unless None), in
    // every command; 24-bit and float outputs are not (24-bit rounding error sits at -144
    // dBFS, below any converter's noise, and silence stays digital silence).
    DitherType dither = DitherType::Tpdf;
    std::size_t blockFrames = 4096;
};

class OutputWriter {
public:
    // Opens the temporary (after checking the target is not an input) and builds the
    // stages. `analyzer` (optional) measures what is written, at the output rate.
    explicit OutputWriter(const OutputSpec& spec, std::unique_ptr<ProgramAnalyzer> analyzer = nullptr);
    OutputWriter(const OutputWriter&) = delete;
    OutputWriter& operator=(const OutputWriter&) = delete;

    // Resample, dither, write, measure. Any number of frames.
    void write(ConstAudioView block);
    // Drains the resampler, closes the file and renames it onto the target (unless it was
    // written `into` another's output, or belongs to a set); returns the measurement of what
    // was written (its path set); a lossy one decoded, unless the spec said otherwise.
    // Uncommitted on an exception.
    AnalysisResult close();

    ProgramAnalyzer* analyzer() noexcept { return analyzer_.get(); }
    double outputRate() const noexcept { return outputRate_; }

private:
    void deliver(ConstAudioView block);

    void measureDecoded(const std::string& path);

    double outputRate_;
    bool measureAfterDecoding_ = false;
    std::string targetPath_, tempPath_;
    std::unique_ptr<AtomicOutputFile> file_;
    OutputSet* set_;
    std::unique_ptr<SoundFileWriter> writer_;
    std::unique_ptr<Resampler> resampler_;
    std::unique_ptr<Dither> dither_;
    std::unique_ptr<ProgramAnalyzer> analyzer_;
    AudioBuffer scratch_;
};

}  // namespace bounce
