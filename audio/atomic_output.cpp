#include "bounce/atomic_output.h"

#include "bounce/error.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <sys/stat.h>
#include <unistd.h>

namespace bounce {
namespace fs = std::filesystem;

namespace {

// What a signal handler must clean up: temporaries and scratch paths (files unlinked,
// folders removed once empty) and child processes (stopped). A handler may not allocate
// or lock, so each is a node of a list that only grows: registering pushes a node (or
// reuses a free one) with atomics, unregistering clears its value, and the handler walks
// the list newest first (so a scratch folder's files go before the folder). The list
// holds as many as are open at once; nothing limits the count.
struct CleanupNode {
    std::atomic<const char*> path{nullptr};
    std::atomic<pid_t> child{0};
    std::atomic<bool> used{true};
    CleanupNode* next = nullptr;
};
std::atomic<CleanupNode*> gCleanup{nullptr};

CleanupNode* claimNode() {
    for (CleanupNode* n = gCleanup.load(std::memory_order_acquire); n; n = n->next) {
        bool expected = false;
        if (n->used.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) return n;
    }
    auto* node = new CleanupNode;  // never freed: reused while the program runs
    node->next = gCleanup.load(std::memory_order_relaxed);
    while (!gCleanup.compare_exchange_weak(node->next, node, std::memory_order_release, std::memory_order_relaxed)) {}
    return node;
}

void registerTemporary(const char* path) { claimNode()->path.store(path, std::memory_order_release); }

void unregisterTemporary(const char* path) {
    for (CleanupNode* n = gCleanup.load(std::memory_order_acquire); n; n = n->next) {
        const char* expected = path;
        if (n->path.compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel)) {
            n->used.store(false, std::memory_order_release);
            return;
        }
    }
}

extern "C" void removeTemporariesAndExit(int signalNumber) {
    // Children first (they may be writing into a scratch folder), then files, then the
    // (now empty) folders: kill, unlink and rmdir are all async-signal-safe, and unlink and
    // rmdir each fail harmlessly on the other kind.
    for (CleanupNode* n = gCleanup.load(std::memory_order_acquire); n; n = n->next)
        if (const pid_t child = n->child.load(std::memory_order_acquire)) ::kill(child, SIGTERM);
    for (CleanupNode* n = gCleanup.load(std::memory_order_acquire); n; n = n->next)
        if (const char* path = n->path.load(std::memory_order_acquire)) ::unlink(path);
    for (CleanupNode* n = gCleanup.load(std::memory_order_acquire); n; n = n->next)
        if (const char* path = n->path.load(std::memory_order_acquire)) ::rmdir(path);
    ::_exit(128 + signalNumber);
}

}  // namespace

void ensureNotAnInput(const std::string& output, const std::vector<std::string>& inputs) {
    for (const auto& input : inputs) {
        std::error_code ec;
        const bool samePath = fs::weakly_canonical(output, ec) == fs::weakly_canonical(input, ec);
        const bool sameFile = fs::exists(output, ec) && fs::exists(input, ec) && fs::equivalent(output, input, ec);
        if (samePath || sameFile) throw Error(output + ": is an input of this run; refusing to overwrite it");
    }
}

AtomicOutputFile::AtomicOutputFile(std::string targetPath, const std::vector<std::string>& inputs) : targetPath_(std::move(targetPath)) {
    ensureNotAnInput(targetPath_, inputs);
    const fs::path target(targetPath_);
    std::error_code ec;
    if (fs::is_directory(target, ec)) throw Error(targetPath_ + ": is a directory");
    const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
    if (!fs::is_directory(folder, ec)) throw Error(targetPath_ + ": folder " + folder.string() + " does not exist");
    // A name no one can predict, created here with O_EXCL (mkstemps), so that a file or a
    // symbolic link planted in advance is never written through; the extension stays last
    // so that libraries choosing a format by name still see it.
    const std::string extension = target.extension().string();
    std::string pattern = (folder / ("." + target.stem().string() + ".bounce-XXXXXX" + extension)).string();
    const int fd = ::mkstemps(pattern.data(), static_cast<int>(extension.size()));
    if (fd < 0) throw Error(targetPath_ + ": cannot create a temporary beside it (" + std::strerror(errno) + ")");
    // mkstemps makes it 0600; a finished output gets the usual 0666 less the umask.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd, 0666 & ~mask);
    ::close(fd);
    tempPath_ = pattern;
    registerTemporary(tempPath_.c_str());
}

AtomicOutputFile::~AtomicOutputFile() {
    unregisterTemporary(tempPath_.c_str());
    if (!committed_) {
        std::error_code ec;
        fs::remove(tempPath_, ec);
    }
}

void AtomicOutputFile::commit() {
    if (committed_) return;
    std::error_code ec;
    fs::rename(tempPath_, targetPath_, ec);
    if (ec) throw Error(targetPath_ + ": cannot move the finished output into place (" + ec.message() + ")");
    committed_ = true;
    unregisterTemporary(tempPath_.c_str());
}

void writeTextFile(const std::string& path, const std::string& text, const std::vector<std::string>& inputs) {
    AtomicOutputFile output(path, inputs);
    std::FILE* file = std::fopen(output.tempPath().c_str(), "wb");
    if (!file) throw Error(path + ": cannot write (" + std::strerror(errno) + ")");
    const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size() && std::fflush(file) == 0;
    const int error = written ? 0 : errno;
    // A full disk may only show at close (the data were buffered): that is checked too.
    if (std::fclose(file) != 0 || !written) throw Error(path + ": cannot write (" + std::strerror(error ? error : errno) + ")");
    output.commit();
}

ScratchPath::ScratchPath(std::string path) : path_(std::move(path)) { registerTemporary(path_.c_str()); }

ScratchPath::~ScratchPath() {
    unregisterTemporary(path_.c_str());
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

ChildProcessGuard::ChildProcessGuard(pid_t pid) : node_(claimNode()) {
    static_cast<CleanupNode*>(node_)->child.store(pid, std::memory_order_release);
}

ChildProcessGuard::~ChildProcessGuard() {
    auto* node = static_cast<CleanupNode*>(node_);
    node->child.store(0, std::memory_order_release);
    node->used.store(false, std::memory_order_release);
}

void installOutputCleanupOnSignal() {
    struct sigaction action {};
    action.sa_handler = removeTemporariesAndExit;
    sigemptyset(&action.sa_mask);
    for (int signalNumber : {SIGINT, SIGTERM, SIGHUP}) sigaction(signalNumber, &action, nullptr);
}

}  // namespace bounce
