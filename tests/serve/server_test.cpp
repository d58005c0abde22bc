// bounce serve, end to end: the server runs as a child process on a free loopback port;
// the tests talk to it with cpp-httplib's client. Loudness of the delivered master is
// measured by libebur128.
#include "serve_fixture.h"

namespace bounce::test {
namespace {

TEST_F(Serve, MastersAJobEndToEnd) {
    auto r = submit(
        {{"file", slurp(dir_ + "/mix.wav"), "../../escape.wav", "audio/wav"}, {"target", "apple", "", ""}, {"title", "Song", "", ""}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    const std::string id = Json::parse(r->body)["id"];
    const Json state = waitFor(id);
    ASSERT_EQ(state["state"], "done") << state.dump();
    auto master = client().Get("/api/jobs/" + id + "/master");
    ASSERT_TRUE(master);
    ASSERT_EQ(master->status, 200);
    std::ofstream(dir_ + "/master.wav", std::ios::binary) << master->body;
    double rate = 0;
    const AudioBuffer audio = readWholeFile(dir_ + "/master.wav", &rate);
    const auto reading = measureWithLibebur128(ConstAudioView(audio.view()), rate);
    EXPECT_NEAR(*reading.integratedLufs, -16.0, 0.2);  // Apple's target
    EXPECT_LE(reading.truePeakDbtp, -1.0);
    for (const char* report : {"/report.json", "/report.html"}) {
        auto rr = client().Get("/api/jobs/" + id + report);
        ASSERT_TRUE(rr);
        EXPECT_EQ(rr->status, 200) << report;
        EXPECT_GT(rr->body.size(), 1000u) << report;
        // Nothing of the server's folders, and the report is of the master, by the client's name.
        EXPECT_EQ(rr->body.find(dir_), std::string::npos) << report << " shows the server's data folder";
    }
    // report.html: the mix and the master side by side; check.html: the master as bounce check sees it.
    const std::string html = client().Get("/api/jobs/" + id + "/report.html")->body;
    EXPECT_NE(html.find("<title>bounce master: "), std::string::npos);
    EXPECT_NE(html.find("id=\"verdict\""), std::string::npos) << "no verdict against the job's target";
    EXPECT_NE(html.find("id=\"chart-gain-reduction\""), std::string::npos);
    auto check = client().Get("/api/jobs/" + id + "/check.html");
    ASSERT_TRUE(check);
    EXPECT_EQ(check->status, 200);
    EXPECT_EQ(check->body.find(dir_), std::string::npos) << "check.html shows the server's data folder";
    EXPECT_NE(check->body.find("<title>bounce check: "), std::string::npos);
    EXPECT_NE(check->body.find("id=\"verdict\""), std::string::npos) << "no verdict against the job's target";
    EXPECT_NE(check->body.find("data-name=\"master\""), std::string::npos) << "the spectrum's own line is not called the master";
    for (const char* system : {"phone", "car"}) {
        auto preview = client().Get("/api/jobs/" + id + "/preview/" + system);
        ASSERT_TRUE(preview);
        EXPECT_EQ(preview->status, 200) << system;
        EXPECT_GT(preview->body.size(), 100000u) << system;
    }
    EXPECT_EQ(client().Get("/api/jobs/" + id + "/preview/bicycle")->status, 404);
    // The client's file name went nowhere: nothing outside the data folder.
    EXPECT_FALSE(fs::exists(dir_ + "/escape.wav"));
    EXPECT_FALSE(fs::exists(fs::path(dir_).parent_path() / "escape.wav"));
    auto gone = client().Delete("/api/jobs/" + id);
    ASSERT_TRUE(gone);
    EXPECT_EQ(gone->status, 204);
    EXPECT_EQ(client().Get("/api/jobs/" + id)->status, 404);
}

TEST_F(Serve, BadRequestsGetClearErrors) {
    const std::string mix = slurp(dir_ + "/mix.wav");
    const auto status = [&](httplib::MultipartFormDataItems items, const std::string& mentions) {
        auto r = submit(items);
        EXPECT_TRUE(r);
        if (!r) return 0;
        EXPECT_NE(r->body.find(mentions), std::string::npos) << r->body;
        return r->status;
    };
    EXPECT_EQ(status({{"target", "spotify", "", ""}}, "'file'"), 400);
    EXPECT_EQ(status({{"file", "not audio at all", "x.wav", "audio/wav"}}, "not audio"), 415);
    EXPECT_EQ(status({{"file", mix, "m.wav", "audio/wav"}, {"lufs", "loud", "", ""}}, "'lufs'"), 400);
    EXPECT_EQ(status({{"file", mix, "m.wav", "audio/wav"}, {"style", "metal", "", ""}}, "'style'"), 400);
    EXPECT_EQ(status({{"file", mix, "m.wav", "audio/wav"}, {"path", "/etc/passwd", "", ""}}, "unknown field 'path'"), 400);
    for (const char* path :
         {"/api/jobs/../../etc/passwd", "/api/jobs/..%2F..%2Fetc%2Fpasswd/master", "/api/jobs/0123456789abcdef/master"}) {
        auto r = client().Get(path);
        ASSERT_TRUE(r) << path;
        EXPECT_EQ(r->status, 404) << path;
    }
    // A server with a 1 MB limit refuses a larger upload with 413.
    stop();
    start({"--max-upload-mb", "1"});
    auto big = submit({{"file", mix, "m.wav", "audio/wav"}});
    ASSERT_TRUE(big);
    EXPECT_EQ(big->status, 413);
}

// Eight jobs on two workers: all finish, none lost; a restart keeps the finished ones.
TEST_F(Serve, EightJobsOnTwoWorkersAllFinishAndSurviveARestart) {
    const std::string mix = slurp(dir_ + "/mix.wav");
    std::vector<std::string> ids;
    for (int i = 0; i < 8; ++i) {
        auto r = submit({{"file", mix, "m.wav", "audio/wav"}, {"target", "spotify", "", ""}});
        ASSERT_TRUE(r);
        ASSERT_EQ(r->status, 201) << r->body;
        ids.push_back(Json::parse(r->body)["id"]);
    }
    for (const auto& id : ids) EXPECT_EQ(waitFor(id, 120.0)["state"], "done") << id;
    stop();
    start();
    for (const auto& id : ids) {
        auto r = client().Get("/api/jobs/" + id + "/master");
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200) << id;
    }
}

// The page: served at /, self-contained (no address outside this server in it), and it
// renders in headless Chromium with every control there and no console message.
TEST_F(Serve, ThePageIsSelfContainedAndRendersInChromium) {
    auto page = client().Get("/");
    ASSERT_TRUE(page);
    ASSERT_EQ(page->status, 200);
    EXPECT_EQ(page->body.find("http://"), std::string::npos);
    EXPECT_EQ(page->body.find("https://"), std::string::npos);
    EXPECT_EQ(page->body.find("src=\"//"), std::string::npos);
    std::string browser;
    for (const char* name : {"chromium", "chromium-browser"})
        if (haveTool(name)) browser = name;
    if (browser.empty())
        GTEST_SKIP() << "Chromium is not installed (apt-get install chromium; scripts/install-deps.sh does): the page is not rendered";
    const auto dom = runCommand({browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                                 "--user-data-dir=" + dir_ + "/profile", "--enable-logging=stderr", "--v=0", "--dump-dom",
                                 "http://127.0.0.1:" + std::to_string(port_) + "/?token=" + kToken});
    ASSERT_EQ(dom.exitCode, 0) << dom.err;
    EXPECT_EQ(dom.err.find("CONSOLE"), std::string::npos) << dom.err;
    for (const char* id :
         {"drop", "file", "target", "style", "intensity", "format", "reference", "start", "progress", "ab", "audioA", "audioB", "report"})
        EXPECT_NE(dom.out.find(std::string("id=\"") + id + "\""), std::string::npos) << id;
}

}  // namespace
}  // namespace bounce::test
