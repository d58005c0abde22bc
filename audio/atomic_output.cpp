#include "bounce/atomic_output.h"

#include "bounce/error.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <system_error>
#include <vector>
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
    // An output of an OutputSet that is committing: on an interrupt, once its move has
    // begun (movedTarget), the backup (the file it replaced) is renamed back onto it, or,
    // with none, it is removed; before that, only the backup is removed.
    std::atomic<const char*> movedTarget{nullptr};
    std::atomic<const char*> movedBackup{nullptr};
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

void releaseMoved(CleanupNode* node) {
    node->movedTarget.store(nullptr, std::memory_order_release);
    node->movedBackup.store(nullptr, std::memory_order_release);
    node->used.store(false, std::memory_order_release);
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
    // Children first (they may be writing into a scratch folder), then a half-committed
    // OutputSet put back, then files, then the (now empty) folders: kill, rename, unlink and
    // rmdir are all async-signal-safe, and unlink and rmdir each fail harmlessly on the
    // other kind.
    for (CleanupNode* n = gCleanup.load(std::memory_order_acquire); n; n = n->next)
        if (const pid_t child = n->child.load(std::memory_order_acquire)) ::kill(child, SIGTERM);
    for (CleanupNode* n = gCleanup.load(std::memory_order_acquire); n; n = n->next) {
        const char* target = n->movedTarget.load(std::memory_order_acquire);
        const char* backup = n->movedBackup.load(std::memory_order_acquire);
        if (target && backup) {
            ::rename(backup, target);
        } else if (target) {
            ::unlink(target);
        } else if (backup) {
            ::unlink(backup);
        }
    }
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

TextOutput::TextOutput(std::string targetPath, const std::vector<std::string>& inputs)
    : own_(std::make_unique<AtomicOutputFile>(std::move(targetPath), inputs)), file_(own_.get()) {
    open();
}

TextOutput::TextOutput(AtomicOutputFile& file) : file_(&file) { open(); }

// O_NOFOLLOW: the temporary is the regular file mkstemps made, never a link put in its place.
void TextOutput::open() {
    const int fd = ::open(file_->tempPath().c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) stream_ = ::fdopen(fd, "wb");
    if (!stream_) {
        const int error = errno;
        if (fd >= 0) ::close(fd);
        throw Error(file_->targetPath() + ": cannot write (" + std::strerror(error) + ")");
    }
}

TextOutput::~TextOutput() {
    if (stream_) std::fclose(stream_);
}

void TextOutput::write(const std::string& text) {
    if (!error_ && std::fwrite(text.data(), 1, text.size(), stream_) != text.size()) error_ = errno ? errno : EIO;
}

void TextOutput::close() {
    if (!stream_) return;
    if (!error_ && std::fflush(stream_) != 0) error_ = errno;
    // A full disk may only show at close (the data were buffered): that is checked too.
    if (std::fclose(stream_) != 0 && !error_) error_ = errno;
    stream_ = nullptr;
    if (error_) throw Error(file_->targetPath() + ": cannot write (" + std::strerror(error_) + ")");
}

void TextOutput::commit() {
    close();
    if (own_) own_->commit();
}

void writeTextFile(const std::string& path, const std::string& text, const std::vector<std::string>& inputs) {
    TextOutput output(path, inputs);
    output.write(text);
    output.commit();
}

OutputSet::~OutputSet() {
    files_.clear();  // uncommitted, their temporaries go
    if (committed_) return;
    for (auto folder = folders_.rbegin(); folder != folders_.rend(); ++folder) {
        unregisterTemporary(folder->c_str());
        ::rmdir(folder->c_str());  // only if empty: never a file of someone else's
    }
}

void OutputSet::createFolder(const std::string& folder) {
    std::error_code ec;
    std::vector<fs::path> missing;  // innermost first
    for (fs::path p = fs::path(folder).lexically_normal(); !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
        missing.push_back(p);
        if (p == p.parent_path()) break;
    }
    for (auto p = missing.rbegin(); p != missing.rend(); ++p) {
        if (::mkdir(p->c_str(), 0777) != 0) {
            if (errno == EEXIST) continue;  // made meanwhile by someone else: not ours to remove
            throw Error(folder + ": cannot create the folder (" + std::strerror(errno) + ")");
        }
        folders_.push_back(p->string());
        registerTemporary(folders_.back().c_str());
    }
    if (!fs::is_directory(folder, ec)) throw Error(folder + ": is not a folder");
}

AtomicOutputFile& OutputSet::add(std::string targetPath, const std::vector<std::string>& inputs) {
    files_.push_back(std::make_unique<AtomicOutputFile>(std::move(targetPath), inputs));
    return *files_.back();
}

void OutputSet::adopt(std::unique_ptr<AtomicOutputFile> file) { files_.push_back(std::move(file)); }

void OutputSet::commit() {
    if (committed_) return;
    // What each target replaces is kept under a second name (a hard link: nothing is copied)
    // until every move has succeeded. The name extends the output's own unpredictable
    // temporary; link() never follows a symbolic link planted there, it fails. Each output
    // has a node from here on, so that an interrupt removes the backups made so far, and
    // puts back the outputs already moved.
    std::vector<std::string> backups(files_.size());
    nodes_.clear();
    for (std::size_t i = 0; i < files_.size(); ++i) {
        auto* node = claimNode();
        nodes_.push_back(node);
        struct stat st {};
        if (::lstat(files_[i]->targetPath().c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
        backups[i] = files_[i]->tempPath() + ".replaced";
        if (::link(files_[i]->targetPath().c_str(), backups[i].c_str()) != 0) {
            backups[i].clear();
            continue;
        }
        node->movedBackup.store(backups[i].c_str(), std::memory_order_release);
    }
    for (std::size_t i = 0; i < files_.size(); ++i) {
        static_cast<CleanupNode*>(nodes_[i])->movedTarget.store(files_[i]->targetPath().c_str(), std::memory_order_release);
        try {
            files_[i]->commit();
        } catch (...) {
            rollBack(i, backups);
            throw;
        }
    }
    for (std::size_t i = 0; i < files_.size(); ++i) {
        releaseMoved(static_cast<CleanupNode*>(nodes_[i]));
        if (!backups[i].empty()) ::unlink(backups[i].c_str());
    }
    nodes_.clear();
    committed_ = true;
    for (const auto& folder : folders_) unregisterTemporary(folder.c_str());
}

// Puts back the first `moved` outputs and removes the other backups.
void OutputSet::rollBack(std::size_t moved, const std::vector<std::string>& backups) {
    for (std::size_t i = 0; i < files_.size(); ++i) {
        if (i < moved) {
            if (!backups[i].empty()) {
                ::rename(backups[i].c_str(), files_[i]->targetPath().c_str());
            } else {
                ::unlink(files_[i]->targetPath().c_str());
            }
        } else if (!backups[i].empty()) {
            ::unlink(backups[i].c_str());
        }
        releaseMoved(static_cast<CleanupNode*>(nodes_[i]));
    }
    nodes_.clear();
}

ScratchPath::ScratchPath(std::string path) : path_(std::move(path)) { registerTemporary(path_.c_str()); }

ScratchPath::~ScratchPath() {
    unregisterTemporary(path_.c_str());
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

ScratchFolder::ScratchFolder(const std::string& prefix) {
    std::string pattern = (fs::temp_directory_path() / ("bounce-" + prefix + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data())) folder_ = std::make_unique<ScratchPath>(pattern);
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

void syncToDisk(const std::string& path, bool withContents) {
    namespace fs = std::filesystem;
    std::vector<fs::path> paths{path};
    std::error_code ec;
    if (withContents && fs::is_directory(path, ec))
        for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
            paths.push_back(it->path());
    for (const auto& p : paths) {
        const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw Error(p.string() + ": cannot open it to flush it to the disk (" + std::strerror(errno) + ")");
        const int synced = ::fsync(fd);
        const int error = errno;
        ::close(fd);
        if (synced != 0) throw Error(p.string() + ": cannot flush it to the disk (" + std::strerror(error) + ")");
    }
}

}  // namespace bounce
