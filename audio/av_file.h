// MPEG-4 audio (AAC and ALAC in an .m4a file) on FFmpeg's libavformat and libavcodec, which
// libsndfile does not read or write. Built into the module bounce-mpeg4.so, not the audio
// layer (mpeg4_module.h says why); SoundFileReader and SoundFileWriter reach it through
// the module's table, and everything above sees one reader and one writer.
#pragma once

#include "mpeg4_module.h"

#include <cstdint>
#include <memory>
#include <string>

namespace bounce::detail {

// Whether libavformat finds an MPEG-4 (or raw ADTS AAC) audio file at `path`: only these are
// opened with FFmpeg, so that its hundreds of demuxers do not make anything else "audio".
bool isMpeg4Audio(const std::string& path);

class AvReader final : public Mpeg4Reader {
public:
    // Opens the first audio stream and counts its decoded frames once (an MP4's declared
    // duration includes the encoder's priming, which the edit list trims).
    explicit AvReader(const std::string& path);
    ~AvReader() override;
    AvReader(const AvReader&) = delete;
    AvReader& operator=(const AvReader&) = delete;

    const SoundFileInfo& info() const noexcept override { return info_; }
    std::size_t read(AudioView destination) override;
    void seek(std::int64_t frame) override;

private:
    struct Decoder;
    void open();
    bool decodeNext();  // fills the pending frame; false at the end
    SoundFileInfo info_;
    std::int64_t position_ = 0;  // frames read since the start
    std::unique_ptr<Decoder> decoder_;
};

class AvWriter final : public Mpeg4Writer {
public:
    // `fd` is an open, empty, seekable file the caller owns (the MP4 muxer seeks back to
    // write the sample tables' sizes).
    AvWriter(const std::string& path, int fd, const SoundFileSpec& spec);
    ~AvWriter() override;
    AvWriter(const AvWriter&) = delete;
    AvWriter& operator=(const AvWriter&) = delete;

    void write(ConstAudioView block) override;
    void close() override;

private:
    struct Encoder;
    void sendFrame(bool last);
    void drainPackets();
    std::string path_;
    std::unique_ptr<Encoder> encoder_;
};

}  // namespace bounce::detail
