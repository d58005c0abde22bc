// Files and jobs for the Python module: AudioFile (streaming reads), write(), and master,
// mix, check, album and automix on paths (master on arrays too), each returning the report
// the CLI's --json writes, as a dict.
#include "bounce/album.h"
#include "bounce/album_report.h"
#include "bounce/analysis_report.h"
#include "bounce/atomic_output.h"
#include "bounce/automix.h"
#include "bounce/automix_report.h"
#include "bounce/check.h"
#include "bounce/check_report.h"
#include "bounce/error.h"
#include "bounce/master.h"
#include "bounce/master_options.h"
#include "bounce/master_report.h"
#include "bounce/mix_renderer.h"
#include "bounce/output_writer.h"
#include "bounce/session.h"
#include "bounce/sound_file.h"
#include "common.h"

#include <pybind11/stl.h>

#include <toml++/toml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace bounce::python {
namespace {

namespace fs = std::filesystem;

// A sound file read in blocks: `for block in bounce.AudioFile(path)`, or read(frames).
class PyAudioFile {
public:
    explicit PyAudioFile(const std::string& path) : reader_(std::make_unique<SoundFileReader>(path)) {}
    // Read straight into a new array; a short read gives its first frames (a view).
    py::object read(std::int64_t frames) {
        const SoundFileInfo& info = reader_->info();
        const auto wanted =
            frames < 0 ? static_cast<std::size_t>(std::max<std::int64_t>(0, info.frames - position_)) : static_cast<std::size_t>(frames);
        py::array_t<float> out = newArray(info.channels, wanted);
        const ArrayView target(out);
        const AudioView view = target.view();
        const std::size_t got = withoutGil([&] { return reader_->read(view); });
        position_ += static_cast<std::int64_t>(got);
        if (got == wanted) return out;
        return out[py::make_tuple(py::slice(0, info.channels, 1), py::slice(0, static_cast<py::ssize_t>(got), 1))];
    }
    void seek(std::int64_t frame) {
        reader_->seek(frame);
        position_ = frame;
    }
    const SoundFileInfo& info() const { return reader_->info(); }

private:
    std::unique_ptr<SoundFileReader> reader_;
    std::int64_t position_ = 0;
};

// Writes an array as the CLI writes files: the format from the name (or `format`), 16 bits
// dithered, to a temporary renamed into place; tags as bounce master takes them.
void writeArray(const std::string& path, const py::array& array, double sampleRate, const std::string& bits, const std::string& format,
                int bitrateKbps, const py::dict& tags) {
    const InputAudio audio(array, "audio");
    checkedRate(sampleRate);
    MasterSettings tagged;
    for (const auto& [key, value] : tags) applyMasterOption(tagged, key.cast<std::string>(), py::str(value).cast<std::string>());
    withoutGil([&] {
        OutputSpec spec;
        spec.container = writableFormatForPath(path, format);
        spec.sampleFormat = outputSampleFormat(bits, spec.container);
        spec.bitrateKbps = bitrateKbps;
        spec.inputRate = sampleRate;
        spec.channels = audio.channels();
        AtomicOutputFile file(path, {});
        spec.into = &file;
        OutputWriter writer(spec);
        writer.write(audio.view());
        writer.close();
        if (!tagged.metadata.empty()) writeMetadata(file.tempPath(), tagged.metadata);
        file.commit();
        return 0;
    });
}

// A master's settings from keyword options named as the CLI's (--codec-safe is
// codec_safe=...): one parser for both (applyMasterOption).
MasterSettings masterSettings(const std::string& target, const py::object& reference, const py::kwargs& options) {
    MasterSettings s;
    applyMasterOption(s, "target", target);
    if (!reference.is_none()) {
        if (py::isinstance<py::str>(reference))
            applyMasterOption(s, "reference", reference.cast<std::string>());
        else
            for (const auto& r : reference) applyMasterOption(s, "reference", r.cast<std::string>());
    }
    for (const auto& [key, value] : options) {
        std::string name = key.cast<std::string>();
        std::replace(name.begin(), name.end(), '_', '-');
        if (name == "format") {
            s.format = value.cast<std::string>();
            continue;
        }
        const std::string text =
            py::isinstance<py::bool_>(value) ? (value.cast<bool>() ? "true" : "false") : py::str(value).cast<std::string>();
        applyMasterOption(s, name, text);
    }
    s.onProgress = [](double) { checkInterrupt(); };
    return s;
}

// bounce.master(input, output=None, target="spotify", reference=None, **options): a path
// or an array (with sample_rate=) in; a path out, or with output=None the master comes
// back in the dict as "audio" (float32, (channels, frames)).
py::dict master(const py::object& input, const py::object& output, const std::string& target, const py::object& reference,
                std::optional<double> sampleRate, const py::kwargs& options) {
    MasterSettings s = masterSettings(target, reference, options);
    const ScratchFolder scratch("python");
    std::string inputPath;
    if (py::isinstance<py::str>(input) || py::isinstance(input, py::module_::import("pathlib").attr("PurePath"))) {
        inputPath = py::str(input).cast<std::string>();
    } else {
        if (!sampleRate) throw py::value_error("master() of an array needs sample_rate=");
        inputPath = scratch.path() + "/input.wav";
        writeArray(inputPath, input.cast<py::array>(), *sampleRate, "32f", "", 0, py::dict());
    }
    const bool returnAudio = output.is_none();
    const std::string outputPath = returnAudio ? scratch.path() + "/master.wav" : py::str(output).cast<std::string>();
    if (returnAudio && s.bits.empty()) s.bits = "32f";
    const MasterResult result = withoutGil([&] { return masterFile(inputPath, outputPath, s); });
    py::dict report = toPython(masterToJson(result, s));
    if (returnAudio && !s.dryRun) {
        report["audio"] = PyAudioFile(outputPath).read(-1);
        report["sample_rate"] = result.output.sampleRate;
    }
    return report;
}

// ---- sessions and manifests given as dicts ----

toml::table tomlTable(const py::dict& dict, const std::string& where);

std::unique_ptr<toml::node> tomlNode(const py::handle& value, const std::string& where) {
    if (py::isinstance<py::bool_>(value)) return std::make_unique<toml::value<bool>>(value.cast<bool>());
    if (py::isinstance<py::int_>(value)) return std::make_unique<toml::value<std::int64_t>>(value.cast<std::int64_t>());
    if (py::isinstance<py::float_>(value)) return std::make_unique<toml::value<double>>(value.cast<double>());
    if (py::isinstance<py::str>(value) || py::isinstance(value, py::module_::import("pathlib").attr("PurePath")))
        return std::make_unique<toml::value<std::string>>(py::str(value).cast<std::string>());
    if (py::isinstance<py::dict>(value)) return std::make_unique<toml::table>(tomlTable(value.cast<py::dict>(), where));
    if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
        auto array = std::make_unique<toml::array>();
        for (const auto& item : value) {
            auto node = tomlNode(item, where);
            if (auto* table = node->as_table())
                array->push_back(std::move(*table));
            else if (auto* inner = node->as_array())
                array->push_back(std::move(*inner));
            else
                node->visit([&](auto& v) {
                    if constexpr (toml::is_value<decltype(v)>) array->push_back(*v);
                });
        }
        return array;
    }
    throw py::type_error(where + ": a value must be a number, a flag, a string, a dict or a list, not " +
                         py::str(value.get_type()).cast<std::string>());
}

