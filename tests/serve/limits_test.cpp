// bounce serve under hostile and heavy clients (issue 19): limits that count what is
// received whatever the encoding, uploads and downloads streamed through disk rather than
// memory (the server's peak resident memory is read from /proc), and no request or disk
// event that takes the server down.
#include "serve_fixture.h"

#include <future>
#include <mutex>
#include <random>

namespace bounce::test {
namespace {

const std::string kJobHead = "POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + kToken +
                             "\r\nContent-Type: multipart/form-data; boundary=bounceXYZ\r\n";

std::string noise(std::size_t bytes, unsigned seed) {
    std::string text(bytes, '\0');
    std::mt19937 rng(seed);
    for (auto& c : text) c = static_cast<char>(rng());
    return text;
}

// Defect 1: a chunked body is counted as it arrives (it used to be stored whole), and a
// compressed one is refused (204 KB of gzip became a 200 MB input).
TEST_F(Serve, UploadLimitHoldsForChunkedAndCompressedBodies) {
    stop();
    start({"--max-upload-mb", "5"});
    const std::string body = multipartBody({{"file", noise(20u << 20, 1)}});
    EXPECT_EQ(rawRequest(port_, kJobHead, body, true), 413);
    EXPECT_EQ(rawRequest(port_, kJobHead, body, false), 413);
    EXPECT_EQ(rawRequest(port_, kJobHead + "Content-Encoding: gzip\r\n", multipartBody({{"file", "x"}}), false), 415);
    EXPECT_EQ(jobFolders(dir_ + "/data"), 0u) << "a refused upload left its folder";
    EXPECT_EQ(client().Get("/api/health")->status, 200);
}

// Defect 2: uploads go to disk as they arrive; three at once of 100 MB each used to need
// their size in memory (twice).
TEST_F(Serve, UploadsAreStreamedToDisk) {
    stop();
    start({"--max-upload-mb", "200"});
    const std::string body = multipartBody({{"file", noise(100u << 20, 2)}});  // not audio: refused after it is stored
    std::vector<std::future<int>> uploads;
    for (int i = 0; i < 3; ++i)
        uploads.push_back(std::async(std::launch::async, [&, i] { return rawRequest(port_, kJobHead, body, i == 1); }));
    for (auto& u : uploads) EXPECT_EQ(u.get(), 415);
    if (kRssIsMeaningful) {
        EXPECT_LT(peakRssKb(), 60 * 1024) << "the uploads were held in memory";
    }
    EXPECT_EQ(jobFolders(dir_ + "/data"), 0u);
}

// Downloads are read from disk as they are sent: three at once of a 100 MB master.
TEST_F(Serve, DownloadsAreStreamedFromDisk) {
    auto r = submit({{"file", slurp(dir_ + "/mix.wav"), "m.wav", "audio/wav"}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    const std::string id = Json::parse(r->body)["id"];
    ASSERT_EQ(waitFor(id)["state"], "done");
    stop();
    const std::string big = noise(100u << 20, 3);
    std::ofstream(dir_ + "/data/jobs/" + id + "/result/master.wav", std::ios::binary) << big;
    start();  // a fresh process: its peak memory is the downloads'
    std::vector<std::future<std::size_t>> downloads;
    for (int i = 0; i < 3; ++i)
        downloads.push_back(std::async(std::launch::async, [&] {
            std::size_t bytes = 0;
            client().Get("/api/jobs/" + id + "/master", [&](const char*, std::size_t n) {
                bytes += n;
                return true;
            });
            return bytes;
        }));
    for (auto& d : downloads) EXPECT_EQ(d.get(), big.size());
    if (kRssIsMeaningful) {
        EXPECT_LT(peakRssKb(), 60 * 1024) << "the downloads were held in memory";
    }
    // A client that goes away mid-download does not take the server with it (SIGPIPE).
    client().Get("/api/jobs/" + id + "/master", [](const char*, std::size_t) { return false; });
    EXPECT_TRUE(running());
    EXPECT_EQ(client().Get("/api/health")->status, 200);
}

// Defect 6: a running job's folder removed from outside (a cleanup job) used to abort the
// server (the failure's state write threw inside the catch block).
TEST_F(Serve, AJobFolderRemovedWhileItRunsDoesNotStopTheServer) {
    writeFile(dir_ + "/long.wav", pinkishNoise(44100, 120.0, -22.0, 2, 4).view(), 44100, SampleFormat::Pcm24);
    auto r = submit({{"file", slurp(dir_ + "/long.wav"), "m.wav", "audio/wav"}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    const std::string id = Json::parse(r->body)["id"];
    for (int i = 0; i < 500; ++i) {
        auto s = client().Get("/api/jobs/" + id);
        if (s && s->status == 200 && Json::parse(s->body)["state"] == "running") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // The job writes into the folder while it is removed: like `rm -rf`, remove_all can meet
    // a file created after it listed the folder (ENOTEMPTY); a cleanup job tries again.
    std::error_code removeError;
    for (int i = 0; i < 100; ++i) {
        fs::remove_all(dir_ + "/data/jobs/" + id, removeError);
        if (!removeError) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_FALSE(removeError) << removeError.message();
    std::this_thread::sleep_for(std::chrono::seconds(3));  // the master fails meanwhile
    EXPECT_TRUE(running()) << "the server died";
    EXPECT_EQ(client().Get("/api/health")->status, 200);
    EXPECT_EQ(client().Get("/api/jobs/" + id)->status, 404);
}

// Defect 7, first part: a field that is not UTF-8 is a 400 naming it (it was a 500).
TEST_F(Serve, AFieldThatIsNotTextIsRefusedByName) {
    auto r = submit({{"file", slurp(dir_ + "/mix.wav"), "m.wav", "audio/wav"}, {"title", "Caf\xE9 \xFF", "", ""}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_NE(r->body.find("'title'"), std::string::npos) << r->body;
}

}  // namespace
}  // namespace bounce::test

namespace bounce::test {
namespace {

// A connection that sends a request's headers a byte at a time, `gapMs` apart, until the
// server hangs up or `until`; then the next, while `until` lasts.
void trickleHeaders(int port, std::chrono::steady_clock::time_point until, int gapMs) {
    const std::string request = "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(200, 'a') + "\r\n\r\n";
    while (std::chrono::steady_clock::now() < until) {
        const int s = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        if (::connect(s, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
            for (char c : request) {
                if (std::chrono::steady_clock::now() >= until || ::send(s, &c, 1, MSG_NOSIGNAL) != 1) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(gapMs));
            }
        }
        ::close(s);
    }
}

// Defects 3 and 4 under load: 64 clients trickling their headers (eight used to lock
// everyone out) while 100 jobs are submitted: the health check is answered within a second
// throughout, the queue answers 429 past its bound, the server's memory stays small, and
// every job it accepted is done after a restart.
TEST_F(Serve, UnderLoadItKeepsAnsweringAndLosesNothing) {
    stop();
    start({"--max-queue", "8"});
    writeFile(dir_ + "/short.wav", pinkishNoise(44100, 3.0, -22.0, 2, 5).view(), 44100, SampleFormat::Pcm24);
    const std::string mix = slurp(dir_ + "/short.wav");
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(14);
    std::vector<std::thread> slow;
    for (int i = 0; i < 64; ++i) slow.emplace_back(trickleHeaders, port_, until, 300);
    std::vector<std::string> accepted;
    int refused = 0;
    std::mutex mutex;
    std::vector<std::thread> submitters;
    for (int k = 0; k < 4; ++k)
        submitters.emplace_back([&] {
            for (int i = 0; i < 25; ++i) {
                auto r = submit({{"file", mix, "m.wav", "audio/wav"}});
                std::lock_guard<std::mutex> lock(mutex);
                if (r && r->status == 201) accepted.push_back(Json::parse(r->body)["id"]);
                if (r && r->status == 429) ++refused;
            }
        });
    double worstSeconds = 0;
    int answered = 0, asked = 0;
    while (std::chrono::steady_clock::now() + std::chrono::seconds(1) < until) {
        const auto start = std::chrono::steady_clock::now();
        httplib::Client c("127.0.0.1", port_);
        c.set_connection_timeout(2, 0);
        c.set_read_timeout(2, 0);
        const auto r = c.Get("/api/health");
        ++asked;
        if (r && r->status == 200) ++answered;
        worstSeconds = std::max(worstSeconds, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    for (auto& t : submitters) t.join();
    for (auto& t : slow) t.join();
    EXPECT_EQ(answered, asked);
    EXPECT_LT(worstSeconds, 1.0);
    if (kRssIsMeaningful) {
        EXPECT_LT(peakRssKb(), 150 * 1024);
    }
    EXPECT_GT(refused, 0) << "the queue took all 100";
    EXPECT_EQ(accepted.size() + static_cast<std::size_t>(refused), 100u);
    stop();
    start({"--max-queue", "8"});
    for (const auto& id : accepted) EXPECT_EQ(waitFor(id, 120.0)["state"], "done") << id;
}

}  // namespace
}  // namespace bounce::test

namespace bounce::test {
namespace {

// Defect 4: the queue is bounded (429 with Retry-After past it), and nothing it accepted
// is lost across a restart.
TEST_F(Serve, TheQueueIsBoundedAndKeepsWhatItAccepted) {
    stop();
    start({"--max-queue", "4"});
    const std::string mix = slurp(dir_ + "/mix.wav");
    std::vector<std::string> accepted;
    int refused = 0;
    for (int i = 0; i < 20; ++i) {
        auto r = submit({{"file", mix, "m.wav", "audio/wav"}});
        ASSERT_TRUE(r);
        if (r->status == 201) {
            accepted.push_back(Json::parse(r->body)["id"]);
        } else {
            EXPECT_EQ(r->status, 429) << r->body;
            EXPECT_GE(std::atoi(r->get_header_value("Retry-After").c_str()), 1);
            ++refused;
        }
    }
    EXPECT_GT(refused, 0);
    EXPECT_LE(accepted.size(), 4u + 2u) << "more than the queue and the two workers can hold";
    stop();
    // An upload cut by the stop (a folder without a state) is not a job: it goes at the start.
    fs::create_directories(dir_ + "/data/jobs/00000000000000aa");
    std::ofstream(dir_ + "/data/jobs/00000000000000aa/input") << "half an upload";
    start({"--max-queue", "4"});
    // The queued ones run after the restart, and so do the ones that were running.
    for (const auto& id : accepted) {
        const Json state = waitFor(id, 120.0);
        EXPECT_EQ(state["state"], "done") << id << ": " << state.dump();
    }
    EXPECT_FALSE(fs::exists(dir_ + "/data/jobs/00000000000000aa"));
}

// Defect 4: finished jobs expire after --keep-hours, and a disk budget bounds what jobs
// may hold (507 past it).
TEST_F(Serve, FinishedJobsExpireAndTheDiskBudgetHolds) {
    stop();
    start({"--keep-hours", "0.0005", "--disk-budget-mb", "12"});  // 1.8 s; the mix is 4 MB
    const std::string mix = slurp(dir_ + "/mix.wav");
    auto first = submit({{"file", mix, "m.wav", "audio/wav"}});
    ASSERT_TRUE(first);
    ASSERT_EQ(first->status, 201) << first->body;
    const std::string id = Json::parse(first->body)["id"];
    ASSERT_EQ(waitFor(id)["state"], "done");
    // Its input, master and previews now hold the budget: the next upload does not fit.
    auto second = submit({{"file", mix, "m.wav", "audio/wav"}});
    ASSERT_TRUE(second);
    EXPECT_EQ(second->status, 507) << second->body;
    EXPECT_EQ(jobFolders(dir_ + "/data"), 1u);
    std::this_thread::sleep_for(std::chrono::milliseconds(3000));
    EXPECT_EQ(client().Get("/api/jobs/" + id)->status, 404) << "the finished job did not expire";
    EXPECT_EQ(jobFolders(dir_ + "/data"), 0u);
    auto third = submit({{"file", mix, "m.wav", "audio/wav"}});  // the budget is free again
    ASSERT_TRUE(third);
    EXPECT_EQ(third->status, 201) << third->body;
}

}  // namespace
}  // namespace bounce::test

namespace bounce::test {
namespace {

// Defect 5: the token on every API call, no cross-origin writes, only this server's names
// as Host, the page signing in through a cookie, and a loud warning off loopback.
TEST_F(Serve, OnlyThoseWithTheTokenGetIn) {
    const std::string mix = slurp(dir_ + "/mix.wav");
    httplib::Client anonymous("127.0.0.1", port_);
    EXPECT_EQ(anonymous.Get("/api/health")->status, 200);  // the health check is open
    auto none = anonymous.Post("/api/jobs", httplib::MultipartFormDataItems{{"file", mix, "m.wav", "audio/wav"}});
    ASSERT_TRUE(none);
    EXPECT_EQ(none->status, 401);
    httplib::Client wrong("127.0.0.1", port_);
    wrong.set_bearer_token_auth("test-token-5f0c1d2e3a4c");
    EXPECT_EQ(wrong.Get("/api/jobs/0123456789abcdef")->status, 401);
    EXPECT_EQ(anonymous.Get("/")->status, 401) << "the page without the token";

    // A page elsewhere posting to this server (the browser names it in Origin).
    auto crossSite = client().Post("/api/jobs", httplib::Headers{{"Origin", "http://evil.example"}},
                                   httplib::MultipartFormDataItems{{"file", mix, "m.wav", "audio/wav"}});
    ASSERT_TRUE(crossSite);
    EXPECT_EQ(crossSite->status, 403);
    // DNS rebinding: a name that is not this server's, even with the token.
    auto rebound = client().Get("/api/health", httplib::Headers{{"Host", "evil.example:" + std::to_string(port_)}});
    ASSERT_TRUE(rebound);
    EXPECT_EQ(rebound->status, 403);
    EXPECT_EQ(jobFolders(dir_ + "/data"), 0u);

    // The page signs in once: a cookie (HttpOnly, SameSite=Strict), then the API takes it.
    auto signIn = anonymous.Get("/?token=" + kToken);
    ASSERT_TRUE(signIn);
    EXPECT_EQ(signIn->status, 303);
    const std::string cookie = signIn->get_header_value("Set-Cookie");
    EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
    EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
    const httplib::Headers withCookie{{"Cookie", cookie.substr(0, cookie.find(';'))},
                                      {"Origin", "http://127.0.0.1:" + std::to_string(port_)}};
    auto fromPage = anonymous.Post("/api/jobs", withCookie, httplib::MultipartFormDataItems{{"file", mix, "m.wav", "audio/wav"}});
    ASSERT_TRUE(fromPage);
    EXPECT_EQ(fromPage->status, 201) << fromPage->body;

    // Off loopback, the server says loudly what that means.
    const auto open = runCommand({"timeout", "2", BOUNCE_CLI, "serve", "--host", "0.0.0.0", "--port", std::to_string(freePort()), "--data",
                                  dir_ + "/open-data", "--log", "text"});
    EXPECT_NE(open.err.find("WARNING"), std::string::npos) << open.err;
    EXPECT_NE(open.err.find("TLS"), std::string::npos) << open.err;
    // And as a warning event where the log is JSON (standard error not a terminal, as here).
    const auto logged = runCommand(
        {"timeout", "2", BOUNCE_CLI, "serve", "--host", "0.0.0.0", "--port", std::to_string(freePort()), "--data", dir_ + "/open-data"});
    EXPECT_NE(logged.err.find(R"("level":"warning","component":"serve","event":"reachable-from-other-machines")"), std::string::npos)
        << logged.err;
    EXPECT_NE(logged.err.find("TLS"), std::string::npos) << logged.err;
    EXPECT_EQ(logged.err.find("token="), std::string::npos) << "the token went into a log";
    // The token made on the first start is kept, readable by its owner only.
    EXPECT_EQ(fs::status(dir_ + "/open-data/token").permissions() & fs::perms::others_read, fs::perms::none);
}

}  // namespace
}  // namespace bounce::test
