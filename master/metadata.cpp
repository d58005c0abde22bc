// Release metadata with TagLib: RIFF INFO and ID3v2 in WAV, ID3v2 in AIFF, ID3v2.4 in MP3,
// Vorbis comments and a PICTURE block in FLAC, iTunes atoms in M4A (AAC and ALAC).
#include "bounce/master.h"

#include "bounce/error.h"
#include "bounce/sound_file.h"

#include <taglib/aifffile.h>
#include <taglib/attachedpictureframe.h>
#include <taglib/flacfile.h>
#include <taglib/flacpicture.h>
#include <taglib/id3v2tag.h>
#include <taglib/infotag.h>
#include <taglib/mp4file.h>
#include <taglib/mpegfile.h>
#include <taglib/opusfile.h>
#include <taglib/vorbisfile.h>
#include <taglib/textidentificationframe.h>
#include <taglib/wavfile.h>
#include <taglib/xiphcomment.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace bounce {
namespace {

TagLib::String utf8(const std::string& text) { return TagLib::String(text, TagLib::String::UTF8); }

std::string readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string artworkMimeType(const std::string& bytes) {
    if (bytes.size() > 3 && static_cast<unsigned char>(bytes[0]) == 0xFF && static_cast<unsigned char>(bytes[1]) == 0xD8 &&
        static_cast<unsigned char>(bytes[2]) == 0xFF)
        return "image/jpeg";
    if (bytes.size() > 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0) return "image/png";
    return "";
}

std::string trackText(const Metadata& m) {
    if (m.trackNumber <= 0) return "";
    return std::to_string(m.trackNumber) + (m.trackTotal > 0 ? "/" + std::to_string(m.trackTotal) : "");
}

void setText(TagLib::ID3v2::Tag& tag, const char* frameId, const std::string& value) {
    if (value.empty()) return;
    tag.removeFrames(frameId);
    auto* frame = new TagLib::ID3v2::TextIdentificationFrame(frameId, TagLib::String::UTF8);
    frame->setText(utf8(value));
    tag.addFrame(frame);
}

void fillId3(TagLib::ID3v2::Tag& tag, const Metadata& m, const std::string& artwork) {
    for (const auto& [name, value] : m.extraTags) {
        // User-defined text (TXXX), e.g. REPLAYGAIN_TRACK_GAIN, as foobar2000 and others read it.
        auto* frame = new TagLib::ID3v2::UserTextIdentificationFrame(TagLib::String::UTF8);
        frame->setDescription(utf8(name));
        frame->setText(utf8(value));
        tag.addFrame(frame);
    }
    setText(tag, "TIT2", m.title);
    setText(tag, "TPE1", m.artist);
    setText(tag, "TALB", m.album);
    setText(tag, "TDRC", m.date);
    setText(tag, "TSRC", m.isrc);
    setText(tag, "TCON", m.genre);
    setText(tag, "TRCK", trackText(m));
    if (!artwork.empty()) {
        tag.removeFrames("APIC");
        auto* picture = new TagLib::ID3v2::AttachedPictureFrame;
        picture->setMimeType(artworkMimeType(artwork));
        picture->setType(TagLib::ID3v2::AttachedPictureFrame::FrontCover);
        picture->setPicture(TagLib::ByteVector(artwork.data(), static_cast<unsigned int>(artwork.size())));
        tag.addFrame(picture);
    }
}

}  // namespace

bool isValidIsrc(const std::string& isrc) {
    // ISO 3901: country (2 letters), registrant (3 alphanumerics), year (2 digits),
    // designation (5 digits); hyphens are presentation only.
    std::string code;
    for (char c : isrc)
        if (c != '-') code += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    bool ok = code.size() == 12 && std::isalpha(static_cast<unsigned char>(code[0])) && std::isalpha(static_cast<unsigned char>(code[1]));
    for (std::size_t i = 2; ok && i < 5; ++i) ok = std::isalnum(static_cast<unsigned char>(code[i])) != 0;
    for (std::size_t i = 5; ok && i < 12; ++i) ok = std::isdigit(static_cast<unsigned char>(code[i])) != 0;
    return ok;
}

constexpr std::uintmax_t kMaxArtworkBytes = 16u * 1024 * 1024;

