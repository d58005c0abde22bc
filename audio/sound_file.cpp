#include "bounce/sound_file.h"

#include "mpeg4_module.h"
#include "bounce/error.h"
#include "sample_quantise.h"

#include <sndfile.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <sstream>
#include <system_error>
#include <unistd.h>

namespace bounce {
namespace {

// Frames per libsndfile call: large enough to amortise the call, small enough to stay in
// cache with the interleaving scratch.
constexpr std::size_t kChunkFrames = 4096;

// Checks the things libsndfile reports badly (a directory reads as "format not
// recognised"), so the user gets the real reason.
void checkReadablePath(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) throw Error(path + ": no such file");
    if (fs::is_directory(status)) throw Error(path + ": is a directory, not a sound file");
    if (::access(path.c_str(), R_OK) != 0) throw Error(path + ": cannot read (" + std::strerror(errno) + ")");
}

FileFormat fileFormatOf(int sfFormat) {
    switch (sfFormat & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV:
    case SF_FORMAT_WAVEX: return FileFormat::Wav;
    case SF_FORMAT_RF64: return FileFormat::Rf64;
    case SF_FORMAT_W64: return FileFormat::W64;
    case SF_FORMAT_AIFF: return FileFormat::Aiff;
    case SF_FORMAT_FLAC: return FileFormat::Flac;
    case SF_FORMAT_OGG: return (sfFormat & SF_FORMAT_SUBMASK) == SF_FORMAT_OPUS ? FileFormat::Opus : FileFormat::Ogg;
    case SF_FORMAT_MPEG: return FileFormat::Mp3;
    default: return FileFormat::Other;
    }
}

SampleFormat sampleFormatOf(int sfFormat) {
    switch (sfFormat & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_16: return SampleFormat::Pcm16;
    case SF_FORMAT_PCM_24: return SampleFormat::Pcm24;
    case SF_FORMAT_PCM_32: return SampleFormat::Pcm32;
    case SF_FORMAT_FLOAT: return SampleFormat::Float32;
    case SF_FORMAT_DOUBLE: return SampleFormat::Float64;
    default: return SampleFormat::Other;
    }
}

std::string formatNameOf(int sfFormat) {
    std::string name;
    SF_FORMAT_INFO major{};
    major.format = sfFormat & SF_FORMAT_TYPEMASK;
    if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &major, sizeof(major)) == 0 && major.name) name = major.name;
    SF_FORMAT_INFO minor{};
    minor.format = sfFormat & SF_FORMAT_SUBMASK;
    if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &minor, sizeof(minor)) == 0 && minor.name)
        name += std::string(name.empty() ? "" : ", ") + minor.name;
    return name;
}

Speaker speakerOf(int sfChannel) {
    switch (sfChannel) {
    case SF_CHANNEL_MAP_MONO: return Speaker::Mono;
    case SF_CHANNEL_MAP_LEFT:
    case SF_CHANNEL_MAP_FRONT_LEFT: return Speaker::Left;
    case SF_CHANNEL_MAP_RIGHT:
    case SF_CHANNEL_MAP_FRONT_RIGHT: return Speaker::Right;
    case SF_CHANNEL_MAP_CENTER:
    case SF_CHANNEL_MAP_FRONT_CENTER: return Speaker::Center;
    case SF_CHANNEL_MAP_LFE: return Speaker::Lfe;
    case SF_CHANNEL_MAP_SIDE_LEFT:
    case SF_CHANNEL_MAP_SIDE_RIGHT:
    case SF_CHANNEL_MAP_REAR_LEFT: return Speaker::LeftBack;
    case SF_CHANNEL_MAP_REAR_RIGHT: return Speaker::RightBack;
    case SF_CHANNEL_MAP_REAR_CENTER: return Speaker::CenterBack;
    case SF_CHANNEL_MAP_FRONT_LEFT_OF_CENTER: return Speaker::LeftCenter;
    case SF_CHANNEL_MAP_FRONT_RIGHT_OF_CENTER: return Speaker::RightCenter;
    case SF_CHANNEL_MAP_INVALID: return Speaker::Unknown;
    default: return Speaker::Other;
    }
}

