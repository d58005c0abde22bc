#include "bounce/spectrum_profile.h"
#include "bounce/fftw_planning.h"

#include "bounce/analysis.h"
#include "bounce/error.h"
#include "bounce/k_weighting.h"
#include "bounce/linear_phase_eq.h"
#include "bounce/loudness_meter.h"
#include "bounce/sound_file.h"

#include <fftw3.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>

namespace bounce {
namespace {

constexpr std::size_t kFftSize = 4096;
constexpr std::size_t kHop = 2048;
constexpr double kGateLu = 10.0;
// Loudness bins of the gating histogram: 0.1 LU from -90 LUFS (below the absolute gate) up.
constexpr double kLowestLufs = -90.0;
constexpr double kLoudnessStepLu = 0.1;
constexpr std::size_t kLoudnessBins = 1000;

std::vector<double> thirdOctaveCentres(double nyquist) {
    // ISO 266 preferred frequencies are 1000 x 10^(n/10); the exact values are used for
    // band edges (centre x 2^(+-1/6)).
    std::vector<double> centres;
    for (int n = -16; n <= 13; ++n) {
        const double f = 1000.0 * std::pow(10.0, n / 10.0);
        if (f * std::pow(2.0, 1.0 / 6.0) < nyquist) centres.push_back(f);
    }
    return centres;
}

std::optional<std::size_t> bandIndex(const SpectrumProfile& p, double f) {
    for (std::size_t j = 0; j < p.bandHz.size(); ++j)
        if (std::fabs(p.bandHz[j] - f) < 0.01 * f) return j;
    return std::nullopt;
}

// Smooths over neighbouring bands (1/4, 1/2, 1/4), holding the ends, then limits.
std::vector<double> smoothAndLimit(const std::vector<double>& x, double limitDb) {
    std::vector<double> y(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double prev = x[i > 0 ? i - 1 : i], next = x[i + 1 < x.size() ? i + 1 : i];
        y[i] = std::clamp(0.25 * prev + 0.5 * x[i] + 0.25 * next, -limitDb, limitDb);
    }
    return y;
}

// Fills the bands marked invalid with the nearest valid band's value (flat extrapolation).
void holdNearest(std::vector<double>& x, const std::vector<bool>& valid) {
    const auto n = x.size();
    std::optional<std::size_t> last;
    for (std::size_t i = 0; i < n; ++i) {
        if (valid[i]) {
            last = i;
            continue;
        }
        // Nearest valid to the left or right.
        std::optional<std::size_t> right;
        for (std::size_t j = i + 1; j < n; ++j)
            if (valid[j]) {
                right = j;
                break;
            }
        if (last && (!right || i - *last <= *right - i))
            x[i] = x[*last];
        else if (right)
            x[i] = x[*right];
        else
            x[i] = 0.0;
    }
}

// in[2i] = mid[i] w[i], in[2i + 1] = side[i] w[i]: the complex FFT's input.
void windowInterleaved(const float* mid, const float* side, const float* window, float* in) noexcept {
    std::size_t i = 0;
#if defined(__SSE2__)
    for (; i + 4 <= kFftSize; i += 4) {
        const __m128 w = _mm_loadu_ps(window + i);
        const __m128 m = _mm_mul_ps(_mm_loadu_ps(mid + i), w), sd = _mm_mul_ps(_mm_loadu_ps(side + i), w);
        _mm_storeu_ps(in + 2 * i, _mm_unpacklo_ps(m, sd));
        _mm_storeu_ps(in + 2 * i + 4, _mm_unpackhi_ps(m, sd));
    }
#else
    for (; i < kFftSize; ++i) {
        in[2 * i] = mid[i] * window[i];
        in[2 * i + 1] = side[i] * window[i];
    }
#endif
}

// Z = M + jS with M, S the spectra of real signals: M[k] = (Z[k] + Z*[N-k]) / 2 and
// S[k] = (Z[k] - Z*[N-k]) / 2j, so |M[k]|^2 and |S[k]|^2 for k = 1 .. N/2 (z interleaved).
void separatePowers(const float* z, float* midPower, float* sidePower) noexcept {
    constexpr std::size_t n = kFftSize;
    std::size_t k = 1;
#if defined(__SSE2__)
    const __m128 conjugate = _mm_castsi128_ps(_mm_set_epi32(static_cast<int>(0x80000000u), 0, static_cast<int>(0x80000000u), 0));
    const __m128 quarter = _mm_set1_ps(0.25f);
    for (; k + 2 <= n / 2; k += 2) {
        // Bins k, k+1 and their mirrors N-k, N-k-1 (reordered to match).
        const __m128 a = _mm_loadu_ps(z + 2 * k);
        const __m128 mirror = _mm_loadu_ps(z + 2 * (n - k - 1));                                          // [N-k-1, N-k]
        const __m128 b = _mm_xor_ps(_mm_shuffle_ps(mirror, mirror, _MM_SHUFFLE(1, 0, 3, 2)), conjugate);  // [N-k, N-k-1]*
        const __m128 m = _mm_add_ps(a, b), sd = _mm_sub_ps(a, b);
        const __m128 m2 = _mm_mul_ps(m, m), s2 = _mm_mul_ps(sd, sd);
        // re^2 + im^2 of each bin: lanes (0 + 1), (2 + 3).
        const __m128 mSum = _mm_add_ps(m2, _mm_shuffle_ps(m2, m2, _MM_SHUFFLE(2, 3, 0, 1)));
        const __m128 sSum = _mm_add_ps(s2, _mm_shuffle_ps(s2, s2, _MM_SHUFFLE(2, 3, 0, 1)));
        alignas(16) float mv[4], sv[4];
        _mm_store_ps(mv, _mm_mul_ps(mSum, quarter));
        _mm_store_ps(sv, _mm_mul_ps(sSum, quarter));
        midPower[k] = mv[0];
        midPower[k + 1] = mv[2];
        sidePower[k] = sv[0];
        sidePower[k + 1] = sv[2];
    }
#endif
    for (; k <= n / 2; ++k) {
        const float re = z[2 * k], im = z[2 * k + 1];
        const float reMirror = z[2 * (n - k)], imMirror = -z[2 * (n - k) + 1];
        const float mRe = re + reMirror, mIm = im + imMirror, sRe = re - reMirror, sIm = im - imMirror;
        midPower[k] = 0.25f * (mRe * mRe + mIm * mIm);
        sidePower[k] = 0.25f * (sRe * sRe + sIm * sIm);
    }
}

}  // namespace

double SpectrumProfile::totalDb(std::size_t band) const { return powerToDb(dbToPower(midDb[band]) + dbToPower(sideDb[band])); }

double SpectrumProfile::powerBetween(double loHz, double hiHz, bool mid, bool side) const {
    double sum = 0;
    for (std::size_t b = 0; b < bandHz.size(); ++b) {
        if (bandHz[b] < loHz || bandHz[b] > hiHz) continue;
        sum += ((mid ? dbToPower(midDb[b]) : 0.0) + (side ? dbToPower(sideDb[b]) : 0.0)) * bandHz[b];
    }
    return sum;
}

double SpectrumProfile::overallWidth() const {
    // The mean of the bands' ratios, not the ratio of the sums: a ratio of sums would be
    // ruled by the loudest (bass) bands, and a tone change would move it.
    double sum = 0;
    int bands = 0;
    for (std::size_t b = 0; b < bandHz.size(); ++b) {
        if (bandHz[b] < 100.0 || bandHz[b] > 10000.0) continue;
        sum += widthRatio[b];
        ++bands;
    }
    return bands ? sum / bands : 0.0;
}

// ---------------------------------------------------------------- SpectrumAccumulator

struct SpectrumAccumulator::State {
    double sampleRate = 0.0;
    int channels = 0;
    std::vector<double> bandHz;
    // Bins [first, last) of each band; bands narrower than a bin use the nearest bin.
    std::vector<std::size_t> firstBin, lastBin;
    std::vector<float> window;
    // Single precision: the FFT's rounding is ~140 dB below each frame's power, far under
    // what a long-term average resolves; the sums over frames are in double.
    // Mid and side go through one complex FFT (mid real, side imaginary) and are separated
    // by the symmetry of real signals' spectra: half the work of two real FFTs here.
    fftwf_complex* in = nullptr;
    fftwf_complex* out = nullptr;
    fftwf_plan plan = nullptr;
    std::vector<float> mid, side;    // kFftSize frames, newest at the end once filled
    std::size_t filled = 0;          // frames since the start, up to kFftSize
    std::size_t sinceHop = 0;        // frames since the last FFT frame
    std::vector<float> binPower;     // one frame's mid bin powers, then side's
    std::vector<double> framePower;  // one frame's band powers: mid bands, then side bands
    // Per loudness bin: [frames, mid band powers..., side band powers...].
    std::vector<double> histogram;
    std::size_t rowSize = 0;

