#include "bounce/loudness_meter.h"

#include "bounce/denormals.h"
#include "bounce/k_weighting.h"
#include "bounce/simd.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>

namespace bounce {
namespace {

constexpr double kAbsoluteGateLufs = -70.0;          // BS.1770-4 §2.8, Tech 3342 §3.1
constexpr double kIntegratedRelativeGateLu = -10.0;  // BS.1770-4 §2.8
constexpr double kRangeRelativeGateLu = -20.0;       // EBU Tech 3342 §3.1
constexpr double kRangeLowPercentile = 0.10;         // EBU Tech 3342 §3.1
constexpr double kRangeHighPercentile = 0.95;
constexpr int kHopsPerMomentary = 4;   // 400 ms
constexpr int kHopsPerShortTerm = 30;  // 3 s
constexpr int kHopsPerRangeStep = 10;  // a short-term value for the range every 1 s

double lufsOf(double energy) noexcept { return -0.691 + 10.0 * std::log10(energy); }
double energyOf(double lufs) noexcept { return std::pow(10.0, (lufs + 0.691) / 10.0); }

// Block energies, binned by loudness. Each bin keeps its count and the exact sum of its
// blocks' energies, so gated means are exact but for the one bin a gate falls in (0.01
// LU wide), and percentiles are the mean energy of the bin they fall in.
class EnergyHistogram {
public:
    static constexpr double kFloorLufs = kAbsoluteGateLufs;
    static constexpr double kBinLu = 0.01;
    static constexpr int kBins = 10000;  // -70 .. +30 LUFS; louder blocks share the top bin

    EnergyHistogram() : counts_(kBins, 0), energies_(kBins, 0.0) {}

    void clear() noexcept {
        std::fill(counts_.begin(), counts_.end(), 0);
        std::fill(energies_.begin(), energies_.end(), 0.0);
        total_ = 0;
    }

    // Blocks below the absolute gate are not kept; neither are NaNs.
    void add(double energy) noexcept {
        if (!(energy >= kGateEnergy) || !std::isfinite(energy)) return;
        const int bin = std::min(kBins - 1, static_cast<int>((lufsOf(energy) - kFloorLufs) / kBinLu));
        ++counts_[static_cast<std::size_t>(std::max(bin, 0))];
        energies_[static_cast<std::size_t>(std::max(bin, 0))] += energy;
        ++total_;
    }

    std::uint64_t total() const noexcept { return total_; }

    // First bin whose centre is at or above `lufs`.
    static int firstBinAtOrAbove(double lufs) noexcept {
        const double position = (lufs - kFloorLufs) / kBinLu - 0.5;
        return std::clamp(static_cast<int>(std::ceil(position)), 0, kBins);
    }

    // Power mean of the blocks from `fromBin` up: (sum of energies, count).
    std::pair<double, std::uint64_t> sumFrom(int fromBin) const noexcept {
        double energy = 0.0;
        std::uint64_t count = 0;
        for (int b = fromBin; b < kBins; ++b) {
            energy += energies_[static_cast<std::size_t>(b)];
            count += counts_[static_cast<std::size_t>(b)];
        }
        return {energy, count};
    }

