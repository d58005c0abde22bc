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
#include <vector>

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
// Audio from Python as the engine reads it: (channels, frames) or (frames,), float32 or
// float64, any strides. A float32 array with contiguous rows is read in place (no copy);
// anything else is copied to float32. TypeError or ValueError naming `what` for another
// dtype or shape, and for NaN or infinity (with its frame and channel).
class InputAudio {
public:
    InputAudio(const py::array& array, const char* what);
    InputAudio(const InputAudio&) = delete;  // its pointers point into itself
    InputAudio& operator=(const InputAudio&) = delete;
    ConstAudioView view() const noexcept { return ConstAudioView(pointers_.data(), channels_, frames_); }
    int channels() const noexcept { return channels_; }
    std::size_t frames() const noexcept { return frames_; }
    bool mono1d() const noexcept { return mono1d_; }

private:
    py::array keep_;  // the array stays alive while it is read
    AudioBuffer copy_;
    std::vector<const float*> pointers_;
    int channels_ = 0;
    std::size_t frames_ = 0;
    bool mono1d_ = false;
};

// A new float32 array, (channels, frames), or (frames,) for one channel when `mono1d`.
py::array_t<float> newArray(int channels, std::size_t frames, bool mono1d = false);

// The engine's view of a float32 array made by newArray (written in place). Keep it alive
// while its view() is used: the view points into it.
class ArrayView {
public:
    explicit ArrayView(py::array_t<float>& array);
    ArrayView(const ArrayView&) = delete;  // its view points into itself
    ArrayView& operator=(const ArrayView&) = delete;
    AudioView view() const noexcept { return view_; }

private:
    std::vector<float*> pointers_;
    AudioView view_;
};

// ValueError outside 1 kHz .. 768 kHz.
double checkedRate(double sampleRate);

void bindAnalysisAndProcessing(py::module_& m);
void bindFilesAndJobs(py::module_& m);

}  // namespace bounce::python
