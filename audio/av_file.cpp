#include "av_file.h"

#include "bounce/error.h"
#include "sample_quantise.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace bounce::detail {
namespace {

std::string avError(int code) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, text, sizeof text);
    return text;
}

// FFmpeg prints its own warnings on stderr; Bounce reports failures itself, naming the file.
void quietFfmpeg() {
    static const bool once = [] {
        av_log_set_level(AV_LOG_QUIET);
        return true;
    }();
    (void)once;
}

bool isMpeg4Demuxer(const AVInputFormat* format) {
    if (!format || !format->name) return false;
    const std::string name = format->name;
    return name.find("mp4") != std::string::npos || name == "aac";
}

// One decoded frame's samples [from, from + frames) into the destination's channels at
// `offset`, whatever FFmpeg's sample format (AAC decodes to planar float, ALAC to planar
// 16 or 32-bit integers; integers scaled as the libsndfile reader scales them).
template <typename Sample>
void deinterleave(const AVFrame& frame, bool planar, float scale, std::size_t from, std::size_t frames, AudioView out, std::size_t offset) {
    const int channels = out.channels();
    for (int c = 0; c < channels; ++c) {
        float* o = out.channel(c) + offset;
        if (planar) {
            const auto* in = reinterpret_cast<const Sample*>(frame.extended_data[c]) + from;
            for (std::size_t i = 0; i < frames; ++i) o[i] = static_cast<float>(in[i]) * scale;
        } else {
            const auto* in = reinterpret_cast<const Sample*>(frame.extended_data[0]);
            for (std::size_t i = 0; i < frames; ++i)
                o[i] = static_cast<float>(in[(from + i) * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)]) * scale;
        }
    }
}

void copyFrame(const AVFrame& frame, std::size_t from, std::size_t frames, AudioView out, std::size_t offset, const std::string& path) {
    const auto format = static_cast<AVSampleFormat>(frame.format);
    const bool planar = av_sample_fmt_is_planar(format) != 0;
    switch (av_get_packed_sample_fmt(format)) {
    case AV_SAMPLE_FMT_FLT: return deinterleave<float>(frame, planar, 1.0f, from, frames, out, offset);
    case AV_SAMPLE_FMT_DBL: return deinterleave<double>(frame, planar, 1.0f, from, frames, out, offset);
    case AV_SAMPLE_FMT_S16: return deinterleave<std::int16_t>(frame, planar, 1.0f / 32768.0f, from, frames, out, offset);
    case AV_SAMPLE_FMT_S32: return deinterleave<std::int32_t>(frame, planar, 1.0f / 2147483648.0f, from, frames, out, offset);
    default: throw Error(path + ": the decoder gives a sample format Bounce does not read (" + av_get_sample_fmt_name(format) + ")");
    }
}

}  // namespace

bool isMpeg4Audio(const std::string& path) {
    // FFmpeg is asked only about files that start as MPEG-4 audio does: its probing of
    // anything else is a large surface for nothing.
    if (!startsLikeMpeg4Audio(path)) return false;
    quietFfmpeg();
    AVFormatContext* format = nullptr;
    if (avformat_open_input(&format, path.c_str(), nullptr, nullptr) < 0) return false;
    const bool mpeg4 = isMpeg4Demuxer(format->iformat);
    avformat_close_input(&format);
    return mpeg4;
}

struct AvReader::Decoder {
    AVFormatContext* format = nullptr;
    AVCodecContext* codec = nullptr;
    AVPacket* packet = av_packet_alloc();
    AVFrame* frame = av_frame_alloc();
    int stream = -1;
    std::size_t used = 0;     // frames of `frame` already read out
    std::size_t pending = 0;  // frames of `frame` still to read out
    bool draining = false;
    int damaged = 0;  // packets that could not be read or decoded

    ~Decoder() {
        av_frame_free(&frame);
        av_packet_free(&packet);
        avcodec_free_context(&codec);
        avformat_close_input(&format);
    }
};