// libsndfile reads a truncated file as far as it goes and says so only in its log
// ("data : 960000 (should be 479979)"); surface that, since a short master is a problem.
std::vector<std::string> headerWarnings(SNDFILE* file) {
    std::vector<std::string> warnings;
    char log[8192] = {};
    sf_command(file, SFC_GET_LOG_INFO, log, sizeof log);
    std::istringstream lines(log);
    std::string line;
    while (std::getline(lines, line)) {
        long long declared = 0, actual = 0;
        if (std::sscanf(line.c_str(), "data : %lld (should be %lld)", &declared, &actual) == 2 && actual < declared)
            warnings.push_back("truncated: the header declares " + std::to_string(declared) + " bytes of audio, the file holds " +
                               std::to_string(actual) + "; measuring what is there");
    }
    return warnings;
}

}  // namespace

SoundFileReader::SoundFileReader(const std::string& path) {
    checkReadablePath(path);
    // MPEG-4 audio goes to FFmpeg: by its name, or when libsndfile does not know the file
    // and FFmpeg finds an MPEG-4 (or ADTS AAC) one in it.
    const FileFormat named = fileFormatForPath(path);
    SF_INFO sfInfo{};
    if (named != FileFormat::Aac) file_ = sf_open(path.c_str(), SFM_READ, &sfInfo);
    if (!file_) {
        const std::string why = named == FileFormat::Aac ? "" : sf_strerror(nullptr);
        if (named == FileFormat::Aac || (detail::startsLikeMpeg4Audio(path) && detail::mpeg4Module(path).isMpeg4Audio(path))) {
            av_ = detail::mpeg4Module(path).openReader(path);
            info_ = av_->info();
            return;
        }
        throw Error(path + ": not a readable sound file (" + why + ")");
    }
    if (sfInfo.channels <= 0 || sfInfo.samplerate <= 0) {
        sf_close(file_);
        file_ = nullptr;
        throw Error(path + ": sound file declares " + std::to_string(sfInfo.channels) + " channels at " +
                    std::to_string(sfInfo.samplerate) + " Hz");
    }
    // From here a throw would skip the destructor: close the file on the way out (the
    // audio fuzzer found the leak: a FLAC whose length cannot be measured).
    try {
        info_.path = path;
        info_.sampleRate = sfInfo.samplerate;
        info_.channels = sfInfo.channels;
        info_.frames = sfInfo.frames;
        info_.format = fileFormatOf(sfInfo.format);
        info_.sampleFormat = sampleFormatOf(sfInfo.format);
        info_.formatName = formatNameOf(sfInfo.format);

        std::vector<int> map(static_cast<std::size_t>(sfInfo.channels), 0);
        if (sf_command(file_, SFC_GET_CHANNEL_MAP_INFO, map.data(), static_cast<int>(map.size() * sizeof(int))) == SF_TRUE) {
            for (int channel : map) info_.speakers.push_back(speakerOf(channel));
        }
        interleaved_.resize(kChunkFrames * static_cast<std::size_t>(sfInfo.channels));
        info_.warnings = headerWarnings(file_);
        if (sfInfo.frames < 0 || sfInfo.frames == SF_COUNT_MAX) {
            countUnknownLength();
        } else if (info_.format == FileFormat::Flac && sfInfo.frames > 0) {
            checkClaimedLength();
        }
    } catch (...) {
        sf_close(file_);
        file_ = nullptr;
        throw;
    }
}

