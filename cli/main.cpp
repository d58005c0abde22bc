// bounce: the command-line shell over the Bounce library. Parses, dispatches, prints,
// sets the exit code; no DSP here.
#include "commands.h"

#include "bounce/atomic_output.h"
#include "bounce/error.h"
#include "bounce/standard_streams.h"

#include <chrono>
#include <functional>
#include <iostream>
#include <utility>

int main(int argc, char** argv) {
    using namespace bounce::cli;
    // Named, so that usage lines say "bounce", not the path it was started by.
    CLI::App app{"Bounce: from recorded tracks to a release-ready master", "bounce"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "bounce " BOUNCE_VERSION);

    const auto runAnalyze = addAnalyzeCommand(app);
    const auto runProcess = addProcessCommand(app);
    const auto runMix = addMixCommand(app);
    const auto runMaster = addMasterCommand(app);
    const auto runCompare = addCompareCommand(app);
    const auto runAlbum = addAlbumCommand(app);
    const auto runCheck = addCheckCommand(app);
    const auto runAutomix = addAutomixCommand(app);
    const auto runServe = addServeCommand(app);
    const auto runPlugins = addPluginsCommand(app);
    const auto runWorker = addWorkerCommand(app);
    const auto runBatch = addBatchCommand(app);
    // -q / -v before or after the command's name (fallthrough: a subcommand passes options
    // it does not know to the app).
    bool quietFlag = false, verboseFlag = false;
    auto* quietOption = app.add_flag("-q,--quiet", quietFlag, "No progress and no summary; warnings and errors only");
    app.add_flag("-v,--verbose", verboseFlag, "Say what each step did and how long it took")->excludes(quietOption);
    // (bounce batch keeps what it does not know: bounce master's options, for its jobs.)
    for (CLI::App* command : app.get_subcommands({}))
        if (command->get_name() != "batch") command->fallthrough();

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "bounce: " << e.what() << " (see bounce --help)\n";
        return kExitUsage;
    }

    verbosity() = quietFlag ? Verbosity::Quiet : verboseFlag ? Verbosity::Verbose : Verbosity::Normal;
    bounce::installOutputCleanupOnSignal();
    try {
        const auto started = std::chrono::steady_clock::now();
        int code = kExitUsage;
        for (const auto& [name, run] : std::initializer_list<std::pair<const char*, const std::function<int()>*>>{{"analyze", &runAnalyze},
                                                                                                                  {"process", &runProcess},
                                                                                                                  {"mix", &runMix},
                                                                                                                  {"master", &runMaster},
                                                                                                                  {"compare", &runCompare},
                                                                                                                  {"album", &runAlbum},
                                                                                                                  {"check", &runCheck},
                                                                                                                  {"automix", &runAutomix},
                                                                                                                  {"serve", &runServe},
                                                                                                                  {"plugins", &runPlugins},
                                                                                                                  {"worker", &runWorker},
                                                                                                                  {"batch", &runBatch}})
            if (app.got_subcommand(name)) {
                code = (*run)();
                if (verbose())
                    std::fprintf(stderr, "bounce: %s took %.2f s\n", name,
                                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
            }
        return code;
    } catch (const bounce::ConfigError& e) {
        std::cerr << "bounce: " << bounce::withStandardStreamNames(e.what()) << "\n";
        return kExitUsage;
    } catch (const bounce::Error& e) {
        std::cerr << "bounce: " << bounce::withStandardStreamNames(e.what()) << "\n";
        return kExitFailed;
    } catch (const std::exception& e) {
        std::cerr << "bounce: internal error: " << e.what() << "\n";
        return kExitFailed;
    }
    return kExitUsage;
}
