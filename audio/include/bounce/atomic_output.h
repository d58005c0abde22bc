// Outputs appear whole or not at all.
//
// An AtomicOutputFile creates a temporary beside the target (same folder, so the final
// rename is atomic on POSIX file systems; a random name made with O_EXCL, so nothing
// planted in advance, a symbolic link included, is written through); commit() renames it onto the target. If
// the object dies uncommitted (an exception, an early return) the temporary is removed,
// and a SIGINT/SIGTERM handler installed by installOutputCleanupOnSignal() removes every
// temporary still open, so an interrupted run leaves nothing half-written.
#pragma once

#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace bounce {

// Throws bounce::Error when `output` names the same file as one of `inputs` (same path
// or, where both exist, the same inode: hard links and symlinks count).
void ensureNotAnInput(const std::string& output, const std::vector<std::string>& inputs);

class AtomicOutputFile {
public:
    // Checks that the target is not one of the inputs and that its folder exists.
    explicit AtomicOutputFile(std::string targetPath, const std::vector<std::string>& inputs = {});
    ~AtomicOutputFile();
    AtomicOutputFile(const AtomicOutputFile&) = delete;
    AtomicOutputFile& operator=(const AtomicOutputFile&) = delete;

    const std::string& tempPath() const noexcept { return tempPath_; }
    const std::string& targetPath() const noexcept { return targetPath_; }

    // Renames the temporary onto the target. Throws bounce::Error on failure.
    void commit();

private:
    std::string targetPath_;
    std::string tempPath_;
    bool committed_ = false;
};

// A run's outputs that belong together (an album's files, a mix and its stems, check's
// previews): each is written to its own temporary, then commit() moves them all into
// place, or none. If a move fails, the set puts back what it had moved (a file it replaced
// is restored from a hard link kept for the length of the commit; on a file system
// without hard links it can only remove) and throws; an interrupt during the commit does
// the same. A set that dies uncommitted removes its temporaries, and the folders it
// created if they are empty.
class OutputSet {
public:
    OutputSet() = default;
    ~OutputSet();
    OutputSet(const OutputSet&) = delete;
    OutputSet& operator=(const OutputSet&) = delete;

    // Creates `folder` (and its missing parents) for this set's outputs.
    void createFolder(const std::string& folder);
    // A new output of the set (see AtomicOutputFile).
    AtomicOutputFile& add(std::string targetPath, const std::vector<std::string>& inputs = {});
    // An output written elsewhere (OutputWriter with OutputSpec::set) joins the set.
    void adopt(std::unique_ptr<AtomicOutputFile> file);
    // Moves every output into place, or none (see above). Throws bounce::Error.
    void commit();

private:
    void rollBack(std::size_t moved, const std::vector<std::string>& backups);

    std::vector<std::unique_ptr<AtomicOutputFile>> files_;
    std::deque<std::string> folders_;  // created by this set, outermost first (a deque: the signal handler holds their c_str())
    std::vector<void*> nodes_;         // the signal handler's record of each move during commit()
    bool committed_ = false;
};

// Text written into an output's temporary as it comes (a loudness curve, a CUE sheet),
// opened without following a link, every write and the close checked: a full disk is an
// error naming the file, never an empty or cut report.
class TextOutput {
public:
    // Into a temporary of its own for `targetPath` (not one of `inputs`), committed by commit().
    explicit TextOutput(std::string targetPath, const std::vector<std::string>& inputs = {});
    // Into `file`'s temporary; its owner commits it.
    explicit TextOutput(AtomicOutputFile& file);
    ~TextOutput();
    TextOutput(const TextOutput&) = delete;
    TextOutput& operator=(const TextOutput&) = delete;

    void write(const std::string& text);
    // Flushes and closes (checked). Throws bounce::Error naming the target.
    void close();
    // close(), then the output of its own moved into place.
    void commit();

private:
    void open();

    std::unique_ptr<AtomicOutputFile> own_;
    AtomicOutputFile* file_;
    std::FILE* stream_ = nullptr;
    int error_ = 0;  // the first failed write's errno
};

// Writes `text` to `path` through a TextOutput of its own (not one of `inputs`).
void writeTextFile(const std::string& path, const std::string& text, const std::vector<std::string>& inputs = {});

// Flushes `path` to the disk (fsync): a file, or a folder's entries and, `withContents`,
// everything under it. A result is durable before anyone is told it is done (a worker's
// acknowledgement to the broker). Throws Error naming the path.
void syncToDisk(const std::string& path, bool withContents = true);

// An intermediate that is not an output (a scratch file, or a folder of them created
// before its files' ScratchPaths): removed when this dies, and by the signal handler if
// the run is interrupted first.
class ScratchPath {
public:
    explicit ScratchPath(std::string path);
    ~ScratchPath();
    ScratchPath(const ScratchPath&) = delete;
    ScratchPath& operator=(const ScratchPath&) = delete;
    const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
};

// A private folder in the system's temporary directory (mkdtemp, "bounce-PREFIX-XXXXXX"),
// removed with everything in it when this dies, and by the signal handler if the run is
// interrupted first. path() is empty if it could not be made.
class ScratchFolder {
public:
    explicit ScratchFolder(const std::string& prefix);
    std::string path() const { return folder_ ? folder_->path() : std::string(); }

private:
    std::unique_ptr<ScratchPath> folder_;
};

// A child process of the run (an encoder): stopped (SIGTERM) if the run is interrupted
// while it lives.
class ChildProcessGuard {
public:
    explicit ChildProcessGuard(pid_t pid);
    ~ChildProcessGuard();
    ChildProcessGuard(const ChildProcessGuard&) = delete;
    ChildProcessGuard& operator=(const ChildProcessGuard&) = delete;

private:
    void* node_;
};

// On SIGINT, SIGTERM or SIGHUP: stops the run's child processes, removes its open
// temporaries and scratch paths, then exits with 128 + the signal number.
void installOutputCleanupOnSignal();

}  // namespace bounce
