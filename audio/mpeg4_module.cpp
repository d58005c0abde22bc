#include "mpeg4_module.h"

#include "bounce/error.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <filesystem>
#include <mutex>
#include <vector>

namespace bounce::detail {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> moduleFolders() {
    std::vector<fs::path> folders;
    if (const char* dir = std::getenv("BOUNCE_MODULE_DIR"); dir && *dir) folders.emplace_back(dir);
    // The object this code is in: the bounce program, a test, or the Python module.
    std::vector<fs::path> homes;
    Dl_info self{};
    if (dladdr(reinterpret_cast<const void*>(&moduleFolders), &self) && self.dli_fname && std::strchr(self.dli_fname, '/')) {
        std::error_code ignored;
        const fs::path object = fs::canonical(self.dli_fname, ignored);
        if (!object.empty()) homes.push_back(object.parent_path());
    }
    std::error_code ignored;
    if (const fs::path program = fs::read_symlink("/proc/self/exe", ignored); !program.empty()) homes.push_back(program.parent_path());
    for (const fs::path& home : homes) {
        folders.push_back(home);
        folders.push_back(home / BOUNCE_MODULE_DIR_FROM_BINDIR);
    }
    folders.emplace_back(BOUNCE_INSTALLED_MODULE_DIR);
    folders.emplace_back(BOUNCE_BUILD_MODULE_DIR);
    return folders;
}

struct Loaded {
    const Mpeg4Module* module = nullptr;
    std::string why;  // when module is null
};

Loaded load() {
    std::string looked;
    std::string failures;
    for (const fs::path& folder : moduleFolders()) {
        const fs::path candidate = (folder / kMpeg4ModuleFile).lexically_normal();
        looked += (looked.empty() ? "" : ", ") + folder.lexically_normal().string();
        std::error_code missing;
        if (!fs::is_regular_file(candidate, missing)) continue;
        // RTLD_LOCAL: FFmpeg's symbols stay the module's own.
        void* handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            failures += std::string("; ") + dlerror();
            continue;
        }
        using Entry = const Mpeg4Module* (*)();
        const auto entry = reinterpret_cast<Entry>(dlsym(handle, "bounce_mpeg4_module"));
        const Mpeg4Module* module = entry ? entry() : nullptr;
        if (!module || module->abi != kMpeg4ModuleAbi) {
            failures += "; " + candidate.string() + " is from another version of Bounce";
            dlclose(handle);
            continue;
        }
        return {module, {}};  // kept loaded for the life of the process
    }
    return {nullptr, "needs Bounce's MPEG-4 module " + std::string(kMpeg4ModuleFile) + ", which is not installed (looked in " + looked +
                         "; set BOUNCE_MODULE_DIR to its folder)" + failures};
}

}  // namespace

const Mpeg4Module& mpeg4Module(const std::string& forPath) {
    static const Loaded loaded = load();
    if (!loaded.module) throw Error(forPath + ": reading or writing M4A (AAC, ALAC) " + loaded.why);
    return *loaded.module;
}

}  // namespace bounce::detail