AvReader::AvReader(const std::string& path) {
    info_.path = path;
    open();
    // The length: decoded once. The container's duration counts the encoder's priming and
    // padding, which the edit list trims; only the decoder gives the frames a reader gets.
    std::int64_t frames = 0;
    while (decodeNext()) frames += static_cast<std::int64_t>(decoder_->pending);
    // FFmpeg trims the priming (the edit list's start) but not the padding of the last
    // frame: the edit list's duration, which the stream's duration is, ends the audio.
    const AVStream* stream = decoder_->format->streams[decoder_->stream];
    if (stream->duration > 0) {
        const std::int64_t declared = av_rescale_q(stream->duration, stream->time_base, AVRational{1, static_cast<int>(info_.sampleRate)});
        frames = std::min(frames, declared);
    }
    if (decoder_->damaged > 0)
        info_.warnings.push_back("damaged or truncated: " + std::to_string(decoder_->damaged) + " packet" +
                                 (decoder_->damaged == 1 ? "" : "s") + " could not be read; measuring the " + std::to_string(frames) +
                                 " frames that decode");
    info_.frames = frames;
    open();
}

AvReader::~AvReader() = default;

void AvReader::open() {
    quietFfmpeg();
    const std::string& path = info_.path;
    decoder_ = std::make_unique<Decoder>();
    Decoder& d = *decoder_;
    if (!d.packet || !d.frame) throw Error(path + ": out of memory");
    int status = avformat_open_input(&d.format, path.c_str(), nullptr, nullptr);
    if (status < 0) throw Error(path + ": not a readable sound file (" + avError(status) + ")");
    if (!isMpeg4Demuxer(d.format->iformat)) throw Error(path + ": not an MPEG-4 audio file");
    if ((status = avformat_find_stream_info(d.format, nullptr)) < 0)
        throw Error(path + ": cannot read its streams (" + avError(status) + ")");
    const AVCodec* decoder = nullptr;
    d.stream = av_find_best_stream(d.format, AVMEDIA_TYPE_AUDIO, -1, -1, &decoder, 0);
    if (d.stream < 0 || !decoder) throw Error(path + ": holds no audio Bounce can decode");
    // Cover art is a video stream of one picture: not read.
    for (unsigned i = 0; i < d.format->nb_streams; ++i)
        if (static_cast<int>(i) != d.stream) d.format->streams[i]->discard = AVDISCARD_ALL;
    const AVCodecParameters* parameters = d.format->streams[d.stream]->codecpar;
    d.codec = avcodec_alloc_context3(decoder);
    if (!d.codec || avcodec_parameters_to_context(d.codec, parameters) < 0 || (status = avcodec_open2(d.codec, decoder, nullptr)) < 0)
        throw Error(path + ": cannot open its " + decoder->name + " decoder (" + avError(status) + ")");
    info_.sampleRate = d.codec->sample_rate;
    info_.channels = d.codec->ch_layout.nb_channels;
    if (info_.channels <= 0 || info_.sampleRate <= 0)
        throw Error(path + ": sound file declares " + std::to_string(info_.channels) + " channels at " +
                    std::to_string(static_cast<int>(info_.sampleRate)) + " Hz");
    const bool alac = parameters->codec_id == AV_CODEC_ID_ALAC;
    const int bits = parameters->bits_per_raw_sample > 0 ? parameters->bits_per_raw_sample : d.codec->bits_per_raw_sample;
    info_.format = alac ? FileFormat::Alac : parameters->codec_id == AV_CODEC_ID_AAC ? FileFormat::Aac : FileFormat::Other;
    info_.sampleFormat = !alac ? SampleFormat::Other : bits > 16 ? SampleFormat::Pcm24 : SampleFormat::Pcm16;
    info_.formatName = std::string("MPEG-4 audio, ") + (alac ? "ALAC " + std::to_string(bits > 16 ? 24 : 16) + " bit" : decoder->long_name);
}

bool AvReader::decodeNext() {
    Decoder& d = *decoder_;
    for (;;) {
        int status = avcodec_receive_frame(d.codec, d.frame);
        if (status == 0) {
            if (d.frame->nb_samples <= 0) continue;
            d.used = 0;
            d.pending = static_cast<std::size_t>(d.frame->nb_samples);
            return true;
        }
        if (status == AVERROR_EOF) return false;
        if (status != AVERROR(EAGAIN)) throw Error(info_.path + ": cannot decode (" + avError(status) + ")");
        if (d.draining) return false;
        status = av_read_frame(d.format, d.packet);
        if (status < 0) {
            // The end, or a file cut short (its index names packets past its end): what
            // was there is decoded, and the reader says the file is damaged.
            if (status != AVERROR_EOF) ++d.damaged;
            avcodec_send_packet(d.codec, nullptr);
            d.draining = true;
            continue;
        }
        if (d.packet->stream_index == d.stream) status = avcodec_send_packet(d.codec, d.packet);
        av_packet_unref(d.packet);
        if (status == AVERROR_INVALIDDATA)
            ++d.damaged;  // one packet lost, as FFmpeg's own tools go on
        else if (status < 0 && status != AVERROR(EAGAIN))
            throw Error(info_.path + ": cannot decode (" + avError(status) + ")");
    }
}

