// The subcommands of `bounce`. Each registers its options on the CLI11 app and returns
// the function that runs it; the function returns the process exit code.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdio>
#include <functional>
#include <string>

namespace bounce::cli {

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the work failed (unreadable input, ...)
inline constexpr int kExitUsage = 2;   // the command line or a settings file is wrong

// "\rmixing 42%" on stderr while a job runs, the line cleared when it is done: for a
// terminal (the caller checks isatty).
inline std::function<void(double)> terminalProgress(std::string label) {
    return [label = std::move(label), last = -1](double fraction) mutable {
        const int percent = static_cast<int>(fraction * 100.0 + 0.5);
        if (percent == last) return;
        last = percent;
        if (percent >= 100) {
            std::fprintf(stderr, "\r%*s\r", static_cast<int>(label.size()) + 6, "");
        } else {
            std::fprintf(stderr, "\r%s %3d%%", label.c_str(), percent);
        }
    };
}

std::function<int()> addAnalyzeCommand(CLI::App& app);
std::function<int()> addProcessCommand(CLI::App& app);
std::function<int()> addMixCommand(CLI::App& app);
std::function<int()> addMasterCommand(CLI::App& app);
std::function<int()> addCompareCommand(CLI::App& app);
std::function<int()> addAlbumCommand(CLI::App& app);
std::function<int()> addCheckCommand(CLI::App& app);
std::function<int()> addAutomixCommand(CLI::App& app);
std::function<int()> addServeCommand(CLI::App& app);

}  // namespace bounce::cli
