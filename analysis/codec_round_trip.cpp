#include "bounce/codec_round_trip.h"

#include "bounce/atomic_output.h"

#include "bounce/analysis.h"
#include "bounce/error.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace bounce {
namespace fs = std::filesystem;

namespace {

extern "C" char** environ;

// Runs a program (looked up on the PATH, no shell) with its output discarded; its exit
// code, or -1 when it could not be started.
int runTool(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    const int started = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (started != 0) return -1;
    const ChildProcessGuard guard(pid);  // stopped if the run is interrupted
    int status = 0;
    if (waitpid(pid, &status, 0) < 0) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct RoundTripCodec {
    const char* name;
    const char* encoder;
    const char* extension;
    int kbps;
};
constexpr RoundTripCodec kCodecs[] = {{"aac", "aac", ".m4a", 256}, {"mp3", "libmp3lame", ".mp3", 320}, {"opus", "libopus", ".opus", 160}};

}  // namespace

const std::vector<std::string>& roundTripCodecs() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (const auto& c : kCodecs) v.push_back(c.name);
        return v;
    }();
    return names;
}

bool ffmpegAvailable() { return runTool({"ffmpeg", "-nostdin", "-version"}) == 0; }

// Lossy round trips: each codec at a common streaming bitrate, encoded and decoded by
// ffmpeg in a private temporary folder; the decoded file's true peak.
std::vector<CodecCheck> codecRoundTrips(const std::string& path, const std::vector<std::string>& only) {
    std::vector<CodecCheck> out;
    std::string folder = (fs::temp_directory_path() / "bounce-check-XXXXXX").string();
    if (!mkdtemp(folder.data())) return out;
    // The folder and everything in it go however the run ends (an interrupt included).
    const ScratchPath scratch(folder);
    for (const auto& c : kCodecs) {
        if (!only.empty() && std::find(only.begin(), only.end(), c.name) == only.end()) continue;
        CodecCheck check;
        check.codec = c.name;
        check.bitrateKbps = c.kbps;
        const ScratchPath encoded(folder + "/encoded" + c.extension), decoded(folder + "/decoded.wav");
        if (runTool({"ffmpeg", "-nostdin", "-v", "error", "-y", "-i", path, "-c:a", c.encoder, "-b:a", std::to_string(c.kbps) + "k",
                     encoded.path()}) == 0 &&
            runTool({"ffmpeg", "-nostdin", "-v", "error", "-y", "-i", encoded.path(), "-c:a", "pcm_f32le", decoded.path()}) == 0) {
            try {
                check.truePeakDbtp = analyzeFile(decoded.path()).truePeakDbtp;
                check.available = true;
            } catch (const Error&) {}
        }
        out.push_back(check);
    }
    return out;
}

}  // namespace bounce
