#include "common.h"

#include <cmath>
#include <string>

namespace bounce::python {

void checkInterrupt() {
    const py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw Interrupted{};
}

py::object toPython(const nlohmann::ordered_json& j) {
    switch (j.type()) {
    case nlohmann::json::value_t::null: return py::none();
    case nlohmann::json::value_t::boolean: return py::bool_(j.get<bool>());
    case nlohmann::json::value_t::number_integer: return py::int_(j.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned: return py::int_(j.get<std::uint64_t>());
    case nlohmann::json::value_t::number_float: return py::float_(j.get<double>());
    case nlohmann::json::value_t::string: return py::str(j.get<std::string>());
    case nlohmann::json::value_t::array: {
        py::list list;
        for (const auto& item : j) list.append(toPython(item));
        return list;
    }
    default: {
        py::dict dict;
        for (const auto& [key, value] : j.items()) dict[py::str(key)] = toPython(value);
        return dict;
    }
    }
}

namespace {

// The first non-finite sample of `x`, or -1. The sum of x - x is 0 for finite samples and
// NaN otherwise: one vectorised pass, and a search only when it failed.
std::ptrdiff_t firstNonFinite(const float* x, std::size_t n) noexcept {
    float sum = 0.0f;
    for (std::size_t i = 0; i < n; ++i) sum += x[i] - x[i];
    if (sum == 0.0f) return -1;
    for (std::size_t i = 0; i < n; ++i)
        if (!std::isfinite(x[i])) return static_cast<std::ptrdiff_t>(i);
    return -1;
}

}  // namespace

InputAudio::InputAudio(const py::array& array, const char* what) : keep_(array) {
    const bool f32 = py::isinstance<py::array_t<float>>(array), f64 = py::isinstance<py::array_t<double>>(array);
    if (!f32 && !f64)
        throw py::type_error(std::string(what) + " must be a float32 or float64 array (got " + py::str(array.dtype()).cast<std::string>() +
                             ")");
    if (array.ndim() != 1 && array.ndim() != 2)
        throw py::value_error(std::string(what) + " must have shape (channels, frames) or (frames,), not " + std::to_string(array.ndim()) +
                              " dimensions");
    mono1d_ = array.ndim() == 1;
    const auto channels = mono1d_ ? py::ssize_t{1} : array.shape(0);
    const auto frames = mono1d_ ? array.shape(0) : array.shape(1);
    if (channels < 1 || channels > 64)
        throw py::value_error(std::string(what) + " has " + std::to_string(channels) +
                              " channels: the shape is (channels, frames), channels first, as Pedalboard takes it" +
                              (!mono1d_ && array.shape(1) <= 64 ? " (transpose it: array.T)" : ""));
    channels_ = static_cast<int>(channels);
    frames_ = static_cast<std::size_t>(frames);
    const py::ssize_t frameStride = array.strides(mono1d_ ? 0 : 1);
    if (f32 && (frameStride == sizeof(float) || frames_ <= 1)) {
        // float32 rows that are contiguous: the engine reads the array's own memory.
        const auto* base = static_cast<const char*>(array.data());
        for (int c = 0; c < channels_; ++c)
            pointers_.push_back(reinterpret_cast<const float*>(base + (mono1d_ ? 0 : c * array.strides(0))));
    } else {
        copy_.resize(channels_, frames_);
        const auto copyAs = [&](auto typed) {
            for (int c = 0; c < channels_; ++c) {
                float* out = copy_.channel(c);
                for (std::size_t i = 0; i < frames_; ++i)
                    out[i] = static_cast<float>(mono1d_ ? typed.template unchecked<1>()(static_cast<py::ssize_t>(i))
                                                        : typed.template unchecked<2>()(c, static_cast<py::ssize_t>(i)));
            }
        };
        if (f32)
            copyAs(py::array_t<float>::ensure(array));
        else
            copyAs(py::array_t<double>::ensure(array));
        for (int c = 0; c < channels_; ++c) pointers_.push_back(copy_.channel(c));
    }
    for (int c = 0; c < channels_; ++c)
        if (const std::ptrdiff_t at = firstNonFinite(pointers_[static_cast<std::size_t>(c)], frames_); at >= 0)
            throw py::value_error(std::string(what) + " holds a non-finite sample (NaN or infinity) at frame " + std::to_string(at) +
                                  " in channel " + std::to_string(c + 1));
}

py::array_t<float> newArray(int channels, std::size_t frames, bool mono1d) {
    if (mono1d && channels == 1) return py::array_t<float>(static_cast<py::ssize_t>(frames));
    return py::array_t<float>({static_cast<py::ssize_t>(channels), static_cast<py::ssize_t>(frames)});
}

ArrayView::ArrayView(py::array_t<float>& array) {
    const int channels = array.ndim() == 1 ? 1 : static_cast<int>(array.shape(0));
    const auto frames = static_cast<std::size_t>(array.ndim() == 1 ? array.shape(0) : array.shape(1));
    for (int c = 0; c < channels; ++c) pointers_.push_back(array.ndim() == 1 ? array.mutable_data(0) : array.mutable_data(c, 0));
    view_ = AudioView(pointers_.data(), channels, frames);
}

double checkedRate(double sampleRate) {
    if (!(sampleRate >= 1000.0 && sampleRate <= 768000.0))
        throw py::value_error("sample_rate must be from 1000 to 768000 Hz (got " + std::to_string(sampleRate) + ")");
    return sampleRate;
}

}  // namespace bounce::python
