// bounce plugins (issue 22, first slice): the installed LV2 plugins as lilv's own lv2info
// (the peer) describes them: ports, ranges, defaults, the latency port; and what Bounce
// cannot host, with why.
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <regex>
#include <sstream>

namespace bounce::test {
namespace {
namespace fs = std::filesystem;

const std::string kBounce = BOUNCE_CLI;
const std::string kLspEq = "http://lsp-plug.in/plugins/lv2/para_equalizer_x16_stereo";

bool lspInstalled() { return fs::exists("/usr/lib/lv2/lsp-plugins.lv2") && haveTool("lv2info"); }

TEST(Plugins, ListsAPluginAsLv2infoDescribesIt) {
    if (!lspInstalled()) GTEST_SKIP() << "lsp-plugins-lv2 or lilv-utils (lv2info) not installed";
    const auto r = runCommand({kBounce, "plugins", "--json", "para_equalizer_x16_stereo"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto plugins = nlohmann::json::parse(r.out);
    ASSERT_EQ(plugins.size(), 1u);
    const auto& eq = plugins[0];
    EXPECT_EQ(eq.at("uri"), kLspEq);
    EXPECT_EQ(eq.at("audio_inputs"), 2);
    EXPECT_EQ(eq.at("audio_outputs"), 2);
    EXPECT_EQ(eq.at("latency_port"), "out_latency");
    EXPECT_TRUE(eq.at("hostable").get<bool>()) << eq.at("not_hostable_because");

    // The peer: lv2info's ports, and the range and default it prints for each control.
    const std::string info = runCommand({"lv2info", kLspEq}).out;
    const std::regex portHeader("\n\tPort [0-9]+:");
    EXPECT_EQ(eq.at("ports").size(),
              static_cast<std::size_t>(std::distance(std::sregex_iterator(info.begin(), info.end(), portHeader), std::sregex_iterator())));
    int compared = 0;
    for (const auto& port : eq.at("ports")) {
        if (port.at("type") != "control" || port.at("direction") != "input") continue;
        const std::regex block("Symbol: +" + port.at("symbol").get<std::string>() +
                               "\n[^\n]*\n\t\tMinimum: +([-0-9.e+]+)\n\t\tMaximum: +([-0-9.e+]+)\n\t\tDefault: +([-0-9.e+]+)");
        std::smatch m;
        if (!std::regex_search(info, m, block)) continue;
        EXPECT_NEAR(port.at("minimum").get<double>(), std::stod(m[1]), 1e-5) << port.at("symbol");
        EXPECT_NEAR(port.at("maximum").get<double>(), std::stod(m[2]), 1e-5) << port.at("symbol");
        EXPECT_NEAR(port.at("default").get<double>(), std::stod(m[3]), 1e-5) << port.at("symbol");
        ++compared;
    }
    EXPECT_GT(compared, 50) << "the controls' ranges were compared with lv2info's";
}

// Every plugin Bounce cannot host says why; instruments (no audio input) are among them.
TEST(Plugins, WhatCannotBeHostedSaysWhy) {
    if (!lspInstalled()) GTEST_SKIP() << "lsp-plugins-lv2 or lilv-utils (lv2info) not installed";
    const auto plugins = nlohmann::json::parse(runCommand({kBounce, "plugins", "--json"}).out);
    ASSERT_GT(plugins.size(), 100u);
    for (const auto& p : plugins) {
        if (p.at("audio_inputs") == 0) EXPECT_FALSE(p.at("hostable").get<bool>()) << p.at("uri");
        if (!p.at("hostable").get<bool>()) EXPECT_FALSE(p.at("not_hostable_because").get<std::string>().empty()) << p.at("uri");
    }
    const auto text = runCommand({kBounce, "plugins", "para_equalizer_x16_stereo"}).out;
    EXPECT_NE(text.find("reports latency"), std::string::npos) << text;
    EXPECT_NE(text.find("g_in"), std::string::npos) << text;
}

// LV2_PATH decides where plugins are looked for; none there is said plainly.
TEST(Plugins, AnEmptyLv2PathFindsNone) {
    const std::string empty = makeTempDir("lv2path");
    const auto r = runCommand({"env", "LV2_PATH=" + empty, kBounce, "plugins"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("no LV2 plugins found"), std::string::npos) << r.out;
    EXPECT_EQ(nlohmann::json::parse(runCommand({"env", "LV2_PATH=" + empty, kBounce, "plugins", "--json"}).out).size(), 0u);
    fs::remove_all(empty);
}

}  // namespace
}  // namespace bounce::test