// A header that does not say how long the audio is (a FLAC stream's total_samples = 0, a
// WAV written to a pipe) reads as "as long as can be": read the file to its real end once
// and come back, so that every length computed from it is the true one. A stream that
// cannot be read twice (a pipe) keeps the unknown length, and is read to its end.
void SoundFileReader::countUnknownLength() {
    if (sf_seek(file_, 0, SEEK_CUR) < 0) return;  // not seekable
    sf_count_t frames = 0;
    for (sf_count_t got; (got = sf_readf_float(file_, interleaved_.data(), static_cast<sf_count_t>(kChunkFrames))) > 0;) frames += got;
    if (sf_seek(file_, 0, SEEK_SET) < 0) throw Error(info_.path + ": cannot read it again after measuring its length");
    info_.frames = frames;
    info_.warnings.push_back("the header does not give the length; read to the end: " + std::to_string(frames) + " frames");
}

// A FLAC stream's STREAMINFO gives its length, and a cut file (a download that stopped)
// keeps claiming it: every length planned from it (a mix's end, a time stretch) would run
// on in silence, or fail part-way. libsndfile reads a WAV's length from the data it holds,
// so only FLAC needs this. One seek to the claimed last frame tells (libFLAC finds it by
// a bisection over the frame headers: a few reads, not a decode); if it is not there, the
// file is opened again (a failed seek leaves the decoder unusable) and read to its end.
void SoundFileReader::checkClaimedLength() {
    if (sf_seek(file_, 0, SEEK_CUR) < 0) return;  // not seekable
    const sf_count_t claimed = info_.frames;
    if (sf_seek(file_, claimed - 1, SEEK_SET) == claimed - 1 && sf_readf_float(file_, interleaved_.data(), 1) == 1) {
        if (sf_seek(file_, 0, SEEK_SET) < 0) throw Error(info_.path + ": cannot read it again after checking its length");
        return;
    }
    sf_close(file_);
    SF_INFO again{};
    file_ = sf_open(info_.path.c_str(), SFM_READ, &again);
    if (!file_) throw Error(info_.path + ": cannot read it again after checking its length");
    countUnknownLength();
    info_.warnings.back() = "truncated: the header claims " + std::to_string(claimed) + " frames, the file holds " +
                            std::to_string(info_.frames) + "; reading what is there";
}

SoundFileReader::~SoundFileReader() {
    if (file_) sf_close(file_);
}

namespace {

// Integer samples to float, deinterleaving on the way: one pass, vectorisable (the
// channel count is a template constant for mono and stereo). libsndfile's own float
// conversion is a scalar loop; this is the reader's hot path in a 32-track mix.
template <typename Int, int Channels>
void convert(const Int* in, AudioView out, std::size_t offset, std::size_t frames, float scale) noexcept {
    for (int c = 0; c < Channels; ++c) {
        float* o = out.channel(c) + offset;
        for (std::size_t i = 0; i < frames; ++i) o[i] = static_cast<float>(in[i * Channels + static_cast<std::size_t>(c)]) * scale;
    }
}

template <typename Int>
void convertAny(const Int* in, int channels, AudioView out, std::size_t offset, std::size_t frames, float scale) noexcept {
    if (channels == 1) return convert<Int, 1>(in, out, offset, frames, scale);
    if (channels == 2) return convert<Int, 2>(in, out, offset, frames, scale);
    const auto n = static_cast<std::size_t>(channels);
    for (int c = 0; c < channels; ++c) {
        float* o = out.channel(c) + offset;
        for (std::size_t i = 0; i < frames; ++i) o[i] = static_cast<float>(in[i * n + static_cast<std::size_t>(c)]) * scale;
    }
}

}  // namespace