    // Energy of the block of rank `rank` (0-based, ascending) among those from `fromBin` up.
    double energyAtRank(int fromBin, std::uint64_t rank) const noexcept {
        std::uint64_t seen = 0;
        for (int b = fromBin; b < kBins; ++b) {
            const std::uint64_t count = counts_[static_cast<std::size_t>(b)];
            if (rank < seen + count) return energies_[static_cast<std::size_t>(b)] / static_cast<double>(count);
            seen += count;
        }
        return 0.0;
    }

private:
    static inline const double kGateEnergy = energyOf(kAbsoluteGateLufs);
    std::vector<std::uint64_t> counts_;
    std::vector<double> energies_;
    std::uint64_t total_ = 0;
};

#if defined(__GNUC__)
using simd::Double2;
#endif

// The K-weighting cascade in direct form I, double precision (the 38 Hz
// high-pass has poles within 0.005 of the unit circle). T is double for one channel or
// a 2-lane vector for a channel pair, so both paths share this one kernel.
template <typename T>
struct KCoefficients {
    T b0, b1, b2, a1, a2;  // shelf
    T h1, h2;              // high-pass denominator (numerator is 1, -2, 1)
};

template <typename T>
struct KState {
    T x1{}, x2{};  // the input, one and two samples back
    T y1{}, y2{};  // the shelf's output
    T z1{}, z2{};  // the high-pass's output
};

// `sum` is the hop's running sum of squares, carried in and out so that the additions
// happen in the same order whatever the block size: readings are bit-identical for any
// way of cutting the stream into blocks.
//
// Direct form I, each output summed with its newest feedback term last: the recursion's
// critical path is then one multiply and one subtraction per stage (in transposed form it
// was a multiply and two additions), and the two stages' recursions overlap.
template <typename T, typename LoadFn>
T filterAndSumSquares(KState<T>& state, const KCoefficients<T>& k, std::size_t frames, T sum, LoadFn load) noexcept {
    T x1 = state.x1, x2 = state.x2, y1 = state.y1, y2 = state.y2, z1 = state.z1, z2 = state.z2;
    for (std::size_t i = 0; i < frames; ++i) {
        const T x = load(i);
        const T y = (k.b0 * x + k.b1 * x1 + k.b2 * x2 - k.a2 * y2) - k.a1 * y1;
        const T z = (y - (y1 + y1) + y2 - k.h2 * z2) - k.h1 * z1;
        x2 = x1;
        x1 = x;
        y2 = y1;
        y1 = y;
        z2 = z1;
        z1 = z;
        sum += z * z;
    }
    state = {x1, x2, y1, y2, z1, z2};
    return sum;
}

template <typename T>
KCoefficients<T> broadcast(const KWeighting& k) {
    auto b = [](double v) { return T{} + v; };
    return {b(k.shelf.b0), b(k.shelf.b1), b(k.shelf.b2), b(k.shelf.a1), b(k.shelf.a2), b(k.highPass.a1), b(k.highPass.a2)};
}

bool isFinite(double v) noexcept { return std::isfinite(v); }
#if defined(__GNUC__)
bool isFinite(Double2 v) noexcept { return std::isfinite(v[0]) && std::isfinite(v[1]); }
#endif

template <typename T>
void sanitise(KState<T>& s) noexcept {
    // A NaN or infinity in the input would stay in the recursion for ever: start again.
    if (!isFinite(s.x1) || !isFinite(s.x2) || !isFinite(s.y1) || !isFinite(s.y2) || !isFinite(s.z1) || !isFinite(s.z2)) s = KState<T>{};
}

}  // namespace

std::optional<double> lufsFromEnergy(double energy) noexcept {
    if (!(energy > 0.0) || !std::isfinite(energy)) return std::nullopt;
    return lufsOf(energy);
}

// The true-peak detectors on a second thread: the caller copies frames into a batch; full
// batches queue (up to kBatches, so that a passage dearer for one side than the other
// does not stall the pair) and the thread reads them in order, one lock per 32768 frames.
// A reading waits for the thread and reads what is left itself. Each detector sees the same
// samples in the same order as on one thread, so the readings are the same bits. The
// detectors are prepared on the thread too (the shared filter table is built once, a few
// milliseconds the caller need not wait for).
class TruePeakThread {
public:
    static constexpr std::size_t kBatchFrames = 32768;
    static constexpr std::size_t kBatches = 4;

    TruePeakThread(std::vector<TruePeakDetector>& detectors, double sampleRate, TruePeakDetector::Mode mode)
        : detectors_(detectors), sampleRate_(sampleRate), mode_(mode), batches_(kBatches) {
        for (auto& batch : batches_) batch.assign(detectors.size(), std::vector<float>(kBatchFrames));
        thread_ = std::thread([this] { run(); });
    }
    ~TruePeakThread() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
    TruePeakThread(const TruePeakThread&) = delete;
    TruePeakThread& operator=(const TruePeakThread&) = delete;