std::size_t AvReader::read(AudioView destination) {
    if (destination.channels() != info_.channels)
        throw Error(info_.path + ": read into " + std::to_string(destination.channels()) + " channels from a " +
                    std::to_string(info_.channels) + "-channel file");
    Decoder& d = *decoder_;
    const auto left = static_cast<std::size_t>(std::max<std::int64_t>(0, info_.frames - position_));
    const std::size_t wanted = std::min(destination.frames(), left);
    std::size_t done = 0;
    while (done < wanted) {
        if (d.pending == 0 && !decodeNext()) break;
        const std::size_t n = std::min(d.pending, wanted - done);
        copyFrame(*d.frame, d.used, n, destination, done, info_.path);
        d.used += n;
        d.pending -= n;
        done += n;
    }
    position_ += static_cast<std::int64_t>(done);
    return done;
}

// From the start again, decoding up to the frame: MPEG-4 seeking lands on packet
// boundaries and AAC needs its preroll, and the exact frame is what a reader promises.
void AvReader::seek(std::int64_t frame) {
    open();
    position_ = frame;
    Decoder& d = *decoder_;
    for (std::int64_t skipped = 0; skipped < frame;) {
        if (d.pending == 0 && !decodeNext()) break;
        const auto n = static_cast<std::size_t>(std::min<std::int64_t>(static_cast<std::int64_t>(d.pending), frame - skipped));
        d.used += n;
        d.pending -= n;
        skipped += static_cast<std::int64_t>(n);
    }
}

struct AvWriter::Encoder {
    int fd = -1;
    AVIOContext* io = nullptr;
    AVFormatContext* format = nullptr;
    AVCodecContext* codec = nullptr;
    AVStream* stream = nullptr;
    AVFrame* frame = av_frame_alloc();
    AVPacket* packet = av_packet_alloc();
    int filled = 0;  // frames in `frame` not yet sent
    std::int64_t nextPts = 0;
    SampleFormat sampleFormat = SampleFormat::Float32;
    bool writeFailed = false;

    ~Encoder() {
        av_packet_free(&packet);
        av_frame_free(&frame);
        avcodec_free_context(&codec);
        if (format) {
            format->pb = nullptr;
            avformat_free_context(format);
        }
        if (io) {
            av_freep(&io->buffer);
            avio_context_free(&io);
        }
    }