std::size_t SoundFileReader::read(AudioView destination) {
    if (av_) {
        const std::size_t frames = av_->read(destination);
        framesRead_ += frames;
        return frames;
    }
    if (destination.channels() != info_.channels)
        throw Error(info_.path + ": read into " + std::to_string(destination.channels()) + " channels from a " +
                    std::to_string(info_.channels) + "-channel file");
    const auto channels = static_cast<std::size_t>(info_.channels);
    // PCM is read as integers and converted here (same values as libsndfile's float read:
    // 16-bit / 32768, 24- and 32-bit as left-justified int / 2^31).
    const bool pcm16 = info_.sampleFormat == SampleFormat::Pcm16;
    const bool pcmWide = info_.sampleFormat == SampleFormat::Pcm24 || info_.sampleFormat == SampleFormat::Pcm32;
    std::size_t done = 0;
    while (done < destination.frames()) {
        const std::size_t want = std::min(kChunkFrames, destination.frames() - done);
        sf_count_t got;
        if (pcm16) {
            auto* buffer = reinterpret_cast<short*>(interleaved_.data());
            got = sf_readf_short(file_, buffer, static_cast<sf_count_t>(want));
            if (got > 0) convertAny(buffer, info_.channels, destination, done, static_cast<std::size_t>(got), 1.0f / 32768.0f);
        } else if (pcmWide) {
            auto* buffer = reinterpret_cast<int*>(interleaved_.data());
            got = sf_readf_int(file_, buffer, static_cast<sf_count_t>(want));
            if (got > 0) convertAny(buffer, info_.channels, destination, done, static_cast<std::size_t>(got), 1.0f / 2147483648.0f);
        } else {
            got = sf_readf_float(file_, interleaved_.data(), static_cast<sf_count_t>(want));
            if (got > 0) {
                for (std::size_t c = 0; c < channels; ++c) {
                    float* out = destination.channel(static_cast<int>(c)) + done;
                    const float* in = interleaved_.data() + c;
                    for (std::size_t i = 0; i < static_cast<std::size_t>(got); ++i) out[i] = in[i * channels];
                }
                // Only float files can hold NaN or infinity.
                if (refuseNonFinite_) refuseNonFiniteSamples(destination, done, static_cast<std::size_t>(got));
            }
        }
        if (got < 0) throw Error(info_.path + ": read error (" + sf_strerror(file_) + ")");
        if (got == 0) {
            if (sf_error(file_) != SF_ERR_NO_ERROR) throw Error(info_.path + ": read error (" + sf_strerror(file_) + ")");
            break;
        }
        const auto frames = static_cast<std::size_t>(got);
        done += frames;
        framesRead_ += frames;
        if (frames < want) break;
    }
    return done;
}

void SoundFileReader::refuseNonFiniteSamples(AudioView block, std::size_t offset, std::size_t frames) const {
    for (int c = 0; c < block.channels(); ++c) {
        const float* x = block.channel(c) + offset;
        for (std::size_t i = 0; i < frames; ++i) {
            if (std::isfinite(x[i])) continue;
            char where[96];
            std::snprintf(where, sizeof where, "at %.3f s in channel %d",
                          static_cast<double>(framesRead_ + i) / static_cast<double>(info_.sampleRate), c + 1);
            throw Error(info_.path + ": holds a non-finite sample (NaN or infinity) " + where + "; cannot use it");
        }
    }
}

void SoundFileReader::seek(std::int64_t frame) {
    if (av_) {
        av_->seek(frame);
        framesRead_ = static_cast<std::uint64_t>(frame);
        return;
    }
    if (sf_seek(file_, frame, SEEK_SET) < 0) throw Error(info_.path + ": cannot seek to frame " + std::to_string(frame));
    framesRead_ = static_cast<std::uint64_t>(frame);
}

const std::vector<std::string>& outputBitsChoices() {
    static const std::vector<std::string> choices = {"16", "24", "32f"};
    return choices;
}

SampleFormat outputSampleFormat(const std::string& bits, FileFormat container) {
    if (isLossy(container)) {  // the encoder takes the float render
        if (bits != "16" && bits != "24" && bits != "32f") throw ConfigError("--bits must be 16, 24 or 32f (got \"" + bits + "\")");
        return SampleFormat::Float32;
    }
    if (bits == "16") return SampleFormat::Pcm16;
    if (bits == "24") return SampleFormat::Pcm24;
    if (bits != "32f") throw ConfigError("--bits must be 16, 24 or 32f (got \"" + bits + "\")");
    if (container == FileFormat::Flac) throw ConfigError("FLAC holds 16 or 24-bit samples: use --bits 16 or 24");
    if (container == FileFormat::Alac) throw ConfigError("ALAC holds 16 or 24-bit samples: use --bits 16 or 24");
    return SampleFormat::Float32;
}

