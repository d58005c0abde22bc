// The peer for `make bench`'s whole-process meter figure: a file to integrated loudness,
// loudness range and true peak through libebur128 (what r128gain-like tools do), reading
// with libsndfile in 4096-frame blocks, as `bounce analyze` reads. Prints the three numbers.
#include <ebur128.h>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    SF_INFO info{};
    SNDFILE* file = sf_open(argv[1], SFM_READ, &info);
    if (!file) {
        std::fprintf(stderr, "%s: %s\n", argv[1], sf_strerror(nullptr));
        return 1;
    }
    ebur128_state* st = ebur128_init(static_cast<unsigned>(info.channels), static_cast<unsigned long>(info.samplerate),
                                     EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK | EBUR128_MODE_HISTOGRAM);
    constexpr sf_count_t kBlock = 4096;
    std::vector<float> block(static_cast<std::size_t>(kBlock * info.channels));
    sf_count_t n;
    while ((n = sf_readf_float(file, block.data(), kBlock)) > 0) ebur128_add_frames_float(st, block.data(), static_cast<std::size_t>(n));
    sf_close(file);
    double integrated = 0, range = 0, peak = 0;
    ebur128_loudness_global(st, &integrated);
    ebur128_loudness_range(st, &range);
    for (int c = 0; c < info.channels; ++c) {
        double p = 0;
        ebur128_true_peak(st, static_cast<unsigned>(c), &p);
        peak = std::max(peak, p);
    }
    ebur128_destroy(&st);
    std::printf("I %.2f LUFS  LRA %.2f LU  TP %.2f dBTP\n", integrated, range, 20 * std::log10(std::max(peak, 1e-30)));
    return 0;
}