    // The muxer writes through the caller's descriptor (opened with O_NOFOLLOW), not a
    // path of its own.
    static int writePacket(void* opaque, std::uint8_t* data, int size) {
        auto* self = static_cast<Encoder*>(opaque);
        for (int done = 0; done < size;) {
            const ssize_t n = ::write(self->fd, data + done, static_cast<std::size_t>(size - done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                self->writeFailed = true;
                return AVERROR(errno ? errno : EIO);
            }
            done += static_cast<int>(n);
        }
        return size;
    }
    static std::int64_t seekTo(void* opaque, std::int64_t offset, int whence) {
        auto* self = static_cast<Encoder*>(opaque);
        if (whence & AVSEEK_SIZE) {
            struct stat st {};
            return ::fstat(self->fd, &st) == 0 ? static_cast<std::int64_t>(st.st_size) : AVERROR(errno);
        }
        const off_t at = ::lseek(self->fd, static_cast<off_t>(offset), whence & ~AVSEEK_FORCE);
        return at < 0 ? AVERROR(errno) : static_cast<std::int64_t>(at);
    }
};

namespace {

const AVCodec* encoderFor(const SoundFileSpec& spec, const std::string& path) {
    const AVCodec* codec = avcodec_find_encoder(spec.format == FileFormat::Alac ? AV_CODEC_ID_ALAC : AV_CODEC_ID_AAC);
    if (!codec) throw Error(path + ": this FFmpeg has no " + (spec.format == FileFormat::Alac ? "ALAC" : "AAC") + " encoder");
    return codec;
}

}  // namespace

AvWriter::AvWriter(const std::string& path, int fd, const SoundFileSpec& spec) : path_(path), encoder_(std::make_unique<Encoder>()) {
    quietFfmpeg();
    Encoder& e = *encoder_;
    e.fd = fd;
    if (!e.frame || !e.packet) throw Error(path + ": out of memory");
    const bool alac = spec.format == FileFormat::Alac;
    if (alac && spec.sampleFormat != SampleFormat::Pcm16 && spec.sampleFormat != SampleFormat::Pcm24)
        throw Error(path + ": ALAC holds 16 or 24-bit samples: use --bits 16 or 24");
    e.sampleFormat = alac ? spec.sampleFormat : SampleFormat::Float32;
    const AVCodec* codec = encoderFor(spec, path);
    // The "ipod" muxer is FFmpeg's M4A: an MPEG-4 file with the brand iTunes and players expect.
    if (avformat_alloc_output_context2(&e.format, nullptr, "ipod", nullptr) < 0 || !e.format)
        throw Error(path + ": cannot create an M4A file");
    e.codec = avcodec_alloc_context3(codec);
    if (!e.codec) throw Error(path + ": out of memory");
    e.codec->sample_rate = static_cast<int>(spec.sampleRate);
    av_channel_layout_default(&e.codec->ch_layout, spec.channels);
    e.codec->time_base = AVRational{1, e.codec->sample_rate};
    if (alac) {
        e.codec->sample_fmt = spec.sampleFormat == SampleFormat::Pcm16 ? AV_SAMPLE_FMT_S16P : AV_SAMPLE_FMT_S32P;
        e.codec->bits_per_raw_sample = spec.sampleFormat == SampleFormat::Pcm16 ? 16 : 24;
    } else {
        e.codec->sample_fmt = AV_SAMPLE_FMT_FLTP;
        e.codec->bit_rate = static_cast<std::int64_t>(spec.bitrateKbps > 0 ? spec.bitrateKbps : kDefaultAacKbps) * 1000;
    }
    if (e.format->oformat->flags & AVFMT_GLOBALHEADER) e.codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    int status = avcodec_open2(e.codec, codec, nullptr);
    if (status < 0)
        throw Error(path + ": " + (alac ? "ALAC" : "AAC") + " cannot hold " + std::to_string(spec.channels) + " channels at " +
                    std::to_string(e.codec->sample_rate) + " Hz (" + avError(status) + ")");
    e.stream = avformat_new_stream(e.format, nullptr);
    if (!e.stream || avcodec_parameters_from_context(e.stream->codecpar, e.codec) < 0)
        throw Error(path + ": cannot create its audio stream");
    e.stream->time_base = e.codec->time_base;
    constexpr int kIoBufferBytes = 1 << 16;
    auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBufferBytes));
    e.io = buffer ? avio_alloc_context(buffer, kIoBufferBytes, 1, &e, nullptr, &Encoder::writePacket, &Encoder::seekTo) : nullptr;
    if (!e.io) {
        av_free(buffer);
        throw Error(path + ": out of memory");
    }
    e.format->pb = e.io;
    e.format->flags |= AVFMT_FLAG_CUSTOM_IO;
    if ((status = avformat_write_header(e.format, nullptr)) < 0) throw Error(path + ": cannot write (" + avError(status) + ")");
    e.frame->format = e.codec->sample_fmt;
    e.frame->sample_rate = e.codec->sample_rate;
    e.frame->nb_samples = e.codec->frame_size > 0 ? e.codec->frame_size : 4096;
    av_channel_layout_copy(&e.frame->ch_layout, &e.codec->ch_layout);
    if (av_frame_get_buffer(e.frame, 0) < 0) throw Error(path + ": out of memory");
}

AvWriter::~AvWriter() = default;

