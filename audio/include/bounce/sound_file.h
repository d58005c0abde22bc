// Streaming sound-file reading and writing on libsndfile.
//
// Reads everything libsndfile reads (WAV incl. WAVE_FORMAT_EXTENSIBLE, RF64, W64, AIFF,
// FLAC, Ogg Vorbis/Opus, MP3) and, with FFmpeg, MPEG-4 audio (AAC and ALAC in .m4a) into
// planar float blocks; writes WAV (promoted to RF64 on its own when the data passes 4 GiB),
// W64, AIFF, FLAC, ALAC at 16/24/32-bit integer or 32/64-bit float, and MP3 (LAME through
// libsndfile), AAC, Ogg Opus and Vorbis. Neither class holds more than one block of audio.
#pragma once

#include "bounce/audio_buffer.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct sf_private_tag;

namespace bounce {
namespace detail {
class Mpeg4Reader;
class Mpeg4Writer;
}  // namespace detail

enum class SampleFormat { Pcm16, Pcm24, Pcm32, Float32, Float64, Other };
enum class FileFormat { Wav, Rf64, W64, Aiff, Flac, Ogg, Opus, Mp3, Aac, Alac, Other };

// Lossy codecs change the samples: what such a file holds is known only by decoding it.
bool isLossy(FileFormat format) noexcept;

// AAC at 256 kbit/s and MP3 at 320 are what stores and distributors ask for; Opus at 160
// is transparent for most listeners.
constexpr int kDefaultAacKbps = 256;
constexpr int kDefaultMp3Kbps = 320;
constexpr int kDefaultOpusKbps = 160;

// Loudspeaker positions a file may declare for its channels (WAVE_FORMAT_EXTENSIBLE,
// CAF, ...). Unknown when the file says nothing.
enum class Speaker {
    Unknown,
    Mono,
    Left,
    Right,
    Center,
    Lfe,
    LeftSurround,
    RightSurround,
    LeftBack,
    RightBack,
    CenterBack,
    LeftCenter,
    RightCenter,
    Other
};

struct SoundFileInfo {
    std::string path;
    double sampleRate = 0.0;
    int channels = 0;
    std::int64_t frames = 0;
    FileFormat format = FileFormat::Other;
    SampleFormat sampleFormat = SampleFormat::Other;
    std::string formatName;             // e.g. "WAV (Microsoft), Signed 24 bit PCM"
    std::vector<Speaker> speakers;      // empty when the file declares no layout
    std::vector<std::string> warnings;  // e.g. a truncated data chunk
};

class SoundFileReader {
public:
    // Throws bounce::Error naming the path on any failure (missing, unreadable, a
    // directory, not a sound file, zero channels).
    explicit SoundFileReader(const std::string& path);
    ~SoundFileReader();
    SoundFileReader(const SoundFileReader&) = delete;
    SoundFileReader& operator=(const SoundFileReader&) = delete;

    const SoundFileInfo& info() const noexcept { return info_; }

    // Reads up to destination.frames() frames into the destination's channels (which must
    // match the file's channel count); returns the frames read, 0 at the end of the file.
    std::size_t read(AudioView destination);
    // From now on, a NaN or infinite sample read is an error naming the file, the time and
    // the channel (what every command that renders a file does: process, mix).
    void refuseNonFinite() noexcept { refuseNonFinite_ = true; }

    void seek(std::int64_t frame);

private:
    void countUnknownLength();
    void checkClaimedLength();
    void refuseNonFiniteSamples(AudioView block, std::size_t offset, std::size_t frames) const;
    bool refuseNonFinite_ = false;
    std::uint64_t framesRead_ = 0;  // since the last seek
    SoundFileInfo info_;
    sf_private_tag* file_ = nullptr;
    std::unique_ptr<detail::Mpeg4Reader> av_;  // MPEG-4 audio, which libsndfile does not read
    std::vector<float> interleaved_;
};

struct SoundFileSpec {
    double sampleRate = 48000.0;
    int channels = 2;
    FileFormat format = FileFormat::Wav;
    SampleFormat sampleFormat = SampleFormat::Pcm24;  // lossy formats: ignored (they take float)
    int bitrateKbps = 0;                              // lossy formats; 0: the format's default
    int vbrQuality = -1;                              // MP3: LAME's VBR scale, 0 (best) .. 9; -1: constant bit rate
};

// Picks the container from a file name's extension (.wav .w64 .aif/.aiff .flac .opus/.ogg
// .mp3 .m4a, which is AAC unless asked for ALAC).
FileFormat fileFormatForPath(const std::string& path);

// The delivery formats a user can name with --format: wav, aiff, flac, alac, mp3, aac,
// opus, ogg (Vorbis), w64.
const std::vector<std::string>& outputFormatChoices();
// The format of a --format name, in any case; ConfigError listing the names otherwise.
FileFormat outputFormatNamed(const std::string& name);
// The media type a file of that format is served as (audio/mpeg, audio/mp4, ...).
std::string mediaTypeFor(FileFormat format);
// The extension a file of that format gets (".m4a" for aac and alac).
std::string extensionFor(FileFormat format);

// The container for an output named `path`, checked before any work: `formatName` when
// given (it must agree with the name's extension: alac and aac both go in .m4a), else the
// extension. A name Bounce cannot write (no extension, .xyz) or a --format that does not
// match it is a ConfigError naming it as the user typed it.
FileFormat writableFormatForPath(const std::string& path, const std::string& formatName = "");

// The sample formats a user can ask for with --bits (or bits = in a file): "16", "24",
// "32f". The one parse of them: ConfigError for anything else, and for 32f in a FLAC file
// (FLAC holds integers only).
const std::vector<std::string>& outputBitsChoices();
SampleFormat outputSampleFormat(const std::string& bits, FileFormat container);
// The rate a format can hold nearest `rate`: MP3 stops at 48 kHz (88.2 kHz goes to 44.1,
// anything else above to 48), Opus runs at 48 kHz; the rest hold any rate.
double deliverableRate(FileFormat format, double rate) noexcept;

class SoundFileWriter {
public:
    // Writes to exactly `path` (use AtomicOutputFile for the temp-and-rename dance).
    // Integer outputs are rounded to the nearest step and clip at full scale rather than wrap.
    SoundFileWriter(const std::string& path, const SoundFileSpec& spec);
    ~SoundFileWriter();
    SoundFileWriter(const SoundFileWriter&) = delete;
    SoundFileWriter& operator=(const SoundFileWriter&) = delete;

    void write(ConstAudioView block);
    // Flushes and closes; throws if the data could not be written. Called by the
    // destructor too, which swallows errors.
    void close();

private:
    void interleave(ConstAudioView block, std::size_t offset, std::size_t frames);
    std::string path_;
    int channels_ = 0;
    SampleFormat sampleFormat_ = SampleFormat::Float32;  // what write() hands libsndfile
    sf_private_tag* file_ = nullptr;
    std::unique_ptr<detail::Mpeg4Writer> av_;  // AAC and ALAC in M4A
    int fd_ = -1;                              // the descriptor libsndfile or FFmpeg writes through (see the constructor)
    std::vector<float> interleaved_;
    std::vector<std::int16_t> interleaved16_;
    std::vector<std::int32_t> interleaved32_;
};

}  // namespace bounce