    ~State() {
        if (plan) fftwf_destroy_plan(plan);
        if (in) fftwf_free(in);
        if (out) fftwf_free(out);
    }
};

SpectrumAccumulator::SpectrumAccumulator(double sampleRate, int channels) : state_(std::make_unique<State>()) {
    State& s = *state_;
    s.sampleRate = sampleRate;
    s.channels = channels;
    s.bandHz = thirdOctaveCentres(sampleRate / 2.0);
    const double binHz = sampleRate / kFftSize;
    for (double centre : s.bandHz) {
        const double lo = centre / std::pow(2.0, 1.0 / 6.0), hi = centre * std::pow(2.0, 1.0 / 6.0);
        std::size_t first = kFftSize / 2 + 1, last = 0;
        for (std::size_t k = 1; k <= kFftSize / 2; ++k) {
            const double f = static_cast<double>(k) * binHz;
            if (f < lo || f >= hi) continue;
            first = std::min(first, k);
            last = k + 1;
        }
        if (last == 0) {  // a band narrower than a bin (the lowest ones): the nearest bin
            first = std::max<std::size_t>(static_cast<std::size_t>(std::lround(centre / binHz)), 1);
            last = first + 1;
        }
        s.firstBin.push_back(first);
        s.lastBin.push_back(last);
    }
    s.window.resize(kFftSize);
    for (std::size_t i = 0; i < kFftSize; ++i)
        s.window[i] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) / kFftSize));
    s.in = fftwf_alloc_complex(kFftSize);
    s.out = fftwf_alloc_complex(kFftSize);
    makeFftwPlannerThreadSafe();
    s.plan = fftwf_plan_dft_1d(static_cast<int>(kFftSize), s.in, s.out, FFTW_FORWARD, FFTW_ESTIMATE);
    s.mid.assign(kFftSize, 0.0f);
    s.side.assign(kFftSize, 0.0f);
    s.framePower.assign(2 * s.bandHz.size(), 0.0);
    s.binPower.assign(2 * (kFftSize / 2 + 1), 0.0f);
    s.rowSize = 1 + 2 * s.bandHz.size();
    s.histogram.assign(kLoudnessBins * s.rowSize, 0.0);
}