void validateMetadata(const Metadata& m) {
    if (!m.isrc.empty() && !isValidIsrc(m.isrc))
        throw ConfigError("--isrc must be 12 characters: 2 letters, 3 letters or digits, 7 digits (e.g. GBAYE2600001), got \"" + m.isrc +
                          "\"");
    if (!m.artworkPath.empty()) {
        if (!std::filesystem::is_regular_file(m.artworkPath)) throw ConfigError("--artwork " + m.artworkPath + ": no such file");
        // A picture frame's size is a 28-bit number in ID3v2 (256 MB), and a cover is a few
        // hundred KB: anything near that is a mistake, refused before it is read.
        std::error_code ec;
        if (std::filesystem::file_size(m.artworkPath, ec) > kMaxArtworkBytes)
            throw ConfigError("--artwork " + m.artworkPath + ": larger than " + std::to_string(kMaxArtworkBytes / (1024 * 1024)) + " MB");
        if (artworkMimeType(readBytes(m.artworkPath)).empty())
            throw ConfigError("--artwork " + m.artworkPath + ": not a JPEG or PNG image");
    }
    if (m.trackNumber < 0 || m.trackTotal < 0 || (m.trackTotal > 0 && m.trackNumber > m.trackTotal))
        throw ConfigError("--track must be N or N/M with 1 <= N <= M");
}

namespace {

// The front cover as FLAC's PICTURE structure (FLAC's own block, and Ogg's
// METADATA_BLOCK_PICTURE comment); the caller's file takes ownership.
TagLib::FLAC::Picture* frontCover(const std::string& artwork) {
    auto* picture = new TagLib::FLAC::Picture;
    picture->setType(TagLib::FLAC::Picture::FrontCover);
    picture->setMimeType(artworkMimeType(artwork));
    picture->setData(TagLib::ByteVector(artwork.data(), static_cast<unsigned int>(artwork.size())));
    return picture;
}

void fillXiph(TagLib::Ogg::XiphComment& x, const Metadata& m, const std::string& artwork) {
    const auto field = [&x](const char* name, const std::string& value) {
        if (!value.empty()) x.addField(name, utf8(value), true);
    };
    field("TITLE", m.title);
    field("ARTIST", m.artist);
    field("ALBUM", m.album);
    field("DATE", m.date);
    field("ISRC", m.isrc);
    field("GENRE", m.genre);
    if (m.trackNumber > 0) field("TRACKNUMBER", std::to_string(m.trackNumber));
    if (m.trackTotal > 0) field("TRACKTOTAL", std::to_string(m.trackTotal));
    for (const auto& [name, value] : m.extraTags) field(name.c_str(), value);
    if (!artwork.empty()) {
        x.removeAllPictures();
        x.addPicture(frontCover(artwork));
    }
}

bool writeFlacMetadata(const std::string& path, const Metadata& m, const std::string& artwork) {
    TagLib::FLAC::File file(path.c_str());
    if (!file.isValid()) throw Error(path + ": cannot open to write its metadata");
    fillXiph(*file.xiphComment(true), m, "");
    if (!artwork.empty()) {  // FLAC has a block of its own for pictures
        file.removePictures();
        file.addPicture(frontCover(artwork));
    }
    return file.save();
}

template <typename OggFile>
bool writeOggMetadata(const std::string& path, const Metadata& m, const std::string& artwork) {
    OggFile file(path.c_str());
    if (!file.isValid()) throw Error(path + ": cannot open to write its metadata");
    fillXiph(*file.tag(), m, artwork);
    return file.save();
}

// iTunes atoms; what has no atom of its own (ISRC, ReplayGain) goes in "----" freeform
// atoms of the com.apple.iTunes namespace, where iTunes, foobar2000 and ffprobe read it.
bool writeMp4Metadata(const std::string& path, const Metadata& m, const std::string& artwork) {
    TagLib::MP4::File file(path.c_str());
    if (!file.isValid()) throw Error(path + ": cannot open to write its metadata");
    TagLib::MP4::Tag* tag = file.tag();
    const auto item = [tag](const char* atom, const std::string& value) {
        if (!value.empty()) tag->setItem(atom, TagLib::MP4::Item(TagLib::StringList(utf8(value))));
    };
    item("\251nam", m.title);
    item("\251ART", m.artist);
    item("\251alb", m.album);
    item("\251day", m.date);
    item("\251gen", m.genre);
    item("----:com.apple.iTunes:ISRC", m.isrc);
    for (const auto& [name, value] : m.extraTags) item(("----:com.apple.iTunes:" + name).c_str(), value);
    if (m.trackNumber > 0) tag->setItem("trkn", TagLib::MP4::Item(m.trackNumber, m.trackTotal));
    if (!artwork.empty()) {
        const auto format = artworkMimeType(artwork) == "image/png" ? TagLib::MP4::CoverArt::PNG : TagLib::MP4::CoverArt::JPEG;
        TagLib::MP4::CoverArtList covers;
        covers.append(TagLib::MP4::CoverArt(format, TagLib::ByteVector(artwork.data(), static_cast<unsigned int>(artwork.size()))));
        tag->setItem("covr", TagLib::MP4::Item(covers));
    }
    return file.save();
}

}  // namespace