namespace {

std::string lowerCase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

struct NamedFormat {
    const char* name;
    FileFormat format;
    const char* extension;
};

// The formats Bounce writes, by the name --format takes, with the extension they get.
constexpr NamedFormat kOutputFormats[] = {
    {"wav", FileFormat::Wav, ".wav"},    {"aiff", FileFormat::Aiff, ".aiff"}, {"flac", FileFormat::Flac, ".flac"},
    {"alac", FileFormat::Alac, ".m4a"},  {"mp3", FileFormat::Mp3, ".mp3"},    {"aac", FileFormat::Aac, ".m4a"},
    {"opus", FileFormat::Opus, ".opus"}, {"ogg", FileFormat::Ogg, ".ogg"},    {"w64", FileFormat::W64, ".w64"},
};

}  // namespace

bool isLossy(FileFormat format) noexcept {
    return format == FileFormat::Mp3 || format == FileFormat::Aac || format == FileFormat::Opus || format == FileFormat::Ogg;
}

FileFormat fileFormatForPath(const std::string& path) {
    const std::string ext = lowerCase(std::filesystem::path(path).extension().string());
    if (ext == ".wav" || ext == ".wave") return FileFormat::Wav;
    if (ext == ".rf64") return FileFormat::Rf64;
    if (ext == ".w64") return FileFormat::W64;
    if (ext == ".aif" || ext == ".aiff") return FileFormat::Aiff;
    if (ext == ".flac") return FileFormat::Flac;
    if (ext == ".opus") return FileFormat::Opus;
    if (ext == ".ogg" || ext == ".oga") return FileFormat::Ogg;
    if (ext == ".mp3") return FileFormat::Mp3;
    if (ext == ".m4a" || ext == ".mp4" || ext == ".m4b" || ext == ".aac") return FileFormat::Aac;
    return FileFormat::Other;
}

const std::vector<std::string>& outputFormatChoices() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> all;
        for (const auto& f : kOutputFormats) all.emplace_back(f.name);
        return all;
    }();
    return names;
}

std::string mediaTypeFor(FileFormat format) {
    switch (format) {
    case FileFormat::Wav:
    case FileFormat::Rf64: return "audio/wav";
    case FileFormat::Aiff: return "audio/aiff";
    case FileFormat::Flac: return "audio/flac";
    case FileFormat::Mp3: return "audio/mpeg";
    case FileFormat::Aac:
    case FileFormat::Alac: return "audio/mp4";
    case FileFormat::Opus:
    case FileFormat::Ogg: return "audio/ogg";
    default: return "application/octet-stream";
    }
}

std::string extensionFor(FileFormat format) {
    if (format == FileFormat::Rf64) return ".wav";
    for (const auto& f : kOutputFormats)
        if (f.format == format) return f.extension;
    return "";
}

FileFormat writableFormatForPath(const std::string& path, const std::string& formatName) {
    const std::string extension = lowerCase(std::filesystem::path(path).extension().string());
    FileFormat format = fileFormatForPath(path);
    if (extension == ".mp4" || extension == ".m4b" || extension == ".aac") format = FileFormat::Other;  // read, not written
    if (formatName.empty()) {
        if (format == FileFormat::Other)
            throw ConfigError(path + ": Bounce cannot write this format (use .wav, .aiff, .flac, .mp3, .m4a, .opus, .ogg or .w64)");
        return format;
    }
    const FileFormat named = outputFormatNamed(formatName);
    const std::string wanted = extensionFor(named);
    const bool m4a = extension == ".m4a" && (named == FileFormat::Aac || named == FileFormat::Alac);
    if (format != named && !m4a && !(format == FileFormat::Rf64 && named == FileFormat::Wav))
        throw ConfigError("--format " + formatName + " does not match the output name " + path + " (" + lowerCase(formatName) +
                          " files end in " + wanted + ")");
    return named;
}