toml::table tomlTable(const py::dict& dict, const std::string& where) {
    toml::table table;
    for (const auto& [key, value] : dict) {
        const std::string name = py::str(key).cast<std::string>();
        auto node = tomlNode(value, where + "." + name);
        node->visit([&](auto& v) { table.insert_or_assign(name, std::move(v)); });
    }
    return table;
}

// A session or album manifest given as a dict: written as TOML to a hidden file in the
// current folder (so that relative file names mean what they mean to the caller), read by
// the one parser the CLI uses, and removed. Errors name "the session dict" and its key,
// not the file's line.
class TomlFromDict {
public:
    TomlFromDict(const py::dict& dict, const std::string& what) : what_(what) {
        std::string pattern = ".bounce-" + what + "-XXXXXX.toml";
        const int fd = ::mkstemps(pattern.data(), 5);
        if (fd < 0) throw Error("cannot write the " + what + " dict in the current folder");
        ::close(fd);
        file_ = std::make_unique<ScratchPath>(fs::absolute(pattern).string());
        std::ostringstream text;
        text << tomlTable(dict, what);
        std::ofstream(file_->path()) << text.str() << "\n";
    }
    const std::string& path() const { return file_->path(); }
    // The parser's "FILE:LINE: message" as "the session dict: message".
    [[noreturn]] void rethrow(const ConfigError& e) const {
        std::string message = e.what();
        if (message.rfind(path(), 0) == 0) {
            const auto colon = message.find(": ", path().size());
            message = "the " + what_ + " dict: " + (colon == std::string::npos ? message : message.substr(colon + 2));
        }
        throw ConfigError(message);
    }

private:
    std::string what_;
    std::unique_ptr<ScratchPath> file_;
};

template <typename Read>
auto readFromPathOrDict(const py::object& given, const std::string& what, Read read) {
    if (!py::isinstance<py::dict>(given)) return read(py::str(given).cast<std::string>());
    const TomlFromDict file(given.cast<py::dict>(), what);
    try {
        return read(file.path());
    } catch (const ConfigError& e) {
        file.rethrow(e);
    }
}

py::dict mix(const py::object& session, const py::object& output, const py::object& stems, const std::string& bits) {
    const Session parsed = readFromPathOrDict(session, "session", [](const std::string& path) { return readSessionFile(path); });
    const std::string folder =
        py::isinstance<py::dict>(session) ? "." : fs::path(py::str(session).cast<std::string>()).parent_path().string();
    MixRenderOptions options;
    options.outputPath = output.is_none() ? (fs::path(folder) / "mix.wav").string() : py::str(output).cast<std::string>();
    if (!stems.is_none()) options.stemsFolder = py::str(stems).cast<std::string>();
    options.bits = bits;
    options.onProgress = [](double) { checkInterrupt(); };
    const MixResult result = withoutGil([&] { return renderMix(parsed, options); });
    py::dict report;
    report["mix"] = toPython(analysisToJson(result.analysis));
    report["stems"] = result.stems;
    report["notes"] = result.notes;
    report["latency_frames"] = result.latencyFrames;
    return report;
}

