// The subcommands of `bounce`. Each registers its options on the CLI11 app and returns
// the function that runs it; the function returns the process exit code.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace bounce::cli {

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the work failed (unreadable input, ...)
inline constexpr int kExitUsage = 2;   // the command line or a settings file is wrong

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