FileFormat outputFormatNamed(const std::string& name) {
    const std::string lower = lowerCase(name);
    for (const auto& f : kOutputFormats)
        if (lower == f.name) return f.format;
    throw ConfigError("--format " + name + ": unknown (wav, aiff, flac, alac, mp3, aac, opus, ogg or w64)");
}

double deliverableRate(FileFormat format, double rate) noexcept {
    if (format == FileFormat::Opus) return 48000.0;
    if (format == FileFormat::Mp3 && rate > 48000.0) return std::fmod(rate, 11025.0) == 0.0 ? 44100.0 : 48000.0;
    return rate;
}

namespace {

int sfSubtypeFor(const SoundFileSpec& spec, const std::string& path) {
    switch (spec.format) {
    case FileFormat::Ogg: return SF_FORMAT_VORBIS;
    case FileFormat::Opus: return SF_FORMAT_OPUS;
    case FileFormat::Mp3: return SF_FORMAT_MPEG_LAYER_III;
    default: break;
    }
    if (spec.format == FileFormat::Flac && (spec.sampleFormat == SampleFormat::Float32 || spec.sampleFormat == SampleFormat::Float64 ||
                                            spec.sampleFormat == SampleFormat::Pcm32))
        throw Error(path + ": FLAC holds 16 or 24-bit integer samples only");
    switch (spec.sampleFormat) {
    case SampleFormat::Pcm16: return SF_FORMAT_PCM_16;
    case SampleFormat::Pcm24: return SF_FORMAT_PCM_24;
    case SampleFormat::Pcm32: return SF_FORMAT_PCM_32;
    case SampleFormat::Float32: return SF_FORMAT_FLOAT;
    case SampleFormat::Float64: return SF_FORMAT_DOUBLE;
    default: throw Error(path + ": unsupported sample format");
    }
}

int sfMajorFor(FileFormat format, const std::string& path) {
    switch (format) {
    case FileFormat::Wav:
    case FileFormat::Rf64: return SF_FORMAT_RF64;  // auto-downgraded to WAV below 4 GiB
    case FileFormat::W64: return SF_FORMAT_W64;
    case FileFormat::Aiff: return SF_FORMAT_AIFF;
    case FileFormat::Flac: return SF_FORMAT_FLAC;
    case FileFormat::Ogg:
    case FileFormat::Opus: return SF_FORMAT_OGG;
    case FileFormat::Mp3: return SF_FORMAT_MPEG;
    default: throw Error(path + ": unknown output format (use .wav, .aiff, .flac, .mp3, .m4a, .opus, .ogg or .w64)");
    }
}

}  // namespace