SpectrumAccumulator::~SpectrumAccumulator() = default;
SpectrumAccumulator::SpectrumAccumulator(SpectrumAccumulator&&) noexcept = default;
SpectrumAccumulator& SpectrumAccumulator::operator=(SpectrumAccumulator&&) noexcept = default;

std::size_t SpectrumAccumulator::framesToNextHop() const noexcept { return kHop - state_->sinceHop; }

void SpectrumAccumulator::addFrames(ConstAudioView block, std::optional<double> momentaryLufs) noexcept {
    State& s = *state_;
    const std::size_t frames = std::min(block.frames(), framesToNextHop());
    // The newest kHop frames sit at the end of the kFftSize window; slide once per hop.
    const std::size_t at = kFftSize - kHop + s.sinceHop;
    const float* l = block.channel(0);
    const float* r = s.channels > 1 ? block.channel(1) : l;
    float* mid = s.mid.data() + at;
    float* side = s.side.data() + at;
    for (std::size_t i = 0; i < frames; ++i) {
        mid[i] = 0.5f * (l[i] + r[i]);
        side[i] = 0.5f * (l[i] - r[i]);
    }
    s.sinceHop += frames;
    s.filled = std::min(kFftSize, s.filled + frames);
    if (s.sinceHop < kHop) return;
    s.sinceHop = 0;
    // Only frames of a loud enough part count; the gate is applied at the end, when the
    // integrated loudness is known, so a frame is filed under its momentary loudness.
    if (s.filled == kFftSize && momentaryLufs) {
        const std::size_t bands = s.bandHz.size();
        windowInterleaved(s.mid.data(), s.side.data(), s.window.data(), &s.in[0][0]);
        fftwf_execute(s.plan);
        // Z = M + jS with M, S the spectra of real signals: M[k] = (Z[k] + Z*[N-k]) / 2 and
        // S[k] = (Z[k] - Z*[N-k]) / 2j. Per-bin powers first (a loop the compiler
        // vectorises), then the bands' sums.
        const auto* z = s.out;
        float* midPower = s.binPower.data();
        float* sidePower = s.binPower.data() + kFftSize / 2 + 1;
        separatePowers(&z[0][0], midPower, sidePower);
        const auto bandSum = [](const float* p, std::size_t first, std::size_t last) {
            // Four partial sums: one running sum would wait on each addition.
            double a = 0, b = 0, c = 0, d = 0;
            std::size_t k = first;
            for (; k + 4 <= last; k += 4) {
                a += p[k];
                b += p[k + 1];
                c += p[k + 2];
                d += p[k + 3];
            }
            for (; k < last; ++k) a += p[k];
            return (a + b) + (c + d);
        };
        for (std::size_t b = 0; b < bands; ++b) {
            s.framePower[b] = bandSum(midPower, s.firstBin[b], s.lastBin[b]);
            s.framePower[bands + b] = bandSum(sidePower, s.firstBin[b], s.lastBin[b]);
        }
        const double position = (*momentaryLufs - kLowestLufs) / kLoudnessStepLu;
        const auto bin = static_cast<std::size_t>(std::clamp(position, 0.0, static_cast<double>(kLoudnessBins - 1)));
        double* row = s.histogram.data() + bin * s.rowSize;
        row[0] += 1.0;
        for (std::size_t j = 0; j < 2 * bands; ++j) row[1 + j] += s.framePower[j];
    }
    std::move(s.mid.begin() + kHop, s.mid.end(), s.mid.begin());
    std::move(s.side.begin() + kHop, s.side.end(), s.side.begin());
}

