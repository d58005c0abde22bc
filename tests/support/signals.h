// Test signals synthesised in code, as the EBU documents describe them, and small file
// helpers. Levels are sine peak levels in dBFS (EBU Tech 3341 convention).
#pragma once

#include "bounce/audio_buffer.h"
#include "bounce/equalizer.h"
#include "bounce/sound_file.h"

#include <cstdint>
#include <string>
#include <vector>

namespace bounce::test {

double dbToLinear(double db);

// A sine in every channel (the same samples), amplitude as a peak level in dBFS.
AudioBuffer sine(double sampleRate, double seconds, double freqHz, double peakDbfs, int channels = 2, double phaseRadians = 0.0);

struct ToneSegment {
    double seconds;
    double peakDbfs;
};
// A phase-continuous 1 kHz (or freqHz) sine whose level steps through the segments.
AudioBuffer toneSequence(double sampleRate, int channels, const std::vector<ToneSegment>& segments, double freqHz = 1000.0);

// Deterministic white noise (uniform, +-amplitude) from a fixed seed.
AudioBuffer whiteNoise(double sampleRate, double seconds, double peak, int channels, std::uint64_t seed);

// Noise with a programme-like spectrum (about -3 dB/octave above a few hundred Hz, then
// rolled off towards Nyquist), seeded; `rmsDbfs` sets its level.
AudioBuffer pinkishNoise(double sampleRate, double seconds, double rmsDbfs, int channels, std::uint64_t seed);

// The colouring of the reference-matching tests (issue 7): +4 dB high shelf at 8 kHz,
// -3 dB low shelf at 200 Hz ...
EqParams colouringEq();
// ... applied to a stereo programme, whose side is then halved (Width 0.5).
AudioBuffer colourAndNarrow(AudioBuffer programme, double sampleRate);

// Linear fades over `seconds` at both ends.
void applyFades(AudioBuffer& buffer, double sampleRate, double seconds);

// Gain applied to frames [start, start + count).
void scale(AudioBuffer& buffer, std::size_t start, std::size_t count, double gain);

AudioBuffer concatenate(const std::vector<const AudioBuffer*>& parts);

// A fresh folder under the system temp folder, removed by the caller if it likes.
// The largest |a - b| over every sample of every channel (same shapes).
double largestDifference(ConstAudioView a, ConstAudioView b);

std::string makeTempDir(const std::string& tag);

void writeFile(const std::string& path, ConstAudioView audio, double sampleRate, SampleFormat format = SampleFormat::Float32,
               FileFormat container = FileFormat::Wav);

AudioBuffer readWholeFile(const std::string& path, double* sampleRate = nullptr);

}  // namespace bounce::test
