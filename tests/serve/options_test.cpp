// bounce serve takes every option of bounce master, through the one parse both use
// (issue 19, defects 7 and 8): repeated --set, --match with references, --rate, tags that
// reach the file, dry runs; the reports name the client's files, never the server's paths;
// progress moves as the work does; the caller's jobs are listed; downloads are named after
// the upload; the status's figures are rounded.
#include "serve_fixture.h"

#include <chrono>
#include <cmath>
#include <thread>

namespace bounce::test {
namespace {

std::string submitOk(httplib::Client client, const httplib::MultipartFormDataItems& items) {
    auto r = client.Post("/api/jobs", items);
    if (!r || r->status != 201) {
        ADD_FAILURE() << (r ? r->body : std::string("no answer"));
        return "";
    }
    return Json::parse(r->body)["id"];
}

TEST_F(Serve, EveryMasterOptionWorksAndTheReportsNameTheClientsFiles) {
    writeFile(dir_ + "/ref.wav", pinkishNoise(44100, 10.0, -14.0, 2, 9).view(), 44100, SampleFormat::Pcm24);
    const std::string id = submitOk(client(), {{"file", slurp(dir_ + "/mix.wav"), "My Mix.wav", "audio/wav"},
                                               {"reference", slurp(dir_ + "/ref.wav"), "Their Song.wav", "audio/wav"},
                                               {"match", "tone=0.5,width=1,loudness=1,dynamics=0.5", "", ""},
                                               {"set", "width.width=1.1", "", ""},
                                               {"set", "limiter.release_ms=120", "", ""},
                                               {"rate", "48000", "", ""},
                                               {"format", "flac", "", ""},
                                               {"track", "3/10", "", ""},
                                               {"title", "Song", "", ""}});
    ASSERT_FALSE(id.empty());
    const Json state = waitFor(id);
    ASSERT_EQ(state["state"], "done") << state.dump();
    // The status's figures to their meaningful digits.
    const double lufs = state["integrated_lufs"];
    EXPECT_NEAR(lufs * 10.0, std::round(lufs * 10.0), 1e-6) << state.dump();

    auto master = client().Get("/api/jobs/" + id + "/master");
    ASSERT_TRUE(master);
    ASSERT_EQ(master->status, 200);
    EXPECT_EQ(master->get_header_value("Content-Disposition"), "attachment; filename=\"My Mix.master.flac\"");
    std::ofstream(dir_ + "/got.flac", std::ios::binary) << master->body;
    double rate = 0;
    readWholeFile(dir_ + "/got.flac", &rate);
    EXPECT_EQ(rate, 48000.0) << "rate was not applied";
    if (haveTool("ffprobe")) {
        const auto tags = runCommand({"ffprobe", "-hide_banner", "-show_format", dir_ + "/got.flac"});
        EXPECT_NE(tags.out.find("TAG:track=3"), std::string::npos) << tags.out;
        EXPECT_NE(tags.out.find("TAG:TRACKTOTAL=10"), std::string::npos) << tags.out;
    }
    // The reports: the client's names, none of the server's paths.
    for (const char* report : {"/report.json", "/report.html"}) {
        auto r = client().Get("/api/jobs/" + id + report);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->body.find(dir_), std::string::npos) << report << " shows the server's paths";
        EXPECT_NE(r->body.find("My Mix"), std::string::npos) << report;
    }
    const Json report = Json::parse(client().Get("/api/jobs/" + id + "/report.json")->body);
    EXPECT_NE(report.dump().find("Their Song.wav"), std::string::npos);
    EXPECT_NE(report.dump().find("1.1"), std::string::npos) << "the width override is not in the report";

    // The caller's jobs.
    auto list = client().Get("/api/jobs");
    ASSERT_TRUE(list);
    ASSERT_EQ(list->status, 200);
    const Json jobs = Json::parse(list->body)["jobs"];
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(jobs[0]["id"], id);
}

// A lossy delivery through the service: the master is an MP3, served as audio/mpeg and
// named so, measured decoded like bounce master's.
TEST_F(Serve, AnMp3MasterIsServedAsOne) {
    const std::string id = submitOk(
        client(), {{"file", slurp(dir_ + "/mix.wav"), "Song.wav", "audio/wav"}, {"format", "mp3", "", ""}, {"bitrate", "192", "", ""}});
    ASSERT_FALSE(id.empty());
    const Json state = waitFor(id);
    ASSERT_EQ(state["state"], "done") << state.dump();
    auto master = client().Get("/api/jobs/" + id + "/master");
    ASSERT_TRUE(master && master->status == 200);
    EXPECT_EQ(master->get_header_value("Content-Type"), "audio/mpeg");
    EXPECT_NE(master->get_header_value("Content-Disposition").find("Song.master.mp3"), std::string::npos);
    std::ofstream(dir_ + "/got.mp3", std::ios::binary) << master->body;
    EXPECT_EQ(SoundFileReader(dir_ + "/got.mp3").info().format, FileFormat::Mp3);
}

TEST_F(Serve, ADryRunReportsAndWritesNoMaster) {
    const std::string id = submitOk(client(), {{"file", slurp(dir_ + "/mix.wav"), "m.wav", "audio/wav"}, {"dry-run", "true", "", ""}});
    ASSERT_FALSE(id.empty());
    EXPECT_EQ(waitFor(id)["state"], "done");
    EXPECT_EQ(client().Get("/api/jobs/" + id + "/master")->status, 404);
    EXPECT_EQ(client().Get("/api/jobs/" + id + "/report.json")->status, 200);
}

// Defect 8: progress moved 10 % -> 80 % -> 100 %; now it follows the analysis and each
// render pass as they read the input, never going back.
TEST_F(Serve, ProgressFollowsTheWork) {
    writeFile(dir_ + "/long.wav", pinkishNoise(44100, 90.0, -22.0, 2, 8).view(), 44100, SampleFormat::Pcm24);
    const std::string id = submitOk(client(), {{"file", slurp(dir_ + "/long.wav"), "m.wav", "audio/wav"}});
    ASSERT_FALSE(id.empty());
    std::vector<int> seen;
    // Until it ends (a deadline, not a count of polls: on a loaded machine the job is slower).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(240);
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = client().Get("/api/jobs/" + id);
        if (!r || r->status != 200) continue;
        const Json state = Json::parse(r->body);
        const int progress = state.value("progress", 0);
        if (seen.empty() || seen.back() != progress) seen.push_back(progress);
        if (state["state"] == "done" || state["state"] == "failed") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.back(), 100);
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end())) << "progress went back";
    EXPECT_GE(seen.size(), 8u) << "progress moved in few steps";
}

}  // namespace
}  // namespace bounce::test