    void add(ConstAudioView block, std::size_t position, std::size_t frames) {
        while (frames > 0) {
            if (filled_ == 0) waitForFreeBatch();
            auto& batch = batches_[tail_];
            const std::size_t n = std::min(frames, kBatchFrames - filled_);
            for (std::size_t c = 0; c < batch.size(); ++c)
                std::copy_n(block.channel(static_cast<int>(c)) + position, n, batch[c].data() + filled_);
            filled_ += n;
            position += n;
            frames -= n;
            if (filled_ == kBatchFrames) handOver();
        }
    }
    // Waits for the thread, then reads the partial batch here: the detectors are up to date.
    void finish() {
        std::unique_lock<std::mutex> lock(mutex_);
        idle_.wait(lock, [this] { return queued_ == 0 && prepared_; });
        lock.unlock();
        auto& batch = batches_[tail_];
        for (std::size_t c = 0; c < detectors_.size(); ++c) detectors_[c].process(batch[c].data(), filled_);
        filled_ = 0;
    }
    // Before the detectors are used here (reset).
    void waitPrepared() {
        std::unique_lock<std::mutex> lock(mutex_);
        idle_.wait(lock, [this] { return queued_ == 0 && prepared_; });
    }

private:
    void waitForFreeBatch() {
        std::unique_lock<std::mutex> lock(mutex_);
        idle_.wait(lock, [this] { return queued_ < kBatches; });
    }
    void handOver() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            ++queued_;
            tail_ = (tail_ + 1) % kBatches;
        }
        filled_ = 0;
        wake_.notify_all();
    }
    void run() {
        for (auto& d : detectors_) d.prepare(sampleRate_, mode_);
        std::unique_lock<std::mutex> lock(mutex_);
        prepared_ = true;
        idle_.notify_all();
        for (;;) {
            wake_.wait(lock, [this] { return stop_ || queued_ > 0; });
            if (queued_ == 0 && stop_) return;
            auto& batch = batches_[head_];
            lock.unlock();
            for (std::size_t c = 0; c < detectors_.size(); ++c) detectors_[c].process(batch[c].data(), kBatchFrames);
            lock.lock();
            head_ = (head_ + 1) % kBatches;
            --queued_;
            idle_.notify_all();
        }
    }

    std::vector<TruePeakDetector>& detectors_;
    double sampleRate_;
    TruePeakDetector::Mode mode_;
    std::vector<std::vector<std::vector<float>>> batches_;  // [batch][channel][frame], a ring
    std::size_t head_ = 0;                                  // the oldest queued batch (the thread's)
    std::size_t tail_ = 0;                                  // the batch being filled (the caller's)
    std::size_t filled_ = 0;                                // frames in the batch being filled
    std::size_t queued_ = 0;                                // full batches the thread has yet to read
    bool prepared_ = false;
    bool stop_ = false;
    std::mutex mutex_;
    std::condition_variable wake_, idle_;
    std::thread thread_;
};

struct LoudnessMeter::State {
    double sampleRate;
    int channels;
    std::vector<double> weights;
    std::size_t hopFrames;
    KWeighting kWeighting;
#if defined(__GNUC__)
    KCoefficients<Double2> pairCoefficients;
    std::vector<KState<Double2>> pairStates;
#endif
    KCoefficients<double> coefficients;
    std::vector<KState<double>> states;  // per channel (used for channels not in a pair)
    std::vector<double> hopSumSquares;   // per channel, this hop so far
    std::vector<TruePeakDetector> peaks;
    std::unique_ptr<TruePeakThread> peakThread;  // with truePeakOnSecondThread
    bool peaksPending = false;                   // frames handed to peakThread since finish()

    // The detectors up to date (waits for the second thread).
    void finishPeaks() {
        if (peakThread && peaksPending) {
            peakThread->finish();
            peaksPending = false;
        }
    }

    std::size_t framesInHop = 0;
    std::uint64_t framesAdded = 0;
    std::uint64_t hops = 0;
    std::array<double, kHopsPerShortTerm> hopEnergy{};  // weighted sum of squares per hop, ring
    double momentaryEnergy = std::numeric_limits<double>::quiet_NaN();
    double shortTermEnergy = std::numeric_limits<double>::quiet_NaN();
    double maxMomentaryEnergy = 0.0;
    double maxShortTermEnergy = 0.0;
    EnergyHistogram gatingBlocks;
    EnergyHistogram shortTermBlocks;
    std::function<void(const LoudnessHop&)> onHop;

    double windowEnergy(int hopsInWindow) const noexcept {
        double sum = 0.0;
        for (int i = 1; i <= hopsInWindow; ++i)
            sum += hopEnergy[static_cast<std::size_t>((hops - static_cast<std::uint64_t>(i)) % kHopsPerShortTerm)];
        return sum / (static_cast<double>(hopsInWindow) * static_cast<double>(hopFrames));
    }

