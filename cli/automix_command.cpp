#include "commands.h"

#include "bounce/atomic_output.h"
#include "bounce/automix.h"
#include "bounce/automix_report.h"
#include "bounce/mix_renderer.h"
#include "bounce/session.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <memory>

namespace bounce::cli {
namespace {

struct AutomixArgs {
    std::string folder, output = "session.toml", render, jsonPath;
};

int runAutomix(const AutomixArgs& a) {
    namespace fs = std::filesystem;
    const std::string sessionDir = fs::path(a.output).parent_path().string();
    const AutomixResult result = automix(a.folder, sessionDir);
    for (const auto& why : result.skipped) std::cerr << "bounce: skipped " << why << "\n";
    writeAutomixSession(result, a.output);
    for (const auto& t : result.tracks) {
        std::printf("  %-20s %-9s %-7s %+6.1f dB  pan %+5.2f%s  (%s)\n", t.name.c_str(), t.role.c_str(), t.bus.c_str(), t.gainDb, t.pan,
                    t.highpassHz ? ("  HP " + std::to_string(static_cast<int>(*t.highpassHz)) + " Hz").c_str() : "", t.roleReason.c_str());
    }
    if (!quiet()) std::cout << "wrote " << a.output << " (lead: " << result.leadRole << ")\n";
    if (!a.jsonPath.empty()) {
        nlohmann::ordered_json out;
        out["session"] = a.output;
        out.update(automixToJson(result));
        std::vector<std::string> inputs = automixTrackPaths(result, sessionDir);  // nor the session
        inputs.push_back(a.output);
        writeTextFile(a.jsonPath, out.dump(2) + "\n", inputs);
    }
    if (!a.render.empty()) {
        const Session session = readSessionFile(a.output);
        MixRenderOptions options;
        options.outputPath = a.render;
        const MixResult mix = renderMix(session, options);
        std::printf("rendered %s: %.1f LUFS, %.2f dBTP\n", a.render.c_str(), mix.analysis.integratedLufs.value_or(-99.0),
                    mix.analysis.truePeakDbtp.value_or(-99.0));
    }
    return kExitOk;
}

}  // namespace

std::function<int()> addAutomixCommand(CLI::App& app) {
    auto a = std::make_shared<AutomixArgs>();
    CLI::App* cmd = app.add_subcommand("automix", "Propose a first mix of a folder of tracks as an editable session file");
    cmd->add_option("folder", a->folder, "The folder of tracks (every format Bounce reads; the other files are skipped, and named)")
        ->required();
    cmd->add_option("-o,--output", a->output, "The session file to write (default session.toml)");
    cmd->add_option("--render", a->render, "Also render the proposed mix to this file");
    cmd->add_option("--json", a->jsonPath, "Write what was decided, per track, as JSON");
    return [a] { return runAutomix(*a); };
}

}  // namespace bounce::cli