void AvWriter::write(ConstAudioView block) {
    Encoder& e = *encoder_;
    if (!e.codec) throw Error(path_ + ": write after close");
    const int frameSize = e.frame->nb_samples;
    for (std::size_t done = 0; done < block.frames();) {
        // The encoder may still hold a reference to the last frame sent: copy on write.
        if (e.filled == 0 && av_frame_make_writable(e.frame) < 0) throw Error(path_ + ": out of memory");
        const auto n = std::min(static_cast<std::size_t>(frameSize - e.filled), block.frames() - done);
        for (int c = 0; c < block.channels(); ++c) {
            const float* in = block.channel(c) + done;
            std::uint8_t* plane = e.frame->extended_data[c];
            if (e.sampleFormat == SampleFormat::Pcm16) {
                auto* out = reinterpret_cast<std::int16_t*>(plane) + e.filled;
                for (std::size_t i = 0; i < n; ++i) out[i] = quantise16(in[i]);
            } else if (e.sampleFormat == SampleFormat::Pcm24) {
                auto* out = reinterpret_cast<std::int32_t*>(plane) + e.filled;
                for (std::size_t i = 0; i < n; ++i) out[i] = quantise24(in[i]);
            } else {
                std::copy_n(in, n, reinterpret_cast<float*>(plane) + e.filled);
            }
        }
        e.filled += static_cast<int>(n);
        done += n;
        if (e.filled == frameSize) sendFrame(false);
    }
}

void AvWriter::sendFrame(bool last) {
    Encoder& e = *encoder_;
    const int frameSize = e.frame->nb_samples;
    if (last && e.filled < frameSize && !(e.codec->codec->capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME)) {
        // An encoder that takes whole frames only: the rest is silence.
        for (int c = 0; c < e.codec->ch_layout.nb_channels; ++c) {
            const int bytes = av_get_bytes_per_sample(e.codec->sample_fmt);
            std::memset(e.frame->extended_data[c] + e.filled * bytes, 0, static_cast<std::size_t>((frameSize - e.filled) * bytes));
        }
        e.filled = frameSize;
    }
    e.frame->nb_samples = e.filled;
    e.frame->pts = e.nextPts;
    e.nextPts += e.filled;
    const int status = avcodec_send_frame(e.codec, e.frame);
    e.frame->nb_samples = frameSize;
    e.filled = 0;
    if (status < 0) throw Error(path_ + ": cannot encode (" + avError(status) + ")");
    drainPackets();
}

void AvWriter::drainPackets() {
    Encoder& e = *encoder_;
    for (;;) {
        int status = avcodec_receive_packet(e.codec, e.packet);
        if (status == AVERROR(EAGAIN) || status == AVERROR_EOF) return;
        if (status < 0) throw Error(path_ + ": cannot encode (" + avError(status) + ")");
        av_packet_rescale_ts(e.packet, e.codec->time_base, e.stream->time_base);
        e.packet->stream_index = e.stream->index;
        status = av_interleaved_write_frame(e.format, e.packet);
        if (status < 0) throw Error(path_ + ": write failed (" + avError(status) + ")");
    }
}

void AvWriter::close() {
    Encoder& e = *encoder_;
    if (!e.codec) return;
    if (e.filled > 0) sendFrame(true);
    const int flushed = avcodec_send_frame(e.codec, nullptr);
    if (flushed < 0 && flushed != AVERROR_EOF) throw Error(path_ + ": cannot encode (" + avError(flushed) + ")");
    drainPackets();
    const int status = av_write_trailer(e.format);
    avio_flush(e.io);
    avcodec_free_context(&e.codec);
    if (status < 0 || e.writeFailed || e.io->error < 0)
        throw Error(path_ + ": write failed (" + avError(status < 0 ? status : e.io->error) + ")");
}

// The module's table (mpeg4_module.h).
const Mpeg4Module kModule{
    kMpeg4ModuleAbi,
    &isMpeg4Audio,
    [](const std::string& path) -> std::unique_ptr<Mpeg4Reader> { return std::make_unique<AvReader>(path); },
    [](const std::string& path, int fd, const SoundFileSpec& spec) -> std::unique_ptr<Mpeg4Writer> {
        return std::make_unique<AvWriter>(path, fd, spec);
    },
};

}  // namespace bounce::detail

extern "C" __attribute__((visibility("default"))) const bounce::detail::Mpeg4Module* bounce_mpeg4_module() {
    return &bounce::detail::kModule;
}
