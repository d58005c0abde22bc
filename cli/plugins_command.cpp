#include "commands.h"

#include "bounce/lv2_effect.h"
#include "bounce/lv2_plugins.h"
#include "bounce/plugins_report.h"

#include <iostream>
#include <memory>

namespace bounce::cli {
namespace {

struct PluginsArgs {
    std::string filter;
    bool json = false;
    std::string stateOf;  // a plugin's URI: print its state instead of the list
    std::string preset;
};

// A fresh instance's state (with a preset applied), as Turtle for an lv2 insert's `state`.
int printState(const PluginsArgs& a) {
    const Lv2Plugin* plugin = findLv2Plugin(a.stateOf);
    int channels = 2;
    if (plugin) {
        channels = 0;
        for (const auto& port : plugin->ports) channels += port.type == "audio" && port.input && !port.sidechain ? 1 : 0;
    }
    Lv2Effect effect({a.stateOf, a.preset, "", ""}, std::max(channels, 1));
    effect.prepare({48000.0, 4096, std::max(channels, 1)});
    std::cout << effect.savedState();
    return kExitOk;
}

int runPlugins(const PluginsArgs& a) {
    if (!a.stateOf.empty()) return printState(a);
    const auto plugins = installedLv2Plugins(a.filter);
    if (a.json)
        std::cout << pluginsToJson(plugins).dump(2) << "\n";
    else
        std::cout << pluginsTable(plugins);
    return kExitOk;
}

}  // namespace

std::function<int()> addPluginsCommand(CLI::App& app) {
    auto a = std::make_shared<PluginsArgs>();
    CLI::App* cmd = app.add_subcommand("plugins", "List the installed LV2 plugins (LV2_PATH, or the standard paths) with their controls");
    cmd->add_option("filter", a->filter, "Only plugins whose URI or name contains this (any case)");
    cmd->add_flag("--json", a->json, "As JSON: every port with its type, direction, range, default and unit");
    cmd->add_option("--state", a->stateOf, "Print this plugin's state (Turtle) for an lv2 insert's `state`, instead of the list");
    cmd->add_option("--preset", a->preset, "With --state: the preset (URI or label) to start from")->needs("--state");
    return [a] { return runPlugins(*a); };
}

}  // namespace bounce::cli