    void filterBlock(ConstAudioView block, std::size_t start, std::size_t frames) noexcept {
        int c = 0;
#if defined(__GNUC__)
        for (; c + 1 < channels; c += 2) {
            const float* left = block.channel(c) + start;
            const float* right = block.channel(c + 1) + start;
            auto& state = pairStates[static_cast<std::size_t>(c / 2)];
            const Double2 running{hopSumSquares[static_cast<std::size_t>(c)], hopSumSquares[static_cast<std::size_t>(c + 1)]};
            const Double2 sum = filterAndSumSquares(state, pairCoefficients, frames, running, [&](std::size_t i) {
                return Double2{static_cast<double>(left[i]), static_cast<double>(right[i])};
            });
            sanitise(state);
            hopSumSquares[static_cast<std::size_t>(c)] = sum[0];
            hopSumSquares[static_cast<std::size_t>(c + 1)] = sum[1];
        }
#endif
        for (; c < channels; ++c) {
            const float* x = block.channel(c) + start;
            auto& state = states[static_cast<std::size_t>(c)];
            hopSumSquares[static_cast<std::size_t>(c)] =
                filterAndSumSquares(state, coefficients, frames, hopSumSquares[static_cast<std::size_t>(c)],
                                    [&](std::size_t i) { return static_cast<double>(x[i]); });
            sanitise(state);
        }
    }

    void finishHop() noexcept {
        double energy = 0.0;
        for (int c = 0; c < channels; ++c) {
            energy += weights[static_cast<std::size_t>(c)] * hopSumSquares[static_cast<std::size_t>(c)];
            hopSumSquares[static_cast<std::size_t>(c)] = 0.0;
        }
        hopEnergy[static_cast<std::size_t>(hops % kHopsPerShortTerm)] = energy;
        ++hops;
        framesInHop = 0;
        if (hops >= kHopsPerMomentary) {
            momentaryEnergy = windowEnergy(kHopsPerMomentary);
            gatingBlocks.add(momentaryEnergy);
            if (momentaryEnergy > maxMomentaryEnergy) maxMomentaryEnergy = momentaryEnergy;
        }
        if (hops >= kHopsPerShortTerm) {
            shortTermEnergy = windowEnergy(kHopsPerShortTerm);
            if (shortTermEnergy > maxShortTermEnergy) maxShortTermEnergy = shortTermEnergy;
            if ((hops - kHopsPerShortTerm) % kHopsPerRangeStep == 0) shortTermBlocks.add(shortTermEnergy);
        }
        if (onHop) {
            LoudnessHop hop;
            hop.index = hops - 1;
            hop.endSeconds = static_cast<double>(hops * hopFrames) / sampleRate;
            hop.hopLufs = lufsFromEnergy(energy / static_cast<double>(hopFrames));
            if (hops >= kHopsPerMomentary) hop.momentaryLufs = lufsFromEnergy(momentaryEnergy);
            if (hops >= kHopsPerShortTerm) hop.shortTermLufs = lufsFromEnergy(shortTermEnergy);
            onHop(hop);
        }
    }
};

std::vector<double> LoudnessMeter::channelWeightsFor(int channels, const std::vector<Speaker>& speakers) {
    constexpr double kSurround = 1.41;  // BS.1770-4 Table 3: 60° <= |azimuth| <= 120°
    std::vector<double> weights(static_cast<std::size_t>(std::max(channels, 0)), 1.0);
    const bool declared =
        speakers.size() == weights.size() && std::any_of(speakers.begin(), speakers.end(), [](Speaker s) { return s != Speaker::Unknown; });
    if (declared) {
        // In a layout without side surrounds (5.1 marked back-left/back-right, as many
        // tools write it) the back pair are the surrounds at 110°; next to side surrounds
        // (7.1) they are rear speakers at 135-150° and weigh 1.0.
        const bool hasSides = std::any_of(speakers.begin(), speakers.end(),
                                          [](Speaker s) { return s == Speaker::LeftSurround || s == Speaker::RightSurround; });
        for (std::size_t c = 0; c < weights.size(); ++c) {
            switch (speakers[c]) {
            case Speaker::Lfe: weights[c] = 0.0; break;
            case Speaker::LeftSurround:
            case Speaker::RightSurround: weights[c] = kSurround; break;
            case Speaker::LeftBack:
            case Speaker::RightBack: weights[c] = hasSides ? 1.0 : kSurround; break;
            default: weights[c] = 1.0; break;
            }
        }
        return weights;
    }
    switch (channels) {
    case 4: weights = {1.0, 1.0, kSurround, kSurround}; break;                 // L R Ls Rs
    case 5: weights = {1.0, 1.0, 1.0, kSurround, kSurround}; break;            // L R C Ls Rs
    case 6: weights = {1.0, 1.0, 1.0, 0.0, kSurround, kSurround}; break;       // L R C LFE Ls Rs
    case 7: weights = {1.0, 1.0, 1.0, 0.0, 1.0, kSurround, kSurround}; break;  // ... BC SL SR
    default:
        if (channels >= 8) {  // L R C LFE BL BR SL SR, then anything else at 1.0
            weights[3] = 0.0;
            weights[6] = kSurround;
            weights[7] = kSurround;
        }
        break;
    }
    return weights;
}