SpectrumProfile SpectrumAccumulator::profile(const AnalysisResult& analysis) const {
    const State& s = *state_;
    SpectrumProfile profile;
    profile.integratedLufs = analysis.integratedLufs;
    profile.truePeakDbtp = analysis.truePeakDbtp;
    if (analysis.integratedLufs && analysis.truePeakDbtp) profile.crestDb = *analysis.truePeakDbtp - *analysis.integratedLufs;
    profile.sampleRate = s.sampleRate;
    profile.bandHz = s.bandHz;
    const std::size_t bands = s.bandHz.size();
    std::vector<double> sum(2 * bands, 0.0);
    if (analysis.integratedLufs) {
        // A loudness bin counts when its centre is within kGateLu of the integrated loudness.
        const double gate = *analysis.integratedLufs - kGateLu;
        for (std::size_t bin = 0; bin < kLoudnessBins; ++bin) {
            if (kLowestLufs + (static_cast<double>(bin) + 0.5) * kLoudnessStepLu < gate) continue;
            const double* row = s.histogram.data() + bin * s.rowSize;
            profile.framesUsed += static_cast<std::size_t>(row[0]);
            for (std::size_t j = 0; j < 2 * bands; ++j) sum[j] += row[1 + j];
        }
    }
    const double frames = static_cast<double>(std::max<std::size_t>(profile.framesUsed, 1));
    for (std::size_t b = 0; b < bands; ++b) {
        const double bins = static_cast<double>(s.lastBin[b] - s.firstBin[b]);
        const double m = sum[b], side = sum[bands + b];
        profile.midDb.push_back(powerToDb(m / bins / frames));
        profile.sideDb.push_back(powerToDb(side / bins / frames));
        profile.widthRatio.push_back(m > 0 ? side / m : 0.0);
    }
    return profile;
}

SpectrumProfile analyzeSpectrumProfile(const std::string& path, AnalysisResult* analysisOut) {
    SpectrumProfile profile;
    AnalyzeOptions options;
    options.spectrumProfile = &profile;
    const AnalysisResult analysis = analyzeFile(path, options);
    if (analysisOut) *analysisOut = analysis;
    return profile;
}

double spectralDistanceDb(const SpectrumProfile& a, const SpectrumProfile& b) {
    std::vector<double> diff;
    for (std::size_t i = 0; i < a.bandHz.size(); ++i) {
        const double f = a.bandHz[i];
        if (f < 40.0 || f > 16000.0) continue;
        const auto j = bandIndex(b, f);
        if (!j) continue;
        diff.push_back(a.totalDb(i) - b.totalDb(*j));
    }
    if (diff.empty()) return 0.0;
    double mean = 0;
    for (double d : diff) mean += d;
    mean /= static_cast<double>(diff.size());
    double sum = 0;
    for (double d : diff) sum += (d - mean) * (d - mean);
    return std::sqrt(sum / static_cast<double>(diff.size()));
}

