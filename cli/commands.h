// The subcommands of `bounce`. Each registers its options on the CLI11 app and returns
// the function that runs it; the function returns the process exit code.
#pragma once

#include "bounce/batch.h"
#include "bounce/sound_file.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>
#include <string>

#include <unistd.h>

namespace bounce::cli {

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the work failed (unreadable input, ...)
inline constexpr int kExitUsage = 2;   // the command line or a settings file is wrong

// -q/--quiet and -v/--verbose, for every command (set by main before it runs one).
// Quiet: no progress and no summary (warnings and errors still go to stderr; a command
// whose output is its result, analyze or compare, still prints it). Verbose: what each
// step did and how long it took.
enum class Verbosity { Quiet, Normal, Verbose };
inline Verbosity& verbosity() {
    static Verbosity level = Verbosity::Normal;
    return level;
}
inline bool quiet() { return verbosity() == Verbosity::Quiet; }
inline bool verbose() { return verbosity() == Verbosity::Verbose; }

// "m:ss" (or "h:mm:ss") for a time left.
inline std::string clockTime(double seconds) {
    const long s = std::lround(std::max(0.0, seconds));
    char text[32];
    if (s >= 3600)
        std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
    return text;
}

// "\rmixing  42%  ETA 0:31" on stderr while a job runs, the line cleared when it is done:
// when stderr is a terminal and not --quiet (otherwise no callback at all). The time left
// is extrapolated from the time so far, once 2% is done.
inline std::function<void(double)> terminalProgress(std::string label) {
    if (!::isatty(2) || quiet()) return {};
    return [label = std::move(label), last = -1, start = std::chrono::steady_clock::now()](double fraction) mutable {
        const int percent = static_cast<int>(fraction * 100.0 + 0.5);
        if (percent == last) return;
        last = percent;
        if (percent >= 100) {
            std::fprintf(stderr, "\r%*s\r", static_cast<int>(label.size()) + 20, "");
            return;
        }
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const std::string eta = fraction > 0.02 ? "  ETA " + clockTime(elapsed * (1.0 - fraction) / fraction) : "";
        std::fprintf(stderr, "\r%s %3d%%%s   ", label.c_str(), percent, eta.c_str());
    };
}

// --format, --bitrate and --quality, as every command that writes audio takes them
// (`formatDefault` says what happens without --format).
inline void addDeliveryOptions(CLI::App* cmd, std::string& format, int& bitrateKbps, int& vbrQuality, const std::string& formatDefault) {
    cmd->add_option("--format", format, "wav, aiff, flac, alac, mp3, aac, opus, ogg or w64 (default " + formatDefault + ")")
        ->check(CLI::IsMember(outputFormatChoices(), CLI::ignore_case));
    cmd->add_option("--bitrate", bitrateKbps, "kbit/s of MP3 or AAC output (default 320 for MP3, 256 for AAC)")->check(CLI::Range(32, 512));
    cmd->add_option("--quality", vbrQuality, "MP3 at a variable bit rate: LAME's scale, 0 (best) to 9, instead of --bitrate")
        ->check(CLI::Range(0, 9));
}

// The extension of a default output name: --format's, else WAV's.
inline std::string outputExtension(const std::string& format) {
    return extensionFor(format.empty() ? FileFormat::Wav : outputFormatNamed(format));
}

// A number with `decimals` places, or "-" when there is none (the loudness of silence).
inline std::string formatNumber(std::optional<double> value, int decimals) {
    if (!value) return "-";
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", decimals, *value + 0.0);
    return text;
}

// A batch's running account: a line per finished file on stdout ("[3/20] a.wav ->
// out/a.master.wav (4.1 s)", or FAILED and why), and on a terminal how many are done and
// the time left, on stderr.
class BatchProgress {
public:
    BatchProgress(std::string verb, std::size_t total) : verb_(std::move(verb)), total_(total) {}

    void finished(const std::string& input, const BatchOutcome& outcome, const std::string& output) {
        ++done_;
        if (!outcome.ok) ++failures_;
        if (::isatty(2) && !quiet()) std::fprintf(stderr, "\r%60s\r", "");
        if (!outcome.ok) {
            std::cerr << "[" << done_ << "/" << total_ << "] FAILED: " << outcome.error << "\n";  // the error names the file
        } else if (!quiet()) {
            char seconds[32];
            std::snprintf(seconds, sizeof seconds, "%.1f s", outcome.seconds);
            std::cout << "[" << done_ << "/" << total_ << "] " << input << (output.empty() ? "" : " -> " + output) << " (" << seconds
                      << ")\n"
                      << std::flush;
        }
        if (::isatty(2) && !quiet() && done_ < total_) {
            const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
            const double left = elapsed / static_cast<double>(done_) * static_cast<double>(total_ - done_);
            std::fprintf(stderr, "%s %zu/%zu  ETA %s", verb_.c_str(), done_, total_, clockTime(left).c_str());
        }
    }
    std::size_t failures() const noexcept { return failures_; }

private:
    std::string verb_;
    std::size_t total_, done_ = 0, failures_ = 0;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

std::function<int()> addAnalyzeCommand(CLI::App& app);
std::function<int()> addProcessCommand(CLI::App& app);
std::function<int()> addMixCommand(CLI::App& app);
std::function<int()> addMasterCommand(CLI::App& app);
std::function<int()> addCompareCommand(CLI::App& app);
std::function<int()> addAlbumCommand(CLI::App& app);
std::function<int()> addCheckCommand(CLI::App& app);
std::function<int()> addAutomixCommand(CLI::App& app);
std::function<int()> addServeCommand(CLI::App& app);
std::function<int()> addPluginsCommand(CLI::App& app);
std::function<int()> addWorkerCommand(CLI::App& app);
std::function<int()> addBatchCommand(CLI::App& app);

}  // namespace bounce::cli
