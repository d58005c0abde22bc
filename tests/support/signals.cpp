#include "signals.h"

#include "bounce/stereo.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numbers>
#include <random>
#include <stdexcept>
#include <unistd.h>

namespace bounce::test {

double dbToLinear(double db) { return std::pow(10.0, db / 20.0); }

AudioBuffer sine(double sampleRate, double seconds, double freqHz, double peakDbfs, int channels, double phaseRadians) {
    const auto frames = static_cast<std::size_t>(std::llround(seconds * sampleRate));
    AudioBuffer buffer(channels, frames);
    const double amplitude = dbToLinear(peakDbfs);
    for (std::size_t i = 0; i < frames; ++i) {
        const double v = amplitude * std::sin(2.0 * std::numbers::pi * freqHz * static_cast<double>(i) / sampleRate + phaseRadians);
        for (int c = 0; c < channels; ++c) buffer.channel(c)[i] = static_cast<float>(v);
    }
    return buffer;
}

AudioBuffer toneSequence(double sampleRate, int channels, const std::vector<ToneSegment>& segments, double freqHz) {
    std::size_t total = 0;
    for (const auto& s : segments) total += static_cast<std::size_t>(std::llround(s.seconds * sampleRate));
    AudioBuffer buffer(channels, total);
    std::size_t i = 0;
    for (const auto& s : segments) {
        const auto frames = static_cast<std::size_t>(std::llround(s.seconds * sampleRate));
        const double amplitude = dbToLinear(s.peakDbfs);
        for (std::size_t n = 0; n < frames; ++n, ++i) {
            const double v = amplitude * std::sin(2.0 * std::numbers::pi * freqHz * static_cast<double>(i) / sampleRate);
            for (int c = 0; c < channels; ++c) buffer.channel(c)[i] = static_cast<float>(v);
        }
    }
    return buffer;
}

AudioBuffer whiteNoise(double sampleRate, double seconds, double peak, int channels, std::uint64_t seed) {
    const auto frames = static_cast<std::size_t>(std::llround(seconds * sampleRate));
    AudioBuffer buffer(channels, frames);
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> uniform(-peak, peak);
    for (int c = 0; c < channels; ++c)
        for (std::size_t i = 0; i < frames; ++i) buffer.channel(c)[i] = static_cast<float>(uniform(rng));
    return buffer;
}

AudioBuffer pinkishNoise(double sampleRate, double seconds, double rmsDbfs, int channels, std::uint64_t seed) {
    const auto frames = static_cast<std::size_t>(std::llround(seconds * sampleRate));
    AudioBuffer buffer(channels, frames);
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> gauss(0.0, 1.0);
    // Paul Kellet's economy pink filter, then a gentle one-pole low-pass at ~12 kHz so the
    // top octave falls off as it does in mixed music.
    const double lowPass = std::exp(-2.0 * std::numbers::pi * std::min(12000.0, 0.3 * sampleRate) / sampleRate);
    for (int c = 0; c < channels; ++c) {
        double b0 = 0, b1 = 0, b2 = 0, lp = 0, sumSquares = 0;
        float* x = buffer.channel(c);
        for (std::size_t i = 0; i < frames; ++i) {
            const double white = gauss(rng);
            b0 = 0.99765 * b0 + white * 0.0990460;
            b1 = 0.96300 * b1 + white * 0.2965164;
            b2 = 0.57000 * b2 + white * 1.0526913;
            const double pink = b0 + b1 + b2 + white * 0.1848;
            lp = (1.0 - lowPass) * pink + lowPass * lp;
            x[i] = static_cast<float>(lp);
            sumSquares += lp * lp;
        }
        const double gain = dbToLinear(rmsDbfs) / std::sqrt(sumSquares / static_cast<double>(std::max<std::size_t>(frames, 1)));
        for (std::size_t i = 0; i < frames; ++i) x[i] = static_cast<float>(x[i] * gain);
    }
    return buffer;
}

EqParams colouringEq() {
    EqParams p;
    p.bands[0] = {EqBandType::HighShelf, 8000.0, 4.0, 0.7071};
    p.bands[1] = {EqBandType::LowShelf, 200.0, -3.0, 0.7071};
    p.bandCount = 2;
    return p;
}

AudioBuffer colourAndNarrow(AudioBuffer x, double sampleRate) {
    Equalizer eq;
    eq.setParams(colouringEq());
    eq.prepare({sampleRate, 4096, 2});
    eq.reset();
    Width width;
    width.setParams({0.5, 0.0});
    width.prepare({sampleRate, 4096, 2});
    width.reset();
    for (std::size_t i = 0; i < x.frames(); i += 4096) {
        auto v = x.view().subView(i, std::min<std::size_t>(4096, x.frames() - i));
        eq.process(v);
        width.process(v);
    }
    return x;
}

void applyFades(AudioBuffer& buffer, double sampleRate, double seconds) {
    const auto fade = std::min(static_cast<std::size_t>(seconds * sampleRate), buffer.frames() / 2);
    for (int c = 0; c < buffer.channels(); ++c) {
        float* x = buffer.channel(c);
        for (std::size_t i = 0; i < fade; ++i) {
            const auto g = static_cast<float>(static_cast<double>(i) / static_cast<double>(fade));
            x[i] *= g;
            x[buffer.frames() - 1 - i] *= g;
        }
    }
}

void scale(AudioBuffer& buffer, std::size_t start, std::size_t count, double gain) {
    for (int c = 0; c < buffer.channels(); ++c)
        for (std::size_t i = start; i < std::min(start + count, buffer.frames()); ++i)
            buffer.channel(c)[i] = static_cast<float>(buffer.channel(c)[i] * gain);
}

AudioBuffer concatenate(const std::vector<const AudioBuffer*>& parts) {
    std::size_t total = 0;
    for (const auto* p : parts) total += p->frames();
    AudioBuffer out(parts.empty() ? 0 : parts.front()->channels(), total);
    std::size_t at = 0;
    for (const auto* p : parts) {
        for (int c = 0; c < out.channels(); ++c) std::copy_n(p->channel(c), p->frames(), out.channel(c) + at);
        at += p->frames();
    }
    return out;
}

double largestDifference(ConstAudioView a, ConstAudioView b) {
    double largest = 0.0;
    for (int c = 0; c < a.channels(); ++c)
        for (std::size_t i = 0; i < a.frames(); ++i)
            largest = std::max(largest, std::fabs(static_cast<double>(a.channel(c)[i]) - b.channel(c)[i]));
    return largest;
}

std::string makeTempDir(const std::string& tag) {
    std::string pattern = (std::filesystem::temp_directory_path() / ("bounce-test-" + tag + "-XXXXXX")).string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    return pattern;
}

void writeFile(const std::string& path, ConstAudioView audio, double sampleRate, SampleFormat format, FileFormat container) {
    SoundFileWriter writer(path, {sampleRate, audio.channels(), container, format});
    writer.write(audio);
    writer.close();
}

AudioBuffer readWholeFile(const std::string& path, double* sampleRate) {
    SoundFileReader reader(path);
    if (sampleRate) *sampleRate = reader.info().sampleRate;
    AudioBuffer buffer(reader.info().channels, static_cast<std::size_t>(std::max<std::int64_t>(reader.info().frames, 0)));
    const std::size_t got = reader.read(buffer.view());
    if (got != buffer.frames()) {
        AudioBuffer shorter(buffer.channels(), got);
        for (int c = 0; c < buffer.channels(); ++c) std::copy_n(buffer.channel(c), got, shorter.channel(c));
        return shorter;
    }
    return buffer;
}

}  // namespace bounce::test