namespace {

// The bit rate of a lossy libsndfile format, before the first write. libsndfile takes it
// as a "compression level" in [0, 1]; for MP3 that is (320 - kbps) / (320 - 32) at a
// constant bit rate (mpeg_l3_encode.c), checked with ffprobe in the tests.
void setBitrate(SNDFILE* file, const SoundFileSpec& spec, const std::string& path) {
    if (spec.format != FileFormat::Mp3) {
        if (spec.bitrateKbps > 0 && isLossy(spec.format)) throw ConfigError("--bitrate applies to MP3 and AAC outputs, not " + path);
        if (spec.vbrQuality >= 0) throw ConfigError("--quality is LAME's VBR scale, for MP3 outputs, not " + path);
        return;
    }
    if (spec.vbrQuality >= 0) {
        // Variable bit rate: libsndfile's level is LAME's V scale over 10 (V2 is 0.2; the
        // tests hold it to ffmpeg's libmp3lame -q:a 2 on the same file).
        if (spec.bitrateKbps > 0) throw ConfigError("--bitrate and --quality: give one (a constant bit rate, or LAME's VBR scale)");
        if (spec.vbrQuality > 9) throw ConfigError("--quality must be 0 (best) to 9 (got " + std::to_string(spec.vbrQuality) + ")");
        int mode = SF_BITRATE_MODE_VARIABLE;
        sf_command(file, SFC_SET_BITRATE_MODE, &mode, sizeof mode);
        double level = spec.vbrQuality / 10.0;
        if (sf_command(file, SFC_SET_COMPRESSION_LEVEL, &level, sizeof level) != SF_TRUE)
            throw Error(path + ": cannot set the MP3 quality");
        return;
    }
    const int kbps = spec.bitrateKbps > 0 ? spec.bitrateKbps : kDefaultMp3Kbps;
    if (kbps < 32 || kbps > 320) throw ConfigError("--bitrate for MP3 must be 32 to 320 kbit/s (got " + std::to_string(kbps) + ")");
    int mode = SF_BITRATE_MODE_CONSTANT;
    sf_command(file, SFC_SET_BITRATE_MODE, &mode, sizeof mode);
    double level = (320.0 - kbps) / (320.0 - 32.0);
    if (sf_command(file, SFC_SET_COMPRESSION_LEVEL, &level, sizeof level) != SF_TRUE) throw Error(path + ": cannot set the MP3 bit rate");
}

}  // namespace

SoundFileWriter::SoundFileWriter(const std::string& path, const SoundFileSpec& spec) : path_(path), channels_(spec.channels) {
    if (spec.channels <= 0) throw Error(path + ": cannot write a file with no channels");
    if (!(spec.sampleRate > 0.0)) throw Error(path + ": invalid sample rate");
    const bool mpeg4 = spec.format == FileFormat::Aac || spec.format == FileFormat::Alac;
    if (mpeg4 && spec.vbrQuality >= 0) throw ConfigError("--quality is LAME's VBR scale, for MP3 outputs, not " + path);
    if (spec.format == FileFormat::Alac && spec.bitrateKbps > 0) throw ConfigError("--bitrate applies to MP3 and AAC outputs, not " + path);
    SF_INFO sfInfo{};
    if (!mpeg4) {
        sfInfo.samplerate = static_cast<int>(spec.sampleRate);
        sfInfo.channels = spec.channels;
        sfInfo.format = sfMajorFor(spec.format, path) | sfSubtypeFor(spec, path);
        if (!sf_format_check(&sfInfo))
            throw Error(path + ": this format cannot hold " + std::to_string(spec.channels) + " channels at " +
                        std::to_string(sfInfo.samplerate) + " Hz with that sample format");
    }
    // Opened here rather than by libsndfile or FFmpeg, with O_NOFOLLOW: an output's
    // temporary is the regular file AtomicOutputFile made, never a link put in its place.
    // The descriptor stays ours (close_desc false): libsndfile closes it on some failures
    // and not others, and its close is checked below.
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd_ < 0) throw Error(path + ": cannot create (" + std::strerror(errno) + ")");
    if (mpeg4) {
        try {
            av_ = detail::mpeg4Module(path).openWriter(path, fd_, spec);
        } catch (...) {
            ::close(fd_);
            throw;
        }
        return;
    }
    file_ = sf_open_fd(fd_, SFM_WRITE, &sfInfo, SF_FALSE);
    if (!file_) {
        ::close(fd_);
        throw Error(path + ": cannot create (" + sf_strerror(nullptr) + ")");
    }
    try {
        setBitrate(file_, spec, path);
    } catch (...) {
        sf_close(file_);
        ::close(fd_);
        throw;
    }
    if ((sfInfo.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_RF64) sf_command(file_, SFC_RF64_AUTO_DOWNGRADE, nullptr, SF_TRUE);
    // Float data (float files, and what the lossy encoders take) still clips in
    // libsndfile; integers are quantised by write().
    sf_command(file_, SFC_SET_CLIPPING, nullptr, SF_TRUE);
    sampleFormat_ = isLossy(spec.format) ? SampleFormat::Float32 : spec.sampleFormat;
    const std::size_t samples = kChunkFrames * static_cast<std::size_t>(spec.channels);
    if (sampleFormat_ == SampleFormat::Pcm16)
        interleaved16_.resize(samples);
    else if (sampleFormat_ == SampleFormat::Pcm24 || sampleFormat_ == SampleFormat::Pcm32)
        interleaved32_.resize(samples);
    else
        interleaved_.resize(samples);
}

