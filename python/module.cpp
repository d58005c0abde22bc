// The Python module's analysis and processing: analyze(), analyze_file(), LoudnessMeter,
// Processor, Chain.
#include "bounce/album.h"
#include "bounce/album_report.h"
#include "bounce/analysis.h"
#include "bounce/analysis_report.h"
#include "bounce/chain_file.h"
#include "bounce/check.h"
#include "bounce/check_report.h"
#include "bounce/error.h"
#include "bounce/master.h"
#include "bounce/master_options.h"
#include "bounce/master_report.h"
#include "bounce/mix_renderer.h"
#include "bounce/output_writer.h"
#include "bounce/processor_chain.h"
#include "bounce/processor_registry.h"
#include "bounce/session.h"
#include "bounce/sound_file.h"

#include "common.h"

#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <regex>
#include <string>
#include <vector>

namespace bounce::python {
namespace {

// ---- analysis ----

py::dict analyzeArray(const py::array& array, double sampleRate) {
    const InputAudio audio(array, "audio");
    checkedRate(sampleRate);
    const AnalysisResult result = withoutGil([&] {
        ProgramAnalyzer analyzer(sampleRate, audio.channels(), {}, true, true);
        for (std::size_t i = 0; i < audio.frames(); i += kBlockFrames) {
            analyzer.addFrames(audio.view().subView(i, std::min(kBlockFrames, audio.frames() - i)));
            if ((i / kBlockFrames) % 64 == 63) checkInterrupt();
        }
        SoundFileInfo info;
        info.sampleRate = sampleRate;
        info.channels = audio.channels();
        info.frames = static_cast<std::int64_t>(audio.frames());
        return finishFileAnalysis(analyzer, info, audio.frames());
    });
    return toPython(analysisToJson(result));
}

py::dict analyzeFilePath(const std::string& path) {
    const AnalysisResult result = withoutGil([&] {
        AnalyzeOptions options;
        std::uint64_t blocks = 0;
        options.onBlock = [&blocks](ConstAudioView) {
            if (++blocks % 64 == 0) checkInterrupt();
        };
        return analyzeFile(path, options);
    });
    return toPython(analysisToJson(result));
}

// A meter for live use: blocks in, readings out (BS.1770-4 / EBU R 128).
class PyLoudnessMeter {
public:
    PyLoudnessMeter(double sampleRate, int channels) : rate_(checkedRate(sampleRate)), channels_(channels) {
        if (channels < 1 || channels > 64) throw py::value_error("channels must be from 1 to 64");
        reset();
    }
    void add(const py::array& block) {
        const InputAudio audio(block, "block");
        if (audio.channels() != channels_)
            throw py::value_error("block has " + std::to_string(audio.channels()) + " channels; the meter was made for " +
                                  std::to_string(channels_));
        const py::gil_scoped_release release;
        analyzer_->addFrames(audio.view());
    }
    void reset() {
        analyzer_ = std::make_unique<ProgramAnalyzer>(rate_, channels_);
        analyzer_->setHopCallback([this](const LoudnessHop& hop) { last_ = hop; });
        last_ = {};
    }
    std::optional<double> momentary() const { return last_.momentaryLufs; }
    std::optional<double> shortTerm() const { return last_.shortTermLufs; }
    py::dict readings() const { return toPython(analysisToJson(analyzer_->result())); }

private:
    double rate_;
    int channels_;
    std::unique_ptr<ProgramAnalyzer> analyzer_;
    LoudnessHop last_;
};

// ---- processing ----

// A ParamTable from keyword arguments: numbers, flags, names, and lists of dicts for the
// nested tables (an eq's bands, a multiband compressor's).
ParamTable paramTable(const py::dict& params) {
    ParamTable table;
    table.source = "bounce";
    for (const auto& [key, value] : params) {
        ParamValue v;
        if (py::isinstance<py::bool_>(value))
            v = value.cast<bool>();
        else if (py::isinstance<py::int_>(value) || py::isinstance<py::float_>(value))
            v = value.cast<double>();
        else if (py::isinstance<py::str>(value))
            v = value.cast<std::string>();
        else if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
            std::vector<ParamTable> rows;
            for (const auto& row : value) rows.push_back(paramTable(row.cast<py::dict>()));
            v = std::move(rows);
        } else
            throw py::type_error("parameter " + key.cast<std::string>() + ": a number, a flag, a name or a list of dicts, not " +
                                 py::str(value.get_type()).cast<std::string>());
        table.entries[key.cast<std::string>()] = {std::move(v), 0};
    }
    return table;
}

// The CLI says "chain.toml:3: ratio must be ..."; here the same message after the type.
[[noreturn]] void rethrowAsValueError(const ConfigError& e, const std::string& type) {
    static const std::regex location("^bounce:[0-9]+: ");
    throw py::value_error(type + ": " + std::regex_replace(e.what(), location, ""));
}

class PyProcessor {
public:
    PyProcessor(const std::string& type, const py::kwargs& params) : spec_{type, paramTable(params)} {
        if (!findProcessorDescriptor(type))
            throw py::value_error("unknown processor type '" + type + "' (bounce.processor_types() lists them)");
        make(2);  // the parameters are checked now, not at the first call
    }
    const InsertSpec& spec() const { return spec_; }
    std::unique_ptr<Processor> make(int channels) const {
        try {
            return createProcessor(spec_, channels);
        } catch (const ConfigError& e) {
            rethrowAsValueError(e, spec_.type);
        }
    }
    py::dict params() const {
        py::dict out;
        for (const auto& [key, entry] : spec_.params.entries)
            std::visit(
                [&](const auto& v) {
                    using T = std::decay_t<decltype(v)>;
                    if constexpr (std::is_same_v<T, double> || std::is_same_v<T, bool> || std::is_same_v<T, std::string>)
                        out[key.c_str()] = v;
                },
                entry.value);
        return out;
    }

private:
    InsertSpec spec_;
};

// Processors in order, prepared for a rate and channel count at the first call (and again
// when they change). Called on a whole array it aligns the output with the input, as
// `bounce process` does; process() streams blocks as a plugin host would, latency and all.
class PyChain {
public:
    explicit PyChain(std::vector<InsertSpec> inserts) : inserts_(std::move(inserts)) {}