SpectrumProfile averageProfiles(const std::vector<SpectrumProfile>& profiles) {
    if (profiles.empty()) throw Error("no reference profiles to average");
    if (profiles.size() == 1) return profiles.front();
    SpectrumProfile avg = profiles.front();
    std::vector<double> mid(avg.bandHz.size(), 0.0), side(avg.bandHz.size(), 0.0), count(avg.bandHz.size(), 0.0);
    double lufs = 0, crest = 0, tp = 0;
    int measured = 0;
    for (const auto& p : profiles) {
        // Each is normalised to 0 LUFS before averaging its powers.
        const double norm = p.integratedLufs ? dbToPower(-*p.integratedLufs) : 1.0;
        for (std::size_t b = 0; b < avg.bandHz.size(); ++b) {
            const auto j = bandIndex(p, avg.bandHz[b]);
            if (!j) continue;  // a band above this one's Nyquist: the others speak for it
            mid[b] += dbToPower(p.midDb[*j]) * norm;
            side[b] += dbToPower(p.sideDb[*j]) * norm;
            count[b] += 1.0;
        }
        if (p.integratedLufs && p.crestDb && p.truePeakDbtp) {
            lufs += *p.integratedLufs;
            crest += *p.crestDb;
            tp += *p.truePeakDbtp;
            ++measured;
        }
        avg.framesUsed += p.framesUsed;
    }
    const double level = measured ? lufs / measured : 0.0;
    for (std::size_t b = 0; b < avg.bandHz.size(); ++b) {
        avg.midDb[b] = powerToDb(mid[b] / count[b]) + level;  // count >= 1: the first has every band
        avg.sideDb[b] = powerToDb(side[b] / count[b]) + level;
        avg.widthRatio[b] = mid[b] > 0 ? side[b] / mid[b] : 0.0;
    }
    if (measured) {
        avg.integratedLufs = level;
        avg.crestDb = crest / measured;
        avg.truePeakDbtp = tp / measured;
    }
    return avg;
}

double ReferenceMatch::predictedLoudnessChangeDb(const SpectrumProfile& input) const {
    const KWeighting k = KWeighting::design(input.sampleRate > 0 ? input.sampleRate : 48000.0);
    double before = 0, after = 0;
    for (std::size_t b = 0; b < input.bandHz.size() && b < toneDb.size(); ++b) {
        // Band levels are mean power per bin: times the band's width for its total power.
        const double weight = dbToPower(k.magnitudeDb(input.bandHz[b])) * input.bandHz[b];
        const double mid = dbToPower(input.midDb[b]) * weight, side = dbToPower(input.sideDb[b]) * weight;
        before += mid + side;
        after += (mid * dbToPower(midWidthDb[b]) + side * dbToPower(sideWidthDb[b])) * dbToPower(toneDb[b]);
    }
    return before > 0 && after > 0 ? 10.0 * std::log10(after / before) : 0.0;
}

MidSideCurveEqParams ReferenceMatch::curveEqParams() const {
    MidSideCurveEqParams curve;
    curve.curveHz = bandHz;
    for (std::size_t b = 0; b < bandHz.size(); ++b) {
        curve.midDb.push_back(toneDb[b] + midWidthDb[b]);
        curve.sideDb.push_back(toneDb[b] + sideWidthDb[b]);
    }
    return curve;
}

double ReferenceMatch::toneAtDb(double freqHz) const noexcept { return MidSideCurveEq::curveAtDb(bandHz, toneDb, freqHz); }
double ReferenceMatch::sideWidthAtDb(double freqHz) const noexcept { return MidSideCurveEq::curveAtDb(bandHz, sideWidthDb, freqHz); }
double ReferenceMatch::midWidthAtDb(double freqHz) const noexcept { return MidSideCurveEq::curveAtDb(bandHz, midWidthDb, freqHz); }

