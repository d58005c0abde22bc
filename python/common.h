// What the Python module's files share: numpy arrays to and from the engine's buffers,
// JSON reports as dicts, and running the engine without the GIL, interruptible.
//
// Arrays are numpy float32 or float64 of shape (channels, frames), as Pedalboard takes
// them, or (frames,) for mono; what the engine gives back is float32 (its sample type).
// The sample rate is always explicit.
#pragma once

#include "bounce/audio_buffer.h"

#include <nlohmann/json.hpp>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstddef>

namespace py = pybind11;

namespace bounce::python {

inline constexpr std::size_t kBlockFrames = 4096;

// Thrown through the engine when Python has a pending signal (Ctrl-C): the engine unwinds
// (its temporaries removed) and withoutGil() hands Python its KeyboardInterrupt.
struct Interrupted {};

// Between blocks, with the GIL released: takes it for a moment so that Python runs its
// signal handlers; throws Interrupted when one raised.
void checkInterrupt();

// Runs `work` without the GIL; an Interrupted becomes the pending Python exception.
template <typename Work>
auto withoutGil(Work&& work) -> decltype(work()) {
    try {
        const py::gil_scoped_release release;
        return work();
    } catch (const Interrupted&) {
        throw py::error_already_set();
    }
}

// nlohmann's JSON as Python objects: the dicts have the keys of the CLI's --json.
py::object toPython(const nlohmann::ordered_json& json);
// (channels, frames) or (frames,), float32 or float64, any strides, copied; TypeError or
// ValueError naming `what` for anything else, and for NaN or infinity.
AudioBuffer toBuffer(const py::array& array, const char* what);
// (channels, frames) float32; (frames,) for one channel when `mono1d`.
py::array_t<float> toArray(const AudioBuffer& buffer, bool mono1d = false);
// ValueError outside 1 kHz .. 768 kHz.
double checkedRate(double sampleRate);

void bindAnalysisAndProcessing(py::module_& m);
void bindFilesAndJobs(py::module_& m);

}  // namespace bounce::python