SoundFileWriter::~SoundFileWriter() {
    try {
        close();
    } catch (...) {}
}

namespace {

template <typename Sample, typename Convert>
void interleaveAs(ConstAudioView block, std::size_t offset, std::size_t frames, Sample* out, Convert convert) {
    const auto channels = static_cast<std::size_t>(block.channels());
    for (std::size_t c = 0; c < channels; ++c) {
        const float* in = block.channel(static_cast<int>(c)) + offset;
        for (std::size_t i = 0; i < frames; ++i) out[i * channels + c] = convert(in[i]);
    }
}

}  // namespace

// Integers are quantised here, not by libsndfile (see sample_quantise.h); 24-bit samples go
// left-justified in an int, and libsndfile's shift of the zero low byte is exact.
void SoundFileWriter::interleave(ConstAudioView block, std::size_t offset, std::size_t frames) {
    switch (sampleFormat_) {
    case SampleFormat::Pcm16: return interleaveAs(block, offset, frames, interleaved16_.data(), detail::quantise16);
    case SampleFormat::Pcm24: return interleaveAs(block, offset, frames, interleaved32_.data(), detail::quantise24);
    case SampleFormat::Pcm32: return interleaveAs(block, offset, frames, interleaved32_.data(), detail::quantise32);
    default: return interleaveAs(block, offset, frames, interleaved_.data(), [](float x) { return x; });
    }
}

void SoundFileWriter::write(ConstAudioView block) {
    if (!file_ && !av_) throw Error(path_ + ": write after close");
    if (block.channels() != channels_)
        throw Error(path_ + ": writing " + std::to_string(block.channels()) + " channels to a " + std::to_string(channels_) +
                    "-channel file");
    if (av_) return av_->write(block);
    for (std::size_t done = 0; done < block.frames();) {
        const std::size_t frames = std::min(kChunkFrames, block.frames() - done);
        interleave(block, done, frames);
        const auto count = static_cast<sf_count_t>(frames);
        sf_count_t written = 0;
        if (sampleFormat_ == SampleFormat::Pcm16)
            written = sf_writef_short(file_, interleaved16_.data(), count);
        else if (sampleFormat_ == SampleFormat::Pcm24 || sampleFormat_ == SampleFormat::Pcm32)
            written = sf_writef_int(file_, interleaved32_.data(), count);
        else
            written = sf_writef_float(file_, interleaved_.data(), count);
        if (written != count) throw Error(path_ + ": write failed (" + sf_strerror(file_) + ")");
        done += frames;
    }
}

void SoundFileWriter::close() {
    if (av_) {
        std::unique_ptr<detail::Mpeg4Writer> av = std::move(av_);
        bool finished = true;
        try {
            av->close();
        } catch (...) {
            finished = false;
            ::close(fd_);
            fd_ = -1;
            throw;
        }
        const bool released = ::close(fd_) == 0;
        fd_ = -1;
        if (!finished || !released) throw Error(path_ + ": could not finish writing the file");
        return;
    }
    if (!file_) return;
    SNDFILE* file = file_;
    file_ = nullptr;
    sf_write_sync(file);
    const bool closed = sf_close(file) == 0;
    const bool released = ::close(fd_) == 0;
    fd_ = -1;
    if (!closed || !released) throw Error(path_ + ": could not finish writing the file");
}

}  // namespace bounce