py::dict check(const std::string& input, const py::object& against, bool codecs, const std::vector<std::string>& systems) {
    CheckSettings s;
    s.againstPath = against.is_none() ? std::string() : py::str(against).cast<std::string>();
    s.codecs = codecs;
    s.systems = systems;
    s.onProgress = [](double) { checkInterrupt(); };
    const CheckResult result = withoutGil([&] { return checkFile(input, s); });
    return toPython(checkToJson(result));
}

py::dict album(const py::object& manifestGiven, const std::string& outputDir, const std::string& target, const std::string& format,
               bool cd) {
    const AlbumManifest manifest =
        readFromPathOrDict(manifestGiven, "album", [](const std::string& path) { return readAlbumManifest(path); });
    AlbumSettings s;
    s.outputDir = outputDir;
    s.target = target;
    s.format = format;
    s.cd = cd;
    s.onProgress = [](double) { checkInterrupt(); };
    const AlbumResult result = withoutGil([&] { return renderAlbum(manifest, s); });
    return toPython(albumToJson(result));
}

// bounce automix of a folder: the report of --json, and the session's text ('session_toml').
// With an output, the session is written there as the CLI writes it (its file names relative
// to it; never over a track); without, nothing is written and file names are relative to
// the folder.
py::dict automixFolder(const std::string& folder, const py::object& output) {
    const std::string path = output.is_none() ? std::string() : py::str(output).cast<std::string>();
    const std::string sessionDir = path.empty() ? folder : fs::path(path).parent_path().string();
    const AutomixResult result = withoutGil([&] { return automix(folder, sessionDir); });
    if (!path.empty()) writeAutomixSession(result, path);
    nlohmann::ordered_json report;
    report["session"] = path.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(path);
    report.update(automixToJson(result));
    py::dict out = toPython(report);
    out["session_toml"] = result.session;
    return out;
}

}  // namespace

void bindFilesAndJobs(py::module_& m) {
    py::class_<PyAudioFile>(m, "AudioFile", "A sound file read in blocks (any format Bounce reads).")
        .def(py::init<const std::string&>(), py::arg("path"))
        .def("read", &PyAudioFile::read, py::arg("frames") = -1,
             "Up to `frames` frames (all that are left: -1) as (channels, frames) float32")
        .def("seek", &PyAudioFile::seek, py::arg("frame"))
        .def_property_readonly("sample_rate", [](const PyAudioFile& f) { return f.info().sampleRate; })
        .def_property_readonly("channels", [](const PyAudioFile& f) { return f.info().channels; })
        .def_property_readonly("frames", [](const PyAudioFile& f) { return f.info().frames; })
        .def_property_readonly("format", [](const PyAudioFile& f) { return f.info().formatName; })
        .def("__enter__", [](PyAudioFile& f) -> PyAudioFile& { return f; })
        .def("__exit__", [](PyAudioFile&, const py::args&) {});
    m.def("write", &writeArray, py::arg("path"), py::arg("audio"), py::arg("sample_rate"), py::arg("bits") = "24", py::arg("format") = "",
          py::arg("bitrate") = 0, py::arg("tags") = py::dict(),
          "Writes (channels, frames) as the CLI does: format from the name (or format=), 16 bits dithered, to a temporary renamed into "
          "place; tags as bounce master's options (title=, artist=, ...).");
    m.def("master", &master, py::arg("input"), py::arg("output") = py::none(), py::arg("target") = "spotify",
          py::arg("reference") = py::none(), py::kw_only(), py::arg("sample_rate") = py::none(),
          "bounce master on a path or an array; options as the CLI's, with _ for - (lufs=-10, codec_safe='aac'). Returns the report "
          "(the keys of --json); with output=None the master too, as 'audio' and 'sample_rate'.");
    m.def("mix", &mix, py::arg("session"), py::arg("output") = py::none(), py::arg("stems") = py::none(), py::arg("bits") = "",
          "bounce mix of a session file, or of a dict with its tables (relative file names from the current folder); returns the mix's "
          "analysis, the stems written and notes.");
    m.def("check", &check, py::arg("input"), py::arg("against") = py::none(), py::arg("codecs") = true,
          py::arg("systems") = std::vector<std::string>{}, "bounce check; returns the report (the keys of --json).");
    m.def("album", &album, py::arg("manifest"), py::arg("output_dir"), py::arg("target") = "spotify", py::arg("format") = "wav",
          py::arg("cd") = false, "bounce album of a manifest file or dict; returns the report (the keys of --json).");
    m.def("automix", &automixFolder, py::arg("folder"), py::arg("output") = py::none(),
          "bounce automix of a folder of tracks; returns the report (the keys of --json) and the session's text as 'session_toml'; "
          "writes the session to output when given.");
}

}  // namespace bounce::python
