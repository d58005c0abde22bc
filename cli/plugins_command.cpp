#include "commands.h"

#include "bounce/lv2_plugins.h"
#include "bounce/plugins_report.h"

#include <iostream>
#include <memory>

namespace bounce::cli {
namespace {

struct PluginsArgs {
    std::string filter;
    bool json = false;
};

int runPlugins(const PluginsArgs& a) {
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
    return [a] { return runPlugins(*a); };
}

}  // namespace bounce::cli
