#include "peers.h"

#include <ebur128.h>

#include <algorithm>
#include <cmath>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bounce::test {

namespace {
// libebur128 takes interleaved frames: `frames` of `audio` from `start`, through `scratch`.
void addFramesTo(ebur128_state* st, ConstAudioView audio, std::size_t start, std::size_t frames, std::vector<float>& scratch) {
    const auto channels = static_cast<std::size_t>(audio.channels());
    for (std::size_t i = 0; i < frames; ++i)
        for (std::size_t c = 0; c < channels; ++c) scratch[i * channels + c] = audio.channel(static_cast<int>(c))[start + i];
    ebur128_add_frames_float(st, scratch.data(), frames);
}
}  // namespace

Libebur128Reading measureWithLibebur128(ConstAudioView audio, double sampleRate, const std::vector<int>& channelMap, bool histogramMode) {
    const int channels = audio.channels();
    int mode = EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK | EBUR128_MODE_SAMPLE_PEAK | EBUR128_MODE_S;
    if (histogramMode) mode |= EBUR128_MODE_HISTOGRAM;
    ebur128_state* st = ebur128_init(static_cast<unsigned>(channels), static_cast<unsigned long>(sampleRate), mode);
    if (!st) throw std::runtime_error("ebur128_init failed");
    for (std::size_t c = 0; c < channelMap.size(); ++c) ebur128_set_channel(st, static_cast<unsigned>(c), channelMap[c]);
    constexpr std::size_t kBlock = 4096;
    std::vector<float> interleaved(kBlock * static_cast<std::size_t>(channels));
    Libebur128Reading reading;
    double maxShortTerm = -HUGE_VAL;
    std::size_t sinceShortTerm = 0;
    for (std::size_t start = 0; start < audio.frames(); start += kBlock) {
        const std::size_t frames = std::min(kBlock, audio.frames() - start);
        addFramesTo(st, audio, start, frames, interleaved);
        sinceShortTerm += frames;
        if (start + frames >= static_cast<std::size_t>(3 * sampleRate)) {
            double s = 0;
            if (ebur128_loudness_shortterm(st, &s) == EBUR128_SUCCESS && std::isfinite(s)) maxShortTerm = std::max(maxShortTerm, s);
        }
    }
    double value = 0;
    if (ebur128_loudness_global(st, &value) == EBUR128_SUCCESS && std::isfinite(value)) reading.integratedLufs = value;
    if (ebur128_loudness_range(st, &value) == EBUR128_SUCCESS && std::isfinite(value)) reading.loudnessRangeLu = value;
    if (std::isfinite(maxShortTerm)) reading.maxShortTermLufs = maxShortTerm;
    double truePeak = 0, samplePeak = 0;
    for (int c = 0; c < channels; ++c) {
        double v = 0;
        if (ebur128_true_peak(st, static_cast<unsigned>(c), &v) == EBUR128_SUCCESS) truePeak = std::max(truePeak, v);
        if (ebur128_sample_peak(st, static_cast<unsigned>(c), &v) == EBUR128_SUCCESS) samplePeak = std::max(samplePeak, v);
    }
    reading.truePeakDbtp = 20.0 * std::log10(truePeak);
    reading.samplePeakDbfs = 20.0 * std::log10(samplePeak);
    ebur128_destroy(&st);
    return reading;
}

std::vector<double> hopLoudnessWithLibebur128(ConstAudioView audio, double sampleRate) {
    const int channels = audio.channels();
    ebur128_state* st = ebur128_init(static_cast<unsigned>(channels), static_cast<unsigned long>(sampleRate), EBUR128_MODE_M);
    if (!st) throw std::runtime_error("ebur128_init failed");
    const auto hop = static_cast<std::size_t>(std::lround(sampleRate / 10.0));
    std::vector<float> interleaved(hop * static_cast<std::size_t>(channels));
    std::vector<double> loudness;
    for (std::size_t start = 0; start + hop <= audio.frames(); start += hop) {
        addFramesTo(st, audio, start, hop, interleaved);
        double value = -HUGE_VAL;
        ebur128_loudness_window(st, 100, &value);
        loudness.push_back(value);
    }
    ebur128_destroy(&st);
    return loudness;
}

namespace {
std::string slurp(int fd) {
    std::string text;
    char buffer[65536];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
    return text;
}
}  // namespace

CommandResult runCommand(const std::vector<std::string>& argv) {
    // Child output goes to temporary files (no pipe deadlock on large output).
    char outPath[] = "/tmp/bounce-cmd-out-XXXXXX";
    char errPath[] = "/tmp/bounce-cmd-err-XXXXXX";
    const int outFd = ::mkstemp(outPath);
    const int errFd = ::mkstemp(errPath);
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int devNull = ::open("/dev/null", O_RDONLY);
        ::dup2(devNull, 0);
        ::dup2(outFd, 1);
        ::dup2(errFd, 2);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    CommandResult result;
    int status = 0;
    rusage usage{};
    ::wait4(pid, &status, 0, &usage);
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.maxRssKb = usage.ru_maxrss;
    ::lseek(outFd, 0, SEEK_SET);
    ::lseek(errFd, 0, SEEK_SET);
    result.out = slurp(outFd);
    result.err = slurp(errFd);
    ::close(outFd);
    ::close(errFd);
    ::unlink(outPath);
    ::unlink(errPath);
    return result;
}

bool haveTool(const std::string& name) { return runCommand({"sh", "-c", "command -v " + name + " >/dev/null 2>&1"}).exitCode == 0; }

}  // namespace bounce::test
