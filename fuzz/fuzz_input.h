// The fuzz targets' one helper: the bytes as a file Bounce can be pointed at, in a private
// folder made once per process (the parsers read paths, and resolve files relative to them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

namespace bounce::fuzz {

// A tiny valid WAV (8 kHz mono 16-bit, 100 samples of silence), so that sessions and
// manifests naming "a.wav" or "b.wav" get past the file checks to the rest of the parser.
inline void writeTinyWav(const std::string& path) {
    const std::uint32_t samples = 100, bytes = samples * 2;
    const unsigned char header[44] = {'R',
                                      'I',
                                      'F',
                                      'F',
                                      static_cast<unsigned char>(36 + bytes),
                                      0,
                                      0,
                                      0,
                                      'W',
                                      'A',
                                      'V',
                                      'E',
                                      'f',
                                      'm',
                                      't',
                                      ' ',
                                      16,
                                      0,
                                      0,
                                      0,
                                      1,
                                      0,
                                      1,
                                      0,
                                      0x40,
                                      0x1F,
                                      0,
                                      0,
                                      0x80,
                                      0x3E,
                                      0,
                                      0,
                                      2,
                                      0,
                                      16,
                                      0,
                                      'd',
                                      'a',
                                      't',
                                      'a',
                                      static_cast<unsigned char>(bytes),
                                      0,
                                      0,
                                      0};
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) std::abort();
    std::fwrite(header, 1, sizeof header, f);
    for (std::uint32_t i = 0; i < bytes; ++i) std::fputc(0, f);
    std::fclose(f);
}

inline const std::string& folder() {
    static const std::string path = [] {
        char pattern[] = "/tmp/bounce-fuzz-XXXXXX";
        if (!::mkdtemp(pattern)) std::abort();
        writeTinyWav(std::string(pattern) + "/a.wav");
        writeTinyWav(std::string(pattern) + "/b.wav");
        return std::string(pattern);
    }();
    return path;
}

inline std::string asFile(const std::uint8_t* data, std::size_t size, const std::string& name) {
    const std::string path = folder() + "/" + name;
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) std::abort();
    if (size) std::fwrite(data, 1, size, f);
    std::fclose(f);
    return path;
}

}  // namespace bounce::fuzz
