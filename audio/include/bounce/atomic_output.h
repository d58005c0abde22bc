// Outputs appear whole or not at all.
//
// An AtomicOutputFile creates a temporary beside the target (same folder, so the final
// rename is atomic on POSIX file systems; a random name made with O_EXCL, so nothing
// planted in advance, a symbolic link included, is written through); commit() renames it onto the target. If
// the object dies uncommitted (an exception, an early return) the temporary is removed,
// and a SIGINT/SIGTERM handler installed by installOutputCleanupOnSignal() removes every
// temporary still open, so an interrupted run leaves nothing half-written.
#pragma once

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

// Writes `text` to `path` through an AtomicOutputFile (not one of `inputs`), every write
// and the close checked: a full disk is an error naming the file, never an empty report.
void writeTextFile(const std::string& path, const std::string& text, const std::vector<std::string>& inputs = {});

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