    static PyChain fromProcessors(const py::iterable& processors) {
        std::vector<InsertSpec> inserts;
        for (const auto& p : processors) inserts.push_back(p.cast<const PyProcessor&>().spec());
        return PyChain(std::move(inserts));
    }
    static PyChain fromToml(const std::string& path) {
        return PyChain(readChainFile(path));  // ConfigError "chain.toml:LINE: ..." -> ValueError
    }

    py::array_t<float> call(const py::array& array, double sampleRate) {
        const InputAudio in(array, "audio");
        prepare(checkedRate(sampleRate), in.channels());
        py::array_t<float> result = newArray(in.channels(), in.frames(), in.mono1d());
        const ArrayView target(result);
        const AudioView out = target.view();
        withoutGil([&] {
            chain_->reset();
            std::size_t read = 0, written = 0, blocks = 0;
            renderAligned(
                *chain_, in.channels(), kBlockFrames,
                [&](AudioView block) {
                    const std::size_t n = std::min(block.frames(), in.frames() - read);
                    for (int c = 0; c < in.channels(); ++c) std::copy_n(in.view().channel(c) + read, n, block.channel(c));
                    read += n;
                    if (++blocks % 64 == 0) checkInterrupt();
                    return n;
                },
                [&](ConstAudioView block) {
                    for (int c = 0; c < in.channels(); ++c) std::copy_n(block.channel(c), block.frames(), out.channel(c) + written);
                    written += block.frames();
                });
            chain_->reset();
            return 0;
        });
        return result;
    }

    py::array_t<float> process(const py::array& array, double sampleRate) {
        const InputAudio in(array, "block");
        prepare(checkedRate(sampleRate), in.channels());
        py::array_t<float> result = newArray(in.channels(), in.frames(), in.mono1d());
        const ArrayView target(result);
        const AudioView out = target.view();
        withoutGil([&] {
            for (int c = 0; c < in.channels(); ++c) std::copy_n(in.view().channel(c), in.frames(), out.channel(c));
            for (std::size_t i = 0; i < in.frames(); i += kBlockFrames)
                chain_->process(out.subView(i, std::min(kBlockFrames, in.frames() - i)));
            return 0;
        });
        return result;
    }

