// The MPEG-4 audio codec (AAC and ALAC in .m4a) lives in a module of its own,
// bounce-mpeg4.so, loaded the first time an .m4a is read or written: FFmpeg's
// libavformat and libavcodec pull about a hundred shared libraries (x264, x265, vpx,
// dav1d, ...) that a WAV or FLAC user should never map (with them linked, `bounce
// --version` took 30-40 ms and 34 MB; without, a few ms and MB). Private to the audio
// layer: SoundFileReader and SoundFileWriter are the only callers.
//
// The module and the library are built together from one tree (the ABI number below
// guards against a stale module from another install); both sides are C++, so the
// interface is a table of functions returning the reader and writer as abstract classes.
#pragma once

#include "bounce/audio_buffer.h"
#include "bounce/sound_file.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

namespace bounce::detail {

class Mpeg4Reader {
public:
    virtual ~Mpeg4Reader() = default;
    virtual const SoundFileInfo& info() const noexcept = 0;
    virtual std::size_t read(AudioView destination) = 0;
    virtual void seek(std::int64_t frame) = 0;
};

class Mpeg4Writer {
public:
    virtual ~Mpeg4Writer() = default;
    virtual void write(ConstAudioView block) = 0;
    // Encodes what is pending, flushes the encoder and writes the index; throws on failure.
    virtual void close() = 0;
};

// Bumped whenever this table, the classes above or the structs they pass change.
inline constexpr int kMpeg4ModuleAbi = 1;

struct Mpeg4Module {
    int abi;
    // Whether libavformat finds an MPEG-4 (or raw ADTS AAC) audio file at `path`.
    bool (*isMpeg4Audio)(const std::string& path);
    // Both throw bounce::Error naming the path.
    std::unique_ptr<Mpeg4Reader> (*openReader)(const std::string& path);
    // `fd` is an open, empty, seekable file the caller owns (the MP4 muxer seeks back).
    std::unique_ptr<Mpeg4Writer> (*openWriter)(const std::string& path, int fd, const SoundFileSpec& spec);
};

// The module's one exported symbol.
extern "C" const Mpeg4Module* bounce_mpeg4_module();
inline constexpr const char* kMpeg4ModuleFile = "bounce-mpeg4.so";

// Whether a file starts as an MPEG-4 file does ("ftyp" box) or as an ADTS AAC stream
// (12-bit sync word): only these are shown to FFmpeg (so loading the module), its probing
// of anything else being a large surface for nothing.
// Inline: the module (which links nothing of the audio layer) asks it too.
inline bool startsLikeMpeg4Audio(const std::string& path) {
    unsigned char head[12] = {};
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (!file) return false;
    const std::size_t got = std::fread(head, 1, sizeof head, file);
    std::fclose(file);
    const bool mp4 = got >= 8 && std::memcmp(head + 4, "ftyp", 4) == 0;
    const bool adts = got >= 2 && head[0] == 0xFF && (head[1] & 0xF6) == 0xF0;
    return mp4 || adts;
}

// Loads the module once (thread-safe) from, in order: $BOUNCE_MODULE_DIR, the folder of
// the program or shared object this code is linked into, the install's module folder
// relative to it (bin/ -> lib/bounce/), the install's module folder, the build tree.
// Throws bounce::Error naming `forPath` and the places looked in when it cannot.
const Mpeg4Module& mpeg4Module(const std::string& forPath);

}  // namespace bounce::detail
