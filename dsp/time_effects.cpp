#include "bounce/time_effects.h"

#include "bounce/denormals.h"
#include "ring.h"
#include "bounce/error.h"
#include "bounce/resampler.h"
#include "bounce/sound_file.h"
#include "bounce/simd.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>

namespace bounce {
namespace {

constexpr double kRampMs = 20.0;
constexpr double kDelayGlideMs = 100.0;

bool isPrime(std::size_t n) {
    if (n < 2) return false;
    for (std::size_t d = 2; d * d <= n; ++d)
        if (n % d == 0) return false;
    return true;
}

double onePoleCoefficient(double hz, double sampleRate) { return std::exp(-2.0 * std::numbers::pi * hz / sampleRate); }

}  // namespace

// ---------------------------------------------------------------- Delay

double noteDelayMs(double noteBeats, double bpm) noexcept { return bpm > 0.0 ? noteBeats * 60000.0 / bpm : 0.0; }

double FeedbackDelay::targetFrames() const noexcept {
    const double ms = params_.bpm > 0.0 ? noteDelayMs(params_.noteBeats, params_.bpm) : params_.timeMs;
    return std::clamp(ms, 1.0, kMaxTimeMs) * 0.001 * spec_.sampleRate;
}

void FeedbackDelay::setParams(const DelayParams& params) noexcept {
    params_ = params;
    delayFrames_.setTarget(targetFrames());
    mix_.setTarget(std::clamp(params.mix, 0.0, 1.0));
    feedback_.setTarget(std::clamp(params.feedback, 0.0, 0.98));
    highCutCoefficient_ = onePoleCoefficient(std::clamp(params.highCutHz, 200.0, 0.45 * spec_.sampleRate), spec_.sampleRate);
    lowCutCoefficient_ = onePoleCoefficient(std::clamp(params.lowCutHz, 10.0, 2000.0), spec_.sampleRate);
}

void FeedbackDelay::prepare(const ProcessSpec& spec) {
    spec_ = spec;
    delayFrames_.prepare(spec.sampleRate, kDelayGlideMs);
    mix_.prepare(spec.sampleRate, kRampMs);
    feedback_.prepare(spec.sampleRate, kRampMs);
    setParams(params_);
    delayFrames_.setCurrentAndTarget(targetFrames());
    mix_.setCurrentAndTarget(std::clamp(params_.mix, 0.0, 1.0));
    feedback_.setCurrentAndTarget(std::clamp(params_.feedback, 0.0, 0.98));
    lines_.assign(static_cast<std::size_t>(spec.channels),
                  std::vector<float>(static_cast<std::size_t>(kMaxTimeMs * 0.001 * spec.sampleRate) + 4, 0.0f));
    lowPassState_.assign(static_cast<std::size_t>(spec.channels), 0.0);
    highPassState_.assign(static_cast<std::size_t>(spec.channels), 0.0);
    highPassInput_.assign(static_cast<std::size_t>(spec.channels), 0.0);
    reset();
}

void FeedbackDelay::reset() noexcept {
    for (auto& line : lines_) std::fill(line.begin(), line.end(), 0.0f);
    std::fill(lowPassState_.begin(), lowPassState_.end(), 0.0);
    std::fill(highPassState_.begin(), highPassState_.end(), 0.0);
    std::fill(highPassInput_.begin(), highPassInput_.end(), 0.0);
    write_ = 0;
}

void FeedbackDelay::process(AudioView io) noexcept {
    ScopedFlushDenormals flushDenormals;
    const int channels = io.channels();
    const bool pingPong = params_.pingPong && channels == 2;
    const std::size_t size = lines_.empty() ? 1 : lines_[0].size();
    std::array<double, 8> repeat{}, feedback{};
    for (std::size_t i = 0; i < io.frames(); ++i) {
        const double delay = delayFrames_.next();
        const double mix = mix_.next();
        const double gain = feedback_.next();
        // Linear interpolation between the two samples around the (fractional) delay.
        const double readPosition = static_cast<double>(write_ + size) - delay;
        const auto whole = static_cast<std::size_t>(readPosition);
        const double fraction = readPosition - static_cast<double>(whole);
        for (int c = 0; c < channels && c < 8; ++c) {
            const auto& line = lines_[static_cast<std::size_t>(c)];
            const std::size_t at = ringWrap(whole, size);
            const double a = line[at], b = line[ringNext(at, size)];
            repeat[static_cast<std::size_t>(c)] = a + (b - a) * fraction;
            // The repeat, darkened and thinned, is what feeds back.
            double& lp = lowPassState_[static_cast<std::size_t>(c)];
            lp = repeat[static_cast<std::size_t>(c)] + highCutCoefficient_ * (lp - repeat[static_cast<std::size_t>(c)]);
            double& hp = highPassState_[static_cast<std::size_t>(c)];
            double& hpIn = highPassInput_[static_cast<std::size_t>(c)];
            hp = lowCutCoefficient_ * (hp + lp - hpIn);
            hpIn = lp;
            feedback[static_cast<std::size_t>(c)] = hp * gain;
        }
        for (int c = 0; c < channels && c < 8; ++c) {
            float& sample = io.channel(c)[i];
            const double dry = std::isfinite(sample) ? sample : 0.0;
            double input;
            if (pingPong) {
                const double other = io.channel(1 - c)[i];
                const double mono = 0.5 * (dry + (std::isfinite(other) ? other : 0.0));
                input = c == 0 ? mono + feedback[1] : feedback[0];
            } else {
                input = dry + feedback[static_cast<std::size_t>(c)];
            }
            lines_[static_cast<std::size_t>(c)][write_] = static_cast<float>(input);
        }
        for (int c = 0; c < channels && c < 8; ++c) {
            float& sample = io.channel(c)[i];
            const double dry = std::isfinite(sample) ? sample : 0.0;
            sample = static_cast<float>(dry * (1.0 - mix) + repeat[static_cast<std::size_t>(c)] * mix);
        }
        write_ = ringNext(write_, size);
    }
}

// ---------------------------------------------------------------- Algorithmic reverb

namespace {
// Line lengths at size 1, in ms: spread between 30 and 75 ms, no two sharing a factor
// once rounded to primes.
constexpr std::array<double, AlgorithmicReverb::kLines> kLineMs = {31.1, 37.3, 41.9, 46.7, 53.3, 59.9, 67.1, 73.7};
constexpr double kLowShelfHz = 200.0;
}  // namespace

void AlgorithmicReverb::setParams(const ReverbParams& params) noexcept {
    const bool sizeChanged = params.size != params_.size || params.predelayMs != params_.predelayMs;
    params_ = params;
    mix_.setTarget(std::clamp(params.mix, 0.0, 1.0));
    width_.setTarget(std::clamp(params.width, 0.0, 1.0));
    if (!sizeChanged) designAbsorption();
    // Size and pre-delay reshape the lines, which needs prepare(); they apply there.
}

namespace {

// First-order shelf H(s) = (g s + 1) / (s + 1) (high shelf: 1 at DC, g above) or
// (s + g) / (s + 1) (low shelf) with s normalised to the corner, bilinear with prewarping.
// Returns {n0, n1, d0, d1}: (n0 + n1 z^-1) / (d0 + d1 z^-1).
std::array<double, 4> firstOrderShelf(bool high, double gain, double cornerHz, double sampleRate) {
    const double k = 1.0 / std::tan(std::numbers::pi * cornerHz / sampleRate);
    const double b1 = high ? gain : 1.0, b0 = high ? 1.0 : gain;  // numerator b1 s + b0
    return {b1 * k + b0, b0 - b1 * k, k + 1.0, 1.0 - k};
}

}  // namespace

void AlgorithmicReverb::designAbsorption() noexcept {
    // Per pass through line i (L_i samples), the level must fall by 60 L_i / (fs T60) dB
    // for the whole network to decay by 60 dB in T60 (Jot): a gain for the mid band and
    // two shelves for the low and high bands' own T60s.
    const double fs = spec_.sampleRate;
    const double t60 = std::clamp(params_.decayS, 0.1, 20.0);
    const double t60Low = t60 * std::clamp(params_.lowDecayRatio, 0.25, 4.0);
    const double t60High = t60 * std::clamp(params_.highDecayRatio, 0.1, 1.0);
    const double dampingHz = std::clamp(params_.dampingHz, 1000.0, 0.45 * fs);
    for (std::size_t i = 0; i < kLines; ++i) {
        const double seconds = static_cast<double>(lengths_[i]) / fs;
        const double midDb = -60.0 * seconds / t60;
        const double lowDb = -60.0 * seconds / t60Low;
        const double highDb = -60.0 * seconds / t60High;
        const auto low = firstOrderShelf(false, dbToGain(lowDb - midDb), kLowShelfHz, fs);
        const auto high = firstOrderShelf(true, dbToGain(highDb - midDb), dampingHz, fs);
        // (n0 + n1 z)(m0 + m1 z) / ((d0 + d1 z)(e0 + e1 z)), z = z^-1, normalised.
        const double a0 = low[2] * high[2];
        const double g = dbToGain(midDb);
        b0_[i] = g * low[0] * high[0] / a0;
        b1_[i] = g * (low[0] * high[1] + low[1] * high[0]) / a0;
        b2_[i] = g * low[1] * high[1] / a0;
        a1_[i] = (low[2] * high[3] + low[3] * high[2]) / a0;
        a2_[i] = low[3] * high[3] / a0;
    }
}

void AlgorithmicReverb::prepare(const ProcessSpec& spec) {
    spec_ = spec;
    const double size = std::clamp(params_.size, 0.1, 1.0);
    for (int i = 0; i < kLines; ++i) {
        auto length = static_cast<std::size_t>(kLineMs[static_cast<std::size_t>(i)] * size * 0.001 * spec.sampleRate);
        while (!isPrime(length)) ++length;
        lengths_[static_cast<std::size_t>(i)] = length;
        lines_[static_cast<std::size_t>(i)].assign(length, 0.0f);
    }
    predelayFrames_ = static_cast<std::size_t>(std::clamp(params_.predelayMs, 0.0, 500.0) * 0.001 * spec.sampleRate);
    predelay_.assign(2, std::vector<float>(predelayFrames_ + 1, 0.0f));
    mix_.prepare(spec.sampleRate, kRampMs);
    width_.prepare(spec.sampleRate, kRampMs);
    mix_.setCurrentAndTarget(std::clamp(params_.mix, 0.0, 1.0));
    width_.setCurrentAndTarget(std::clamp(params_.width, 0.0, 1.0));
    designAbsorption();
    reset();
}

void AlgorithmicReverb::reset() noexcept {
    for (auto& line : lines_) std::fill(line.begin(), line.end(), 0.0f);
    positions_.fill(0);
    s1_.fill(0.0);
    s2_.fill(0.0);
    for (auto& line : predelay_) std::fill(line.begin(), line.end(), 0.0f);
    predelayWrite_ = 0;
}

namespace {

#if defined(__GNUC__)
using simd::Double4;

// The FDN's per-sample loop, its eight lines as two 4-lane vectors (absorption filters,
// feedback, taps). Compiled for AVX and for the x86-64 baseline, picked at load time; the
// same operations in the same order in both (no FMA), so the same bytes.
#if defined(__x86_64__)
__attribute__((target_clones("avx", "default")))
#endif
void runNetwork(float* left, float* right, int channels, std::size_t frames, float* const* lines, const std::size_t* lengths,
                std::size_t* positions, const double* coefficients, double* s1Out, double* s2Out, float* predelayL,
                float* predelayR, std::size_t predelaySize, std::size_t& predelayWrite, SmoothedValue& mixValue,
                SmoothedValue& widthValue) noexcept {
    constexpr int kLines = 8;
    Double4 b0[2], b1[2], b2[2], a1[2], a2[2], s1[2], s2[2];
    for (int h = 0; h < 2; ++h) {
        for (int k = 0; k < 4; ++k) {
            const int line = 4 * h + k;
            b0[h][k] = coefficients[0 * kLines + line];
            b1[h][k] = coefficients[1 * kLines + line];
            b2[h][k] = coefficients[2 * kLines + line];
            a1[h][k] = coefficients[3 * kLines + line];
            a2[h][k] = coefficients[4 * kLines + line];
            s1[h][k] = s1Out[line];
            s2[h][k] = s2Out[line];
        }
    }
    // Output taps: two orthogonal sign patterns for left and right (decorrelated); inputs
    // alternate in sign, left into lines 0-3 and right into 4-7.
    const Double4 tapL{1, 1, -1, -1}, tapR{1, -1, 1, -1}, inputSign{1, -1, 1, -1};
    const double outputScale = 1.0 / std::sqrt(static_cast<double>(kLines));
    std::size_t write = predelayWrite;
    for (std::size_t i = 0; i < frames; ++i) {
        const float l = left[i];
        const float r = channels > 1 ? right[i] : l;
        const double inL = std::isfinite(l) ? l : 0.0, inR = std::isfinite(r) ? r : 0.0;
        // Pre-delay.
        predelayL[write] = static_cast<float>(inL);
        predelayR[write] = static_cast<float>(inR);
        write = ringNext(write, predelaySize);
        const double dl = predelayL[write], dr = predelayR[write];

        // Read each line and pass it through its absorption.
        Double4 y[2];
        for (int h = 0; h < 2; ++h) {
            Double4 x;
            for (int k = 0; k < 4; ++k) x[k] = lines[4 * h + k][positions[4 * h + k]];
            y[h] = b0[h] * x + s1[h];
            s1[h] = b1[h] * x - a1[h] * y[h] + s2[h];
            s2[h] = b2[h] * x - a2[h] * y[h];
        }
        const Double4 both = y[0] + y[1];
        const double sum = (both[0] + both[1]) + (both[2] + both[3]);
        // Householder feedback: A = I - (2/N) 1 1^T, lossless.
        const double reflect = 2.0 * sum / kLines;
        const Double4 feed[2] = {y[0] - reflect + inputSign * dl, y[1] - reflect + inputSign * dr};
        for (int h = 0; h < 2; ++h)
            for (int k = 0; k < 4; ++k) {
                const int line = 4 * h + k;
                lines[line][positions[line]] = static_cast<float>(feed[h][k]);
                positions[line] = ringNext(positions[line], lengths[line]);
            }
        const Double4 wl = tapL * both, wr = tapR * both;
        const double wetL = ((wl[0] + wl[1]) + (wl[2] + wl[3])) * outputScale;
        const double wetR = ((wr[0] + wr[1]) + (wr[2] + wr[3])) * outputScale;
        const double mix = mixValue.next(), width = widthValue.next();
        const double mid = 0.5 * (wetL + wetR), side = 0.5 * (wetL - wetR) * width;
        if (channels == 1) {
            left[i] = static_cast<float>(inL * (1.0 - mix) + mid * mix);
        } else {
            left[i] = static_cast<float>(inL * (1.0 - mix) + (mid + side) * mix);
            right[i] = static_cast<float>(inR * (1.0 - mix) + (mid - side) * mix);
        }
    }
    predelayWrite = write;
    for (int h = 0; h < 2; ++h)
        for (int k = 0; k < 4; ++k) {
            s1Out[4 * h + k] = s1[h][k];
            s2Out[4 * h + k] = s2[h][k];
        }
}
#endif

}  // namespace

void AlgorithmicReverb::process(AudioView io) noexcept {
    ScopedFlushDenormals flushDenormals;
    const int channels = io.channels();
    const std::size_t predelaySize = predelayFrames_ + 1;
    static_assert(kLines == 8, "the network runs as two 4-lane vectors");
    std::array<float*, kLines> lines{};
    for (std::size_t k = 0; k < kLines; ++k) lines[k] = lines_[k].data();
    double coefficients[5 * kLines];
    for (std::size_t k = 0; k < kLines; ++k) {
        coefficients[0 * kLines + k] = b0_[k];
        coefficients[1 * kLines + k] = b1_[k];
        coefficients[2 * kLines + k] = b2_[k];
        coefficients[3 * kLines + k] = a1_[k];
        coefficients[4 * kLines + k] = a2_[k];
    }
    runNetwork(io.channel(0), channels > 1 ? io.channel(1) : io.channel(0), channels, io.frames(), lines.data(), lengths_.data(),
               positions_.data(), coefficients, s1_.data(), s2_.data(), predelay_[0].data(), predelay_[1].data(), predelaySize,
               predelayWrite_, mix_, width_);
}

// ---------------------------------------------------------------- Convolution reverb

void ConvolutionReverb::prepare(const ProcessSpec& spec) {
    spec_ = spec;
    SoundFileReader reader(params_.impulsePath);
    const SoundFileInfo info = reader.info();
    // Read in blocks, never sized from the header (a 20 KB file may claim hours), and at
    // most kMaxImpulseSeconds: a response longer than that is not a room. Resampled to the
    // session's rate on the way (soxr, very high quality).
    const auto most = static_cast<std::size_t>(kMaxImpulseSeconds * info.sampleRate);
    std::vector<std::vector<float>> response(static_cast<std::size_t>(info.channels));
    const auto append = [&](ConstAudioView block) {
        for (int c = 0; c < block.channels(); ++c)
            response[static_cast<std::size_t>(c)].insert(response[static_cast<std::size_t>(c)].end(), block.channel(c),
                                                         block.channel(c) + block.frames());
    };
    std::unique_ptr<Resampler> resampler;
    if (info.sampleRate != spec.sampleRate) resampler = std::make_unique<Resampler>(info.sampleRate, spec.sampleRate, info.channels);
    AudioBuffer block(info.channels, 4096);
    std::size_t got = 0;
    while (const std::size_t n = reader.read(block.view())) {
        got += n;
        if (got > most)
            throw Error(params_.impulsePath + ": the impulse response is longer than " +
                        std::to_string(static_cast<int>(kMaxImpulseSeconds)) + " s");
        const ConstAudioView part = ConstAudioView(block.view()).subView(0, n);
        if (resampler) {
            resampler->process(part, append);
        } else {
            append(part);
        }
    }
    if (got == 0) throw Error(params_.impulsePath + ": the impulse response is empty");
    if (resampler) resampler->flush(append);
    if (params_.normalize) {
        double energy = 0.0;
        for (const auto& ch : response)
            for (float v : ch) energy += static_cast<double>(v) * v;
        energy /= static_cast<double>(response.size());
        if (energy > 0.0)
            for (auto& ch : response)
                for (float& v : ch) v = static_cast<float>(v / std::sqrt(energy));
    }
    const auto predelay = static_cast<std::size_t>(std::clamp(params_.predelayMs, 0.0, 500.0) * 0.001 * spec.sampleRate);
    // Cost per sample grows with length / partition: a long room response gets large
    // partitions (more latency, which the render compensates, for far less work).
    std::size_t partition = static_cast<std::size_t>(std::max(params_.partitionFrames, 0));
    if (partition == 0) {
        partition = 1024;
        while (partition * 8 < predelay + response[0].size()) partition *= 2;
    }
    convolvers_.clear();
    convolvers_.resize(static_cast<std::size_t>(spec.channels));
    for (int c = 0; c < spec.channels; ++c) {
        const auto& source = response[static_cast<std::size_t>(c % info.channels)];
        std::vector<float> impulse(predelay, 0.0f);
        impulse.insert(impulse.end(), source.begin(), source.end());
        convolvers_[static_cast<std::size_t>(c)].prepare(impulse.data(), impulse.size(), partition);
    }
    dry_.assign(static_cast<std::size_t>(spec.channels), std::vector<float>(static_cast<std::size_t>(latencyFrames()) + 1));
    wet_.assign(static_cast<std::size_t>(spec.maxBlockFrames), 0.0f);
    mix_.prepare(spec.sampleRate, kRampMs);
    mix_.setCurrentAndTarget(std::clamp(params_.mix, 0.0, 1.0));
    reset();
}

void ConvolutionReverb::reset() noexcept {
    for (auto& c : convolvers_) c.reset();
    for (auto& line : dry_) std::fill(line.begin(), line.end(), 0.0f);
    dryWrite_ = 0;
}

void ConvolutionReverb::process(AudioView io) noexcept {
    const std::size_t ringSize = static_cast<std::size_t>(latencyFrames()) + 1;
    for (std::size_t start = 0; start < io.frames(); start += static_cast<std::size_t>(spec_.maxBlockFrames)) {
        const std::size_t frames = std::min(io.frames() - start, static_cast<std::size_t>(spec_.maxBlockFrames));
        const std::size_t writeStart = dryWrite_;
        SmoothedValue mix = mix_;
        for (int c = 0; c < io.channels(); ++c) {
            float* x = io.channel(c) + start;
            std::copy(x, x + frames, wet_.begin());
            convolvers_[static_cast<std::size_t>(c)].process(wet_.data(), frames);
            auto& line = dry_[static_cast<std::size_t>(c)];
            std::size_t write = writeStart;
            mix = mix_;
            for (std::size_t i = 0; i < frames; ++i) {
                line[write] = std::isfinite(x[i]) ? x[i] : 0.0f;
                write = ringNext(write, ringSize);
                const double m = mix.next();
                x[i] = static_cast<float>(line[write] * (1.0 - m) + wet_[i] * m);
            }
            if (c == io.channels() - 1) dryWrite_ = write;
        }
        mix_ = mix;
    }
}

}  // namespace bounce