LoudnessMeter::LoudnessMeter(const Settings& settings) : state_(std::make_unique<State>()) {
    State& s = *state_;
    s.sampleRate = settings.sampleRate;
    s.channels = static_cast<int>(settings.channelWeights.size());
    s.weights = settings.channelWeights;
    // libebur128 rounds 100 ms the same way, so odd rates (11025 Hz) time their blocks alike.
    s.hopFrames = static_cast<std::size_t>((static_cast<long long>(settings.sampleRate) + 5) / 10);
    if (s.hopFrames == 0) s.hopFrames = 1;
    s.kWeighting = KWeighting::design(settings.sampleRate);
    s.coefficients = broadcast<double>(s.kWeighting);
#if defined(__GNUC__)
    s.pairCoefficients = broadcast<Double2>(s.kWeighting);
    s.pairStates.resize(static_cast<std::size_t>(s.channels / 2));
#endif
    s.states.resize(static_cast<std::size_t>(s.channels));
    s.hopSumSquares.assign(static_cast<std::size_t>(s.channels), 0.0);
    s.peaks.resize(static_cast<std::size_t>(s.channels));
    const auto mode = settings.measureTruePeak ? TruePeakDetector::Mode::Reconstruction : TruePeakDetector::Mode::SamplePeak;
    if (settings.truePeakOnSecondThread && settings.measureTruePeak && std::thread::hardware_concurrency() > 1) {
        s.peakThread = std::make_unique<TruePeakThread>(s.peaks, settings.sampleRate, mode);  // prepares them there
        s.peaksPending = true;                                                                // a reading waits for that
    } else {
        for (auto& peak : s.peaks) peak.prepare(settings.sampleRate, mode);
    }
}

LoudnessMeter::~LoudnessMeter() = default;
LoudnessMeter::LoudnessMeter(LoudnessMeter&&) noexcept = default;
LoudnessMeter& LoudnessMeter::operator=(LoudnessMeter&&) noexcept = default;

void LoudnessMeter::setHopCallback(std::function<void(const LoudnessHop&)> callback) { state_->onHop = std::move(callback); }

void LoudnessMeter::addFrames(ConstAudioView block) noexcept {
    State& s = *state_;
    if (block.channels() != s.channels) return;
    ScopedFlushDenormals flushDenormals;
    std::size_t position = 0;
    while (position < block.frames()) {
        const std::size_t frames = std::min(s.hopFrames - s.framesInHop, block.frames() - position);
        s.filterBlock(block, position, frames);
        if (s.peakThread) {
            s.peakThread->add(block, position, frames);
            s.peaksPending = true;
        } else {
            for (int c = 0; c < s.channels; ++c) s.peaks[static_cast<std::size_t>(c)].process(block.channel(c) + position, frames);
        }
        s.framesInHop += frames;
        s.framesAdded += frames;
        position += frames;
        if (s.framesInHop == s.hopFrames) s.finishHop();
    }
}