ReferenceMatch matchToReference(const SpectrumProfile& input, const SpectrumProfile& reference, const MatchAmounts& amounts) {
    ReferenceMatch match;
    match.bandHz = input.bandHz;
    const std::size_t n = input.bandHz.size();
    const auto loudestDb = [](const std::vector<double>& db) { return db.empty() ? 0.0 : *std::max_element(db.begin(), db.end()); };
    const double inTop = loudestDb(input.midDb), refTop = loudestDb(reference.midDb);

    std::vector<double> tone(n, 0.0), width(n, 0.0);
    std::vector<bool> toneValid(n, false), widthValid(n, false);
    double offset = 0;
    int counted = 0;
    for (std::size_t b = 0; b < n; ++b) {
        const double f = input.bandHz[b];
        const auto j = bandIndex(reference, f);
        if (!j || f < 40.0 || f > 16000.0) continue;
        if (input.midDb[b] < inTop - 80.0 || reference.midDb[*j] < refTop - 80.0) continue;
        tone[b] = reference.totalDb(*j) - input.totalDb(b);
        toneValid[b] = true;
        offset += tone[b];
        ++counted;
        // Width: side/mid ratio, where both sides have something to scale.
        if (input.sideDb[b] > inTop - 80.0 && reference.sideDb[*j] > refTop - 80.0) {
            width[b] = 10.0 * std::log10(reference.widthRatio[*j] / input.widthRatio[b]);
            widthValid[b] = true;
        }
    }
    if (counted) offset /= counted;
    for (std::size_t b = 0; b < n; ++b)
        if (toneValid[b]) tone[b] -= offset;
    holdNearest(tone, toneValid);
    holdNearest(width, widthValid);
    match.toneDb = smoothAndLimit(tone, ReferenceMatch::kMaxToneDb);
    match.widthChangeDb = smoothAndLimit(width, ReferenceMatch::kMaxToneDb);
    match.midWidthDb.assign(n, 0.0);
    match.sideWidthDb.assign(n, 0.0);
    for (std::size_t b = 0; b < n; ++b) {
        match.toneDb[b] *= amounts.tone;
        match.widthChangeDb[b] *= amounts.width;
        // Moving the side/mid ratio from r to r' while keeping M^2 + S^2: the mid takes
        // (1 + r) / (1 + r') and the side r' (1 + r) / (r (1 + r')) in power.
        const double r = input.widthRatio[b];
        if (match.widthChangeDb[b] == 0.0 || !(r > 0.0)) continue;
        const double target = r * dbToPower(match.widthChangeDb[b]);
        match.midWidthDb[b] = powerToDb((1.0 + r) / (1.0 + target));
        match.sideWidthDb[b] = powerToDb(target * (1.0 + r) / (r * (1.0 + target)));
    }
    match.inputLufs = input.integratedLufs.value_or(0.0);
    match.referenceLufs = reference.integratedLufs.value_or(0.0);
    match.inputCrestDb = input.crestDb.value_or(0.0);
    match.referenceCrestDb = reference.crestDb.value_or(0.0);
    match.inputWidth = input.overallWidth();
    match.referenceWidth = reference.overallWidth();
    match.distanceDb = spectralDistanceDb(input, reference);
    return match;
}

double octaveBandPower(const SpectrumProfile& p, std::size_t octave, bool mid, bool side) {
    const double centre = octaveBandsHz()[octave];
    return p.powerBetween(centre / std::sqrt(2.0), centre * std::sqrt(2.0), mid, side);
}

PhaseFindings phaseFindings(const SpectrumProfile& profile) {
    PhaseFindings f;
    const auto& octaves = octaveBandsHz();
    double loudest = 0.0;
    for (std::size_t k = 0; k < octaves.size(); ++k) loudest = std::max(loudest, octaveBandPower(profile, k));
    for (std::size_t k = 0; k < octaves.size(); ++k) {
        const double m = octaveBandPower(profile, k, true, false), s = octaveBandPower(profile, k, false, true);
        f.correlation.push_back(m + s > 0 ? (m - s) / (m + s) : 1.0);
    }
    // Inverted polarity shows in every band; a phase problem in some.
    std::vector<std::size_t> below;
    for (std::size_t k = 0; k < octaves.size(); ++k) {
        if (octaveBandPower(profile, k) < loudest * dbToPower(-40.0)) continue;
        ++f.judged;
        if (f.correlation[k] < -0.3) ++f.opposed;
        if (f.correlation[k] < -0.2) below.push_back(k);
    }
    f.inverted = f.judged > 0 && f.opposed * 10 >= f.judged * 7;
    if (!f.inverted) f.outOfPhase = below;
    return f;
}

const std::vector<double>& octaveBandsHz() {
    static const std::vector<double> bands = {31.5, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0};
    return bands;
}

}  // namespace bounce