    void reset() {
        if (chain_) chain_->reset();
    }
    int latency() const { return chain_ ? chain_->latencyFrames() : 0; }
    std::size_t size() const { return inserts_.size(); }

private:
    void prepare(double rate, int channels) {
        if (chain_ && rate == rate_ && channels == channels_) return;
        auto chain = std::make_unique<ProcessorChain>();
        for (const auto& insert : inserts_) {
            try {
                chain->add(createProcessor(insert, channels));
            } catch (const ConfigError& e) {
                rethrowAsValueError(e, insert.type);
            }
        }
        chain->prepare({rate, static_cast<int>(kBlockFrames), channels});
        chain_ = std::move(chain);
        rate_ = rate;
        channels_ = channels;
    }
    std::vector<InsertSpec> inserts_;
    std::unique_ptr<ProcessorChain> chain_;
    double rate_ = 0.0;
    int channels_ = 0;
};

py::list processorParameters(const std::string& type) {
    const ProcessorDescriptor* descriptor = findProcessorDescriptor(type);
    if (!descriptor) throw py::value_error("unknown processor type '" + type + "' (bounce.processor_types() lists them)");
    static const char* const kinds[] = {"number", "integer", "flag", "choice", "text", "tables"};
    py::list out;
    for (const ParamDescriptor& p : descriptor->params) {
        py::dict d;
        d["key"] = p.key;
        d["kind"] = kinds[static_cast<int>(p.kind)];
        d["unit"] = p.unit;
        d["required"] = p.required;
        if (p.kind == ParamKind::Number || p.kind == ParamKind::Integer) {
            d["default"] = p.defaultValue;
            d["min"] = p.minValue;
            d["max"] = p.maxValue;
        } else if (p.kind == ParamKind::Flag) {
            d["default"] = p.defaultValue != 0.0;
        } else if (p.kind == ParamKind::Choice || p.kind == ParamKind::Text) {
            d["default"] = p.defaultText;
        }
        if (!p.choices.empty()) d["choices"] = p.choices;
        d["note"] = p.note;
        out.append(d);
    }
    return out;
}

}  // namespace

void bindAnalysisAndProcessing(py::module_& m) {
    m.def("analyze", &analyzeArray, py::arg("audio"), py::arg("sample_rate"),
          "Loudness (BS.1770-4 / EBU R 128), true peak, loudness range and QC statistics of an array of shape (channels, frames) or "
          "(frames,): a dict with the keys of `bounce analyze --json`.");
    m.def("analyze_file", &analyzeFilePath, py::arg("path"), "As analyze(), of a sound file read in blocks (any format Bounce reads).");
    py::class_<PyLoudnessMeter>(m, "LoudnessMeter", "A streaming meter: add() blocks of shape (channels, frames), read as you go.")
        .def(py::init<double, int>(), py::arg("sample_rate"), py::arg("channels"))
        .def("add", &PyLoudnessMeter::add, py::arg("block"))
        .def("reset", &PyLoudnessMeter::reset)
        .def_property_readonly("momentary_lufs", &PyLoudnessMeter::momentary, "The last 400 ms (None before 400 ms)")
        .def_property_readonly("short_term_lufs", &PyLoudnessMeter::shortTerm, "The last 3 s (None before 3 s)")
        .def("readings", &PyLoudnessMeter::readings, "Everything so far, as analyze() gives it");
    py::class_<PyProcessor>(m, "Processor", "One processor of the registry, by type name, with keyword parameters as in chain files.")
        .def(py::init<const std::string&, const py::kwargs&>(), py::arg("type"))
        .def_property_readonly("type", [](const PyProcessor& p) { return p.spec().type; })
        .def_property_readonly("params", &PyProcessor::params)
        .def("__repr__", [](const PyProcessor& p) { return "bounce.Processor('" + p.spec().type + "', ...)"; });
    py::class_<PyChain>(m, "Chain", "Processors in order; called on an array it gives the output aligned with the input.")
        .def(py::init(&PyChain::fromProcessors), py::arg("processors"))
        .def_static("from_toml", &PyChain::fromToml, py::arg("path"), "A chain file of [[insert]] tables, as `bounce process --chain`.")
        .def("__call__", &PyChain::call, py::arg("audio"), py::arg("sample_rate"),
             "The whole array through the chain, latency compensated: output frame n lines up with input frame n.")
        .def("process", &PyChain::process, py::arg("block"), py::arg("sample_rate"),
             "One block through the running chain, as a plugin host streams it (the output is `latency` frames late).")
        .def("reset", &PyChain::reset)
        .def_property_readonly("latency", &PyChain::latency)
        .def("__len__", &PyChain::size);
    m.def("processor_types", &processorTypeNames, "Every processor type, as chain files name them.");
    m.def("processor_parameters", &processorParameters, py::arg("type"),
          "A processor type's parameters: key, kind, unit, default, range, choices and what it does (docs/processors.md).");
}

}  // namespace bounce::python