void LoudnessMeter::reset() noexcept {
    State& s = *state_;
#if defined(__GNUC__)
    std::fill(s.pairStates.begin(), s.pairStates.end(), KState<Double2>{});
#endif
    std::fill(s.states.begin(), s.states.end(), KState<double>{});
    std::fill(s.hopSumSquares.begin(), s.hopSumSquares.end(), 0.0);
    s.finishPeaks();
    for (auto& peak : s.peaks) peak.reset();
    s.framesInHop = 0;
    s.framesAdded = 0;
    s.hops = 0;
    s.hopEnergy.fill(0.0);
    s.momentaryEnergy = s.shortTermEnergy = std::numeric_limits<double>::quiet_NaN();
    s.maxMomentaryEnergy = s.maxShortTermEnergy = 0.0;
    s.gatingBlocks.clear();
    s.shortTermBlocks.clear();
}

double LoudnessMeter::sampleRate() const noexcept { return state_->sampleRate; }
int LoudnessMeter::channels() const noexcept { return state_->channels; }
std::size_t LoudnessMeter::hopFrames() const noexcept { return state_->hopFrames; }
std::uint64_t LoudnessMeter::framesAdded() const noexcept { return state_->framesAdded; }

std::optional<double> LoudnessMeter::momentaryLufs() const noexcept { return lufsFromEnergy(state_->momentaryEnergy); }
std::optional<double> LoudnessMeter::shortTermLufs() const noexcept { return lufsFromEnergy(state_->shortTermEnergy); }
std::optional<double> LoudnessMeter::maxMomentaryLufs() const noexcept { return lufsFromEnergy(state_->maxMomentaryEnergy); }
std::optional<double> LoudnessMeter::maxShortTermLufs() const noexcept { return lufsFromEnergy(state_->maxShortTermEnergy); }

namespace {

std::optional<double> integratedOf(const EnergyHistogram& blocks) noexcept {
    if (blocks.total() == 0) return std::nullopt;
    // BS.1770-4 eq. 5-7: mean of the absolutely gated blocks, then of those within 10 LU of it.
    const auto [absoluteSum, absoluteCount] = blocks.sumFrom(0);
    const double relativeGate = lufsOf(absoluteSum / static_cast<double>(absoluteCount)) + kIntegratedRelativeGateLu;
    const auto [sum, count] = blocks.sumFrom(EnergyHistogram::firstBinAtOrAbove(relativeGate));
    if (count == 0) return std::nullopt;
    return lufsOf(sum / static_cast<double>(count));
}

}  // namespace

std::optional<double> LoudnessMeter::integratedLufs() const noexcept { return integratedOf(state_->gatingBlocks); }

std::optional<double> integratedLufsOfBlocks(const std::vector<double>& blockLufs) {
    EnergyHistogram blocks;
    for (double lufs : blockLufs)
        if (std::isfinite(lufs)) blocks.add(energyOf(lufs));
    return integratedOf(blocks);
}

std::optional<double> LoudnessMeter::loudnessRangeLu() const noexcept {
    const EnergyHistogram& blocks = state_->shortTermBlocks;
    if (blocks.total() == 0) return std::nullopt;
    // EBU Tech 3342 §3.1: relative gate 20 LU below the power mean of the absolutely gated
    // short-term values, then the spread between the 10th and 95th percentiles (nearest
    // rank, as libebur128 takes it).
    const auto [absoluteSum, absoluteCount] = blocks.sumFrom(0);
    const double relativeGate = lufsOf(absoluteSum / static_cast<double>(absoluteCount)) + kRangeRelativeGateLu;
    const int fromBin = EnergyHistogram::firstBinAtOrAbove(relativeGate);
    const std::uint64_t count = blocks.sumFrom(fromBin).second;
    if (count == 0) return 0.0;
    const auto rankOf = [count](double percentile) {
        return static_cast<std::uint64_t>(static_cast<double>(count - 1) * percentile + 0.5);
    };
    const double low = blocks.energyAtRank(fromBin, rankOf(kRangeLowPercentile));
    const double high = blocks.energyAtRank(fromBin, rankOf(kRangeHighPercentile));
    return lufsOf(high) - lufsOf(low);
}

double LoudnessMeter::samplePeak(int channel) const noexcept {
    state_->finishPeaks();
    return state_->peaks[static_cast<std::size_t>(channel)].samplePeak();
}

double LoudnessMeter::truePeak(int channel) const noexcept {
    state_->finishPeaks();
    return state_->peaks[static_cast<std::size_t>(channel)].peak();
}

}  // namespace bounce