bool carriesReplayGain(FileFormat container) noexcept {
    return container == FileFormat::Flac || container == FileFormat::Mp3 || container == FileFormat::Aac || container == FileFormat::Alac ||
           container == FileFormat::Opus || container == FileFormat::Ogg;
}

std::vector<std::pair<std::string, std::string>> replayGainTags(const GainTags& gain, FileFormat container) {
    const auto db = [](double value) {
        char text[32];
        std::snprintf(text, sizeof text, "%.2f dB", value);
        return std::string(text);
    };
    const auto linear = [](double dbtp) {
        char text[32];
        std::snprintf(text, sizeof text, "%.6f", std::pow(10.0, dbtp / 20.0));
        return std::string(text);
    };
    // ReplayGain 2.0: gains to -18 LUFS, peaks linear.
    std::vector<std::pair<std::string, std::string>> tags = {{"REPLAYGAIN_TRACK_GAIN", db(-18.0 - gain.trackLufs)},
                                                             {"REPLAYGAIN_TRACK_PEAK", linear(gain.trackTruePeakDbtp)}};
    if (gain.albumLufs) tags.emplace_back("REPLAYGAIN_ALBUM_GAIN", db(-18.0 - *gain.albumLufs));
    if (gain.albumTruePeakDbtp) tags.emplace_back("REPLAYGAIN_ALBUM_PEAK", linear(*gain.albumTruePeakDbtp));
    // RFC 7845 (Opus) R128 gains: Q7.8 dB to -23 LUFS; FLAC players that follow EBU R128 read them too.
    if (container == FileFormat::Flac || container == FileFormat::Opus) {
        tags.emplace_back("R128_TRACK_GAIN", std::to_string(std::lround(256.0 * (-23.0 - gain.trackLufs))));
        if (gain.albumLufs) tags.emplace_back("R128_ALBUM_GAIN", std::to_string(std::lround(256.0 * (-23.0 - *gain.albumLufs))));
    }
    return tags;
}

void writeMetadata(const std::string& path, const Metadata& m) {
    const std::string artwork = m.artworkPath.empty() ? std::string() : readBytes(m.artworkPath);
    bool saved = false;
    switch (fileFormatForPath(path)) {
    case FileFormat::Wav: {
        TagLib::RIFF::WAV::File file(path.c_str());
        if (!file.isValid()) throw Error(path + ": cannot open to write its metadata");
        fillId3(*file.ID3v2Tag(), m, artwork);
        TagLib::RIFF::Info::Tag* info = file.InfoTag();
        if (!m.title.empty()) info->setTitle(utf8(m.title));
        if (!m.artist.empty()) info->setArtist(utf8(m.artist));
        if (!m.album.empty()) info->setAlbum(utf8(m.album));
        if (!m.genre.empty()) info->setGenre(utf8(m.genre));
        if (!m.date.empty()) info->setFieldText("ICRD", utf8(m.date));
        if (!m.isrc.empty()) info->setFieldText("ISRC", utf8(m.isrc));
        if (m.trackNumber > 0) info->setTrack(static_cast<unsigned int>(m.trackNumber));
        saved = file.save();
        break;
    }
    case FileFormat::Aiff: {
        TagLib::RIFF::AIFF::File file(path.c_str());
        if (!file.isValid()) throw Error(path + ": cannot open to write its metadata");
        fillId3(*file.tag(), m, artwork);
        saved = file.save();
        break;
    }
    case FileFormat::Mp3: {
        // ID3v2.4 only: an ID3v1 tag cannot hold UTF-8 or most fields, and an APE tag
        // confuses players that read both.
        TagLib::MPEG::File file(path.c_str());
        if (!file.isValid()) throw Error(path + ": cannot open to write its metadata");
        fillId3(*file.ID3v2Tag(true), m, artwork);
        saved = file.save(TagLib::MPEG::File::ID3v2, TagLib::File::StripOthers, TagLib::ID3v2::v4);
        break;
    }
    case FileFormat::Flac: saved = writeFlacMetadata(path, m, artwork); break;
    case FileFormat::Opus: saved = writeOggMetadata<TagLib::Ogg::Opus::File>(path, m, artwork); break;
    case FileFormat::Ogg: saved = writeOggMetadata<TagLib::Ogg::Vorbis::File>(path, m, artwork); break;
    case FileFormat::Aac:
    case FileFormat::Alac: saved = writeMp4Metadata(path, m, artwork); break;
    default: throw ConfigError(path + ": metadata is written to .wav, .aiff, .flac, .mp3, .m4a, .opus and .ogg files");
    }
    if (!saved) throw Error(path + ": could not write its metadata");
}

}  // namespace bounce
